"""tlslab-server --tls (issue 24): real TLS 1.2 and 1.3 through OpenSSL's libssl on the server's
port, met by clients that are not tlslab's: openssl s_client, curl, Python's ssl, gnutls-cli. The
same certificate files, HTTP service, session page, stapling and client certificates as the lab;
each handshake traced on the seed's arrows; hostile peers refused in one line.

Run one:   python3 tests/e2e/tls_server.py openssl-tls12-rsa
List them: python3 tests/e2e/tls_server.py --list
"""
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, check, exe, read_json_lines, run_named, skip, wait_for_log, wait_until  # noqa: E402

TESTS = {}


def test(name):
    def register(function):
        TESTS[name] = function
        return function
    return register


def need(tool):
    if shutil.which(tool) is None:
        skip(f"{tool} is not installed (apt-get install -y {'gnutls-bin' if tool == 'gnutls-cli' else tool})")


class TlsServer:
    """A CA, a server certificate (RSA by default, or ECDSA) and tlslab-server --tls on it."""

    def __init__(self, lab, key_type="rsa2048", extra=(), with_ca_service=False, trace_json=True):
        self.lab = lab
        self.ca_dir = lab.make_ca()
        self.trust = os.path.join(self.ca_dir, "ca.crt")
        self.cert, self.key, self.serial = lab.issue(self.ca_dir, extra=["--key-type", key_type])
        self.ca_port = None
        args = ["--tls", *extra]
        if with_ca_service:
            _, self.ca_port, _ = lab.start_ca(self.ca_dir)
            args += ["--staple-from", f"127.0.0.1:{self.ca_port}", "--staple-trust", self.trust]
        self.trace = lab.path("server-trace.jsonl") if trace_json else None
        if self.trace:
            args += ["--trace-json", self.trace]
        self.process, self.port = lab.start_server(self.cert, self.key, args)
        self.log = self.process.log_path

    def s_client(self, *args, stdin=b"", timeout=20):
        need("openssl")
        # -ign_eof: s_client waits for the answer (the server closes after an HTTP/1.0 answer).
        return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{self.port}", "-servername",
                               "localhost", "-verify_return_error", "-CAfile", self.trust,
                               *(["-ign_eof"] if stdin else []), *args],
                              input=stdin, capture_output=True, timeout=timeout)

    def curl(self, path="/", *args):
        need("curl")
        return subprocess.run(["curl", "-sS", "--max-time", "20", "--cacert", self.trust, *args,
                               f"https://localhost:{self.port}{path}"],
                              capture_output=True, text=True, timeout=30)

    def events(self):
        return read_json_lines(self.trace) if self.trace and os.path.exists(self.trace) else []

    def arrow(self, number, connection=None):
        """The events on `number` in the server's trace (of one connection when given)."""
        return [e for e in self.events() if e.get("arrow") == number and "message" in e
                and (connection is None or e.get("connection") == connection)]

    def served_page(self):
        """Still serving: a fresh verified GET of / through curl."""
        result = self.curl("/")
        return result.returncode == 0 and "this TLS" in result.stdout


def wait_for_trace(server, count_arrow, count=1):
    wait_until(lambda: len(server.arrow(count_arrow)) >= count, f"{count} arrow(s) {count_arrow} in the server's trace",
               timeout=10)


def text(result):
    out = result.stdout if isinstance(result.stdout, str) else result.stdout.decode(errors="replace")
    err = result.stderr if isinstance(result.stderr, str) else result.stderr.decode(errors="replace")
    return out + err


