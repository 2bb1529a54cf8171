"""The scenarios as a user meets them: one set of names in the README's table, in
tests/e2e/scenarios.py and in scripts/capture.sh; what scenarios.py says to a name it does not
know and prints with --trace; the README's garbage command, run as written.

Run one:   python3 tests/e2e/scenario_names.py readme-garbage-command
List them: python3 tests/e2e/scenario_names.py --list
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, Setup, check, run_named  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SCENARIOS_PY = os.path.join(HERE, "scenarios.py")
CAPTURE_SH = os.path.join(ROOT, "scripts", "capture.sh")
TESTS = {}


def test(name):
    def register(function):
        TESTS[name] = function
        return function
    return register


def run(args, timeout=120):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def readme_scenarios_section():
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    found = re.search(r"^## Scenarios\n(.*?)(?=^## )", text, re.S | re.M)
    check(found, "README.md has no '## Scenarios' section")
    return found.group(1)


def readme_table_rows():
    """{name: row} for the rows of the README's scenario table (the name: the first cell's `code`)."""
    rows = {}
    for line in readme_scenarios_section().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        name = re.fullmatch(r"`([^`]+)`", cells[0]) if cells else None
        if name:
            rows[name.group(1)] = line
    return rows


@test("readme-capture-and-scenarios-agree")
def readme_capture_and_scenarios_agree():
    listed = run([sys.executable, SCENARIOS_PY, "--list"])
    check(listed.returncode == 0, f"scenarios.py --list: exit {listed.returncode}: {listed.stderr}")
    names = listed.stdout.splitlines()
    check(names and all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", n) for n in names),
          f"scenarios.py --list: not one lower-case name per line: {names}")
    check(len(set(names)) == len(names), f"scenarios.py --list: a name twice: {names}")
    captured = run(["bash", CAPTURE_SH, "--list"])
    check(captured.returncode == 0, f"capture.sh --list: exit {captured.returncode}: {captured.stderr.strip()}")
    capture_names = captured.stdout.split()
    readme_names = list(readme_table_rows())
    check(readme_names, "the README's scenario table names no scenario in `code`")
    check(sorted(readme_names) == sorted(capture_names),
          f"the README's table and capture.sh name different scenarios: {readme_names} / {capture_names}")
    missing = [n for n in readme_names if n not in names]
    check(not missing, f"in the README's table but not in scenarios.py: {missing}")
    for name in ("good", "revoked", "unknown-ca", "expired", "wrong-name", "ca-down", "no-common-suite", "garbage"):
        check(name in readme_names, f"the README's table lacks {name}")


@test("unknown-name-suggests")
def unknown_name_suggests():
    for typed, expected in (("revoked_certificate", "revoked"), ("wrong-nam", "wrong-name"),
                            ("good_aes128gcm", "good"), ("cadown", "ca-down")):
        r = run([sys.executable, SCENARIOS_PY, typed])
        check(r.returncode == 2, f"scenarios.py {typed}: exit {r.returncode}, expected 2")
        suggested = re.search(r"did you mean (.*)\?", r.stderr)
        check(suggested and expected in re.split(r" or |, ", suggested.group(1)),
              f"scenarios.py {typed}: expected {expected} among the suggestions: {r.stderr.strip()!r}")
        check("Traceback" not in r.stderr, f"scenarios.py {typed}: {r.stderr}")
    r = run([sys.executable, SCENARIOS_PY, "xyzzy-nothing-like-it"])
    check(r.returncode == 2 and "no test named" in r.stderr and "did you mean" not in r.stderr,
          f"a name like no other: exit {r.returncode}, {r.stderr.strip()!r}")


@test("trace-prints-client-trace")
def trace_prints_client_trace():
    r = run([sys.executable, SCENARIOS_PY, "wrong-name", "--trace"])
    check(r.returncode == 0, f"scenarios.py wrong-name --trace: exit {r.returncode}:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    for needle in ("--- tlslab-client ", "--server-name www.example.org", "(1) Client → Server: ClientHello",
                   "(2) Server → Client: ServerHello", "handshake failed: bad_certificate", "passed wrong-name"):
        check(needle in r.stdout, f"--trace: {needle!r} not in the output:\n{r.stdout[-3000:]}")
    quiet = run([sys.executable, SCENARIOS_PY, "wrong-name"])
    check(quiet.returncode == 0 and "ClientHello" not in quiet.stdout + quiet.stderr,
          f"without --trace, no trace: {quiet.stdout[-1000:]}{quiet.stderr[-1000:]}")


@test("readme-garbage-command")
def readme_garbage_command():
    """The garbage command of the README, as written (but for the port), against a real server."""
    section = readme_scenarios_section()
    commands = [line for line in section.splitlines() if line.startswith("bash -c 'exec 3<>/dev/tcp/127.0.0.1/4433;")]
    check(len(commands) == 1, f"the README's garbage command was not found (once) in its Scenarios section: {commands}")
    row = readme_table_rows().get("garbage", "")
    with Lab() as lab:
        setup = Setup(lab)
        command = commands[0].replace("/dev/tcp/127.0.0.1/4433;", f"/dev/tcp/127.0.0.1/{setup.server_port};")
        r = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=15)
        answer = " ".join(r.stdout.split())
        check(r.returncode == 0 and answer == "15 01 00 00 02 02 0a",
              f"the README's garbage command printed {r.stdout!r} (exit {r.returncode}, {r.stderr.strip()!r})")
        check(f"`{answer}`" in row, f"the README's garbage row does not show {answer}: {row}")
        check(setup.client().returncode == 0, "the server did not keep serving after the garbage")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
