"""tlslab-explain (issue 25) on real captures: what a user checks of each connection's --list line,
its trace (--trace-json), its page (--report) and its PlantUML, with and without the key log, and
what it says of hostile inputs. The captures are made by captures.py (real clients and servers
through an ordered relay, no root), one scenario per test.

Run one:   python3 tests/explain/explain_test.py tls13-curl
List them: python3 tests/explain/explain_test.py --list
(exit 0 passed, 1 failed, 77 skipped: tlslab-explain not built, or a tool missing)
"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "report"))
import captures  # noqa: E402
from harness import Lab, TestFailure, check, exe, read_json_lines, run_named, skip  # noqa: E402

ARTIFACTS = os.environ.get("TLSLAB_ARTIFACTS") or os.path.join(ROOT, "build", "test-artifacts")
EXPLAIN_TIMEOUT = 60  # a backstop for a hang; no assertion is on time
USAGE, LOCAL_ERROR, NOT_TLS, NO_TLS = 2, 1, 3, 4
REQUEST = captures.REQUEST
REQUEST_HEX = REQUEST.encode().hex()
TESTS = {}


def test(name):
    def register(function):
        TESTS[name] = function
        return function
    return register


# --- running tlslab-explain ------------------------------------------------------------------------
def explain_binary():
    path = exe("tlslab-explain")
    if not os.path.exists(path):
        skip(f"{path} is not built (cmake --build build --target tlslab-explain)")
    return path


def explain(*args, timeout=EXPLAIN_TIMEOUT):
    """Runs tlslab-explain; a crash (killed by a signal) or a hang fails the test whatever it tested."""
    command = [explain_binary(), *map(str, args)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TestFailure(f"{' '.join(command)} did not end within {timeout} s")
    check(result.returncode >= 0, f"{' '.join(command)} was killed by signal {-result.returncode}:\n"
          f"{result.stderr[-3000:]}")
    result.command = " ".join(command)
    return result


def expect_exit(result, code):
    check(result.returncode == code, f"`{result.command}` exited {result.returncode}, expected {code}:\n"
          f"stdout: {result.stdout[-2000:]}\nstderr: {result.stderr[-2000:]}")


def one_line_error(result, *needles):
    """stderr is one line (no backtrace, no dump) naming each needle."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    check(len(lines) == 1, f"`{result.command}`: expected one line on stderr, got {len(lines)}:\n{result.stderr[-2000:]}")
    for needle in needles:
        check(needle in lines[0], f"`{result.command}`: the error does not name {needle!r}: {lines[0]}")
    return lines[0]


def listing(pcap, *extra):
    """--list as {stream: (client, server, protocol, sni, suite, outcome)}, every line checked."""
    result = explain(pcap, "--list", *extra)
    expect_exit(result, 0)
    rows = {}
    for line in result.stdout.splitlines():
        if not line.strip():
            continue
        found = re.match(r"stream (\d+): (\S+) → (\S+)  (.*)$", line)
        check(found, f"`{result.command}`: a line not of the form 'stream N: CLIENT → SERVER  PROTOCOL  SNI  "
                     f"SUITE  OUTCOME': {line!r}")
        parts = found.group(4).split("  ", 3)
        check(len(parts) == 4, f"`{result.command}`: not four fields after the addresses: {line!r}")
        stream = int(found.group(1))
        check(stream not in rows, f"`{result.command}`: stream {stream} listed twice")
        rows[stream] = (found.group(2), found.group(3), *parts)
    return rows


def check_row(rows, stream, expected, client, server, what):
    check(stream in rows, f"{what}: no line for stream {stream} in --list: {sorted(rows)[:20]}")
    got_client, got_server, protocol, sni, suite, outcome = rows[stream]
    where = f"{what}: --list stream {stream}"
    check((got_client, got_server) == (client, server), f"{where}: {got_client} → {got_server}, expected "
          f"{client} → {server}")
    check(protocol == expected["protocol"], f"{where}: protocol {protocol!r}, expected {expected['protocol']!r}")
    check(sni == (expected["sni"] or "-"), f"{where}: SNI {sni!r}, expected {expected['sni']!r}")
    if expected["suite"] is not None or expected["protocol"].startswith("TLS"):
        check(suite == (expected["suite"] or "-"), f"{where}: suite {suite!r}, expected {expected['suite']!r}")
    check(outcome.startswith(expected["outcome"]), f"{where}: outcome {outcome!r}, expected it to begin with "
          f"{expected['outcome']!r}")
    resumed = bool(expected.get("resumed"))
    check(("session resumed" in outcome) == resumed, f"{where}: outcome {outcome!r}: resumed should be {resumed}")


def check_listing(entry, server_port, what, first_client_port=50000):
    rows = listing(entry["pcap"])
    check(len(rows) == len(entry["connections"]), f"{what}: {len(rows)} lines in --list, expected "
          f"{len(entry['connections'])}:\n{rows}")
    for number, expected in enumerate(entry["connections"]):
        check_row(rows, number, expected, f"127.0.0.1:{first_client_port + number}", f"127.0.0.1:{server_port}",
                  what)
    return rows


