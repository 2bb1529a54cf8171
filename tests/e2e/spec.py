"""Behaviours docs/PROTOCOL.md pins down where an implementation written from it had to guess,
each against the real programs with hand-built frames (tests/lib/tlslab_wire.py).

Run one:   python3 tests/e2e/spec.py ca_rejects_another_frame_version
List them: python3 tests/e2e/spec.py --list
"""
import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Lab, Setup, check, exe, raw_exchange, run_named, wait_for_log  # noqa: E402
import tlslab_wire as wire  # noqa: E402
from tlslab_wire import alert, client_hello, client_key_exchange, frame, split_frames, vec16, u8, u24  # noqa: E402

TESTS = {}
CT_ALERT, CT_HANDSHAKE, CT_PROTECTED = 21, 22, 23
BAD_RECORD_MAC, DECODE_ERROR, PROTOCOL_VERSION, HANDSHAKE_FAILURE = 20, 50, 70, 40


def test(function):
    TESTS[function.__name__] = function
    return function


def alerts_in(answer):
    return [f[5:] for f in split_frames(answer) if f[0] == CT_ALERT]


# §9: the CA answers a frame of another version with protocol_version, like the server (§2).
@test
def ca_rejects_another_frame_version():
    with Lab() as lab:
        setup = Setup(lab)
        request = struct.pack(">BHH", CT_HANDSHAKE, 0x0200, 4) + b"\x40\x00\x00\x00"
        check(alerts_in(raw_exchange(setup.ca_port, request)) == [alert(PROTOCOL_VERSION)],
              "the CA must answer a frame of version 0x0200 with protocol_version")


# §7.1: an encrypted_pre_master that is empty does not decode.
@test
def empty_pre_master_is_a_decode_error():
    with Lab() as lab:
        setup = Setup(lab)
        empty = u8(16) + u24(2) + b"\x00\x00"  # ClientKeyExchange with encrypted_pre_master<0>
        answer = raw_exchange(setup.server_port, frame(CT_HANDSHAKE, client_hello(os.urandom(32))),
                              frame(CT_HANDSHAKE, empty))
        check(alerts_in(answer) == [alert(DECODE_ERROR)], f"expected decode_error, got {answer.hex()[-40:]}")


# §7.1: any other length than the modulus is a failed decryption, said nowhere but at Finished.
@test
def short_pre_master_fails_only_at_finished():
    with Lab() as lab:
        setup = Setup(lab)
        for length in (10, 255, 257):
            answer = raw_exchange(setup.server_port, frame(CT_HANDSHAKE, client_hello(os.urandom(32))),
                                  frame(CT_HANDSHAKE, client_key_exchange(os.urandom(length))),
                                  frame(CT_PROTECTED, os.urandom(40)), half_close=True)
            check(alerts_in(answer) == [alert(BAD_RECORD_MAC)],
                  f"a {length}-byte encrypted_pre_master: expected bad_record_mac at Finished, got {answer.hex()[-40:]}")


# §8: a warning alert other than close_notify ends the session as a fatal one does; nothing is
# sent back.
@test
def warning_alert_ends_the_session():
    with Lab() as lab:
        setup = Setup(lab)
        answer = raw_exchange(setup.server_port, frame(CT_HANDSHAKE, client_hello(os.urandom(32))),
                              frame(CT_ALERT, alert(HANDSHAKE_FAILURE, level=1)))
        frames = split_frames(answer)
        check([f[0] for f in frames] == [CT_HANDSHAKE], f"expected only the ServerHello back, got {answer.hex()[:60]}")
        log = wait_for_log(setup.server_process.log_path, "client sent alert handshake_failure")
        check("client sent alert handshake_failure" in log, f"the server should log the alert:\n{log[-1500:]}")


# --- issue 21: ECDHE, stapling and mutual authentication where the spec left an implementer guessing ---
EXIT_REJECTED, EXIT_STATUS, EXIT_NEGOTIATION, EXIT_INTEGRITY = 4, 5, 7, 8


def server_hello_of(answer):
    """The first frame of `answer`, a ServerHello, parsed (tlslab_wire.parse_server_hello)."""
    frames = split_frames(answer)
    check(frames and frames[0][0] == CT_HANDSHAKE and frames[0][5] == wire.HT_SERVER_HELLO,
          f"expected a ServerHello, got {answer.hex()[:60]}")
    return wire.parse_server_hello(frames[0][5:])


