#!/usr/bin/env python3
"""Fabricate hostile tlslab captures: what a peer can put on the wire to make the Wireshark
dissector (scripts/wireshark/tlslab.lua) slow, during a live capture or in a file someone opens
(security audit, issue 16 item 5). The bytes follow docs/PROTOCOL.md; the real crypto comes from
make_pcap.py.

Writes into OUTDIR:
  hostile-cke.pcap       the audit's 26 KB capture: one connection, ClientHello, ServerHello,
                         then 2,000 small ClientKeyExchange frames; its RAND-CLIENT is not in
                         the key log, so every lookup misses
  hostile-sessions.pcap  (a) CH, SH and 2,000 ClientKeyExchange frames of a session whose
                         RAND-CLIENT IS in the key log (keys derived once, not 2,000 times);
                         (b) 200 short connections whose randoms are not in the key log (the key
                         log is not read again for them); (c) one connection that restarts the
                         handshake 40 times (the per-connection work cap)
  hostile-chunked.pcap   three real sessions whose server answers with a chunked HTTP body:
                         S1 one 26 MB chunk that never ends; S2 2 MB of 1-byte chunks that never
                         end; S3 a 3 MB chunked body that does end, then a small response
                         "HTTP/1.1 200 OK ... after" that must still be found
  hostile-fields.pcap    one connection per broken field of issue 20 item 9: the staple
                         (status_stapling in ServerHello), certificate_request (ClientHello and
                         ServerHello) and the client's CERTIFICATE in the mutual form of arrow 5,
                         each with a truncated length, a length of 0, an overlong one, one past the
                         extension, the list or the message, trailing bytes, and DER
                         garbage nested inside (for Wireshark's OCSP and X.509 dissectors);
                         hostile-fields.cases lists, per client port, the expert message that
                         frame must show
  keylog-hostile.txt     2,000 CLIENT_RANDOM lines of nobody, plus those of the sessions above
                         that have keys
  hostile.env            values the test asserts on (shell syntax)

Usage: make_hostile_pcap.py OUTDIR [--seed N]
"""

import argparse
import datetime
import os
import random
import sys

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from make_pcap import Env, Pcap, Pki, Session, TcpConnection, epoch, http_request  # noqa: E402
from tlslab_wire import (CT_HANDSHAKE, HT_CLIENT_KEY_EXCHANGE, client_hello,  # noqa: E402
                         client_key_exchange, frame, handshake, keylog_line, server_hello, u16, vec16)

KEYLOG_NOISE_LINES = 2000
CKE_FRAMES = 2000
SHORT_SESSIONS = 200
RESTARTS = 40
CHUNKED_S1_BYTES = 26 * 1000 * 1000
CHUNKED_S2_BYTES = 2 * 1000 * 1000
CHUNKED_S3_BYTES = 3 * 1000 * 1000
RECORD = 16384                        # §2: most plaintext per protected frame


def small_client_hello(random32):
    """Arrow 1 with one suite and no extensions: all that the dissector's session state needs."""
    return frame(CT_HANDSHAKE, client_hello(random32, [0x0A01]))


def small_server_hello(random32):
    """Arrow 2 with 5-byte placeholders for CERTIFICATE and SERVER'S PUBLIC KEY (as §12 does)."""
    placeholder = bytes.fromhex("3003020101")
    return frame(CT_HANDSHAKE, server_hello(random32, 0x0A01, placeholder, placeholder))


def small_client_key_exchange(byte):
    """Arrow 5 with a 1-byte encrypted_pre_master: 12 bytes on the wire."""
    return frame(CT_HANDSHAKE, client_key_exchange(bytes([byte])))


def repeated_key_exchange(conn, rng, client_random, count):
    """CH, SH, then `count` ClientKeyExchange frames, 100 to a TCP segment."""
    conn.send(True, small_client_hello(client_random))
    conn.send(False, small_server_hello(bytes(rng.getrandbits(8) for _ in range(32))))
    for start in range(0, count, 100):
        conn.send(True, b"".join(small_client_key_exchange(i % 256) for i in range(start, min(count, start + 100))))


def rand32(rng):
    return bytes(rng.getrandbits(8) for _ in range(32))


