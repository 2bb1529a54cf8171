"""CRLs end to end (issue 23, PROTOCOL.md §9.3): `tlslab-client --ca-check crl` fetches the list the
CA publishes at GET /crl (the certificate's CRL distribution point, or --crl-from URL), verifies it
with the trust store, caches it (--crl-cache DIR) and looks the serial up; `tlslab-server
--client-ca-check crl` does the same for a client's certificate. Lists the CA does not serve (a
stale one, an old one, another CA's) come from a small HTTP server in this process.

Run one:   python3 tests/e2e/crl.py crl-good
List them: python3 tests/e2e/crl.py --list
"""
import http.server
import os
import re
import stat
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, check, exe, run_named, wait_for_log  # noqa: E402

TESTS = {}
EXIT_OK, EXIT_USAGE, EXIT_STATUS, EXIT_CA_CHECK, EXIT_CLIENT_CERTIFICATE = 0, 2, 5, 6, 11


def test(name):
    def register(function):
        TESTS[name] = function
        return function
    return register


class FileServer:
    """Serves files of one directory over HTTP on 127.0.0.1:0 (a CRL the CA does not serve now)."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    def __init__(self, directory):
        handler = lambda *args, **kwargs: FileServer.Handler(*args, directory=directory, **kwargs)  # noqa: E731
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name):
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class CrlLab:
    """A CA serving OCSP and GET /crl over HTTP, a server certificate naming that /crl as its CRL
    distribution point, and a server."""

    def __init__(self, lab, issue_crl_url=True):
        self.lab = lab
        self.ca_dir = lab.make_ca()
        self.trust = os.path.join(self.ca_dir, "ca.crt")
        self.ca_process, self.ca_port, self.http_port = lab.start_ca(self.ca_dir, http=True)
        self.ca_log = lab.path(f"ca-{len(lab.processes) - 1}.log")
        self.url = f"http://127.0.0.1:{self.http_port}/crl"
        extra = ["--crl-url", self.url] if issue_crl_url else []
        self.cert, self.key, self.serial = lab.issue(self.ca_dir, extra=extra)
        self.server_process, self.server_port = lab.start_server(self.cert, self.key)
        self.files = None

    def client(self, *extra):
        return self.lab.client(self.server_port, self.ca_port, self.trust, ["--ca-check", "crl", *extra])

    def ca_log_text(self):
        with open(self.ca_log, errors="replace") as f:
            return f.read()

    def signed_list(self, name, next_update="1h", ca_dir=None):
        """`tlslab-ca crl` now, as DER in a file served by this process's HTTP server; its URL."""
        pem = self.lab.path(name + ".pem")
        self.lab.run(exe("tlslab-ca"), "crl", "--dir", ca_dir or self.ca_dir, "--out", pem,
                     "--next-update", next_update)
        served = self.lab.path("served")
        os.makedirs(served, exist_ok=True)
        self.lab.run("openssl", "crl", "-in", pem, "-outform", "DER", "-out", os.path.join(served, name))
        if self.files is None:
            self.files = FileServer(served)
        return self.files.url(name)

    def close(self):
        if self.files:
            self.files.close()


def refused(result, code, *needles):
    text = result.stderr
    check(result.returncode == code, f"exit {result.returncode}, not {code}:\n{text[-3000:]}")
    for needle in needles:
        check(needle in text, f"the client does not say {needle!r}:\n{text[-3000:]}")
    check("terminate called" not in text and "Traceback" not in text, f"a crash, not a refusal:\n{text}")


