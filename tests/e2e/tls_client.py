#!/usr/bin/env python3
"""tlslab-client --tls against real TLS servers (issue 24): openssl s_server -www and gnutls-serv
--http, TLS 1.2 and 1.3, RSA and ECDSA certificates, with and without a staple; tlslab-server --tls
when it speaks TLS; the CA check over HTTP to the responder the certificate names (good, then
revoked, as `openssl ocsp` says too), ending the real handshake with a real certificate_revoked
alert; the key log against the trace; and each failure as one line with its exit code.

Every server listens on 127.0.0.1: tlslab programs on port 0 (they print the port), openssl and
gnutls on a port that was free a moment before (bound then released), tried again on a collision.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, TestFailure, check, exe, free_port, read_json_lines, run_named, skip  # noqa: E402

OK, CERTIFICATE_REJECTED, CERTIFICATE_STATUS, CA_CHECK_FAILED = 0, 4, 5, 6


def need(tool):
    if shutil.which(tool) is None:
        skip(f"{tool} is not installed (apt-get install -y {'gnutls-bin' if 'gnutls' in tool else 'openssl'})")


def wait_for_port(port, process, log_path, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    raise TestFailure(f"nothing listens on {port}:\n{open(log_path, errors='replace').read()}")


def start_foreign(lab, make_args, name):
    """Starts openssl s_server or gnutls-serv on a free port; another try when the port was taken."""
    for attempt in range(5):
        port = free_port()
        log_path = lab.path(f"{name}-{attempt}.log")
        log = open(log_path, "w")
        process = subprocess.Popen(make_args(port), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        lab.processes.append(process)
        if wait_for_port(port, process, log_path):
            process.log_path = log_path
            return process, port
    raise TestFailure(f"{name} could not listen on a free port:\n{open(log_path, errors='replace').read()}")


def s_server(lab, cert, key, extra=()):
    need("openssl")
    return start_foreign(lab, lambda port: ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert,
                                            "-key", key, "-www", *extra], "s_server")


def gnutls_serv(lab, cert, key, extra=()):
    need("gnutls-serv")
    return start_foreign(lab, lambda port: ["gnutls-serv", "--http", "-p", str(port), "--x509certfile", cert,
                                            "--x509keyfile", key, *extra], "gnutls-serv")


class Pki:
    """A CA whose OCSP-over-HTTP responder runs, and a certificate naming it in its AIA."""

    def __init__(self, lab, ca_key="ec-p256", key_type="rsa2048", aia=True, crl=False, name="server", extra=()):
        self.lab = lab
        self.ca_dir = lab.make_ca(f"ca-{name}", key_type=ca_key)
        self.trust = os.path.join(self.ca_dir, "ca.crt")
        self.ca_process, self.ca_port, self.http_port = lab.start_ca(self.ca_dir, http=True)
        self.ocsp_url = f"http://127.0.0.1:{self.http_port}/"
        issue = ["--key-type", key_type, *extra]
        if aia:
            issue += ["--ocsp-url", self.ocsp_url]
        if crl:
            issue += ["--crl-url", f"http://127.0.0.1:{self.http_port}/crl"]
        self.cert, self.key, self.serial = lab.issue(self.ca_dir, name=name, extra=issue)

    def revoke(self):
        self.lab.run(exe("tlslab-ca"), "revoke", "--dir", self.ca_dir, "--serial", self.serial, "--reason",
                     "keyCompromise")

    def staple(self, path):
        """The CA's answer for the certificate as `openssl ocsp` fetches it (what a server staples)."""
        self.lab.run("openssl", "ocsp", "-issuer", self.trust, "-cert", self.cert, "-url", self.ocsp_url,
                     "-respout", path, "-noverify")
        return path

    def openssl_ocsp(self):
        out = self.lab.run("openssl", "ocsp", "-issuer", self.trust, "-cert", self.cert, "-url", self.ocsp_url,
                           "-CAfile", self.trust, check_ok=False)
        return out.stdout + out.stderr