@test("openssl-tls12-rsa")
def openssl_tls12_rsa():
    """openssl s_client, TLS 1.2 with RSA key transport: the seed's own handshake on the real wire.
    Arrow 2 in the server's trace is exactly ServerHello + Certificate + ServerHelloDone."""
    with Lab() as lab:
        server = TlsServer(lab)
        result = server.s_client("-tls1_2", "-cipher", "AES128-GCM-SHA256", stdin=b"GET / HTTP/1.0\r\n\r\n")
        out = text(result)
        check(result.returncode == 0, f"s_client failed:\n{out[-3000:]}")
        check("Verify return code: 0 (ok)" in out, f"s_client did not verify the server:\n{out[-2000:]}")
        check("Protocol  : TLSv1.2" in out and "AES128-GCM-SHA256" in out, f"not TLS 1.2 RSA:\n{out[-2000:]}")
        check("tlslab: this TLS 1.2 session" in out, f"no session page over TLS 1.2:\n{out[-2000:]}")
        wait_for_trace(server, 7)
        arrow2 = server.arrow(2)[0]
        check(arrow2["message"] == "ServerHello + Certificate + ServerHelloDone",
              f"arrow 2 is {arrow2['message']!r}")
        check(arrow2["facts"].get("suite") == "TLS_RSA_WITH_AES_128_GCM_SHA256", f"suite {arrow2['facts']}")
        check(server.arrow(5)[0]["message"] == "ClientKeyExchange", "arrow 5 is not the ClientKeyExchange")
        check(server.arrow(6)[0]["message"] == "ChangeCipherSpec + Finished", "arrow 6 is not CCS + Finished")


@test("openssl-tls13")
def openssl_tls13():
    """openssl s_client, TLS 1.3: arrow 2 is the whole first server flight, there is no arrow 5, and
    the randoms in the trace are the ones s_client used (its key log says its client random)."""
    with Lab() as lab:
        server = TlsServer(lab)
        keylog = lab.path("s_client.keys")
        result = server.s_client("-tls1_3", "-keylogfile", keylog, stdin=b"GET / HTTP/1.0\r\n\r\n")
        out = text(result)
        check(result.returncode == 0 and "Protocol  : TLSv1.3" in out, f"s_client 1.3 failed:\n{out[-3000:]}")
        check("tlslab: this TLS 1.3 session" in out, "no session page over TLS 1.3")
        wait_for_trace(server, 6)
        arrow2 = server.arrow(2)[0]
        check(arrow2["message"] == "ServerHello + EncryptedExtensions + Certificate + CertificateVerify + Finished",
              f"arrow 2 is {arrow2['message']!r}")
        check(not server.arrow(5), f"TLS 1.3 has an arrow 5: {server.arrow(5)}")
        secret = next(line for line in open(keylog) if line.startswith("CLIENT_"))  # after a # comment
        client_random = secret.split()[1].lower()
        check(server.arrow(1)[0]["facts"]["client_random"] == client_random,
              "the trace's RAND-CLIENT is not the one s_client sent")


@test("tls-versions-1.3-only")
def tls_versions_13_only():
    """--tls-versions 1.3: a TLS 1.2 client is refused with the alert named in one line; the next
    client is served."""
    with Lab() as lab:
        server = TlsServer(lab, extra=["--tls-versions", "1.3"], trace_json=False)
        result = server.s_client("-tls1_2")
        check(result.returncode != 0, "a TLS 1.2 client was served by a 1.3-only server")
        log = wait_for_log(server.log, "tls handshake failed")
        check("tls handshake failed: unsupported protocol (alert protocol_version sent)" in log,
              f"no one line naming the version and the alert:\n{log[-2000:]}")
        check(server.served_page(), "the server stopped serving after refusing a TLS 1.2 client")


