"""End-to-end scenarios: the real tlslab-ca, tlslab-server and tlslab-client on 127.0.0.1.

Run one:   python3 tests/e2e/scenarios.py good
See it:    python3 tests/e2e/scenarios.py revoked --trace   (prints the client's trace of each run)
List them: python3 tests/e2e/scenarios.py --list
Each scenario asserts what a user would check: exit codes, the one-line reason, the alert the
other side logged, the JSON trace, the key log, and that the services keep serving.

The scenarios of the README's table have the names scripts/capture.sh gives them too (good,
revoked, unknown-ca, expired, wrong-name, ca-down, no-common-suite, garbage, and arrows 3-4 as a
CRL fetch: crl-good, crl-revoked, crl-stale, crl-replayed; real TLS: tls12, tls13); CTest runs each
as e2e.NAME.
"""
import concurrent.futures
import os
import re
import resource
import socket
import stat
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, Setup, TestFailure, check, exe, free_port, raw_exchange, read_json_lines, run_named  # noqa: E402
from harness import wait_for_log as harness_wait_for_log  # noqa: E402
from harness import wait_until  # noqa: E402

SCENARIOS = {}

# Exit codes documented in README.md ("Exit codes").
EXIT_OK, EXIT_LOCAL, EXIT_USAGE, EXIT_CONNECTION = 0, 1, 2, 3
EXIT_CERTIFICATE, EXIT_STATUS, EXIT_CA_CHECK, EXIT_NEGOTIATION, EXIT_INTEGRITY, EXIT_PROTOCOL = 4, 5, 6, 7, 8, 9


def scenario(name):
    """Registers a scenario under NAME, the name users type (and CTest's e2e.NAME)."""
    def register(function):
        SCENARIOS[name] = function
        return function
    return register


# Names the scenarios had before they took the README's and capture.sh's names, so that an old
# name still points to the new one (`scenarios.py revoked_certificate` suggests `revoked`). Other
# scenarios only changed '_' for '-', which the suggestions allow for anyway.
FORMER_NAMES = {
    "good_aes128gcm": "good",
    "revoked_certificate": "revoked",
    "expired_certificate": "expired",
    "not_yet_valid_certificate": "not-yet-valid",
    "wrong_server_name": "wrong-name",
    "ca_service_down_fails_closed": "ca-down",
    "garbage_clienthello_gets_alert_and_server_keeps_serving": "garbage",
}


def expect_failure(result, code, alert):
    check(result.returncode == code,
          f"expected exit {code} ({alert}), got {result.returncode}\nstderr:\n{result.stderr[-3000:]}")
    check(f"handshake failed: {alert}" in result.stderr or f"sent alert {alert}" in result.stderr,
          f"expected the one-line reason to name {alert}:\n{result.stderr[-3000:]}")


def expect_good(result, what="client"):
    check(result.returncode == EXIT_OK, f"{what} failed with exit {result.returncode}:\n{result.stderr[-3000:]}")


def server_log(setup):
    with open(setup.server_process.log_path) as f:
        return f.read()


