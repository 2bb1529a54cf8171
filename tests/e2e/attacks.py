"""The attack catalogue as end-to-end tests: for each attack of `tlslab-mitm --list-attacks`, the
real client, server and CA with the real tlslab-mitm between them. Each test asserts the outcome
pinned in PINNED below (who detects it, which alert, the client's exit code), checks that the
catalogue and docs/ATTACKS.md say the same, and that server and CA keep serving a normal client
right after. Also: protocol-order attacks spoken in raw frames.

Run one:   python3 tests/e2e/attacks.py swap-certificate
List them: python3 tests/e2e/attacks.py --list
"""
import os
import re
import socket
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Lab, Setup, TestFailure, check, exe, raw_exchange, run_named, wait_for_log  # noqa: E402
from tlslab_wire import frame, handshake, split_frames  # noqa: E402
from tlslab_wire import client_hello as wire_client_hello  # noqa: E402


# What each attack must end in: (link, detected by, alert, client exit). Pinned here, not read from
# the attacker: a regression that changes an outcome, with the catalogue row edited to match, would
# otherwise pass. `tlslab-mitm --list-attacks` and docs/ATTACKS.md are checked against this table
# (each attack's test checks its row; catalogue-complete checks the three hold the same attacks).
SERVER_LINK, CA_LINK, CRL_LINK = "client↔server", "client↔CA", "client↔CA (HTTP)"
PINNED = {
    "flip-byte": (SERVER_LINK, "server", "decrypt_error", 8),
    "downgrade-offered": (SERVER_LINK, "server", "decrypt_error", 8),
    "downgrade-chosen": (SERVER_LINK, "server", "bad_record_mac", 8),
    "replace-client-random": (SERVER_LINK, "server", "bad_record_mac", 8),
    "replace-server-random": (SERVER_LINK, "server", "bad_record_mac", 8),
    "swap-certificate": (SERVER_LINK, "client", "bad_certificate", 4),
    "swap-public-key": (SERVER_LINK, "client", "bad_certificate", 4),
    "swap-certificate-and-key": (SERVER_LINK, "server", "bad_record_mac", 8),
    "corrupt-pre-master": (SERVER_LINK, "server", "bad_record_mac", 8),
    "wrong-pre-master": (SERVER_LINK, "server", "bad_record_mac", 8),
    "drop-record": (SERVER_LINK, "client", "bad_record_mac", 8),
    "duplicate-record": (SERVER_LINK, "client", "bad_record_mac", 8),
    "reorder-records": (SERVER_LINK, "client", "bad_record_mac", 8),
    "replay-record": (SERVER_LINK, "client", "bad_record_mac", 8),
    "truncate-frame": (SERVER_LINK, "client", "closed the connection in the middle of a frame", 3),
    "inject-garbage": (SERVER_LINK, "client", "unexpected_message", 9),
    "stall": (SERVER_LINK, "client", "handshake deadline passed", 3),
    "status-other-certificate": (CA_LINK, "client", "bad_certificate_status_response", 6),
    "status-change-nonce": (CA_LINK, "client", "bad_certificate_status_response", 6),
    "status-replay": (CA_LINK, "client", "bad_certificate_status_response", 6),
    "status-flip-signature": (CA_LINK, "client", "bad_certificate_status_response", 6),
    "strip-ecdhe-suites": (SERVER_LINK, "server", "decrypt_error", 8),
    "replace-key-share": (SERVER_LINK, "client", "decrypt_error", 8),
    "replay-key-share": (SERVER_LINK, "client", "decrypt_error", 8),
    "change-group": (SERVER_LINK, "client", "illegal_parameter", 7),
    "invalid-key-share": (SERVER_LINK, "server", "illegal_parameter", 7),
    "replay-old-staple": (SERVER_LINK, "client", "bad_certificate_status_response", 6),
    "strip-staple": (SERVER_LINK, "client", "bad_certificate_status_response", 6),
    "foreign-staple": (SERVER_LINK, "client", "bad_certificate_status_response", 6),
    "swap-client-certificate": (SERVER_LINK, "server", "decrypt_error", 8),
    "replay-certificate-verify": (SERVER_LINK, "server", "decrypt_error", 8),
    "modify-ticket": (SERVER_LINK, "server", "decrypt_error", 8),
    "replay-ticket": (SERVER_LINK, "server", "bad_record_mac", 8),
    "status-other-ca": (CA_LINK, "client", "bad_certificate_status_response", 6),
    "replay-old-crl": (CRL_LINK, "client", "bad_certificate_status_response", 6),
    "strip-crl-fetch": (CRL_LINK, "client", "bad_certificate_status_response", 6),
    "foreign-crl": (CRL_LINK, "client", "bad_certificate_status_response", 6),
}
ATTACKS_MD = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "ATTACKS.md")