# --- reading the trace -------------------------------------------------------------------------------
class Explained:
    """One connection explained: its trace (--trace-json), its page (--report) and its PlantUML."""

    def __init__(self, lab, pcap, stream=None, keylog=None, name="explained", extra=()):
        self.trace_path = lab.path(f"{name}.jsonl")
        self.page_path = lab.path(f"{name}.html")
        self.puml_path = lab.path(f"{name}.puml")
        args = [pcap, "--trace-json", self.trace_path, "--report", self.page_path, "--plantuml", self.puml_path,
                *extra]
        if stream is not None:
            args += ["--stream", stream]
        if keylog:
            args += ["--keylog", keylog]
        self.result = explain(*args)
        expect_exit(self.result, 0)
        for path in (self.trace_path, self.page_path, self.puml_path):
            check(os.path.exists(path) and os.path.getsize(path) > 0, f"`{self.result.command}` wrote no {path}")
        try:
            self.events = read_json_lines(self.trace_path)
        except json.JSONDecodeError as e:
            raise TestFailure(f"{self.trace_path} is not JSON Lines: {e}")
        with open(self.trace_path) as f:
            self.trace_text = f.read()
        with open(self.page_path, errors="replace") as f:
            self.page = f.read()
        with open(self.puml_path, errors="replace") as f:
            self.puml = f.read()
        self.what = self.result.command

    def messages(self):
        """(event, message) for every handshake message of the trace."""
        return [(event, message) for event in self.events for message in event.get("messages") or []]

    def message_names(self):
        """The names of the trace's handshake messages, from `messages` and from `flight`."""
        names = [message.get("message") for _, message in self.messages()]
        for event in self.events:
            flight = event.get("flight")
            if isinstance(flight, list):
                names += [item.get("message") if isinstance(item, dict) else item for item in flight]
            elif isinstance(flight, str):
                names += [name.strip() for name in flight.split("+")]
        return [name for name in names if name]

    def checks(self):
        """Every check of the trace's facts: [(name, ok)]."""
        out = []
        for event in self.events:
            facts = event.get("facts")
            if isinstance(facts, dict):
                out += [(c.get("check", ""), c.get("ok")) for c in facts.get("checks") or [] if isinstance(c, dict)]
        return out

    def finished_checks(self):
        return {side: [ok for name, ok in self.checks() if f"{side} Finished" in name] for side in ("client", "server")}

    def check_spans(self):
        """Every handshake message's spans cover each of its bytes exactly once (each byte in one leaf),
        and so do the spans of every frame the trace shows."""
        frames = [(f"arrow {e.get('arrow')} {m.get('message')}", m.get("bytes"), m.get("spans"))
                  for e, m in self.messages()]
        frames += [(f"arrow {e.get('arrow')} {e.get('message')} (frame)", e.get("bytes"), e.get("spans"))
                   for e in self.events if e.get("bytes")]
        # what the page also dumps byte by byte (tests/report/report_test.py's frames_in_trace)
        frames += [(f"arrow {e.get('arrow')} {e.get('message')} (plaintext)", e.get("plaintext"),
                    e.get("plaintext_spans")) for e in self.events if e.get("plaintext")]
        frames += [(f"{e.get('event') or e.get('message')} (alert)", e.get("alert_bytes"), e.get("alert_spans"))
                   for e in self.events if e.get("alert_bytes")]
        check(frames, f"{self.what}: no handshake message with bytes in the trace")
        for where, data, spans in frames:
            check(isinstance(data, str) and re.fullmatch(r"([0-9a-f]{2})*", data or ""),
                  f"{self.what}: {where}: bytes are not hex: {str(data)[:80]}")
            covered = [0] * (len(data) // 2)
            for offset, length, path in leaves(spans or []):
                check(0 <= offset and length >= 0 and offset + length <= len(covered),
                      f"{self.what}: {where}: leaf {path} ({offset}+{length}) outside its {len(covered)} bytes")
                for k in range(offset, offset + length):
                    covered[k] += 1
            bad = [k for k, n in enumerate(covered) if n != 1]
            check(not bad, f"{self.what}: {where}: {len(bad)} of {len(covered)} bytes not in exactly one leaf "
                  f"(first: byte {bad[0] if bad else 0}, in {covered[bad[0]] if bad else 0} leaves)")

    def check_decrypted(self, tls13=True, request=True):
        """With the key log: the encrypted flight shown (1.3), both Finished recomputed and ok, the
        first request line in the trace and the page."""
        names = self.message_names()
        if tls13:
            for name in ("EncryptedExtensions", "Certificate", "CertificateVerify", "Finished"):
                check(name in names, f"{self.what}: no {name} in the trace's flights: {names}")
        finished = self.finished_checks()
        for side, oks in finished.items():
            check(oks and all(ok is True for ok in oks), f"{self.what}: the {side} Finished is not checked ok: "
                  f"{self.checks()}")
        if request:
            check(REQUEST in self.trace_text, f"{self.what}: the request line {REQUEST!r} is not in the trace")
            arrow8 = [e for e in self.events if e.get("arrow") == 8]
            check(any(REQUEST in json.dumps(e) for e in arrow8),
                  f"{self.what}: the request line is not on arrow 8: {[e.get('message') for e in arrow8]}")
            check(REQUEST in self.page, f"{self.what}: the request line {REQUEST!r} is not on the page")

    def check_not_decrypted(self, certificate_hex=None):
        """Without the key log: no request text in the trace, the page or the PlantUML; (1.3) no
        certificate (it travelled encrypted)."""
        for where, text in (("trace", self.trace_text), ("page", self.page), ("PlantUML", self.puml)):
            for needle in (REQUEST, REQUEST_HEX, "User-Agent: curl", "Host: localhost"):
                check(needle not in text, f"{self.what}: {needle!r} is in the {where} without the key log")
        if certificate_hex:
            names = self.message_names()
            for name in ("EncryptedExtensions", "Certificate", "CertificateVerify"):
                check(name not in names, f"{self.what}: {name} named without the key log (it travelled encrypted): "
                      f"{names}")
            check(any(message.get("encrypted") is True for _, message in self.messages()),
                  f"{self.what}: no encrypted handshake record shown as such without the key log: {names}")
            for where, text in (("trace", self.trace_text), ("page", self.page)):
                check(certificate_hex[:400] not in text.lower(),
                      f"{self.what}: the server certificate (sent encrypted) is in the {where} without the key log")
        for side, oks in self.finished_checks().items():
            check(not any(ok is True for ok in oks), f"{self.what}: a {side} Finished checked ok without keys")

    def check_puml(self):
        check(self.puml.lstrip().startswith("@startuml") and "@enduml" in self.puml,
              f"{self.what}: the PlantUML is not a diagram:\n{self.puml[:500]}")


def leaves(spans, prefix="", parent=None):
    """(offset, length, path) of every leaf span (tests/report/report_test.py's reading of spans); a
    child outside its parent's bytes is a leaf of length -1 (which no check accepts)."""
    out = []
    for span in spans:
        path = f"{prefix}/{span.get('field')}" if prefix else str(span.get("field"))
        offset, length = span.get("offset", -1), span.get("length", -1)
        if parent and not (parent[0] <= offset and offset + length <= parent[0] + parent[1]):
            out.append((offset, -1, f"{path} (outside its parent {prefix})"))
        elif span.get("children"):
            out += leaves(span["children"], path, (offset, length))
        else:
            out.append((span.get("offset", -1), span.get("length", -1), path))
    return out


# --- making captures ---------------------------------------------------------------------------------
def make(lab, *names):
    """The named captures (captures.py) in the lab's directory; a capture that cannot be made here (a
    tool missing) is a skip."""
    explain_binary()
    if not shutil.which("openssl"):
        skip("openssl is not installed (apt-get install openssl)")
    outdir = lab.path("captures")
    os.makedirs(outdir, exist_ok=True)
    maker = getattr(lab, "maker", None) or captures.Maker(lab, outdir)
    lab.maker = maker
    try:
        made = [maker.made.get(name) or captures.CAPTURES[name](maker) for name in names]
    except captures.CaptureError as e:
        skip(f"cannot make the capture: {e}")
    return made[0] if len(made) == 1 else made


def complete_connection(lab, entry, server_port, what, stream=None, tls13=True):
    """The usual checks of one complete connection: its --list line, then explained without the key
    log (spans, nothing decrypted) and with it (flights, Finished, request)."""
    check_listing(entry, server_port, what)
    number = stream or 0
    expected = entry["connections"][number]
    plain = Explained(lab, entry["pcap"], stream=stream, name=f"{what}-plain")
    plain.check_spans()
    plain.check_puml()
    plain.check_not_decrypted(expected["certificate"] if tls13 else None)
    if not tls13 and expected["certificate"]:
        check(expected["certificate"] in plain.trace_text.lower(),
              f"{plain.what}: the TLS 1.2 server certificate (sent in the clear) is not in the trace")
    keyed = Explained(lab, entry["pcap"], stream=stream, keylog=entry["keylog"], name=f"{what}-keyed")
    keyed.check_spans()
    keyed.check_decrypted(tls13=tls13, request=expected["request"] is not None)
    if tls13 and expected["certificate"]:
        check(expected["certificate"] in keyed.trace_text.lower(),
              f"{keyed.what}: the server certificate (decrypted) is not in the trace")
    return plain, keyed


# --- real connections, one scenario each -----------------------------------------------------------------
@test("tls13-curl")
def tls13_curl():
    """curl --tlsv1.3 against openssl s_server: one line; without the key log the encrypted flight is
    shown as such (no certificate, no request); with it EncryptedExtensions…Finished, both Finished
    recomputed, GET / HTTP/1.1 on arrow 8."""
    with Lab() as lab:
        complete_connection(lab, make(lab, "curl-tls13"), 443, "tls13-curl")


@test("tls13-pcapng")
def tls13_pcapng():
    """The same connection written as pcapng."""
    with Lab() as lab:
        complete_connection(lab, make(lab, "curl-tls13-pcapng"), 443, "tls13-pcapng")


@test("tls12-rsa-openssl")
def tls12_rsa_openssl():
    """openssl s_client -tls1_2 -cipher AES128-GCM-SHA256 (RSA key transport): the certificate in the
    trace without the key log; with it both Finished and the request."""
    with Lab() as lab:
        complete_connection(lab, make(lab, "openssl-tls12-rsa"), 443, "tls12-rsa", tls13=False)


@test("tls12-ecdhe-curl")
def tls12_ecdhe_curl():
    """curl --tls-max 1.2 --ciphers ECDHE-RSA-AES256-GCM-SHA384 --curves P-256."""
    with Lab() as lab:
        complete_connection(lab, make(lab, "curl-tls12-ecdhe"), 443, "tls12-ecdhe", tls13=False)


@test("hello-retry-request")
def hello_retry_request():
    """s_client offering a P-256 share to a server that takes X25519 only: the HelloRetryRequest and
    the second ClientHello are in the trace, the handshake completes and decrypts."""
    with Lab() as lab:
        entry = make(lab, "openssl-hrr")
        _, keyed = complete_connection(lab, entry, 443, "hrr")
        names = keyed.message_names()
        check(names.count("ClientHello") >= 2 or "HelloRetryRequest" in names,
              f"{keyed.what}: no second ClientHello nor HelloRetryRequest in the trace: {names}")


@test("resumed-session")
def resumed_session():
    """A full TLS 1.3 handshake then one resuming its session (PSK): two lines; the second explained
    with the key log has no Certificate in its flight, both Finished ok, and its request."""
    with Lab() as lab:
        entry = make(lab, "openssl-resumed")
        check_listing(entry, 443, "resumed")
        keyed = Explained(lab, entry["pcap"], stream=1, keylog=entry["keylog"], name="resumed-keyed")
        keyed.check_spans()
        finished = keyed.finished_checks()
        check(all(oks and all(ok is True for ok in oks) for oks in finished.values()),
              f"{keyed.what}: the Finished of the resumed handshake are not both ok: {keyed.checks()}")
        check("Certificate" not in keyed.message_names(),
              f"{keyed.what}: a resumed handshake shows a Certificate: {keyed.message_names()}")
        arrow2 = [e.get("message") for e in keyed.events if e.get("arrow") == 2]
        check(arrow2 == ["ServerHello + EncryptedExtensions + Finished"],
              f"{keyed.what}: arrow 2 of the resumed handshake is {arrow2}")
        check(any(e.get("arrow") == 0 and e.get("message") == "session resumed" for e in keyed.events),
              f"{keyed.what}: no session-resumed step in the trace")
        check(REQUEST in keyed.trace_text, f"{keyed.what}: the request line is not in the trace")
        several = explain(entry["pcap"], "--trace-json", lab.path("which.jsonl"))
        expect_exit(several, USAGE)
        one_line_error(several, "--list")


@test("client-certificate")
def client_certificate():
    """TLS 1.3 with a client certificate: with the key log the client's Certificate (alice) is in the
    trace, and both Finished are ok."""
    with Lab() as lab:
        entry = make(lab, "openssl-client-cert")
        plain, keyed = complete_connection(lab, entry, 443, "client-cert")
        alice = entry["connections"][0]["client_certificate"]
        check(alice in keyed.trace_text.lower(), f"{keyed.what}: the client's certificate is not in the trace")
        check(alice[:400] not in plain.trace_text.lower(),
              f"{plain.what}: the client's certificate (sent encrypted) is in the trace without the key log")


@test("staple-tls12")
def staple_tls12():
    """TLS 1.2 with a stapled OCSP response: the CertificateStatus message is in the trace (in the clear)."""
    with Lab() as lab:
        entry = make(lab, "staple-tls12")
        plain, keyed = complete_connection(lab, entry, 443, "staple", tls13=False)
        check("CertificateStatus" in plain.message_names(),
              f"{plain.what}: no CertificateStatus message: {plain.message_names()}")


@test("gnutls")
def gnutls():
    """gnutls-cli against gnutls-serv, TLS 1.3 then TLS 1.2: two lines, each connection decrypted."""
    with Lab() as lab:
        entry = make(lab, "gnutls")
        complete_connection(lab, entry, 443, "gnutls-13", stream=0)
        complete_connection(lab, entry, 443, "gnutls-12", stream=1, tls13=False)


@test("gnutls-tlslab-server")
def gnutls_tlslab_server():
    """gnutls-cli against tlslab-server --tls: TLS 1.3 ChaCha20-Poly1305, then TLS 1.2 ECDHE, each decrypted."""
    with Lab() as lab:
        entry = make(lab, "gnutls-tlslab-server")
        complete_connection(lab, entry, 443, "gnutls-tlslab-13", stream=0)
        complete_connection(lab, entry, 443, "gnutls-tlslab-12", stream=1, tls13=False)


@test("python-ssl-gnutls-serv")
def python_ssl_gnutls_serv():
    """Python's ssl against gnutls-serv, TLS 1.3 then 1.2: each decrypted with Python's key log."""
    with Lab() as lab:
        entry = make(lab, "python-gnutls-serv")
        complete_connection(lab, entry, 443, "python-gnutls-13", stream=0)
        complete_connection(lab, entry, 443, "python-gnutls-12", stream=1, tls13=False)


@test("python-ssl-tlslab-server")
def python_ssl_tlslab_server():
    """Python's ssl (keylog_filename) against tlslab-server --tls, TLS 1.3 then 1.2, on port 8443."""
    with Lab() as lab:
        entry = make(lab, "python-tlslab-server")
        complete_connection(lab, entry, 8443, "python-13", stream=0)
        complete_connection(lab, entry, 8443, "python-12", stream=1, tls13=False)


@test("chromium")
def chromium():
    """Headless Chromium (X25519MLKEM768 and GREASE offered, SNI example.test): every connection
    listed; the one carrying the request decrypted with the browser's key log."""
    with Lab() as lab:
        entry = make(lab, "chromium")
        check_listing(entry, 443, "chromium")
        with_request = [n for n, c in enumerate(entry["connections"]) if c["request"]]
        check(with_request, "chromium sent no request (the capture is wrong)")
        keyed = Explained(lab, entry["pcap"], stream=with_request[0], keylog=entry["keylog"], name="chromium")
        keyed.check_spans()
        keyed.check_decrypted()
        plain = Explained(lab, entry["pcap"], stream=with_request[0], name="chromium-plain")
        plain.check_not_decrypted(entry["connections"][0]["certificate"])
        check_browser_words(plain)


@test("chromium-tlslab-server")
def chromium_tlslab_server():
    """Headless Chromium against tlslab-server --tls: listed, decrypted with the browser's key log,
    and its 2026 ClientHello named (the hybrid post-quantum share, GREASE, ALPN)."""
    with Lab() as lab:
        entry = make(lab, "chromium-tlslab-server")
        check_listing(entry, 443, "chromium-tlslab-server")
        with_request = [n for n, c in enumerate(entry["connections"]) if c["request"]]
        check(with_request, "chromium sent no request (the capture is wrong)")
        keyed = Explained(lab, entry["pcap"], stream=with_request[0], keylog=entry["keylog"],
                          name="chromium-tlslab-server")
        keyed.check_spans()
        keyed.check_decrypted()
        check_browser_words(keyed)


def check_browser_words(explained):
    """Arrow 1 names what a 2026 browser offers beyond the textbook ClientHello, with its size."""
    hello = next((e for e in explained.events if e.get("arrow") == 1), None)
    check(hello is not None, f"{explained.what}: no arrow 1")
    fields = hello.get("fields", {})
    fields = fields if isinstance(fields, dict) else {f["name"]: f["value"] for f in fields}
    share = fields.get("key share X25519MLKEM768 (0x11ec)", "")
    check("1216-byte hybrid post-quantum" in share, f"{explained.what}: X25519MLKEM768 not explained: {fields}")
    check("RFC 8701" in fields.get("GREASE", ""), f"{explained.what}: GREASE not explained: {fields}")
    check(fields.get("ALPN", "").startswith("h2, http/1.1"), f"{explained.what}: ALPN not named: {fields}")


@test("tlslab-protocol")
def tlslab_protocol():
    """tlslab-client against tlslab-server (the lab's protocol): listed as tlslab/1.0, explained."""
    with Lab() as lab:
        entry = make(lab, "tlslab")
        rows = listing(entry["pcap"])
        check(len(rows) == 1, f"one connection expected in --list: {rows}")
        check_row(rows, 0, entry["connections"][0], "127.0.0.1:50000", "127.0.0.1:4433", "tlslab")
        explained = Explained(lab, entry["pcap"], name="tlslab")
        explained.check_spans()
        check({1, 2} <= {e.get("arrow") for e in explained.events},
              f"{explained.what}: arrows 1 and 2 are not in the trace")


@test("alert-untrusted")
def alert_untrusted():
    """curl refusing an unknown CA mid-handshake (TLS 1.2): the outcome is the alert; the trace shows
    the certificate it refused."""
    with Lab() as lab:
        entry = make(lab, "alert-untrusted")
        check_listing(entry, 443, "alert")
        explained = Explained(lab, entry["pcap"], name="alert")
        explained.check_spans()
        check(entry["connections"][0]["certificate"] in explained.trace_text.lower(),
              f"{explained.what}: the refused certificate is not in the trace")
        check("alert" in explained.trace_text.lower(), f"{explained.what}: the trace says nothing of the alert")


@test("alert-untrusted-tls13")
def alert_untrusted_tls13():
    """curl --tlsv1.3 refusing an unknown CA: the outcome is the alert; with the key log (curl wrote the
    server's handshake secret only) the server's encrypted flight is opened: its Certificate and a
    server Finished checked ok; without it, no certificate."""
    with Lab() as lab:
        entry = make(lab, "alert-untrusted-tls13")
        check_listing(entry, 443, "alert13")
        certificate = entry["connections"][0]["certificate"]
        plain = Explained(lab, entry["pcap"], name="alert13-plain")
        plain.check_spans()
        plain.check_not_decrypted(certificate)
        keyed = Explained(lab, entry["pcap"], keylog=entry["keylog"], name="alert13-keyed")
        keyed.check_spans()
        check("Certificate" in keyed.message_names(), f"{keyed.what}: no Certificate: {keyed.message_names()}")
        check(certificate in keyed.trace_text.lower(), f"{keyed.what}: the refused certificate is not in the trace")
        server = keyed.finished_checks()["server"]
        check(server and all(ok is True for ok in server), f"{keyed.what}: the server Finished is not checked ok: "
              f"{keyed.checks()}")
        check("unknown_ca" in keyed.trace_text, f"{keyed.what}: the trace does not name the alert unknown_ca")


@test("many-connections")
def many_connections():
    """10,000 connections that each send a ClientHello and close, then a complete one: 10,001 lines
    numbered 0…10000 (as tcp.stream), the last one explained by --stream 10000 with its key log; no
    stream chosen: exit 2 naming --list."""
    with Lab() as lab:
        entry = make(lab, "many")
        rows = listing(entry["pcap"])
        check(sorted(rows) == list(range(10_001)), f"--list numbers {len(rows)} streams, expected 0…10000")
        for stream in (0, 1, 4_999, 9_999):
            client = f"127.0.0.1:{20000 + stream}"
            check_row(rows, stream, entry["connections"][stream], client, "127.0.0.1:443", "many")
        check_row(rows, 10_000, entry["connections"][10_000], "127.0.0.1:61000", "127.0.0.1:443", "many")
        keyed = Explained(lab, entry["pcap"], stream=10_000, keylog=entry["keylog"], name="many")
        keyed.check_decrypted()
        unchosen = explain(entry["pcap"], "--trace-json", lab.path("unchosen.jsonl"))
        expect_exit(unchosen, USAGE)
        one_line_error(unchosen, "--list")


@test("all-connections-index")
def all_connections_index():
    """--all --report out.html: out.html links one page per TLS connection, out-stream-N.html beside it."""
    with Lab() as lab:
        entry = make(lab, "gnutls")
        index = lab.path("pages", "out.html")
        os.makedirs(os.path.dirname(index))
        result = explain(entry["pcap"], "--all", "--report", index, "--keylog", entry["keylog"])
        expect_exit(result, 0)
        check(os.path.exists(index), f"`{result.command}` wrote no {index}")
        with open(index, errors="replace") as f:
            page = f.read()
        for stream in (0, 1):
            name = f"out-stream-{stream}.html"
            check(name in page, f"the index does not link {name}")
            path = lab.path("pages", name)
            check(os.path.exists(path), f"`{result.command}` wrote no {name}")
            with open(path, errors="replace") as f:
                check(REQUEST in f.read(), f"{name} does not show the decrypted request")


@test("secrets-only-when-shown")
def secrets_only_when_shown():
    """With the key log but without --show-secrets, no secret of the key log is written into the trace,
    the page or the PlantUML, and no secret fact has a value; with --show-secrets the four traffic
    secrets it used are shown."""
    with Lab() as lab:
        entry = make(lab, "curl-tls13")
        with open(entry["keylog"]) as f:
            secrets = {label: value.lower() for label, _, value in (line.split() for line in f if line.strip())}
        hidden = Explained(lab, entry["pcap"], keylog=entry["keylog"], name="hidden")
        hidden.check_decrypted()
        for where, text in (("trace", hidden.trace_text), ("page", hidden.page), ("PlantUML", hidden.puml)):
            for label, value in secrets.items():
                check(value not in text.lower(), f"{hidden.what}: the key log's {label} is in the {where} "
                      f"without --show-secrets")
        for event in hidden.events:
            facts = event.get("facts") if isinstance(event.get("facts"), dict) else {}
            for fact in facts.get("secrets") or []:
                check(not fact.get("secret") or "value" not in fact, f"{hidden.what}: the secret {fact.get('name')} "
                      f"of {event.get('message')} has a value without --show-secrets")
        shown = Explained(lab, entry["pcap"], keylog=entry["keylog"], name="shown", extra=["--show-secrets"])
        for label in ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0",
                      "SERVER_TRAFFIC_SECRET_0"):
            check(secrets[label] in shown.trace_text.lower(), f"{shown.what}: the key log's {label} is not shown")
        # Outputs that hold secrets are private (0600); a file group or others can read, or a planted
        # link, is refused and left as it was.
        for path in (shown.trace_path, shown.page_path, shown.puml_path):
            mode = stat.S_IMODE(os.stat(path).st_mode)
            check(mode == 0o600, f"{shown.what}: {os.path.basename(path)} holds secrets and is mode {mode:04o}")
        wide = lab.path("wide.html")
        with open(wide, "w") as f:
            f.write("earlier")
        os.chmod(wide, 0o644)
        link = lab.path("link.html")
        os.symlink(lab.path("elsewhere.html"), link)
        for target, why in ((wide, "readable by others"), (link, "symbolic link")):
            result = explain(entry["pcap"], "--keylog", entry["keylog"], "--show-secrets", "--report", target)
            check(result.returncode == 1 and why in result.stderr,
                  f"--report {os.path.basename(target)} under --show-secrets: exit {result.returncode}, {result.stderr!r}")
        check(open(wide).read() == "earlier" and not os.path.exists(lab.path("elsewhere.html")),
              "a refused output was written")


