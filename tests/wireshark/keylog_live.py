#!/usr/bin/env python3
"""A live capture whose key log changes under the dissector: tshark reads a pcap from a pipe, one
session at a time, while this script appends to and rewrites the key log between sessions, as
tlslab-client/-server do during a live capture. The dissector caches the key log (a lookup that
misses does not re-read it, issue 16); this checks that the cache still sees every change.

  session 1  RAND-CLIENT in the key log (51 lines) from the start -> read 1, found, decrypted
  session 2  its line appended after session 1                     -> read 2, 52 entries, found
  session 3  the key log rewritten (11 other lines)                -> read 3, 11 entries, found
  session 4  RAND-CLIENT in no key log, the file unchanged         -> still 3 reads, not found
  session 5  its line written after the Finished frames went by    -> not found at the
             ClientKeyExchange, found at the application data (the programs write the line
             once Finished verified), which is decrypted

Prints one line per check ("ok ..." or "FAIL ...") and exits 1 if one failed.

Usage: keylog_live.py WORKDIR DISSECTOR [--tshark tshark]
"""

import argparse
import datetime
import os
import random
import select
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from make_pcap import Env, Pcap, Pki, Session, epoch, http_request, http_response  # noqa: E402
from tlslab_wire import keylog_line  # noqa: E402

FIELDS = ["frame.number", "tlslab.keylog.reads", "tlslab.keylog.entries", "tlslab.keylog.found",
          "http.request.uri"]


class Tshark:
    """tshark reading a pcap from its stdin, printing one line of fields per packet at once."""

    def __init__(self, tshark, dissector, keylog):
        args = [tshark, "-n", "-l", "-r", "-", "-X", "lua_script:" + dissector,
                "-o", "tlslab.keylog_file:" + keylog, "-T", "fields", "-E", "occurrence=a",
                "-E", "aggregator=,"]
        for field in FIELDS:
            args += ["-e", field]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.pending = b""
        self.rows = {}

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait_for(self, number, timeout=60):
        """Reads tshark's lines until packet `number` has been dissected."""
        deadline = time.monotonic() + timeout
        while number not in self.rows:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise RuntimeError("tshark did not dissect packet %d within %d s" % (number, timeout))
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError("tshark exited before packet %d" % number)
            self.pending += chunk
            *lines, self.pending = self.pending.split(b"\n")
            for line in lines:
                cells = line.decode().split("\t")
                self.rows[int(cells[0])] = dict(zip(FIELDS, cells))

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workdir")
    ap.add_argument("dissector")
    ap.add_argument("--tshark", default="tshark")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    keylog = os.path.join(args.workdir, "keylog-live.txt")

    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None)
    env = Env(20240301)
    env.pcap = Pcap(epoch(now))
    pki = Pki(now)
    server_key, server_cert = pki.issue("localhost", 0x4001)
    noise = random.Random(7)
    noise_lines = [keylog_line(noise.randbytes(32), noise.randbytes(48)) for _ in range(100)]

    packets_sent = 0
    tshark = Tshark(args.tshark, os.path.abspath(args.dissector), keylog)
    tshark.send(Pcap.header())

    def run_session(name, before_application_data=None):
        """One whole session, in the pcap to be written; returns it and the frame number of its
        ClientKeyExchange. `before_application_data` runs once tshark has dissected the Finished
        frames (the session is written up to there)."""
        nonlocal packets_sent
        s = Session(env, name, pki, server_cert, server_key, 0x0A01, 4433, 4434, env.port(), env.port())
        s.hello_and_status(split_server_hello=False)
        cke_number = packets_sent + len(env.pcap.packets) + 1
        s.conn.send(True, s.key_exchange() + s.finished(True))
        s.conn.send(False, s.finished(False))
        if before_application_data:
            flush()
            before_application_data()
        s.conn.send(True, s.app(True, http_request("/" + name)))
        s.conn.send(False, s.app(False, http_response(name.encode())))
        s.conn.close()
        return s, cke_number

    def flush():
        nonlocal packets_sent
        packets_sent += len(env.pcap.packets)
        tshark.send(env.pcap.take_records())
        tshark.wait_for(packets_sent)

    failures = 0

    def check(what, ok):
        nonlocal failures
        print(("ok   " if ok else "FAIL ") + what)
        failures += 0 if ok else 1

    def expect(cke, reads, entries, found, uri):
        row = tshark.rows[cke]
        want = (str(reads), str(entries), found)
        got = (row["tlslab.keylog.reads"], row["tlslab.keylog.entries"], row["tlslab.keylog.found"])
        check("%s: key log reads, entries, found: %s (got %s)" % (uri, want, got), got == want)

    # Session keys go into the key log "by the programs" before or after the session is written,
    # as each step says; the key log itself is written here, around tshark.
    s1, cke1 = run_session("one")
    with open(keylog, "w") as f:
        f.write("\n".join(noise_lines[:50] + env.keylog[-1:]) + "\n")
    flush()
    expect(cke1, 1, 51, "1", "/one")

    s2, cke2 = run_session("two")
    with open(keylog, "a") as f:                          # appended, as a program does
        f.write(env.keylog[-1] + "\n")
    flush()
    expect(cke2, 2, 52, "1", "/two")

    s3, cke3 = run_session("three")
    with open(keylog, "w") as f:                          # rewritten: shorter, other lines
        f.write("\n".join(noise_lines[50:60] + env.keylog[-1:]) + "\n")
    flush()
    expect(cke3, 3, 11, "1", "/three")      # old entries dropped

    s4, cke4 = run_session("four")                        # its line is never written
    flush()
    expect(cke4, 3, 11, "0", "/four")

    def write_line_now():                                 # as a program does, once Finished verified
        with open(keylog, "a") as f:
            f.write(env.keylog[-1] + "\n")
    s5, cke5 = run_session("five", before_application_data=write_line_now)
    flush()
    expect(cke5, 3, 11, "0", "/five")                      # not yet there at the ClientKeyExchange

    tshark.close()
    uris = sorted(row["http.request.uri"] for row in tshark.rows.values() if row.get("http.request.uri"))
    check("decrypted requests of the sessions the key log knows: %s" % uris, uris == ["/five", "/one", "/three", "/two"])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