def catalogue_rows(markdown):
    """{attack: {link, detected_by, alert, exit}} from the catalogue's markdown table."""
    attacks = {}
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0].startswith("`"):
            name = cells[0].strip("`")
            exit_code = int(cells[5]) if cells[5].isdigit() else cells[5]
            attacks[name] = {"link": cells[1], "detected_by": cells[3], "alert": cells[4].strip("`"),
                             "exit": exit_code}
    return attacks


def catalogue():
    """The attacker's own catalogue: `tlslab-mitm --list-attacks --markdown`."""
    out = subprocess.run([exe("tlslab-mitm"), "--list-attacks", "--markdown"], capture_output=True, text=True,
                         check=True).stdout
    return catalogue_rows(out)


def documented():
    """The catalogue as docs/ATTACKS.md shows it."""
    with open(ATTACKS_MD, encoding="utf-8") as f:
        return catalogue_rows(f.read())


def pinned(name):
    return dict(zip(("link", "detected_by", "alert", "exit"), PINNED[name]))


def expected_outcome(name):
    """The pinned outcome of `name`, once the attacker's catalogue and docs/ATTACKS.md are seen to
    say the same: the test asserts what it pins, and a catalogue row that drifts fails it."""
    expected = pinned(name)
    for source, rows in (("tlslab-mitm --list-attacks", catalogue()), ("docs/ATTACKS.md", documented())):
        check(name in rows, f"{name}: {source} does not list the attack")
        differ = {key: rows[name][key] for key in expected if rows[name][key] != expected[key]}
        check(not differ, f"{name}: {source} says {differ}, the test expects "
                          f"{ {key: expected[key] for key in differ} } (tests/e2e/attacks.py, PINNED)")
    return expected


def start_mitm(lab, upstream_port, attack, extra=()):
    args = [exe("tlslab-mitm"), "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream_port}",
            "--attack", attack, *extra]
    process, port = lab.start(args, r"listening on 127\.0\.0\.1:(\d+)", f"mitm-{attack}")
    process.log_path = lab.path(f"mitm-{attack}.log")
    return process, port


def expect_documented_outcome(name, expected, result, server_log_path):
    """The client's exit code and the alert of the attack's documented outcome, reported by the side
    that detected it (the server's alert is also in its log)."""
    stderr = result.stderr
    check(result.returncode == expected["exit"],
          f"{name}: expected client exit {expected['exit']}, got {result.returncode}\n{stderr[-2500:]}")
    alert = expected["alert"]
    if expected["detected_by"] == "client":
        check(re.search(rf"failed: .*{re.escape(alert)}", stderr),
              f"{name}: the client should report {alert!r}:\n{stderr[-2500:]}")
    else:
        check(f"server sent alert {alert}" in stderr,
              f"{name}: the client should relay the server's alert {alert!r}:\n{stderr[-2500:]}")
        # The trace's line, or with --quiet the log's (the server names each alert once).
        log = wait_for_log(server_log_path, f"{alert}:")
        check(f"alert sent: {alert}:" in log or (f"{alert}:" in log and "(alert sent)" in log),
              f"{name}: the server log lacks {alert}:\n{log[-2500:]}")


# The attacks on the ECDHE suites (PROTOCOL.md §7.6) need a client that asks for one; to strip
# them, a server that prefers them (by default it prefers RSA key transport, as the seed).
ECDHE_CLIENT = ("replace-key-share", "replay-key-share", "change-group", "invalid-key-share")
RECORD_THEN_REPLAY = ("status-replay", "replay-key-share")


