"""Mutual authentication end to end (PROTOCOL.md §7.7, §9.2): `tlslab-ca issue --client`,
`tlslab-server --client-auth ... --client-trust ... --ca-service ...`, `tlslab-client --cert --key`,
on 127.0.0.1. Each refusal: the alert, the client's exit code 11, the server's log line.

Run one:   python3 tests/e2e/mutual.py good
List them: python3 tests/e2e/mutual.py --list
"""
import os
import re
import socket
import stat
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Lab, check, exe, free_port, run_named, wait_for_log  # noqa: E402
import tlslab_wire as wire  # noqa: E402

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


# --- §7.7's order on the mutual form of arrow 5, with a hand-built client (tests/lib/tlslab_wire.py) ---
def raw_mutual_ecdhe(m, cert_path, key_path, share, salt_length=32):
    """A client written from §7.6 and §7.7 alone: ClientHello with TLSLAB_ECDHE_WITH_AES_128_GCM_SHA256,
    x25519 and certificate_request; then arrow 5 in its mutual form with `share` as the key_exchange,
    the certificate and a CertificateVerify (RSA-PSS with `salt_length`). Returns the alert descriptions the server sent."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    with open(cert_path, "rb") as f:
        certificate = x509.load_pem_x509_certificate(f.read()).public_bytes(serialization.Encoding.DER)
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    hello = wire.client_hello(os.urandom(32), suites=[0x0B01],
                              extensions=wire.key_share_client_extension([wire.GROUP_X25519])
                              + wire.certificate_request_client_extension())
    with socket.create_connection(("127.0.0.1", m.server_port), timeout=10) as sock:
        sock.sendall(wire.frame(wire.CT_HANDSHAKE, hello))
        answer = wire.recv_frame(sock)
        check(answer is not None and answer[0] == wire.CT_HANDSHAKE, f"no ServerHello: {answer!r}")
        server_hello = answer[5:]
        parsed = wire.parse_server_hello(server_hello)
        check(parsed["suite"] == 0x0B01 and wire.EXT_CERTIFICATE_REQUEST in parsed["extensions"],
              f"the server did not choose ECDHE and ask for a certificate: {server_hello.hex()[:120]}")
        signed_fields = wire.vec8(share) + wire.vec16(certificate)
        scheme, signature = wire.sign_certificate_verify(key, "sha256", hello + server_hello, signed_fields,
                                                         salt_length)
        sock.sendall(wire.frame(wire.CT_HANDSHAKE, wire.client_key_exchange_mutual(
            wire.vec8(share), certificate, scheme, signature)))
        alerts = []
        while (received := wire.recv_frame(sock)) is not None:
            if received[0] == wire.CT_ALERT:
                alerts.append(received[6])
        return alerts


ZERO_SHARE = bytes(32)           # an x25519 point of low order: the shared secret is all zero (§7.6)
SHORT_SHARE = os.urandom(31)     # not a valid x25519 public key (§7.6: exactly 32 bytes)


def expect_alert(alerts, expected, what):
    check(alerts == [expected], f"{what}: expected alert {expected}, the server sent {alerts}")


# §7.7: the certificate checks (1-4) and the CA's answer (5) come before the key exchange is used, so
# an expired certificate gets certificate_expired whatever its key share.
@test("order-expired-certificate-zero-share")
def order_expired_zero_share():
    with Lab() as lab:
        m = Mutual(lab)
        cert, key, _ = m.issue_client(extra=["--not-before", "-40d", "--days", "30"])
        expect_alert(raw_mutual_ecdhe(m, cert, key, ZERO_SHARE), wire.CERTIFICATE_EXPIRED,
                     "an expired certificate with an all-zero x25519 share")
        m.server_log_has("certificate_expired")


@test("order-expired-certificate-short-share")
def order_expired_short_share():
    with Lab() as lab:
        m = Mutual(lab)
        cert, key, _ = m.issue_client(extra=["--not-before", "-40d", "--days", "30"])
        expect_alert(raw_mutual_ecdhe(m, cert, key, SHORT_SHARE), wire.CERTIFICATE_EXPIRED,
                     "an expired certificate with a 31-byte x25519 share")


@test("order-revoked-certificate-zero-share")
def order_revoked_zero_share():
    with Lab() as lab:
        m = Mutual(lab)
        cert, key, serial = m.issue_client()
        lab.run(exe("tlslab-ca"), "revoke", "--dir", m.ca_dir, "--serial", serial, "--reason", "keyCompromise")
        expect_alert(raw_mutual_ecdhe(m, cert, key, ZERO_SHARE), wire.CERTIFICATE_REVOKED,
                     "a revoked certificate with an all-zero x25519 share")
        # certificate_revoked can only come from the CA's answer: the server asked (§9.2).
        m.server_log_has("certificate_revoked")


# ...and the key share is still refused once the certificate passes (§7.6, illegal_parameter), with the
# arrow in the server's trace.
@test("order-good-certificate-zero-share")
def order_good_zero_share():
    with Lab() as lab:
        m = Mutual(lab)
        cert, key, _ = m.issue_client()
        for share, what in ((ZERO_SHARE, "an all-zero"), (SHORT_SHARE, "a 31-byte")):
            expect_alert(raw_mutual_ecdhe(m, cert, key, share), wire.ILLEGAL_PARAMETER,
                         f"a good certificate with {what} x25519 share")
        m.server_log_has("illegal_parameter", "refused after the client's certificate is checked")


# README's exit codes: bad_certificate_status_response from the server, about the client's own
# certificate (the server could not reach its CA), is exit 11, not 6 (6 is the client's own CA check
# of the server's certificate).
@test("ca-unreachable-about-client-is-exit-11")
def ca_unreachable_about_client():
    with Lab() as lab:
        m = Mutual(lab)
        cert, key, _ = m.issue_client()
        _, port = lab.start_server(m.cert, m.key, ["--client-auth", "require", "--client-trust", m.trust,
                                                   "--ca-service", f"127.0.0.1:{free_port()}"])
        result = lab.client(port, m.ca_port, m.trust, ["--cert", cert, "--key", key])
        expect_refused(result, "bad_certificate_status_response")


# §7.6 rsa_pss_rsae_sha256 has a salt of exactly 32 bytes (the hash's length, as TLS 1.3 requires):
# a verifier refuses another with decrypt_error, here the server verifying a CertificateVerify.
@test("certificate-verify-salt-20-is-decrypt-error")
def certificate_verify_salt_20():
    with Lab() as lab:
        m = Mutual(lab)
        cert, key, _ = m.issue_client()
        share = wire.EphemeralKey(wire.GROUP_X25519).public
        expect_alert(raw_mutual_ecdhe(m, cert, key, share, salt_length=20), wire.DECRYPT_ERROR,
                     "an RSA-PSS CertificateVerify with a 20-byte salt")
        m.server_log_has("decrypt_error")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