def extension_types(client_hello):
    """The extension types of a ClientHello message, in order."""
    body = client_hello[4:]
    at = 2 + 32
    at += 2 + struct.unpack("!H", body[at:at + 2])[0]
    end, at, types = at + 2 + struct.unpack("!H", body[at:at + 2])[0], at + 2, []
    while at < end:
        kind, length = struct.unpack("!HH", body[at:at + 4])
        types.append(kind)
        at += 4 + length
    return types


class FakeServer:
    """A server written from the spec for one connection, to test the real client: it reads the
    ClientHello, answers with `answer(client_hello)` (a ServerHello message, or None to close), then
    keeps the client's next frame (an alert, or arrow 5 when the client accepted) and closes."""

    def __init__(self, answer):
        self.answer, self.client_hello, self.next_frame = answer, None, None
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(30)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            connection, _ = self.listener.accept()
            with connection:
                connection.settimeout(20)
                first = wire.recv_frame(connection)
                if first is None:
                    return
                self.client_hello = first[5:]
                reply = self.answer(self.client_hello)
                if reply is None:
                    return
                connection.sendall(wire.frame(CT_HANDSHAKE, reply))
                self.next_frame = wire.recv_frame(connection)
        except OSError:
            pass
        finally:
            self.listener.close()

    def alert(self):
        """The alert description the client sent after the ServerHello, or None."""
        self.thread.join(30)
        if self.next_frame is None or self.next_frame[0] != CT_ALERT:
            return None
        return self.next_frame[6]


def load_identity(cert_path, key_path):
    """(certificate DER, SubjectPublicKeyInfo DER, private key) from tlslab-ca's PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    with open(cert_path, "rb") as f:
        certificate = x509.load_pem_x509_certificate(f.read())
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    return (certificate.public_bytes(serialization.Encoding.DER),
            certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo), key)


def sign_share(key, client_random, server_random, group, key_exchange, salt_length=32):
    """§7.6's signature over the key share; `salt_length` other than 32 makes an RSA-PSS one the
    spec refuses."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    if not isinstance(key, rsa.RSAPrivateKey) or salt_length == 32:
        return wire.sign_key_share(key, client_random, server_random, group, key_exchange)
    content = wire.key_share_signed_content(client_random, server_random, group, key_exchange)
    return wire.SCHEME_RSA_PSS_RSAE_SHA256, key.sign(
        content, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt_length), hashes.SHA256())


def ecdhe_answer(identity, key_exchange=None, tamper=False, salt_length=32):
    """A ServerHello with TLSLAB_ECDHE_WITH_AES_128_GCM_SHA256, x25519 and a key share signed with
    `identity`'s key (the last byte flipped with `tamper`)."""
    certificate, public_key, key = identity

    def answer(client_hello):
        client_random, server_random = client_hello[6:38], os.urandom(32)
        share = key_exchange if key_exchange is not None else wire.EphemeralKey(wire.GROUP_X25519).public
        scheme, signature = sign_share(key, client_random, server_random, wire.GROUP_X25519, share, salt_length)
        if tamper:
            signature = signature[:-1] + bytes([signature[-1] ^ 1])
        extension = wire.key_share_server_extension(wire.GROUP_X25519, share, scheme, signature)
        return wire.server_hello(server_random, 0x0B01, certificate, public_key, extension)
    return answer


def rsa_answer(identity, extensions=b""):
    """A ServerHello with TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256 and `extensions`."""
    certificate, public_key, _ = identity
    return lambda client_hello: wire.server_hello(os.urandom(32), 0x0A01, certificate, public_key, extensions)


class ClientLab:
    """A CA (with its service) and certificates, for the real client against a FakeServer."""

    def __init__(self, lab):
        self.lab = lab
        self.ca_dir = lab.make_ca()
        self.trust = os.path.join(self.ca_dir, "ca.crt")
        _, self.ca_port, _ = lab.start_ca(self.ca_dir)

    def identity(self, name, ca_dir=None, extra=(), revoke=False):
        cert, key, serial = self.lab.issue(ca_dir or self.ca_dir, name=name, extra=extra)
        if revoke:
            self.lab.run(exe("tlslab-ca"), "revoke", "--dir", ca_dir or self.ca_dir, "--serial", serial)
        return load_identity(cert, key)

    def run(self, answer, extra=()):
        """The client against a FakeServer answering `answer`: (alert the client sent, exit code, server)."""
        server = FakeServer(answer)
        result = self.lab.client(server.port, self.ca_port, self.trust, ["--quiet", *extra])
        return server.alert(), result.returncode, server