def run_attack(name, groups=None, key_type=None):
    """`groups` (--groups for the client) and `key_type` (the server certificate's) vary an ECDHE attack."""
    expected = expected_outcome(name)
    with Lab() as lab:
        server_extra = ["--suites", "ecdhe-aes128gcm,aes128gcm"] if name == "strip-ecdhe-suites" else []
        setup = Setup(lab, server_extra=server_extra, issue_extra=["--key-type", key_type] if key_type else [])
        other_cert, _, _ = lab.issue(setup.ca_dir, name="other-server")  # same CA, same name, another key
        extra = []
        if name in ("swap-certificate", "swap-public-key", "swap-certificate-and-key", "status-other-certificate"):
            extra = ["--substitute-cert", other_cert]
        if name == "status-other-ca":
            other_ca = lab.make_ca("other")
            _, other_port, _ = lab.start_ca(other_ca)
            extra = ["--other-upstream", f"127.0.0.1:{other_port}"]
        client_args = ["--get", "/bytes/100000", "--timeout-ms", "3000", "--idle-timeout-ms", "3000"]
        if name in ECDHE_CLIENT:
            client_args += ["--suites", "ecdhe-aes128gcm"]
        if groups:
            client_args += ["--groups", groups]
        on_server_link = expected["link"] == "client↔server"
        mitm, mitm_port = start_mitm(lab, setup.server_port if on_server_link else setup.ca_port, name, extra)
        server_port = mitm_port if on_server_link else setup.server_port
        ca_port = setup.ca_port if on_server_link else mitm_port

        if name in RECORD_THEN_REPLAY:  # the first run is recorded (and succeeds), the second replayed
            first = lab.client(server_port, ca_port, setup.trust, client_args)
            check(first.returncode == 0, f"the recorded run should succeed: {first.stderr[-1500:]}")
        result = lab.client(server_port, ca_port, setup.trust, client_args)
        expect_documented_outcome(name, expected, result, setup.server_process.log_path)
        mitm_log = wait_for_log(mitm.log_path, f"attack '{name}' fired")
        check(f"attack '{name}' fired" in mitm_log, f"{name}: the attack never fired:\n{mitm_log[-1500:]}")
        # Server and CA keep serving a normal client, directly.
        normal = setup.client(["--quiet"])
        check(normal.returncode == 0, f"after {name}, a normal client failed: {normal.stderr[-1500:]}")
        if name in ECDHE_CLIENT or name == "strip-ecdhe-suites":
            ecdhe = setup.client(["--quiet", "--suites", "ecdhe-aes128gcm", *(["--groups", groups] if groups else [])])
            check(ecdhe.returncode == 0, f"after {name}, a normal ECDHE client failed: {ecdhe.stderr[-1500:]}")


def run_strip_ecdhe_lands_on_rsa():
    """strip-ecdhe-suites does make the server choose RSA key transport: it is Finished that saves the day."""
    with Lab() as lab:
        setup = Setup(lab, server_extra=["--suites", "ecdhe-aes128gcm,aes128gcm"])
        mitm, mitm_port = start_mitm(lab, setup.server_port, "strip-ecdhe-suites")
        result = lab.client(mitm_port, setup.ca_port, setup.trust, ["--timeout-ms", "3000"])
        check(result.returncode == 8, f"expected exit 8, got {result.returncode}: {result.stderr[-2000:]}")
        check("TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256" in result.stderr,
              f"the client's trace should show the server choosing RSA key transport:\n{result.stderr[-2500:]}")
        direct = setup.client(["--timeout-ms", "3000"])
        check(direct.returncode == 0 and "TLSLAB_ECDHE_WITH_AES_128_GCM_SHA256" in direct.stderr,
              f"without the attacker the server chooses ECDHE:\n{direct.stderr[-2500:]}")


# --- protocol-order attacks in raw frames (PROTOCOL.md §6) -----------------------------------
def client_hello(suites=(0x0A01,), suites_bytes=None):
    """A ClientHello with a fresh RAND-CLIENT and no extensions."""
    return wire_client_hello(os.urandom(32), suites, suites_bytes=suites_bytes)


def frames_in(data):
    """(content type, fragment) of each frame in what the server answered."""
    return [(f[0], f[5:]) for f in split_frames(data)]