def write_cke_capture(env, now, path):
    env.pcap = Pcap(epoch(now))
    conn = TcpConnection(env.pcap, env.port(), 4433, env.rng)
    client_random = rand32(env.rng)                       # deliberately not in the key log
    repeated_key_exchange(conn, env.rng, client_random, CKE_FRAMES)
    conn.close()
    env.pcap.write(path)
    env.expected["CKE_MISSING_RANDOM"] = client_random.hex()


def write_sessions_capture(env, now, path):
    env.pcap = Pcap(epoch(now) + 60)
    rng = env.rng
    # (a) a session the key log knows, with 2,000 ClientKeyExchange frames
    known = rand32(rng)
    env.keylog.append(keylog_line(known, bytes(rng.getrandbits(8) for _ in range(48))))
    conn = TcpConnection(env.pcap, env.port(), 4433, rng)
    repeated_key_exchange(conn, rng, known, CKE_FRAMES)
    conn.close()
    env.expected["SESSIONS_KNOWN_RANDOM"] = known.hex()
    # (b) short sessions, randoms not in the key log
    for _ in range(SHORT_SESSIONS):
        conn = TcpConnection(env.pcap, env.port(), 4433, rng)
        conn.send(True, small_client_hello(rand32(rng)))
        conn.send(False, small_server_hello(rand32(rng)))
        conn.send(True, small_client_key_exchange(1))
        conn.close()
    # (c) one connection restarting the handshake again and again
    restart_port = env.port()
    conn = TcpConnection(env.pcap, restart_port, 4433, rng)
    for _ in range(RESTARTS):
        conn.send(True, small_client_hello(rand32(rng)))
        conn.send(False, small_server_hello(rand32(rng)))
        conn.send(True, small_client_key_exchange(1))
    conn.close()
    env.expected["SESSIONS_RESTART_PORT"] = restart_port
    env.pcap.write(path)


def send_records(session, conn, from_client, data):
    """`data` as application data, 16 KiB to a protected frame, 3 frames to a TCP segment."""
    frames = [session.app(from_client, data[at:at + RECORD]) for at in range(0, len(data), RECORD)]
    for start in range(0, len(frames), 3):
        conn.send(from_client, b"".join(frames[start:start + 3]))


CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