@test("tls-versions-without-tls")
def tls_versions_without_tls():
    """--tls-versions without --tls is one clear line and exit 2; a version that is not 1.2 or 1.3
    is one line too."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        cert, key, _ = lab.issue(ca_dir)
        result = lab.run(exe("tlslab-server"), "--cert", cert, "--key", key, "--tls-versions", "1.3",
                         check_ok=False, timeout=10)
        check(result.returncode == 2, f"exit {result.returncode}, expected 2")
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        check(lines == ["tlslab-server: --tls-versions is only used with --tls"], f"stderr: {result.stderr!r}")
        result = lab.run(exe("tlslab-server"), "--cert", cert, "--key", key, "--tls", "--tls-versions", "1.1",
                         "--listen", "127.0.0.1:0", check_ok=False, timeout=10)
        check(result.returncode != 0 and "'1.1' is not a TLS version tlslab speaks (1.2, 1.3)" in result.stderr,
              f"1.1 accepted or not named: {result.returncode} {result.stderr!r}")


@test("curl-session-page")
def curl_session_page():
    """curl verifies the server with --cacert and GETs / (the session page of that very connection:
    its version, suite, group, the groups it offered, its flights on the arrows) and /bytes/N."""
    with Lab() as lab:
        server = TlsServer(lab)
        result = server.curl("/", "--tlsv1.3")
        check(result.returncode == 0, f"curl failed: {result.stderr}")
        page = result.stdout
        for needle in ("tlslab: this TLS 1.3 session", "TLS_AES_256_GCM_SHA384", "x25519",
                       "ServerHello + EncryptedExtensions + Certificate + CertificateVerify + Finished",
                       "groups the client offered", "x25519, secp256r1", "key shares the client sent"):
            check(needle in page, f"the session page lacks {needle!r}")
        result = server.curl("/", "--tlsv1.2", "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256")
        check(result.returncode == 0 and "this TLS 1.2 session" in result.stdout, f"curl 1.2: {result.stderr}")
        check("ServerHello + Certificate + ServerKeyExchange + ServerHelloDone" in result.stdout,
              "the TLS 1.2 ECDHE page does not show arrow 2's flight")
        result = server.curl("/bytes/100000")
        check(result.returncode == 0 and result.stdout == "x" * 100000, "GET /bytes/100000 over TLS")
        wrong = subprocess.run(["curl", "-sS", "--max-time", "10", f"https://localhost:{server.port}/"],
                               capture_output=True, text=True)
        check(wrong.returncode != 0, "curl accepted the server without its CA")


@test("python-ssl-verified-get")
def python_ssl_verified_get():
    """Python's ssl module: a verified GET (host name and chain), TLS 1.3 by default."""
    with Lab() as lab:
        server = TlsServer(lab, trace_json=False)
        context = ssl.create_default_context(cafile=server.trust)
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                check(tls.version() == "TLSv1.3", f"negotiated {tls.version()}")
                tls.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                answer = b""
                while True:
                    data = tls.recv(65536)
                    if not data:
                        break
                    answer += data
        check(answer.startswith(b"HTTP/1.1 200 OK"), f"answer {answer[:100]!r}")
        check(b"this TLS 1.3 session" in answer, "no session page")


@test("gnutls-cli-tls12-and-tls13")
def gnutls_cli_tls12_and_tls13():
    """gnutls-cli (another TLS implementation) verifies the server and is served in 1.2 and 1.3."""
    need("gnutls-cli")
    with Lab() as lab:
        server = TlsServer(lab)
        for priority, version in (("NORMAL:-VERS-ALL:+VERS-TLS1.2", "TLS1.2"),
                                  ("NORMAL:-VERS-ALL:+VERS-TLS1.3", "TLS1.3")):
            result = subprocess.run(["gnutls-cli", "--x509cafile", server.trust, "--priority", priority, "--port",
                                     str(server.port), "localhost"], input=b"GET / HTTP/1.0\r\n\r\n",
                                    capture_output=True, timeout=30)
            out = text(result)
            check(f"({version}-" in out, f"gnutls-cli did not negotiate {version}:\n{out[-2500:]}")
            check("certificate is trusted" in out, f"gnutls-cli did not verify the server:\n{out[-2500:]}")
            check("this TLS" in out, f"gnutls-cli {version} got no session page:\n{out[-1500:]}")


@test("ecdsa-certificate")
def ecdsa_certificate():
    """An EC P-256 certificate: TLS 1.2 ECDHE-ECDSA and TLS 1.3 both work; arrow 2 of 1.2 carries the
    signed ServerKeyExchange."""
    with Lab() as lab:
        server = TlsServer(lab, key_type="ec-p256")
        result = server.s_client("-tls1_2", stdin=b"GET / HTTP/1.0\r\n\r\n")
        out = text(result)
        check(result.returncode == 0 and "ECDHE-ECDSA" in out, f"ECDSA 1.2 failed:\n{out[-2000:]}")
        result = server.s_client("-tls1_3", stdin=b"GET / HTTP/1.0\r\n\r\n")
        check(result.returncode == 0 and "TLSv1.3" in text(result), "ECDSA 1.3 failed")
        wait_for_trace(server, 2, 2)
        messages = [e["message"] for e in server.arrow(2)]
        check("ServerHello + Certificate + ServerKeyExchange + ServerHelloDone" in messages, f"arrow 2: {messages}")


