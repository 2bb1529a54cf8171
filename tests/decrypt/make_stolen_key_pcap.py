#!/usr/bin/env python3
"""Fabricate captures for tlslab-decrypt (the stolen-key lesson): real sessions with real
cryptography, as tests/wireshark/make_pcap.py makes them (whose PKI, pcap writer, TCP connections
and sessions this builds on), plus what a recording of the real world holds and a careful reader
must survive: segments out of order, retransmitted, overlapping; sessions interleaved; other
traffic on the lab's port; tlslab on another port; an ECDHE session (PROTOCOL.md §7.6: X25519 key
shares, the server's share signed with RSA-PSS by the `cryptography` module).

Writes into OUTDIR:
  server.key          the server's RSA key (PEM): the "stolen" key
  other.key           another RSA key, which is not the server's
  two-sessions.pcap   session A (AES-128-GCM, segments out of order, retransmitted and
                      overlapping) and session B (ChaCha20-Poly1305 on port 8080), interleaved;
                      the CA connection and an HTTP request on port 4433 that is not tlslab
  stolen-key.pcapng   pcapng: session R (RSA key transport) and session E (ECDHE, x25519) to the
                      same server
  mixed.pcap          session T, whose RAND-SERVER was changed on the wire (the keys do not
                      follow); session V, stopped by the client after the CA said revoked
                      (nothing encrypted); session L, 1.5 MiB of application data (for the
                      connection limit)
  no-session.pcap     only traffic that is not tlslab
  expected.json       per capture, per session: RAND-CLIENT, the key log line the two sides
                      would write, the verdict tlslab-decrypt should reach, and every record of
                      application data in order

Usage: make_stolen_key_pcap.py OUTDIR [--seed N]
"""

import argparse
import datetime
import json
import os
import struct
import sys
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, x25519

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "wireshark"))
import make_pcap  # noqa: E402
from make_pcap import ACK, PSH, Env, Pcap, Pki, Session, TcpConnection, epoch, http_request, http_response  # noqa: E402
from tlslab_wire import (CT_ALERT, CT_HANDSHAKE, CERTIFICATE_REVOKED, HT_CLIENT_KEY_EXCHANGE,  # noqa: E402
                         RecordProtection, alert, client_hello, frame, handshake, key_block, keylog_line,
                         master_secret, server_hello, server_name_extension, status_request, status_response,
                         u8, u16, vec8, vec16)

# --- §7.6 on the wire: the key_share extension and what the server signs ------------------------
# (The same helpers, under the same names, are being added to tests/lib/tlslab_wire.py with the
# dissector's ECDHE support; once both have landed, import them from there.)
EXT_KEY_SHARE = 51
GROUP_X25519 = 0x001D
SCHEME_RSA_PSS_RSAE_SHA256 = 0x0804
ECDHE_AES_128_GCM_SHA256 = 0x0B01


def key_share_client_extension(groups):
    """In a ClientHello: NamedGroup groups<2..2^16-2>."""
    return u16(EXT_KEY_SHARE) + vec16(vec16(b"".join(u16(g) for g in groups)))


def key_share_server_extension(group, key_exchange, scheme, signature):
    """In a ServerHello: ServerKeyShare = group, key_exchange<1..2^8-1>, scheme, signature<1..2^16-1>."""
    return u16(EXT_KEY_SHARE) + vec16(u16(group) + vec8(key_exchange) + u16(scheme) + vec16(signature))


def key_share_signed_content(client_random, server_random, group, key_exchange):
    """RAND-CLIENT ‖ RAND-SERVER ‖ 03 (named_curve) ‖ group ‖ uint8 length ‖ key_exchange (RFC 8422 §5.4)."""
    return client_random + server_random + u8(3) + u16(group) + vec8(key_exchange)


def client_key_exchange_ecdhe(key_exchange):
    """Arrow 5 with an ECDHE suite: opaque key_exchange<1..2^8-1>."""
    return handshake(HT_CLIENT_KEY_EXCHANGE, vec8(key_exchange))


# --- TCP as recordings show it -------------------------------------------------------------------
def send_scrambled(conn, from_client, data, sizes, order, again=(), overlap=None):
    """Sends `data` cut into segments of `sizes` (the remainder makes a last one), in the order
    `order` (indexes of segments), then the segments of `again` once more (retransmissions), and
    `overlap` = (index, back): that segment again, starting `back` bytes early (a retransmission
    that overlaps what was already delivered). The receiver's reassembly must give `data`."""
    cuts, at = [], 0
    for n in list(sizes) + [len(data) - sum(sizes)]:
        cuts.append((at, data[at:at + n]))
        at += n
    assert sorted(order) == list(range(len(cuts))), "order must name every segment once"
    base = conn.next_seq[from_client]
    ack = conn.next_seq[not from_client]
    src, dst = conn.ports[from_client], conn.ports[not from_client]

    def emit(offset, chunk):
        conn.pcap.tcp(make_pcap.LOCALHOST, src, make_pcap.LOCALHOST, dst, (base + offset) % 2**32, ack,
                      PSH | ACK, chunk)

    for i in order:
        emit(*cuts[i])
    for i in again:
        emit(*cuts[i])
    if overlap:
        i, back = overlap
        offset = cuts[i][0] - back
        emit(offset, data[offset:cuts[i][0] + len(cuts[i][1])])
    conn.next_seq[from_client] = (base + len(data)) % 2**32


