#!/usr/bin/env python3
"""tlslab-report: one picture of all three parties (issue 22 point 6).

Each test runs the real CA service, server and client on 127.0.0.1 with --trace-json, merges the
three traces with tlslab-report and checks what a user would: each arrow once, with the programs
that saw it; both SESSION MASTER KEY derivations and their values equal; the CA's database lookup;
the server's check of a client certificate; the stapled arrows before arrow 1; the order causal
when a program's clock is off by 5 s; and the hostile inputs (malformed lines, oversized files,
traces of other runs, several client sessions, peer text with markup and bidi controls, outputs
someone else prepared). Real TLS runs (issue 24: tlslab-client --tls, tlslab-server --tls, the CA's
OCSP responder over HTTP) merge too: each flight with all its messages, the OCSP POST on arrows 3-4;
a hostile flight or facts is one line. The page is opened in headless Chromium where it is installed.

Usage: merged_report.py NAME [--trace] | --list
"""
import json
import os
import re
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "report"))
from harness import Lab, check, exe, read_json_lines, run_named, skip  # noqa: E402
import fill_template  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTS = {}


def test(name):
    def register(function):
        TESTS[name] = function
        return function
    return register


# --- runs of the three programs ------------------------------------------------------------------
class Run:
    """One handshake of the three real programs, each writing its --trace-json file."""

    def __init__(self, lab, variant="plain", secrets=True, ca=None, name="run"):
        self.lab = lab
        self.ca_dir = ca.ca_dir if ca else lab.make_ca(f"{name}-ca")
        self.trust = os.path.join(self.ca_dir, "ca.crt")
        self.client_trace = lab.path(f"{name}.client.jsonl")
        self.server_trace = lab.path(f"{name}.server.jsonl")
        self.ca_trace = ca.ca_trace if ca else lab.path(f"{name}.ca.jsonl")
        shown = ["--show-secrets"] if secrets else []
        if ca:
            self.ca_port = ca.ca_port
        elif variant == "crl":
            # The CA's HTTP port is the certificate's CRL distribution point: the CA starts first.
            _, self.ca_port, http_port = lab.start_ca(self.ca_dir, http=True,
                                                      extra=("--trace-json", self.ca_trace, "--quiet"))
            self.cert, self.key, _ = lab.issue(self.ca_dir, extra=["--crl-url", f"http://127.0.0.1:{http_port}/crl"])
        else:
            cert, key, _ = lab.issue(self.ca_dir)
            self.cert, self.key = cert, key
            _, self.ca_port, _ = lab.start_ca(self.ca_dir, extra=("--trace-json", self.ca_trace, "--quiet"))
        if ca:
            self.cert, self.key = ca.cert, ca.key
        server_extra = ["--trace-json", self.server_trace, "--quiet", *shown]
        client_extra = ["--trace-json", self.client_trace, "--quiet", *shown, "--get", "/"]
        expect = 0
        if variant == "stapled":
            server_extra += ["--staple-from", f"127.0.0.1:{self.ca_port}", "--staple-trust", self.trust]
            client_extra += ["--ca-check", "stapled"]
        elif variant == "mutual":
            client_cert, client_key, _ = lab.issue(self.ca_dir, name=f"{name}-alice", cn="alice", sans="DNS:alice",
                                                   extra=("--client",))
            server_extra += ["--client-auth", "require", "--client-trust", self.trust,
                             "--ca-service", f"127.0.0.1:{self.ca_port}"]
            client_extra += ["--cert", client_cert, "--key", client_key]
        elif variant == "ecdhe":
            client_extra += ["--suites", "ecdhe-aes128gcm"]
        elif variant == "crl":
            client_extra += ["--ca-check", "crl"]
        elif variant == "failed":
            client_extra += ["--server-name", "wrong.example"]
            expect = 4
        self.server_process, self.server_port = lab.start_server(self.cert, self.key, server_extra)
        if variant == "stapled":
            # The staple is fetched ahead of time: wait for it before the client asks for it.
            wait_for_lines(self.server_trace, lambda line: line.get("event") == "staple fetched")
        result = lab.client(self.server_port, self.ca_port, self.trust, client_extra)
        check(result.returncode == expect,
              f"{variant}: the client exited {result.returncode}, expected {expect}:\n{result.stderr[-2000:]}")
        # The server and the CA write their lines from a thread of their own: wait for the outcome.
        wait_for_lines(self.server_trace, lambda line: "outcome" in line and line.get("connection", 0) > 0)

    def files(self):
        return [self.client_trace, self.server_trace, self.ca_trace]


def wait_for_lines(path, condition, timeout=20.0):
    from harness import wait_until

    def ready():
        if not os.path.exists(path):
            return False
        with open(path, errors="replace") as f:
            for line in f:
                try:
                    if condition(json.loads(line)):
                        return True
                except ValueError:
                    continue
        return False
    wait_until(ready, f"{os.path.basename(path)} has the line waited for", timeout)


def merge(lab, files, *extra, name="merged", expect=0, plantuml=False):
    """Runs tlslab-report; returns (result, data of the page or None)."""
    page = lab.path(f"{name}.html")
    args = [exe("tlslab-report"), *files, "--report", page, *extra]
    if plantuml:
        args += ["--plantuml", lab.path(f"{name}.puml")]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    check(result.returncode == expect,
          f"tlslab-report exited {result.returncode}, expected {expect}:\n{result.stdout}\n{result.stderr}")
    if expect != 0:
        return result, None
    with open(page, encoding="utf-8") as f:
        data = json.loads(fill_template.data_of_page(f.read()))
    return result, data


def arrows(data):
    return [e for e in data["events"] if e["arrow"] > 0]


def field(event, name):
    return next((f["value"] for f in event["fields"] if f["name"] == name), None)


def one_arrow(data, number, sender, receiver):
    found = [e for e in data["events"] if e["arrow"] == number and e["from"] == sender and e["to"] == receiver]
    check(len(found) == 1, f"arrow {number} {sender} -> {receiver} appears {len(found)} times in the merged page")
    return found[0]


def check_each_arrow_once(data, parties):
    """Every arrow between two programs whose traces were merged is one event seen by both."""
    names = {"client": "Client", "server": "Server", "ca": "CA"}
    for event in arrows(data):
        ends = {event["from"], event["to"]}
        for side in parties:
            if names[side] in ends and event["from"] != event["to"]:
                check(side in event["seen_by"],
                      f"arrow {event['arrow']} {event['message']} is not marked as seen by the {side}: {event['seen_by']}")
        check(not event.get("bytes_differ"), f"arrow {event['arrow']}: the two ends' bytes differ")
    keys = [(e["arrow"], e["from"], e["to"], e["message"]) for e in arrows(data) if e["arrow"] != 8]
    check(len(keys) == len(set(keys)), f"an arrow appears twice: {keys}")


