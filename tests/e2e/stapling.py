"""Stapling end to end (PROTOCOL.md §9.1): the real tlslab-ca, a tlslab-server with --staple-from,
and tlslab-client with --ca-check direct|stapled|auto, on 127.0.0.1.

Run one:   python3 tests/e2e/stapling.py revocation-window
List them: python3 tests/e2e/stapling.py --list
The CA answers with a short --validity and the server refreshes often, so that what takes minutes
in a deployment takes seconds here.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, check, exe, free_port, run_named, wait_for_log, wait_until  # noqa: E402

TESTS = {}
EXIT_OK, EXIT_STATUS, EXIT_CA_CHECK = 0, 5, 6


def test(name):
    def register(function):
        TESTS[name] = function
        return function
    return register


class Stapling:
    """One CA service (answers valid `validity` s) and one server stapling its answers, refreshed
    at the latest every `refresh_ms`."""

    def __init__(self, lab, validity=60, refresh_ms=1000, server_extra=()):
        self.lab = lab
        self.ca_dir = lab.make_ca()
        self.trust = os.path.join(self.ca_dir, "ca.crt")
        self.cert, self.key, self.serial = lab.issue(self.ca_dir)
        self.ca_process, self.ca_port, _ = lab.start_ca(self.ca_dir, extra=["--validity", str(validity)])
        self.server_process, self.server_port = lab.start_server(
            self.cert, self.key, ["--staple-from", f"127.0.0.1:{self.ca_port}", "--staple-trust", self.trust,
                                  "--staple-refresh-ms", str(refresh_ms), *server_extra])

    def client(self, *extra, ca_port=None):
        return self.lab.client(self.server_port, ca_port or self.ca_port, self.trust, list(extra))

    def log(self):
        with open(self.server_process.log_path) as f:
            return f.read()


def expect(result, code, words):
    check(result.returncode == code, f"expected exit {code} ({words}), got {result.returncode}:\n{result.stderr[-2500:]}")
    check(words in result.stderr, f"expected {words!r} in the client's output:\n{result.stderr[-2500:]}")


def dead_port(lab):
    """A CA address nobody answers at: whatever a client accepts there, it took from the staple."""
    return free_port()


@test("stapled-good")
def stapled_good():
    with Lab() as lab:
        s = Stapling(lab)
        check("staple: the CA says good about serial " + s.serial in s.log(), f"no start line:\n{s.log()}")
        # The server's own trace of arrow 4: it is the server that verifies the CA's answer here.
        text = wait_for_log(s.server_process.log_path, "(4) CA → Server", timeout=5)
        check("sends ACK for the certificate" in text and "the server verifies it" in text
              and "the client verifies it" not in text, f"the server's arrow 4 names the wrong verifier:\n{text[-3000:]}")
        trace = lab.path("trace.json")
        result = s.client("--ca-check", "stapled", "--trace-json", trace, ca_port=dead_port(lab))
        expect(result, EXIT_OK, "no CA round trip")
        text = open(trace).read()
        check('"arrow":3,"from":"Server","to":"CA"' in text, f"arrow 3 is not the server's in the JSON:\n{text[:3000]}")
        check("ahead of time: the CA answered at" in text, "the JSON does not say when the server asked")
        check('"from":"Client","to":"CA"' not in text, "the client asked the CA itself")
        check("stapled into this session" in result.stdout, "the session page does not mention the staple")


@test("must-staple-without-staple")
def must_staple_without_staple():
    with Lab() as lab:
        ca_dir = lab.make_ca()
        trust = os.path.join(ca_dir, "ca.crt")
        cert, key, _ = lab.issue(ca_dir)
        _, ca_port, _ = lab.start_ca(ca_dir)
        _, server_port = lab.start_server(cert, key)  # no --staple-from
        result = lab.client(server_port, ca_port, trust, ["--ca-check", "stapled"])
        expect(result, EXIT_CA_CHECK, "bad_certificate_status_response")
        expect_good = lab.client(server_port, ca_port, trust, ["--ca-check", "auto"])
        check(expect_good.returncode == EXIT_OK, f"auto did not fall back to the CA:\n{expect_good.stderr[-2000:]}")


@test("stale-staple")
def stale_staple():
    with Lab() as lab:
        s = Stapling(lab, refresh_ms=60000)
        time.sleep(2.1)  # thisUpdate has a one-second grain
        expect(s.client("--ca-check", "stapled", "--max-staple-age", "1"), EXIT_CA_CHECK,
               "bad_certificate_status_response")
        fallback = s.client("--ca-check", "auto", "--max-staple-age", "1")
        check(fallback.returncode == EXIT_OK, f"auto did not fall back:\n{fallback.stderr[-2000:]}")
        check("asks the CA itself" in fallback.stderr, f"auto did not say it asks the CA:\n{fallback.stderr[-2000:]}")


@test("ca-down-keeps-then-stops-stapling")
def ca_down_keeps_then_stops():
    with Lab() as lab:
        s = Stapling(lab, validity=3, refresh_ms=500)
        s.ca_process.terminate()
        s.ca_process.wait(timeout=5)
        gone = dead_port(lab)
        # The answer held is still valid: the server keeps stapling it.
        expect(s.client("--ca-check", "stapled", ca_port=gone), EXIT_OK, "handshake complete")
        text = wait_for_log(s.server_process.log_path, "staple refresh failed", timeout=5)
        check("still stapling the CA's answer" in text, f"no 'still stapling' line:\n{text[-3000:]}")
        text = wait_for_log(s.server_process.log_path, "stopped stapling", timeout=8)
        check("stopped stapling" in text, f"the server never stopped stapling an expired answer:\n{text[-3000:]}")
        expect(s.client("--ca-check", "stapled", ca_port=gone), EXIT_CA_CHECK, "bad_certificate_status_response")


@test("revocation-window")
def revocation_window():
    """Revokes the certificate while a stapling server runs: a client that asks the CA refuses at
    once; clients that take the staple accept the answer the server holds until its next refresh,
    which staples the revoked one at once, and refuse from then on. The window is the server's
    refresh schedule, which its log states at every refresh ("next refresh in 1.0 s"), never more
    than the refresh interval; the test checks that statement and the events, not the clock."""
    refresh_ms = 1000
    with Lab() as lab:
        s = Stapling(lab, validity=60, refresh_ms=refresh_ms)
        expect(s.client("--ca-check", "auto"), EXIT_OK, "handshake complete")
        lab.run(exe("tlslab-ca"), "revoke", "--dir", s.ca_dir, "--serial", s.serial, "--reason", "keyCompromise")
        expect(s.client("--ca-check", "direct"), EXIT_STATUS, "certificate_revoked")
        accepted = []

        def refused():
            result = s.client("--ca-check", "auto")
            if result.returncode == EXIT_OK:
                accepted.append(result)
                return False
            expect(result, EXIT_STATUS, "certificate_revoked")
            return True

        wait_until(refused, "stapled clients kept accepting the revoked certificate", timeout=60)
        text = wait_for_log(s.server_process.log_path, "the CA says the certificate changed", timeout=30)
        check("good → revoked" in text, f"the server did not log the change:\n{text[-2000:]}")
        # The window: every refresh was scheduled within the refresh interval of the one before.
        schedule = [float(delay) for delay in re.findall(r"next refresh in ([0-9.]+) s", text)]
        check(schedule and max(schedule) <= refresh_ms / 1000,
              f"the server scheduled refreshes {schedule} s apart, not within {refresh_ms} ms:\n{text[-2000:]}")
        # Once the revoked answer is stapled, no client accepts the certificate again.
        for ca_check in ("stapled", "auto", "stapled"):
            expect(s.client("--ca-check", ca_check), EXIT_STATUS, "certificate_revoked")
        print(f"revocation window: {len(accepted)} stapled handshake(s) accepted the revoked certificate before "
              f"the server's next refresh (interval {refresh_ms} ms); a direct client refused at once")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
