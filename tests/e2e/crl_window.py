#!/usr/bin/env python3
"""The revocation window of a CRL (issue 23, PROTOCOL.md §9.3), measured as stapling.py measures a
staple's: a certificate is revoked while clients run; how long do `--ca-check crl` clients accept it?

Run one:   python3 tests/e2e/crl_window.py revocation-window
List them: python3 tests/e2e/crl_window.py --list
The CA's lists live a few seconds (--crl-next-update), so that what takes an hour with the defaults
takes seconds here.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, check, exe, run_named, wait_until  # noqa: E402

TESTS = {}
EXIT_OK, EXIT_STATUS = 0, 5
LIFETIME_S = 6


def test(name):
    def register(function):
        TESTS[name] = function
        return function
    return register


def expect(result, code, words):
    check(result.returncode == code, f"expected exit {code} ({words}), got {result.returncode}:\n{result.stderr[-2500:]}")
    check(words in result.stderr, f"expected {words!r} in the client's output:\n{result.stderr[-2500:]}")


def iso_seconds(text):
    return time.mktime(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone


@test("revocation-window")
def revocation_window():
    """Revokes the certificate while clients run. The CA signs a new list at once: a `direct` client
    and a `crl` client without a cache refuse at once. A `crl` client with --crl-cache keeps using
    the list it fetched before the revocation, and says so ("from the cache, …, valid until T"),
    until T, the list's nextUpdate; from then on it fetches the new list and refuses. The test
    checks those statements and the events, not the clock; it prints the window it saw."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        trust = os.path.join(ca_dir, "ca.crt")
        _, ca_port, http_port = lab.start_ca(ca_dir, http=True, extra=["--crl-next-update", f"{LIFETIME_S}s"])
        cert, key, serial = lab.issue(ca_dir, extra=["--crl-url", f"http://127.0.0.1:{http_port}/crl"])
        _, server_port = lab.start_server(cert, key)
        cache = lab.path("crl-cache")

        def client(*extra):
            return lab.client(server_port, ca_port, trust, list(extra))

        expect(client("--ca-check", "crl", "--crl-cache", cache), EXIT_OK, "handshake complete")
        lab.run(exe("tlslab-ca"), "revoke", "--dir", ca_dir, "--serial", serial, "--reason", "keyCompromise")
        revoked_at = time.time()
        expect(client("--ca-check", "direct"), EXIT_STATUS, "certificate_revoked")
        expect(client("--ca-check", "crl"), EXIT_STATUS, "certificate_revoked")
        accepted = []

        def refused():
            result = client("--ca-check", "crl", "--crl-cache", cache)
            if result.returncode == EXIT_OK:
                accepted.append(result)
                return False
            expect(result, EXIT_STATUS, "certificate_revoked")
            return True

        wait_until(refused, "cached CRL clients kept accepting the revoked certificate", timeout=LIFETIME_S * 10)
        window = time.time() - revoked_at
        # Each acceptance came from the list fetched before the revocation, and said until when.
        untils = set()
        for result in accepted:
            found = re.search(r"from the cache, fetched at (\S+), valid until (\S+Z)", result.stderr)
            check(found, f"a cached client accepted without saying it used its cache:\n{result.stderr[-2500:]}")
            untils.add(found.group(2))
        check(len(untils) <= 1, f"the accepting clients used different lists: {untils}")
        if untils:
            until = iso_seconds(untils.pop())
            check(until - revoked_at <= LIFETIME_S + 1,
                  f"the cached list was valid {until - revoked_at:.1f} s after the revocation, more than its "
                  f"lifetime of {LIFETIME_S} s")
        print(f"revocation window: cached crl clients accepted the revoked certificate for {window:.2f} s "
              f"({len(accepted)} handshakes), the cached list's nextUpdate bounding it (lists live {LIFETIME_S} s); "
              "a direct client and a crl client without a cache refused at once")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
