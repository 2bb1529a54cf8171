#!/usr/bin/env python3
"""tlslab-decrypt on fabricated captures (make_stolen_key_pcap.py): real sessions with real
cryptography, segments out of order, retransmitted and overlapping, two sessions interleaved,
pcap and pcapng, an ECDHE session. Checks that the key log lines it writes are exactly those the
two sides would have written, that the application data it prints is the generator's, record by
record and in order, that what it cannot open it says it cannot (ECDHE, another key, a handshake
changed on the wire), and its exit codes.

Exit status: 0 passed, 1 a check failed (each failure printed), 77 skipped (no `openssl` command
or no `cryptography` module). Environment: TLSLAB_BIN (default <repo>/build/bin), KEEP=1 keeps the
work directory, SEED=N fixes the generator's seed.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("TLSLAB_BIN", os.path.join(ROOT, "build", "bin"))
DECRYPT = os.path.join(BIN, "tlslab-decrypt")

failures = []
checks = 0


def check(condition, what):
    global checks
    checks += 1
    if not condition:
        failures.append(what)
        print("FAIL: " + what)


def render(content):
    """What tlslab-decrypt prints for a record's plaintext (session_report.cpp, render_plaintext):
    a line per line (LF or CRLF), other control bytes and the backslash escaped as printable() does."""
    def escape(line):
        out = []
        for b in line:
            if b == 0x5C:
                out.append("\\\\")
            elif b < 0x20 or b == 0x7F:
                out.append("\\x%02x" % b)
            else:
                out.append(chr(b))
        return "".join(out)
    lines, start = [], 0
    while start < len(content):
        newline = content.find(b"\n", start)
        end = len(content) if newline < 0 else newline
        line_end = end - 1 if newline >= 0 and end > start and content[end - 1] == 0x0D else end
        lines.append("        " + escape(content[start:line_end]))
        start = len(content) if newline < 0 else newline + 1
    return lines


def run(*args, **kwargs):
    return subprocess.run([DECRYPT, *args], capture_output=True, text=True, timeout=120, **kwargs)


def sessions_of(stdout):
    """The report's session blocks: {number: text}."""
    blocks = re.split(r"^(?=session \d+ of \d+: )", stdout, flags=re.M)
    return [b for b in blocks if b.startswith("session ")]


RECORD = re.compile(r"^  \(8\) (client → server|server → client), record (\d+), (\d+) bytes:\n((?:        .*\n)*)",
                    re.M)


def records_of(block):
    return [(m.group(1).split()[0], int(m.group(2)), int(m.group(3)), m.group(4).splitlines())
            for m in RECORD.finditer(block)]


def expect_records(block, session, what, prefix_only=False):
    expected = [(r["from"], r["record"], len(bytes.fromhex(r["hex"])), render(bytes.fromhex(r["hex"])))
                for r in session["records"]]
    got = records_of(block)
    if prefix_only:
        check(0 < len(got) < len(expected) and got == expected[:len(got)],
              "%s: the records shown are not the first ones of the session (%d shown of %d)"
              % (what, len(got), len(expected)))
        return
    check(got == expected, "%s: application data differs from the generator's: got %d records %s, expected %d %s"
          % (what, len(got), [g[:3] for g in got][:6], len(expected), [e[:3] for e in expected][:6]))


def keylog_lines(path):
    if not os.path.exists(path):
        return []
    return [line for line in open(path).read().splitlines() if line]


