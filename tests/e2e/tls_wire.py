"""Real TLS as the world's own tools see it (issue 24): Wireshark's TLS, HTTP and OCSP dissectors,
with no tlslab dissector at all, read a capture of tlslab-server --tls and tlslab-client --tls
(scripts/capture.sh tls12 and tls13) and, given the key log libssl wrote, decrypt its HTTP; and a
real browser, Debian's headless Chromium, opens the session page of tlslab-server --tls, which
shows that browser's own handshake on the seed's arrows.

Run one:   python3 tests/e2e/tls_wire.py tshark-tls13
List them: python3 tests/e2e/tls_wire.py --list
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Lab, check, exe, read_json_lines, run_named, skip  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TESTS = {}


def test(name):
    def register(function):
        TESTS[name] = function
        return function
    return register


def capture(scenario, directory):
    """scripts/capture.sh SCENARIO into `directory`: (capture, key log, trace JSON, its output)."""
    if shutil.which("tshark") is None:
        skip("tshark is not installed (apt-get install -y tshark)")
    out = os.path.join(directory, f"{scenario}.pcapng")
    trace = os.path.join(directory, f"{scenario}.trace.jsonl")
    env = dict(os.environ, TLSLAB_BIN=os.path.abspath(BIN), CAPTURE_QUIET="1", CAPTURE_TRACE_JSON=trace)
    result = subprocess.run([os.path.join(ROOT, "scripts", "capture.sh"), scenario, "-o", out],
                            capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL)
    if result.returncode == 77:
        skip("capture.sh cannot capture here: " + result.stderr.strip().splitlines()[-1])
    check(result.returncode == 0, f"capture.sh {scenario} exit {result.returncode}:\n{result.stdout}{result.stderr}")
    return out, out[:-len(".pcapng")] + ".keylog", trace, result.stdout


def tshark(directory, *args):
    """tshark as a user with no plugin at all: HOME is an empty directory, so no personal Lua
    dissector (scripts/wireshark/install.sh puts tlslab.lua there) can load; -X is never given."""
    home = os.path.join(directory, "home")
    os.makedirs(home, exist_ok=True)
    result = subprocess.run(["tshark", *args], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config")))
    check(result.returncode == 0, f"tshark {' '.join(args)}: exit {result.returncode}: {result.stderr}")
    check("tlslab" not in result.stderr.lower(), f"a tlslab dissector was loaded: {result.stderr}")
    return [line.split("\t") for line in result.stdout.splitlines() if line.strip()]


def ports(output):
    """The server's and the OCSP responder's ports, from the commands capture.sh printed."""
    server = re.search(r"-d tcp\.port==(\d+),tls", output)
    responder = re.search(r"-d tcp\.port==(\d+),http", output)
    check(server and responder, f"capture.sh printed no tshark command with the ports:\n{output}")
    return server.group(1), responder.group(1)


def decrypted_capture(scenario, flights):
    with tempfile.TemporaryDirectory(prefix="tlslab-tls-wire-") as directory:
        pcap, keylog, trace, output = capture(scenario, directory)
        server_port, responder_port = ports(output)
        events = read_json_lines(trace)
        hello = [e for e in events if e.get("arrow") == 1 and "facts" in e]
        check(hello, "the client's trace JSON has no arrow 1 with its facts")
        client_random = hello[0]["facts"]["client_random"]

        # Without the key log, Wireshark sees the handshake records but no HTTP at all.
        blind = tshark(directory, "-r", pcap, "-d", f"tcp.port=={server_port},tls", "-Y", "http.request",
                       "-T", "fields", "-e", "tcp.dstport", "-e", "http.request.uri")
        check([row for row in blind if row[0] == server_port] == [],
              f"HTTP to the server was readable without the key log: {blind}")
        keys = ["-o", f"tls.keylog_file:{keylog}", "-d", f"tcp.port=={server_port},tls"]
        # With it: the handshake's messages, flight by flight, and the request, decrypted.
        handshake = tshark(directory, "-r", pcap, *keys, "-Y", "tls.handshake", "-T", "fields",
                           "-e", "tls.handshake.type", "-e", "tls.handshake.random")
        types = [row[0] for row in handshake]
        check(types == flights, f"Wireshark's TLS dissector saw the handshake types {types}, expected {flights}")
        check(handshake[0][1].replace(":", "") == client_random,
              f"Wireshark's ClientHello random {handshake[0][1]} is not the trace's RAND-CLIENT {client_random}")
        requests = tshark(directory, "-r", pcap, *keys, "-Y", "http.request", "-T", "fields",
                          "-e", "tcp.dstport", "-e", "http.request.method", "-e", "http.request.uri")
        check([row for row in requests if row[0] == server_port] == [[server_port, "GET", "/"]],
              f"the decrypted requests to the server: {requests}")
        # Arrows 3-4: the OCSP request and the CA's answer, read by Wireshark's own OCSP dissector.
        ocsp = tshark(directory, "-r", pcap, "-d", f"tcp.port=={responder_port},http", "-Y", "ocsp",
                      "-T", "fields", "-e", "http.request.method", "-e", "ocsp.serialNumber", "-e", "ocsp.certStatus")
        serial = [e for e in events if e.get("arrow") == 3]
        check(serial, "the client's trace has no arrow 3 (the OCSP request)")
        wanted = serial[0]["fields"]["serial"].lower()
        check(len(ocsp) == 2 and ocsp[0][0] == "POST", f"expected one OCSP POST and its answer: {ocsp}")
        check(all(row[1].replace(":", "").lower().lstrip("0") == wanted.lstrip("0") for row in ocsp),
              f"the OCSP exchange is not about the certificate's serial {wanted}: {ocsp}")
        check(ocsp[1][2] == "0", f"the CA's answer in the capture is not good (certStatus 0): {ocsp[1]}")


@test("tshark-tls12")
def tshark_tls12():
    """capture.sh tls12: Wireshark's own dissectors see ClientHello; ServerHello + Certificate +
    ServerHelloDone (arrow 2 in one record); ClientKeyExchange + Finished; NewSessionTicket +
    Finished; the OCSP POST for the certificate's serial and the CA's good answer; and, with the
    key log, GET / decrypted (and nothing without it)."""
    decrypted_capture("tls12", ["1", "2,11,14", "16,20", "4,20"])


@test("tshark-tls13")
def tshark_tls13():
    """capture.sh tls13: with the key log, Wireshark decrypts arrow 2's EncryptedExtensions,
    Certificate, CertificateVerify and Finished, the client's Finished, the tickets, and GET /."""
    decrypted_capture("tls13", ["1", "2,8,11,15,20", "20", "4,4"])


