"""End-to-end scenarios for forward secrecy: the ECDHE suites with the real three programs.

Run one:   python3 tests/e2e/forward_secrecy.py ecdhe-rsa-certificate
List them: python3 tests/e2e/forward_secrecy.py --list
Every ECDHE suite in both groups, with an RSA-2048 and with an EC P-256 server certificate; what
an EC certificate cannot do; no group in common; the secrets both sides show; the demo's --fs run.
CTest runs each as forward_secrecy.NAME.
"""
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, Setup, check, read_json_lines, run_named, wait_for_log  # noqa: E402

TESTS = {}
EXIT_OK, EXIT_NEGOTIATION = 0, 7
SUITES = {"ecdhe-aes128gcm": "TLSLAB_ECDHE_WITH_AES_128_GCM_SHA256",
          "ecdhe-chacha20": "TLSLAB_ECDHE_WITH_CHACHA20_POLY1305_SHA256",
          "ecdhe-aes256gcm": "TLSLAB_ECDHE_WITH_AES_256_GCM_SHA384"}
GROUPS = {"x25519": ("x25519", 32), "p256": ("secp256r1", 65)}


def test(name):
    def register(function):
        TESTS[name] = function
        return function
    return register


def arrow(steps, number):
    found = [s for s in steps if s.get("arrow") == number]
    check(found, f"the JSON trace has no arrow {number}: {[s.get('arrow') for s in steps]}")
    return found[0]


def every_suite_and_group(key_type, scheme):
    """Six clients against one server: each ECDHE suite in each group, checked in the JSON trace."""
    with Lab() as lab:
        setup = Setup(lab, issue_extra=["--key-type", key_type])
        for suite, suite_name in SUITES.items():
            for group, (group_name, share_size) in GROUPS.items():
                trace = lab.path(f"{suite}-{group}.json")
                result = setup.client(["--suites", suite, "--groups", group, "--trace-json", trace, "--get", "/"])
                check(result.returncode == EXIT_OK,
                      f"{suite} {group}: exit {result.returncode}\n{result.stderr[-3000:]}")
                check(suite_name in result.stdout, f"{suite} {group}: the session page does not name {suite_name}")
                steps = read_json_lines(trace)
                hello = arrow(steps, 2)["fields"]
                check(suite_name in hello["cipher suite"], f"{suite} {group}: arrow 2 chose {hello['cipher suite']}")
                share = hello.get("server's key share", "")
                check(share.startswith(group_name), f"{suite} {group}: the server's share is {share!r}")
                check(scheme in hello.get("signature", ""), f"{suite} {group}: signature {hello.get('signature')!r}")
                check("verified" in hello.get("signature", ""), f"{suite} {group}: the signature was not verified")
                key_exchange = arrow(steps, 5)
                client_share = key_exchange["fields"].get("client's key share", "")
                check(client_share.startswith(group_name), f"{suite} {group}: the client's share is {client_share!r}")
                check("PRE-MASTER (encrypted)" not in key_exchange["fields"],
                      f"{suite} {group}: arrow 5 carries an encrypted PRE-MASTER: {key_exchange['fields']}")
                # Arrow 5 on the wire: handshake header, type 0x10, then the share: uint8 length and the point.
                frame = bytes.fromhex(key_exchange["bytes"])
                check(frame[5] == 0x10 and frame[9] == share_size and len(frame) == 10 + share_size,
                      f"{suite} {group}: arrow 5 is not a {share_size}-byte key share: {frame.hex()}")


@test("ecdhe-rsa-certificate")
def ecdhe_rsa_certificate():
    every_suite_and_group("rsa2048", "rsa_pss_rsae_sha256")


@test("ecdhe-ec-certificate")
def ecdhe_ec_certificate():
    every_suite_and_group("ec-p256", "ecdsa_secp256r1_sha256")


@test("ec-certificate-cannot-transport-the-pre-master")
def ec_certificate_cannot_transport():
    with Lab() as lab:
        setup = Setup(lab, issue_extra=["--key-type", "ec-p256"])
        result = setup.client(["--suites", "aes128gcm,chacha20"])
        check(result.returncode == EXIT_NEGOTIATION and "handshake_failure" in result.stderr,
              f"an RSA-transport-only offer to an EC server: exit {result.returncode}\n{result.stderr[-2000:]}")
        # Offered beside an ECDHE suite, the server skips the RSA suite and takes the ECDHE one.
        result = setup.client(["--suites", "aes128gcm,ecdhe-chacha20"])
        check(result.returncode == EXIT_OK and SUITES["ecdhe-chacha20"] in result.stderr,
              f"the server did not skip to the ECDHE suite: exit {result.returncode}\n{result.stderr[-2000:]}")