def check_master_keys(data):
    keys = [e for e in data["events"] if e["arrow"] == 0 and e["message"] == "SESSION MASTER KEY"]
    by = sorted(side for e in keys for side in e["seen_by"])
    check(by == ["client", "server"], f"the SESSION MASTER KEY steps are seen by {by}, not the client and the server")
    values = [field(e, "SESSION MASTER KEY") for e in keys]
    check(all(v and re.fullmatch(r"[0-9a-f]{96}", v) for v in values), f"SESSION MASTER KEY values: {values}")
    check(values[0] == values[1], f"the two SESSION MASTER KEYs differ: {values}")
    summary = data["session_master_key"]
    check(summary["equal"] is True and summary["client"] == values[0] == summary["server"],
          f"session_master_key: {summary}")


def check_database_lookup(data, requester="Client"):
    answer = one_arrow(data, 4, "CA", requester)
    check("ca" in answer["seen_by"], f"arrow 4 to the {requester} is not from the CA's trace: {answer['seen_by']}")
    said = field(answer, "database says")
    check(said and said.startswith("good"), f"the CA's database lookup is not on arrow 4: {answer['fields']}")


def side_order_kept(data, trace_path, side):
    """Each program's own steps keep their order in the merged page."""
    own = [(r["arrow"], r["from"], r["to"], r["message"]) for r in read_json_lines(trace_path) if "outcome" not in r]
    merged = [(e["arrow"], e["from"], e["to"], e["message"]) for e in data["events"]
              if side in e["seen_by"] and not ("ahead_of_time" in e and side == "client")]
    positions = []
    for step in merged:
        if step in own:
            positions.append(own.index(step))
    # Arrow 8 repeats: compare the order of the first occurrence of each step.
    check(positions == sorted(positions), f"the {side}'s steps are out of its own order: {merged}")


def check_causal(data):
    """Each arrow is received after it was sent, on the one timeline."""
    names = {"Client": "client", "Server": "server", "CA": "ca"}
    for event in arrows(data):
        at = event["seen_at"]
        sender, receiver = names[event["from"]], names[event["to"]]
        if sender in at and receiver in at:
            check(at[receiver] >= at[sender],
                  f"arrow {event['arrow']} {event['message']} received at {at[receiver]} ms, before it was sent at "
                  f"{at[sender]} ms")


def open_in_browser():
    import browser as chromium
    reason = chromium.ensure_selenium()
    if reason:
        skip(reason)
    return chromium.Browser()


def show_page(browser, page):
    import time
    browser.open(page)
    deadline = time.time() + 15
    while browser.js("return document.documentElement.getAttribute('data-ready')") != "true":
        check(time.time() < deadline, f"{page}: the page never finished drawing; console: {browser.console()}")
        time.sleep(0.05)
    errors = [entry for entry in browser.console() if entry[0] in ("SEVERE", "ERROR")]
    check(not errors, f"the browser console has errors: {errors}")
    labels = browser.js("return document.querySelectorAll('button.arrow-label').length")
    check(labels >= 2, f"the page drew {labels} arrows")
    return labels


def drawn_labels(browser):
    """The text of each step the page's diagram draws, top to bottom."""
    return browser.js("return [...document.querySelectorAll('button.arrow-label')].map((b) => b.innerText)")


def index_of(labels, text):
    return next((i for i, label in enumerate(labels) if text in label), -1)


class TlsRun:
    """One real TLS handshake (issue 24) of tlslab-client --tls and tlslab-server --tls, the client
    asking the CA's OCSP responder over HTTP (--ca-check direct), each program writing its
    --trace-json file. `pki` shares one CA (and its trace) between runs."""

    def __init__(self, lab, version, pki=None, name=None, stapled=False, secrets=False):
        self.lab = lab
        name = name or f"tls{version.replace('.', '')}"
        if pki is None:
            pki = TlsPki(lab)
        self.pki = pki
        self.client_trace = lab.path(f"{name}.client.jsonl")
        self.server_trace = lab.path(f"{name}.server.jsonl")
        self.ca_trace = pki.ca_trace
        shown = ["--show-secrets"] if secrets else []
        staple = ["--staple-from", f"127.0.0.1:{pki.ca_port}", "--staple-trust", pki.trust] if stapled else []
        _, port = lab.start_server(pki.cert, pki.key, ["--tls", "--tls-versions", version, "--trace-json",
                                                       self.server_trace, "--quiet", *staple, *shown])
        if stapled:
            # The staple is fetched ahead of time: wait for it before the client asks for it.
            wait_for_lines(self.server_trace, lambda line: line.get("event") == "staple fetched")
        # TLS 1.2 with RSA key transport (the seed's PRE-MASTER under SERVER'S PUBLIC KEY): arrow 2 is
        # ServerHello, Certificate, ServerHelloDone.
        ciphers = ["--tls-ciphers", "AES128-GCM-SHA256"] if version == "1.2" else []
        args = [exe("tlslab-client"), "--tls", "--connect", f"127.0.0.1:{port}", "--trust", pki.trust,
                "--server-name", "localhost", "--tls-versions", version, *ciphers, "--ca-check",
                "stapled" if stapled else "direct",
                "--trace-json", self.client_trace, "--quiet", *shown]
        result = subprocess.run(args, capture_output=True, text=True, timeout=60)
        check(result.returncode == 0, f"TLS {version}: the client exited {result.returncode}:\n{result.stderr[-2000:]}")
        wait_for_lines(self.server_trace, lambda line: "outcome" in line and line.get("connection", 0) > 0)
        if stapled:
            return
        nonce = next(r["fields"]["nonce"] for r in read_json_lines(self.client_trace) if r.get("arrow") == 3)
        wait_for_lines(self.ca_trace, lambda line: line.get("arrow") == 4 and nonce in line["fields"].get("nonce", ""))

    def files(self):
        return [self.client_trace, self.server_trace, self.ca_trace]


class TlsPki:
    """A CA whose OCSP responder answers over HTTP (tracing it) and an RSA certificate naming it."""

    def __init__(self, lab, name="tls-ca"):
        self.ca_dir = lab.make_ca(name)
        self.trust = os.path.join(self.ca_dir, "ca.crt")
        self.ca_trace = lab.path(f"{name}.jsonl")
        _, self.ca_port, http_port = lab.start_ca(self.ca_dir, http=True,
                                                  extra=("--trace-json", self.ca_trace, "--quiet"))
        self.cert, self.key, self.serial = lab.issue(
            self.ca_dir, name=f"{name}-server", extra=["--key-type", "rsa2048", "--ocsp-url",
                                                       f"http://127.0.0.1:{http_port}/"])


def own_record(path, number, sender):
    return next(r for r in read_json_lines(path) if "outcome" not in r and r["arrow"] == number and r["from"] == sender)


