"""End-to-end scenarios for session resumption (PROTOCOL.md §7.8) with the real three programs.

Run one:   python3 tests/e2e/resumption.py resumes-without-the-ca
List them: python3 tests/e2e/resumption.py --list
A first run with --session-file keeps the server's ticket (mode 0600); the second resumes: arrows 1,
2, 6, 7 only, no CA connection (the CA is stopped between the runs), no PRE-MASTER. A file that is
garbled, expired, for another name or a link; a server restarted without and with --ticket-key-file;
a group-readable key file. CTest runs each as resumption.NAME.
"""
import os
import re
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, Setup, check, exe, read_json_lines, run_named  # noqa: E402

TESTS = {}
EXIT_OK = 0


def test(name):
    def register(function):
        TESTS[name] = function
        return function
    return register


def arrows(steps):
    return [s.get("arrow") for s in steps if s.get("arrow") and s.get("arrow") < 8]


def run(setup, lab, name, extra=()):
    trace = lab.path(f"{name}.json")
    result = setup.client(["--session-file", lab.path("session"), "--ca-check", "direct", "--trace-json", trace,
                           "--get", "/", *extra])
    check(result.returncode == EXIT_OK, f"{name}: exit {result.returncode}\n{result.stderr[-3000:]}")
    return result, read_json_lines(trace)


def resumed(steps):
    hello = [s for s in steps if s.get("arrow") == 2]
    return bool(hello) and hello[0].get("message") == "ServerHello (resumed)" \
        and hello[0].get("fields", {}).get("session_ticket", "").startswith("accepted")


def full_then_resumed(lab, setup):
    """The first run keeps a ticket; the second resumes. Returns both traces."""
    _, first = run(setup, lab, "first")
    check(not resumed(first), "the first run resumed with no ticket to offer")
    check(any(s.get("message") == "NewSessionTicket" for s in first),
          f"the first run got no NewSessionTicket: {[s.get('message') for s in first]}")
    mode = stat.S_IMODE(os.lstat(lab.path("session")).st_mode)
    check(mode == 0o600, f"the session file has mode {oct(mode)}, not 0600")
    result, second = run(setup, lab, "second")
    return first, second, result


@test("resumes-without-the-ca")
def resumes_without_the_ca():
    with Lab() as lab:
        setup = Setup(lab)
        run(setup, lab, "first")
        # The CA is gone: a resumed handshake does not ask it (arrows 3-4 happened when the session began).
        setup.ca_process.terminate()
        setup.ca_process.wait(timeout=10)
        result, second = run(setup, lab, "second")
        check(resumed(second), f"the second run did not resume: {[s.get('message') for s in second]}")
        check(arrows(second) == [1, 2, 6, 7],
              f"a resumed handshake has arrows {arrows(second)}, not 1, 2, 6, 7 (no 3-5)")
        words = " ".join(s.get("description", "") for s in second)
        check("No arrows 3-5" in words and "nextUpdate" in words,
              "the resumed trace does not say why arrows 3-5 do not happen")
        check(not any("PRE-MASTER" in k for s in second for k in s.get("fields", {})),
              "a resumed trace shows a PRE-MASTER field")
        keys = [s for s in second if s.get("message") == "SESSION MASTER KEY"]
        check(keys and "from the session ticket" in keys[0].get("description", ""),
              f"the SESSION MASTER KEY step does not say the ticket: {keys}")
        check("resumed" in result.stderr, "the client's outcome line does not say resumed")
        secret = open(lab.path("session")).read()
        master = re.search(r"master_secret ([0-9a-f]+)", secret).group(1)
        check(master not in result.stderr, "the master secret is printed without --show-secrets")


@test("ca-still-asked-on-the-first-run")
def ca_still_asked_on_the_first_run():
    with Lab() as lab:
        setup = Setup(lab)
        setup.ca_process.terminate()
        setup.ca_process.wait(timeout=10)
        # No session kept: a full handshake needs the CA, and fails closed without it.
        result = setup.client(["--session-file", lab.path("session"), "--ca-check", "direct"])
        check(result.returncode != EXIT_OK, "a full handshake succeeded with the CA down")
        check(not os.path.exists(lab.path("session")), "a failed handshake left a session file")


@test("garbled-file-full-handshake")
def garbled_file_full_handshake():
    with Lab() as lab:
        setup = Setup(lab)
        run(setup, lab, "first")
        text = open(lab.path("session")).read()
        for name, garbled in [("short", text[:40]), ("garbage", "\x00\xff not a session\n"),
                              ("ticket-flipped", re.sub(r"ticket ([0-9a-f]{2})", lambda m: "ticket " +
                                                        format(int(m.group(1), 16) ^ 1, "02x"), text))]:
            with open(lab.path("session"), "w") as f:
                f.write(garbled)
            os.chmod(lab.path("session"), 0o600)
            result, steps = run(setup, lab, name)
            check(not resumed(steps), f"{name}: resumed from a garbled file")
            check(3 in arrows(steps) and 5 in arrows(steps), f"{name}: not a full handshake: {arrows(steps)}")
            if name != "ticket-flipped":
                check("a full handshake" in result.stderr, f"{name}: no line says why:\n{result.stderr[-2000:]}")
            # The full handshake kept a new ticket: the next run resumes.
            _, again = run(setup, lab, name + "-again")
            check(resumed(again), f"{name}: the file was not rewritten after the full handshake")