@test("crl-good")
def crl_good():
    """The handshake completes with arrows 3-4 drawn as the CRL fetch; the CA answers one GET /crl
    and no OCSP question (StatusRequest) about any certificate."""
    with Lab() as lab:
        crl = CrlLab(lab)
        result = crl.client()
        check(result.returncode == EXIT_OK, f"exit {result.returncode}:\n{result.stderr}")
        trace = result.stderr
        for needle in ("(3) Client → CA: CRL request (HTTP GET)", f"URL                    {crl.url}",
                       "(4) CA → Client: CertificateList (HTTP 200)", "HTTP                   200, ",
                       "application/pkix-crl", "CRL number", "revoked serials        0",
                       "Client: looks the serial up in the CRL", f"serial                 {crl.serial}",
                       "result                 good: not in the list", "handshake complete"):
            check(needle in trace, f"the trace lacks {needle!r}:\n{trace}")
        check("StatusRequest" not in trace, f"the client asked the CA service:\n{trace}")
        log = wait_for_log(crl.ca_log, "CRL request (HTTP GET")
        check("StatusRequest" not in log and "OCSP request" not in log,
              f"the CA was asked about a certificate:\n{log[-3000:]}")
        server_log = open(crl.server_process.log_path).read()
        check("status_stapling" not in server_log, f"the client asked for a staple:\n{server_log[-2000:]}")
        crl.close()


@test("crl-revoked")
def crl_revoked():
    """`tlslab-ca revoke` then the client: certificate_revoked, with the serial and the reason, the
    look-up drawn in red."""
    with Lab() as lab:
        crl = CrlLab(lab)
        lab.run(exe("tlslab-ca"), "revoke", "--dir", crl.ca_dir, "--serial", crl.serial, "--reason", "keyCompromise")
        result = crl.client()
        refused(result, EXIT_STATUS, "certificate_revoked", f"serial {crl.serial}", "keyCompromise",
                "revoked serials        1", "result                 revoked ")
        crl.close()


@test("crl-cached")
def crl_cached():
    """--crl-cache DIR: the first run fetches and keeps the list (DIR 0700, the entry 0600); the
    second reads it, says "from the cache", and the CA sees no second GET."""
    with Lab() as lab:
        crl = CrlLab(lab)
        cache = lab.path("crl-cache")
        first = crl.client("--crl-cache", cache)
        check(first.returncode == EXIT_OK, f"first run: exit {first.returncode}:\n{first.stderr}")
        check(stat.S_IMODE(os.stat(cache).st_mode) == 0o700, "the cache directory is not 0700")
        entries = os.listdir(cache)
        check(len(entries) == 1 and re.fullmatch(r"[0-9a-f]{64}\.crl", entries[0]), f"cache entries: {entries}")
        entry = os.path.join(cache, entries[0])
        check(stat.S_IMODE(os.stat(entry).st_mode) == 0o600, "the cache entry is not 0600")
        check(f"url: {crl.url}" in open(entry).read(), "the entry does not name its URL")
        wait_for_log(crl.ca_log, "CRL request (HTTP GET")
        second = crl.client("--crl-cache", cache)
        check(second.returncode == EXIT_OK, f"second run: exit {second.returncode}:\n{second.stderr}")
        check("from the cache, fetched at " in second.stderr and ", valid until " in second.stderr,
              f"the second run does not say it used the cache:\n{second.stderr}")
        check("HTTP                   none: the list came from the cache" in second.stderr, second.stderr)
        time.sleep(0.3)  # a GET the CA would log: give it the time to show
        gets = crl.ca_log_text().count("CRL request (HTTP GET")
        check(gets == 1, f"the CA saw {gets} GETs of the list, not 1")
        # Without --crl-cache nothing is written: a third run fetches again.
        third = crl.client()
        check(third.returncode == EXIT_OK and "from the cache" not in third.stderr, third.stderr)
        crl.close()


@test("crl-stale")
def crl_stale():
    """A list whose nextUpdate has passed (made with --next-update 2s, served 3 s later by another
    HTTP server, --crl-from): bad_certificate_status_response, "stale"."""
    with Lab() as lab:
        crl = CrlLab(lab)
        url = crl.signed_list("stale.crl", next_update="2s")
        time.sleep(3.2)
        result = crl.client("--crl-from", url)
        refused(result, EXIT_CA_CHECK, "bad_certificate_status_response", "stale", f"URL                    {url}",
                "REFUSED")
        crl.close()