def check_tls_page(data, run, version, diagram):
    """The merged page of a real TLS run: arrow 2 with every message of the flight, each with the
    bytes and spans the client traced; arrows 1-2 seen by both ends; arrows 3-4 the client's OCSP
    POST and the CA's answer to it, seen by both and drawn between Client and CA."""
    check_each_arrow_once(data, ("client", "server", "ca"))
    hello = one_arrow(data, 1, "Client", "Server")
    own_hello = own_record(run.client_trace, 1, "Client")
    check(hello.get("facts", {}).get("client_random") == own_hello["facts"]["client_random"],
          f"arrow 1's facts are not the client's: {hello.get('facts')}")
    flight = one_arrow(data, 2, "Server", "Client")
    check(sorted(flight["seen_by"]) == ["client", "server"], f"arrow 2 is seen by {flight['seen_by']}")
    names = [m["message"] for m in flight.get("messages", [])]
    expected = (["ServerHello", "Certificate", "ServerHelloDone"] if version == "1.2" else
                ["ServerHello", "EncryptedExtensions", "Certificate", "CertificateVerify", "Finished"])
    check(names == expected, f"TLS {version} arrow 2 has the messages {names}, not {expected}")
    own = own_record(run.client_trace, 2, "Server")["messages"]
    for merged, traced in zip(flight["messages"], own):
        check(merged["bytes"] == traced["bytes"] and merged["spans"] == traced["spans"],
              f"arrow 2's {merged['message']} is not the bytes and spans the client traced")
    check(flight["facts"].get("protocol") == f"TLS {version}", f"arrow 2's facts: {flight.get('facts')}")
    request = one_arrow(data, 3, "Client", "CA")
    answer = one_arrow(data, 4, "CA", "Client")
    for event in (request, answer):
        check(sorted(event["seen_by"]) == ["ca", "client"], f"arrow {event['arrow']} is seen by {event['seen_by']}")
    # The CA's session is the one that answered this client's nonce (the CA traced several).
    nonce = own_record(run.client_trace, 3, "Client")["fields"]["nonce"]
    check(any(f["name"] == "nonce (CA)" and f["value"].endswith(nonce) for f in request["fields"]),
          f"arrow 3 is not the CA's view of this client's nonce {nonce}: {request['fields']}")
    lookup = [e for e in data["events"] if e["arrow"] == 0 and e["from"] == "CA"]
    check(lookup and "ca" in lookup[0]["seen_by"], "the CA's database lookup is not in the merged page")
    check("Client -> CA : (3)" in diagram and "CA -> Client : (4)" in diagram,
          "the merged diagram has no arrows 3-4 between the client and the CA")
    drawn = next(line for line in diagram.splitlines() if line.startswith("Server -> Client : (2)"))
    check(all(f"· {name}" in drawn for name in expected), f"the diagram's arrow 2 does not list {expected}: {drawn}")


