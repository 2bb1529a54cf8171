"""Mutual authentication end to end (PROTOCOL.md §7.7, §9.2): `tlslab-ca issue --client`,
`tlslab-server --client-auth ... --client-trust ... --ca-service ...`, `tlslab-client --cert --key`,
on 127.0.0.1. Each refusal: the alert, the client's exit code 11, the server's log line.

Run one:   python3 tests/e2e/mutual.py good
List them: python3 tests/e2e/mutual.py --list
"""
import os
import re
import stat
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, check, exe, run_named, wait_for_log  # noqa: E402

TESTS = {}
EXIT_OK, EXIT_USAGE, EXIT_INTEGRITY, EXIT_CLIENT_CERTIFICATE = 0, 2, 8, 11


def test(name):
    def register(function):
        TESTS[name] = function
        return function
    return register


class Mutual:
    """One CA, a server certificate, a server with --client-auth POLICY, and the CA service."""

    def __init__(self, lab, policy="require"):
        self.lab = lab
        self.ca_dir = lab.make_ca()
        self.trust = os.path.join(self.ca_dir, "ca.crt")
        self.cert, self.key, self.serial = lab.issue(self.ca_dir)
        self.ca_process, self.ca_port, _ = lab.start_ca(self.ca_dir)
        self.server_process, self.server_port = lab.start_server(
            self.cert, self.key, ["--client-auth", policy, "--client-trust", self.trust, "--ca-service",
                                  f"127.0.0.1:{self.ca_port}"])

    def issue_client(self, cn="alice", ca_dir=None, extra=()):
        cert, key = self.lab.path(f"{cn}.crt"), self.lab.path(f"{cn}.key")
        out = self.lab.run(exe("tlslab-ca"), "issue", "--client", "--dir", ca_dir or self.ca_dir, "--cn", cn,
                           "--out-cert", cert, "--out-key", key, *extra).stdout
        check("extendedKeyUsage clientAuth" in out, f"issue --client does not say what it issued:\n{out}")
        mode = stat.S_IMODE(os.stat(key).st_mode)
        check(mode == 0o600, f"the client's key has mode {oct(mode)}, not 0600")
        return cert, key, re.search(r"serial\s+([0-9a-f]+)", out).group(1)

    def client(self, cert=None, key=None, extra=()):
        args = ["--cert", cert, "--key", key] if cert else []
        return self.lab.client(self.server_port, self.ca_port, self.trust, [*args, *extra])

    def server_log_has(self, *needles):
        text = wait_for_log(self.server_process.log_path, *needles, timeout=5)
        for needle in needles:
            check(needle in text, f"the server log lacks {needle!r}:\n{text[-3000:]}")


def expect_refused(result, alert, code=EXIT_CLIENT_CERTIFICATE):
    check(result.returncode == code, f"expected exit {code} ({alert}), got {result.returncode}:\n{result.stderr[-2500:]}")
    check(alert in result.stderr, f"the client's reason does not name {alert}:\n{result.stderr[-2500:]}")


@test("good")
def good():
    with Lab() as lab:
        m = Mutual(lab)
        cert, key, serial = m.issue_client()
        result = m.client(cert, key)
        check(result.returncode == EXIT_OK, f"mutual handshake failed ({result.returncode}):\n{result.stderr[-2500:]}")
        check("/O=tlslab/CN=alice" in result.stdout and serial in result.stdout,
              "the session page does not name the client")
        check("CertificateVerify" in result.stderr, "the client's trace does not show its CertificateVerify")
        m.server_log_has("checks the client's CERTIFICATE", f"serial {serial}")


@test("no-certificate-required")
def no_certificate():
    with Lab() as lab:
        m = Mutual(lab)
        result = m.client()
        expect_refused(result, "certificate_required")
        check("--cert" in result.stderr, f"no hint to pass --cert:\n{result.stderr[-2000:]}")
        m.server_log_has("certificate_required")


@test("optional-anonymous")
def optional_anonymous():
    with Lab() as lab:
        m = Mutual(lab, "optional")
        result = m.client()
        check(result.returncode == EXIT_OK, f"an anonymous client was refused under optional:\n{result.stderr[-2000:]}")
        check("Anonymous" in result.stdout, "the session page does not say the client is anonymous")


@test("unknown-ca")
def unknown_ca():
    with Lab() as lab:
        m = Mutual(lab)
        other = lab.make_ca("other")
        cert, key, _ = m.issue_client("mallory", ca_dir=other)
        expect_refused(m.client(cert, key), "unknown_ca")
        m.server_log_has("unknown_ca")


@test("expired")
def expired():
    with Lab() as lab:
        m = Mutual(lab)
        cert, key, _ = m.issue_client(extra=["--not-before", "-40d", "--days", "30"])
        expect_refused(m.client(cert, key), "certificate_expired")


@test("revoked")
def revoked():
    with Lab() as lab:
        m = Mutual(lab)
        cert, key, serial = m.issue_client()
        check(m.client(cert, key).returncode == EXIT_OK, "alice was refused before her revocation")
        lab.run(exe("tlslab-ca"), "revoke", "--dir", m.ca_dir, "--serial", serial, "--reason", "keyCompromise")
        expect_refused(m.client(cert, key), "certificate_revoked")
        m.server_log_has("certificate_revoked")


@test("server-certificate-as-client")
def server_certificate_as_client():
    with Lab() as lab:
        m = Mutual(lab)
        expect_refused(m.client(m.cert, m.key), "bad_certificate")
        m.server_log_has("bad_certificate")


@test("client-certificate-as-server")
def client_certificate_as_server():
    with Lab() as lab:
        m = Mutual(lab)
        cert, key, _ = m.issue_client("localhost", extra=["--san", "DNS:localhost"])
        _, port = lab.start_server(cert, key)
        result = lab.client(port, m.ca_port, m.trust)
        check(result.returncode == 4 and "bad_certificate" in result.stderr,
              f"a client certificate was accepted as a server's ({result.returncode}):\n{result.stderr[-2000:]}")


@test("key-not-the-certificates")
def key_not_the_certificates():
    with Lab() as lab:
        m = Mutual(lab)
        cert, _, _ = m.issue_client()
        _, other_key, _ = m.issue_client("bob")
        result = m.client(cert, other_key)
        check(result.returncode != EXIT_OK and "does not belong to the certificate" in result.stderr,
              f"a key that is not the certificate's was used ({result.returncode}):\n{result.stderr[-2000:]}")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
