"""The lab's own trace events carry typed facts (issue 24, VARIANTS.md "What every variant emits"):
a JSON Lines consumer reads the same keys (facts.client_random, facts.suite, facts.certificate,
facts.status_verdict, facts.secrets, …) for a lab run as for a real TLS run, without reading the
display labels. The real tlslab-ca, tlslab-server and tlslab-client on 127.0.0.1.

Run one:   python3 tests/e2e/lab_facts.py facts-of-a-good-run
List them: python3 tests/e2e/lab_facts.py --list
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, check, exe, read_json_lines, run_named, wait_until  # noqa: E402

TESTS = {}


def test(name):
    def register(function):
        TESTS[name] = function
        return function
    return register


class Run:
    """One CA service, one server traced to server.jsonl, one client traced to client.jsonl."""

    def __init__(self, lab, server_extra=(), show_secrets=False):
        self.lab = lab
        self.ca_dir = lab.make_ca()
        self.trust = os.path.join(self.ca_dir, "ca.crt")
        self.cert, self.key, self.serial = lab.issue(self.ca_dir)
        _, self.ca_port, _ = lab.start_ca(self.ca_dir)
        secrets = ["--show-secrets"] if show_secrets else []
        self.server_trace = lab.path("server.jsonl")
        self.client_trace = lab.path("client.jsonl")
        self.keylog = lab.path("client.keys")
        _, self.server_port = lab.start_server(self.cert, self.key,
                                               ["--trace-json", self.server_trace, *secrets, *server_extra])
        self.secrets = secrets

    def client(self, *extra):
        return self.lab.client(self.server_port, self.ca_port, self.trust,
                               ["--trace-json", self.client_trace, "--keylog", self.keylog, *self.secrets, *extra])

    def client_events(self):
        return [r for r in read_json_lines(self.client_trace) if "outcome" not in r]

    def server_events(self):
        wait_until(lambda: os.path.exists(self.server_trace)
                   and any("outcome" in r for r in read_json_lines(self.server_trace)),
                   "the server's trace has the session's outcome")
        return [r for r in read_json_lines(self.server_trace) if "outcome" not in r and r["connection"] != 0]

    def certificate_der(self):
        return subprocess.run(["openssl", "x509", "-in", self.cert, "-outform", "DER"], capture_output=True,
                              check=True).stdout.hex()

    def master_secret(self):
        with open(self.keylog) as f:
            return f.read().split()[-1].lower()


def ok(result):
    check(result.returncode == 0, f"the client failed (exit {result.returncode}):\n{result.stderr[-3000:]}")


def one(events, arrow, sender=None, message=None):
    found = [e for e in events if e["arrow"] == arrow and (sender is None or e["from"] == sender)
             and (message is None or e["message"].startswith(message))]
    check(found, f"no event of arrow {arrow} from {sender} {message or ''}: "
                 f"{[(e['arrow'], e['from'], e['message']) for e in events]}")
    return found[0]


def facts(event):
    check("facts" in event, f"arrow {event['arrow']} ({event['message']}) carries no facts: {event}")
    return event["facts"]


def secret(event, name):
    found = [s for s in facts(event).get("secrets", []) if s["name"] == name]
    check(found, f"{event['message']} has no secret fact {name!r}: {facts(event)}")
    return found[0]


def check_no_secret_values(events, where):
    for event in events:
        for fact in event.get("facts", {}).get("secrets", []):
            check(not fact["secret"] or "value" not in fact,
                  f"{where}: the secret {fact['name']} of {event['message']} has a value without --show-secrets")


def ocsp_text(lab, status_hex):
    """What `openssl ocsp` reads in the CA's answer a fact carries (DER as hex)."""
    path = lab.path(f"answer-{len(status_hex)}-{status_hex[-8:]}.der")
    with open(path, "wb") as f:
        f.write(bytes.fromhex(status_hex))
    result = subprocess.run(["openssl", "ocsp", "-respin", path, "-resp_text", "-noverify"], capture_output=True,
                            text=True, timeout=30)
    check(result.returncode == 0, f"openssl ocsp cannot read the status fact: {result.stderr}")
    return result.stdout


def run_command(command):
    """A command a fact gives (bash: it has line continuations), its output without spaces."""
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)
    check(result.returncode == 0, f"`{command}` failed: {result.stderr}")
    return "".join(result.stdout.split())


