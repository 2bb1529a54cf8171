#!/usr/bin/env python3
"""Fabricate tlslab captures for testing the Wireshark dissector without the C++ programs.

Everything follows docs/PROTOCOL.md (frames, messages, key schedule and records from
tests/lib/tlslab_wire.py) and uses real cryptography: X.509 certificates and an OCSP response from
the `cryptography` module's builders, RSA-OAEP(SHA-256) for the PRE-MASTER, OpenSSL's TLS1-PRF for
the key schedule and AES-GCM / ChaCha20-Poly1305 records; for the ECDHE suites (§7.6) real
ephemeral X25519 / P-256 keys, their ECDH shared secret as the PRE-MASTER, and the key share signed
with RSA-PSS (an RSA certificate) or ECDSA (an EC P-256 certificate).

Writes into OUTDIR:
  tlslab-good.pcap       three complete sessions, one per cipher suite (valid traffic only);
                         session B runs on the default ports 4433/4434, A and C on other ports
  tlslab-alert.pcap      a revoked certificate (clear alert after the status response), a
                         tampered client Finished (server answers bad_record_mac) and a status
                         request with a short nonce (the CA answers decode_error)
  tlslab-malformed.pcap  a valid ClientHello then broken frames, on port 4433
  tlslab-ecdhe.pcap      three complete ECDHE sessions (§7.6): G x25519 with an RSA certificate
                         (0x0B01), H secp256r1 with an EC P-256 certificate (0x0B02, on the
                         default ports), I x25519 with the EC certificate (0x0B03)
  tlslab-ecdhe-bad.pcap  ServerHellos the client refuses, each answered by its alert: J a
                         truncated key_share (decode_error), K a key share in a group the client
                         did not offer (illegal_parameter), L a key_share the ClientHello did not
                         ask for (unsupported_extension), M an ECDHE suite without a key_share
                         (illegal_parameter)
  keylog.txt             NSS key log (CLIENT_RANDOM lines) for every session
  expected.env           values the test asserts on (shell syntax)

Usage: make_pcap.py OUTDIR [--seed N]
"""

import argparse
import calendar
import datetime
import hashlib
import ipaddress
import os
import random
import struct
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tlslab_wire import (ALERT_WARNING, BAD_RECORD_MAC, CERTIFICATE_REVOKED,  # noqa: E402
                         CLOSE_NOTIFY, CT_ALERT, CT_APPLICATION_DATA, CT_HANDSHAKE, CT_PROTECTED,
                         DECODE_ERROR, DEFAULT_GROUPS, DEFAULT_OFFER, GROUP_SECP256R1, GROUP_X25519, GROUPS,
                         HT_SERVER_HELLO, ILLEGAL_PARAMETER, SIGNATURE_SCHEMES, SUITES, UNSUPPORTED_EXTENSION,
                         VERSION, EphemeralKey, RecordProtection, alert, client_hello, client_key_exchange,
                         client_key_exchange_ecdhe, finished, frame, handshake, is_ecdhe, key_block,
                         key_share_client_extension, key_share_server_extension, key_share_signed_content,
                         keylog_line, master_secret,
                         server_hello, server_key_share, server_name_extension, sign_key_share,
                         status_request, status_response, u16, u24, u8, verify_data, verify_key_share)


def epoch(naive_utc):
    """Seconds since the epoch of a naive UTC datetime (what the x509 builders take)."""
    return calendar.timegm(naive_utc.timetuple())


