#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (tests/fuzz/corpus/fuzz_*/) and fixed PKI (tests/fuzz/pki/)
from real runs of tlslab-ca, tlslab-server and tlslab-client.

    tests/fuzz/make_corpus.py [--bin build/bin] [--out tests/fuzz]

The client talks to the server and to the CA through a small TCP relay that records every frame
(5-byte header + fragment) in each direction; each fragment goes to the corpus of the parser that
reads it. Sessions: one per cipher suite, plus the failures that put alerts on the wire (revoked
certificate, wrong name, unknown CA, no common suite, garbage to the CA). The script also asks the
CA directly with a fixed nonce (32 bytes of 5a, the one fuzz_status_response_verify expects),
asks its OCSP-over-HTTP endpoint with `openssl ocsp`, and adds the frames of PROTOCOL.md §12 as
printed by tlslab-codec-examples.

tests/fuzz/pki/ receives the run's CA certificate, the good and revoked server certificates and the
Unix time of the run: the fuzzers that verify signatures and validity use them, so re-running this
script replaces corpus and PKI together (files named corpus/*/regression-*, inputs that once
crashed a fuzzer, are kept). Nothing secret is written (no private key).
"""
import argparse
import base64
import hashlib
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "tests" / "lib"))
import harness  # noqa: E402  (the e2e Lab: processes on port 0, killed on exit)
from tlslab_wire import frame, handshake, split_frames, status_request  # noqa: E402

FIXED_NONCE = bytes([0x5A]) * 32
SUITES = ["aes128gcm", "chacha20", "aes256gcm"]
# The selector byte of fuzz_record_open: low bits pick the suite, 0x40 the server's keys, 0x80
# sealed mode.
SUITE_SELECTOR = {"aes128gcm": 0, "aes256gcm": 1, "chacha20": 2}
# The ECDHE sessions (PROTOCOL.md §7.6): suite, group, and the server's certificate key.
ECDHE_SESSIONS = [("ecdhe-aes128gcm", "x25519", "rsa"), ("ecdhe-aes256gcm", "p256", "rsa"),
                  ("ecdhe-chacha20", "x25519", "ec"), ("ecdhe-aes128gcm", "p256", "ec")]
HANDSHAKE_CORPUS = {1: "fuzz_client_hello", 2: "fuzz_server_hello", 16: "fuzz_client_key_exchange",
                    20: "fuzz_finished", 64: "fuzz_status_request", 65: "fuzz_status_response"}
MAX_FILES = 29


def pem_to_der(path):
    text = Path(path).read_text()
    body = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", text, re.S).group(1)
    return base64.b64decode("".join(body.split()))


class Relay:
    """Listens on 127.0.0.1:0 and forwards each connection to `target`, recording both directions."""

    def __init__(self, target_port, label):
        self.target_port = target_port
        self.label = label
        self.connections = []  # [{"up": bytearray, "down": bytearray}]
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.threads = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            record = {"up": bytearray(), "down": bytearray()}
            self.connections.append(record)
            for source, sink, buffer in ((client, upstream, record["up"]), (upstream, client, record["down"])):
                thread = threading.Thread(target=self._pump, args=(source, sink, buffer), daemon=True)
                thread.start()
                self.threads.append(thread)

    @staticmethod
    def _pump(source, sink, buffer):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                buffer.extend(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def settle(self):
        """Waits until every recorded connection has ended in both directions."""
        for thread in list(self.threads):
            thread.join(timeout=10)

    def close(self):
        self.listener.close()


class Corpus:
    def __init__(self, out):
        self.out = out
        self.seeds = {}  # fuzzer -> {name: bytes}
        # Inputs that once crashed a fuzzer (corpus/*/regression-*) are kept as they are.
        self.kept = {}  # fuzzer -> {name: bytes}
        for path in sorted((out / "corpus").glob("*/regression-*")):
            self.kept.setdefault(path.parent.name, {})[path.name] = path.read_bytes()

    def add(self, fuzzer, name, data):
        seeds = self.seeds.setdefault(fuzzer, {})
        kept = self.kept.get(fuzzer, {})
        if data in seeds.values() or data in kept.values() or len(seeds) + len(kept) >= MAX_FILES:
            return
        name = re.sub(r"[^A-Za-z0-9_.-]", "-", name)
        if name in seeds:
            name += "-" + hashlib.sha256(data).hexdigest()[:8]
        seeds[name] = bytes(data)

    # Corpora another script writes, which this one leaves as they are: the TLS messages recorded from
    # openssl s_server/s_client (tests/unit/data/tls/capture.py writes fuzz_tls_handshake_view).
    # tests/fuzz/explain_seeds.py writes fuzz_explain_records and fuzz_explain_capture.
    FOREIGN = ("fuzz_tls_handshake_view", "fuzz_explain_records", "fuzz_explain_capture")

    def write(self):
        corpus = self.out / "corpus"
        for directory in corpus.glob("*") if corpus.is_dir() else []:
            if directory.name not in self.FOREIGN:
                shutil.rmtree(directory, ignore_errors=True)
        total = 0
        for fuzzer in sorted(set(self.seeds) | set(self.kept)):
            files = {**self.seeds.get(fuzzer, {}), **self.kept.get(fuzzer, {})}
            directory = corpus / fuzzer
            directory.mkdir(parents=True)
            for name, data in files.items():
                (directory / name).write_bytes(data)
            size = sum(map(len, files.values()))
            total += size
            kept = len(self.kept.get(fuzzer, {}))
            print(f"  {fuzzer:32} {len(files):3} files {size:7} bytes" + (f" ({kept} regression-*)" if kept else ""))
        print(f"  total {total} bytes")


