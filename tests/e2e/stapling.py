"""Stapling end to end (PROTOCOL.md §9.1): the real tlslab-ca, a tlslab-server with --staple-from,
and tlslab-client with --ca-check direct|stapled|auto, on 127.0.0.1.

Run one:   python3 tests/e2e/stapling.py revocation-window
List them: python3 tests/e2e/stapling.py --list
The CA answers with a short --validity and the server refreshes often, so that what takes minutes
in a deployment takes seconds here.
"""
import base64
import os
import re
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Lab, check, exe, free_port, run_named, wait_for_log, wait_until  # noqa: E402
import tlslab_wire as wire  # noqa: E402

TESTS = {}
EXIT_OK, EXIT_STATUS, EXIT_CA_CHECK = 0, 5, 6


def test(name):
    def register(function):
        TESTS[name] = function
        return function
    return register


class Stapling:
    """One CA service (answers valid `validity` s) and one server stapling its answers, refreshed
    at the latest every `refresh_ms`."""

    def __init__(self, lab, validity=60, refresh_ms=1000, server_extra=()):
        self.lab = lab
        self.ca_dir = lab.make_ca()
        self.trust = os.path.join(self.ca_dir, "ca.crt")
        self.cert, self.key, self.serial = lab.issue(self.ca_dir)
        self.ca_process, self.ca_port, _ = lab.start_ca(self.ca_dir, extra=["--validity", str(validity)])
        self.server_process, self.server_port = lab.start_server(
            self.cert, self.key, ["--staple-from", f"127.0.0.1:{self.ca_port}", "--staple-trust", self.trust,
                                  "--staple-refresh-ms", str(refresh_ms), *server_extra])

    def client(self, *extra, ca_port=None):
        return self.lab.client(self.server_port, ca_port or self.ca_port, self.trust, list(extra))

    def log(self):
        with open(self.server_process.log_path) as f:
            return f.read()


def expect(result, code, words):
    check(result.returncode == code, f"expected exit {code} ({words}), got {result.returncode}:\n{result.stderr[-2500:]}")
    check(words in result.stderr, f"expected {words!r} in the client's output:\n{result.stderr[-2500:]}")


def dead_port(lab):
    """A CA address nobody answers at: whatever a client accepts there, it took from the staple."""
    return free_port()


@test("stapled-good")
def stapled_good():
    with Lab() as lab:
        s = Stapling(lab)
        # The line comes from the server's log thread: it may land a moment after "listening on".
        start_line = "staple: the CA says good about serial " + s.serial
        log = wait_for_log(s.server_process.log_path, start_line, timeout=10)
        check(start_line in log, f"no start line:\n{log}")
        # The server's own trace of arrow 4: it is the server that verifies the CA's answer here.
        text = wait_for_log(s.server_process.log_path, "(4) CA → Server", timeout=5)
        check("sends ACK for the certificate" in text and "the server verifies it" in text
              and "the client verifies it" not in text, f"the server's arrow 4 names the wrong verifier:\n{text[-3000:]}")
        trace = lab.path("trace.json")
        result = s.client("--ca-check", "stapled", "--trace-json", trace, ca_port=dead_port(lab))
        expect(result, EXIT_OK, "no CA round trip")
        text = open(trace).read()
        check('"arrow":3,"from":"Server","to":"CA"' in text, f"arrow 3 is not the server's in the JSON:\n{text[:3000]}")
        check("ahead of time: the CA answered at" in text, "the JSON does not say when the server asked")
        check('"from":"Client","to":"CA"' not in text, "the client asked the CA itself")
        check("stapled into this session" in result.stdout, "the session page does not mention the staple")


@test("must-staple-without-staple")
def must_staple_without_staple():
    with Lab() as lab:
        ca_dir = lab.make_ca()
        trust = os.path.join(ca_dir, "ca.crt")
        cert, key, _ = lab.issue(ca_dir)
        _, ca_port, _ = lab.start_ca(ca_dir)
        _, server_port = lab.start_server(cert, key)  # no --staple-from
        result = lab.client(server_port, ca_port, trust, ["--ca-check", "stapled"])
        expect(result, EXIT_CA_CHECK, "bad_certificate_status_response")
        expect_good = lab.client(server_port, ca_port, trust, ["--ca-check", "auto"])
        check(expect_good.returncode == EXIT_OK, f"auto did not fall back to the CA:\n{expect_good.stderr[-2000:]}")