def wait_for_log(setup, needle, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if needle in server_log(setup):
            return
        time.sleep(0.05)
    raise TestFailure(f"server log never showed {needle!r}:\n{server_log(setup)[-3000:]}")


# --- good paths ------------------------------------------------------------------------------
def good_path(name, suite):
    def run():
        with Lab() as lab:
            setup = Setup(lab)
            result = setup.client(["--suites", suite, "--get", "/", "--get", "/bytes/100000"])
            expect_good(result)
            check("handshake complete" in result.stderr, "no 'handshake complete' in the trace")
            check(len(result.stdout) == len(result.stdout.split("</html>")[0]) + len("</html>\n") + 100000,
                  f"response bodies have the wrong size: {len(result.stdout)}")
            check("tlslab: this session" in result.stdout, "the built-in session page was not served")
            names = {"aes128gcm": "AES_128_GCM", "aes256gcm": "AES_256_GCM", "chacha20": "CHACHA20_POLY1305"}
            check(names[suite] in result.stdout, "the session page does not name the negotiated suite")
    run.__name__ = f"good_{suite}"
    return scenario(name)(run)


for _name, _suite in (("good", "aes128gcm"), ("good-aes256gcm", "aes256gcm"), ("good-chacha20", "chacha20")):
    good_path(_name, _suite)


@scenario("server-preference-wins")
def server_preference_wins():
    with Lab() as lab:
        setup = Setup(lab, server_extra=["--suites", "chacha20,aes128gcm"])
        result = setup.client(["--suites", "aes128gcm,chacha20", "--trace-json", lab.path("t.json")])
        expect_good(result)
        steps = read_json_lines(lab.path("t.json"))
        hello = next(s for s in steps if s.get("arrow") == 2)
        check("CHACHA20" in hello["fields"]["cipher suite"], f"server preference ignored: {hello['fields']}")


@scenario("www-files-and-404")
def www_files_and_404():
    with Lab() as lab:
        www = lab.path("www")
        os.makedirs(www)
        with open(os.path.join(www, "index.html"), "w") as f:
            f.write("<p>hello from www</p>\n")
        setup = Setup(lab, server_extra=["--www", www])
        out = lab.path("body.out")
        result = setup.client(["--get", "/", "--output", out])
        expect_good(result)
        check(open(out).read() == "<p>hello from www</p>\n", "the file from --www was not served exactly")
        result = setup.client(["--get", "/missing.html"])
        check(result.returncode == 10, f"a 404 should exit 10, got {result.returncode}")
        result = setup.client(["--get", "/../../etc/passwd"])
        check(result.returncode == 10 and "root:" not in result.stdout, "path traversal outside --www")


# --- the JSON trace and the key log ---------------------------------------------------------
@scenario("json-trace-lists-eight-arrows")
def json_trace_lists_eight_arrows():
    with Lab() as lab:
        setup = Setup(lab)
        trace = lab.path("client.json")
        expect_good(setup.client(["--trace-json", trace]))
        arrows = [s["arrow"] for s in read_json_lines(trace) if s.get("arrow")]
        ordered = [a for i, a in enumerate(arrows) if i == 0 or arrows[i - 1] != a]
        check(ordered == [1, 2, 3, 4, 5, 6, 7, 8], f"arrows out of order or missing: {arrows}")
        for step in read_json_lines(trace):
            check("time" in step, "a step without a timestamp")
        secrets = [s for s in read_json_lines(trace) if "SESSION MASTER KEY" in s.get("fields", {})]
        check(not secrets, "a secret is in the JSON trace without --show-secrets")
        trace2 = lab.path("client2.json")
        expect_good(setup.client(["--trace-json", trace2, "--show-secrets"]))
        secrets = [s for s in read_json_lines(trace2) if "SESSION MASTER KEY" in s.get("fields", {})]
        check(len(secrets) == 1 and len(secrets[0]["fields"]["SESSION MASTER KEY"]) == 96,
              "--show-secrets did not put the 48-byte master secret in the JSON trace")


@scenario("keylog-matches-on-both-sides")
def keylog_matches_on_both_sides():
    with Lab() as lab:
        ca_dir = lab.make_ca()
        cert, key, _ = lab.issue(ca_dir)
        _, ca_port, _ = lab.start_ca(ca_dir)
        server_keylog, client_keylog = lab.path("server.keylog"), lab.path("client.keylog")
        _, server_port = lab.start_server(cert, key, ["--keylog", server_keylog])
        env = dict(os.environ, SSLKEYLOGFILE=client_keylog)  # the environment variable, as browsers use it
        result = lab.client(server_port, ca_port, os.path.join(ca_dir, "ca.crt"), env=env)
        expect_good(result)
        pattern = re.compile(r"^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$")
        client_lines = open(client_keylog).read().splitlines()
        check(len(client_lines) == 1 and pattern.match(client_lines[0]), f"bad key-log line: {client_lines}")
        # The server appends its line once the client's Finished checks, before its own Finished:
        # it is there when the client is done (waited for all the same, on the file).
        server_lines = wait_until(lambda: open(server_keylog).read().splitlines(), "the server logged no key")
        check(server_lines == client_lines, f"client and server logged different secrets:\n{client_lines}\n{server_lines}")
        mode = stat.S_IMODE(os.stat(client_keylog).st_mode)
        check(mode == 0o600, f"key log mode is {oct(mode)}, not 0600")


# --- certificate failures -------------------------------------------------------------------
@scenario("revoked")
def revoked_certificate():
    with Lab() as lab:
        setup = Setup(lab)
        expect_good(setup.client())
        lab.run(exe("tlslab-ca"), "revoke", "--dir", setup.ca_dir, "--serial", setup.serial, "--reason",
                "keyCompromise")
        result = setup.client()  # the running CA service answers 'revoked' at once
        expect_failure(result, EXIT_STATUS, "certificate_revoked")
        check(f"serial {setup.serial}" in result.stderr and "keyCompromise" in result.stderr,
              f"the reason line lacks serial and reason:\n{result.stderr[-1500:]}")
        # Arrow 4 in the seed's words, for a revoked answer: not an ACK.
        check("sends a NACK: the certificate is REVOKED" in result.stderr and "sends ACK" not in result.stderr,
              f"arrow 4 of a revoked answer does not say NACK:\n{result.stderr[-3000:]}")
        wait_for_log(setup, "certificate_revoked")  # the server saw the client's alert


@scenario("unknown-ca")
def unknown_ca():
    with Lab() as lab:
        setup = Setup(lab)
        other = lab.make_ca("other")
        result = lab.client(setup.server_port, setup.ca_port, os.path.join(other, "ca.crt"))
        expect_failure(result, EXIT_CERTIFICATE, "unknown_ca")


@scenario("expired")
def expired_certificate():
    with Lab() as lab:
        setup = Setup(lab, issue_extra=["--not-before", "-400d", "--days", "30"])
        expect_failure(setup.client(), EXIT_CERTIFICATE, "certificate_expired")


@scenario("not-yet-valid")
def not_yet_valid_certificate():
    with Lab() as lab:
        setup = Setup(lab, issue_extra=["--not-before", "+5d", "--days", "30"])
        expect_failure(setup.client(), EXIT_CERTIFICATE, "certificate_expired")


@scenario("wrong-name")
def wrong_server_name():
    with Lab() as lab:
        setup = Setup(lab)
        result = setup.client(["--server-name", "www.example.org"])
        expect_failure(result, EXIT_CERTIFICATE, "bad_certificate")
        check("www.example.org" in result.stderr, "the reason does not name the host")


@scenario("certificate-unknown-to-ca")
def certificate_unknown_to_ca():
    """A certificate signed by the trusted CA's key but missing from its database: 'unknown'."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        cert, key, _ = lab.issue(ca_dir)
        # A second database for the same CA: copy the CA, then empty its database.
        twin = lab.path("twin")
        os.makedirs(twin)
        for name in ("ca.crt", "ca.key"):
            with open(os.path.join(ca_dir, name), "rb") as src, open(os.path.join(twin, name), "wb") as dst:
                dst.write(src.read())
        os.chmod(os.path.join(twin, "ca.key"), 0o600)
        import sqlite3
        sqlite3.connect(os.path.join(twin, "ca.db")).close()
        _, ca_port, _ = lab.start_ca(twin)
        _, server_port = lab.start_server(cert, key)
        result = lab.client(server_port, ca_port, os.path.join(ca_dir, "ca.crt"))
        expect_failure(result, EXIT_STATUS, "certificate_unknown")
        check("sends no ACK: the CA does not know the certificate (UNKNOWN)" in result.stderr,
              f"arrow 4 of an 'unknown' answer does not say 'no ACK':\n{result.stderr[-3000:]}")


@scenario("ca-down")
def ca_service_down_fails_closed():
    with Lab() as lab:
        setup = Setup(lab)
        result = lab.client(setup.server_port, free_port(), setup.trust)
        expect_failure(result, EXIT_CA_CHECK, "bad_certificate_status_response")


@scenario("ca-signed-by-other-ca-rejected")
def ca_signed_by_other_ca_rejected():
    """The CA service of another CA answers: its signature does not verify with our trust store."""
    with Lab() as lab:
        setup = Setup(lab)
        other = lab.make_ca("other")
        _, other_port, _ = lab.start_ca(other)
        result = lab.client(setup.server_port, other_port, setup.trust)
        expect_failure(result, EXIT_CA_CHECK, "bad_certificate_status_response")


# --- arrows 3-4 as a CRL fetch (PROTOCOL.md §9.3, issue 23) ------------------------------------
class CrlLab:
    """The CA publishing its CRL at GET /crl of --ocsp-http, and a server whose certificate names
    that URL as its CRL distribution point (tlslab-ca issue --crl-url)."""

    def __init__(self, lab, crl_next_update="1h"):
        self.lab = lab
        self.ca_dir = lab.make_ca()
        self.trust = os.path.join(self.ca_dir, "ca.crt")
        self.ca_process, self.ca_port, self.http_port = lab.start_ca(
            self.ca_dir, http=True, extra=["--crl-next-update", crl_next_update])
        self.ca_log = lab.path(f"ca-{lab.processes.index(self.ca_process)}.log")
        self.crl_url = f"http://127.0.0.1:{self.http_port}/crl"
        self.cert, self.key, self.serial = lab.issue(self.ca_dir, extra=["--crl-url", self.crl_url])
        self.server_process, self.server_port = lab.start_server(self.cert, self.key)

    def client(self, extra=()):
        """tlslab-client --ca-check crl; it is given the CA's framed service too (--ca-service), so
        that asking it instead would show in the CA's log."""
        return self.lab.client(self.server_port, self.ca_port, self.trust,
                               ["--ca-check", "crl", "--timeout-ms", "5000", *extra])

    def revoke(self, reason="keyCompromise"):
        self.lab.run(exe("tlslab-ca"), "revoke", "--dir", self.ca_dir, "--serial", self.serial, "--reason", reason)

    def mitm_replaying(self, old_list):
        """tlslab-mitm replay-old-crl on the fetch: the first fetch relayed to the CA, every later
        one answered with `old_list`. Returns the URL to give the client as --crl-from."""
        _, port = self.lab.start([exe("tlslab-mitm"), "--listen", "127.0.0.1:0", "--upstream",
                                  f"127.0.0.1:{self.http_port}", "--attack", "replay-old-crl",
                                  "--substitute-crl", old_list], r"listening on 127\.0\.0\.1:(\d+)", "mitm")
        return f"http://127.0.0.1:{port}/crl"


def real_tls(version, flight, *extra):
    """tlslab-server --tls and tlslab-client --tls (issue 24) with a certificate that names the CA's
    OCSP responder (tlslab-ca issue --ocsp-url): the client POSTs its OCSP request there (arrows
    3-4), the handshake completes in `version` with arrow 2 as `flight`, and the CA's log shows the
    request."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        ca_process, _, http_port = lab.start_ca(ca_dir, http=True)
        ca_log = lab.path(f"ca-{lab.processes.index(ca_process)}.log")
        cert, key, serial = lab.issue(ca_dir, extra=["--ocsp-url", f"http://127.0.0.1:{http_port}"])
        _, port = lab.start_server(cert, key, ["--tls", "--tls-versions", version])
        # No --ca-service: real TLS finds the CA's responder in the certificate.
        result = lab.run(exe("tlslab-client"), "--tls", "--tls-versions", version, "--connect", f"127.0.0.1:{port}",
                         "--trust", os.path.join(ca_dir, "ca.crt"), "--server-name", "localhost", "--ca-check",
                         "direct", *extra, "--get", "/", check_ok=False)
        expect_good(result)
        for needle in (f"(2) Server → Client: {flight}", "(3) Client → CA: OCSPRequest (HTTP POST)",
                       f"serial                 {serial}", "(4) CA → Client: OCSPResponse", "status                 good",
                       f"handshake complete: TLS {version}"):
            check(needle in result.stderr, f"the client's trace lacks {needle!r}:\n{result.stderr[-3000:]}")
        harness_wait_for_log(ca_log, "OCSPRequest (HTTP POST)")


@scenario("tls12")
def tls12():
    """The seed's handshake on the real wire: TLS 1.2, RSA key transport (AES128-GCM-SHA256)."""
    real_tls("1.2", "ServerHello + Certificate + ServerHelloDone", "--tls-ciphers", "AES128-GCM-SHA256")


@scenario("tls13")
def tls13():
    """TLS 1.3: arrow 2 is ServerHello and the encrypted rest of the server's first flight."""
    real_tls("1.3", "ServerHello + EncryptedExtensions + Certificate + CertificateVerify + Finished")


@scenario("crl-good")
def crl_good():
    """The client fetches the CA's list from the certificate's distribution point, verifies it and
    finds the serial absent: the handshake completes; the CA saw a CRL fetch, and no OCSP request."""
    with Lab() as lab:
        crl = CrlLab(lab)
        result = crl.client(["--get", "/"])
        expect_good(result)
        for needle in ("handshake complete", "(3) Client → CA: CRL request (HTTP GET)", crl.crl_url,
                       "(4) CA → Client: CertificateList (HTTP 200)", "result                 good: not in the list"):
            check(needle in result.stderr, f"the client's trace lacks {needle!r}:\n{result.stderr[-3000:]}")
        text = harness_wait_for_log(crl.ca_log, "(4) CA → Client: CertificateList (HTTP 200)")
        check("(3) Client → CA: CRL request (HTTP GET /crl)" in text,
              f"the CA's log shows no CRL fetch:\n{text[-3000:]}")
        check("StatusRequest" not in text and "OCSP request" not in text,
              f"the CA was asked about the certificate (OCSP) under --ca-check crl:\n{text[-3000:]}")


@scenario("crl-revoked")
def crl_revoked():
    """The certificate is revoked: the CA signs its list again, and the client finds the serial in
    it: certificate_revoked with the reason, and the server logs the client's alert."""
    with Lab() as lab:
        crl = CrlLab(lab)
        expect_good(crl.client(["--quiet"]))  # the list before the revocation
        crl.revoke()
        result = crl.client()
        expect_failure(result, EXIT_STATUS, "certificate_revoked")
        check(crl.serial in result.stderr and "keyCompromise" in result.stderr,
              f"the reason line lacks serial and reason:\n{result.stderr[-1500:]}")
        check("revoked serials        1" in result.stderr, f"the list should hold one serial:\n{result.stderr[-3000:]}")
        text = harness_wait_for_log(crl.ca_log, "CRL number             2")
        check("StatusRequest" not in text, f"the CA was asked about the certificate (OCSP):\n{text[-3000:]}")
        harness_wait_for_log(crl.server_process.log_path, "certificate_revoked")


@scenario("crl-stale")
def crl_stale():
    """A list past its nextUpdate is refused, though its signature is good: a list signed with
    `tlslab-ca crl --next-update 1s`, handed to the client by tlslab-mitm once it has expired
    (the first fetch, relayed, gets the CA's current list and succeeds)."""
    with Lab() as lab:
        crl = CrlLab(lab)
        stale = lab.path("stale.crl")
        lab.run(exe("tlslab-ca"), "crl", "--dir", crl.ca_dir, "--next-update", "1s", "--out", stale)
        time.sleep(2.1)  # its nextUpdate (whole seconds) has passed
        url = crl.mitm_replaying(stale)
        expect_good(crl.client(["--crl-from", url, "--quiet"]), "the relayed first fetch")
        result = crl.client(["--crl-from", url])
        expect_failure(result, EXIT_CA_CHECK, "bad_certificate_status_response")
        check("the CRL is stale: its nextUpdate" in result.stderr, f"the reason does not say stale:\n{result.stderr[-2000:]}")


@scenario("crl-replayed")
def crl_replayed():
    """An old list (signed before the revocation, valid 1 h) handed back to a client that keeps a
    cache (--crl-cache): the client remembers the higher cRLNumber it saw and refuses the old list
    as replayed. The CA's lists live 2 s, so the client's kept list passes its nextUpdate and it
    fetches again."""
    with Lab() as lab:
        crl = CrlLab(lab, crl_next_update="2s")
        old = lab.path("old.crl")
        lab.run(exe("tlslab-ca"), "crl", "--dir", crl.ca_dir, "--next-update", "1h", "--out", old)
        crl.revoke()
        url = crl.mitm_replaying(old)
        cache = ["--crl-from", url, "--crl-cache", lab.path("crl-cache")]
        expect_failure(crl.client(cache), EXIT_STATUS, "certificate_revoked")  # the CA's list, relayed
        time.sleep(3.2)
        result = crl.client(cache)
        expect_failure(result, EXIT_CA_CHECK, "bad_certificate_status_response")
        check("an old list replayed" in result.stderr, f"the reason does not say replayed:\n{result.stderr[-2000:]}")


# --- negotiation and hostile input ----------------------------------------------------------
@scenario("no-common-suite")
def no_common_suite():
    with Lab() as lab:
        setup = Setup(lab, server_extra=["--suites", "aes256gcm"])
        result = setup.client(["--suites", "aes128gcm,chacha20"])
        expect_failure(result, EXIT_NEGOTIATION, "handshake_failure")
        # The one line says what the client offered and what to do.
        check("this client offered aes128gcm, chacha20;" in result.stderr and "the server's --suites" in result.stderr,
              f"the failure line lacks the offer and the hint:\n{result.stderr[-1500:]}")
        wait_for_log(setup, "no cipher suite in common")


def alert_frame(description):
    return struct.pack(">BHHBB", 21, 0x0100, 2, 2, description)


@scenario("garbage")
def garbage_clienthello_gets_alert_and_server_keeps_serving():
    with Lab() as lab:
        setup = Setup(lab)
        cases = {
            b"GET / HTTP/1.1\r\n\r\n": 10,                                   # not a frame type: unexpected_message
            struct.pack(">BHH", 22, 0x0303, 10) + b"x" * 10: 70,               # wrong version: protocol_version
            struct.pack(">BHH", 22, 0x0100, 60000): 22,                       # declared length over the limit
            struct.pack(">BHH", 22, 0x0100, 4) + bytes([1, 0, 0, 9]): 50,     # body shorter than declared
            struct.pack(">BHH", 22, 0x0100, 4) + bytes([99, 0, 0, 0]): 10,    # unknown handshake type
        }
        for payload, description in cases.items():
            answer = raw_exchange(setup.server_port, payload)
            check(answer == alert_frame(description),
                  f"for {payload[:12]!r} expected alert {description}, got {answer.hex()}")
        expect_good(setup.client(), "a normal client after the garbage")


@scenario("client-cli-mistakes")
def client_cli_mistakes():
    with Lab() as lab:
        setup = Setup(lab)
        r = subprocess.run([exe("tlslab-client"), "--connect", "127.0.0.1:notaport", "--trust", setup.trust],
                           capture_output=True, text=True)
        check(r.returncode == EXIT_USAGE and "not a number" in r.stderr, f"bad port: {r.returncode} {r.stderr}")
        r = subprocess.run([exe("tlslab-client"), "--trust", lab.path("missing.crt")], capture_output=True, text=True)
        check(r.returncode == EXIT_LOCAL and "missing.crt" in r.stderr, f"missing trust file: {r.stderr}")
        r = subprocess.run([exe("tlslab-client")], capture_output=True, text=True)
        check(r.returncode == EXIT_USAGE and "--trust" in r.stderr, f"missing --trust: {r.stderr}")
        r = setup.client(["--suites", "rc4"])
        check(r.returncode == EXIT_USAGE and "unknown cipher suite" in r.stderr, f"bad suite: {r.stderr}")
        r = lab.client(free_port(), setup.ca_port, setup.trust)
        check(r.returncode == EXIT_CONNECTION and "cannot connect" in r.stderr, f"server down: {r.stderr}")


def oversized_certificate(lab, ca_dir):
    """A server certificate signed by the lab's CA with 700 subjectAltNames (about 17 KB of DER)."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    with open(os.path.join(ca_dir, "ca.key"), "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), None)
    with open(os.path.join(ca_dir, "ca.crt"), "rb") as f:
        ca_cert = x509.load_pem_x509_certificate(f.read())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.timezone.utc)
    names = [x509.DNSName("localhost")] + [x509.DNSName(f"host-{i:04d}.example.test") for i in range(700)]
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .sign(ca_key, hashes.SHA256()))
    check(len(cert.public_bytes(serialization.Encoding.DER)) > 16384, "the oversized certificate is not oversized")
    cert_path, key_path = lab.path("big.crt"), lab.path("big.key")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    return cert_path, key_path


@scenario("server-cli-mistakes")
def server_cli_mistakes():
    with Lab() as lab:
        ca_dir = lab.make_ca()
        cert, key, _ = lab.issue(ca_dir)
        ec_key = os.path.join(ca_dir, "ca.key")  # an EC key (for ECDHE), but not this certificate's
        cases = [
            (["--cert", lab.path("nope.crt"), "--key", key], "nope.crt"),
            (["--cert", cert, "--key", ec_key], "does not belong"),
            (["--cert", cert, "--key", key, "--listen", "127.0.0.1:99999"], "out of range"),
            (["--cert", os.path.join(ca_dir, "ca.crt"), "--key", key], "does not belong"),
        ]
        # A certificate too big for the ServerHello's one frame (PROTOCOL.md §2): refused at start.
        big_cert, big_key = oversized_certificate(lab, ca_dir)
        cases.append((["--cert", big_cert, "--key", big_key], "a ServerHello must fit one 16,384-byte frame"))
        for args, message in cases:
            r = subprocess.run([exe("tlslab-server"), *args], capture_output=True, text=True, timeout=10)
            check(r.returncode != 0 and message in r.stderr, f"{args}: exit {r.returncode}, stderr {r.stderr!r}")
            check("terminate called" not in r.stderr and "Aborted" not in r.stderr, "a crash instead of a message")


@scenario("ca-traces-arrows-3-and-4")
def ca_traces_arrows_3_and_4():
    """The CA's terminal shows its third of the diagram by default: arrows 3 and 4 with the serial
    asked about, the nonce, what its database says and the signing key; --quiet silences it and
    --trace-json writes the same steps as JSON Lines."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        cert, key, serial = lab.issue(ca_dir)
        ca_process, ca_port, _ = lab.start_ca(ca_dir)
        _, server_port = lab.start_server(cert, key)
        expect_good(lab.client(server_port, ca_port, os.path.join(ca_dir, "ca.crt")))
        ca_log = lab.path(f"ca-{lab.processes.index(ca_process)}.log")
        harness_wait_for_log(ca_log, "(4) CA → Client: StatusResponse")
        text = open(ca_log).read()
        for needle in ("(3) Client → CA: StatusRequest", serial, "nonce", "database says          good",
                       "signed with            CA'S PRIVATE KEY"):
            check(needle in text, f"the CA's trace lacks {needle!r}:\n{text[-3000:]}")

        json_path = lab.path("ca-trace.jsonl")
        _, quiet_port, _ = lab.start_ca(ca_dir, extra=["--quiet", "--trace-json", json_path])
        expect_good(lab.client(server_port, quiet_port, os.path.join(ca_dir, "ca.crt")))
        quiet_log = lab.path(f"ca-{len(lab.processes) - 1}.log")
        deadline = time.time() + 5
        steps = []
        while time.time() < deadline and len(steps) < 2:
            steps = [s for s in read_json_lines(json_path) if s.get("arrow") in (3, 4)] if os.path.exists(json_path) else []
            time.sleep(0.05)
        check([s["arrow"] for s in steps] == [3, 4] and all(s.get("bytes") for s in steps),
              f"--trace-json of the CA: {steps}")
        check("StatusRequest" not in open(quiet_log).read(), "--quiet did not silence the CA's trace")


@scenario("server-defaults-bound-its-resources")
def server_defaults_bound_its_resources():
    """The limits a user gets without asking (README), on a server started without them: the
    4,097th concurrent connection is refused (4,096), GET /bytes/N is served up to 256 MiB and
    refused past it. --help says the same."""
    result = subprocess.run([exe("tlslab-server"), "--help"], capture_output=True, text=True, timeout=10)
    text = " ".join(result.stdout.split())
    check(re.search(r"--max-connections UINT:[^=]*=4096", text), f"default --max-connections: {text}")
    check(re.search(r"--max-generated-bytes UINT=268435456", text), f"default --max-generated-bytes: {text}")
    cap = 256 * 1024 * 1024
    with Lab() as lab:
        setup = Setup(lab)  # neither --max-connections nor --max-generated-bytes
        over = setup.client(["--quiet", "--get", f"/bytes/{cap + 1}"])
        check(over.returncode == 10, f"/bytes/{cap + 1} must be a 404 (exit 10): {over.returncode} {over.stderr[-500:]}")
        at = setup.client(["--quiet", "--get", f"/bytes/{cap}", "--output", lab.path("cap.bin")], timeout=240)
        check(at.returncode == 0 and os.path.getsize(lab.path("cap.bin")) == cap,
              f"/bytes/{cap} must be served whole: {at.returncode} {at.stderr[-500:]}")
        os.remove(lab.path("cap.bin"))
        # 4,096 connections that say nothing are held (until the handshake deadline, 10 s); the
        # listener accepts in order and counts each as it accepts it, so the next one is refused.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        check(hard >= 4200, f"the open-file limit ({hard}) cannot hold 4,097 connections")
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 4200), hard))
        held = []
        try:
            for _ in range(4096):
                held.append(socket.create_connection(("127.0.0.1", setup.server_port), timeout=30))
            with socket.create_connection(("127.0.0.1", setup.server_port), timeout=30) as extra:
                check(extra.recv(100) == b"", "the 4,097th connection was not closed")
            wait_for_log(setup, "connections open, the limit is 4096 (--max-connections)")
            # Each ends its side; the server abandons the handshake and closes (its end of the
            # session, when the connection stops counting), which recv sees.
            for s in held:
                s.shutdown(socket.SHUT_WR)
            for s in held:
                check(s.recv(100) == b"", "the server answered a connection that said nothing")
        finally:
            for s in held:
                s.close()
        expect_good(setup.client(["--quiet"]), "a client once the held connections closed")