# --- what TCP does to a connection ------------------------------------------------------------------------
def same_as_recorded(name):
    def run():
        with Lab() as lab:
            entry = make(lab, name)
            complete_connection(lab, entry, 443, name, tls13=False)
    run.__doc__ = f"openssl-tls12-rsa's connection with {name} segments: reassembled into the same handshake."
    return run


for _name in ("retransmitted", "reordered", "overlapping"):
    TESTS[f"tcp-{_name}"] = same_as_recorded(_name)


# --- hostile inputs ----------------------------------------------------------------------------------------
@test("huge-record-header")
def huge_record_header():
    """A ClientHello answered by a record header announcing 0xFFFF bytes (100 of them sent): listed,
    not complete, explained without a crash."""
    with Lab() as lab:
        entry = make(lab, "huge-record")
        rows = listing(entry["pcap"])
        check(len(rows) == 1, f"one connection expected: {rows}")
        _, _, protocol, sni, _, outcome = rows[0]
        check(sni == "localhost", f"SNI {sni!r}")
        check(not outcome.startswith("handshake complete"), f"a record cut short is not a complete handshake: {outcome}")
        explained = Explained(lab, entry["pcap"], name="huge")
        explained.check_spans()


@test("truncated-capture")
def truncated_capture():
    """A capture cut in the middle of a packet: either what it holds (exit 0) or one line naming the
    file (exit 1); never a crash."""
    with Lab() as lab:
        entry = make(lab, "truncated")
        result = explain(entry["pcap"], "--list")
        check(result.returncode in (0, LOCAL_ERROR), f"`{result.command}` exited {result.returncode}:\n{result.stderr}")
        if result.returncode == LOCAL_ERROR:
            one_line_error(result, entry["pcap"])
        else:
            check(result.stdout.startswith("stream 0: "), f"`{result.command}` lists nothing:\n{result.stdout}")


