#!/usr/bin/env python3
"""tlslab_wire.py against docs/PROTOCOL.md §12: every hex example of the spec is built again from
the example's inputs, and the key schedule, transcript hash, verify_data and the protected
Finished come out as the spec prints them. The values are read from PROTOCOL.md itself, so the
Python helpers and the spec cannot drift apart (as tests/tools/spec_examples_test.cpp does for
the C++ codec).

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

    if failures:
        print(f"tlslab_wire_test: {len(failures)} value(s) differ from PROTOCOL.md §12")
        return 1
    print(f"tlslab_wire_test: {len(examples)} frames and the key schedule of PROTOCOL.md §12 rebuilt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
