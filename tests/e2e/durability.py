"""Limits, deadlines, durability and restarts, with the real programs.

Run one:   python3 tests/e2e/durability.py NAME      List: --list
"""
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, Setup, check, exe, run_named, sanitized, skip, wait_for_log, wait_until  # noqa: E402

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
    and the database is never corrupt. Every third revoke runs to its end (confirmed before the
    kills that follow it); the others are killed at a random moment of a revoke's run as long as
    the confirmed ones took here, so that kills land inside revokes on a slow machine as on a
    fast one. The test fails if no kill interrupted a revoke: then it would have checked nothing."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        serials = [lab.issue(ca_dir, name=f"s{i}")[2] for i in range(15)]
        rng = random.Random(1234)
        confirmed, interrupted, run_for = set(), [], []
        for i, serial in enumerate(serials):
            started = time.monotonic()
            process = subprocess.Popen([exe("tlslab-ca"), "revoke", "--dir", ca_dir, "--serial", serial],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if i % 3 == 0:
                process.wait(timeout=60)
                run_for.append(time.monotonic() - started)
            else:
                try:  # the kill's moment, somewhere in what a whole revoke takes here
                    process.wait(timeout=rng.uniform(0.0, max(run_for)))
                except subprocess.TimeoutExpired:
                    process.send_signal(signal.SIGKILL)
                    process.wait()
            _, stderr = process.communicate()
            if process.returncode == 0:
                confirmed.add(serial)
            elif process.returncode == -signal.SIGKILL:
                interrupted.append(serial)
            else:
                check(False, f"revoke of {serial} exited {process.returncode}: {stderr.decode(errors='replace')}")
            state = statuses(ca_dir)  # integrity after every kill
            for done in confirmed:
                check(state.get(done), f"revocation of {done} was confirmed, then lost")
        check(len(confirmed) >= 5, f"only {len(confirmed)} revokes were confirmed: {sorted(confirmed)}")
        check(interrupted, f"no kill interrupted a revoke ({len(confirmed)} of {len(serials)} completed): "
                           "the kills checked nothing")
        # Whatever a kill interrupted, revoking again now completes or says it is already done.
        for serial in serials:
            r = lab.run(exe("tlslab-ca"), "revoke", "--dir", ca_dir, "--serial", serial, check_ok=False)
            check(r.returncode == 0 or "already revoked" in r.stderr, f"revoke after the kills: {r.stderr}")
        check(all(statuses(ca_dir).values()), "not every certificate is revoked at the end")
        print(f"{len(confirmed)} revokes confirmed, {len(interrupted)} interrupted by kill -9")


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
def revocation_is_in_the_very_next_answer():
    """`serve` keeps the statuses in memory (docs/CA.md): a `revoke`, and an `issue`, run in another
    process while it serves show in the very next answer, on a connection that has been answering
    all along (HTTP keep-alive, the same OCSP request each time), with nothing else in between."""
    import http.client
    with Lab() as lab:
        ca_dir = lab.make_ca()
        cert, _, serial = lab.issue(ca_dir)
        _, _, http_port = lab.start_ca(ca_dir, http=True)
        ca_crt = os.path.join(ca_dir, "ca.crt")

        def request_about(certificate):
            path = lab.path(os.path.basename(certificate) + ".req")
            lab.run("openssl", "ocsp", "-issuer", ca_crt, "-cert", certificate, "-no_nonce", "-reqout", path)
            return open(path, "rb").read()

        connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)

        def status_of(request):
            connection.request("POST", "/", body=request, headers={"Content-Type": "application/ocsp-request"})
            response = connection.getresponse()
            body = response.read()
            check(response.status == 200 and not response.will_close, f"HTTP {response.status}, or not kept alive")
            path = lab.path("answer.der")
            open(path, "wb").write(body)
            text = lab.run("openssl", "ocsp", "-respin", path, "-resp_text", "-CAfile", ca_crt, "-issuer", ca_crt,
                           check_ok=False)
            status = re.search(r"Cert Status: (\w+)", text.stdout)
            return (status.group(1) if status else "none"), text.stdout

        request = request_about(cert)
        for _ in range(20):  # the book read once, then answers from memory
            connection.request("POST", "/", body=request, headers={"Content-Type": "application/ocsp-request"})
            connection.getresponse().read()
        status, text = status_of(request)
        check(status == "good", f"before the revocation: {status}\n{text}")
        lab.run(exe("tlslab-ca"), "revoke", "--dir", ca_dir, "--serial", serial, "--reason", "keyCompromise")
        status, text = status_of(request)
        check(status == "revoked" and "Reason: keyCompromise" in text,
              f"the very next answer after the revocation says {status}:\n{text}")

        # Issued by another process while serving: known (good) at the very next answer, not unknown.
        second, _, _ = lab.issue(ca_dir, name="second")
        status, text = status_of(request_about(second))
        check(status == "good", f"a certificate issued while serving is answered {status}:\n{text}")
        connection.close()