def expect_client(outcome, alert_code, exit_code, what):
    alert_sent, returncode, _ = outcome
    check(alert_sent == alert_code and returncode == exit_code,
          f"{what}: expected alert {alert_code} and exit {exit_code}, got alert {alert_sent} and exit {returncode}")


# §5 step 3 (point 3): the key share's checks of §7.6 (group, scheme, keyUsage, point, signature)
# are part of step 3, before the trust path of step 4: a bad signature from a certificate no trusted
# CA issued is decrypt_error, a good one unknown_ca.
@test
def client_checks_the_key_share_before_the_trust_path():
    with Lab() as lab:
        c = ClientLab(lab)
        stranger = c.identity("stranger", ca_dir=lab.make_ca("other"))
        expect_client(c.run(ecdhe_answer(stranger, tamper=True)), wire.DECRYPT_ERROR, EXIT_INTEGRITY,
                      "a bad key-share signature, certificate from an unknown CA")
        expect_client(c.run(ecdhe_answer(stranger)), wire.UNKNOWN_CA, EXIT_REJECTED,
                      "a good key-share signature, certificate from an unknown CA")
        expired = c.identity("expired", extra=["--not-before", "-40d", "--days", "30"])
        expect_client(c.run(ecdhe_answer(expired, key_exchange=os.urandom(31))), wire.ILLEGAL_PARAMETER,
                      EXIT_NEGOTIATION, "a 31-byte x25519 share, an expired certificate")


# §5 step 5, then arrow 5 (point 3): the client computes the PRE-MASTER only after the status check,
# so the all-zero x25519 result (illegal_parameter) is found after the CA's answer.
@test
def client_uses_the_key_share_only_after_the_status_check():
    with Lab() as lab:
        c = ClientLab(lab)
        revoked = c.identity("revoked", revoke=True)
        expect_client(c.run(ecdhe_answer(revoked, key_exchange=bytes(32)), ["--ca-check", "direct"]),
                      wire.CERTIFICATE_REVOKED, EXIT_STATUS, "an all-zero x25519 share, a revoked certificate")
        good = c.identity("good")
        expect_client(c.run(ecdhe_answer(good, key_exchange=bytes(32)), ["--ca-check", "direct"]),
                      wire.ILLEGAL_PARAMETER, EXIT_NEGOTIATION, "an all-zero x25519 share, a good certificate")


# §7.7 (point 4): "the scheme of its own key is not in the list -> handshake_failure" is checked when
# the client builds arrow 5, after all of §5 (steps 1-5): the server's certificate alerts come first.
@test
def client_scheme_check_comes_after_the_certificate_checks():
    with Lab() as lab:
        c = ClientLab(lab)
        cert, key, _ = lab.issue(c.ca_dir, name="alice", cn="alice", sans="DNS:alice", extra=["--client"])
        mine = ["--cert", cert, "--key", key, "--ca-check", "direct"]
        ecdsa_only = wire.u16(wire.EXT_CERTIFICATE_REQUEST) + vec16(vec16(wire.u16(0x0403)))  # alice's key is RSA
        expired = c.identity("expired", extra=["--not-before", "-40d", "--days", "30"])
        expect_client(c.run(rsa_answer(expired, ecdsa_only), mine), wire.CERTIFICATE_EXPIRED, EXIT_REJECTED,
                      "no scheme for the client's key, an expired server certificate")
        revoked = c.identity("revoked", revoke=True)
        expect_client(c.run(rsa_answer(revoked, ecdsa_only), mine), wire.CERTIFICATE_REVOKED, EXIT_STATUS,
                      "no scheme for the client's key, a revoked server certificate")
        good = c.identity("good")
        expect_client(c.run(rsa_answer(good, ecdsa_only), mine), HANDSHAKE_FAILURE, EXIT_NEGOTIATION,
                      "no scheme for the client's key, a good server certificate")


# §7.5, §7.6 (point 5): an ECDHE suite offered without a key_share cannot be chosen; the server goes
# on down its preference (RSA), and answers handshake_failure only when no suite is left.
@test
def ecdhe_suites_without_a_key_share_are_skipped():
    with Lab() as lab:
        setup = Setup(lab, server_extra=["--suites", "ecdhe-aes128gcm,aes128gcm"])
        only_ecdhe = wire.client_hello(os.urandom(32), suites=[0x0B01, 0x0B02, 0x0B03])
        answer = raw_exchange(setup.server_port, frame(CT_HANDSHAKE, only_ecdhe), half_close=True)
        check(alerts_in(answer) == [alert(HANDSHAKE_FAILURE)],
              f"only ECDHE suites, no key_share: expected handshake_failure, got {answer.hex()[:60]}")
        both = wire.client_hello(os.urandom(32), suites=[0x0B01, 0x0A01])
        hello = server_hello_of(raw_exchange(setup.server_port, frame(CT_HANDSHAKE, both), half_close=True))
        check(hello["suite"] == 0x0A01 and wire.EXT_KEY_SHARE not in hello["extensions"],
              f"ECDHE and RSA offered without a key_share: expected 0A01 without key_share, got {hello}")