@test("ec-certificate-refusal-says-why-once")
def ec_certificate_refusal_says_why_once():
    """Issue 22 point 5: an RSA-transport-only offer to a server with an EC key. The client's hint
    names the reason (RSA key transport needs an RSA key) and what to offer, rather than pointing
    at the server's --suites, which lists the suites offered; the server names its alert once."""
    with Lab() as lab:
        setup = Setup(lab, issue_extra=["--key-type", "ec-p256"])
        result = setup.client(["--suites", "aes128gcm,chacha20"])
        check(result.returncode == EXIT_NEGOTIATION, f"exit {result.returncode}\n{result.stderr[-2000:]}")
        line = next((l for l in result.stderr.splitlines() if "handshake_failure" in l), "")
        check("needs an RSA server key" in line and "ecdhe-aes128gcm" in line,
              f"the client's hint does not name the EC key's reason:\n{line}")
        check("see which the server accepts: its --suites" not in line,
              f"the client's hint points at the server's --suites, which lists the suites offered:\n{line}")
        # A second client's session ending in the log: connection 1's lines are all written by then.
        check(setup.client(["--quiet", "--suites", "ecdhe-aes128gcm"]).returncode == EXIT_OK, "an ECDHE client failed")
        text = wait_for_log(setup.server_process.log_path, "[conn 2] session closed", timeout=30)
        check("[conn 2] session closed" in text, f"connection 2 never ended in the log:\n{text[-2000:]}")
        lines = [l for l in text.splitlines() if "handshake_failure" in l]
        check(len(lines) == 1, f"the server names its alert {len(lines)} times:\n" + "\n".join(lines))


@test("ecdhe-no-group-in-common")
def ecdhe_no_group_in_common():
    with Lab() as lab:
        setup = Setup(lab, server_extra=["--groups", "x25519"])
        result = setup.client(["--suites", "ecdhe-aes128gcm", "--groups", "p256"])
        check(result.returncode == EXIT_NEGOTIATION and "handshake_failure" in result.stderr,
              f"no group in common: exit {result.returncode}\n{result.stderr[-2000:]}")
        # The server said so and keeps serving.
        check(setup.client(["--suites", "ecdhe-aes128gcm", "--groups", "p256,x25519"]).returncode == EXIT_OK,
              "a client with a common group failed after the refusal")


@test("ecdhe-both-sides-compute-the-same-pre-master")
def ecdhe_same_pre_master():
    """With --show-secrets each side shows its ephemeral private key and the PRE-MASTER it computed:
    the two PRE-MASTERs are equal, the private keys differ, and neither crossed the wire."""
    with Lab() as lab:
        setup = Setup(lab, server_extra=["--show-secrets", "--trace-json", lab.path("server.json")])
        client_trace = lab.path("client.json")
        result = setup.client(["--suites", "ecdhe-aes128gcm", "--show-secrets", "--trace-json", client_trace])
        check(result.returncode == EXIT_OK, f"exit {result.returncode}\n{result.stderr[-2000:]}")
        client = arrow(read_json_lines(client_trace), 5)["fields"]
        deadline_steps = []
        for _ in range(100):
            deadline_steps = [s for s in read_json_lines(lab.path("server.json")) if s.get("arrow") == 5]
            if deadline_steps:
                break
            subprocess.run(["sleep", "0.05"])
        check(deadline_steps, "the server's JSON trace has no arrow 5")
        server = deadline_steps[0]["fields"]
        client_pre_master, server_pre_master = client.get("PRE-MASTER (ECDH)"), server.get("PRE-MASTER (ECDH)")
        check(client_pre_master and len(client_pre_master) == 64, f"client's PRE-MASTER: {client_pre_master!r}")
        check(client_pre_master == server_pre_master,
              f"the two sides computed different PRE-MASTERs: {client_pre_master} / {server_pre_master}")
        check(client.get("ephemeral private key") != server.get("ephemeral private key"),
              "the two sides show the same ephemeral private key")
        wire = "".join(s.get("bytes", "") for s in read_json_lines(client_trace))
        check(client_pre_master not in wire, "the PRE-MASTER appears in the frames on the wire")


@test("demo-fs")
def demo_fs():
    """./scripts/demo.sh --fs, as the README says: the ECDHE variant end to end."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with Lab() as lab:
        # The demo builds its three programs first: in the build directory these tests run from.
        env = dict(os.environ, TLSLAB_DEMO_DIR=lab.path("demo"),
                   TLSLAB_BUILD=os.path.dirname(os.environ.get("TLSLAB_BIN", os.path.join(root, "build", "bin"))))
        result = subprocess.run([os.path.join(root, "scripts", "demo.sh"), "--fs"], capture_output=True,
                                text=True, timeout=300, env=env)
        check(result.returncode == 0, f"demo.sh --fs exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr}")
        output = result.stdout + result.stderr
        for needle in ("ClientKeyExchange (key share)", "TLSLAB_ECDHE_WITH_AES_128_GCM_SHA256", "PRE-MASTER (ECDH)",
                       "server's key share"):
            check(needle in output, f"demo.sh --fs does not show {needle!r}")
        check("PRE-MASTER (encrypted)" not in output, "demo.sh --fs shows an encrypted PRE-MASTER")
        # What the demo leaves holds secrets (keys, key log, a server log with --show-secrets):
        # nobody but the user may read any of it.
        demo = lab.path("demo")
        for where, _, files in os.walk(demo):
            for name in [where] + [os.path.join(where, f) for f in files]:
                mode = stat.S_IMODE(os.stat(name).st_mode)
                check(mode & 0o077 == 0, f"demo.sh left {os.path.relpath(name, demo) or '.'} with mode {mode:o}")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