@test("facts-of-a-good-run")
def facts_of_a_good_run():
    """Arrows 1, 2, 3, 4 and both Finished carry the values their fields show: the randoms, the
    suite, the server's certificate DER, the CA's answer as DER (openssl ocsp reads "good" in it),
    verify_data; the server's events carry the same randoms; no secret value is written without
    --show-secrets."""
    with Lab() as lab:
        run = Run(lab)
        ok(run.client())
        client = run.client_events()
        hello = one(client, 1)
        check(facts(hello).get("protocol") == "tlslab/1.0", f"arrow 1's protocol: {facts(hello)}")
        check(facts(hello).get("client_random") == hello["fields"]["RAND-CLIENT"],
              f"facts.client_random {facts(hello).get('client_random')} is not RAND-CLIENT {hello['fields']}")
        server_hello = one(client, 2)
        check(facts(server_hello).get("server_random") == server_hello["fields"]["RAND-SERVER"],
              f"facts.server_random is not RAND-SERVER: {facts(server_hello)}")
        check(facts(server_hello).get("suite") == server_hello["fields"]["cipher suite"],
              f"facts.suite is not the cipher suite field: {facts(server_hello)}")
        check(facts(server_hello).get("certificate") == run.certificate_der(),
              "facts.certificate of arrow 2 is not the DER of the server's certificate file")
        check("group" not in facts(server_hello), f"an RSA key transport suite has no group: {facts(server_hello)}")
        check(facts(one(client, 3, "Client")).get("certificate") == run.certificate_der(),
              "arrow 3's facts.certificate is not the certificate asked about")
        answer = one(client, 4, "CA")
        status = facts(answer).get("status", "")
        check(f"{len(status) // 2} bytes DER" == answer["fields"]["OCSP response"],
              f"arrow 4's status fact is not the answer the fields describe: {answer['fields']}")
        check("Cert Status: good" in ocsp_text(lab, status), "openssl ocsp does not read good in arrow 4's status")
        check(facts(answer).get("status_verdict") == "good", f"arrow 4's verdict: {facts(answer)}")
        local = one(client, 0, "Client", "checks the CERTIFICATE locally")
        checks = {c["check"]: c for c in facts(local).get("checks", [])}
        for name in ("certificate chain", "validity period", "host name"):
            check(name in checks and checks[name]["ok"], f"the certificate check {name!r}: {checks}")
        check(checks["host name"]["expected"] == "localhost", f"the host name compared: {checks['host name']}")
        finished = one(client, 6)
        check([h["name"] for h in facts(finished).get("transcript_hashes", [])]
              == ["Hash(ClientHello..ClientKeyExchange)"], f"arrow 6's transcript hash: {facts(finished)}")
        check(facts(finished)["transcript_hashes"][0]["hash"] == finished["fields"]["transcript hash"],
              f"arrow 6's transcript hash is not the field's: {facts(finished)}")
        check([c["check"] for c in facts(one(client, 7)).get("checks", []) if c["ok"]] == ["Finished"],
              f"the client checks the server's Finished: {facts(one(client, 7))}")
        for arrow, sender in ((6, "client"), (7, "server")):
            finished = one(client, arrow)
            verify_data = secret(finished, f"{sender} Finished verify_data")
            check(verify_data["secret"] is False and verify_data.get("value") == finished["fields"]["verify_data"],
                  f"arrow {arrow}'s verify_data fact: {verify_data}")
            check("command" not in verify_data, f"arrow {arrow}'s command writes the master secret out: {verify_data}")
        check_no_secret_values(client, "the client's trace")

        server = run.server_events()
        check(facts(one(server, 1)).get("client_random") == facts(hello)["client_random"],
              "the server's arrow 1 has another client_random")
        check(facts(one(server, 2)).get("server_random") == facts(server_hello)["server_random"],
              "the server's arrow 2 has another server_random")
        check(facts(one(server, 2)).get("certificate") == run.certificate_der(),
              "the server's arrow 2 names another certificate")
        check(secret(one(server, 6), "client Finished verify_data")["value"]
              == secret(one(client, 6), "client Finished verify_data")["value"], "the two sides' verify_data differ")
        check([c["check"] for c in facts(one(server, 6)).get("checks", []) if c["ok"]] == ["Finished"],
              f"the server checks the client's Finished: {facts(one(server, 6))}")
        check_no_secret_values(server, "the server's trace")
        master = run.master_secret()
        for path in (run.client_trace, run.server_trace):
            with open(path) as f:
                check(master not in f.read().lower(), f"{os.path.basename(path)} holds the master secret")