@test("stale-staple")
def stale_staple():
    with Lab() as lab:
        s = Stapling(lab, refresh_ms=60000)
        time.sleep(2.1)  # thisUpdate has a one-second grain
        expect(s.client("--ca-check", "stapled", "--max-staple-age", "1"), EXIT_CA_CHECK,
               "bad_certificate_status_response")
        fallback = s.client("--ca-check", "auto", "--max-staple-age", "1")
        check(fallback.returncode == EXIT_OK, f"auto did not fall back:\n{fallback.stderr[-2000:]}")
        check("asks the CA itself" in fallback.stderr, f"auto did not say it asks the CA:\n{fallback.stderr[-2000:]}")


@test("ca-down-keeps-then-stops-stapling")
def ca_down_keeps_then_stops():
    with Lab() as lab:
        s = Stapling(lab, validity=3, refresh_ms=500)
        s.ca_process.terminate()
        s.ca_process.wait(timeout=5)
        gone = dead_port(lab)
        # The answer held is still valid: the server keeps stapling it.
        expect(s.client("--ca-check", "stapled", ca_port=gone), EXIT_OK, "handshake complete")
        text = wait_for_log(s.server_process.log_path, "staple refresh failed", timeout=5)
        check("still stapling the CA's answer" in text, f"no 'still stapling' line:\n{text[-3000:]}")
        text = wait_for_log(s.server_process.log_path, "stopped stapling", timeout=8)
        check("stopped stapling" in text, f"the server never stopped stapling an expired answer:\n{text[-3000:]}")
        expect(s.client("--ca-check", "stapled", ca_port=gone), EXIT_CA_CHECK, "bad_certificate_status_response")


@test("revocation-window")
def revocation_window():
    """Revokes the certificate while a stapling server runs: a client that asks the CA refuses at
    once; clients that take the staple accept the answer the server holds until its next refresh,
    which staples the revoked one at once, and refuse from then on. The window is the server's
    refresh schedule, which its log states at every refresh ("next refresh in 1.0 s"), never more
    than the refresh interval; the test checks that statement and the events, not the clock."""
    refresh_ms = 1000
    with Lab() as lab:
        s = Stapling(lab, validity=60, refresh_ms=refresh_ms)
        expect(s.client("--ca-check", "auto"), EXIT_OK, "handshake complete")
        lab.run(exe("tlslab-ca"), "revoke", "--dir", s.ca_dir, "--serial", s.serial, "--reason", "keyCompromise")
        expect(s.client("--ca-check", "direct"), EXIT_STATUS, "certificate_revoked")
        accepted = []

        def refused():
            result = s.client("--ca-check", "auto")
            if result.returncode == EXIT_OK:
                accepted.append(result)
                return False
            expect(result, EXIT_STATUS, "certificate_revoked")
            return True

        wait_until(refused, "stapled clients kept accepting the revoked certificate", timeout=60)
        text = wait_for_log(s.server_process.log_path, "the CA says the certificate changed", timeout=30)
        check("good → revoked" in text, f"the server did not log the change:\n{text[-2000:]}")
        # The window: every refresh was scheduled within the refresh interval of the one before.
        schedule = [float(delay) for delay in re.findall(r"next refresh in ([0-9.]+) s", text)]
        check(schedule and max(schedule) <= refresh_ms / 1000,
              f"the server scheduled refreshes {schedule} s apart, not within {refresh_ms} ms:\n{text[-2000:]}")
        # Once the revoked answer is stapled, no client accepts the certificate again.
        for ca_check in ("stapled", "auto", "stapled"):
            expect(s.client("--ca-check", ca_check), EXIT_STATUS, "certificate_revoked")
        print(f"revocation window: {len(accepted)} stapled handshake(s) accepted the revoked certificate before "
              f"the server's next refresh (interval {refresh_ms} ms); a direct client refused at once")


def ca_log(lab, ca_process):
    return lab.path(f"ca-{lab.processes.index(ca_process)}.log")