# --- many clients -----------------------------------------------------------------------------
@scenario("two-hundred-sequential-clients")
def two_hundred_sequential_clients():
    with Lab() as lab:
        setup = Setup(lab)
        for i in range(200):
            result = setup.client(["--quiet"])
            check(result.returncode == 0, f"client {i} failed: {result.stderr}")


@scenario("fifty-concurrent-clients")
def fifty_concurrent_clients():
    with Lab() as lab:
        setup = Setup(lab)
        with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(lambda _: setup.client(["--quiet"]), range(50)))
        failed = [r for r in results if r.returncode != 0]
        check(not failed, f"{len(failed)} of 50 failed; first: {failed[0].stderr if failed else ''}")


# --- the CA ------------------------------------------------------------------------------------
@scenario("ca-files-and-openssl-verify")
def ca_files_and_openssl_verify():
    with Lab() as lab:
        ca_dir = lab.make_ca(key_type="rsa2048")
        cert, key, serial = lab.issue(ca_dir, extra=["--key-type", "rsa3072"])
        check(stat.S_IMODE(os.stat(os.path.join(ca_dir, "ca.key")).st_mode) == 0o600, "ca.key is not 0600")
        check(stat.S_IMODE(os.stat(key).st_mode) == 0o600, "server key is not 0600")
        lab.run("openssl", "verify", "-CAfile", os.path.join(ca_dir, "ca.crt"), cert)
        text = lab.run("openssl", "x509", "-in", cert, "-noout", "-text").stdout
        for needle in ("TLS Web Server Authentication", "DNS:localhost", "IP Address:127.0.0.1", "CA:FALSE",
                       "Authority Key Identifier", "Subject Key Identifier", "3072 bit"):
            check(needle in text, f"issued certificate lacks {needle!r}")
        ca_text = lab.run("openssl", "x509", "-in", os.path.join(ca_dir, "ca.crt"), "-noout", "-text").stdout
        check("CA:TRUE" in ca_text and "Certificate Sign, CRL Sign" in ca_text, "CA certificate extensions")
        listing = lab.run(exe("tlslab-ca"), "list", "--dir", ca_dir, "--json").stdout
        check(f'"serial":"{serial}"' in listing and '"status":"good"' in listing, f"list --json: {listing}")


