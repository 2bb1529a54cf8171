"""Every file the programs write, against a directory someone else can prepare (issue 20, item 2):
no output follows a symlink it did not create, none truncates a file another user owns, and an
output that can hold a secret (--show-secrets) is written 0600 whatever its kind.

Run one:   python3 tests/e2e/outputs.py planted_symlink_is_refused_for_every_output
List them: python3 tests/e2e/outputs.py --list
"""
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, Setup, TestFailure, check, exe, run_named  # noqa: E402

TESTS = {}
OTHER_UID = 12345  # a user who is not us: the files "they" planted belong to them
VICTIM_TEXT = "THE VICTIM'S FILE, UNTOUCHED\n"


def test(function):
    TESTS[function.__name__] = function
    return function


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


# Each client output: its option, and whether --show-secrets can put a secret into it.
CLIENT_OUTPUTS = [("--report", True), ("--plantuml", True), ("--trace-json", True), ("--output", False)]


def victim(lab, name):
    path = lab.path(name)
    with open(path, "w") as f:
        f.write(VICTIM_TEXT)
    return path


def untouched(path):
    with open(path) as f:
        return f.read() == VICTIM_TEXT


@test
def planted_symlink_is_refused_for_every_output():
    """A symlink planted where an output goes: the client refuses it in one line and writes
    nothing through it, with and without --show-secrets."""
    with Lab() as lab:
        setup = Setup(lab)
        for option, _ in CLIENT_OUTPUTS:
            for secrets in ((), ("--show-secrets",)):
                target = victim(lab, "victim.txt")
                planted = lab.path("planted.out")
                if os.path.lexists(planted):
                    os.unlink(planted)
                os.symlink(target, planted)
                result = setup.client([option, planted, "--get", "/", *secrets])
                what = f"{option} {' '.join(secrets)}".strip()
                check(result.returncode != 0, f"{what}: a planted symlink was accepted:\n{result.stderr[-1500:]}")
                check("symbolic link" in result.stderr, f"{what}: the refusal does not say why:\n{result.stderr[-1500:]}")
                check(untouched(target), f"{what}: the symlink's target was written")
                check(os.path.islink(planted), f"{what}: the planted link itself was replaced or removed")


@test
def another_users_file_is_not_truncated():
    """A regular file that belongs to another user where an output goes: refused, unchanged,
    even though we (root here) could write it."""
    with Lab() as lab:
        setup = Setup(lab)
        for option, _ in CLIENT_OUTPUTS:
            target = victim(lab, "theirs.out")
            os.chmod(target, 0o666)
            os.chown(target, OTHER_UID, OTHER_UID)
            result = setup.client([option, target, "--get", "/"])
            check(result.returncode != 0, f"{option}: another user's file was accepted:\n{result.stderr[-1500:]}")
            check("another user" in result.stderr, f"{option}: the refusal does not say why:\n{result.stderr[-1500:]}")
            check(untouched(target), f"{option}: another user's file was truncated or written")
            os.unlink(target)


@test
def outputs_with_secrets_are_private():
    """Under --show-secrets every output that holds secrets is 0600, --plantuml included, and a
    planted file of ours that others can read (0666) is refused."""
    with Lab() as lab:
        setup = Setup(lab)
        paths = {option: lab.path(f"secret{option}") for option, holds in CLIENT_OUTPUTS if holds}
        args = [a for option, path in paths.items() for a in (option, path)]
        result = setup.client([*args, "--show-secrets", "--get", "/"])
        check(result.returncode == 0, f"the run failed:\n{result.stderr[-2000:]}")
        for option, path in paths.items():
            check(mode(path) == 0o600, f"{option} under --show-secrets is mode {mode(path):04o}, not 0600")
        with open(paths["--plantuml"]) as f:
            check("SESSION MASTER KEY" in f.read(), "the --show-secrets diagram holds no secret: the test proves nothing")
        for option, _ in paths.items():
            planted = lab.path(f"wide{option}")
            with open(planted, "w") as f:
                f.write(VICTIM_TEXT)
            os.chmod(planted, 0o666)
            result = setup.client([option, planted, "--show-secrets", "--get", "/"])
            check(result.returncode != 0 and "readable by others" in result.stderr,
                  f"{option}: a 0666 file was accepted for secrets:\n{result.stderr[-1500:]}")
            check(untouched(planted), f"{option}: the planted 0666 file was written")