def client(lab, port, trust, extra=(), server_name="localhost"):
    args = [exe("tlslab-client"), "--tls", "--connect", f"127.0.0.1:{port}", "--trust", trust,
            "--server-name", server_name, *extra]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def failure_line(result):
    lines = [line for line in result.stderr.splitlines() if line.startswith("tlslab-client: ")]
    return lines[-1] if lines else ""


def expect(result, code, *needles):
    check(result.returncode == code, f"exit {result.returncode}, expected {code}:\n{result.stderr[-3000:]}")
    for needle in needles:
        check(needle in result.stderr, f"'{needle}' not in:\n{result.stderr[-3000:]}")


# --- interoperability ------------------------------------------------------------------------------

def interop(server, version, ca_key, key_type):
    def test():
        with Lab() as lab:
            pki = Pki(lab, ca_key=ca_key, key_type=key_type)
            process, port = server(lab, pki.cert, pki.key)
            result = client(lab, port, pki.trust, ["--tls-versions", version, "--ca-check", "direct"])
            expect(result, OK, f"handshake complete: TLS {version}", "(3) Client → CA: OCSPRequest (HTTP POST)",
                   "status                 good")
            check(result.stdout.strip() != "", "no page came back")
            algorithm = "ECDSA" if key_type == "ec-p256" else "RSA"
            check(algorithm in result.stderr or ("EC" in result.stderr and algorithm == "ECDSA"),
                  f"the trace does not name the {algorithm} key:\n{result.stderr[-2000:]}")
    return test


def stapled(version):
    def test():
        with Lab() as lab:
            pki = Pki(lab)
            staple = pki.staple(lab.path("staple.der"))
            process, port = s_server(lab, pki.cert, pki.key, ["-status_file", staple])
            pki.ca_process.terminate()  # the staple alone must do: the CA is gone
            pki.ca_process.wait()
            result = client(lab, port, pki.trust, ["--tls-versions", version, "--ca-check", "stapled"])
            expect(result, OK, "checks the stapled OCSP response", "the CA's answer stapled: no CA round trip")
    return test


def stapled_revoked(version, alert):
    def test():
        with Lab() as lab:
            pki = Pki(lab)
            pki.revoke()
            staple = pki.staple(lab.path("staple.der"))
            process, port = s_server(lab, pki.cert, pki.key, ["-status_file", staple])
            result = client(lab, port, pki.trust, ["--tls-versions", version, "--ca-check", "auto", "--quiet"])
            expect(result, CERTIFICATE_STATUS, "certificate_revoked", "keyCompromise", f"(alert {alert} sent)")
    return test


def test_stapled_required_but_missing():
    with Lab() as lab:
        pki = Pki(lab)
        process, port = s_server(lab, pki.cert, pki.key)
        result = client(lab, port, pki.trust, ["--ca-check", "stapled", "--quiet"])
        expect(result, CA_CHECK_FAILED, "--ca-check stapled: the server stapled no OCSP response")
        check(len(failure_line(result)) > 0 and result.stderr.count("\n") == 1, f"not one line:\n{result.stderr}")


def test_auto_without_staple_asks_the_responder():
    with Lab() as lab:
        pki = Pki(lab)
        process, port = s_server(lab, pki.cert, pki.key)
        result = client(lab, port, pki.trust, ["--ca-check", "auto"])
        expect(result, OK, "the server stapled no OCSP response", "(3) Client → CA: OCSPRequest (HTTP POST)")


def test_auto_tls12_without_staple_revoked():
    """TLS 1.2, --ca-check auto, a server that does not staple: its ServerHello says no staple will
    come, so the responder is asked from the verify callback and libssl sends certificate_revoked."""
    with Lab() as lab:
        pki = Pki(lab)
        pki.revoke()
        process, port = s_server(lab, pki.cert, pki.key)
        result = client(lab, port, pki.trust, ["--ca-check", "auto", "--tls-versions", "1.2", "--quiet"])
        expect(result, CERTIFICATE_STATUS, "tls handshake failed: certificate_revoked",
               "(alert certificate_revoked sent)")