def write_pcapng(pcap, path):
    """The packets of `pcap` as pcapng (section header, one Ethernet interface with microsecond
    timestamps, one enhanced packet block each): the format tshark and dumpcap write."""
    def block(block_type, body):
        body += b"\0" * (-len(body) % 4)
        length = 12 + len(body)
        return struct.pack("<II", block_type, length) + body + struct.pack("<I", length)

    out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
           block(0x00000001, struct.pack("<HHI", 1, 0, 262144))]
    for t, data in pcap.packets:
        micros = int(round(t * 1e6))
        out.append(block(0x00000006, struct.pack("<IIIII", 0, micros >> 32, micros & 0xFFFFFFFF, len(data), len(data))
                         + data))
    pcap.packets = []
    with open(path, "wb") as f:
        f.write(b"".join(out))


# --- sessions ------------------------------------------------------------------------------------
class Recorded:
    """What the generator knows of a session and tlslab-decrypt should find: the key log line,
    the verdict, and the application data of both directions in capture order."""

    def __init__(self, expected, capture, name, verdict):
        self.entry = {"name": name, "verdict": verdict, "records": []}
        expected.setdefault(capture, {"sessions": []})["sessions"].append(self.entry)
        self.counters = {True: 0, False: 0}

    def session(self, s):
        self.entry["client_random"] = s.client_random.hex()
        if hasattr(s, "master"):
            self.entry["keylog_line"] = keylog_line(s.client_random, s.master)

    def data(self, client, content):
        """Application data sent now: records count from 1 in each direction (Finished is 0)."""
        self.counters[client] += 1
        self.entry["records"].append({"from": "client" if client else "server",
                                      "record": self.counters[client], "hex": content.hex()})


def status_check(env, pki, session, ca_port):
    """Arrows 3-4 on the CA's connection: not tlslab's client→server stream, to be skipped."""
    ca = TcpConnection(env.pcap, env.port(), ca_port, env.rng)
    cert_der = session.cert.public_bytes(serialization.Encoding.DER)
    nonce = session.rand(32)
    ca.send(True, frame(CT_HANDSHAKE, status_request(cert_der, nonce)))
    ca.send(False, frame(CT_HANDSHAKE, status_response(pki.ocsp_response(session.cert, nonce))))
    ca.close()


def hello_messages(s):
    """Arrows 1 and 2 of RSA key transport, as messages; the transcript so far."""
    ch = client_hello(s.client_random, s.offer, server_name_extension(s.host))
    cert_der = s.cert.public_bytes(serialization.Encoding.DER)
    spki = s.cert.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    sh = server_hello(s.server_random, s.suite, cert_der, spki)
    s.transcript = ch + sh
    return ch, sh


def application(s, rec, client, content, conn=None, **scramble):
    """Arrow 8: one record of `content`, sent whole or scrambled."""
    record = s.app(client, content)
    rec.data(client, content)
    if scramble:
        send_scrambled(conn or s.conn, client, record, **scramble)
    else:
        (conn or s.conn).send(client, record)


