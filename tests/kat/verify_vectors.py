#!/usr/bin/env python3
"""Cross-checks the known-answer files in this directory against independent implementations.

TLS 1.2 PRF vectors are recomputed with the OpenSSL CLI (`openssl kdf ... TLS1-PRF`); AEAD
vectors are sealed and opened with the `cryptography` package. Parses the files with the same
rules as kat_test.cpp. Exits non-zero on any mismatch. Not part of the build; run by hand:

    python3 tests/kat/verify_vectors.py
"""
import pathlib
import subprocess
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

KAT_DIR = pathlib.Path(__file__).resolve().parent


def parse(path):
    """Yields (first line number, {field: value}) for each vector block in `path`."""
    vector, start, field = {}, 0, None
    for number, raw in enumerate(path.read_text(encoding="ascii").splitlines(), start=1):
        line = raw.rstrip()
        if line.startswith("#"):
            continue
        if not line:
            if vector:
                yield start, vector
            vector, field = {}, None
            continue
        if line[0] in " \t":
            if field is None:
                raise ValueError(f"{path.name}:{number}: continuation line without a field")
            vector[field] += line.strip()
            continue
        name, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"{path.name}:{number}: expected 'field = value'")
        field = name.strip()
        if field in vector:
            raise ValueError(f"{path.name}:{number}: duplicate field '{field}'")
        if not vector:
            start = number
        vector[field] = value.strip()
    if vector:
        yield start, vector


def openssl_prf(hash_name, secret, label, seed, length):
    digest = {"sha256": "SHA256", "sha384": "SHA384"}[hash_name]
    command = ["openssl", "kdf", "-keylen", str(length), "-kdfopt", f"digest:{digest}",
               "-kdfopt", f"hexsecret:{secret.hex()}",
               "-kdfopt", f"hexseed:{(label.encode('ascii') + seed).hex()}", "-binary", "TLS1-PRF"]
    return subprocess.run(command, check=True, capture_output=True).stdout


def check_prf(path):
    failures, count = 0, 0
    for line, v in parse(path):
        count += 1
        output = bytes.fromhex(v["output"])
        got = openssl_prf(v["hash"], bytes.fromhex(v["secret"]), v["label"],
                          bytes.fromhex(v["seed"]), len(output))
        ok = got == output
        failures += not ok
        print(f"{'ok ' if ok else 'BAD'} {path.name}:{line} {v['name']}")
    return count, failures


def check_aead(path, make_cipher, key_size):
    failures, count = 0, 0
    for line, v in parse(path):
        count += 1
        key, nonce, aad, plaintext, ciphertext, tag = (
            bytes.fromhex(v[f]) for f in ("key", "nonce", "aad", "plaintext", "ciphertext", "tag"))
        cipher = make_cipher(key)
        ok = (len(key) == key_size and len(nonce) == 12 and len(tag) == 16
              and len(ciphertext) == len(plaintext))
        ok = ok and cipher.encrypt(nonce, plaintext, aad) == ciphertext + tag
        ok = ok and cipher.decrypt(nonce, ciphertext + tag, aad) == plaintext
        bad_tag = tag[:-1] + bytes([tag[-1] ^ 0x01])
        try:
            cipher.decrypt(nonce, ciphertext + bad_tag, aad)
            ok = False
        except InvalidTag:
            pass
        failures += not ok
        print(f"{'ok ' if ok else 'BAD'} {path.name}:{line} {v['name']}")
    return count, failures


def main():
    results = [
        check_prf(KAT_DIR / "tls12_prf.txt"),
        check_aead(KAT_DIR / "aes_128_gcm.txt", AESGCM, 16),
        check_aead(KAT_DIR / "aes_256_gcm.txt", AESGCM, 32),
        check_aead(KAT_DIR / "chacha20_poly1305.txt", ChaCha20Poly1305, 32),
    ]
    total = sum(count for count, _ in results)
    failed = sum(failures for _, failures in results)
    print(f"{total} vectors, {failed} failed")
    return 1 if failed or any(count == 0 for count, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())