def write_chunked_capture(env, pki, now, path):
    env.pcap = Pcap(epoch(now) + 120)
    server_key, server_cert = pki.issue("localhost", 0x3001)

    def session(name, path_requested):
        s = Session(env, name, pki, server_cert, server_key, 0x0A01, 4433, 4434, env.port(), env.port())
        s.hello_and_status(split_server_hello=False)
        s.conn.send(True, s.key_exchange() + s.finished(True))
        s.conn.send(False, s.finished(False))
        s.conn.send(True, s.app(True, http_request(path_requested)))
        return s

    # S1: one chunk announced as 2 GiB, 26 MB of it sent, never finished
    s1 = session("S1", "/huge-chunk")
    send_records(s1, s1.conn, False, CHUNKED_HEAD + b"7fffffff\r\n" + b"a" * CHUNKED_S1_BYTES)
    s1.conn.close()
    # S2: 1-byte chunks, never finished
    s2 = session("S2", "/tiny-chunks")
    send_records(s2, s2.conn, False, CHUNKED_HEAD + b"1\r\nb\r\n" * (CHUNKED_S2_BYTES // 6))
    s2.conn.close()
    # S3: a 3 MB chunked body that ends, then a small response that must still be framed
    s3 = session("S3", "/big-then-small")
    chunk = b"c" * 65536
    body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(CHUNKED_S3_BYTES // len(chunk)))
    after = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nafter\n"
    send_records(s3, s3.conn, False, CHUNKED_HEAD + body + b"0\r\n\r\n" + after)
    s3.conn.close()
    env.pcap.write(path)


# --- issue 20 item 9: the fields of stapling and mutual authentication, broken ----------------
EXT_STATUS_STAPLING, EXT_CERTIFICATE_REQUEST = 5, 64
PLACEHOLDER_DER = bytes.fromhex("3003020101")
# DER that claims more than it holds, at every level: for the OCSP and X.509 sub-dissectors.
NESTED_GARBAGE = bytes.fromhex("3082ffff" "0a0100" "a0847fffffff" "3080" "0682ffff2a864886") + b"\xff" * 40


def extension(ext_type, data, length=None):
    return u16(ext_type) + u16(len(data) if length is None else length) + data


def hostile_field_cases():
    """(name, ClientHello extensions, ServerHello extensions or raw ServerHello frame, arrow 5
    frame or None, the expert message the broken frame must show: a regular expression)."""
    asked = extension(EXT_CERTIFICATE_REQUEST, b"")
    staple = lambda data, length=None: extension(EXT_STATUS_STAPLING, data, length)  # noqa: E731
    request = lambda data, length=None: extension(EXT_CERTIFICATE_REQUEST, data, length)  # noqa: E731
    mutual = u16(EXT_CERTIFICATE_REQUEST) + vec16(vec16(u16(0x0804)))

    def cke(body):
        return frame(CT_HANDSHAKE, handshake(HT_CLIENT_KEY_EXCHANGE, body))

    epm = vec16(b"\x42" * 8)
    certificate_verify = u16(0x0804) + vec16(b"\x55" * 8)
    return [
        ("staple-length-truncated", b"", staple(b"\x01"), None, "staple: length field truncated"),
        ("staple-empty-data", b"", staple(b""), None, "staple: length field truncated"),
        ("staple-length-zero", b"", staple(u16(0)), None, "staple: length 0 outside 1..65535"),
        ("staple-overlong", b"", staple(u16(65535) + PLACEHOLDER_DER), None, "staple: length 65535 but only 5"),
        ("staple-past-the-list", b"", staple(vec16(PLACEHOLDER_DER), length=4000), None,
         "extension data runs past the list"),
        ("staple-list-past-message", b"", u16(EXT_STATUS_STAPLING) + vec16(vec16(PLACEHOLDER_DER)) + b"!",
         None, "extension header truncated"),
        ("staple-trailing", b"", staple(vec16(PLACEHOLDER_DER) + b"zz"), None, "trailing bytes in extension data"),
        ("staple-nested-garbage", b"", staple(vec16(NESTED_GARBAGE)), None, "staple: not an OCSPResponse (Wireshark's dissector stopped"),
        ("staple-twice", b"", staple(vec16(PLACEHOLDER_DER)) * 2, None, "extension type appears twice"),
        ("staple-ask-not-empty", staple(b"\x00\x01x"), b"", None, "status_stapling in a ClientHello must be empty"),
        ("request-offer-not-empty", request(NESTED_GARBAGE), b"", None,
         "certificate_request in a ClientHello must be empty"),
        ("request-length-truncated", asked, request(b"\x00"), None, "certificate_request: length truncated"),
        ("request-length-zero", asked, request(u16(0)), None, "certificate_request: schemes empty, odd or past"),
        ("request-length-odd", asked, request(u16(3) + b"\x08\x04\x08"), None,
         "certificate_request: schemes empty, odd or past"),
        ("request-length-past", asked, request(u16(4000) + b"\x08\x04"), None,
         "certificate_request: schemes empty, odd or past"),
        ("request-trailing", asked, request(vec16(u16(0x0804)) + b"\x01"), None, "trailing bytes in extension data"),
        ("request-nested-garbage", asked, request(NESTED_GARBAGE), None,
         "certificate_request: schemes empty, odd or past"),
        ("client-cert-length-truncated", asked, mutual, cke(epm + b"\x01"), "client_certificate: length field truncated"),
        ("client-cert-length-zero", asked, mutual, cke(epm + u16(0) + certificate_verify),
         "client_certificate: length 0 outside 1..65535"),
        ("client-cert-overlong", asked, mutual, cke(epm + u16(60000) + PLACEHOLDER_DER),
         "client_certificate: length 60000 but only 5"),
        ("client-cert-nested-garbage", asked, mutual, cke(epm + vec16(NESTED_GARBAGE) + certificate_verify),
         "client_certificate: not an X.509 certificate (Wireshark's dissector stopped"),
        ("client-cert-scheme-truncated", asked, mutual, cke(epm + vec16(PLACEHOLDER_DER) + b"\x08"),
         "CertificateVerify: scheme truncated"),
        ("client-cert-signature-past", asked, mutual,
         cke(epm + vec16(PLACEHOLDER_DER) + u16(0x0804) + u16(3000) + b"sig"), "CertificateVerify: length 3000 but only 3"),
        ("client-cert-trailing", asked, mutual, cke(epm + vec16(PLACEHOLDER_DER) + certificate_verify + b"\x00\x00"),
         "trailing bytes after the message"),
        ("client-cert-not-asked", asked, b"", cke(epm + vec16(PLACEHOLDER_DER) + certificate_verify),
         "the client's CERTIFICATE, but the ServerHello did not ask for it"),
        ("client-cert-asked-not-sent", asked, mutual, cke(epm), "the ServerHello asked for the client's CERTIFICATE"),
        # §7.8 session_ticket (35): ClientHello opaque ticket<0..2^16-1>, ServerHello uint8 ticket_mode
        ("ticket-offer-no-length", extension(35, b""), b"", None, "session_ticket: the ticket's length is truncated"),
        ("ticket-offer-length-truncated", extension(35, b"\x00"), b"", None,
         "session_ticket: the ticket's length is truncated"),
        ("ticket-offer-wrong-length", extension(35, u16(10) + b"abc"), b"", None,
         "session_ticket: ticket length 10 but 3 bytes of data"),
        ("ticket-mode-two-bytes", extension(35, u16(0)), extension(35, b"\x01\x02"), None,
         "session_ticket in a ServerHello is one byte"),
        ("ticket-mode-empty", extension(35, u16(0)), extension(35, b""), None, "session_ticket in a ServerHello is one byte"),
        ("ticket-mode-unknown", extension(35, u16(0)), extension(35, b"\x07"), None,
         "ticket_mode 7 is neither new_ticket (1) nor resumed (2)"),
        ("ticket-resumed-with-certificate", extension(35, vec16(b"\xe7" * 40)), extension(35, b"\x02"), None,
         "ticket_mode resumed with a CERTIFICATE"),
        ("client-cert-handshake-past-frame", asked, mutual,
         frame(CT_HANDSHAKE, u16(HT_CLIENT_KEY_EXCHANGE << 8) + b"\xff\xff" + epm), "handshake length"),
    ]


def write_fields_capture(env, now, path):
    env.pcap = Pcap(epoch(now) + 240)
    cases = []
    for name, ch_extensions, sh_extensions, key_exchange, expected in hostile_field_cases():
        port = env.port()
        conn = TcpConnection(env.pcap, port, 4433, env.rng)
        conn.send(True, frame(CT_HANDSHAKE, client_hello(rand32(env.rng), [0x0A01], ch_extensions)))
        conn.send(False, frame(CT_HANDSHAKE, server_hello(rand32(env.rng), 0x0A01, PLACEHOLDER_DER, PLACEHOLDER_DER,
                                                          sh_extensions)))
        conn.send(True, key_exchange or frame(CT_HANDSHAKE, client_key_exchange(b"\x42" * 8)))
        conn.close()
        cases.append("%d\t%s\t%s" % (port, name, expected))
    env.pcap.write(path)
    with open(path.replace(".pcap", ".cases"), "w") as f:
        f.write("\n".join(cases) + "\n")
    env.expected["FIELD_CASES"] = len(cases)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=20240216)
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)

    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None)
    env = Env(args.seed)
    noise = random.Random(args.seed + 1)
    env.keylog.extend(keylog_line(noise.randbytes(32), noise.randbytes(48)) for _ in range(KEYLOG_NOISE_LINES))
    write_cke_capture(env, now, os.path.join(args.outdir, "hostile-cke.pcap"))
    write_sessions_capture(env, now, os.path.join(args.outdir, "hostile-sessions.pcap"))
    write_chunked_capture(env, Pki(now), now, os.path.join(args.outdir, "hostile-chunked.pcap"))
    write_fields_capture(env, now, os.path.join(args.outdir, "hostile-fields.pcap"))

    with open(os.path.join(args.outdir, "keylog-hostile.txt"), "w") as f:
        f.write("\n".join(env.keylog) + "\n")
    env.expected.update(CKE_FRAMES=CKE_FRAMES, SHORT_SESSIONS=SHORT_SESSIONS, RESTARTS=RESTARTS,
                        KEYLOG_LINES=len(env.keylog))
    with open(os.path.join(args.outdir, "hostile.env"), "w") as f:
        for k, v in sorted(env.expected.items()):
            f.write("%s='%s'\n" % (k, v))
    print("make_hostile_pcap: wrote %s (seed %d)" % (args.outdir, args.seed))


if __name__ == "__main__":
    sys.exit(main())