@test("not-a-capture")
def not_a_capture():
    """A text file, an empty file, a missing file, a directory: exit 1, one line naming the file."""
    with Lab() as lab:
        entry = make(lab, "not-a-capture")
        for path in (entry["pcap"], lab.path("captures", "empty.pcap"), lab.path("missing.pcap"), lab.path()):
            for args in ((path, "--list"), (path, "--report", lab.path("x.html"))):
                result = explain(*args)
                expect_exit(result, LOCAL_ERROR)
                one_line_error(result, path)


@test("no-tls-connection")
def no_tls_connection():
    """A capture of plain HTTP: exit 4 (no TLS connection), also with --stream 0 (or 3: that stream is
    not TLS); one line."""
    with Lab() as lab:
        entry = make(lab, "plain-http")
        result = explain(entry["pcap"], "--report", lab.path("x.html"))
        expect_exit(result, NO_TLS)
        one_line_error(result)
        chosen = explain(entry["pcap"], "--stream", "0", "--report", lab.path("y.html"))
        check(chosen.returncode in (NOT_TLS, NO_TLS), f"`{chosen.command}` exited {chosen.returncode}:\n{chosen.stderr}")
        one_line_error(chosen)


@test("stream-not-tls")
def stream_not_tls():
    """Plain HTTP (stream 0) then a TLS 1.3 connection (stream 1): --stream 0 exits 3 in one line; with
    no stream chosen the one TLS connection is explained; --list numbers it 1."""
    with Lab() as lab:
        entry = make(lab, "mixed")
        rows = listing(entry["pcap"])
        check_row(rows, 1, entry["connections"][1], "127.0.0.1:50001", "127.0.0.1:443", "mixed")
        chosen = explain(entry["pcap"], "--stream", "0", "--report", lab.path("y.html"))
        expect_exit(chosen, NOT_TLS)
        one_line_error(chosen)
        default = Explained(lab, entry["pcap"], keylog=entry["keylog"], name="mixed")
        default.check_decrypted()