def test_direct_good_then_revoked_as_openssl_ocsp_says():
    with Lab() as lab:
        pki = Pki(lab)
        process, port = s_server(lab, pki.cert, pki.key)
        check(": good" in pki.openssl_ocsp(), f"openssl ocsp does not say good:\n{pki.openssl_ocsp()}")
        expect(client(lab, port, pki.trust, ["--ca-check", "direct"]), OK, "status                 good")
        pki.revoke()
        said = pki.openssl_ocsp()
        check(": revoked" in said and "keyCompromise" in said, f"openssl ocsp does not say revoked:\n{said}")
        for version in ("1.2", "1.3"):
            result = client(lab, port, pki.trust, ["--ca-check", "direct", "--tls-versions", version, "--quiet"])
            expect(result, CERTIFICATE_STATUS, "tls handshake failed: certificate_revoked", "keyCompromise",
                   "(alert certificate_revoked sent)")
        # The server received the real alert, from libssl.
        log = open(process.log_path, errors="replace").read()
        check("alert certificate revoked" in log, f"s_server did not receive certificate_revoked:\n{log[-2000:]}")


def test_tlslab_server():
    with Lab() as lab:
        help_text = lab.run(exe("tlslab-server"), "--help", check_ok=False).stdout
        if "--tls" not in help_text:
            skip("tlslab-server does not speak --tls in this build")
        pki = Pki(lab)
        process, port = lab.start_server(pki.cert, pki.key, ["--tls"])
        for version in ("1.2", "1.3"):
            result = client(lab, port, pki.trust, ["--tls-versions", version, "--ca-check", "direct"])
            expect(result, OK, f"handshake complete: TLS {version}", "status                 good")
        # Stapled by tlslab-server from the CA service.
        process, port = lab.start_server(pki.cert, pki.key, ["--tls", "--staple-from", f"127.0.0.1:{pki.ca_port}",
                                                             "--staple-trust", pki.trust])
        for version in ("1.2", "1.3"):
            result = client(lab, port, pki.trust, ["--tls-versions", version, "--ca-check", "stapled"])
            expect(result, OK, "checks the stapled OCSP response", "the CA's answer stapled: no CA round trip")


# --- the key log against the trace -----------------------------------------------------------------

def keylog(version, labels):
    def test():
        with Lab() as lab:
            pki = Pki(lab)
            process, port = s_server(lab, pki.cert, pki.key)
            keylog_path, trace_path = lab.path("keys.log"), lab.path("trace.jsonl")
            result = client(lab, port, pki.trust, ["--tls-versions", version, "--keylog", keylog_path,
                                                   "--trace-json", trace_path, "--ca-check", "direct"])
            expect(result, OK)
            events = read_json_lines(trace_path)
            randoms = {e.get("facts", {}).get("client_random") for e in events} - {None, ""}
            randoms |= {e.get("fields", {}).get("RAND-CLIENT") for e in events if e.get("arrow") == 1} - {None}
            check(len(randoms) == 1, f"the trace names {len(randoms)} client randoms: {randoms}")
            client_random = randoms.pop().lower()
            lines = [line.split() for line in open(keylog_path) if line.strip()]
            seen = {label for label, *_ in lines}
            for label in labels:
                check(label in seen, f"no {label} line in the key log: {sorted(seen)}")
            for label, random, _secret in lines:
                check(random.lower() == client_random,
                      f"{label}'s client random {random} is not the trace's {client_random}")
    return test


# --- failures: one line and the right exit code ----------------------------------------------------