def raw_cases():
    key_exchange = handshake(16, struct.pack(">H", 256) + b"\x00" * 256)
    return {
        "raw-skip-client-hello": ([frame(22, key_exchange)], 10),
        "raw-duplicate-client-hello": ([frame(22, client_hello()), frame(22, client_hello())], 10),
        "raw-zero-suites": ([frame(22, client_hello(suites_bytes=b""))], 50),
        "raw-odd-suite-list": ([frame(22, client_hello(suites_bytes=b"\x0a\x01\x0a"))], 50),
        "raw-65535-suites": ([struct.pack(">BHH", 22, 0x0100, 65535)], 22),
        "raw-huge-declared-length": ([frame(22, b"\x01\xff\xff\xff" + b"\x00" * 40)], 50),
        "raw-data-before-finished": ([frame(22, client_hello()), frame(23, b"\x00" * 40)], 10),
        "raw-finished-in-clear": ([frame(22, client_hello()), frame(22, key_exchange),
                                   frame(22, handshake(20, b"\x00" * 12))], None),
    }


def run_raw(name):
    frames, description = raw_cases()[name]
    with Lab() as lab:
        setup = Setup(lab)
        answer = frames_in(raw_exchange(setup.server_port, *frames))
        alerts = [f for f in answer if f[0] == 21]
        check(len(alerts) == 1, f"{name}: expected exactly one alert, got frames {[(t, b.hex()) for t, b in answer]}")
        if description is not None:
            check(alerts[0][1] == bytes([2, description]),
                  f"{name}: expected alert {description}, got {alerts[0][1].hex()}")
        else:  # a Finished in the clear: the server holds the client's keys, so it cannot accept it
            check(alerts[0][1][0] == 2 and alerts[0][1][1] in (10, 20), f"{name}: got {alerts[0][1].hex()}")
        expect_ok = setup.client(["--quiet"])
        check(expect_ok.returncode == 0, f"after {name}, a normal client failed: {expect_ok.stderr[-1500:]}")


def run_close_before_finished():
    with Lab() as lab:
        setup = Setup(lab)
        with socket.create_connection(("127.0.0.1", setup.server_port), timeout=5) as s:
            s.sendall(frame(22, client_hello()))
            s.recv(65536)  # the ServerHello
        import time
        deadline = time.time() + 5
        while time.time() < deadline and "handshake abandoned" not in open(setup.server_process.log_path).read():
            time.sleep(0.05)
        check("handshake abandoned" in open(setup.server_process.log_path).read(), "the server did not log it")
        check(setup.client(["--quiet"]).returncode == 0, "a normal client after the abandoned handshake")


def run_pre_master_paths_indistinguishable():
    """corrupt-pre-master and wrong-pre-master: the same alert at the same step (RFC 5246 §7.4.7.1)."""
    outcomes = []
    for attack in ("corrupt-pre-master", "wrong-pre-master"):
        with Lab() as lab:
            setup = Setup(lab)
            _, mitm_port = start_mitm(lab, setup.server_port, attack)
            trace = lab.path("trace.json")
            result = lab.client(mitm_port, setup.ca_port, setup.trust, ["--trace-json", trace])
            import json
            steps = [json.loads(line) for line in open(trace)]
            last_arrow = max(s.get("arrow", 0) for s in steps)
            outcome = [s for s in steps if "outcome" in s][-1]["event"]
            outcomes.append((result.returncode, last_arrow, outcome))
    check(outcomes[0] == outcomes[1], f"the two failure paths differ: {outcomes}")
    check(outcomes[0][0] == 8 and "bad_record_mac" in outcomes[0][2], f"unexpected outcome: {outcomes[0]}")


def run_catalogue_complete():
    """tlslab-mitm, docs/ATTACKS.md and this file's PINNED table list the same attacks with the same
    outcomes, and every attack has a ctest of its own (attacks.py --list, registered by CMakeLists.txt)."""
    listed, docs = catalogue(), documented()
    for source, rows in (("tlslab-mitm --list-attacks", listed), ("docs/ATTACKS.md", docs)):
        check(sorted(rows) == sorted(PINNED), f"{source} lists other attacks than tests/e2e/attacks.py pins: "
                                              f"only there {sorted(set(rows) - set(PINNED))}, "
                                              f"missing {sorted(set(PINNED) - set(rows))}")
        drifted = {name: rows[name] for name in PINNED if rows[name] != pinned(name)}
        check(not drifted, f"{source} documents other outcomes than the test pins: {drifted}")
    # CTest registers one test per name this file lists (python_tests(attacks ...) in CMakeLists.txt).
    cmake = open(os.path.join(os.path.dirname(__file__), "CMakeLists.txt")).read()
    check(re.search(r"^python_tests\(attacks attack ", cmake, re.M), "tests/e2e/CMakeLists.txt does not register "
                                                                   "attacks.py's tests (python_tests(attacks ...))")
    missing = [name for name in PINNED if name not in all_tests()]
    check(not missing, f"attacks without a test of their own in tests/e2e/attacks.py --list: {missing}")