@scenario("ca-cli-mistakes")
def ca_cli_mistakes():
    with Lab() as lab:
        ca_dir = lab.make_ca()
        r = lab.run(exe("tlslab-ca"), "init", "--dir", ca_dir, check_ok=False)
        check(r.returncode != 0 and "already exists" in r.stderr, f"init over a CA: {r.stderr}")
        # A missing directory is made, private (as git init does); one that cannot be is a clear error.
        r = lab.run(exe("tlslab-ca"), "init", "--dir", lab.path("absent", "ca"), check_ok=False)
        check(r.returncode == 0 and stat.S_IMODE(os.stat(lab.path("absent", "ca")).st_mode) == 0o700,
              f"init in a missing dir: {r.returncode} {r.stderr}")
        r = lab.run(exe("tlslab-ca"), "init", "--dir", "/proc/self/no-such/ca", check_ok=False)
        check(r.returncode == 1 and r.stderr.startswith("tlslab-ca: "), f"init where no dir can be made: {r.stderr}")
        r = lab.run(exe("tlslab-ca"), "revoke", "--dir", ca_dir, "--serial", "abcdef", check_ok=False)
        check(r.returncode != 0 and "no certificate with serial" in r.stderr, f"unknown serial: {r.stderr}")
        r = lab.run(exe("tlslab-ca"), "revoke", "--dir", ca_dir, "--serial", "xyz", check_ok=False)
        check(r.returncode != 0 and "not hexadecimal" in r.stderr, f"bad serial: {r.stderr}")
        r = lab.run(exe("tlslab-ca"), "issue", "--dir", ca_dir, "--cn", "x", "--key-type", "ed25519", "--out-cert",
                    lab.path("x.crt"), "--out-key", lab.path("x.key"), check_ok=False)
        check(r.returncode != 0 and "ec-p256" in r.stderr, f"an unknown key type: {r.stderr}")
        _, _, serial = lab.issue(ca_dir)
        lab.run(exe("tlslab-ca"), "revoke", "--dir", ca_dir, "--serial", serial.upper())
        r = lab.run(exe("tlslab-ca"), "revoke", "--dir", ca_dir, "--serial", serial, check_ok=False)
        check(r.returncode != 0 and "already revoked" in r.stderr, f"double revoke: {r.stderr}")
        # Two labs' CAs are never confused: the default name carries a random suffix.
        names = set()
        for lab_name in ("lab-a", "lab-b"):
            lab.run(exe("tlslab-ca"), "init", "--dir", lab.path(lab_name))
            subject = lab.run("openssl", "x509", "-in", lab.path(lab_name, "ca.crt"), "-noout", "-subject").stdout
            check(re.search(r"CN ?= ?tlslab CA [0-9a-f]{6}$", subject.strip()), f"default CA name: {subject!r}")
            names.add(subject)
        check(len(names) == 2, f"two CAs made with the defaults have the same name: {names}")


