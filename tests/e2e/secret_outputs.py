"""Every output that can hold a secret is created as the key files are (issue 22 point 10): under
--show-secrets the client's --report, --plantuml and --trace-json, the server's and the CA's
--trace-json, and tlslab-report's merged page and diagram are new files of mode 0600, whatever
the umask; an existing file of ours that others can read is refused, not reused.

Each test runs with umask 000, so a document would be 0666: a 0600 file is the secret rule's doing.

Run one:   python3 tests/e2e/secret_outputs.py client_plantuml
List them: python3 tests/e2e/secret_outputs.py --list
"""
import contextlib
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, Setup, TestFailure, check, exe, read_json_lines, run_named, skip, wait_until  # noqa: E402

TESTS = {}
PLANTED = "AN EARLIER FILE OTHERS CAN READ\n"


def test(function):
    TESTS[function.__name__] = function
    return function


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@contextlib.contextmanager
def umask(value):
    """The umask of this process and of every program it starts meanwhile."""
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def keylog_master(path):
    with open(path) as f:
        return f.read().split()[2]


def planted(lab, name):
    """A file of ours from an earlier run that group and others can read (0644)."""
    path = lab.path(name)
    with open(path, "w") as f:
        f.write(PLANTED)
    os.chmod(path, 0o644)
    return path


def untouched(path):
    with open(path) as f:
        return f.read() == PLANTED


def expect_private(path, what, secret=None):
    """`path` is 0600 and, to prove the test means something, holds `secret`."""
    check(os.path.exists(path), f"{what}: no file was written")
    check(mode(path) == 0o600, f"{what} under --show-secrets is mode {mode(path):04o}, not 0600")
    if secret:
        with open(path, encoding="utf-8", errors="replace") as f:
            check(secret in f.read(), f"{what} holds no secret ({secret[:16]}…): the test proves nothing")


def expect_document(path, what):
    check(mode(path) == 0o666, f"{what} without --show-secrets is mode {mode(path):04o}, not the umask's 0666")


def expect_refused(result, path, what):
    output = result.stdout + result.stderr
    check(result.returncode != 0, f"{what}: an existing 0644 file was reused for secrets:\n{output[-1500:]}")
    check("readable by others" in output, f"{what}: the refusal does not say why:\n{output[-1500:]}")
    check(untouched(path), f"{what}: the planted file was written")


def client_output(option, name):
    """The client's `option` under --show-secrets: 0600, holding the SESSION MASTER KEY; without
    secrets a document; over an earlier 0644 file, refused."""
    with Lab() as lab:
        setup = Setup(lab)
        with umask(0):
            client_runs(lab, setup, option, name)


def client_runs(lab, setup, option, name):
    path, keylog = lab.path(name), lab.path("keys.log")
    result = setup.client([option, path, "--show-secrets", "--keylog", keylog, "--get", "/"])
    check(result.returncode == 0, f"the run failed:\n{result.stderr[-2000:]}")
    # The diagram shortens a value to its first 40 characters; the page and the JSON hold all of it.
    expect_private(path, option, keylog_master(keylog)[:40])
    document = lab.path("document-" + name)
    result = setup.client([option, document, "--get", "/"])
    check(result.returncode == 0, f"the run without secrets failed:\n{result.stderr[-2000:]}")
    expect_document(document, option)
    wide = planted(lab, "wide-" + name)
    expect_refused(setup.client([option, wide, "--show-secrets", "--get", "/"]), wide, option)


@test
def client_report():
    client_output("--report", "run.html")


@test
def client_plantuml():
    client_output("--plantuml", "run.puml")


@test
def client_trace_json():
    client_output("--trace-json", "run.jsonl")


def refused_at_start(lab, program, args, path):
    """`program` started with --trace-json over a 0644 file and --show-secrets stops at once."""
    name = os.path.basename(program)
    try:
        result = lab.run(program, *args, "--show-secrets", "--trace-json", path, check_ok=False, timeout=20)
    except subprocess.TimeoutExpired:
        raise TestFailure(f"{name}: an existing 0644 --trace-json file was reused for secrets (it started serving)")
    expect_refused(result, path, f"{name} --trace-json")


def lines_written(path, count):
    wait_until(lambda: os.path.exists(path) and len(read_json_lines(path)) >= count,
               f"{os.path.basename(path)} has {count} lines")