@test("ca-trace-names-who-asks")
def ca_trace_names_who_asks():
    """Issue 22 point 1: the CA's trace names who asks (every address is 127.0.0.1; the request's
    requester extension, §9, says it): the server for its staple, the server about a client's
    certificate, a client; a request in 1.0's first form is "not said", drawn as the Client."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        trust = os.path.join(ca_dir, "ca.crt")
        cert, key, _ = lab.issue(ca_dir)
        alice_cert, alice_key = lab.path("alice.crt"), lab.path("alice.key")
        lab.run(exe("tlslab-ca"), "issue", "--client", "--dir", ca_dir, "--cn", "alice", "--out-cert", alice_cert,
                "--out-key", alice_key)
        ca_process, ca_port, _ = lab.start_ca(ca_dir)
        _, server_port = lab.start_server(cert, key, [
            "--staple-from", f"127.0.0.1:{ca_port}", "--staple-trust", trust, "--client-auth", "require",
            "--client-trust", trust, "--ca-service", f"127.0.0.1:{ca_port}"])
        result = lab.client(server_port, ca_port, trust, ["--quiet", "--ca-check", "direct", "--cert", alice_cert,
                                                          "--key", alice_key])
        check(result.returncode == EXIT_OK, f"the direct, mutual session failed:\n{result.stderr[-2000:]}")
        log = ca_log(lab, ca_process)
        text = wait_for_log(log, "(3) Server → CA: StatusRequest (by the server)",
                            "(3) Server → CA: StatusRequest (client's certificate)", "(3) Client → CA: StatusRequest",
                            "(4) CA → Server: StatusResponse (client's certificate)", timeout=10)
        for needle in ("(3) Server → CA: StatusRequest (by the server)", "(4) CA → Server: StatusResponse (the staple)",
                       "(3) Server → CA: StatusRequest (client's certificate)",
                       "(4) CA → Server: StatusResponse (client's certificate)", "(3) Client → CA: StatusRequest",
                       "the server verifies it", "Server (for its staple)", "Server (about a client's certificate)"):
            check(needle in text, f"the CA's trace lacks {needle!r}:\n{text[-4000:]}")
        check(text.count("(3) Client → CA") == 1, f"the CA calls the server a client:\n{text[-4000:]}")
        # 1.0's first form, no extension list: answered as before, its requester not said.
        der = open(cert, "rb").read()
        pem = b"".join(line for line in der.splitlines() if b"-----" not in line)
        request = wire.frame(wire.CT_HANDSHAKE, wire.status_request(base64.b64decode(pem), os.urandom(32)))
        with socket.create_connection(("127.0.0.1", ca_port), timeout=5) as sock:
            sock.sendall(request)
            header = sock.recv(5, socket.MSG_WAITALL)
        check(header[:1] == bytes([wire.CT_HANDSHAKE]), f"the CA refused 1.0's first form: {header.hex()}")
        text = wait_for_log(log, "asked by               not said", timeout=5)
        check("asked by               not said" in text, f"no 'not said' requester in the CA's trace:\n{text[-2000:]}")


class FirstTextCa:
    """A CA of 1.0's first text, in front of the real one: a StatusRequest with anything after its
    nonce gets decode_error (trailing bytes) and the connection closed; one without is relayed."""

    def __init__(self, ca_port):
        self.ca_port = ca_port
        self.refused = 0
        self.relayed = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        with client, socket.create_connection(("127.0.0.1", self.ca_port), timeout=5) as upstream:
            while True:
                header = client.recv(5, socket.MSG_WAITALL)
                if len(header) < 5:
                    return
                fragment = client.recv(struct.unpack(">H", header[3:5])[0], socket.MSG_WAITALL)
                body = fragment[4:]
                certificate_end = 2 + struct.unpack(">H", body[:2])[0]
                if len(body) > certificate_end + 1 + body[certificate_end]:
                    self.refused += 1
                    client.sendall(wire.frame(wire.CT_ALERT, wire.alert(wire.DECODE_ERROR)))
                    return
                self.relayed += 1
                upstream.sendall(header + fragment)
                answer = upstream.recv(5, socket.MSG_WAITALL)
                client.sendall(answer + upstream.recv(struct.unpack(">H", answer[3:5])[0], socket.MSG_WAITALL))


@test("first-text-ca-gets-the-first-form")
def first_text_ca_gets_the_first_form():
    """Issue 22 point 1: a CA of 1.0's first text refuses the requester extension as trailing bytes;
    the client asks again in the first form and connects (PROTOCOL.md §9)."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        trust = os.path.join(ca_dir, "ca.crt")
        cert, key, _ = lab.issue(ca_dir)
        _, ca_port, _ = lab.start_ca(ca_dir)
        _, server_port = lab.start_server(cert, key)
        old_ca = FirstTextCa(ca_port)
        result = lab.client(server_port, old_ca.port, trust, ["--ca-check", "direct"])
        check(result.returncode == EXIT_OK, f"the client did not connect through a 1.0 CA:\n{result.stderr[-2000:]}")
        check(old_ca.refused == 1 and old_ca.relayed == 1,
              f"the 1.0 CA refused {old_ca.refused} and answered {old_ca.relayed} request(s), expected 1 and 1")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