@test("real-tls")
def real_tls():
    """Real TLS 1.2 (RSA key transport) and 1.3 handshakes of tlslab-client --tls and tlslab-server
    --tls, the client asking the CA's OCSP responder over HTTP, merged: arrow 2 has all its messages
    (3 in TLS 1.2, 5 in TLS 1.3), each with the client's bytes; arrows 3-4 are between Client and CA,
    seen by both, matched by the client's nonce among the CA's sessions; the client's and the
    server's sessions are matched by facts.client_random even when the fields name no RAND-CLIENT."""
    import browser as chromium
    browser_missing = chromium.ensure_selenium()  # before any program starts: it may re-exec this script
    with Lab() as lab:
        pki = TlsPki(lab)
        runs = {version: TlsRun(lab, version, pki) for version in ("1.2", "1.3")}
        for version, run in runs.items():
            name = f"tls{version.replace('.', '')}"
            _, data = merge(lab, run.files(), name=name, plantuml=True)
            with open(lab.path(f"{name}.puml")) as f:
                check_tls_page(data, run, version, f.read())
            # Traced without --show-secrets: the values shown (transcript hashes) are no secrets.
            check(data["show_secrets"] is False, f"TLS {version}: a page without secrets says it holds some")
            # Messages that cross (TLS 1.3's tickets, read by the client after its request went) are no
            # disagreement between the traces.
            check(not any("disagree" in note for note in data["notes"]), f"TLS {version}: {data['notes']}")
            # The lab's field labels are words for people: without them the facts still match.
            stripped = []
            for path in (run.client_trace, run.server_trace):
                out = lab.path(os.path.basename(path) + ".unlabelled")
                with open(out, "w") as f:
                    for record in read_json_lines(path):
                        for label in ("RAND-CLIENT", "RAND-SERVER"):
                            record.get("fields", {}).pop(label, None)
                            record.get("colors", {}).pop(label, None)
                        f.write(json.dumps(record) + "\n")
                stripped.append(out)
            _, data = merge(lab, [*stripped, run.ca_trace], name=f"{name}-unlabelled")
            check(sorted(one_arrow(data, 1, "Client", "Server")["seen_by"]) == ["client", "server"],
                  "without RAND-CLIENT fields the client's and the server's sessions are not matched")
        # A client trace that says it received the server's Finished (arrow 7) before it sent its own
        # (arrow 6) contradicts the server's, which received arrow 6 before it sent arrow 7.
        run = runs["1.2"]
        records = read_json_lines(run.client_trace)
        first = next(i for i, r in enumerate(records) if r.get("arrow") == 6)
        second = next(i for i, r in enumerate(records) if r.get("arrow") == 7)
        records[first], records[second] = records[second], records[first]
        swapped = lab.path("swapped.client.jsonl")
        with open(swapped, "w") as f:
            f.writelines(json.dumps(record) + "\n" for record in records)
        _, data = merge(lab, [swapped, run.server_trace, run.ca_trace], name="swapped")
        check(any("disagree on the order" in note for note in data["notes"]),
              f"a client trace with arrow 7 before arrow 6 is not said to disagree: {data['notes']}")
        # Each run's arrow 3 is its own CA session.
        sessions = set()
        for version, run in runs.items():
            _, data = merge(lab, run.files(), name=f"again{version}")
            sessions.add(one_arrow(data, 3, "Client", "CA")["connections"]["ca"])
        check(len(sessions) == 2, f"both runs' OCSP requests were matched to the same CA session: {sessions}")
        # The pages draw in Chromium (where it is installed; the checks above hold without it).
        if browser_missing is None:
            with chromium.Browser() as browser:
                for version in runs:
                    labels = show_page(browser, lab.path(f"tls{version.replace('.', '')}.html"))
                    check(labels >= 9, f"TLS {version}: the merged page drew {labels} steps, fewer than the handshake's")
        # A flight changed on the wire: the server's Certificate is not the one the client received.
        run = runs["1.2"]
        changed = lab.path("changed.server.jsonl")
        with open(changed, "w") as f:
            for record in read_json_lines(run.server_trace):
                if record.get("arrow") == 2:
                    certificate = record["messages"][1]
                    certificate["bytes"] = certificate["bytes"][:-2] + ("00" if certificate["bytes"][-2:] != "00" else "01")
                f.write(json.dumps(record) + "\n")
        result, data = merge(lab, [run.client_trace, changed, run.ca_trace], name="changed")
        flight = one_arrow(data, 2, "Server", "Client")
        check(flight.get("bytes_differ") is True and "the wire was changed" in result.stderr,
              f"a Certificate changed between the server and the client is not said: {result.stderr}")
        sides = flight.get("messages_by_side", {})
        check(sides.get("server", [{}, {}])[1].get("bytes") != sides.get("client", [{}, {}])[1].get("bytes"),
              f"the page does not show both ends' Certificate: {sorted(sides)}")
        # A CA trace without this client's request (the other run's only) is not of this handshake.
        nonce = own_record(run.client_trace, 3, "Client")["fields"]["nonce"]
        records = read_json_lines(run.ca_trace)
        mine = {r["connection"] for r in records if nonce in r.get("fields", {}).get("nonce", "")}
        other_ca = lab.path("other.ca.jsonl")
        with open(other_ca, "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in records if r["connection"] not in mine)
        expect_refusal(lab, [run.client_trace, run.server_trace, other_ca],
                       f"these traces are not of one handshake: the Client's OCSP request ({run.client_trace}:")


@test("real-tls-stapled")
def real_tls_stapled():
    """Real TLS 1.2 and 1.3 with the staple tlslab-server --tls fetched from the CA service: the
    server's fetch (arrows 3-4 between Server and CA, seen by both) is found by the OCSP response
    stapled in arrow 2 (facts.status) and drawn before arrow 1; arrow 2 lists the staple's message."""
    with Lab() as lab:
        pki = TlsPki(lab)
        for version in ("1.2", "1.3"):
            run = TlsRun(lab, version, pki, name=f"stapled{version}", stapled=True)
            _, data = merge(lab, run.files(), name=f"stapled{version}")
            check(not any("nobody asked the CA" in note for note in data["notes"]),
                  f"TLS {version}: the staple's fetch was not found: {data['notes']}")
            order = [(e["arrow"], e["from"], e["to"]) for e in data["events"]]
            for step in ((3, "Server", "CA"), (4, "CA", "Server")):
                event = one_arrow(data, *step)
                check(sorted(event["seen_by"]) == ["ca", "server"], f"arrow {step} is seen by {event['seen_by']}")
                check(order.index(step) < order.index((1, "Client", "Server")), f"arrow {step} after arrow 1: {order}")
            names = [m["message"] for m in one_arrow(data, 2, "Server", "Client").get("messages", [])]
            staple = "CertificateStatus" if version == "1.2" else "Certificate"
            check(staple in names, f"TLS {version} arrow 2 has no {staple}: {names}")


@test("real-tls-secrets")
def real_tls_secrets():
    """A real TLS 1.3 run traced with --show-secrets: the client's secrets (facts.secrets with their
    values) reach the merged page as traced, which then says it holds secrets and is written 0600."""
    with Lab() as lab:
        run = TlsRun(lab, "1.3", secrets=True)
        _, data = merge(lab, run.files())
        check(data["show_secrets"] is True, "the page of a --show-secrets TLS run does not say it holds secrets")
        mode = stat.S_IMODE(os.stat(lab.path("merged.html")).st_mode)
        check(mode == 0o600, f"the page holds secrets but has mode {mode:o}")
        # The client's own steps (its key schedule): the merged page has only the client's record of them.
        traced = [r["facts"]["secrets"] for r in read_json_lines(run.client_trace)
                  if "outcome" not in r and r["arrow"] == 0 and "secrets" in r.get("facts", {})]
        merged = [e["facts"]["secrets"] for e in data["events"]
                  if e["arrow"] == 0 and e["seen_by"] == ["client"] and "secrets" in e.get("facts", {})]
        check(traced and all("value" in secret for secrets in traced for secret in secrets),
              f"the client's --show-secrets trace holds no secret values: {traced}")
        check(merged == traced, f"the merged page's secrets are not the client's trace's: {merged} != {traced}")


def tls_line(**extra):
    """A client's arrow 1 of a real TLS run, as its --trace-json writes it, with `extra` keys."""
    record = {"side": "client", "connection": 0, "arrow": 1, "from": "Client", "to": "Server",
              "message": "ClientHello", "description": "", "time": "2026-12-06T22:06:26.594872Z", "elapsed_ms": 0.5,
              "fields": {"RAND-CLIENT": "ab" * 32}, "colors": {"RAND-CLIENT": "purple"}, "bytes": "0100",
              "spans": [], "messages": [{"message": "ClientHello", "bytes": "0100", "spans": [], "encrypted": False}],
              "facts": {"protocol": "TLS 1.3", "client_random": "ab" * 32}}
    record.update(extra)
    return json.dumps(record) + "\n"


@test("hostile-flight-and-facts")
def hostile_flight_and_facts():
    """A trace line of a real TLS run with 100,000 messages in its flight, a 10 MB or a 1 MB facts
    value, a facts list of 100,000 checks, a message whose spans point past its bytes, or messages
    and facts of the wrong types: each refused in one line naming the file and line, exit 1, no page;
    the same line within bounds merges."""
    with Lab() as lab:
        cases = [
            (tls_line(messages=[{}] * 100000), "\"messages\" holds 100000 messages, more than a flight's 64"),
            (tls_line(facts={"certificate": "ab" * (5 * 1024 * 1024)}), "the line is larger than 4 MiB"),
            (tls_line(facts={"certificate": "ab" * (512 * 1024)}),
             "\"facts.certificate\" is longer than 262144 characters"),
            (tls_line(facts={"checks": [{"check": "x", "ok": True}] * 100000}),
             "\"facts.checks\" holds 100000 entries, more than 64"),
            (tls_line(messages=[{"message": "ClientHello", "bytes": "0100",
                                 "spans": [{"offset": 1, "length": 9, "field": "x"}]}]),
             "\"messages[0].spans\": a span outside the frame's 2 bytes"),
            (tls_line(messages={"message": "ClientHello"}), "\"messages\" is not a list"),
            (tls_line(facts=["TLS 1.3"]), "\"facts\" is not an object"),
            (tls_line(facts={"suite": 7}), "\"facts.suite\" is not a string"),
            (tls_line(facts={"client_random": "xyz"}), "\"facts.client_random\" is not hex"),
        ]
        for number, (line, needle) in enumerate(cases):
            path = lab.path(f"hostile{number}.client.jsonl")
            with open(path, "w") as f:
                f.write(line)
            expect_refusal(lab, [path], f"{path}:1: {needle}")
        fine = lab.path("fine.client.jsonl")
        with open(fine, "w") as f:
            f.write(tls_line(messages=[{"message": "ClientHello", "bytes": "0100", "spans": [], "encrypted": False}] * 64))
        _, data = merge(lab, [fine])
        check(len(one_arrow(data, 1, "Client", "Server").get("messages", [])) == 64,
              "a flight of 64 messages is not kept whole")


# --- the variants --------------------------------------------------------------------------------
@test("plain-rsa")
def plain_rsa():
    """The seed's handshake: each arrow once, seen by both ends, both SESSION MASTER KEYs equal, the
    CA's lookup on arrow 4; the page (0600: it holds secrets) draws in Chromium; the diagram too."""
    with Lab() as lab:
        run = Run(lab)
        result, data = merge(lab, run.files(), plantuml=True)
        check(data["side"] == "merged", f"side is {data['side']!r}")
        check_each_arrow_once(data, ("client", "server", "ca"))
        for number, sender, receiver in ((1, "Client", "Server"), (2, "Server", "Client"), (3, "Client", "CA"),
                                         (4, "CA", "Client"), (5, "Client", "Server"), (6, "Client", "Server"),
                                         (7, "Server", "Client")):
            one_arrow(data, number, sender, receiver)
        check_master_keys(data)
        check_database_lookup(data)
        check_causal(data)
        for path, side in ((run.client_trace, "client"), (run.server_trace, "server")):
            side_order_kept(data, path, side)
        check(data["show_secrets"] is True, "the page of a --show-secrets run does not say it holds secrets")
        for output in ("merged.html", "merged.puml"):
            mode = stat.S_IMODE(os.stat(lab.path(output)).st_mode)
            check(mode == 0o600, f"{output} holds secrets but has mode {mode:o}")
        with open(lab.path("merged.puml")) as f:
            diagram = f.read()
        check("Client -> CA : (3)" in diagram and "CA -> Client : (4)" in diagram,
              "the merged diagram has no arrows 3-4 between the client and the CA")
        check(lab.path("merged.html") in result.stdout, f"tlslab-report did not say where the page went: {result.stdout}")
        with open_in_browser() as browser:
            labels = show_page(browser, lab.path("merged.html"))
            check(labels >= 9, f"the merged page drew {labels} arrows, fewer than the handshake's")


@test("crl")
def crl():
    """A CRL run (issue 23): the client's fetch (a GET that names no certificate, and the list) and
    the CA's view of it are one pair of arrows 3-4, seen by both, matched by the list's CRL number
    since a fetch has no nonce; the page and the diagram draw it."""
    with Lab() as lab:
        run = Run(lab, variant="crl")
        result, data = merge(lab, run.files(), plantuml=True)
        check_each_arrow_once(data, ("client", "server", "ca"))
        request = one_arrow(data, 3, "Client", "CA")
        answer = one_arrow(data, 4, "CA", "Client")
        check(request["message"].startswith("CRL request") and "CertificateList" in answer["message"],
              f"arrows 3-4 are not the CRL fetch: {request['message']!r}, {answer['message']!r}")
        for ev in (request, answer):
            check(sorted(ev.get("seen_by", [])) == ["ca", "client"], f"arrow {ev['arrow']} is seen by {ev.get('seen_by')}")
        check_causal(data)
        with open(lab.path("merged.puml")) as f:
            diagram = f.read()
        check("Client -> CA : (3)" in diagram and "CA -> Client : (4)" in diagram,
              "the merged diagram has no arrows 3-4 between the client and the CA")
        with open_in_browser() as browser:
            labels = show_page(browser, lab.path("merged.html"))
            check(labels >= 9, f"the merged page drew {labels} arrows, fewer than the handshake's")


@test("stapled")
def stapled():
    """A stapled run: the server's fetch (arrows 3-4 with the CA, ahead of time) drawn once, seen by
    the server, the CA and the client's staple, before arrow 1, at a time before it; without the
    server's trace, the CA's answer is found by the staple itself."""
    with Lab() as lab:
        run = Run(lab, "stapled")
        _, data = merge(lab, run.files())
        check_each_arrow_once(data, ("client", "server", "ca"))
        order = [(e["arrow"], e["from"], e["to"]) for e in data["events"]]
        first = order.index((1, "Client", "Server"))
        for step in ((3, "Server", "CA"), (4, "CA", "Server")):
            check(step in order, f"the stapled arrow {step} is missing: {order}")
            check(order.index(step) < first, f"the stapled arrow {step} is not before arrow 1: {order}")
            event = data["events"][order.index(step)]
            check(sorted(event["seen_by"]) == ["ca", "client", "server"], f"{step} seen by {event['seen_by']}")
            check("ahead_of_time" in event, f"{step} lost its ahead_of_time")
            check(event["elapsed_ms"] < data["events"][first]["elapsed_ms"], f"{step} is timed after arrow 1")
        check((3, "Client", "CA") not in order, "a stapled run shows the client asking the CA")
        check_database_lookup(data, "Server")
        check_master_keys(data)
        # Without the server's trace, the staple in the ClientHello's answer names the CA's session.
        result, alone = merge(lab, [run.ca_trace, run.client_trace], name="no-server")
        order = [(e["arrow"], e["from"], e["to"]) for e in alone["events"]]
        for step in ((3, "Server", "CA"), (4, "CA", "Server")):
            event = alone["events"][order.index(step)]
            check(order.index(step) < order.index((1, "Client", "Server")), f"{step} is not before arrow 1: {order}")
            check(sorted(event["seen_by"]) == ["ca", "client"], f"without the server, {step} is seen by {event['seen_by']}")
        check("nobody asked the CA" not in result.stderr, f"the CA's staple answer was not found: {result.stderr}")
        check(alone["clocks"]["ca"]["arrows"] == 0, f"the CA's clock is said to be bounded: {alone['clocks']}")
        with open_in_browser() as browser:
            show_page(browser, lab.path("merged.html"))
            labels = drawn_labels(browser)
            staple = index_of(labels, "StatusRequest (by the server)")
            hello = index_of(labels, "ClientHello")
            check(0 <= staple < hello, f"the page does not draw the staple's fetch before arrow 1: {labels}")


@test("mutual")
def mutual():
    """A mutual run: the server's own check of the client's CERTIFICATE and its arrows 3-4 with the
    CA about it (the CA's lookup), between arrow 5 and the ACK."""
    with Lab() as lab:
        run = Run(lab, "mutual")
        _, data = merge(lab, run.files())
        check_each_arrow_once(data, ("client", "server", "ca"))
        order = [(e["arrow"], e["from"], e["to"], e["message"]) for e in data["events"]]
        checks = [i for i, e in enumerate(data["events"]) if e["arrow"] == 0 and e["from"] == e["to"] == "Server"
                  and "client's CERTIFICATE" in e["message"]]
        check(len(checks) == 1, f"the server's check of the client's CERTIFICATE appears {len(checks)} times: {order}")
        check(data["events"][checks[0]]["seen_by"] == ["server"], "the server's check is not from the server's trace")
        five = next(i for i, s in enumerate(order) if s[0] == 5)
        ack = next(i for i, s in enumerate(order) if s[0] == 7)
        asked = one_arrow(data, 3, "Server", "CA")
        check(sorted(asked["seen_by"]) == ["ca", "server"], f"the server's StatusRequest is seen by {asked['seen_by']}")
        check_database_lookup(data, "Server")
        check_database_lookup(data, "Client")
        for index in (checks[0], data["events"].index(asked)):
            check(five < index < ack, f"step {order[index]} is not between arrow 5 and arrow 7: {order}")
        check_master_keys(data)
        check_causal(data)
        with open_in_browser() as browser:
            show_page(browser, lab.path("merged.html"))
            labels = drawn_labels(browser)
            order_drawn = [index_of(labels, text) for text in
                           ("ClientKeyExchange", "checks the client's CERTIFICATE", "StatusRequest (client's certificate)",
                            "Finished (ACK)")]
            check(-1 not in order_drawn and order_drawn == sorted(order_drawn),
                  f"the page does not draw the server's checks between arrows 5 and 7: {labels}")


@test("ecdhe")
def ecdhe():
    """An ECDHE run: both ends' PRE-MASTER (ECDH) on arrow 5 is one value, the keys equal."""
    with Lab() as lab:
        run = Run(lab, "ecdhe")
        _, data = merge(lab, run.files())
        check_each_arrow_once(data, ("client", "server", "ca"))
        five = one_arrow(data, 5, "Client", "Server")
        names = [f["name"] for f in five["fields"]]
        check("PRE-MASTER (ECDH)" in names, f"arrow 5 has no PRE-MASTER (ECDH): {names}")
        check(not any(n.startswith("PRE-MASTER (ECDH) (") for n in names),
              f"the two ends computed different PRE-MASTERs: {names}")
        check(next(f for f in five["fields"] if f["name"] == "PRE-MASTER (ECDH)")["secret"],
              "the ECDH PRE-MASTER is not marked secret")
        check_master_keys(data)


@test("failed")
def failed():
    """A failed run (wrong server name): the client's alert once, seen by both ends; the CA's trace
    adds nothing and the report says so; no SESSION MASTER KEY, no secret (mode of a document)."""
    with Lab() as lab:
        run = Run(lab, "failed", secrets=False)
        result, data = merge(lab, run.files())
        alerts = [o for o in data["outcomes"] if o["alert"]]
        check(len(alerts) == 1, f"{len(alerts)} alert outcomes: {data['outcomes']}")
        check(alerts[0]["alert"] == "bad_certificate" and alerts[0]["alert_from"] == "Client",
              f"the alert: {alerts[0]}")
        check(sorted(alerts[0]["seen_by"]) == ["client", "server"], f"the alert is seen by {alerts[0]['seen_by']}")
        check("wrong.example" in alerts[0]["event"], f"the outcome is not the client's words: {alerts[0]['event']}")
        check("nobody asked the CA" in result.stderr or "run.ca.jsonl holds no trace lines" in result.stderr,
              f"no word on the CA's trace: {result.stderr}")
        check(data["show_secrets"] is False, "a run without --show-secrets is said to hold secrets")
        check(not any(e["message"] == "SESSION MASTER KEY" for e in data["events"]), "a failed run shows a key")


@test("every-local-step-kept")
def every_local_step_kept():
    """A local step in any program's trace is drawn once, on its party, where that program put it:
    the CA's database lookup between its arrows 3 and 4 (tlslab-ca traces it, over the framed
    service as over HTTP), the client's certificate check, both SESSION MASTER KEYs."""
    with Lab() as lab:
        run = Run(lab, secrets=False)
        _, data = merge(lab, [run.client_trace, run.server_trace, run.ca_trace])
        steps = [(e["arrow"], e["from"], e["message"]) for e in data["events"]]
        lookups = [i for i, e in enumerate(data["events"]) if e["from"] == e["to"] == "CA"]
        check(len(lookups) == 1 and data["events"][lookups[0]]["seen_by"] == ["ca"], f"the CA's own step: {steps}")
        request = steps.index((3, "Client", "StatusRequest"))
        answer = steps.index((4, "CA", "StatusResponse"))
        check(request < lookups[0] < answer, f"the CA's step is not between its arrows 3 and 4: {steps}")
        for message, party in (("checks the CERTIFICATE locally", "Client"), ("SESSION MASTER KEY", "Client"),
                               ("SESSION MASTER KEY", "Server")):
            check(steps.count((0, party, message)) == 1, f"{party}'s {message} is not drawn once: {steps}")


@test("clock-shift")
def clock_shift():
    """The server's clock 5 s ahead and the CA's 5 s behind (edited copies of their traces): the
    page is the same handshake in the same order, each frame received after it was sent, and the
    offsets it estimated are recorded."""
    with Lab() as lab:
        run = Run(lab, "mutual")
        _, before = merge(lab, run.files(), name="before")
        shifted = []
        for path, seconds in ((run.server_trace, 5), (run.ca_trace, -5)):
            copy = path + ".shifted"
            with open(path) as f, open(copy, "w") as out:
                for line in f:
                    record = json.loads(line)
                    record["time"] = shift_time(record["time"], seconds)
                    out.write(json.dumps(record) + "\n")
            shifted.append(copy)
        for name, order in (("server-late", [run.client_trace, shifted[0], shifted[1]]),
                            ("reversed-files", [shifted[1], shifted[0], run.client_trace])):
            _, after = merge(lab, order, name=name)
            steps = lambda d: [(e["arrow"], e["from"], e["to"], e["message"]) for e in arrows(d)]  # noqa: E731
            check(steps(after) == steps(before), f"{name}: the arrows' order changed:\n{steps(before)}\n{steps(after)}")
            check_causal(after)
            for path, side in ((run.client_trace, "client"), (run.server_trace, "server")):
                side_order_kept(after, path, side)
            server, ca = after["clocks"]["server"]["offset_ms"], after["clocks"]["ca"]["offset_ms"]
            check(abs(server + 5000) < 100, f"{name}: the server's clock offset is {server} ms, not about -5000")
            check(abs(ca - 5000) < 100, f"{name}: the CA's clock offset is {ca} ms, not about +5000")
            own = [e for e in after["events"] if e["arrow"] == 0 and e["from"] == "Server"]
            check(all(-1000 < e["elapsed_ms"] < 5000 for e in own),
                  f"{name}: the server's own steps are not on the client's timeline: {[e['elapsed_ms'] for e in own]}")
            # `time` is the client's wall clock too; each program's own stays in `times`.
            start = parse_time(after["events"][0]["time"])
            for event in own:
                seconds = (parse_time(event["time"]) - start).total_seconds()
                own_seconds = (parse_time(event["times"]["server"]) - start).total_seconds()
                check(0 <= seconds < 1 and 4 < own_seconds < 6,
                      f"{name}: {event['message']} at {event['time']} (server's clock {event['times']['server']})")


def parse_time(iso):
    import datetime
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ")


def shift_time(iso, seconds):
    import datetime
    return (parse_time(iso) + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- hostile inputs ------------------------------------------------------------------------------
HOSTILE = "</script><script>window.pwned=1</script><!--<script <img src=x onerror=window.pwned=2> evil\u202egpj.com \u0007bell"


@test("hostile-fields-shown-as-text")
def hostile_fields():
    """Peer text in the traces (markup, "</script>", a bidi control, a control byte, terminal escape
    sequences) reaches the page as text: nothing runs, the markup is shown as written, the bidi
    control is not obeyed; what tlslab-report prints of it on the terminal is escaped."""
    with Lab() as lab:
        run = Run(lab, secrets=False)
        hostile = lab.path("hostile.client.jsonl")
        with open(run.client_trace) as f, open(hostile, "w") as out:
            for line in f:
                record = json.loads(line)
                if record.get("arrow") == 2:
                    record["fields"]["CERTIFICATE"] = HOSTILE
                    record["message"] = "ServerHello \x1b]0;pwned\x07\x1b[2J " + HOSTILE[:40]
                    # Other bytes than the server's: tlslab-report names the arrow on the terminal.
                    record["bytes"] = record["bytes"][:-2] + ("00" if record["bytes"][-2:] != "00" else "01")
                out.write(json.dumps(record) + "\n")
        result, data = merge(lab, [hostile, run.server_trace, run.ca_trace], plantuml=True)
        check("arrow 2" in result.stderr, f"no word of arrow 2's changed bytes: {result.stderr}")
        check("\x1b" not in result.stderr + result.stdout and "\u202e" not in result.stderr + result.stdout,
              f"the trace's escape sequences reached the terminal: {result.stderr!r}")
        hello = one_arrow(data, 2, "Server", "Client")
        values = [f["value"] for f in hello["fields"]]
        check(HOSTILE in values, f"the hostile value did not reach the page's data: {values}")
        with open(lab.path("merged.html"), encoding="utf-8") as f:
            page = f.read()
        check("</script><script>window.pwned" not in page and "<img src=x" not in page,
              "the page carries the peer's markup unescaped")
        with open(lab.path("merged.puml"), encoding="utf-8") as f:
            diagram = f.read()
        check("<img" not in diagram and "\u202e" not in diagram and "\u0007" not in diagram,
              "the diagram carries the peer's markup or controls")
        with open_in_browser() as browser:
            show_page(browser, lab.path("merged.html"))
            for button in browser.js("return [...document.querySelectorAll('button.arrow-label')]"):
                button.click()
            body = browser.js("return document.body.innerText")
            check(browser.js("return window.pwned === undefined"), "script from the trace ran")
            check("</script><script>window.pwned=1</script>" in body, "the markup is not shown as text")
            check("\u202e" not in body, "a bidi control from the trace reached the page unmarked")


@test("tampered-bytes-said")
def tampered():
    """A man in the middle flips a byte of arrow 5 (tlslab-mitm flip-byte): the merged page still
    draws arrow 5 once, says that the bytes the client sent are not those the server received (both
    kept), and tlslab-report says so on stderr."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        trust = os.path.join(ca_dir, "ca.crt")
        cert, key, _ = lab.issue(ca_dir)
        traces = [lab.path(f"{side}.jsonl") for side in ("client", "server", "ca")]
        _, ca_port, _ = lab.start_ca(ca_dir, extra=("--trace-json", traces[2], "--quiet"))
        _, server_port = lab.start_server(cert, key, ("--trace-json", traces[1], "--quiet"))
        _, mitm_port = lab.start([exe("tlslab-mitm"), "--upstream", f"127.0.0.1:{server_port}", "--attack",
                                  "flip-byte", "--direction", "c2s", "--frame", "1", "--offset", "20"],
                                 r"listening on 127\.0\.0\.1:(\d+)", "mitm")
        result = lab.client(mitm_port, ca_port, trust, ("--trace-json", traces[0], "--quiet"))
        check(result.returncode != 0, "the client completed a handshake whose arrow 5 was changed")
        wait_for_lines(traces[1], lambda line: "outcome" in line)
        result, data = merge(lab, traces)
        five = one_arrow(data, 5, "Client", "Server")
        check(five.get("bytes_differ") is True, f"arrow 5 is not marked as changed on the wire: {sorted(five)}")
        sides = five["bytes_by_side"]
        check(set(sides) == {"client", "server"} and sides["client"] != sides["server"],
              f"arrow 5 does not keep both ends' bytes: {sorted(sides)}")
        check(five["bytes"] == sides["client"], "arrow 5's bytes are not the ones its sender sent")
        check("the wire was changed" in result.stderr, f"tlslab-report said nothing of it: {result.stderr}")
        others = [e for e in arrows(data) if e["arrow"] != 5 and e.get("bytes_differ")]
        check(not others, f"arrows the mitm left alone are marked changed: {[e['arrow'] for e in others]}")


def expect_refusal(lab, files, needle, *extra):
    result, _ = merge(lab, files, *extra, expect=1)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    check(len(lines) == 1 and needle in lines[0], f"expected one line with {needle!r}, got:\n{result.stderr}")
    check(not os.path.exists(lab.path("merged.html")), "a page was written from refused input")
    return lines[0]


@test("not-one-handshake")
def not_one_handshake():
    """Traces of different runs (no common randoms, or a CA that never saw this run's request) are
    refused with "these traces are not of one handshake: ..."."""
    with Lab() as lab:
        first = Run(lab, name="first", secrets=False)
        second = Run(lab, name="second", secrets=False)
        expect_refusal(lab, [first.client_trace, second.server_trace], "these traces are not of one handshake:")
        expect_refusal(lab, [first.client_trace, first.server_trace, second.ca_trace],
                       "these traces are not of one handshake:")
        # The right three still merge.
        merge(lab, first.files())


@test("malformed-and-oversized")
def malformed():
    """A line that is not JSON, a line of the wrong shape, spans pointing outside their frame, a
    missing file, a directory, a file given twice, a file over 64 MiB (checked before reading) and
    a line over 4 MiB:
    each refused in one line naming the file (and line), nothing written."""
    with Lab() as lab:
        run = Run(lab, secrets=False)
        with open(run.client_trace) as f:
            lines = f.readlines()
        cases = []
        garbage = lab.path("garbage.jsonl")
        with open(garbage, "w") as f:
            f.writelines(lines[:3] + ["{\"side\":\"client\", oops\n"] + lines[3:])
        cases.append(([garbage, run.server_trace], f"{garbage}:4: not JSON"))
        wrong = lab.path("wrong.jsonl")
        with open(wrong, "w") as f:
            record = json.loads(lines[1])
            record["arrow"] = "two"
            f.writelines([lines[0], json.dumps(record) + "\n"] + lines[2:])
        cases.append(([wrong], f"{wrong}:2: \"arrow\" is not a number"))
        outside = lab.path("outside.jsonl")
        with open(outside, "w") as f:
            record = json.loads(lines[0])
            record["spans"] = [{"offset": 0, "length": 5, "field": "header",
                                "children": [{"offset": 3, "length": 10 ** 6, "field": "length"}]}]
            f.writelines([json.dumps(record) + "\n"] + lines[1:])
        cases.append(([outside], f"{outside}:1: \"spans\": a span outside the frame's"))
        cases.append(([run.client_trace, lab.path("absent.jsonl")], f"{lab.path('absent.jsonl')}: cannot read it"))
        cases.append(([run.client_trace, lab.dir], "is a directory"))
        cases.append(([run.client_trace, run.server_trace, run.client_trace], f"{run.client_trace}: given twice"))
        huge = lab.path("huge.jsonl")
        with open(huge, "w") as f:
            f.truncate(64 * 1024 * 1024 + 1)  # sparse: its size alone must refuse it
        cases.append(([run.client_trace, huge], f"{huge}: larger than 64 MiB"))
        long_line = lab.path("long.jsonl")
        with open(long_line, "w") as f:
            f.write(lines[0])
            f.write("{\"side\":\"client\",\"pad\":\"" + "a" * (4 * 1024 * 1024) + "\"}\n")
        cases.append(([long_line], f"{long_line}:2: the line is larger than 4 MiB"))
        for files, needle in cases:
            expect_refusal(lab, files, needle)


@test("several-client-sessions")
def several_client_sessions():
    """A client trace holding two runs is refused with the sessions' RAND-CLIENTs and how to choose;
    --rand-client picks one, and the page is that run's. Server and CA traces holding several
    sessions: this handshake's are drawn."""
    with Lab() as lab:
        first = Run(lab, name="first", secrets=False)
        second = Run(lab, name="second", secrets=False, ca=first)
        both = lab.path("both.client.jsonl")
        with open(both, "w") as out:
            for path in (first.client_trace, second.client_trace):
                with open(path) as f:
                    out.write(f.read())
        randoms = [next(r["fields"]["RAND-CLIENT"] for r in read_json_lines(p) if r.get("arrow") == 1)
                   for p in (first.client_trace, second.client_trace)]
        line = expect_refusal(lab, [both, second.server_trace, first.ca_trace], "--rand-client")
        check(all(r[:16] in line for r in randoms), f"the refusal does not name both sessions: {line}")
        _, data = merge(lab, [both, second.server_trace, first.ca_trace], "--rand-client", randoms[1][:12])
        hello = one_arrow(data, 1, "Client", "Server")
        check(field(hello, "RAND-CLIENT") == randoms[1], "--rand-client drew another session")
        check(sorted(hello["seen_by"]) == ["client", "server"], f"arrow 1 seen by {hello['seen_by']}")
        check_database_lookup(data)
        # Another client of the first server: the server's and the CA's traces now hold several
        # sessions; the merge draws this client's, found by its randoms and its request's nonce.
        again = lab.path("again.client.jsonl")
        result = lab.client(first.server_port, first.ca_port, first.trust, ("--trace-json", again, "--quiet"))
        check(result.returncode == 0, f"the third client failed: {result.stderr[-2000:]}")
        wait_for_lines(first.server_trace, lambda line: "outcome" in line and line.get("connection") == 2)
        wait_for_lines(first.ca_trace, lambda line: line.get("arrow") == 4 and line.get("connection") == 3)
        _, data = merge(lab, [first.ca_trace, again, first.server_trace], name="again")
        own = {r["arrow"]: r for r in read_json_lines(again) if "outcome" not in r}
        hello = one_arrow(data, 1, "Client", "Server")
        check(field(hello, "RAND-CLIENT") == own[1]["fields"]["RAND-CLIENT"], "another session's ClientHello was drawn")
        check(hello["connections"]["server"] == 2, f"the server's session drawn: {hello['connections']}")
        request = one_arrow(data, 3, "Client", "CA")
        check(sorted(request["seen_by"]) == ["ca", "client"] and request["connections"]["ca"] == 3,
              f"the CA's session drawn: {request['connections']}")
        check(field(request, "nonce") == own[3]["fields"]["nonce"], "another request's nonce was drawn")
        check_each_arrow_once(data, ("client", "server", "ca"))


@test("outputs-refuse-prepared-paths")
def outputs():
    """The page goes through the programs' output path: a planted symlink is refused (its target
    untouched), a page holding secrets is 0600 and an existing readable file is not reused for one;
    a page without secrets is a document (the umask's mode); a page is never written over one of
    its own traces; without --report or --plantuml it is a usage error (exit 2)."""
    with Lab() as lab:
        run = Run(lab)
        target = lab.path("victim.txt")
        with open(target, "w") as f:
            f.write("untouched")
        os.symlink(target, lab.path("merged.html"))
        result = subprocess.run([exe("tlslab-report"), *run.files(), "--report", lab.path("merged.html")],
                                capture_output=True, text=True, timeout=60)
        check(result.returncode == 1 and "symbolic link" in result.stderr, f"a planted symlink: {result.stderr}")
        with open(target) as f:
            check(f.read() == "untouched", "the symlink's target was written")
        os.unlink(lab.path("merged.html"))
        readable = lab.path("readable.html")
        with open(readable, "w") as f:
            f.write("old")
        os.chmod(readable, 0o644)
        result = subprocess.run([exe("tlslab-report"), *run.files(), "--report", readable],
                                capture_output=True, text=True, timeout=60)
        check(result.returncode == 1, f"a readable file was reused for a page with secrets: {result.stderr}")
        with open(run.client_trace) as f:
            trace = f.read()
        os.chmod(run.client_trace, 0o600)
        result = subprocess.run([exe("tlslab-report"), *run.files(), "--report", run.client_trace],
                                capture_output=True, text=True, timeout=60)
        check(result.returncode == 1 and "is one of the traces given" in result.stderr,
              f"the page was let over its own input: {result.stderr}")
        with open(run.client_trace) as f:
            check(f.read() == trace, "the client's trace was overwritten")
        result = subprocess.run([exe("tlslab-report"), *run.files()], capture_output=True, text=True, timeout=60)
        check(result.returncode == 2 and "--report or --plantuml" in result.stderr, f"no output asked: {result.stderr}")
        merge(lab, run.files())
        check(stat.S_IMODE(os.stat(lab.path("merged.html")).st_mode) == 0o600, "the page with secrets is not 0600")
        plain = Run(lab, name="plain", secrets=False)
        old = os.umask(0o022)
        try:
            merge(lab, plain.files(), name="document")
        finally:
            os.umask(old)
        mode = stat.S_IMODE(os.stat(lab.path("document.html")).st_mode)
        check(mode == 0o644, f"a page without secrets has mode {mode:o}, not the umask's 644")


@test("demo-writes-merged-page")
def demo():
    """./scripts/demo.sh ends by writing the merged page of its run beside run.html, and says where."""
    with Lab() as lab:
        env = dict(os.environ, TLSLAB_DEMO_DIR=lab.path("demo"),
                   TLSLAB_BUILD=os.path.dirname(os.environ.get("TLSLAB_BIN", os.path.join(ROOT, "build", "bin"))))
        result = subprocess.run([os.path.join(ROOT, "scripts", "demo.sh")], capture_output=True, text=True,
                                timeout=300, env=env)
        check(result.returncode == 0, f"demo.sh exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr}")
        page = lab.path("demo", "merged.html")
        check(os.path.exists(lab.path("demo", "run.html")), "the demo wrote no run.html")
        check(os.path.exists(page), "the demo wrote no merged.html")
        check("merged.html" in result.stdout.splitlines()[-1] or "merged.html" in result.stdout,
              "the demo does not print the merged page's path")
        with open(page, encoding="utf-8") as f:
            data = json.loads(fill_template.data_of_page(f.read()))
        check(data["side"] == "merged", "the demo's merged page is not merged")
        check_master_keys(data)
        check_database_lookup(data)


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
