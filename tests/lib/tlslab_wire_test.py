#!/usr/bin/env python3
"""tlslab_wire.py against docs/PROTOCOL.md §12: every hex example of the spec is built again from
the example's inputs, and the key schedule, transcript hash, verify_data and the protected
Finished come out as the spec prints them. The values are read from PROTOCOL.md itself, so the
Python helpers and the spec cannot drift apart (as tests/tools/spec_examples_test.cpp does for
the C++ codec).

The ECDHE encodings of §7.6 (the key_share extension in ClientHello and ServerHello, the signed
content, the ClientKeyExchange's key_exchange) are checked byte by byte against the layouts of
§7.6, the ephemeral keys and shared secrets against RFC 7748 §6.1 (x25519) and RFC 5903 §8.1
(secp256r1), and the key share's signatures (rsa_pss_rsae_sha256, ecdsa_secp256r1_sha256) by
signing and verifying, and by failing to verify once a random or the key changed.

Exit status: 0 passed, 1 a value differs, 77 skipped (no `openssl` command or no `cryptography`).
"""

import hashlib
import os
import re
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tlslab_wire as wire  # noqa: E402

SPEC = os.path.join(HERE, "..", "..", "docs", "PROTOCOL.md")


def main():
    if not shutil.which("openssl"):
        print("SKIP: no openssl command (the PRF is OpenSSL's TLS1-PRF)")
        return 77
    try:
        import cryptography  # noqa: F401
    except ImportError:
        print("SKIP: python3 has no 'cryptography' module")
        return 77
    text = open(SPEC).read()
    examples = {name: bytes.fromhex(header + fragment) for name, header, fragment
                in re.findall(r"```hex (\w+)\n([0-9a-f]{10}) ([0-9a-f]+)\n```", text)}
    schedule = dict(re.findall(r"^(\w+) +([0-9a-f]+)$", text.split("### Key schedule", 1)[1].split("```", 2)[1], re.M))
    failures = []

    def expect(what, got, want):
        if got != want:
            failures.append(what)
            print(f"FAIL {what}:\n  got  {got.hex()}\n  want {want.hex()}")

    # §12's inputs: RAND-CLIENT = 00..1f, RAND-SERVER = 80..9f, 5-byte placeholder certificate
    # and key, 32 bytes of 5a as the nonce, 256 bytes of c3 as the RSA-OAEP ciphertext.
    client_random, server_random = bytes(range(0x00, 0x20)), bytes(range(0x80, 0xA0))
    certificate, public_key = bytes.fromhex("3003020101"), bytes.fromhex("3003020102")
    messages = {
        "client_hello": wire.client_hello(client_random, wire.DEFAULT_OFFER, wire.server_name_extension("localhost")),
        "server_hello": wire.server_hello(server_random, 0x0A01, certificate, public_key),
        "status_request": wire.status_request(certificate, b"\x5a" * 32),
        "status_request_requester": wire.status_request(certificate, b"\x5a" * 32, wire.REQUESTER_SERVER_FOR_STAPLE),
        "status_response": wire.status_response(bytes.fromhex("30030a0101")),
        "client_key_exchange": wire.client_key_exchange(b"\xc3" * 256),
    }
    for name, message in messages.items():
        expect(name, wire.frame(wire.CT_HANDSHAKE, message), examples[name])
    expect("alert", wire.frame(wire.CT_ALERT, wire.alert(wire.CERTIFICATE_REVOKED)), examples["alert"])
    expect("split_frames", b"|".join(wire.split_frames(b"".join(examples.values()))), b"|".join(examples.values()))

    pre_master = bytes.fromhex(schedule["pre_master"])
    master = wire.master_secret("sha256", pre_master, client_random, server_random)
    expect("master_secret", master, bytes.fromhex(schedule["master_secret"]))
    keys = wire.key_block(0x0A01, master, client_random, server_random)
    for name, got in zip(("client_write_key", "server_write_key", "client_write_iv", "server_write_iv"), keys):
        expect(name, got, bytes.fromhex(schedule[name]))

    transcript = messages["client_hello"] + messages["server_hello"] + messages["client_key_exchange"]
    finished_text = text.split("### Arrow 6: Finished (client), protected", 1)[1]
    transcript_hash = hashlib.sha256(transcript).digest()
    expect("transcript hash", transcript_hash, bytes.fromhex(re.search(r"= `([0-9a-f]{64})`", finished_text).group(1)))
    verify = wire.verify_data("sha256", master, "client", transcript_hash)
    expect("verify_data", verify, bytes.fromhex(re.search(r"verify_data = .*?= `([0-9a-f]{24})`", finished_text).group(1)))
    protection = wire.RecordProtection(0x0A01, keys[0], keys[2])
    expect("finished_protected", protection.seal(wire.CT_HANDSHAKE, wire.finished(verify)), examples["finished_protected"])

    n_ecdhe = check_ecdhe(expect, failures)

    if failures:
        print(f"tlslab_wire_test: {len(failures)} value(s) differ from PROTOCOL.md §12, §7.6 or the RFC vectors")
        return 1
    print(f"tlslab_wire_test: {len(examples)} frames and the key schedule of PROTOCOL.md §12 rebuilt; "
          f"{n_ecdhe} checks of §7.6 (ECDHE) passed")
    return 0