# --- the CA's other arrows (issue 15): stapling and mutual authentication ------------------------
STAPLE_ATTACKS = ("replay-old-staple", "strip-staple", "foreign-staple")
MUTUAL_ATTACKS = ("swap-client-certificate", "replay-certificate-verify")


def issue_client(lab, ca_dir, cn):
    cert, key = lab.path(f"{cn}.crt"), lab.path(f"{cn}.key")
    lab.run(exe("tlslab-ca"), "issue", "--client", "--dir", ca_dir, "--cn", cn, "--out-cert", cert, "--out-key", key)
    return cert, key


def run_ca_arrow_attack(name):
    """A stapling server (the client requires the staple) or a server that requires a client
    certificate (the client has alice's), with tlslab-mitm between client and server."""
    expected = expected_outcome(name)
    with Lab() as lab:
        ca_dir = lab.make_ca()
        trust = os.path.join(ca_dir, "ca.crt")
        cert, key, serial = lab.issue(ca_dir)
        ca_process, ca_port, http_port = lab.start_ca(ca_dir, http=True)
        extra, client_args = [], ["--timeout-ms", "3000", "--idle-timeout-ms", "3000"]
        if name in STAPLE_ATTACKS:
            server_extra = ["--staple-from", f"127.0.0.1:{ca_port}", "--staple-trust", trust,
                            "--staple-refresh-ms", "500"]
            client_args += ["--ca-check", "stapled"]
        else:
            server_extra = ["--client-auth", "require", "--client-trust", trust, "--ca-service", f"127.0.0.1:{ca_port}"]
            alice_cert, alice_key = issue_client(lab, ca_dir, "alice")
            client_args += ["--cert", alice_cert, "--key", alice_key]
        server, server_port = lab.start_server(cert, key, server_extra)
        if name == "foreign-staple":  # the CA's answer about another of its certificates, over standard OCSP
            other_cert, _, _ = lab.issue(ca_dir, name="other-server")
            staple = lab.path("other.ocsp.der")
            lab.run("openssl", "ocsp", "-issuer", trust, "-cert", other_cert, "-url", f"http://127.0.0.1:{http_port}",
                    "-respout", staple, "-noverify")
            extra = ["--substitute-staple", staple]
        if name == "swap-client-certificate":
            bob_cert, _ = issue_client(lab, ca_dir, "bob")
            extra = ["--substitute-cert", bob_cert]
        mitm, mitm_port = start_mitm(lab, server_port, name, extra)

        if name in ("replay-old-staple", "replay-certificate-verify"):  # recorded first, then replayed
            first = lab.client(mitm_port, ca_port, trust, client_args)
            check(first.returncode == 0, f"the recorded run should succeed: {first.stderr[-1500:]}")
        if name == "replay-old-staple":  # the certificate is revoked, and the recorded 'good' grows old
            lab.run(exe("tlslab-ca"), "revoke", "--dir", ca_dir, "--serial", serial, "--reason", "keyCompromise")
            time.sleep(2.1)
            client_args += ["--max-staple-age", "1"]
        result = lab.client(mitm_port, ca_port, trust, client_args)
        expect_documented_outcome(name, expected, result, server.log_path)
        stderr = result.stderr
        why = {"replay-old-staple": "s old", "foreign-staple": "another certificate", "strip-staple": "staple"}
        if name in why:
            check(why[name] in stderr, f"{name}: the reason does not say {why[name]!r}:\n{stderr[-2500:]}")
        mitm_log = wait_for_log(mitm.log_path, f"attack '{name}' fired")
        check(f"attack '{name}' fired" in mitm_log, f"{name}: the attack never fired:\n{mitm_log[-1500:]}")
        # The server keeps serving a normal client, directly (after the revocation: refusing it).
        normal = lab.client(server_port, ca_port, trust, [*client_args, "--quiet"])
        if name == "replay-old-staple":
            check(normal.returncode == 5 and "certificate_revoked" in normal.stderr,
                  f"after the revocation the server's own staple should say revoked: {normal.stderr[-1500:]}")
        else:
            check(normal.returncode == 0, f"after {name}, a normal client failed: {normal.stderr[-1500:]}")