# --- PKI: CA, server certificate, OCSP response (§5, §9) --------------------------------------
class Pki:
    def __init__(self, now):
        self.now = now
        self.ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ca_name = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tlslab"),
            x509.NameAttribute(NameOID.COMMON_NAME, "tlslab test CA"),
        ])
        self.ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name).issuer_name(ca_name)
            .public_key(self.ca_key.public_key())
            .serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self.ca_key, hashes.SHA256())
        )

    def issue(self, common_name, serial, key_type="rsa"):
        """A server key and certificate: RSA 2048, or EC P-256 (`key_type="ec"`, for ECDHE only:
        it signs the key share, with keyUsage digitalSignature, §7.6)."""
        if key_type == "ec":
            key = ec.generate_private_key(ec.SECP256R1())
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([
                x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tlslab"),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]))
            .issuer_name(self.ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(self.now - datetime.timedelta(days=1))
            .not_valid_after(self.now + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName(common_name),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            ]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        )
        if key_type == "ec":
            builder = builder.add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False), critical=True)
        return key, builder.sign(self.ca_key, hashes.SHA256())

    def ocsp_response(self, cert, nonce, revoked=False):
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=cert, issuer=self.ca_cert, algorithm=hashes.SHA1(),
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=self.now, next_update=self.now + datetime.timedelta(hours=1),
            revocation_time=self.now - datetime.timedelta(hours=2) if revoked else None,
            revocation_reason=x509.ReasonFlags.key_compromise if revoked else None,
        )
        builder = (builder.responder_id(ocsp.OCSPResponderEncoding.HASH, self.ca_cert)
                   .certificates([self.ca_cert])
                   .add_extension(x509.OCSPNonce(nonce), critical=False))
        return builder.sign(self.ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


# --- pcap writer: Ethernet / IPv4 / TCP on 127.0.0.1 ------------------------------------------
def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Pcap:
    def __init__(self, start_time):
        self.packets, self.t, self.ip_id = [], start_time, 1

    def tcp(self, src, sport, dst, dport, seq, ack, flags, payload=b""):
        self.t += 0.000250
        tcp_hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp_hdr) + len(payload))
        csum = checksum(pseudo + tcp_hdr + payload)
        tcp_hdr = tcp_hdr[:16] + struct.pack("!H", csum) + tcp_hdr[18:]
        total = 20 + len(tcp_hdr) + len(payload)
        ip_hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, self.ip_id, 0x4000, 64, 6, 0, src, dst)
        ip_hdr = ip_hdr[:10] + struct.pack("!H", checksum(ip_hdr)) + ip_hdr[12:]
        self.ip_id += 1
        ether = b"\0" * 12 + b"\x08\x00"
        self.packets.append((self.t, ether + ip_hdr + tcp_hdr + payload))

    @staticmethod
    def header():
        """The pcap file header: microsecond timestamps, Ethernet."""
        return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)

    def take_records(self):
        """The packets so far as pcap records; they are forgotten (for writing to a pipe)."""
        out = []
        for t, data in self.packets:
            sec = int(t)
            out.append(struct.pack("<IIII", sec, int(round((t - sec) * 1e6)) % 1000000, len(data), len(data)))
            out.append(data)
        self.packets = []
        return b"".join(out)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(self.header())
            f.write(self.take_records())


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
LOCALHOST = bytes([127, 0, 0, 1])


class TcpConnection:
    """A client-server TCP connection with consistent sequence numbers."""

    def __init__(self, pcap, client_port, server_port, rng):
        self.pcap, self.ports = pcap, {True: client_port, False: server_port}
        self.next_seq = {True: rng.getrandbits(32), False: rng.getrandbits(32)}
        self._send(True, SYN, b"", consume=1, ack=0)
        self._send(False, SYN | ACK, b"", consume=1)
        self._send(True, ACK, b"")

    def _send(self, from_client, flags, payload, consume=None, ack=None):
        seq = self.next_seq[from_client]
        if ack is None:
            ack = self.next_seq[not from_client]
        self.pcap.tcp(LOCALHOST, self.ports[from_client], LOCALHOST, self.ports[not from_client],
                      seq, ack, flags, payload)
        self.next_seq[from_client] = (seq + (len(payload) if consume is None else consume)) % 2**32

    def send(self, from_client, data, split=None):
        """Send `data`; `split` lists segment sizes (the remainder goes in a last segment)."""
        sizes = list(split or [])
        pos = 0
        while pos < len(data):
            n = sizes.pop(0) if sizes else len(data) - pos
            self._send(from_client, PSH | ACK, data[pos:pos + n])
            pos += n

    def close(self):
        self._send(True, FIN | ACK, b"", consume=1)
        self._send(False, FIN | ACK, b"", consume=1)
        self._send(True, ACK, b"")


