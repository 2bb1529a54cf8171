"""tlslab-bench --resume (issue 26): the resumed-handshake row of scripts/bench.sh, checked against a
real tlslab-server and tlslab-ca on 127.0.0.1.

Run one:   python3 tests/e2e/bench_resumption.py resumes-every-counted-handshake
List them: python3 tests/e2e/bench_resumption.py --list

Each worker's first handshake is a full one that takes the ticket and is not counted; every counted
handshake offers the ticket, and one the server does not resume is counted in not_resumed (so a row
cannot measure full handshakes and call them resumed). CTest runs each as bench_resumption.NAME.
"""
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Lab, Setup, check, exe, run_named  # noqa: E402

TESTS = {}


def test(name):
    def register(function):
        TESTS[name] = function
        return function
    return register


def bench(lab, setup, *extra, check_ok=True):
    result = lab.run(exe("tlslab-bench"), "--connect", f"127.0.0.1:{setup.server_port}", "--ca-service",
                     f"127.0.0.1:{setup.ca_port}", "--trust", setup.trust, "--json", *extra, timeout=120,
                     check_ok=False)
    if not check_ok:
        return result
    check(result.returncode == 0, f"tlslab-bench exit {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout)


RESUME = ("--mode", "handshake", "--resume", "--handshakes", "50", "--connections", "4")


@test("resumes-every-counted-handshake")
def resumes_every_counted_handshake():
    """50 counted handshakes after each worker's first: all 50 resumed, none failed, none full."""
    with Lab() as lab:
        setup = Setup(lab, server_extra=["--quiet"])
        out = bench(lab, setup, *RESUME)
        check(out["operations"] == 50, f"operations {out['operations']}, not 50: {out}")
        check(out["errors"] == 0, f"errors {out['errors']}: {out['first_error']}")
        check(out["resumed"] == 50, f"resumed {out['resumed']}, not 50: {out}")
        check(out["not_resumed"] == 0, f"not_resumed {out['not_resumed']}, not 0: {out}")


@test("no-tickets-every-handshake-not-resumed")
def no_tickets_every_handshake_not_resumed():
    """A server with --ticket-lifetime 0 gives no ticket: every counted handshake is a full one,
    reported as not resumed, and none fails."""
    with Lab() as lab:
        setup = Setup(lab, server_extra=["--quiet", "--ticket-lifetime", "0"])
        out = bench(lab, setup, *RESUME)
        check(out["operations"] == 50 and out["errors"] == 0, f"operations/errors: {out}")
        check(out["resumed"] == 0, f"resumed {out['resumed']} with no tickets: {out}")
        check(out["not_resumed"] == 50, f"not_resumed {out['not_resumed']}, not 50: {out}")


@test("full-handshakes-json-unchanged")
def full_handshakes_json_unchanged():
    """Without --resume the JSON is what it was (no resumption counts); --resume outside handshake
    mode is refused in one line."""
    with Lab() as lab:
        setup = Setup(lab, server_extra=["--quiet"])
        out = bench(lab, setup, "--mode", "handshake", "--handshakes", "10", "--connections", "2")
        check(out["operations"] == 10 and out["errors"] == 0, f"full handshakes: {out}")
        check("resumed" not in out and "not_resumed" not in out, f"resumption counts without --resume: {out}")
        for field in ("mode", "connections", "seconds", "per_second", "mib_per_second", "latency_ms", "first_error"):
            check(field in out, f"field {field} missing: {out}")
        refused = bench(lab, setup, "--mode", "requests", "--resume", "--handshakes", "1", check_ok=False)
        check(refused.returncode != 0 and "--resume is used only with --mode handshake" in refused.stderr,
              f"--resume with --mode requests: exit {refused.returncode}: {refused.stderr}")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