# --- the CRL fetch (issue 23, PROTOCOL.md §9.3): the client runs with --ca-check crl -----------------
CRL_ATTACKS = ("replay-old-crl", "strip-crl-fetch", "foreign-crl")
CRL_WHY = {"replay-old-crl": "an old list replayed", "strip-crl-fetch": "closed the connection before a whole answer",
           "foreign-crl": "not by the certificate's issuer"}
# The CA's lists of replay-old-crl live 2 s: once the list the client kept has passed its
# nextUpdate (whole seconds), the client fetches again, and the attacker answers.
SHORT_LIST, PAST_SHORT_LIST = "2s", 3.2


def crl_lab(lab, crl_next_update="1h"):
    """A CA publishing its CRL over HTTP, a server with a certificate of it, and the old list:
    `tlslab-ca crl` signed before anything is revoked (valid 1 h), as anyone may have saved it."""
    ca_dir = lab.make_ca()
    trust = os.path.join(ca_dir, "ca.crt")
    cert, key, serial = lab.issue(ca_dir)
    _, ca_port, http_port = lab.start_ca(ca_dir, http=True, extra=["--crl-next-update", crl_next_update])
    server, server_port = lab.start_server(cert, key)
    old = lab.path("old.crl")
    lab.run(exe("tlslab-ca"), "crl", "--dir", ca_dir, "--next-update", "1h", "--out", old)
    return ca_dir, trust, serial, ca_port, http_port, server, server_port, old


def crl_client_args(port, *extra):
    return ["--ca-check", "crl", "--crl-from", f"http://127.0.0.1:{port}/crl", "--timeout-ms", "3000", *extra]


def run_crl_attack(name):
    """tlslab-mitm on the client's CRL fetch (--crl-from points at it, --upstream is the CA's HTTP
    listener). replay-old-crl: the client keeps a cache (--crl-cache), whose first fetch, relayed,
    saw the CA's list after the revocation; when that list has passed its nextUpdate the client
    fetches again and gets the old list, with a lower cRLNumber."""
    expected = expected_outcome(name)
    with Lab() as lab:
        lifetime = SHORT_LIST if name == "replay-old-crl" else "1h"
        ca_dir, trust, serial, ca_port, http_port, server, server_port, old = crl_lab(lab, lifetime)
        extra = []
        if name == "replay-old-crl":
            extra = ["--substitute-crl", old]
        if name == "foreign-crl":
            other = lab.make_ca("other")
            _, _, other_http = lab.start_ca(other, http=True)
            extra = ["--other-upstream", f"127.0.0.1:{other_http}"]
        mitm, mitm_port = start_mitm(lab, http_port, name, extra)
        client_args = crl_client_args(mitm_port)
        if name == "replay-old-crl":
            client_args += ["--crl-cache", lab.path("crl-cache")]
            lab.run(exe("tlslab-ca"), "revoke", "--dir", ca_dir, "--serial", serial, "--reason", "keyCompromise")
            first = lab.client(server_port, ca_port, trust, client_args)  # relayed: the CA's list, revoked
            check(first.returncode == 5 and "certificate_revoked" in first.stderr,
                  f"the relayed first fetch should find the certificate revoked: {first.stderr[-1500:]}")
            time.sleep(PAST_SHORT_LIST)
        result = lab.client(server_port, ca_port, trust, client_args)
        expect_documented_outcome(name, expected, result, server.log_path)
        check(CRL_WHY[name] in result.stderr, f"{name}: the reason does not say {CRL_WHY[name]!r}:\n{result.stderr[-2500:]}")
        mitm_log = wait_for_log(mitm.log_path, f"attack '{name}' fired")
        check(f"attack '{name}' fired" in mitm_log, f"{name}: the attack never fired:\n{mitm_log[-1500:]}")
        # The CA keeps serving its list to a client that fetches it directly.
        normal = lab.client(server_port, ca_port, trust, crl_client_args(http_port, "--quiet"))
        if name == "replay-old-crl":
            check(normal.returncode == 5 and "certificate_revoked" in normal.stderr,
                  f"the CA's own list should say revoked: {normal.stderr[-1500:]}")
        else:
            check(normal.returncode == 0, f"after {name}, a normal client failed: {normal.stderr[-1500:]}")


