"""The dissector on the CA's other arrows (PROTOCOL.md §9.1, §7.7): real sessions of the real
programs (a server that staples and requires a client certificate, a client with alice's), their
frames recorded by a relay and written into a capture, then read back with tshark: every new field
filterable, the staple given to Wireshark's OCSP dissector and the client's certificate to its
X.509 one, and certificate_required (116) by name. The connections to the CA (through a relay of
their own) show who asks: the server for its staple, the server about alice's certificate, a client
(issue 22: every row is 127.0.0.1, the requester extension of §9 is the only clue).

    python3 tests/wireshark/ca_arrows_test.py      (exit 0 passed, 1 failed, 77 skipped)
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fuzz"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import harness  # noqa: E402
from make_corpus import Relay  # noqa: E402  (records both directions of each connection)
from make_pcap import Pcap, TcpConnection  # noqa: E402
from tlslab_wire import split_frames  # noqa: E402

DISSECTOR = os.path.join(ROOT, "scripts", "wireshark", "tlslab.lua")


def write_capture(path, relay):
    """Each recorded connection as a TCP connection to port 4433, its frames in handshake order:
    ClientHello, ServerHello, then the client's frames, then the server's."""
    pcap, rng = Pcap(time.time()), random.Random(15)
    for number, connection in enumerate(relay.connections):
        up, down = split_frames(bytes(connection["up"])), split_frames(bytes(connection["down"]))
        tcp = TcpConnection(pcap, 50000 + number, 4433, rng)
        order = [(True, up[:1]), (False, down[:1]), (True, up[1:]), (False, down[1:])]
        for from_client, frames in order:
            for data in frames:
                tcp.send(from_client, data)
        tcp.close()
    pcap.write(path)


def write_ca_capture(path, relay):
    """Each recorded connection to the CA as a TCP connection to port 4434, request, answer, …"""
    pcap, rng = Pcap(time.time()), random.Random(16)
    for number, connection in enumerate(relay.connections):
        up, down = split_frames(bytes(connection["up"])), split_frames(bytes(connection["down"]))
        tcp = TcpConnection(pcap, 51000 + number, 4434, rng)
        for i in range(max(len(up), len(down))):
            for from_client, frames in ((True, up), (False, down)):
                if i < len(frames):
                    tcp.send(from_client, frames[i])
        tcp.close()
    pcap.write(path)


def tshark_fields(pcap, home, display_filter, *fields):
    args = ["tshark", "-n", "-2", "-X", f"lua_script:{DISSECTOR}", "-r", pcap, "-Y", display_filter, "-T", "fields",
            "-E", "occurrence=a", "-E", "aggregator=,"]
    for field in fields:
        args += ["-e", field]
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"))
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    if "Lua" in result.stderr and "rror" in result.stderr:
        raise harness.TestFailure(f"tshark reported a Lua error:\n{result.stderr[-2000:]}")
    return [line for line in result.stdout.splitlines() if line.strip()]


def main():
    if not shutil.which("tshark"):
        print("SKIP: tshark is not installed")
        return 77
    with harness.Lab() as lab:
        ca_dir = lab.make_ca()
        trust = os.path.join(ca_dir, "ca.crt")
        cert, key, _ = lab.issue(ca_dir)
        alice_cert, alice_key = lab.path("alice.crt"), lab.path("alice.key")
        lab.run(harness.exe("tlslab-ca"), "issue", "--client", "--dir", ca_dir, "--cn", "alice", "--out-cert",
                alice_cert, "--out-key", alice_key)
        _, ca_port, _ = lab.start_ca(ca_dir)
        ca_relay = Relay(ca_port, "ca-arrows-ca")
        server, server_port = lab.start_server(cert, key, [
            "--staple-from", f"127.0.0.1:{ca_relay.port}", "--staple-trust", trust, "--client-auth", "require",
            "--client-trust", trust, "--ca-service", f"127.0.0.1:{ca_relay.port}"])
        relay = Relay(server_port, "ca-arrows")
        both = lab.client(relay.port, ca_port, trust, ["--quiet", "--ca-check", "stapled", "--cert", alice_cert,
                                                       "--key", alice_key, "--suites", "ecdhe-aes128gcm"])
        harness.check(both.returncode == 0, f"the stapled, mutual session failed:\n{both.stderr[-2000:]}")
        # This one asks the CA itself: arrows 3-4 Client → CA.
        direct = lab.client(relay.port, ca_relay.port, trust, ["--quiet", "--ca-check", "direct", "--cert", alice_cert,
                                                               "--key", alice_key])
        harness.check(direct.returncode == 0, f"the direct, mutual session failed:\n{direct.stderr[-2000:]}")
        anonymous = lab.client(relay.port, ca_port, trust, ["--quiet"])
        harness.check(anonymous.returncode == 11, f"expected certificate_required (exit 11):\n{anonymous.stderr}")
        relay.settle()  # every recorded connection ended in both directions
        relay.close()
        server.terminate()  # it keeps its connections to the CA open
        server.wait(timeout=10)
        ca_relay.settle()
        ca_relay.close()
        pcap = lab.path("ca-arrows.pcap")
        write_capture(pcap, relay)
        ca_pcap = lab.path("ca-arrows-ca.pcap")
        write_ca_capture(ca_pcap, ca_relay)
        home = lab.path("home")
        os.makedirs(home)

        checks = [
            ("tlslab.staple.asked", ["tlslab.handshake.type"], "1"),
            ("tlslab.certificate_request.offered", ["tlslab.handshake.type"], "1"),
            ("tlslab.staple", ["tlslab.staple.length"], None),
            ("tlslab.staple && ocsp.responseStatus", ["ocsp.responseStatus"], "0"),
            # the schemes the server accepts for a client's CertificateVerify (§7.7), all of them
            ("tlslab.certificate_request.scheme", ["tlslab.certificate_request.scheme"], {"0x0403", "0x0804"}),
            ("tlslab.client_certificate", ["tlslab.client_certificate.length"], None),
            ("tlslab.certificate_verify", ["tlslab.certificate_verify.scheme"], "0x0804"),
            ("tlslab.alert.description == 116", ["tlslab.alert.description"], "116"),
        ]
        failures = []
        for display_filter, fields, expected in checks:
            lines = tshark_fields(pcap, home, display_filter, *fields)
            # Each occurrence of the field in each matching packet, whole ("1" is not "116").
            values = {value for line in lines for value in line.split("\t")[0].split(",")}
            if not lines:
                failures.append(f"no packet matches {display_filter!r}")
            elif expected is not None and values != ({expected} if isinstance(expected, str) else expected):
                failures.append(f"{display_filter!r}: {fields} = {sorted(values)}, expected exactly {expected!r}")
        # The client's certificate is dissected as X.509: alice's name is in the tree.
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"))
        verbose = subprocess.run(["tshark", "-n", "-2", "-X", f"lua_script:{DISSECTOR}", "-r", pcap, "-Y",
                                  "tlslab.client_certificate", "-V"], capture_output=True, text=True, env=env,
                                 timeout=60).stdout
        if "alice" not in verbose or "Client authentication" not in verbose:
            failures.append("the client's CERTIFICATE is not dissected as X.509 (no 'alice'):\n" + verbose[-3000:])
        if "certificate_required" not in subprocess.run(
                ["tshark", "-n", "-2", "-X", f"lua_script:{DISSECTOR}", "-r", pcap, "-Y", "tlslab.alert.description"],
                capture_output=True, text=True, env=env, timeout=60).stdout:
            failures.append("alert 116 is not named certificate_required in the Info column")
        # Who asks the CA (§9's requester): the Info column and the field, request and answer.
        for msg_type, want in (
                (64, {"(3) Server → CA: Status request (for its staple)",
                      "(3) Server → CA: Status request (about a client's certificate)",
                      "(3) Client → CA: Status request"}),
                (65, {"(4) CA → Server: Status response: good (for its staple)",
                      "(4) CA → Server: Status response: good (about a client's certificate)",
                      "(4) CA → Client: Status response: good"})):
            got = set(tshark_fields(ca_pcap, home, f"tlslab.handshake.type == {msg_type}", "_ws.col.Info"))
            if got != want:
                failures.append(f"the CA's connections' Info column for type {msg_type}: {sorted(got)}, "
                                f"expected {sorted(want)}")
        roles = set(tshark_fields(ca_pcap, home, "tlslab.status.requester", "tlslab.status.requester"))
        if roles != {"1", "2", "3"}:
            failures.append(f"tlslab.status.requester = {sorted(roles)}, expected 1, 2 and 3")
        for failure in failures:
            print(f"FAIL: {failure}")
        if failures:
            return 1
        print(f"passed: {len(checks) + 2} checks")
        return 0


if __name__ == "__main__":
    tempfile.tempdir = None
    sys.exit(main())