@test
def server_trace_json():
    """The server's --trace-json under --show-secrets: 0600, holding the session's SESSION MASTER
    KEY; without secrets a document; over an earlier 0644 file, refused at start."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        trust = os.path.join(ca_dir, "ca.crt")
        cert, key, _ = lab.issue(ca_dir)
        _, ca_port, _ = lab.start_ca(ca_dir)
        with umask(0):
            server_runs(lab, ca_port, trust, cert, key)


def server_runs(lab, ca_port, trust, cert, key):
    for secrets, name in ((("--show-secrets",), "server.jsonl"), ((), "document-server.jsonl")):
        path = lab.path(name)
        _, port = lab.start_server(cert, key, ["--trace-json", path, *secrets])
        keylog = lab.path(f"{name}.keys")
        result = lab.client(port, ca_port, trust, ["--keylog", keylog, "--get", "/"])
        check(result.returncode == 0, f"the run failed:\n{result.stderr[-2000:]}")
        wait_until(lambda: os.path.exists(path) and any("outcome" in line for line in read_json_lines(path)),
                   f"{name} has the session's outcome")
        if secrets:
            expect_private(path, "tlslab-server --trace-json", keylog_master(keylog))
        else:
            expect_document(path, "tlslab-server --trace-json")
    refused_at_start(lab, exe("tlslab-server"), ["--cert", cert, "--key", key, "--listen", "127.0.0.1:0"],
                     planted(lab, "wide-server.jsonl"))


@test
def ca_trace_json():
    """The CA service's --trace-json under --show-secrets: 0600 from its start; without secrets a
    document; over an earlier 0644 file, refused at start."""
    with Lab() as lab:
        setup = Setup(lab)
        with umask(0):
            ca_runs(lab, setup)


def ca_runs(lab, setup):
    for secrets, name in ((("--show-secrets",), "ca.jsonl"), ((), "document-ca.jsonl")):
        path = lab.path(name)
        _, ca_port, _ = lab.start_ca(setup.ca_dir, extra=("--trace-json", path, *secrets))
        result = lab.client(setup.server_port, ca_port, setup.trust, ["--get", "/"])
        check(result.returncode == 0, f"the run failed:\n{result.stderr[-2000:]}")
        lines_written(path, 1)
        if secrets:
            expect_private(path, "tlslab-ca serve --trace-json")
        else:
            expect_document(path, "tlslab-ca serve --trace-json")
    refused_at_start(lab, exe("tlslab-ca"), ["serve", "--dir", setup.ca_dir, "--listen", "127.0.0.1:0"],
                     planted(lab, "wide-ca.jsonl"))


@test
def merged_report():
    """tlslab-report's page and diagram merged from traces that hold secrets: 0600; from traces
    without, documents; over an earlier 0644 file, refused."""
    if not os.path.exists(exe("tlslab-report")):
        skip("tlslab-report is not built")
    with Lab() as lab:
        setup = Setup(lab)
        with umask(0):
            merged_runs(lab, setup)


def merged_runs(lab, setup):
    traces = {}
    for secrets in (True, False):
        trace, keylog = lab.path(f"client-{secrets}.jsonl"), lab.path(f"keys-{secrets}.log")
        shown = ["--show-secrets"] if secrets else []
        result = setup.client(["--trace-json", trace, "--keylog", keylog, *shown, "--get", "/"])
        check(result.returncode == 0, f"the run failed:\n{result.stderr[-2000:]}")
        traces[secrets] = (trace, keylog_master(keylog))

    def merge(trace, page, diagram):
        return lab.run(exe("tlslab-report"), trace, "--report", page, "--plantuml", diagram, check_ok=False)

    trace, master = traces[True]
    result = merge(trace, lab.path("merged.html"), lab.path("merged.puml"))
    check(result.returncode == 0, f"tlslab-report failed:\n{result.stdout}{result.stderr}")
    expect_private(lab.path("merged.html"), "tlslab-report --report", master)
    expect_private(lab.path("merged.puml"), "tlslab-report --plantuml", master[:40])
    result = merge(traces[False][0], lab.path("document.html"), lab.path("document.puml"))
    check(result.returncode == 0, f"tlslab-report failed:\n{result.stdout}{result.stderr}")
    expect_document(lab.path("document.html"), "tlslab-report --report")
    expect_document(lab.path("document.puml"), "tlslab-report --plantuml")
    for option in ("--report", "--plantuml"):
        wide = planted(lab, f"wide{option}")
        other = lab.path(f"other{option}.out")
        page, diagram = (wide, other) if option == "--report" else (other, wide)
        expect_refused(merge(trace, page, diagram), wide, f"tlslab-report {option}")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