def run_replay_old_crl_without_memory():
    """The lesson of replay-old-crl, pinned: a client that remembers no cRLNumber (no --crl-cache)
    cannot tell an old list that is still before its nextUpdate. The first fetch, relayed, finds the
    certificate revoked; the second gets the old list, and the same client, same command, completes
    the handshake with the revoked certificate (docs/ATTACKS.md says so)."""
    with Lab() as lab:
        ca_dir, trust, serial, ca_port, http_port, server, server_port, old = crl_lab(lab)
        lab.run(exe("tlslab-ca"), "revoke", "--dir", ca_dir, "--serial", serial, "--reason", "keyCompromise")
        mitm, mitm_port = start_mitm(lab, http_port, "replay-old-crl", ["--substitute-crl", old])
        args = crl_client_args(mitm_port)
        first = lab.client(server_port, ca_port, trust, args)
        check(first.returncode == 5 and "certificate_revoked" in first.stderr,
              f"the relayed first fetch should find the certificate revoked: {first.stderr[-1500:]}")
        replayed = lab.client(server_port, ca_port, trust, args)
        check(replayed.returncode == 0 and "handshake complete" in replayed.stderr,
              f"without memory the old list is accepted (the lesson): exit {replayed.returncode}\n"
              f"{replayed.stderr[-2500:]}")
        wait_for_log(mitm.log_path, "attack 'replay-old-crl' fired")


def run_crl_relay_bounded():
    """The mitm's HTTP side is bounded: a request head over 8 KiB, a POST and a request with a body
    are answered 400 and not relayed; a client that says nothing is cut at --idle-timeout-ms; and a
    real CRL client still gets through afterwards."""
    with Lab() as lab:
        ca_dir, trust, serial, ca_port, http_port, server, server_port, old = crl_lab(lab)
        mitm, mitm_port = start_mitm(lab, http_port, "foreign-crl",  # pointed at the same CA: a plain relay
                                     ["--other-upstream", f"127.0.0.1:{http_port}", "--idle-timeout-ms", "500"])
        bad_request = b"HTTP/1.1 400 Bad Request"
        for request, why in ((b"GET /crl HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", "over 8192 bytes"),
                             (b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "GET or HEAD, not POST"),
                             (b"GET /crl HTTP/1.1\r\nContent-Length: 5\r\n\r\n", "has no body")):
            answer = raw_exchange(mitm_port, request)
            check(answer.startswith(bad_request), f"{request[:30]!r}: expected 400, got {answer[:80]!r}")
            wait_for_log(mitm.log_path, why)
        with socket.create_connection(("127.0.0.1", mitm_port), timeout=10) as silent:
            silent.sendall(b"GET /crl HTTP/1.1\r\n")
            check(silent.recv(100) == b"", "a client that never ends its request was not cut")
        wait_for_log(mitm.log_path, "did not end within 500 ms")
        normal = lab.client(server_port, ca_port, trust, crl_client_args(mitm_port, "--quiet"))
        check(normal.returncode == 0, f"a CRL client through the relay failed: {normal.stderr[-1500:]}")


def run_crl_attack_options():
    """The CRL attacks' options, each mistake one line and exit 1: replay-old-crl without its list,
    with a file that is no CRL, or one over 8 MiB; foreign-crl without the other CA."""
    with Lab() as lab:
        not_a_crl, huge = lab.path("not-a-crl.pem"), lab.path("huge.der")
        with open(not_a_crl, "w") as f:
            f.write("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")
        with open(huge, "wb") as f:
            f.write(b"\x30" * (8 * 1024 * 1024 + 1))
        base = [exe("tlslab-mitm"), "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9"]
        for extra, message in ((["--attack", "replay-old-crl"], "replay-old-crl needs --substitute-crl"),
                               (["--attack", "replay-old-crl", "--substitute-crl", not_a_crl], "is not a CRL (PEM or DER)"),
                               (["--attack", "replay-old-crl", "--substitute-crl", huge], "larger than a client accepts"),
                               (["--attack", "replay-old-crl", "--substitute-crl", lab.path("absent.crl")],
                                "cannot read --substitute-crl"),
                               (["--attack", "foreign-crl"], "foreign-crl needs --other-upstream")):
            r = subprocess.run(base + extra, capture_output=True, text=True, timeout=10)
            lines = r.stderr.strip().splitlines()
            check(r.returncode == 1 and len(lines) == 1 and message in lines[0],
                  f"{extra}: expected one line with {message!r}, exit 1; got exit {r.returncode}: {r.stderr!r}")