def test_wrong_host_name():
    with Lab() as lab:
        pki = Pki(lab)
        process, port = s_server(lab, pki.cert, pki.key)
        result = client(lab, port, pki.trust, ["--quiet", "--ca-check", "direct"], server_name="other.example")
        expect(result, CERTIFICATE_REJECTED, "tls handshake failed: certificate verify failed: hostname mismatch",
               "sent)")
        check(result.stderr.count("\n") == 1, f"not one line:\n{result.stderr}")


def test_untrusted_ca():
    with Lab() as lab:
        pki = Pki(lab)
        other = lab.make_ca("other")
        process, port = s_server(lab, pki.cert, pki.key)
        result = client(lab, port, os.path.join(other, "ca.crt"), ["--quiet", "--ca-check", "direct"])
        expect(result, CERTIFICATE_REJECTED,
               "tls handshake failed: certificate verify failed: unable to get local issuer certificate "
               "(alert unknown_ca sent)")
        check(result.stderr.count("\n") == 1, f"not one line:\n{result.stderr}")


def test_expired_certificate():
    with Lab() as lab:
        pki = Pki(lab, extra=("--not-before", "-30d", "--days", "1"))
        process, port = s_server(lab, pki.cert, pki.key)
        result = client(lab, port, pki.trust, ["--quiet", "--ca-check", "direct"])
        expect(result, CERTIFICATE_REJECTED,
               "tls handshake failed: certificate verify failed: certificate has expired (alert certificate_expired "
               "sent)")


def test_no_revocation_check_possible():
    with Lab() as lab:
        pki = Pki(lab, aia=False)
        process, port = s_server(lab, pki.cert, pki.key)
        line = "names neither an OCSP responder (Authority Information Access) nor a CRL distribution point: " \
               "no revocation check is possible"
        for mode in ("direct", "crl"):
            result = client(lab, port, pki.trust, ["--quiet", "--ca-check", mode])
            expect(result, CA_CHECK_FAILED, line, f"(--ca-check {mode})")
            check(result.stderr.count("\n") == 1, f"not one line:\n{result.stderr}")
        result = client(lab, port, pki.trust, ["--quiet", "--ca-check", "auto"])
        expect(result, OK, line, "--ca-check auto goes on without one")


def test_crl_good_then_revoked():
    with Lab() as lab:
        pki = Pki(lab, aia=False, crl=True)
        process, port = s_server(lab, pki.cert, pki.key)
        expect(client(lab, port, pki.trust, ["--ca-check", "crl"]), OK, "not in the CA's list: good")
        pki.revoke()
        result = client(lab, port, pki.trust, ["--ca-check", "crl", "--quiet"])
        expect(result, CERTIFICATE_STATUS, "certificate_revoked", "(alert certificate_revoked sent)")


def test_responder_that_is_not_http_is_refused_by_the_ca():
    with Lab() as lab:
        ca_dir = lab.make_ca()
        result = lab.run(exe("tlslab-ca"), "issue", "--dir", ca_dir, "--cn", "localhost", "--out-cert",
                         lab.path("x.crt"), "--out-key", lab.path("x.key"), "--ocsp-url", "https://ca.example/\x1b[2J",
                         check_ok=False)
        check(result.returncode == 1, f"exit {result.returncode}")
        check(result.stderr.count("\n") == 1 and "--ocsp-url 'https://ca.example/\\x1b[2J' must be an http://" in
              result.stderr, f"not the one escaped line:\n{result.stderr!r}")


def test_report_and_diagram():
    with Lab() as lab:
        pki = Pki(lab)
        process, port = s_server(lab, pki.cert, pki.key)
        report, diagram = lab.path("run.html"), lab.path("run.puml")
        result = client(lab, port, pki.trust, ["--ca-check", "direct", "--report", report, "--plantuml", diagram])
        expect(result, OK)
        page = open(report).read()
        check("ClientHello" in page and "OCSPRequest" in page, "the report lacks the TLS flights or arrows 3-4")
        uml = open(diagram).read()
        check("@startuml" in uml and "ClientHello" in uml, "the diagram lacks the TLS flights")