@test("expired-file-full-handshake")
def expired_file_full_handshake():
    with Lab() as lab:
        setup = Setup(lab)
        run(setup, lab, "first")
        text = re.sub(r"expires \d+", f"expires {int(time.time()) - 1}", open(lab.path("session")).read())
        with open(lab.path("session"), "w") as f:
            f.write(text)
        result, steps = run(setup, lab, "expired")
        check(not resumed(steps), "resumed from an expired session")
        check("expired" in result.stderr, f"no line says expired:\n{result.stderr[-2000:]}")


@test("expiry-capped-by-ca-answer")
def expiry_capped_by_ca_answer():
    with Lab() as lab:
        setup = Setup(lab, server_extra=["--ticket-lifetime", "604800"])
        run(setup, lab, "first")
        expires = int(re.search(r"expires (\d+)", open(lab.path("session")).read()).group(1))
        # The CA's answers are valid one hour (§9): the ticket is kept no longer, whatever the server's hint.
        check(expires <= time.time() + 3600 + 60, f"the ticket is kept until {expires}, past the CA answer")


@test("other-server-name-not-offered")
def other_server_name_not_offered():
    with Lab() as lab:
        setup = Setup(lab)
        run(setup, lab, "first")
        trace = lab.path("other.json")
        result = setup.client(["--session-file", lab.path("session"), "--ca-check", "direct", "--trace-json", trace,
                               "--server-name", "127.0.0.1"])
        check(result.returncode == EXIT_OK, f"exit {result.returncode}\n{result.stderr[-2000:]}")
        check(not resumed(read_json_lines(trace)), "a ticket for localhost was offered to 127.0.0.1")
        check("another server name" in result.stderr, "no line says why the session was not offered")


@test("planted-link-refused")
def planted_link_refused():
    with Lab() as lab:
        setup = Setup(lab)
        target = lab.path("victim")
        open(target, "w").write("keep me\n")
        os.symlink(target, lab.path("session"))
        result = setup.client(["--session-file", lab.path("session")])
        check(result.returncode != EXIT_OK, "a symlinked --session-file was used")
        check(open(target).read() == "keep me\n", "the link's target was written")


@test("restart-without-key-file-full-handshake")
def restart_without_key_file():
    with Lab() as lab:
        setup = Setup(lab)
        run(setup, lab, "first")
        setup.server_process.terminate()
        setup.server_process.wait(timeout=10)
        setup.server_process, setup.server_port = lab.start_server(setup.cert, setup.key)
        _, steps = run(setup, lab, "after-restart")
        check(not resumed(steps), "a restarted server without --ticket-key-file resumed an old ticket")
        check(3 in arrows(steps), f"not a full handshake: {arrows(steps)}")


@test("restart-with-key-file-resumes")
def restart_with_key_file():
    with Lab() as lab:
        keys = lab.path("ticket.keys")
        setup = Setup(lab, server_extra=["--ticket-key-file", keys])
        mode = stat.S_IMODE(os.lstat(keys).st_mode)
        check(mode == 0o600, f"the ticket key file has mode {oct(mode)}, not 0600")
        run(setup, lab, "first")
        setup.server_process.terminate()
        setup.server_process.wait(timeout=10)
        setup.server_process, setup.server_port = lab.start_server(setup.cert, setup.key,
                                                                   ["--ticket-key-file", keys])
        _, steps = run(setup, lab, "after-restart")
        check(resumed(steps), "the restarted server did not resume with the same --ticket-key-file")


@test("readable-key-file-refused")
def readable_key_file_refused():
    with Lab() as lab:
        ca_dir = lab.make_ca()
        cert, key, _ = lab.issue(ca_dir)
        keys = lab.path("ticket.keys")
        open(keys, "w").write("tlslab-ticket-keys 1\n")
        os.chmod(keys, 0o644)
        result = lab.run(exe("tlslab-server"), "--cert", cert, "--key", key, "--listen", "127.0.0.1:0",
                         "--ticket-key-file", keys, check_ok=False, timeout=20)
        check(result.returncode != 0, "the server started with a world-readable ticket key file")
        check("0600" in result.stdout + result.stderr, f"the refusal does not say 0600:\n{result.stderr}")


@test("no-session-file-no-extension")
def no_session_file_no_extension():
    with Lab() as lab:
        setup = Setup(lab)
        trace = lab.path("plain.json")
        result = setup.client(["--ca-check", "direct", "--trace-json", trace])
        check(result.returncode == EXIT_OK, f"exit {result.returncode}\n{result.stderr[-2000:]}")
        steps = read_json_lines(trace)
        for step in steps:
            if step.get("arrow") in (1, 2):
                frame = bytes.fromhex(step["bytes"])
                check(b"\x00\x23" not in frame[-40:] or step["arrow"] == 2,
                      "a client without --session-file sent session_ticket")
        check(not any(s.get("message") == "NewSessionTicket" for s in steps),
              "a client that offered no ticket got a NewSessionTicket")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