def two_sessions(env, pki, key, cert, expected):
    env.pcap = Pcap(epoch(env.now))
    name = "two-sessions.pcap"
    a = Session(env, "A", pki, cert, key, 0x0A01, 4433, 4434, env.port(), env.port())
    b = Session(env, "B", pki, cert, key, 0x0A03, 8080, 4434, env.port(), env.port(), offer=[0x0A03])
    ra, rb = Recorded(expected, name, "A", "opened"), Recorded(expected, name, "B", "opened")

    # Something else on the lab's port first: an HTTP request is not a ClientHello.
    other = TcpConnection(env.pcap, env.port(), 4433, env.rng)
    other.send(True, http_request("/not-tlslab"))
    other.send(False, http_response(b"plain\n"))
    other.close()

    a.conn = TcpConnection(env.pcap, a.ports[2], 4433, env.rng)
    b.conn = TcpConnection(env.pcap, b.ports[2], 8080, env.rng)
    ch_a, sh_a = hello_messages(a)
    ch_b, sh_b = hello_messages(b)
    # (1) A's ClientHello in three segments, the middle one first, the first one twice.
    send_scrambled(a.conn, True, frame(CT_HANDSHAKE, ch_a), sizes=[3, 20], order=[1, 2, 0], again=[1])
    b.conn.send(True, frame(CT_HANDSHAKE, ch_b))
    # (2) A's ServerHello: the last segment first, then the rest, then a retransmission that
    # overlaps the first two.
    send_scrambled(a.conn, False, frame(CT_HANDSHAKE, sh_a), sizes=[400, 500], order=[2, 0, 1], overlap=(1, 50))
    b.conn.send(False, frame(CT_HANDSHAKE, sh_b), split=[600])
    status_check(env, pki, a, 4434)
    status_check(env, pki, b, 4434)
    # (5), (6) and (7)
    cke_a = a.key_exchange()
    fin_a = a.finished(True)
    send_scrambled(a.conn, True, cke_a + fin_a, sizes=[100, 200], order=[0, 2, 1])
    b.conn.send(True, b.key_exchange())
    b.conn.send(True, b.finished(True))
    a.conn.send(False, a.finished(False))
    b.conn.send(False, b.finished(False))
    ra.session(a)
    rb.session(b)
    # (8), interleaved between the two connections.
    application(a, ra, True, http_request("/hello"))
    application(b, rb, True, http_request("/chacha"))
    # A's response in four segments, in the order 3, 1, 0, 2, with the second retransmitted.
    application(a, ra, False, http_response(b"hello from tlslab\n" + b"x" * 1500), sizes=[10, 700, 300],
                order=[3, 1, 0, 2], again=[1])
    application(b, rb, False, http_response(b"chacha\n"))
    # A body that tries to command the terminal: tlslab-decrypt must print it escaped.
    application(a, ra, True, http_request("/escape"))
    application(a, ra, False, http_response(b"\x1b[2J\x1b]0;owned\x07 back\\slash\tTab\r\n"))
    a.conn.send(True, a.close_notify(True))
    a.conn.send(False, a.close_notify(False))
    b.conn.send(True, b.close_notify(True))
    b.conn.send(False, b.close_notify(False))
    a.conn.close()
    b.conn.close()
    env.pcap.write(os.path.join(env.outdir, name))