def test_server_that_stalls_after_the_handshake():
    with Lab() as lab:
        pki = Pki(lab)
        need("openssl")
        # s_server without -www answers nothing: it only relays its stdin, which stays open and empty.
        port = None
        for attempt in range(5):
            port = free_port()
            log_path = lab.path(f"s_server-{attempt}.log")
            process = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", pki.cert,
                                        "-key", pki.key], stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
                                       stdin=subprocess.PIPE)
            lab.processes.append(process)
            if wait_for_port(port, process, log_path):
                break
        result = client(lab, port, pki.trust, ["--ca-check", "direct", "--idle-timeout-ms", "500", "--quiet"])
        expect(result, 3, "session failed: the server sent nothing for 500 ms (--idle-timeout-ms)")
        check(result.stderr.count("\n") == 1, f"not one line:\n{result.stderr}")


def test_client_certificate():
    with Lab() as lab:
        pki = Pki(lab)
        cert, key, _serial = lab.issue(pki.ca_dir, name="client", cn="tls client", sans="DNS:client.test",
                                       extra=("--client",))
        process, port = s_server(lab, pki.cert, pki.key, ["-Verify", "1", "-CAfile", pki.trust])
        result = client(lab, port, pki.trust, ["--ca-check", "direct", "--quiet", "--tls-versions", "1.3"])
        expect(result, 11, "the server sent alert certificate_required", "pass --cert and --key")
        result = client(lab, port, pki.trust, ["--ca-check", "direct", "--cert", cert, "--key", key])
        expect(result, OK, "handshake complete")
        check("Certificate" in result.stderr, "the trace does not show the client's Certificate")


def test_responder_down():
    with Lab() as lab:
        pki = Pki(lab)
        process, port = s_server(lab, pki.cert, pki.key)
        pki.ca_process.terminate()
        pki.ca_process.wait()
        result = client(lab, port, pki.trust, ["--ca-check", "direct", "--quiet"])
        expect(result, CA_CHECK_FAILED, "tls handshake failed: bad_certificate_status_response: OCSP responder "
               f"{pki.ocsp_url}: asking the OCSP responder: cannot connect", "sent)")
        check(result.stderr.count("\n") == 1, f"not one line:\n{result.stderr}")


def test_system_trust_does_not_know_the_lab_ca():
    with Lab() as lab:
        pki = Pki(lab)
        process, port = s_server(lab, pki.cert, pki.key)
        result = client(lab, port, "system", ["--ca-check", "direct", "--quiet"])
        expect(result, CERTIFICATE_REJECTED, "certificate verify failed: unable to get local issuer certificate "
               "(alert unknown_ca sent)")


def test_responder_that_is_not_http_is_never_asked():
    """A certificate whose AIA names an https:// or file:// responder (made with openssl, since
    tlslab-ca refuses to write one): one line, exit 6, and nothing connects to the named port."""
    with Lab() as lab:
        pki = Pki(lab, aia=False)
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        listener.settimeout(0.2)
        decoy = listener.getsockname()[1]
        for url in (f"https://127.0.0.1:{decoy}/", f"file:///etc/passwd"):
            key, csr, cert, ext = (lab.path(n) for n in ("x.key", "x.csr", "x.crt", "x.ext"))
            with open(ext, "w") as f:
                f.write(f"subjectAltName=DNS:localhost\nauthorityInfoAccess=OCSP;URI:{url}\n")
            lab.run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
            lab.run("openssl", "x509", "-req", "-in", csr, "-CA", pki.trust, "-CAkey",
                    os.path.join(pki.ca_dir, "ca.key"), "-CAcreateserial", "-days", "2", "-out", cert,
                    "-extfile", ext)
            process, port = s_server(lab, cert, key)
            result = client(lab, port, pki.trust, ["--ca-check", "direct", "--quiet"])
            expect(result, CA_CHECK_FAILED, "the certificate's OCSP responder (Authority Information Access)",
                   "is not an http:// URL", "not asked")
            check(result.stderr.count("\n") == 1, f"not one line:\n{result.stderr}")
            try:
                listener.accept()[0].close()
                raise TestFailure(f"the client connected to the {url} responder")
            except socket.timeout:
                pass
            process.terminate()
        listener.close()