@test("keylog-wrong")
def keylog_wrong():
    """A key log whose secrets are all wrong: nothing decrypted, no Finished checked ok, no crash."""
    with Lab() as lab:
        entry = make(lab, "keylogs")
        result = Explained(lab, entry["pcap"], keylog=entry["wrong"], name="wrong")
        result.check_spans()
        result.check_not_decrypted(entry["connections"][0]["certificate"])
        said = [line for line in result.trace_text.splitlines() + result.page.splitlines()
                if "key log" in line and ("not open" in line or "wrong" in line)]
        check(said, f"{result.what}: neither the trace nor the page says the key log's secrets do not open the records")


@test("keylog-missing-lines")
def keylog_missing_lines():
    """A key log with the handshake secrets only: the flight and both Finished, but no request (its
    keys are missing), and the page says what is missing."""
    with Lab() as lab:
        entry = make(lab, "keylogs")
        result = Explained(lab, entry["pcap"], keylog=entry["missing"], name="missing")
        result.check_spans()
        result.check_decrypted(request=False)
        check(REQUEST not in result.trace_text and REQUEST not in result.page,
              f"{result.what}: the request is shown without CLIENT_TRAFFIC_SECRET_0")
        check("CLIENT_TRAFFIC_SECRET_0" in result.page or "CLIENT_TRAFFIC_SECRET_0" in result.trace_text,
              f"{result.what}: neither the page nor the trace names the missing CLIENT_TRAFFIC_SECRET_0")