def add_frames(corpus, label, direction, stream, selector=None, whole_stream=True):
    """Routes each frame of one direction to the corpora of the parsers that read it: the whole
    stream to fuzz_frame_header, each fragment to its parser's corpus, the first two protected
    frames (Finished, then data) to fuzz_record_open with `selector`."""
    frames = split_frames(bytes(stream))
    if frames and whole_stream:
        corpus.add("fuzz_frame_header", f"{label}-{direction}-stream", bytes(stream))
    protected = 0
    for index, data in enumerate(frames):
        content_type, fragment = data[0], data[5:]
        name = f"{label}-{direction}-{index}"
        if content_type == 22 and fragment and fragment[0] in HANDSHAKE_CORPUS:
            fuzzer = HANDSHAKE_CORPUS[fragment[0]]
            corpus.add(fuzzer, name, fragment)
            if fragment[0] == 64:
                corpus.add("fuzz_ca_status_request", name, fragment)
            if fragment[0] == 65 and len(fragment) > 6:
                corpus.add("fuzz_status_response_verify", name, fragment[6:])  # the DER OCSPResponse
                corpus.add("fuzz_staple_verify", name, fragment[6:])  # as a staple: checked by its age
            if fragment[0] == 16:  # arrow 5, in either form of key exchange (fuzz_client_authentication's byte)
                corpus.add("fuzz_client_authentication", f"{name}-rsa", bytes([0]) + fragment)
                corpus.add("fuzz_client_authentication", f"{name}-ecdhe", bytes([1]) + fragment)
            if fragment[0] == 2:
                add_server_hello_certificate(corpus, name, fragment)
            if fragment[0] == 16 and fragment[4:5] in (b"\x20", b"\x41"):  # an ECDHE key share (32 or 65 bytes)
                corpus.add("fuzz_client_key_share", name, fragment)
        elif content_type == 21:
            corpus.add("fuzz_alert", name, fragment)
        elif content_type == 23 and selector is not None and protected < 2:
            protected += 1
            corpus.add("fuzz_record_open", name, bytes([selector]) + data)


def add_hellos(corpus, name, up, down):
    """fuzz_server_key_share's input: the connection's ClientHello and ServerHello, back to back."""
    frames = split_frames(bytes(up)) + split_frames(bytes(down))
    hellos = [f[5:] for f in frames if len(f) > 5 and f[0] == 22 and f[5] in (1, 2)]
    if len(hellos) >= 2 and hellos[0][0] == 1 and hellos[1][0] == 2:
        corpus.add("fuzz_server_key_share", name, hellos[0] + hellos[1])