@test
def outputs_without_secrets_replace_our_own_files():
    """The ordinary case still works: every output replaces a file of ours from an earlier run,
    and without secrets it is readable as any document (0644 under umask 022)."""
    with Lab() as lab:
        setup = Setup(lab)
        old_mask = os.umask(0o022)
        try:
            for option, _ in CLIENT_OUTPUTS:
                path = lab.path(f"again{option}")
                with open(path, "w") as f:
                    f.write("an earlier run's file, much longer than nothing\n" * 100)
                result = setup.client([option, path, "--get", "/"])
                check(result.returncode == 0, f"{option}: our own earlier file was refused:\n{result.stderr[-1500:]}")
                with open(path, errors="replace") as f:
                    text = f.read()
                check("an earlier run's file" not in text, f"{option}: the earlier run's content is still there")
                check(mode(path) == 0o644, f"{option} without secrets is mode {mode(path):04o}, not 0644")
        finally:
            os.umask(old_mask)


@test
def server_and_ca_trace_json_refuse_a_planted_symlink():
    """The server's and the CA's --trace-json take the same path: a planted symlink stops the
    program at start, before it serves anything."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        cert, key, _ = lab.issue(ca_dir)
        for program, args in ((exe("tlslab-server"), ["--cert", cert, "--key", key, "--listen", "127.0.0.1:0"]),
                              (exe("tlslab-ca"), ["serve", "--dir", ca_dir, "--listen", "127.0.0.1:0"])):
            target = victim(lab, "victim.txt")
            planted = lab.path("planted.jsonl")
            if os.path.lexists(planted):
                os.unlink(planted)
            os.symlink(target, planted)
            name = os.path.basename(program)
            try:
                result = lab.run(program, *args, "--trace-json", planted, check_ok=False, timeout=20)
            except subprocess.TimeoutExpired:
                raise TestFailure(f"{name}: a planted --trace-json symlink was accepted (it started serving)")
            check(result.returncode != 0, f"{name}: a planted --trace-json symlink was accepted")
            check("symbolic link" in result.stderr + result.stdout, f"{name}: the refusal does not say why:\n"
                                                                   f"{result.stdout[-800:]}{result.stderr[-800:]}")
            check(untouched(target), f"{name}: the symlink's target was written")


@test
def ca_issue_refuses_a_planted_certificate_symlink():
    """tlslab-ca issue --out-cert through a planted symlink, or into another user's file: refused,
    their file untouched (the certificate is public, but the file it would overwrite is not ours)."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        target = victim(lab, "victim.txt")
        planted = lab.path("planted.crt")
        os.symlink(target, planted)
        result = lab.run(exe("tlslab-ca"), "issue", "--dir", ca_dir, "--cn", "localhost", "--san", "DNS:localhost",
                         "--out-cert", planted, "--out-key", lab.path("new.key"), check_ok=False)
        check(result.returncode != 0 and "symbolic link" in result.stderr,
              f"a planted --out-cert symlink was accepted:\n{result.stdout}{result.stderr}")
        check(untouched(target), "the symlink's target was written")
        theirs = victim(lab, "theirs.crt")
        os.chown(theirs, OTHER_UID, OTHER_UID)
        result = lab.run(exe("tlslab-ca"), "issue", "--dir", ca_dir, "--cn", "localhost", "--san", "DNS:localhost",
                         "--out-cert", theirs, "--out-key", lab.path("new2.key"), check_ok=False)
        check(result.returncode != 0 and "another user" in result.stderr,
              f"another user's --out-cert file was accepted:\n{result.stdout}{result.stderr}")
        check(untouched(theirs), "another user's file was written")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