@test
def ca_restart_while_clients_run():
    """Clients run all through a restart of the CA service on its port: those that start after the
    service stopped, and end before it starts again, fail closed (exit 6); those that start once it
    listens again succeed; no client ends in any other way (a crash, a hang, another exit)."""
    with Lab() as lab:
        setup = Setup(lab)
        runs, lock, stop = [], threading.Lock(), threading.Event()  # runs: (started, ended, result)

        def keep_running_clients():
            while not stop.is_set():
                started = time.monotonic()
                try:
                    result = setup.client(["--quiet"])
                except subprocess.TimeoutExpired as hung:
                    result = hung
                with lock:
                    runs.append((started, time.monotonic(), result))

        def ended(predicate):
            with lock:
                return [result for started, end, result in runs if predicate(started, end)]

        def exit_of(result):
            return getattr(result, "returncode", "a hang")

        clients = [threading.Thread(target=keep_running_clients) for _ in range(2)]
        for thread in clients:
            thread.start()
        try:
            wait_until(lambda: len(ended(lambda s, e: True)) >= 3, "clients before the restart did not end")
            setup.ca_process.terminate()
            setup.ca_process.wait()
            down = time.monotonic()
            wait_until(lambda: len(ended(lambda s, e: s > down)) >= 3, "no client ran while the CA was down")
            restarting = time.monotonic()
            setup.ca_process, port, _ = lab.start_ca(setup.ca_dir, listen=f"127.0.0.1:{setup.ca_port}")
            check(port == setup.ca_port, f"the CA came back on port {port}, not {setup.ca_port}")
            up = time.monotonic()
            wait_until(lambda: len(ended(lambda s, e: s > up)) >= 3, "no client ran after the CA came back")
        finally:
            stop.set()
            for thread in clients:
                thread.join()

        before = ended(lambda s, e: e < down)
        check(before and all(exit_of(r) == 0 for r in before),
              f"before the restart: exits {[exit_of(r) for r in before]}")
        during = ended(lambda s, e: s > down and e < restarting)
        check(len(during) >= 3, f"only {len(during)} client(s) ran while the CA was down")
        for result in during:
            check(exit_of(result) == 6 and "bad_certificate_status_response" in result.stderr,
                  f"with the CA down the client must fail closed: {exit_of(result)} {getattr(result, 'stderr', '')}")
        after = ended(lambda s, e: s > up)
        for result in after:
            check(exit_of(result) == 0, f"after the CA came back: {exit_of(result)} {getattr(result, 'stderr', '')}")
        # Those that overlapped the stop or the start may go either way, but only fail closed.
        for result in ended(lambda s, e: True):
            check(exit_of(result) in (0, 6), f"a client across the restart: {exit_of(result)} "
                                             f"{getattr(result, 'stderr', '')}")
        print(f"{len(before)} clients before the restart, {len(during)} while the CA was down, "
              f"{len(after)} after it came back")


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
        # The listener accepts in order and counts a connection as it accepts it: the fifth is
        # accepted after the four, which are open then.
        idle = [socket.create_connection(("127.0.0.1", setup.server_port)) for _ in range(4)]
        extra = socket.create_connection(("127.0.0.1", setup.server_port), timeout=5)
        check(extra.recv(100) == b"", "the connection past the limit was not closed")
        extra.close()
        log = wait_for_log(setup.server_process.log_path, "refused", "the limit is 4")
        check("refused" in log and "the limit is 4" in log, f"no clear refusal in the log:\n{log[-1500:]}")
        # Each idle connection ends its side; the server abandons the handshake and closes its own
        # (the end of the session, when the connection stops counting), which recv sees.
        for s in idle:
            s.shutdown(socket.SHUT_WR)
            s.settimeout(30)
            check(s.recv(100) == b"", "the server answered an idle connection that ended its side")
            s.close()
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
            # the harness fails the test on any sanitizer report in the server's log. The
            # handshakes were checked; the memory bound was not, and the result says so.
            skip(f"2,000 handshakes without error, but the memory bound is not checked under ASan "
                 f"(RSS {warm} -> {end} KiB)")
        check(end <= warm * 1.25 + 4096, f"server RSS grew from {warm} KiB to {end} KiB over 1,500 handshakes")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