def invalid_key_shares(corpus):
    """ClientKeyShares that §7.6 refuses: x25519's point 0 (low order) and 1, P-256 points off the
    curve, compressed and at infinity, wrong lengths."""
    p256_generator = bytes.fromhex("046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
                                   "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")
    shares = {"x25519-zero": bytes(32), "x25519-one": b"\x01" + bytes(31), "x25519-short": bytes(31),
              "p256-generator": p256_generator, "p256-off-curve": p256_generator[:-1] + b"\x00",
              "p256-compressed": b"\x02" + p256_generator[1:33], "p256-infinity": b"\x00"}
    for name, share in shares.items():
        corpus.add("fuzz_client_key_share", f"invalid-{name}", handshake(16, bytes([len(share)]) + share))


def add_server_hello_certificate(corpus, name, message):
    body = message[4:]
    at = 2 + 32 + 2
    length = int.from_bytes(body[at:at + 2], "big")
    corpus.add("fuzz_certificate", f"{name}-certificate", body[at + 2:at + 2 + length])


def spec_examples(corpus, binary):
    """The frames of PROTOCOL.md §12, as tlslab-codec-examples prints them."""
    text = subprocess.run([binary], capture_output=True, text=True, check=True).stdout
    for name, header, fragment in re.findall(r"```hex (\w+)\n([0-9a-f]{10}) ([0-9a-f]+)\n```", text):
        data = bytes.fromhex(header + fragment)
        if name == "finished_protected":
            # Opens under fuzz_record_open's fixed keys (client direction, AES-128-GCM, sequence 0).
            corpus.add("fuzz_record_open", "spec-finished_protected", bytes([0]) + data)
        else:
            add_frames(corpus, f"spec-{name}", "frame", data)
    # §12's Finished message in the clear: the content of the protected frame above.
    spec_finished = re.search(r"inner plaintext is\s*`([0-9a-f]+)`", (ROOT / "docs" / "PROTOCOL.md").read_text())
    if spec_finished:
        corpus.add("fuzz_finished", "spec-finished", bytes.fromhex(spec_finished.group(1)))


def verify_data_of(trace_path):
    """The client's and server's verify_data from a client --trace-json file."""
    found = []
    for line in harness.read_json_lines(trace_path):
        if str(line.get("message", "")).startswith("Finished"):
            value = line.get("fields", {}).get("verify_data")
            if value:
                found.append((line["message"], bytes.fromhex(value)))
    return found


def ask_ca_directly(port, certificates):
    """One connection carrying several StatusRequests with the fixed nonce (§9 allows it)."""
    exchanges = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        for name, certificate in certificates:
            request = status_request(certificate, FIXED_NONCE)
            conn.sendall(frame(22, request))
            header = recv_exactly(conn, 5)
            response = recv_exactly(conn, struct.unpack(">BHH", header)[2])
            exchanges.append((name, request, header[0], response))
    return exchanges


def recv_exactly(conn, count):
    data = b""
    while len(data) < count:
        more = conn.recv(count - len(data))
        if not more:
            raise RuntimeError("CA closed the connection early")
        data += more
    return data


