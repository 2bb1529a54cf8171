"""Limits, deadlines, durability and restarts, with the real programs.

Run one:   python3 tests/e2e/durability.py NAME      List: --list
"""
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, Setup, TestFailure, check, exe, run_named, sanitized, wait_for_log  # noqa: E402

TESTS = {}


def test(function):
    TESTS[function.__name__] = function
    return function


def statuses(ca_dir):
    db = sqlite3.connect(os.path.join(ca_dir, "ca.db"))
    try:
        check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "the CA database is corrupt")
        return {serial: revoked is not None for serial, revoked in
                db.execute("SELECT serial, revoked_at FROM certificates")}
    finally:
        db.close()


@test
def kill9_during_revoke_loses_nothing():
    """kill -9 of `tlslab-ca revoke` at random moments: every revoke that returned is durable,
    and the database is never corrupt."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        serials = [lab.issue(ca_dir, name=f"s{i}")[2] for i in range(12)]
        rng = random.Random(1234)
        confirmed = set()
        for serial in serials:
            process = subprocess.Popen([exe("tlslab-ca"), "revoke", "--dir", ca_dir, "--serial", serial],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0.0, 0.02))
            process.send_signal(signal.SIGKILL)
            process.wait()
            if process.returncode == 0:
                confirmed.add(serial)
            state = statuses(ca_dir)  # integrity after every kill
            for done in confirmed:
                check(state.get(done), f"revocation of {done} was confirmed, then lost")
        # Whatever a kill interrupted, revoking again now completes or says it is already done.
        for serial in serials:
            r = lab.run(exe("tlslab-ca"), "revoke", "--dir", ca_dir, "--serial", serial, check_ok=False)
            check(r.returncode == 0 or "already revoked" in r.stderr, f"revoke after the kills: {r.stderr}")
        check(all(statuses(ca_dir).values()), "not every certificate is revoked at the end")


@test
def kill9_of_serve_keeps_every_status():
    with Lab() as lab:
        setup = Setup(lab)
        _, _, serial2 = lab.issue(setup.ca_dir, name="second")
        lab.run(exe("tlslab-ca"), "revoke", "--dir", setup.ca_dir, "--serial", serial2)
        for _ in range(3):
            check(setup.client(["--quiet"]).returncode == 0, "client before the kill")
            setup.ca_process.send_signal(signal.SIGKILL)
            setup.ca_process.wait()
            state = statuses(setup.ca_dir)
            check(state[serial2] and not state[setup.serial], f"statuses changed across kill -9: {state}")
            setup.ca_process, setup.ca_port, _ = lab.start_ca(setup.ca_dir)


@test
def ca_restart_while_clients_run():
    """Clients fail closed (exit 6) while the CA is down, and succeed once it is back."""
    with Lab() as lab:
        setup = Setup(lab)
        check(setup.client(["--quiet"]).returncode == 0, "before the restart")
        port = setup.ca_port
        setup.ca_process.terminate()
        setup.ca_process.wait()
        during = setup.client(["--quiet"])
        check(during.returncode == 6 and "bad_certificate_status_response" in during.stderr,
              f"with the CA down the client must fail closed: {during.returncode} {during.stderr}")
        # Back on the same port (the client is configured with it).
        process, new_port, _ = lab.start_ca(setup.ca_dir, extra=[])
        setup.ca_port = new_port
        check(setup.client(["--quiet"]).returncode == 0, "after the CA came back")
        check(port != 0, "sanity")


@test
def server_restart():
    with Lab() as lab:
        setup = Setup(lab)
        check(setup.client(["--quiet"]).returncode == 0, "before the restart")
        setup.server_process.terminate()
        setup.server_process.wait()
        during = setup.client(["--quiet"])
        check(during.returncode == 3, f"with the server down the client exits 3: {during.returncode} {during.stderr}")
        setup.server_process, setup.server_port = lab.start_server(setup.cert, setup.key)
        check(setup.client(["--quiet"]).returncode == 0, "after the server came back")


@test
def slowloris_is_cut_at_the_handshake_deadline():
    """Connect and send one byte a second: the server closes the connection at its deadline."""
    with Lab() as lab:
        setup = Setup(lab, server_extra=["--handshake-timeout-ms", "2000"])
        hello = bytes.fromhex("160100003e0100003a0100") + bytes(32) + bytes.fromhex("00020a010000")
        sent = 0
        closed = False
        with socket.create_connection(("127.0.0.1", setup.server_port), timeout=10) as s:
            s.settimeout(1.0)
            for byte in hello[:8]:
                try:
                    s.sendall(bytes([byte]))
                    sent += 1
                    if s.recv(100) == b"":
                        closed = True
                        break
                except socket.timeout:
                    continue
                except (ConnectionResetError, BrokenPipeError):
                    closed = True
                    break
        check(closed and sent < 8, f"the slow client was not cut (sent {sent} bytes, closed={closed})")
        check(setup.client(["--quiet"]).returncode == 0, "a normal client after the slowloris")


@test
def connections_past_the_limit_are_refused():
    with Lab() as lab:
        setup = Setup(lab, server_extra=["--max-connections", "4", "--handshake-timeout-ms", "5000"])
        idle = [socket.create_connection(("127.0.0.1", setup.server_port)) for _ in range(4)]
        time.sleep(0.3)
        extra = socket.create_connection(("127.0.0.1", setup.server_port), timeout=5)
        check(extra.recv(100) == b"", "the connection past the limit was not closed")
        extra.close()
        log = wait_for_log(setup.server_process.log_path, "refused", "the limit is 4")
        check("refused" in log and "the limit is 4" in log, f"no clear refusal in the log:\n{log[-1500:]}")
        for s in idle:
            s.close()
        time.sleep(0.3)
        check(setup.client(["--quiet"]).returncode == 0, "a client once the idle connections closed")


@test
def soak_two_thousand_handshakes_flat_memory():
    """2,000 full handshakes through tlslab-bench: no error, and the server's memory does not grow
    with the count (RSS after 2,000 within 25% + 4 MiB of RSS after the first 500)."""
    with Lab() as lab:
        setup = Setup(lab, server_extra=["--quiet"])
        pid = setup.server_process.pid

        def rss_kib():
            with open(f"/proc/{pid}/status") as f:
                return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))

        def run(count):
            r = subprocess.run([exe("tlslab-bench"), "--connect", f"127.0.0.1:{setup.server_port}", "--ca-service",
                                f"127.0.0.1:{setup.ca_port}", "--trust", setup.trust, "--connections", "8",
                                "--handshakes", str(count), "--json"], capture_output=True, text=True, timeout=300)
            check(r.returncode == 0 and '"errors":0' in r.stdout, f"bench failed: {r.stdout} {r.stderr}")

        run(500)
        warm = rss_kib()
        run(1500)
        end = rss_kib()
        if sanitized():
            # ASan's quarantine holds freed memory on purpose; leaks are LeakSanitizer's job, and
            # the harness fails the test on any sanitizer report in the server's log.
            print(f"RSS {warm} -> {end} KiB under ASan: bound not applied")
            return
        check(end <= warm * 1.25 + 4096, f"server RSS grew from {warm} KiB to {end} KiB over 1,500 handshakes")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