# The resumption attacks (PROTOCOL.md §7.8): the client holds a ticket (--session-file) first.
TICKET_ATTACKS = ("modify-ticket", "replay-ticket")


def run_ticket_attack(name):
    expected = expected_outcome(name)
    with Lab() as lab:
        setup = Setup(lab)
        mitm, mitm_port = start_mitm(lab, setup.server_port, name)
        first_file, second_file = lab.path("session-1"), lab.path("session-2")
        args = ["--ca-check", "direct", "--timeout-ms", "3000", "--idle-timeout-ms", "3000"]
        kept = setup.client([*args, "--session-file", first_file])  # directly: a full handshake keeps a ticket
        check(kept.returncode == 0 and os.path.exists(first_file), f"no ticket kept: {kept.stderr[-1500:]}")
        if name == "replay-ticket":
            # Through the mitm, the first session resumes (its ticket recorded); another client session
            # then offers its own ticket, which the mitm replaces with the recorded one.
            resumed = lab.client(mitm_port, setup.ca_port, setup.trust, [*args, "--session-file", first_file])
            check(resumed.returncode == 0 and "resumed" in resumed.stderr,
                  f"the recorded run should resume: {resumed.stderr[-1500:]}")
            other = setup.client([*args, "--session-file", second_file])
            check(other.returncode == 0 and os.path.exists(second_file), f"no second ticket: {other.stderr[-1500:]}")
            result = lab.client(mitm_port, setup.ca_port, setup.trust, [*args, "--session-file", second_file])
        else:
            result = lab.client(mitm_port, setup.ca_port, setup.trust, [*args, "--session-file", first_file])
            log = wait_for_log(setup.server_process.log_path, "does not open under its key")
            check("does not resume: full handshake" in log, f"the server did not say it went on in full:\n{log[-2000:]}")
            check("ServerHello (resumed)" not in log, "the server resumed a modified ticket")
        expect_documented_outcome(name, expected, result, setup.server_process.log_path)
        mitm_log = wait_for_log(mitm.log_path, f"attack '{name}' fired")
        check(f"attack '{name}' fired" in mitm_log, f"{name}: the attack never fired:\n{mitm_log[-1500:]}")
        # The server keeps serving: the untouched session still resumes directly.
        again = setup.client([*args, "--session-file", first_file])
        check(again.returncode == 0, f"after {name}, a normal client failed: {again.stderr[-1500:]}")


def all_tests():
    tests = {name: (lambda n=name: run_attack(n)) for name in PINNED if name not in TICKET_ATTACKS}
    tests.update({name: (lambda n=name: run_ticket_attack(n)) for name in TICKET_ATTACKS})
    tests.update({name: (lambda n=name: run_crl_attack(n)) for name in CRL_ATTACKS})
    tests["replay-old-crl-without-memory"] = run_replay_old_crl_without_memory
    tests["crl-relay-bounded"] = run_crl_relay_bounded
    tests["crl-attack-options"] = run_crl_attack_options
    tests.update({name: (lambda n=name: run_ca_arrow_attack(n)) for name in STAPLE_ATTACKS + MUTUAL_ATTACKS})
    tests.update({name: (lambda n=name: run_raw(n)) for name in raw_cases()})
    tests["invalid-key-share-p256"] = lambda: run_attack("invalid-key-share", groups="p256")
    tests["replace-key-share-ecdsa"] = lambda: run_attack("replace-key-share", groups="p256", key_type="ec-p256")
    tests["strip-ecdhe-lands-on-rsa"] = run_strip_ecdhe_lands_on_rsa
    tests["raw-close-before-finished"] = run_close_before_finished
    tests["pre-master-failure-paths-indistinguishable"] = run_pre_master_paths_indistinguishable
    tests["catalogue-complete"] = run_catalogue_complete
    return tests


if __name__ == "__main__":
    sys.exit(run_named(all_tests(), sys.argv))