def garbage_to_ca(port, payload):
    """Sends bytes that are not a valid request; returns what the CA answers (an alert)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(payload)
        conn.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            more = conn.recv(4096)
            if not more:
                return data
            data += more


def crl_lists(corpus):
    """Seeds of fuzz_crl_verify: CertificateLists built with Python's cryptography (OpenSSL
    underneath) by a throw-away CA, since the fuzzer signs each input again with its own CA: lists
    with reasons and dates, many entries, and the extensions a client must refuse."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tlslab seed CRL CA")])
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)

    def build(label, number=5, entries=(), extensions=(), lifetime=datetime.timedelta(hours=1), start=now):
        builder = (x509.CertificateRevocationListBuilder().issuer_name(name).last_update(start)
                   .next_update(start + lifetime).add_extension(x509.CRLNumber(number), critical=False))
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        for serial, reason in entries:
            entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now)
            if reason is not None:
                entry = entry.add_extension(x509.CRLReason(reason), critical=False)
            builder = builder.add_revoked_certificate(entry.build())
        corpus.add("fuzz_crl_verify", label, builder.sign(key, hashes.SHA256()).public_bytes(Encoding.DER))

    flags = x509.ReasonFlags
    build("empty")
    build("reasons", entries=[(0x1234, flags.key_compromise), (0xABCDEF, flags.superseded), (7, None)])
    build("many", entries=[(serial * 7919, flags.cessation_of_operation) for serial in range(1, 120)])
    build("old-number", number=2, entries=[(0x42, flags.key_compromise)])
    build("long-lived", lifetime=datetime.timedelta(days=30))
    build("stale", start=now - datetime.timedelta(hours=2))
    build("delta", extensions=[(x509.DeltaCRLIndicator(4), True)])
    build("issuing-distribution-point",
          extensions=[(x509.IssuingDistributionPoint(None, None, True, False, None, False, False), True)])
    build("unknown-critical",
          extensions=[(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00"), True)])


def report_traces(corpus):
    """Seeds of fuzz_report_traces: the client's, the server's and the CA's --trace-json lines of
    one handshake, concatenated (each line names its side), for the variants tlslab-report merges."""
    import merged_report  # the e2e runs of the three programs with --trace-json
    for variant, secrets in (("plain", False), ("stapled", False), ("mutual", True), ("failed", False)):
        with harness.Lab() as lab:
            run = merged_report.Run(lab, variant=variant, secrets=secrets, name=variant)
            text = b"".join(Path(path).read_bytes() for path in run.files())
        corpus.add("fuzz_report_traces", f"{variant}-run", text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", default=os.environ.get("TLSLAB_BIN", str(ROOT / "build" / "bin")),
                        help="directory of tlslab-ca, tlslab-server, tlslab-client, tlslab-codec-examples")
    parser.add_argument("--out", default=str(HERE), help="where corpus/ and pki/ are (re)written")
    args = parser.parse_args()
    harness.BIN = args.bin
    out = Path(args.out)
    corpus = Corpus(out)

    with harness.Lab() as lab:
        ca_dir = lab.make_ca()
        trust = os.path.join(ca_dir, "ca.crt")
        cert, key, _ = lab.issue(ca_dir, name="server")
        revoked_cert, revoked_key, revoked_serial = lab.issue(ca_dir, name="revoked")
        lab.run(harness.exe("tlslab-ca"), "revoke", "--dir", ca_dir, "--serial", revoked_serial,
                "--reason", "keyCompromise")
        expired_cert, _, _ = lab.issue(ca_dir, name="expired", extra=("--not-before", "-30d", "--days", "1"))
        big_cert, _, _ = lab.issue(ca_dir, name="rsa3072", cn="server.test", sans="DNS:server.test",
                                   extra=("--key-type", "rsa3072"))
        other_ca = lab.make_ca("other-ca")
        other_cert, _, _ = lab.issue(other_ca, name="other")

        _, ca_port, http_port = lab.start_ca(ca_dir, http=True)
        _, server_port = lab.start_server(cert, key)
        _, revoked_port = lab.start_server(revoked_cert, revoked_key)
        _, aes_only_port = lab.start_server(cert, key, ("--suites", "aes128gcm"))
        ec_cert, ec_key, _ = lab.issue(ca_dir, name="ec-server", extra=("--key-type", "ec-p256"))
        _, ec_port = lab.start_server(ec_cert, ec_key)
        # The CA's other arrows (§9.1, §7.7): a server that staples, one that requires a client
        # certificate, and alice's.
        _, stapling_port = lab.start_server(cert, key, ("--staple-from", f"127.0.0.1:{ca_port}", "--staple-trust",
                                                        trust))
        _, mutual_port = lab.start_server(cert, key, ("--client-auth", "require", "--client-trust", trust,
                                                      "--ca-service", f"127.0.0.1:{ca_port}"))
        alice_cert, alice_key = lab.path("alice.crt"), lab.path("alice.key")
        lab.run(harness.exe("tlslab-ca"), "issue", "--client", "--dir", ca_dir, "--cn", "alice", "--out-cert",
                alice_cert, "--out-key", alice_key)

        def session(label, port, extra=(), client_trust=trust, selector=None, expect_ok=True, whole_streams=True):
            server_relay, ca_relay = Relay(port, label), Relay(ca_port, label)
            trace = lab.path(f"{label}.jsonl")
            result = lab.client(server_relay.port, ca_relay.port, client_trust,
                                ("--quiet", "--trace-json", trace, *extra))
            if expect_ok and result.returncode != 0:
                raise RuntimeError(f"session {label} failed: {result.stdout}{result.stderr}")
            if not expect_ok and result.returncode == 0:
                raise RuntimeError(f"session {label} should have failed")
            time.sleep(0.2)  # let the server's close_notify and FIN through
            for relay, peer in ((server_relay, "server"), (ca_relay, "ca")):
                relay.settle()
                relay.close()
                for number, connection in enumerate(relay.connections):
                    name = f"{label}-{peer}{number if number else ''}"
                    if peer == "server":
                        add_hellos(corpus, name, connection["up"], connection["down"])
                    add_frames(corpus, name, "up", connection["up"], selector, whole_streams)
                    add_frames(corpus, name, "down", connection["down"],
                               None if selector is None else selector | 0x40, whole_streams)
            return trace

        # First what the corpora must hold whatever the sessions add: §12's frames, and for
        # fuzz_record_open's sealed mode the inner plaintexts (content || inner type) that the
        # protected frames of the sessions carry.
        spec_examples(corpus, harness.exe("tlslab-codec-examples"))
        for suite in SUITES:
            selector = 0x80 | SUITE_SELECTOR[suite]
            corpus.add("fuzz_record_open", f"sealed-{suite}-get",
                       bytes([selector]) + b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n" + bytes([23]))
        corpus.add("fuzz_record_open", "sealed-close_notify", bytes([0x80]) + bytes([1, 0, 21]))
        corpus.add("fuzz_record_open", "sealed-empty-application-data", bytes([0x80, 23]))

        # One good session per suite; its Finished messages (from the trace) seed fuzz_finished and
        # fuzz_record_open's sealed mode.
        for suite in SUITES:
            selector = SUITE_SELECTOR[suite]
            trace = session(suite, server_port, ("--suites", suite, "--get", "/", "--get", "/"),
                            selector=selector, whole_streams=suite == SUITES[0])
            for message, verify_data in verify_data_of(trace):
                finished = handshake(20, verify_data)
                sender = "client" if "test message" in message else "server"
                corpus.add("fuzz_finished", f"{suite}-{sender}-finished", finished)
                server_bit = 0x40 if sender == "server" else 0
                corpus.add("fuzz_record_open", f"sealed-{suite}-{sender}-finished",
                           bytes([0x80 | server_bit | selector]) + finished + bytes([22]))
        # The ECDHE sessions: key_share in both hellos, the client's key share at arrow 5.
        for suite, group, key_type in ECDHE_SESSIONS:
            session(f"{suite}-{group}-{key_type}", ec_port if key_type == "ec" else server_port,
                    ("--suites", suite, "--groups", group), whole_streams=False)
        invalid_key_shares(corpus)
        # The stapled ServerHello (fuzz_server_hello) and arrow 5 with the client's certificate
        # (fuzz_client_authentication), in both forms of key exchange.
        session("stapled", stapling_port, ("--ca-check", "stapled"))
        session("mutual-rsa", mutual_port, ("--cert", alice_cert, "--key", alice_key, "--suites", "aes128gcm"))
        session("mutual-ecdhe", mutual_port, ("--cert", alice_cert, "--key", alice_key, "--suites", "ecdhe-aes128gcm"))
        corpus.add("fuzz_certificate", "client-alice", pem_to_der(alice_cert))
        # Failures that put alerts in the clear on the wire.
        session("revoked", revoked_port, expect_ok=False)
        session("wrong-name", server_port, ("--server-name", "other.test"), expect_ok=False)
        session("unknown-ca", server_port, client_trust=os.path.join(other_ca, "ca.crt"), expect_ok=False)
        session("no-common-suite", aes_only_port, ("--suites", "aes256gcm"), expect_ok=False)
        for name, payload in (("garbage", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
                              ("client-hello-to-ca", frame(22, handshake(1, b"\x01\x00" + bytes(32)))),
                              ("short-nonce", frame(22, status_request(pem_to_der(cert), b"\x01" * 8)))):
            answer = garbage_to_ca(ca_port, payload)
            add_frames(corpus, f"ca-{name}", "down", answer)

        # The CA asked directly, with the fixed nonce: answers fuzz_status_response_verify accepts.
        asked = [("server", pem_to_der(cert)), ("revoked", pem_to_der(revoked_cert)),
                 ("expired", pem_to_der(expired_cert)), ("rsa3072", pem_to_der(big_cert)),
                 ("other-ca", pem_to_der(other_cert)), ("ca-itself", pem_to_der(trust)),
                 ("not-a-certificate", b"\x30\x03\x02\x01\x01")]
        for name, request, answer_type, answer in ask_ca_directly(ca_port, asked):
            corpus.add("fuzz_ca_status_request", f"fixed-nonce-{name}", request)
            corpus.add("fuzz_status_request", f"fixed-nonce-{name}", request)
            if answer_type == 22 and answer[0] == 65:
                corpus.add("fuzz_status_response", f"fixed-nonce-{name}", answer)
                corpus.add("fuzz_status_response_verify", f"fixed-nonce-{name}", answer[6:])
                corpus.add("fuzz_staple_verify", f"fixed-nonce-{name}", answer[6:])
        for name, path in (("server", cert), ("revoked", revoked_cert), ("expired", expired_cert),
                           ("rsa3072", big_cert), ("other-ca", other_cert), ("ca-itself", trust)):
            corpus.add("fuzz_certificate", name, pem_to_der(path))

        # OCSP over HTTP, asked by `openssl ocsp` as any standard client would.
        url = f"http://127.0.0.1:{http_port}/"
        other_trust = os.path.join(other_ca, "ca.crt")
        for name, options in (("one", ["-issuer", trust, "-cert", cert]),
                              ("two", ["-issuer", trust, "-cert", cert, "-cert", revoked_cert]),
                              ("no-nonce", ["-issuer", trust, "-cert", revoked_cert, "-no_nonce"]),
                              ("sha256-certid", ["-issuer", trust, "-sha256", "-cert", cert]),
                              ("other-issuer", ["-issuer", other_trust, "-cert", other_cert])):
            request_path, response_path = lab.path(f"ocsp-{name}.req"), lab.path(f"ocsp-{name}.resp")
            lab.run("openssl", "ocsp", *options, "-url", url, "-reqout", request_path, "-respout", response_path,
                    "-noverify", check_ok=False)
            if os.path.exists(request_path):
                corpus.add("fuzz_ca_ocsp_http", f"openssl-{name}", Path(request_path).read_bytes())
            if os.path.exists(response_path):
                corpus.add("fuzz_status_response_verify", f"openssl-{name}", Path(response_path).read_bytes())
                corpus.add("fuzz_staple_verify", f"openssl-{name}", Path(response_path).read_bytes())

        pki = out / "pki"
        shutil.rmtree(pki, ignore_errors=True)
        pki.mkdir(parents=True)
        shutil.copy(trust, pki / "ca.crt")
        shutil.copy(cert, pki / "server.crt")
        shutil.copy(revoked_cert, pki / "revoked.crt")
        (pki / "generated_at").write_text(f"{int(time.time())}\n")

    print(f"wrote {out / 'corpus'} and {out / 'pki'}:")
    crl_lists(corpus)
    report_traces(corpus)
    corpus.write()
    fuzzers = re.search(r"set\(tlslab_fuzzers\n(.*?)\)", (HERE / "CMakeLists.txt").read_text(), re.S).group(1).split()
    missing = [f"fuzz_{name}" for name in fuzzers if f"fuzz_{name}" not in corpus.seeds]
    if missing:
        print(f"error: no seeds for {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