@test("stapled-ocsp")
def stapled_ocsp():
    """--staple-from: a client that asks (status_request) gets the CA's OCSP answer stapled: s_client
    -status prints it, curl --cert-status accepts it; arrow 2 of TLS 1.2 gains CertificateStatus."""
    with Lab() as lab:
        server = TlsServer(lab, with_ca_service=True)
        for version in ("-tls1_2", "-tls1_3"):
            result = server.s_client(version, "-status", *(["-cipher", "AES128-GCM-SHA256"] if version == "-tls1_2" else []))
            out = text(result)
            check("OCSP Response Status: successful" in out, f"no staple in {version}:\n{out[-2500:]}")
            check("Cert Status: good" in out, f"the staple does not say good ({version})")
        plain = server.s_client("-tls1_2", "-cipher", "AES128-GCM-SHA256")
        check("OCSP response: no response sent" in text(plain) or "OCSP Response Status" not in text(plain),
              "a staple was sent to a client that did not ask")
        wait_for_trace(server, 2, 3)
        messages = [e["message"] for e in server.arrow(2)]
        check(messages[0] == "ServerHello + Certificate + CertificateStatus + ServerHelloDone", f"arrow 2: {messages}")
        check(server.arrow(2)[0]["facts"].get("status"), "the stapled answer is not in arrow 2's facts")
        check(messages[2] == "ServerHello + Certificate + ServerHelloDone", f"unasked arrow 2: {messages[2]}")
        # curl --cert-status is not asserted: libcurl verifies a staple with OCSP_basic_verify, which
        # looks for the signer among the certificates the server sent or the response carries, and
        # tlslab-ca signs its answers with the CA's own key without embedding the CA certificate.
        result = server.curl("/")
        check(result.returncode == 0 and "stapled" in result.stdout, f"curl: {result.stderr}")


@test("client-certificates")
def client_certificates():
    """--client-auth require: a client with a certificate from the trusted CA is served (the page names
    it); one without is refused, and the server's one line names the alert."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        trust = os.path.join(ca_dir, "ca.crt")
        cert, key, _ = lab.issue(ca_dir)
        client_cert, client_key, _ = lab.issue(ca_dir, name="alice", cn="alice", sans="DNS:alice.test",
                                               extra=["--client", "--key-type", "ec-p256"])
        trace = lab.path("trace.jsonl")
        _, port = lab.start_server(cert, key, ["--tls", "--client-auth", "require", "--client-trust", trust,
                                               "--trace-json", trace])
        base = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", trust, "-verify_return_error",
                "-ign_eof"]
        for version in ("-tls1_2", "-tls1_3"):
            result = subprocess.run([*base, version, "-cert", client_cert, "-key", client_key],
                                    input=b"GET / HTTP/1.0\r\n\r\n", capture_output=True, timeout=20)
            out = text(result)
            check("/CN=alice" in out and "Verified by libssl" in out, f"{version} with a certificate:\n{out[-2000:]}")
        result = subprocess.run([*base, "-tls1_3"], input=b"GET / HTTP/1.0\r\n\r\n", capture_output=True, timeout=20)
        check("this TLS" not in text(result), "a client without a certificate was served")
        wait_until(lambda: any("handshake failed" in e.get("event", "") for e in read_json_lines(trace)),
                   "the refusal in the server's trace", timeout=10)
        events = read_json_lines(trace)
        failures = [e for e in events if "handshake failed" in e.get("event", "")]
        check(failures and "(alert certificate_required sent)" in failures[-1]["event"],
              f"the refusal does not name the alert: {failures}")
        arrow5 = [e["message"] for e in events if e.get("arrow") == 5 and "message" in e]
        check("Certificate + ClientKeyExchange + CertificateVerify" in arrow5, f"arrow 5 of 1.2: {arrow5}")


@test("client-certificate-revoked")
def client_certificate_revoked():
    """--client-auth with --ca-service: after libssl verified the chain, the server asks the CA about
    the client's certificate (arrows 3-4 by the server, as in the lab): good is served and the page
    says what the CA answered; once revoked, the client is refused in one line naming why."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        trust = os.path.join(ca_dir, "ca.crt")
        cert, key, _ = lab.issue(ca_dir)
        client_cert, client_key, serial = lab.issue(ca_dir, name="bob", cn="bob", sans="DNS:bob.test",
                                                    extra=["--client"])
        _, ca_port, _ = lab.start_ca(ca_dir)
        process, port = lab.start_server(cert, key, ["--tls", "--quiet", "--client-auth", "require",
                                                     "--client-trust", trust, "--ca-service", f"127.0.0.1:{ca_port}"])
        base = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", trust, "-verify_return_error",
                "-ign_eof", "-cert", client_cert, "-key", client_key]
        need("openssl")
        result = subprocess.run(base, input=b"GET / HTTP/1.0\r\n\r\n", capture_output=True, timeout=20)
        out = text(result)
        check("/CN=bob" in out and "the CA: good" in out, f"a good client certificate:\n{out[-2000:]}")
        lab.run(exe("tlslab-ca"), "revoke", "--dir", ca_dir, "--serial", serial, "--reason", "keyCompromise")
        result = subprocess.run(base, input=b"GET / HTTP/1.0\r\n\r\n", capture_output=True, timeout=20)
        check("this TLS" not in text(result), "a revoked client certificate was served")
        log = wait_for_log(process.log_path, "client certificate refused")
        lines = [line for line in log.splitlines() if "client certificate refused" in line]
        check(len(lines) == 1 and "revoked" in lines[0], f"no one line saying revoked:\n{log[-2000:]}")