def ecdhe_session(env, pki, key, cert, server_port, rec):
    """One ECDHE session (§7.6): x25519 key shares, the server's signed with RSA-PSS."""
    s = Session(env, "E", pki, cert, key, ECDHE_AES_128_GCM_SHA256, server_port, 4434, env.port(), env.port(),
                offer=[ECDHE_AES_128_GCM_SHA256])
    s.conn = TcpConnection(env.pcap, s.ports[2], server_port, env.rng)
    client_share = x25519.X25519PrivateKey.generate()
    server_share = x25519.X25519PrivateKey.generate()
    raw = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    client_public, server_public = client_share.public_key().public_bytes(*raw), server_share.public_key().public_bytes(*raw)
    ch = client_hello(s.client_random, s.offer, server_name_extension(s.host) + key_share_client_extension([GROUP_X25519]))
    signature = key.sign(key_share_signed_content(s.client_random, s.server_random, GROUP_X25519, server_public),
                         padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    cert_der = cert.public_bytes(serialization.Encoding.DER)
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    sh = server_hello(s.server_random, s.suite, cert_der, spki,
                      key_share_server_extension(GROUP_X25519, server_public, SCHEME_RSA_PSS_RSAE_SHA256, signature))
    cke = client_key_exchange_ecdhe(client_public)
    s.conn.send(True, frame(CT_HANDSHAKE, ch))
    s.conn.send(False, frame(CT_HANDSHAKE, sh))
    status_check(env, pki, s, 4434)
    pre_master = client_share.exchange(server_share.public_key())
    assert pre_master == server_share.exchange(client_share.public_key())
    s.hash_name = "sha256"
    s.master = master_secret("sha256", pre_master, s.client_random, s.server_random)
    keys = key_block(0x0A01, s.master, s.client_random, s.server_random)  # same sizes as 0x0B01
    s.client_prot = RecordProtection(0x0A01, keys[0], keys[2])
    s.server_prot = RecordProtection(0x0A01, keys[1], keys[3])
    s.transcript = ch + sh + cke
    s.conn.send(True, frame(CT_HANDSHAKE, cke) + s.finished(True))
    s.conn.send(False, s.finished(False))
    rec.session(s)
    application(s, rec, True, http_request("/forward-secret"))
    application(s, rec, False, http_response(b"only the two ends ever knew this\n"))
    s.conn.send(True, s.close_notify(True))
    s.conn.send(False, s.close_notify(False))
    s.conn.close()


def stolen_key_capture(env, pki, key, cert, expected):
    env.pcap = Pcap(epoch(env.now) + 60)
    name = "stolen-key.pcapng"
    r = Session(env, "R", pki, cert, key, 0x0A01, 4433, 4434, env.port(), env.port())
    rr = Recorded(expected, name, "R", "opened")
    r.hello_and_status()
    r.conn.send(True, r.key_exchange() + r.finished(True))
    r.conn.send(False, r.finished(False))
    rr.session(r)
    application(r, rr, True, http_request("/rsa-secret"))
    application(r, rr, False, http_response(b"anyone with the server's key reads this\n"))
    r.conn.send(True, r.close_notify(True))
    r.conn.send(False, r.close_notify(False))
    r.conn.close()
    ecdhe_session(env, pki, key, cert, 4433, Recorded(expected, name, "E", "forward_secret"))
    write_pcapng(env.pcap, os.path.join(env.outdir, name))


def mixed_capture(env, pki, key, cert, expected):
    env.pcap = Pcap(epoch(env.now) + 120)
    name = "mixed.pcap"
    # T: RAND-SERVER replaced on the wire (as tlslab-mitm's replace-server-random does on the other
    # leg): the client derived its keys from the RAND-SERVER the server sent, the capture shows another.
    t = Session(env, "T", pki, cert, key, 0x0A01, 4433, 4434, env.port(), env.port())
    rt = Recorded(expected, name, "T", "handshake_altered")
    t.conn = TcpConnection(env.pcap, t.ports[2], 4433, env.rng)
    ch, _ = hello_messages(t)
    real_server_random = t.server_random
    t.server_random = t.rand(32)
    _, sh_on_wire = hello_messages(t)
    t.conn.send(True, frame(CT_HANDSHAKE, ch))
    t.conn.send(False, frame(CT_HANDSHAKE, sh_on_wire))
    t.server_random = real_server_random
    t.conn.send(True, t.key_exchange() + t.finished(True))
    t.conn.send(False, frame(CT_ALERT, alert(20)))  # bad_record_mac: the server could not open it either
    t.conn.close()
    rt.session(t)
    rt.entry.pop("keylog_line")  # no line: nothing was proven

    # V: the CA said revoked; the client stopped before the key exchange.
    v = Session(env, "V", pki, cert, key, 0x0A01, 4433, 4434, env.port(), env.port())
    rv = Recorded(expected, name, "V", "nothing_encrypted")
    v.hello_and_status(revoked=True)
    v.conn.send(True, frame(CT_ALERT, alert(CERTIFICATE_REVOKED)))
    v.conn.close()
    rv.session(v)

    # L: 1.5 MiB of application data from the server, in 96 records.
    big = Session(env, "L", pki, cert, key, 0x0A01, 4433, 4434, env.port(), env.port())
    rl = Recorded(expected, name, "L", "opened")
    big.hello_and_status(split_server_hello=False)
    big.conn.send(True, big.key_exchange() + big.finished(True))
    big.conn.send(False, big.finished(False))
    rl.session(big)
    application(big, rl, True, http_request("/bytes/1572864"))
    body = bytes(32 + (i * 7) % 95 for i in range(16384))  # printable: one line of output per record
    for _ in range(96):
        application(big, rl, False, body)
    big.conn.send(True, big.close_notify(True))
    big.conn.send(False, big.close_notify(False))
    big.conn.close()
    env.pcap.write(os.path.join(env.outdir, name))


def no_session_capture(env, expected):
    env.pcap = Pcap(epoch(env.now) + 180)
    for port in (4433, 8080):
        other = TcpConnection(env.pcap, env.port(), port, env.rng)
        other.send(True, http_request("/"))
        other.send(False, http_response(b"not tlslab\n"))
        other.close()
    # A client that starts with a clear alert frame: tlslab bytes, but not a ClientHello.
    odd = TcpConnection(env.pcap, env.port(), 4433, env.rng)
    odd.send(True, frame(CT_ALERT, alert(0, 1)))
    odd.close()
    expected["no-session.pcap"] = {"sessions": []}
    env.pcap.write(os.path.join(env.outdir, "no-session.pcap"))


def pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None)
    env = Env(args.seed)
    env.now, env.outdir = now, args.outdir
    pki = Pki(now)
    key, cert = pki.issue("localhost", 0x3001)
    expected = {}
    two_sessions(env, pki, key, cert, expected)
    stolen_key_capture(env, pki, key, cert, expected)
    mixed_capture(env, pki, key, cert, expected)
    no_session_capture(env, expected)
    for file_name, private_key in (("server.key", key), ("other.key", rsa.generate_private_key(65537, 2048))):
        path = os.path.join(args.outdir, file_name)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            f.write(pem(private_key))
    with open(os.path.join(args.outdir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print("make_stolen_key_pcap: wrote %s (seed %d)" % (args.outdir, args.seed))


if __name__ == "__main__":
    sys.exit(main())