def openssl_ocsp(lab, ca_dir, cert, http_port):
    return lab.run("openssl", "ocsp", "-issuer", os.path.join(ca_dir, "ca.crt"), "-cert", cert, "-url",
                   f"http://127.0.0.1:{http_port}", "-CAfile", os.path.join(ca_dir, "ca.crt"), check_ok=False)


@scenario("openssl-ocsp-interop-and-live-revocation")
def openssl_ocsp_interop_and_live_revocation():
    with Lab() as lab:
        setup = Setup(lab, ca_http=True)
        r = openssl_ocsp(lab, setup.ca_dir, setup.cert, setup.http_port)
        check("Response verify OK" in r.stdout + r.stderr and f"{setup.cert}: good" in r.stdout, f"good: {r.stdout}{r.stderr}")
        lab.run(exe("tlslab-ca"), "revoke", "--dir", setup.ca_dir, "--serial", setup.serial, "--reason", "superseded")
        r = openssl_ocsp(lab, setup.ca_dir, setup.cert, setup.http_port)
        check(f"{setup.cert}: revoked" in r.stdout and "Reason: superseded" in r.stdout, f"revoked: {r.stdout}")


@scenario("ca-restart-keeps-every-status")
def ca_restart_keeps_every_status():
    with Lab() as lab:
        setup = Setup(lab)
        cert2, _, serial2 = lab.issue(setup.ca_dir, name="second")
        lab.run(exe("tlslab-ca"), "revoke", "--dir", setup.ca_dir, "--serial", serial2, "--reason", "cessationOfOperation")
        setup.ca_process.terminate()
        setup.ca_process.wait(timeout=5)
        _, new_port, http_port = lab.start_ca(setup.ca_dir, http=True)
        r = openssl_ocsp(lab, setup.ca_dir, setup.cert, http_port)
        check(f"{setup.cert}: good" in r.stdout, f"first certificate after restart: {r.stdout}")
        r = openssl_ocsp(lab, setup.ca_dir, cert2, http_port)
        check(f"{cert2}: revoked" in r.stdout and "cessationOfOperation" in r.stdout, f"second: {r.stdout}")
        expect_good(lab.client(setup.server_port, new_port, setup.trust))