def recomputed(version, show_secrets):
    """tlslab-client --tls against tlslab-server --tls; returns the client's trace events and the
    master secret of the key log."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        cert, key, _ = lab.issue(ca_dir, extra=["--key-type", "rsa2048"])
        _, port = lab.start_server(cert, key, ["--tls"])
        trace, keylog = lab.path("client.jsonl"), lab.path("client.keylog")
        extra = ["--tls-ciphers", "AES128-GCM-SHA256"] if version == "1.2" else []
        result = lab.run(exe("tlslab-client"), "--tls", "--tls-versions", version, *extra, "--connect",
                         f"127.0.0.1:{port}", "--trust", os.path.join(ca_dir, "ca.crt"), "--server-name", "localhost",
                         "--ca-check", "auto", "--quiet", "--trace-json", trace, "--keylog", keylog, "--output",
                         os.devnull, *(["--show-secrets"] if show_secrets else []), check_ok=False)
        check(result.returncode == 0, f"tlslab-client --tls {version}: exit {result.returncode}: {result.stderr}")
        return read_json_lines(trace), open(keylog).read()


def facts_of(events, key):
    return [(e.get("arrow"), e.get("message"), x) for e in events for x in e.get("facts", {}).get(key, [])]


def commands_recompute(version, finished_arrows):
    events, keylog = recomputed(version, show_secrets=True)
    checks = facts_of(events, "checks")
    for name, arrow in finished_arrows.items():
        found = [c for a, _, c in checks if c["check"] == name]
        check(found and found[0]["ok"] is True, f"{name}: not recomputed as ok: {found}")
        check([a for a, _, c in checks if c["check"] == name] == [arrow], f"{name} is not drawn on arrow {arrow}")
    secrets = facts_of(events, "secrets")
    ran = 0
    for _, _, secret in secrets:
        if not secret.get("command"):
            continue
        out = subprocess.run(["sh", "-c", secret["command"]], capture_output=True, text=True, timeout=30)
        check(out.returncode == 0, f"{secret['name']}: its command failed: {out.stderr}")
        check(out.stdout.strip() == secret["value"],
              f"{secret['name']}: the command prints {out.stdout.strip()}, the trace says {secret['value']}")
        ran += 1
    check(ran >= 5, f"only {ran} command(s) to check the computations")
    # Without --show-secrets: no secret value, and no command that writes one out.
    quiet, quiet_keylog = recomputed(version, show_secrets=False)
    text = json.dumps(quiet)
    for line in quiet_keylog.splitlines():
        check(line.split()[-1] not in text, f"a secret of the key log ({line.split()[0]}) is in the trace")
    check(all("value" not in x or x.get("secret") is False for _, _, x in facts_of(quiet, "secrets")),
          "a secret's value is in the trace without --show-secrets")


@test("computations-tls12")
def computations_tls12():
    """TLS 1.2 with RSA key transport, --show-secrets: the trace recomputes the PRE-MASTER's master
    secret (extended master secret), the key block and both Finished (client's on arrow 6, server's
    on arrow 7), each with a stock openssl command that, run here, prints the same value; without
    --show-secrets no secret of the key log is anywhere in the trace."""
    commands_recompute("1.2", {"client Finished": 6, "server Finished": 7, "SESSION MASTER KEY": 0})


@test("computations-tls13")
def computations_tls13():
    """TLS 1.3: both Finished recomputed from the key log's traffic secrets (the server's on arrow 2,
    which carries it; the client's on arrow 6) and the traffic keys, each command printing its value."""
    commands_recompute("1.3", {"client Finished": 6, "server Finished": 2})


