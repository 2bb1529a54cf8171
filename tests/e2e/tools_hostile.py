#!/usr/bin/env python3
"""The tools against hostile peers (issue 20 item 9): tlslab-mitm and tlslab-bench run on users'
machines, so a peer that stalls, trickles or answers garbage must cost them a bounded wait and
end in one clear line, never a crash, a hang or unbounded memory. Real processes on 127.0.0.1,
ephemeral ports; the peers are Python threads. Nothing asserts on time: each wait is bounded by a
socket or process timeout, and the test checks what the tools say.

  mitm_stalled_upstream    the upstream accepts and never answers: the relay closes both
                           connections after --idle-timeout-ms and says so in one log line
  mitm_trickling_upstream  the upstream promises a 65,535-byte frame and sends a byte at a time
  mitm_garbage_upstream    the upstream answers 1 MiB of garbage and closes: the mitm keeps
                           serving the next connection
  bench_garbage_server     tlslab-bench against a server that answers garbage: exit 1, one
                           'errors N, first: …' line
  bench_oversize_frame     a frame header whose length is past §2's limit: a decode error
  bench_stalled_server     a server that never answers: exit 1 after --handshake-timeout-ms
"""

import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Lab, TestFailure, check, exe, run_named  # noqa: E402

CLIENT_HELLO_HEADER = bytes.fromhex("1601000030") + b"\x01" + b"\x00" * 47  # a frame of 48 bytes


class Peer:
    """A TCP server on 127.0.0.1:0 that runs `behaviour(conn)` for each connection, in a thread."""

    def __init__(self, behaviour):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.behaviour = behaviour
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.listener.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn):
        try:
            self.behaviour(conn, self.stop)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        self.listener.close()


def stall(conn, stop):
    stop.wait(60)


def trickle(conn, stop):
    conn.sendall(bytes.fromhex("160100ffff"))  # a handshake frame of 65,535 bytes, to come
    while not stop.wait(0.05):
        conn.sendall(b"\x00")


def garbage(conn, stop):
    conn.settimeout(2)
    try:
        conn.recv(4096)
    except socket.timeout:
        pass
    conn.sendall(os.urandom(1 << 20))


def oversize_frame(conn, stop):
    conn.settimeout(2)
    conn.recv(4096)
    conn.sendall(bytes.fromhex("160100ffff") + b"\x02" * 65535)


def read_until_closed(port, send, limit=30.0):
    """Connects, sends, and reads until the peer closes; True if it closed within `limit`."""
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as s:
        s.sendall(send)
        try:
            while s.recv(65536):
                pass
            return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True


def start_mitm(lab, upstream_port, extra=()):
    return lab.start([exe("tlslab-mitm"), "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream_port}",
                      "--attack", "flip-byte", "--frame", "1000", *extra],
                     r"listening on 127\.0\.0\.1:(\d+)", "mitm")


def mitm_closes_idle(behaviour, what):
    with Lab() as lab:
        peer = Peer(behaviour)
        try:
            mitm, port = start_mitm(lab, peer.port, ["--idle-timeout-ms", "500"])
            check(read_until_closed(port, CLIENT_HELLO_HEADER), f"{what}: the mitm kept the connection open")
            deadline = time.time() + 10
            text = ""
            while time.time() < deadline and "no whole frame" not in text:
                text = open(lab.path("mitm.log")).read()
                time.sleep(0.05)
            check("no whole frame from either side for 500 ms" in text, f"{what}: no log line:\n{text}")
            check(mitm.poll() is None, f"{what}: the mitm exited ({mitm.returncode})")
        finally:
            peer.close()


def mitm_stalled_upstream():
    mitm_closes_idle(stall, "stalled upstream")


def mitm_trickling_upstream():
    mitm_closes_idle(trickle, "trickling upstream")


def mitm_garbage_upstream():
    with Lab() as lab:
        peer = Peer(garbage)
        try:
            mitm, port = start_mitm(lab, peer.port, ["--idle-timeout-ms", "2000"])
            for attempt in range(2):
                check(read_until_closed(port, CLIENT_HELLO_HEADER), f"garbage upstream: connection {attempt} hangs")
            check(mitm.poll() is None, f"garbage upstream: the mitm exited ({mitm.returncode})")
        finally:
            peer.close()


def run_bench(lab, behaviour, extra=()):
    ca_dir = lab.make_ca()
    peer = Peer(behaviour)
    try:
        return lab.run(exe("tlslab-bench"), "--connect", f"127.0.0.1:{peer.port}", "--ca-service",
                       f"127.0.0.1:{peer.port}", "--trust", os.path.join(ca_dir, "ca.crt"), "--mode", "handshake",
                       "--handshakes", "2", "--connections", "1", *extra, timeout=60, check_ok=False)
    finally:
        peer.close()


def check_bench_failed(result, what, needle=""):
    check(result.returncode == 1, f"{what}: exit {result.returncode} (1 expected):\n{result.stdout}\n{result.stderr}")
    lines = [line for line in result.stdout.splitlines() if line.strip().startswith("errors")]
    check(len(lines) == 1 and "first: " in lines[0], f"{what}: no one-line error:\n{result.stdout}")
    check(needle in lines[0], f"{what}: the error does not say '{needle}': {lines[0]}")


def bench_garbage_server():
    with Lab() as lab:
        check_bench_failed(run_bench(lab, garbage), "garbage server")


def bench_oversize_frame():
    with Lab() as lab:
        check_bench_failed(run_bench(lab, oversize_frame), "oversize frame", "exceeds the limit")


def bench_stalled_server():
    with Lab() as lab:
        result = run_bench(lab, stall, ["--handshake-timeout-ms", "500"])
        check_bench_failed(result, "stalled server")


TESTS = {name: fn for name, fn in globals().items()
         if name.startswith(("mitm_", "bench_")) and callable(fn) and name not in ("mitm_closes_idle",)}

if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
