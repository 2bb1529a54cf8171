#!/usr/bin/env python3
"""tlslab-decrypt on captures made to make it hold too much (issue 20 item 6), from
make_bounds_pcap.py, checked on what it reports keeping (--stats), never on time or RSS:

  syn_flood       100,000 connections that send a SYN and nothing else, with one real session in
                  the middle: at most CaptureLimits::max_undecided (4,096) are followed at once,
                  the session is still opened, and the output says how many were forgotten
  other_traffic   20,000 HTTP connections that never close: each is forgotten as soon as its first
                  bytes say it is not tlslab (a handful followed at once), the session is opened
  truncated       a capture cut in the middle of its last packet says so, on both outputs
  max_sessions    --max-sessions 1 on a capture of one session is fine; the limit is on the
                  command line and in the output when it cuts

Exit status: 0 passed, 1 a check failed, 77 skipped (no `cryptography` module). Environment:
TLSLAB_BIN (default <repo>/build/bin), KEEP=1 keeps the work directory.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("TLSLAB_BIN", os.path.join(ROOT, "build", "bin"))
DECRYPT = os.path.join(BIN, "tlslab-decrypt")
MAX_UNDECIDED = 4096  # CaptureLimits::max_undecided

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL: " + what)


def make(work, *args):
    subprocess.run([sys.executable, os.path.join(HERE, "make_bounds_pcap.py"), *args], cwd=work, check=True,
                   timeout=120)


def decrypt(work, capture, *extra):
    run = subprocess.run([DECRYPT, "--stats", "--key", capture + ".key", *extra, capture], cwd=work,
                         capture_output=True, text=True, timeout=120)
    stats = {}
    match = re.search(r"^tlslab-decrypt: stats: (.*)$", run.stderr, re.M)
    if match:
        stats = {k: int(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
    return run, stats


def syn_flood(work):
    make(work, "syn-flood", "flood.pcap", "--connections", "100000")
    run, stats = decrypt(work, "flood.pcap")
    check(run.returncode == 0, "syn_flood: exit %d (stderr: %s)" % (run.returncode, run.stderr.strip()[-300:]))
    check(stats.get("connections") == 100002, "syn_flood: connections seen: %s" % stats.get("connections"))
    check(0 < stats.get("peak_undecided", -1) <= MAX_UNDECIDED,
          "syn_flood: undecided connections followed at once: %s (bound %d)" % (stats.get("peak_undecided"),
                                                                             MAX_UNDECIDED))
    check(stats.get("peak_followed", 10**9) <= MAX_UNDECIDED + 2,
          "syn_flood: connections followed at once: %s" % stats.get("peak_followed"))
    check("1 opened" in run.stdout, "syn_flood: the session in the middle of the flood is not opened")
    check("GET /after-the-flood" in run.stdout, "syn_flood: the session's request is not shown")
    check(re.search(r"\d+ connections sent nothing after their SYN while 4096 others were waiting", run.stdout),
          "syn_flood: the output does not say that connections were forgotten")


def other_traffic(work):
    make(work, "other-traffic", "other.pcap", "--connections", "20000")
    run, stats = decrypt(work, "other.pcap")
    check(run.returncode == 0, "other_traffic: exit %d (stderr: %s)" % (run.returncode, run.stderr.strip()[-300:]))
    check(stats.get("other", 0) >= 20000, "other_traffic: connections forgotten as not tlslab: %s" % stats.get("other"))
    check(stats.get("peak_followed", 10**9) <= 4,
          "other_traffic: connections followed at once: %s (each should be forgotten at its first bytes)"
          % stats.get("peak_followed"))
    check("1 opened" in run.stdout, "other_traffic: the session after the traffic is not opened")


def truncated(work):
    make(work, "syn-flood", "small.pcap", "--connections", "10")
    make(work, "truncate", "small.pcap", "cut.pcap")
    shutil.copy(os.path.join(work, "small.pcap.key"), os.path.join(work, "cut.pcap.key"))
    run, _ = decrypt(work, "cut.pcap")
    said = "cut.pcap is cut short (truncated dump file"
    check(said in run.stdout, "truncated: stdout does not say the capture is cut short: %r" % run.stdout[:300])
    check(said in run.stderr, "truncated: stderr does not say the capture is cut short: %r" % run.stderr[:300])
    complete, _ = decrypt(work, "small.pcap")
    check("cut short" not in complete.stdout + complete.stderr, "truncated: a whole capture is called cut short")


def max_sessions(work):
    run, stats = decrypt(work, "small.pcap", "--max-sessions", "1", "--max-capture-mib", "1")
    check(run.returncode == 0 and stats.get("sessions_not_kept") == 0,
          "max_sessions: one session within --max-sessions 1: exit %d, %s" % (run.returncode, stats))


def main():
    if not os.access(DECRYPT, os.X_OK):
        print("FAIL: %s is not built" % DECRYPT)
        return 1
    try:
        import cryptography  # noqa: F401
    except ImportError:
        print("SKIP: python3 has no 'cryptography' module")
        return 77
    work = tempfile.mkdtemp(prefix="tlslab-bounds.")
    try:
        for test in (syn_flood, other_traffic, truncated, max_sessions):
            test(work)
    finally:
        if os.environ.get("KEEP") == "1":
            print("work dir: " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("capture_bounds_test: %d checks FAILED" % len(failures))
        return 1
    print("capture_bounds_test: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