@test("secret-facts-only-when-shown")
def secret_facts_only_when_shown():
    """With --show-secrets the PRE-MASTER of arrow 5 and the SESSION MASTER KEY are facts with values,
    the same as the fields and the key log, the same on both sides, each with its computation; the
    Finished's verify_data is recomputed by the command its fact gives."""
    with Lab() as lab:
        run = Run(lab, show_secrets=True)
        ok(run.client())
        client, server = run.client_events(), run.server_events()
        for events, side in ((client, "Client"), (server, "Server")):
            pre_master = secret(one(events, 5), "PRE-MASTER")
            check(pre_master.get("value") == one(events, 5)["fields"]["PRE-MASTER"],
                  f"{side}: PRE-MASTER fact {pre_master} is not the field")
            keys = one(events, 0, side, "SESSION MASTER KEY")
            master = secret(keys, "SESSION MASTER KEY")
            check(master.get("value") == keys["fields"]["SESSION MASTER KEY"] == run.master_secret(),
                  f"{side}: the SESSION MASTER KEY fact is not the field nor the key log's")
            check(master["computation"].startswith('TLS1-PRF-SHA256(PRE-MASTER, "master secret", '
                                                   'RAND-CLIENT || RAND-SERVER)'), f"{side}: {master}")
            client_key = secret(keys, "client write key")
            check(run_command(client_key["command"]) == client_key["value"] == keys["fields"]["client write key"],
                  f"{side}: the client write key's command does not print it: {client_key}")
        check(secret(one(client, 5), "PRE-MASTER")["value"] == secret(one(server, 5), "PRE-MASTER")["value"],
              "the two sides' PRE-MASTER facts differ")
        verify_data = secret(one(client, 6), "client Finished verify_data")
        check(verify_data["value"] == one(client, 6)["fields"]["verify_data"] == run_command(verify_data["command"]),
              f"the client Finished's command does not print its verify_data: {verify_data}")


@test("revoked-answer")
def revoked_answer():
    """The CA's answer about a revoked certificate: arrow 4's status fact is the answer openssl reads
    "revoked" and keyCompromise in, and its verdict says "revoked (keyCompromise)"."""
    with Lab() as lab:
        run = Run(lab)
        lab.run(exe("tlslab-ca"), "revoke", "--dir", run.ca_dir, "--serial", run.serial, "--reason", "keyCompromise")
        result = run.client()
        check(result.returncode != 0, "the client accepted a revoked certificate")
        text = ocsp_text(lab, facts(one(run.client_events(), 4, "CA")).get("status", ""))
        check("Cert Status: revoked" in text and "Revocation Reason: keyCompromise" in text, f"openssl ocsp reads:\n{text}")
        verdict = facts(one(run.client_events(), 4, "CA")).get("status_verdict", "")
        check(verdict == "revoked (keyCompromise)", f"arrow 4's verdict: {verdict!r}")


@test("ecdhe-group")
def ecdhe_group():
    """An ECDHE suite: arrow 2 names the group of the server's key share, arrow 5's PRE-MASTER is an ECDH."""
    with Lab() as lab:
        run = Run(lab)
        ok(run.client("--suites", "ecdhe-aes128gcm"))
        client = run.client_events()
        server_hello = one(client, 2)
        group = facts(server_hello).get("group")
        check(group and server_hello["fields"]["server's key share"].startswith(group + " "),
              f"arrow 2's group {group!r} is not the key share's: {server_hello['fields']}")
        check(facts(server_hello).get("suite") == "TLSLAB_ECDHE_WITH_AES_128_GCM_SHA256"
              or facts(server_hello).get("suite") == server_hello["fields"]["cipher suite"],
              f"arrow 2's suite: {facts(server_hello)}")
        pre_master = secret(one(client, 5), "PRE-MASTER")
        check(pre_master["computation"].startswith("ECDH(") and "value" not in pre_master,
              f"arrow 5's PRE-MASTER: {pre_master}")


@test("stapled-facts")
def stapled_facts():
    """A stapled run: arrow 2 carries the staple as facts.status; the arrow 4 the server made ahead of
    time carries the same answer and the verdict "good", on both sides."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        trust = os.path.join(ca_dir, "ca.crt")
        cert, key, _ = lab.issue(ca_dir)
        _, ca_port, _ = lab.start_ca(ca_dir)
        server_trace, client_trace = lab.path("server.jsonl"), lab.path("client.jsonl")
        _, port = lab.start_server(cert, key, ["--staple-from", f"127.0.0.1:{ca_port}", "--staple-trust", trust,
                                               "--trace-json", server_trace])
        ok(lab.client(port, ca_port, trust, ["--ca-check", "stapled", "--trace-json", client_trace]))
        client = [r for r in read_json_lines(client_trace) if "outcome" not in r]
        staple = facts(one(client, 2)).get("status")
        check(staple, f"arrow 2 carries no staple: {facts(one(client, 2))}")
        answer = one(client, 4, "CA")
        check(facts(answer).get("status") == staple and facts(answer).get("status_verdict") == "good",
              f"the client's arrow 4 (ahead of time): {facts(answer)}")
        check("Cert Status: good" in ocsp_text(lab, staple), "openssl ocsp does not read good in the staple")
        fetched = [r for r in read_json_lines(server_trace)
                   if "outcome" not in r and r["connection"] == 0 and r["arrow"] == 4]
        check(fetched and facts(fetched[0]).get("status") == staple,
              f"the server's own arrow 4 (its staple fetch) is not the staple: {fetched}")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