@test("keylog-garbage-lines")
def keylog_garbage_lines():
    """Garbage lines around the good ones: the good ones still decrypt (exit 0), or one line naming
    the key log (exit 1); never a crash."""
    with Lab() as lab:
        entry = make(lab, "keylogs")
        args = [entry["pcap"], "--keylog", entry["garbage"], "--trace-json", lab.path("garbage.jsonl")]
        result = explain(*args)
        if result.returncode == LOCAL_ERROR:
            one_line_error(result, entry["garbage"])
            return
        expect_exit(result, 0)
        with open(lab.path("garbage.jsonl")) as f:
            check(REQUEST in f.read(), f"`{result.command}`: the good lines did not decrypt the request")
        missing = explain(entry["pcap"], "--keylog", lab.path("no-such.keylog"), "--list")
        expect_exit(missing, LOCAL_ERROR)
        one_line_error(missing, lab.path("no-such.keylog"))


@test("usage")
def usage():
    """No capture, an unknown option, a stream that is not a number, --stream with --all: exit 2."""
    with Lab() as lab:
        entry = make(lab, "curl-tls13")
        for args in ((), (entry["pcap"], "--no-such-option"), (entry["pcap"], "--stream", "x"),
                     (entry["pcap"], "--stream", "0", "--all", "--report", lab.path("u.html"))):
            result = explain(*args)
            expect_exit(result, USAGE)
            check(result.stderr.strip(), f"`{result.command}` says nothing on stderr")
        beyond = explain(entry["pcap"], "--stream", "7", "--trace-json", lab.path("beyond.jsonl"))
        check(beyond.returncode in (USAGE, NOT_TLS), f"`{beyond.command}` exited {beyond.returncode} for a stream "
              f"that is not in the capture:\n{beyond.stderr}")
        one_line_error(beyond, "7")


