#!/usr/bin/env python3
"""Captures that try to make tlslab-decrypt hold too much (issue 20, item 6), written fast enough
for a million connections:

  syn-flood OUT --connections N   N connections that send a SYN and nothing else (from 10.x.y.z,
                                  a SYN every 100 µs of capture time), with one real RSA session
                                  (session S, "GET /after-the-flood") halfway through
  big-session OUT --mib M [--binary]
                                  one RSA session whose server sends M MiB of application data
                                  (printable, or bytes that print escaped)
  other-traffic OUT --connections N
                                  N whole HTTP connections (not tlslab) that never close, then
                                  session S
  truncate IN OUT                 IN cut in the middle of its last packet (a capture that was
                                  still being written, or copied in part)

Each writes OUT and OUT's key next to it (OUT.key, the "stolen" server key, mode 0600).
Usage: make_bounds_pcap.py MODE ... [--seed N]
"""

import argparse
import datetime
import os
import struct
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "wireshark"))
import make_pcap  # noqa: E402
from make_pcap import ACK, PSH, SYN, Env, Pcap, Pki, Session, TcpConnection, epoch, http_request  # noqa: E402

import make_stolen_key_pcap  # noqa: E402

SYN_ONLY_STEP = 0.000100  # seconds of capture time between two flood SYNs


def syn_record(t, index):
    """A SYN from 10.a.b.c:port to 192.0.2.1:4433, as one pcap record (checksums left at zero:
    nothing on the reading side checks them, and a million of them in Python take a minute)."""
    src = bytes([10, (index >> 16) & 0xFF, (index >> 8) & 0xFF, index & 0xFF])
    sport = 1024 + index % 60000
    tcp = struct.pack("!HHIIBBHHH", sport, 4433, index * 7919 % 2**32, 0, 5 << 4, SYN, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, index & 0xFFFF, 0x4000, 64, 6, 0, src, bytes([192, 0, 2, 1]))
    data = b"\0" * 12 + b"\x08\x00" + ip + tcp
    sec = int(t)
    return struct.pack("<IIII", sec, int(round((t - sec) * 1e6)) % 1000000, len(data), len(data)) + data


def session_s(env, pki, key, cert, path_on_wire="/after-the-flood", body=b"", body_records=0):
    """One RSA session, opened and closed, with an optional big response."""
    s = Session(env, "S", pki, cert, key, 0x0A01, 4433, 4434, env.port(), env.port())
    s.hello_and_status(split_server_hello=False)
    s.conn.send(True, s.key_exchange() + s.finished(True))
    s.conn.send(False, s.finished(False))
    s.conn.send(True, s.app(True, http_request(path_on_wire)))
    for _ in range(body_records):
        s.conn.send(False, s.app(False, body))
    s.conn.send(True, s.close_notify(True))
    s.conn.send(False, s.close_notify(False))
    s.conn.close()


def write_key(path, key):
    with open(os.open(path + ".key", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(make_stolen_key_pcap.pem(key))


def setup(seed):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None)
    env = Env(seed)
    env.now = now
    pki = Pki(now)
    key, cert = pki.issue("localhost", 0x3001)
    return env, pki, key, cert


def syn_flood(out, connections, seed):
    env, pki, key, cert = setup(seed)
    start = epoch(env.now)
    half = connections // 2
    with open(out, "wb") as f:
        f.write(Pcap.header())
        t = start
        for i in range(half):
            t += SYN_ONLY_STEP
            f.write(syn_record(t, i))
        env.pcap = Pcap(t)
        session_s(env, pki, key, cert)
        t = env.pcap.t
        f.write(env.pcap.take_records())
        for i in range(half, connections):
            t += SYN_ONLY_STEP
            f.write(syn_record(t, i))
    write_key(out, key)


def other_traffic(out, connections, seed):
    env, pki, key, cert = setup(seed)
    env.pcap = Pcap(epoch(env.now))
    with open(out, "wb") as f:
        f.write(Pcap.header())
        for i in range(connections):
            other = TcpConnection(env.pcap, 1024 + i % 60000, 80, env.rng)
            other.send(True, b"GET / HTTP/1.1\r\nHost: example\r\n\r\n")
            other.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            env.pcap.ip_id %= 65000  # an IP id is 16 bits
            if len(env.pcap.packets) > 10000:
                f.write(env.pcap.take_records())
        session_s(env, pki, key, cert)
        f.write(env.pcap.take_records())
    write_key(out, key)


def big_session(out, mib, seed, binary):
    env, pki, key, cert = setup(seed)
    env.pcap = Pcap(epoch(env.now))
    if binary:  # every byte escaped on output (\xNN: four times the size), a line every 64 bytes
        body = bytes((i * 131 + 7) % 256 if i % 64 else 10 for i in range(16384))
    else:  # printable, no newline: one long line
        body = bytes(32 + (i * 7) % 95 for i in range(16384))
    session_s(env, pki, key, cert, "/bytes/%d" % (mib << 20), body, mib * 64)
    env.pcap.write(out)
    write_key(out, key)


def truncate(source, out):
    with open(source, "rb") as f:
        data = f.read()
    # The last record's header says more bytes than the file has left.
    with open(out, "wb") as f:
        f.write(data[:-7])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["syn-flood", "big-session", "other-traffic", "truncate"])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--connections", type=int, default=100000)
    ap.add_argument("--mib", type=int, default=60)
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--binary", action="store_true", help="big-session: bytes that are escaped when printed")
    args = ap.parse_args()
    if args.mode == "syn-flood":
        syn_flood(args.paths[0], args.connections, args.seed)
    elif args.mode == "other-traffic":
        other_traffic(args.paths[0], args.connections, args.seed)
    elif args.mode == "big-session":
        big_session(args.paths[0], args.mib, args.seed, args.binary)
    else:
        truncate(args.paths[0], args.paths[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