@scenario("ca-service-survives-garbage-and-slow-clients")
def ca_service_survives_garbage_and_slow_clients():
    with Lab() as lab:
        ca_dir = lab.make_ca()
        cert, key, _ = lab.issue(ca_dir)
        _, ca_port, _ = lab.start_ca(ca_dir, extra=["--request-timeout-ms", "1000"])
        _, server_port = lab.start_server(cert, key)
        answer = raw_exchange(ca_port, os.urandom(64) + b"\x00" * 16)
        check(answer[:1] in (b"\x15",) or answer == b"", f"garbage got {answer[:16].hex()}")
        answer = raw_exchange(ca_port, struct.pack(">BHH", 22, 0x0100, 65535))
        check(answer == alert_frame(22), f"oversized request: expected record_overflow, got {answer.hex()}")
        # A slow client (one byte, then nothing) is cut at the deadline, not kept forever.
        started = time.time()
        with socket.create_connection(("127.0.0.1", ca_port), timeout=10) as slow:
            slow.sendall(b"\x16")
            check(slow.recv(100) == b"", "the slow client was not disconnected")
        check(time.time() - started < 8, "the request deadline did not cut the slow client")
        expect_good(lab.client(server_port, ca_port, os.path.join(ca_dir, "ca.crt")), "a client after the abuse")


@scenario("http-ocsp-rejects-bad-requests")
def http_ocsp_rejects_bad_requests():
    with Lab() as lab:
        setup = Setup(lab, ca_http=True)
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", setup.http_port, timeout=5)
        conn.request("POST", "/", body=b"not der", headers={"Content-Type": "application/ocsp-request"})
        response = conn.getresponse()
        body = response.read()
        check(response.status == 200 and response.getheader("Content-Type") == "application/ocsp-response",
              f"malformed OCSP request: HTTP {response.status}")
        check(body == bytes.fromhex("30030a0101"), f"expected malformedRequest, got {body.hex()}")
        conn.request("GET", "/")
        response = conn.getresponse()
        response.read()
        check(response.status == 405, f"GET should be 405, got {response.status}")
        expect_good(setup.client())


if __name__ == "__main__":
    sys.exit(run_named(SCENARIOS, sys.argv, FORMER_NAMES))