def check_ecdhe(expect, failures):
    """§7.6: encodings, RFC vectors for the two groups, signatures. Returns the number of checks."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    checks = [0]

    def check(what, got, want):
        checks[0] += 1
        expect(what, got, want)

    def check_true(what, condition):
        checks[0] += 1
        if not condition:
            failures.append(what)
            print(f"FAIL {what}")

    # the suites of §7.5's table: name, key length, hash, AEAD as their 0x0A counterparts
    for ecdhe, rsa_suite in ((0x0B01, 0x0A01), (0x0B02, 0x0A02), (0x0B03, 0x0A03)):
        name, *rest = wire.SUITES[ecdhe]
        check_true(f"suite 0x{ecdhe:04x} {name}", name.startswith("TLSLAB_ECDHE_WITH_")
                   and name[len("TLSLAB_ECDHE_WITH_"):] == wire.SUITES[rsa_suite][0][len("TLSLAB_RSA_OAEP_WITH_"):]
                   and rest == list(wire.SUITES[rsa_suite][1:]) and wire.is_ecdhe(ecdhe) and not wire.is_ecdhe(rsa_suite))

    # the encodings, field by field as §7.6 writes them
    check("ClientHello key_share (x25519, secp256r1)", wire.key_share_client_extension(),
          bytes.fromhex("0033" "0006" "0004" "001d" "0017"))
    share = bytes(range(0x40, 0x60))
    check("ServerKeyShare", wire.server_key_share(wire.GROUP_X25519, share, 0x0804, b"\xee" * 3),
          bytes.fromhex("001d" "20") + share + bytes.fromhex("0804" "0003" "eeeeee"))
    check("ServerHello key_share", wire.key_share_server_extension(wire.GROUP_X25519, share, 0x0804, b"\xee" * 3),
          bytes.fromhex("0033" "002a" "001d" "20") + share + bytes.fromhex("0804" "0003" "eeeeee"))
    client_random, server_random = bytes(range(0x00, 0x20)), bytes(range(0x80, 0xA0))
    check("signed content", wire.key_share_signed_content(client_random, server_random, wire.GROUP_X25519, share),
          client_random + server_random + bytes.fromhex("03" "001d" "20") + share)
    check("ECDHE ClientKeyExchange", wire.client_key_exchange_ecdhe(share), bytes.fromhex("10" "000021" "20") + share)

    # RFC 7748 §6.1: Alice's and Bob's X25519 keys and their shared secret
    alice = wire.EphemeralKey(wire.GROUP_X25519, bytes.fromhex(
        "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
    bob = wire.EphemeralKey(wire.GROUP_X25519, bytes.fromhex(
        "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
    k = bytes.fromhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
    check("RFC 7748 Alice's public key", alice.public,
          bytes.fromhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"))
    check("RFC 7748 Bob's public key", bob.public,
          bytes.fromhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"))
    check("RFC 7748 shared secret (Alice)", alice.shared_secret(bob.public), k)
    check("RFC 7748 shared secret (Bob)", bob.shared_secret(alice.public), k)

    # RFC 5903 §8.1: the 256-bit random ECP group; the PRE-MASTER is the x-coordinate g^ir x
    i = wire.EphemeralKey(wire.GROUP_SECP256R1, bytes.fromhex(
        "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433"))
    r = wire.EphemeralKey(wire.GROUP_SECP256R1, bytes.fromhex(
        "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53"))
    check("RFC 5903 g^i", i.public, bytes.fromhex(
        "04dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
        "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3"))
    check("RFC 5903 g^r", r.public, bytes.fromhex(
        "04d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63"
        "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab"))
    gir_x = bytes.fromhex("d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de")
    check("RFC 5903 g^ir x (initiator)", i.shared_secret(r.public), gir_x)
    check("RFC 5903 g^ir x (responder)", r.shared_secret(i.public), gir_x)

    # fresh keys agree; what is not a valid public key of the group is refused
    for group, size in ((wire.GROUP_X25519, 32), (wire.GROUP_SECP256R1, 65)):
        a, b = wire.EphemeralKey(group), wire.EphemeralKey(group)
        check_true(f"fresh {wire.GROUPS[group]} keys agree, {size}-byte key_exchange",
                   len(a.public) == size and a.shared_secret(b.public) == b.shared_secret(a.public)
                   and len(a.shared_secret(b.public)) == 32 and a.public != b.public)
    for what, group, peer in (("x25519 all-zero result (low-order point)", wire.GROUP_X25519, bytes(32)),
                              ("x25519 key of 31 bytes", wire.GROUP_X25519, bytes(31)),
                              ("secp256r1 point not on the curve", wire.GROUP_SECP256R1, b"\x04" + bytes(64)),
                              ("secp256r1 compressed point", wire.GROUP_SECP256R1, r.public[:33])):
        try:
            wire.EphemeralKey(group).shared_secret(peer)
            refused = False
        except ValueError:
            refused = True
        check_true(f"refused: {what}", refused)

    # the key share's signature: made and verified as §7.6 says, bound to both randoms
    for key in (rsa.generate_private_key(public_exponent=65537, key_size=2048),
                ec.generate_private_key(ec.SECP256R1())):
        scheme, signature = wire.sign_key_share(key, client_random, server_random, wire.GROUP_X25519, alice.public)
        name = wire.SIGNATURE_SCHEMES[scheme]
        want = wire.SCHEME_RSA_PSS_RSAE_SHA256 if isinstance(key, rsa.RSAPrivateKey) else wire.SCHEME_ECDSA_SECP256R1_SHA256
        check_true(f"{name}: the scheme for the key", scheme == want)
        public = key.public_key()
        check_true(f"{name}: verifies", wire.verify_key_share(public, scheme, signature, client_random,
                                                             server_random, wire.GROUP_X25519, alice.public))
        check_true(f"{name}: another RAND-SERVER does not verify (replayed share)", not wire.verify_key_share(
            public, scheme, signature, client_random, bytes(32), wire.GROUP_X25519, alice.public))
        check_true(f"{name}: another key share does not verify", not wire.verify_key_share(
            public, scheme, signature, client_random, server_random, wire.GROUP_X25519, bob.public))
        check_true(f"{name}: the other scheme does not verify", not wire.verify_key_share(
            public, 0x0804 + 0x0403 - scheme, signature, client_random, server_random, wire.GROUP_X25519, alice.public))
    # RSA-PSS with salt 32 exactly (not the maximum salt `cryptography` would choose by default)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _, signature = wire.sign_key_share(key, client_random, server_random, wire.GROUP_X25519, alice.public)
    content = wire.key_share_signed_content(client_random, server_random, wire.GROUP_X25519, alice.public)
    try:
        key.public_key().verify(signature, content, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                                hashes.SHA256())
        salt_32 = True
    except Exception:
        salt_32 = False
    check_true("rsa_pss_rsae_sha256: salt of 32 bytes", salt_32)

    # §12's ECDHE additions: the signed key-share bytes of the x25519 example, and the secp256r1
    # example (RFC 5903 §8.1's keys) with its key schedule, read from PROTOCOL.md
    text = open(SPEC).read()
    values = dict(re.findall(r"^(key_share_signed|server_p256) +([0-9a-f]+)$", text, re.M))
    check("§12 key_share_signed", wire.key_share_signed_content(client_random, server_random, wire.GROUP_X25519,
                                                                bob.public), bytes.fromhex(values["key_share_signed"]))
    check("§12 server_p256", r.public, bytes.fromhex(values["server_p256"]))
    example = re.search(r"```hex client_key_share_p256\n([0-9a-f]{10}) ([0-9a-f]+)\n```", text)
    check("§12 client_key_share_p256", wire.frame(wire.CT_HANDSHAKE, wire.client_key_exchange_ecdhe(i.public)),
          bytes.fromhex(example.group(1) + example.group(2)))
    p256_text = text.split("### ECDHE with secp256r1", 1)[1].split("```text", 2)[2].split("```", 1)[0]
    p256 = dict(re.findall(r"^(\w+) +([0-9a-f]+)$", p256_text, re.M))
    check("§12 secp256r1 pre_master", gir_x, bytes.fromhex(p256["pre_master"]))
    master = wire.master_secret("sha256", gir_x, client_random, server_random)
    check("§12 secp256r1 master_secret", master, bytes.fromhex(p256["master_secret"]))
    for name, got in zip(("client_write_key", "server_write_key", "client_write_iv", "server_write_iv"),
                         wire.key_block(0x0B01, master, client_random, server_random)):
        check(f"§12 secp256r1 {name}", got, bytes.fromhex(p256[name]))
    # §7.7: the CertificateVerify content of the mutual example
    mutual_hello, mutual_server_hello = (bytes.fromhex(re.search(r"```hex %s\n[0-9a-f]{10} ([0-9a-f]+)\n```" % name,
                                                                  text).group(1))
                                         for name in ("client_hello_stapled_mutual", "server_hello_stapled_mutual"))
    signed_fields = wire.vec16(b"\xc3" * 256) + wire.vec16(bytes.fromhex("3003020103"))
    check("§12 CertificateVerify signed_content", wire.certificate_verify_content(
        "sha256", mutual_hello + mutual_server_hello, signed_fields),
        bytes.fromhex(re.search(r"^signed_content +([0-9a-f]+)$", text, re.M).group(1)))
    return checks[0]


if __name__ == "__main__":
    sys.exit(main())