@test("crl-replayed")
def crl_replayed():
    """The cache remembers list N+1 after it expired; the same URL then serves the older list N
    (fresh by its dates): refused as an old list replayed."""
    with Lab() as lab:
        crl = CrlLab(lab)
        cache = lab.path("crl-cache")
        crl.signed_list("old.crl", next_update="1h")  # N
        new_url = crl.signed_list("list.crl", next_update="4s")  # N+1, short-lived
        signed = time.monotonic()
        first = crl.client("--crl-cache", cache, "--crl-from", new_url)
        check(first.returncode == EXIT_OK, f"list N+1: exit {first.returncode}:\n{first.stderr}")
        served = lab.path("served")
        os.replace(os.path.join(served, "old.crl"), os.path.join(served, "list.crl"))  # same URL, older list
        # N+1 has expired in the cache (its dates are whole seconds: wait past the next one); its number stays
        time.sleep(max(0.0, signed + 5.2 - time.monotonic()))
        result = crl.client("--crl-cache", cache, "--crl-from", new_url)
        refused(result, EXIT_CA_CHECK, "bad_certificate_status_response", "an old list replayed")
        crl.close()


@test("crl-foreign")
def crl_foreign():
    """Another CA's list (--crl-from): refused, naming the list's issuer."""
    with Lab() as lab:
        crl = CrlLab(lab)
        other = lab.make_ca("other")
        url = crl.signed_list("other.crl", ca_dir=other)
        result = crl.client("--crl-from", url)
        refused(result, EXIT_CA_CHECK, "bad_certificate_status_response", "tlslab test other")
        crl.close()


@test("crl-no-distribution-point")
def crl_no_distribution_point():
    """A certificate without a CRL distribution point and no --crl-from: the clear line."""
    with Lab() as lab:
        crl = CrlLab(lab, issue_crl_url=False)
        result = crl.client()
        refused(result, EXIT_CA_CHECK, "the certificate names no CRL distribution point; give --crl-from URL")
        crl.close()


@test("crl-cache-writable-by-others")
def crl_cache_writable_by_others():
    """An entry group or others can write is refused with what to do, not read."""
    with Lab() as lab:
        crl = CrlLab(lab)
        cache = lab.path("crl-cache")
        first = crl.client("--crl-cache", cache)
        check(first.returncode == EXIT_OK, first.stderr)
        entry = os.path.join(cache, os.listdir(cache)[0])
        os.chmod(entry, 0o666)
        result = crl.client("--crl-cache", cache)
        refused(result, EXIT_CA_CHECK, f"refusing the CRL cache entry {entry}: writable by others; remove it or "
                                       "fix its mode")
        crl.close()