def chromium(spki):
    """Headless Chromium that trusts exactly the server's key (its SPKI hash), as a pinned key."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "report"))
    import browser  # noqa: E402

    try:
        browser.ensure_selenium()
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except Exception as error:  # noqa: BLE001
        skip(f"selenium is not available: {error}")
    if browser.chromium_binary() is None or browser.chromedriver_binary() is None:
        skip("chromium or chromium-driver is not installed")
    profile = tempfile.mkdtemp(prefix="tlslab-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser.chromium_binary()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
                f"--user-data-dir={profile}", "--window-size=1280,1400",
                f"--ignore-certificate-errors-spki-list={spki}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(browser.chromedriver_binary()), options=options)
    driver.set_page_load_timeout(30)
    return driver, profile


@test("chromium-session-page")
def chromium_session_page():
    """Chromium opens https://localhost:PORT/ on tlslab-server --tls: the page shows Chromium's own
    TLS 1.3 handshake on the seed's arrows (arrow 2 as ServerHello + EncryptedExtensions +
    Certificate + CertificateVerify + Finished, no PRE-MASTER), the groups it offered with the
    hybrid post-quantum X25519MLKEM768 first and the x25519 libssl 3.0 chose instead, the same
    RAND-CLIENT as the server's trace; a screenshot of it is written beside the test's files."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        cert, key, _ = lab.issue(ca_dir, extra=["--key-type", "rsa2048"])
        trace = lab.path("server-trace.jsonl")
        server, port = lab.start_server(cert, key, ["--tls", "--trace-json", trace])
        der = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey", "-noout"], capture_output=True, check=True)
        spki_der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=der.stdout,
                                  capture_output=True, check=True).stdout
        digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=spki_der, capture_output=True,
                                check=True).stdout
        import base64
        driver, profile = chromium(base64.b64encode(digest).decode())
        try:
            driver.get(f"https://localhost:{port}/")
            page = driver.find_element("tag name", "body").text
            shot = os.path.join(os.environ.get("TLSLAB_SCREENSHOTS", lab.path()), "chromium-session-page.png")
            driver.save_screenshot(shot)
        finally:
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)
        check("this TLS 1.3 session" in page, f"the page does not say TLS 1.3:\n{page[:600]}")
        check("ServerHello + EncryptedExtensions + Certificate + CertificateVerify + Finished" in page,
              "the page does not show arrow 2 as TLS 1.3's first server flight")
        drawn = re.findall(r"^\((\d(?:–\d)?)\)", page, re.M)
        check(drawn == ["1", "2", "3–4", "5", "6", "7", "8"],
              f"the page draws the arrows in the order {drawn}, not the seed's (1, 2, 3–4, 5, 6, 7, 8)")
        offered = re.search(r"groups the client offered (.*)", page)
        check(offered, "the page does not list the groups the browser offered")
        groups = [g.strip() for g in offered.group(1).split(",") if g.strip() != "GREASE"]
        check(groups and groups[0] in ("X25519MLKEM768", "X25519Kyber768Draft00"),
              f"Chromium's first group should be its hybrid post-quantum one: {groups}")
        chosen = re.search(r"group chosen (\S+)", page)
        check(chosen and chosen.group(1) == "x25519", f"libssl 3.0 should have chosen x25519: {chosen}")
        connection = re.search(r"^connection (\d+)$", page, re.M)
        check(connection, "the page does not name its connection")
        hello = [e for e in read_json_lines(trace) if e.get("arrow") == 1 and "facts" in e
                 and e.get("connection") == int(connection.group(1))]
        check(hello, f"the server's trace has no ClientHello with facts on connection {connection.group(1)}")
        check(f"RAND-CLIENT {hello[0]['facts']['client_random']}" in page,
              "the page's RAND-CLIENT is not the one in the server's trace")
        check(os.path.getsize(shot) > 10000, "the screenshot is empty")
        check(server.poll() is None, "the server stopped")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