def test_usage():
    with Lab() as lab:
        result = subprocess.run([exe("tlslab-client"), "--tls", "--tls-versions", "1.1", "--trust", "x"],
                                capture_output=True, text=True)
        check(result.returncode == 2 and "'1.1' is not a TLS version" in result.stderr, result.stderr)
        result = subprocess.run([exe("tlslab-client"), "--tls-versions", "1.3", "--trust", "x"],
                                capture_output=True, text=True)
        check(result.returncode == 2 and "go with --tls" in result.stderr, result.stderr)
        result = subprocess.run([exe("tlslab-client"), "--tls", "--suites", "ecdhe-aes128gcm", "--trust", "x"],
                                capture_output=True, text=True)
        check(result.returncode == 2 and "are the lab protocol's" in result.stderr, result.stderr)


TESTS = {
    "openssl-tls12-rsa": interop(s_server, "1.2", "ec-p256", "rsa2048"),
    "openssl-tls13-rsa": interop(s_server, "1.3", "ec-p256", "rsa2048"),
    "openssl-tls12-ecdsa": interop(s_server, "1.2", "rsa2048", "ec-p256"),
    "openssl-tls13-ecdsa": interop(s_server, "1.3", "rsa2048", "ec-p256"),
    "gnutls-tls12-rsa": interop(gnutls_serv, "1.2", "ec-p256", "rsa2048"),
    "gnutls-tls13-ecdsa": interop(gnutls_serv, "1.3", "ec-p256", "ec-p256"),
    "stapled-tls12": stapled("1.2"),
    "stapled-tls13": stapled("1.3"),
    # TLS 1.3 carries the staple in Certificate: checked in the verify callback, libssl's alert is
    # certificate_revoked. TLS 1.2 carries it in CertificateStatus, after the chain was verified:
    # libssl's status callback can only send bad_certificate_status_response.
    "stapled-revoked-tls13": stapled_revoked("1.3", "certificate_revoked"),
    "stapled-revoked-tls12": stapled_revoked("1.2", "bad_certificate_status_response"),
    "stapled-required-but-missing": test_stapled_required_but_missing,
    "auto-without-staple-asks-the-responder": test_auto_without_staple_asks_the_responder,
    "direct-good-then-revoked": test_direct_good_then_revoked_as_openssl_ocsp_says,
    "auto-tls12-without-staple-revoked": test_auto_tls12_without_staple_revoked,
    "tlslab-server": test_tlslab_server,
    "keylog-tls12": keylog("1.2", ["CLIENT_RANDOM"]),
    "keylog-tls13": keylog("1.3", ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                                   "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"]),
    "wrong-host-name": test_wrong_host_name,
    "untrusted-ca": test_untrusted_ca,
    "expired-certificate": test_expired_certificate,
    "no-revocation-check-possible": test_no_revocation_check_possible,
    "crl-good-then-revoked": test_crl_good_then_revoked,
    "ocsp-url-not-http-refused": test_responder_that_is_not_http_is_refused_by_the_ca,
    "report-and-diagram": test_report_and_diagram,
    "server-stalls-after-the-handshake": test_server_that_stalls_after_the_handshake,
    "client-certificate": test_client_certificate,
    "responder-down": test_responder_down,
    "responder-not-http-never-asked": test_responder_that_is_not_http_is_never_asked,
    "system-trust-does-not-know-the-lab-ca": test_system_trust_does_not_know_the_lab_ca,
    "usage": test_usage,
}

if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