@test("crl-usage")
def crl_usage():
    """Bad command lines: one line each, exit 2 (usage), no stack trace."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        trust = os.path.join(ca_dir, "ca.crt")
        regular = lab.path("regular-file")
        open(regular, "w").close()
        for extra, needle in ((["--ca-check", "xyz"], "is not one of direct, stapled, auto, crl"),
                              (["--ca-check", "crl", "--crl-from", "ftp://x"], "is not an http:// URL"),
                              (["--ca-check", "crl", "--crl-cache", regular], "is not a directory"),
                              (["--crl-from", "http://127.0.0.1/crl"], "only with --ca-check crl")):
            result = lab.client(1, 1, trust, extra)
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            check(result.returncode == EXIT_USAGE, f"{extra}: exit {result.returncode}:\n{result.stderr}")
            check(len(lines) == 1 and needle in lines[0], f"{extra}: not one clear line:\n{result.stderr}")


@test("server-client-crl-revoked")
def server_client_crl_revoked():
    """tlslab-server --client-ca-check crl: a client certificate the CA revoked is refused by the
    server from the CA's list (no CA service given to the server); a good one passes."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        trust = os.path.join(ca_dir, "ca.crt")
        _, ca_port, http_port = lab.start_ca(ca_dir, http=True)
        url = f"http://127.0.0.1:{http_port}/crl"
        cert, key, _ = lab.issue(ca_dir, extra=["--crl-url", url])
        clients = {}
        for cn in ("alice", "bob"):
            c, k = lab.path(f"{cn}.crt"), lab.path(f"{cn}.key")
            out = lab.run(exe("tlslab-ca"), "issue", "--client", "--dir", ca_dir, "--cn", cn, "--out-cert", c,
                          "--out-key", k, "--crl-url", url).stdout
            clients[cn] = (c, k, re.search(r"serial\s+([0-9a-f]+)", out).group(1))
        lab.run(exe("tlslab-ca"), "revoke", "--dir", ca_dir, "--serial", clients["bob"][2], "--reason",
                "keyCompromise")
        server, server_port = lab.start_server(cert, key, ["--client-auth", "require", "--client-trust", trust,
                                                           "--client-ca-check", "crl"])
        alice = lab.client(server_port, ca_port, trust, ["--cert", clients["alice"][0], "--key",
                                                         clients["alice"][1]])
        check(alice.returncode == EXIT_OK, f"alice: exit {alice.returncode}:\n{alice.stderr}")
        bob = lab.client(server_port, ca_port, trust, ["--cert", clients["bob"][0], "--key", clients["bob"][1]])
        check(bob.returncode == EXIT_CLIENT_CERTIFICATE, f"bob: exit {bob.returncode}:\n{bob.stderr}")
        check("certificate_revoked" in bob.stderr, bob.stderr)
        text = wait_for_log(server.log_path, "certificate_revoked")
        check(f"serial {clients['bob'][2]}" in text and "keyCompromise" in text,
              f"the server's log does not say why:\n{text[-3000:]}")
        check("looks the client's serial up in the CRL" in text, f"no look-up step in the server trace:\n{text[-3000:]}")


@test("server-client-crl-replayed")
def server_client_crl_replayed():
    """tlslab-server --client-ca-check crl --client-crl-from URL: the list kept in memory is used by
    the next connection without a fetch; once it expires the server fetches again, and an older list
    served at that URL then is refused as a replay (the server remembers the number)."""
    with Lab() as lab:
        crl = CrlLab(lab)
        client_cert, client_key = lab.path("alice.crt"), lab.path("alice.key")
        lab.run(exe("tlslab-ca"), "issue", "--client", "--dir", crl.ca_dir, "--cn", "alice", "--out-cert",
                client_cert, "--out-key", client_key)
        crl.signed_list("old.crl", next_update="1h")  # N
        url = crl.signed_list("list.crl", next_update="4s")  # N+1, short-lived
        signed = time.monotonic()
        server, server_port = lab.start_server(crl.cert, crl.key, [
            "--client-auth", "require", "--client-trust", crl.trust, "--client-ca-check", "crl",
            "--client-crl-from", url])
        mutual = ["--cert", client_cert, "--key", client_key]
        first = lab.client(server_port, crl.ca_port, crl.trust, mutual)
        check(first.returncode == EXIT_OK, f"list N+1: exit {first.returncode}:\n{first.stderr}")
        second = lab.client(server_port, crl.ca_port, crl.trust, mutual)
        check(second.returncode == EXIT_OK, f"list N+1 from memory: exit {second.returncode}:\n{second.stderr}")
        text = wait_for_log(server.log_path, "from the cache, fetched at ")
        check("from the cache, fetched at " in text, f"the second connection fetched again:\n{text[-3000:]}")
        served = lab.path("served")
        os.replace(os.path.join(served, "old.crl"), os.path.join(served, "list.crl"))
        time.sleep(max(0.0, signed + 5.2 - time.monotonic()))  # N+1 expired: the next connection fetches
        third = lab.client(server_port, crl.ca_port, crl.trust, mutual)
        check(third.returncode == EXIT_CLIENT_CERTIFICATE, f"the old list: exit {third.returncode}:\n{third.stderr}")
        text = wait_for_log(server.log_path, "an old list replayed")
        check("bad_certificate_status_response" in text, f"the server's log does not say why:\n{text[-3000:]}")
        crl.close()


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