def main():
    if not shutil.which("openssl"):
        print("SKIP: no openssl command (the generator's PRF is OpenSSL's TLS1-PRF)")
        return 77
    try:
        import cryptography  # noqa: F401
    except ImportError:
        print("SKIP: python3 has no 'cryptography' module")
        return 77
    if not os.access(DECRYPT, os.X_OK):
        print("FAIL: %s is missing: build it (ninja -C build tlslab-decrypt) or set TLSLAB_BIN" % DECRYPT)
        return 1
    work = tempfile.mkdtemp(prefix="tlslab-decrypt-fab.")
    try:
        seed = int(os.environ.get("SEED", int(time.time())))
        subprocess.run([sys.executable, os.path.join(HERE, "make_stolen_key_pcap.py"), work, "--seed", str(seed)],
                       check=True, capture_output=True)
        print("generator seed %d (SEED=%d reproduces it)" % (seed, seed))
        expected = json.load(open(os.path.join(work, "expected.json")))
        key, other = os.path.join(work, "server.key"), os.path.join(work, "other.key")
        path = lambda name: os.path.join(work, name)  # noqa: E731

        # 1. Two sessions, interleaved, scrambled on the wire, beside other traffic; the stolen key
        #    opens both, and the key log holds exactly the lines the two sides would have written.
        keylog = path("two.keylog")
        r = run("--key", key, "--keylog-out", keylog, path("two-sessions.pcap"))
        check(r.returncode == 0, "two-sessions: exit %d, expected 0; stderr: %s" % (r.returncode, r.stderr))
        blocks = sessions_of(r.stdout)
        sessions = expected["two-sessions.pcap"]["sessions"]
        check(len(blocks) == 2, "two-sessions: %d sessions reported, expected 2 (the HTTP connection on "
              "4433 and the CA's connections are not tlslab sessions)" % len(blocks))
        for block, session, port in zip(blocks, sessions, ("4433", "8080")):
            what = "two-sessions, session " + session["name"]
            check(("→ server 127.0.0.1:%s," % port) in block.splitlines()[0], "%s: not to port %s: %s"
                  % (what, port, block.splitlines()[0]))
            check("RAND-CLIENT         " + session["client_random"] in block, what + ": RAND-CLIENT not shown")
            check("(6) the client's Finished opens with the derived keys" in block, what + ": Finished not opened")
            check("(7) the server's Finished verifies" in block, what + ": server Finished not verified")
            expect_records(block, session, what)
        check("\\x1b[2J\\x1b]0;owned\\x07 back\\\\slash\\x09Tab" in r.stdout and "\x1b" not in r.stdout,
              "two-sessions: the escape sequences of a response body are not escaped")
        check(keylog_lines(keylog) == [s["keylog_line"] for s in sessions],
              "two-sessions: key log %s, expected the generator's %s" % (keylog_lines(keylog),
                                                                         [s["keylog_line"] for s in sessions]))
        check(os.path.exists(keylog) and stat.S_IMODE(os.stat(keylog).st_mode) == 0o600,
              "two-sessions: the key log is not mode 0600")

        # 2. pcapng, RSA then ECDHE to the same server: the key opens the first only.
        keylog = path("stolen.keylog")
        r = run("--key", key, "--keylog-out", keylog, path("stolen-key.pcapng"))
        check(r.returncode == 3, "stolen-key: exit %d, expected 3 (a session could not be opened)" % r.returncode)
        blocks = sessions_of(r.stdout)
        rsa_session, ecdhe_session = expected["stolen-key.pcapng"]["sessions"]
        check(len(blocks) == 2, "stolen-key: %d sessions reported, expected 2" % len(blocks))
        if len(blocks) == 2:
            expect_records(blocks[0], rsa_session, "stolen-key, RSA session")
            check("opened: 2 records of application data decrypted" in blocks[0], "stolen-key: RSA session not opened")
            check("  cannot open: this session used ECDHE (group x25519): the PRE-MASTER was never sent; the server's "
                  "key only signed its ephemeral key share. Without the ephemeral private keys, which both sides "
                  "wiped, the recording stays closed: forward secrecy\n" in blocks[1],
                  "stolen-key: the ECDHE session's refusal is not as the lesson words it:\n" + blocks[1])
            check(records_of(blocks[1]) == [], "stolen-key: application data shown for the ECDHE session")
        check(keylog_lines(keylog) == [rsa_session["keylog_line"]],
              "stolen-key: key log %s, expected the RSA session's line only" % keylog_lines(keylog))
        check(ecdhe_session["keylog_line"].split()[2] not in r.stdout + open(keylog).read(),
              "stolen-key: the ECDHE session's master secret appears")
        check("could not be opened (forward secrecy: 1)" in r.stdout, "stolen-key: the summary does not say why")

        # 3. Another key opens nothing, and says it is not the server's.
        keylog = path("other.keylog")
        r = run("--key", other, "--keylog-out", keylog, path("two-sessions.pcap"))
        check(r.returncode == 3, "other key: exit %d, expected 3" % r.returncode)
        check(r.stdout.count("cannot open: the key does not belong to this session's server") == 2,
              "other key: not both sessions refused as another server's:\n" + r.stdout)
        check(keylog_lines(keylog) == [], "other key: key log lines written")
        check(records_of(r.stdout) == [], "other key: application data shown")

        # 4. A handshake changed on the wire, a session stopped before the key exchange, a big one.
        r = run("--key", key, path("mixed.pcap"))
        check(r.returncode == 3, "mixed: exit %d, expected 3" % r.returncode)
        blocks = sessions_of(r.stdout)
        altered, revoked, big = expected["mixed.pcap"]["sessions"]
        if len(blocks) == 3:
            check("cannot open: the key is this server's and the PRE-MASTER decrypts, but the client's Finished does "
                  "not open" in blocks[0], "mixed: the altered session is not reported as such:\n" + blocks[0])
            check("server → client: fatal alert bad_record_mac, in the clear" in blocks[0],
                  "mixed: the server's clear alert is not shown")
            check("client → server: fatal alert certificate_revoked, in the clear" in blocks[1] and
                  "nothing to open: the handshake stopped before the key exchange" in blocks[1],
                  "mixed: the revoked session is not reported as such:\n" + blocks[1])
            expect_records(blocks[2], big, "mixed, 1.5 MiB session")
        else:
            check(False, "mixed: %d sessions reported, expected 3" % len(blocks))
        check("could not be opened (handshake changed on the wire: 1)" in r.stdout, "mixed: summary")

        # 5. The connection limit: followed for 1 MiB, said so, and what was followed is right.
        r = run("--key", key, "--max-connection-mib", "1", path("mixed.pcap"))
        blocks = sessions_of(r.stdout)
        check(len(blocks) == 3, "limit: %d sessions reported, expected 3" % len(blocks))
        if len(blocks) == 3:
            check("note: this connection was followed for its first 1 MiB only (a limit of tlslab-decrypt)"
                  in blocks[2], "limit: not said:\n" + "\n".join(blocks[2].splitlines()[:8]))
            expect_records(blocks[2], big, "limit", prefix_only=True)
        check(r.returncode == 3, "limit: exit %d, expected 3 (the altered session)" % r.returncode)

        # 6. Nothing tlslab in the capture; local errors; a bad command line.
        r = run("--key", key, path("no-session.pcap"))
        check(r.returncode == 4 and "no tlslab session in" in r.stderr, "no-session: exit %d, %s" % (r.returncode, r.stderr))
        r = run("--key", path("missing.key"), path("two-sessions.pcap"))
        check(r.returncode == 1 and "missing.key" in r.stderr, "missing key: exit %d, %s" % (r.returncode, r.stderr))
        r = run("--key", path("expected.json"), path("two-sessions.pcap"))
        check(r.returncode == 1, "a key file that holds no key: exit %d" % r.returncode)
        r = run("--key", key, key)
        check(r.returncode == 1 and "cannot read capture" in r.stderr, "not a capture: exit %d, %s"
              % (r.returncode, r.stderr))
        shared = path("shared.keylog")
        open(shared, "w").close()
        os.chmod(shared, 0o644)
        r = run("--key", key, "--keylog-out", shared, path("two-sessions.pcap"))
        check(r.returncode == 1 and r.stdout == "", "a key log others may read: exit %d, stdout %r"
              % (r.returncode, r.stdout[:100]))
        check(run("--key", key).returncode == 2, "no capture: not exit 2")
        check(run(path("two-sessions.pcap")).returncode == 2, "no --key: not exit 2")
        check(run("--key", key, "--bogus", path("two-sessions.pcap")).returncode == 2, "unknown option: not exit 2")
    finally:
        if os.environ.get("KEEP") == "1":
            print("work dir: " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("fabricated_test: %d of %d checks FAILED" % (len(failures), checks))
        return 1
    print("fabricated_test: all %d checks passed" % checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