# --- one tlslab session, arrow by arrow (PROTOCOL.md §1) ----------------------------------------
class Session:
    def __init__(self, env, name, pki, server_cert, server_key, suite, server_port, ca_port,
                 client_port, ca_client_port, host="localhost", offer=None, groups=None, group=None):
        self.env, self.name, self.pki, self.rng = env, name, pki, env.rng
        self.cert, self.key, self.suite, self.host = server_cert, server_key, suite, host
        self.offer = offer or DEFAULT_OFFER
        # §7.6: a client offering an ECDHE suite offers groups too; the server picks `group`
        self.groups = groups or (DEFAULT_GROUPS if any(is_ecdhe(s) for s in self.offer) else None)
        self.group = group or (self.groups[0] if self.groups else None)
        self.ports = (server_port, ca_port, client_port, ca_client_port)
        self.client_random = self.rand(32)
        self.server_random = self.rand(32)
        self.transcript = b""

    def rand(self, n):
        return bytes(self.rng.getrandbits(8) for _ in range(n))

    def hello_and_status(self, revoked=False, split_server_hello=True, header_alone=False):
        """Arrows 1-4. `header_alone`: the ClientHello and StatusRequest headers go in their own
        5-byte segments (a sender writing header and fragment separately), the very first
        segments the heuristic dissector sees."""
        first = [5] if header_alone else None
        server_port, ca_port, client_port, ca_client_port = self.ports
        self.conn = TcpConnection(self.env.pcap, client_port, server_port, self.rng)
        # (1) ClientHello, §4
        ch_extensions = server_name_extension(self.host)
        if self.groups:
            ch_extensions += key_share_client_extension(self.groups)
        ch = client_hello(self.client_random, self.offer, ch_extensions)
        self.conn.send(True, frame(CT_HANDSHAKE, ch), split=first)
        # (2) ServerHello, §5 -- split over two TCP segments to exercise reassembly
        cert_der = self.cert.public_bytes(serialization.Encoding.DER)
        spki = self.cert.public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
        sh_extensions = b""
        if is_ecdhe(self.suite):
            # §7.6: the server's ephemeral key in the chosen group, signed with the certificate's key
            self.server_ephemeral = EphemeralKey(self.group)
            share = self.server_ephemeral.public
            scheme, signature = sign_key_share(self.key, self.client_random, self.server_random, self.group, share)
            assert verify_key_share(self.cert.public_key(), scheme, signature, self.client_random,
                                    self.server_random, self.group, share)
            sh_extensions = key_share_server_extension(self.group, share, scheme, signature)
            # (tshark -T fields prints these uint16 fields in hex, 0x001d)
            self.env.record(self.name, GROUP=GROUPS[self.group], GROUP_VALUE="0x%04x" % self.group,
                            SERVER_SHARE=share.hex(), SCHEME="0x%04x" % scheme, SCHEME_NAME=SIGNATURE_SCHEMES[scheme],
                            SIGNATURE=signature.hex(), SIGNED_CONTENT=key_share_signed_content(
                                self.client_random, self.server_random, self.group, share).hex(),
                            OFFERED_GROUPS=",".join("0x%04x" % g for g in self.groups),
                            OFFERED_GROUP_NAMES=",".join(GROUPS[g] for g in self.groups))
        sh = server_hello(self.server_random, self.suite, cert_der, spki, sh_extensions)
        self.conn.send(False, frame(CT_HANDSHAKE, sh), split=[700] if split_server_hello else None)
        self.transcript = ch + sh
        # (3), (4) status request / response on a separate connection to the CA, §9
        ca = TcpConnection(self.env.pcap, ca_client_port, ca_port, self.rng)
        nonce = self.rand(32)
        ca.send(True, frame(CT_HANDSHAKE, status_request(cert_der, nonce)), split=first)
        ocsp_der = self.pki.ocsp_response(self.cert, nonce, revoked=revoked)
        ca.send(False, frame(CT_HANDSHAKE, status_response(ocsp_der)))
        ca.close()
        self.env.record(self.name, CLIENT_RANDOM=self.client_random.hex(),
                        SERVER_RANDOM=self.server_random.hex(), NONCE=nonce.hex(),
                        SUITE=SUITES[self.suite][0], SERVER_PORT=server_port, CA_PORT=ca_port)

    def key_exchange(self):
        """(5) ClientKeyExchange and the §7.2 key schedule; returns the CKE frame."""
        self.hash_name = SUITES[self.suite][2]
        if is_ecdhe(self.suite):
            # §7.6: the client's ephemeral key; PRE-MASTER = the ECDH shared secret, never sent
            client_ephemeral = EphemeralKey(self.group)
            pre_master = client_ephemeral.shared_secret(self.server_ephemeral.public)
            assert pre_master == self.server_ephemeral.shared_secret(client_ephemeral.public)
            cke = client_key_exchange_ecdhe(client_ephemeral.public)
            self.env.record(self.name, CLIENT_SHARE=client_ephemeral.public.hex(), PRE_MASTER=pre_master.hex())
        else:
            pre_master = u16(VERSION) + self.rand(46)
            encrypted = self.cert.public_key().encrypt(pre_master, padding.OAEP(
                mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
            cke = client_key_exchange(encrypted)
        self.transcript += cke
        self.master = master_secret(self.hash_name, pre_master, self.client_random, self.server_random)
        client_key, server_key, client_iv, server_iv = key_block(self.suite, self.master, self.client_random,
                                                                 self.server_random)
        self.client_prot = RecordProtection(self.suite, client_key, client_iv)
        self.server_prot = RecordProtection(self.suite, server_key, server_iv)
        self.env.keylog.append(keylog_line(self.client_random, self.master))
        self.env.record(self.name, MASTER=self.master.hex())
        return frame(CT_HANDSHAKE, cke)

    def finished(self, client):
        """(6) / (7) Finished, §7.3; returns the protected frame."""
        transcript_hash = hashlib.new(self.hash_name, self.transcript).digest()
        verify = verify_data(self.hash_name, self.master, "client" if client else "server", transcript_hash)
        fin = finished(verify)
        self.transcript += fin
        self.env.record(self.name, **{("CLIENT" if client else "SERVER") + "_VERIFY": verify.hex()})
        return (self.client_prot if client else self.server_prot).seal(CT_HANDSHAKE, fin)

    def app(self, client, data):
        """(8) application data, §10; returns the protected frame."""
        return (self.client_prot if client else self.server_prot).seal(CT_APPLICATION_DATA, data)

    def close_notify(self, client):
        return (self.client_prot if client else self.server_prot).seal(CT_ALERT, alert(CLOSE_NOTIFY, ALERT_WARNING))

    def get_and_close(self, path, body):
        """(8) one GET and its 200 response, then close_notify both ways and the TCP close."""
        self.conn.send(True, self.app(True, http_request(path)))
        self.conn.send(False, self.app(False, http_response(body)))
        self.conn.send(True, self.close_notify(True))
        self.conn.send(False, self.close_notify(False))
        self.conn.close()


def http_response(body, content_type="text/plain"):
    return (b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type.encode()
            + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def http_request(path, host="localhost"):
    return ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlslab-client\r\n\r\n" % (path, host)).encode()


class Env:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.pcap = None
        self.keylog = []
        self.expected = {}
        self.next_port = 50000 + self.rng.randrange(5000)

    def port(self):
        self.next_port += 1
        return self.next_port

    def record(self, session, **values):
        for k, v in values.items():
            self.expected["%s_%s" % (session, k)] = v


def good_capture(env, pki, server_key, server_cert, now):
    env.pcap = Pcap(epoch(now))

    # Session A: AES-128-GCM on ephemeral ports (decoded by the heuristic dissector).
    a = Session(env, "A", pki, server_cert, server_key, 0x0A01, 41001, 41002, env.port(), env.port())
    a.hello_and_status()
    a.conn.send(True, a.key_exchange() + a.finished(True))     # two frames in one segment
    a.conn.send(False, a.finished(False))
    a.conn.send(True, a.app(True, http_request("/hello")))
    a.conn.send(False, a.app(False, http_response(b"hello from tlslab\n")))
    # an HTTP response spread over two protected frames (HTTP reassembly across records)
    big = (b"0123456789abcdef" * 200)[:3000]
    resp = http_response(big, "application/octet-stream")
    a.conn.send(True, a.app(True, http_request("/big")))
    a.conn.send(False, a.app(False, resp[:1200]) + a.app(False, resp[1200:]), split=[1000])
    a.conn.send(True, a.close_notify(True))
    a.conn.send(False, a.close_notify(False))
    a.conn.close()

    # Session B: ChaCha20-Poly1305 on the default ports 4433/4434.
    b = Session(env, "B", pki, server_cert, server_key, 0x0A03, 4433, 4434, env.port(), env.port(),
                offer=[0x0A03, 0x0A02])
    b.hello_and_status(split_server_hello=False)
    b.conn.send(True, b.key_exchange())
    b.conn.send(True, b.finished(True))
    b.conn.send(False, b.finished(False))
    b.get_and_close("/chacha", b"chacha\n")

    # Session C: AES-256-GCM / SHA-384; first frames of both connections with the header alone
    # in a segment, one protected frame split in three segments, three frames in one segment.
    c = Session(env, "C", pki, server_cert, server_key, 0x0A02, 42001, 42002, env.port(), env.port(),
                offer=[0x0A02])
    c.hello_and_status(header_alone=True)
    c.conn.send(True, c.key_exchange())
    c.conn.send(True, c.finished(True))
    c.conn.send(False, c.finished(False))
    c.conn.send(True, c.app(True, http_request("/one")) + c.app(True, http_request("/two"))
                + c.app(True, http_request("/three")))
    c.conn.send(False, c.app(False, http_response(b"x" * 2000)), split=[3, 900])
    c.conn.send(False, c.app(False, http_response(b"two\n")) + c.app(False, http_response(b"three\n")))
    c.conn.send(True, c.close_notify(True))
    c.conn.send(False, c.close_notify(False))
    c.conn.close()
    return env.pcap


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)

    # Whole seconds: certificate and OCSP times are encoded with second precision.
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None)
    env = Env(args.seed)
    pki = Pki(now)
    server_key, server_cert = pki.issue("localhost", 0x1001)
    env.expected["SERVER_CN"] = "localhost"
    env.expected["CA_CN"] = "tlslab test CA"

    good_capture(env, pki, server_key, server_cert, now).write(os.path.join(args.outdir, "tlslab-good.pcap"))
    write_alert_capture(env, pki, now, os.path.join(args.outdir, "tlslab-alert.pcap"))
    write_malformed_capture(env, now, os.path.join(args.outdir, "tlslab-malformed.pcap"))
    write_ecdhe_capture(env, pki, server_key, server_cert, now, os.path.join(args.outdir, "tlslab-ecdhe.pcap"))
    write_ecdhe_bad_capture(env, pki, server_key, server_cert, now, os.path.join(args.outdir, "tlslab-ecdhe-bad.pcap"))

    with open(os.path.join(args.outdir, "keylog.txt"), "w") as f:
        f.write("# tlslab synthetic key log\n" + "\n".join(env.keylog) + "\n")
    with open(os.path.join(args.outdir, "expected.env"), "w") as f:
        for k, v in sorted(env.expected.items()):
            f.write("%s='%s'\n" % (k, v))
    print("make_pcap: wrote %s (seed %d)" % (args.outdir, args.seed))


def write_alert_capture(env, pki, now, path):
    env.pcap = Pcap(epoch(now) + 60)
    # Session D: the CA says revoked -> client sends certificate_revoked in the clear (§9 step 7).
    revoked_key, revoked_cert = pki.issue("revoked.localhost", 0x2002)
    d = Session(env, "D", pki, revoked_cert, revoked_key, 0x0A01, 43001, 43002, env.port(), env.port(),
                host="revoked.localhost")
    d.hello_and_status(revoked=True)
    d.conn.send(True, frame(CT_ALERT, alert(CERTIFICATE_REVOKED)))
    d.conn.close()

    # Session E: one byte of the client's Finished flipped on the wire -> the server cannot
    # open it and answers bad_record_mac in the clear (its own direction is not protected yet).
    server_key, server_cert = pki.issue("localhost", 0x2003)
    e = Session(env, "E", pki, server_cert, server_key, 0x0A01, 43011, 43012, env.port(), env.port())
    e.hello_and_status(split_server_hello=False)
    cke = e.key_exchange()
    fin = bytearray(e.finished(True))
    fin[10] ^= 0x40
    e.conn.send(True, cke + bytes(fin))
    e.conn.send(False, frame(CT_ALERT, alert(BAD_RECORD_MAC)))
    e.conn.close()

    # Session F: a status request whose nonce is too short (nonce<16..32>, §9): the CA answers
    # decode_error in the clear.
    ca = TcpConnection(env.pcap, env.port(), 43022, env.rng)
    cert_der = server_cert.public_bytes(serialization.Encoding.DER)
    ca.send(True, frame(CT_HANDSHAKE, status_request(cert_der, bytes(8))))
    ca.send(False, frame(CT_ALERT, alert(DECODE_ERROR)))
    ca.close()
    env.pcap.write(path)


def write_malformed_capture(env, now, path):
    """Broken frames after a valid ClientHello, on port 4433 (the heuristic would refuse them)."""
    env.pcap = Pcap(epoch(now) + 120)
    conn = TcpConnection(env.pcap, env.port(), 4433, env.rng)
    conn.send(True, frame(CT_HANDSHAKE, client_hello(bytes(32), [0x0A01])))
    # handshake length (uint24) larger than the frame
    conn.send(False, frame(CT_HANDSHAKE, u8(HT_SERVER_HELLO) + u24(500) + bytes(20)))
    # truncated ServerHello body: certificate vector runs past the end
    conn.send(False, frame(CT_HANDSHAKE, handshake(HT_SERVER_HELLO, u16(VERSION) + bytes(32)
                                                   + u16(0x0A01) + u16(4000) + bytes(10))))
    # unknown content type, wrong version, unknown handshake type, bad alert length
    conn.send(False, frame(99, b"abc"))
    conn.send(False, frame(CT_HANDSHAKE, handshake(HT_SERVER_HELLO, b""), version=0x0303))
    conn.send(False, frame(CT_HANDSHAKE, handshake(7, b"zz")))
    conn.send(False, frame(CT_ALERT, b"\x02\x28\x00"))
    # protected frame too short to hold a tag, then a length over the §2 limit
    conn.send(False, frame(CT_PROTECTED, b"short"))
    conn.send(False, u8(CT_HANDSHAKE) + u16(VERSION) + u16(20000) + bytes(40))
    conn.close()
    env.pcap.write(path)


def write_ecdhe_capture(env, pki, rsa_key, rsa_cert, now, path):
    """Complete ECDHE sessions (§7.6), decryptable with the key log like the others."""
    env.pcap = Pcap(epoch(now) + 180)
    ec_key, ec_cert = pki.issue("localhost", 0x3001, key_type="ec")
    env.expected["EC_SERIAL"] = 0x3001

    # Session G: x25519, the RSA certificate signs with RSA-PSS; ports the heuristic finds.
    g = Session(env, "G", pki, rsa_cert, rsa_key, 0x0B01, 44001, 44002, env.port(), env.port(),
                offer=[0x0B01, 0x0B03, 0x0B02], groups=[GROUP_X25519, GROUP_SECP256R1])
    g.hello_and_status()
    g.conn.send(True, g.key_exchange() + g.finished(True))
    g.conn.send(False, g.finished(False))
    g.get_and_close("/ecdhe-x25519", b"forward secrecy\n")

    # Session H: secp256r1, an EC P-256 certificate signs with ECDSA; AES-256-GCM / SHA-384, on
    # the default ports 4433/4434.
    h = Session(env, "H", pki, ec_cert, ec_key, 0x0B02, 4433, 4434, env.port(), env.port(),
                offer=[0x0B02, 0x0B01], groups=[GROUP_SECP256R1])
    h.hello_and_status(split_server_hello=False)
    h.conn.send(True, h.key_exchange())
    h.conn.send(True, h.finished(True))
    h.conn.send(False, h.finished(False))
    h.get_and_close("/ecdhe-p256", b"p256\n")

    # Session I: ChaCha20-Poly1305, the client prefers secp256r1, the server picks x25519; the
    # EC certificate signs.
    i = Session(env, "I", pki, ec_cert, ec_key, 0x0B03, 44011, 44012, env.port(), env.port(),
                offer=[0x0B03], groups=[GROUP_SECP256R1, GROUP_X25519], group=GROUP_X25519)
    i.hello_and_status()
    i.conn.send(True, i.key_exchange())
    i.conn.send(True, i.finished(True))
    i.conn.send(False, i.finished(False))
    i.get_and_close("/ecdhe-chacha", b"chacha\n")
    env.pcap.write(path)


def write_ecdhe_bad_capture(env, pki, rsa_key, rsa_cert, now, path):
    """ECDHE ServerHellos a client refuses (§7.6 checks), each followed by the client's alert, on
    port 4433: the dissector flags them and goes on."""
    env.pcap = Pcap(epoch(now) + 240)
    cert_der = rsa_cert.public_bytes(serialization.Encoding.DER)
    spki = rsa_cert.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)

    def refused(name, suite, groups, sh_extension, client_alert):
        client_random, server_random = env_rand(env, 32), env_rand(env, 32)
        conn = TcpConnection(env.pcap, env.port(), 4433, env.rng)
        ch_extensions = server_name_extension("localhost")
        if groups:
            ch_extensions += key_share_client_extension(groups)
        offer = [suite] if is_ecdhe(suite) else [suite, 0x0B01]
        conn.send(True, frame(CT_HANDSHAKE, client_hello(client_random, offer, ch_extensions)))
        sh_extensions = sh_extension(client_random, server_random)
        conn.send(False, frame(CT_HANDSHAKE, server_hello(server_random, suite, cert_der, spki, sh_extensions)))
        conn.send(True, frame(CT_ALERT, alert(client_alert)))
        conn.close()
        env.record(name, CLIENT_RANDOM=client_random.hex(), SERVER_RANDOM=server_random.hex())

    def signed_share(group):
        def build(client_random, server_random):
            share = EphemeralKey(group).public
            scheme, signature = sign_key_share(rsa_key, client_random, server_random, group, share)
            return key_share_server_extension(group, share, scheme, signature)
        return build

    # J: the ServerKeyShare cut after 40 bytes (the extension's own length is consistent: the
    # key share inside it is what is truncated): decode_error.
    def truncated(client_random, server_random):
        share = EphemeralKey(GROUP_X25519).public
        scheme, signature = sign_key_share(rsa_key, client_random, server_random, GROUP_X25519, share)
        return key_share_server_extension(0, b"", 0, b"",
                                          data=server_key_share(GROUP_X25519, share, scheme, signature)[:40])
    refused("J", 0x0B01, [GROUP_X25519, GROUP_SECP256R1], truncated, DECODE_ERROR)
    # K: a valid, signed secp256r1 share, but the client offered x25519 only: illegal_parameter.
    refused("K", 0x0B01, [GROUP_X25519], signed_share(GROUP_SECP256R1), ILLEGAL_PARAMETER)
    # L: the ClientHello offered no ECDHE suite and no groups, the ServerHello (RSA suite) still
    # carries a key_share: unsupported_extension (§3.1).
    refused("L", 0x0A01, None, signed_share(GROUP_X25519), UNSUPPORTED_EXTENSION)
    # M: an ECDHE suite chosen, no key_share in the ServerHello: illegal_parameter.
    refused("M", 0x0B01, [GROUP_X25519], lambda cr, sr: b"", ILLEGAL_PARAMETER)
    env.pcap.write(path)


def env_rand(env, n):
    return bytes(env.rng.getrandbits(8) for _ in range(n))


if __name__ == "__main__":
    sys.exit(main())