# §7.6 (point 6): an ECDHE suite with no group in common is skipped, not fatal (RFC 8422 §5.1), even
# by a server that prefers ECDHE; handshake_failure only when no suite is left.
@test
def ecdhe_suite_without_a_group_in_common_is_skipped():
    with Lab() as lab:
        setup = Setup(lab, server_extra=["--suites", "ecdhe-aes128gcm,aes128gcm"])

        def offer(suites, groups):
            hello = wire.client_hello(os.urandom(32), suites=suites,
                                      extensions=wire.key_share_client_extension(groups))
            return raw_exchange(setup.server_port, frame(CT_HANDSHAKE, hello), half_close=True)
        secp384r1 = 0x0018  # a group this version does not define
        hello = server_hello_of(offer([0x0B01, 0x0A01], [secp384r1]))
        check(hello["suite"] == 0x0A01, f"no group in common: expected 0A01, the server chose {hello['suite']:04x}")
        hello = server_hello_of(offer([0x0B01, 0x0A01], [wire.GROUP_X25519]))
        check(hello["suite"] == 0x0B01, f"x25519 in common: expected 0B01, the server chose {hello['suite']:04x}")
        answer = offer([0x0B01], [secp384r1])
        check(alerts_in(answer) == [alert(HANDSHAKE_FAILURE)],
              f"only ECDHE, no group in common: expected handshake_failure, got {answer.hex()[:60]}")


# §7.6 (point 7): rsa_pss_rsae_sha256's salt is exactly 32 bytes; the client refuses a key share
# signed with a 20-byte salt (decrypt_error). (mutual.certificate-verify-salt-20-is-decrypt-error: the server.)
@test
def key_share_signed_with_another_salt_is_decrypt_error():
    with Lab() as lab:
        c = ClientLab(lab)
        good = c.identity("good")
        expect_client(c.run(ecdhe_answer(good, salt_length=20)), wire.DECRYPT_ERROR, EXIT_INTEGRITY,
                      "a key share signed with RSA-PSS and a 20-byte salt")


# §3.1 (point 8): server_name in a ServerHello is empty (RFC 6066 §3); a name in it is a decode_error.
@test
def server_name_echo_is_empty():
    with Lab() as lab:
        c = ClientLab(lab)
        good = c.identity("good")
        empty = wire.u16(wire.EXT_SERVER_NAME) + vec16(b"")
        accepted, _, server = c.run(rsa_answer(good, empty), ["--ca-check", "direct"])
        check(accepted is None and server.next_frame is not None and server.next_frame[0] == CT_HANDSHAKE,
              f"an empty server_name echo: the client should go on to arrow 5, sent {server.next_frame!r}")
        named = wire.u16(wire.EXT_SERVER_NAME) + vec16(wire.vec8(b"localhost"))
        expect_client(c.run(rsa_answer(good, named), ["--ca-check", "direct"]), DECODE_ERROR, 9,
                      "a server_name echo holding a name")


# §1 (point 10): a client that asks for neither stapling nor a client certificate and offers no ECDHE
# suite sends exactly the seed's ClientHello; offering an ECDHE suite adds key_share (§7.6).
@test
def seed_client_hello_only_without_ecdhe():
    with Lab() as lab:
        c = ClientLab(lab)
        _, _, server = c.run(lambda hello: None, ["--ca-check", "direct", "--suites", "aes128gcm,chacha20,aes256gcm"])
        server.thread.join(30)
        sent = server.client_hello
        check(sent == wire.client_hello(sent[6:38], [0x0A01, 0x0A03, 0x0A02], wire.server_name_extension("localhost")),
              f"the seed's ClientHello expected, got {sent.hex() if sent else None}")
        _, _, server = c.run(lambda hello: None, ["--ca-check", "direct"])
        server.thread.join(30)
        check(extension_types(server.client_hello) == [wire.EXT_SERVER_NAME, wire.EXT_KEY_SHARE],
              f"the default offer (ECDHE suites included) carries server_name and key_share: "
              f"{extension_types(server.client_hello)}")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