@test("plain-http-to-tls-port")
def plain_http_to_tls_port():
    """A plain-text HTTP request to the TLS port: one line saying so; the server keeps serving."""
    with Lab() as lab:
        server = TlsServer(lab, trace_json=False)
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            try:
                s.recv(4096)
            except OSError:
                pass
        log = wait_for_log(server.log, "tls handshake failed")
        lines = [line for line in log.splitlines() if "tls handshake failed" in line]
        check(len(lines) == 1 and "plain-text HTTP request on the TLS port" in lines[0], f"log:\n{log[-2000:]}")
        check(server.served_page(), "the server stopped serving after a plain HTTP request")


@test("half-client-hello-stalls")
def half_client_hello_stalls():
    """A client that sends half a ClientHello and stalls is cut off at the handshake deadline; a
    client meanwhile and after is served."""
    with Lab() as lab:
        server = TlsServer(lab, extra=["--handshake-timeout-ms", "1500"], trace_json=False)
        hello = ssl_client_hello()
        staller = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        staller.sendall(hello[: len(hello) // 2])
        check(server.served_page(), "a client was not served while another stalled")
        staller.settimeout(10)
        start = time.monotonic()
        try:
            data = staller.recv(4096)
        except OSError:
            data = b""
        check(data == b"" or data[:1] == b"\x15", f"the staller got {data[:20]!r}")
        check(time.monotonic() - start < 9, "the staller was not cut off")
        log = wait_for_log(server.log, "tls handshake failed: no complete handshake within 1500 ms")
        check("no complete handshake within 1500 ms" in log, f"no timeout line:\n{log[-2000:]}")
        staller.close()
        check(server.served_page(), "the server stopped serving after cutting off a staller")


@test("idle-after-handshake")
def idle_after_handshake():
    """A client that completes the handshake and then sends nothing is cut off at the idle timeout
    (one line), and the server goes on serving."""
    with Lab() as lab:
        server = TlsServer(lab, extra=["--idle-timeout-ms", "1000"], trace_json=False)
        context = ssl.create_default_context(cafile=server.trust)
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                try:
                    data = tls.recv(1)
                except (ssl.SSLError, OSError):
                    data = b""
                check(data == b"", f"the idle client got {data!r}")
        log = wait_for_log(server.log, "idle timeout")
        check("idle timeout: the peer sent nothing for 1000 ms" in log, f"no idle line:\n{log[-2000:]}")
        check(server.served_page(), "the server stopped serving after an idle client")


@test("garbage-bytes")
def garbage_bytes():
    """Random bytes where a ClientHello belongs: one line, the server keeps serving."""
    with Lab() as lab:
        server = TlsServer(lab, trace_json=False)
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(bytes(range(256)) * 8)
            try:
                s.recv(4096)
            except OSError:
                pass
        log = wait_for_log(server.log, "tls handshake failed")
        lines = [line for line in log.splitlines() if "tls handshake failed" in line]
        check(len(lines) == 1, f"expected one line:\n{log[-2000:]}")
        check(server.served_page(), "the server stopped serving after garbage")


def ssl_client_hello():
    """A real ClientHello, as Python's ssl makes it (taken from a memory BIO)."""
    context = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