# --- the pages in a browser ---------------------------------------------------------------------------------
PAGE_JS = """
return {ready: document.documentElement.getAttribute('data-ready'),
        diagram: document.querySelectorAll('svg.diagram foreignObject > *').length,
        arrows: [...document.querySelectorAll('svg.diagram foreignObject > *')].map((el) => +el.dataset.arrow),
        text: document.body.innerText};
"""


@test("pages-in-chromium")
def pages_in_chromium():
    """A TLS 1.2 and a TLS 1.3 page (with the key log) in headless Chromium: drawn, the diagram with
    its arrows, the decrypted request on the page; screenshots in build/test-artifacts/."""
    import browser as chromium_browser
    reason = chromium_browser.ensure_selenium()
    if reason:
        skip(reason)
    import time
    with Lab() as lab:
        tls12, tls13 = make(lab, "openssl-tls12-rsa", "curl-tls13")
        pages = {}
        for name, entry in (("tls12", tls12), ("tls13", tls13)):
            pages[name] = Explained(lab, entry["pcap"], keylog=entry["keylog"], name=f"page-{name}").page_path
        os.makedirs(ARTIFACTS, exist_ok=True)
        with chromium_browser.Browser() as b:
            for name, page in pages.items():
                b.open(page)
                deadline = time.time() + 10
                while b.js("return document.documentElement.getAttribute('data-ready')") != "true":
                    check(time.time() < deadline, f"{page}: the page never finished drawing; console: {b.console()}")
                    time.sleep(0.05)
                shown = b.js(PAGE_JS)
                shot = b.screenshot(os.path.join(ARTIFACTS, f"explain-{name}.png"))
                print(f"screenshot: {shot}")
                check(shown["diagram"] > 0, f"{name}: no diagram on the page (screenshot {shot})")
                check({1, 2} <= set(shown["arrows"]), f"{name}: arrows 1 and 2 not drawn: {shown['arrows']}")
                check(8 in shown["arrows"], f"{name}: arrow 8 (the request) not drawn: {shown['arrows']}")
                check(REQUEST in shown["text"], f"{name}: the decrypted request {REQUEST!r} is not shown "
                      f"(screenshot {shot})")
                errors = [m for level, m in b.console() if level in ("SEVERE", "ERROR")]
                check(not errors, f"{name}: the console has errors: {errors}")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
