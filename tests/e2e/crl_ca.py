"""The CA side of CRLs (issue 23, docs/CA.md): `tlslab-ca crl` signs a list that `openssl crl`
verifies, and `tlslab-ca serve --ocsp-http` publishes it at GET /crl, signed again after a
revocation, with the CRL number as its ETag, never going back across restarts. What a hostile
peer sends the listener (long headers, huge bodies, slow headers, paths that look like files) is
refused or cut, and the CA keeps serving.

Run one:   python3 tests/e2e/crl_ca.py get-revoke-get
List them: python3 tests/e2e/crl_ca.py --list
"""
import http.client
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, check, exe, raw_exchange, run_named, wait_for_log, wait_until  # noqa: E402

TESTS = {}


def test(name):
    def register(function):
        TESTS[name] = function
        return function
    return register


def tlslab_ca(lab, *args, check_ok=True):
    return lab.run(exe("tlslab-ca"), *args, check_ok=check_ok)


def crl_text(lab, path, inform="PEM"):
    return lab.run("openssl", "crl", "-inform", inform, "-in", path, "-noout", "-text").stdout


def crl_number(text):
    found = re.search(r"X509v3 CRL Number: *\n\s*(\d+)", text)
    check(found, f"no CRL Number in:\n{text}")
    return int(found.group(1))


def one_clear_line(result, *words):
    """A refusal as the user sees it: non-zero exit, one line on stderr naming what was wrong."""
    check(result.returncode != 0, f"expected a refusal, got exit 0:\n{result.stdout}\n{result.stderr}")
    lines = result.stderr.strip().splitlines()
    check(len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}")
    check(lines[0].startswith("tlslab-ca: "), f"not tlslab-ca's line: {lines[0]!r}")
    for word in words:
        check(word in lines[0], f"{word!r} not in {lines[0]!r}")
    check("\x1b" not in result.stderr and "terminate" not in result.stderr, f"raw output: {result.stderr!r}")


class Published:
    """A CA with one certificate (its CRL distribution point the CA's /crl) and its service."""

    def __init__(self, lab, extra=()):
        self.lab = lab
        self.ca_dir = lab.make_ca()
        self.trust = os.path.join(self.ca_dir, "ca.crt")
        self.start(extra)
        self.cert, self.key, self.serial = lab.issue(self.ca_dir, extra=["--crl-url", self.url])

    def start(self, extra=()):
        self.log = self.lab.path(f"ca-{len(self.lab.processes)}.log")
        self.process, self.port, self.http_port = self.lab.start_ca(self.ca_dir, http=True, extra=list(extra))
        text = open(self.log).read()
        found = re.search(r"CRL at (http://127\.0\.0\.1:(\d+)/crl)", text)
        check(found and int(found.group(2)) == self.http_port, f"no CRL URL beside the OCSP one:\n{text}")
        self.url = found.group(1)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=10)

    def get(self, method="GET", target="/crl", headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        connection.request(method, target, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response, body

    def fetch(self, name="fetched.crl"):
        """GET /crl: the response, and the list written to a file for openssl."""
        response, body = self.get()
        check(response.status == 200, f"GET /crl: {response.status} {body[:200]!r}")
        path = self.lab.path(name)
        with open(path, "wb") as f:
            f.write(body)
        return response, path

    def verify(self, path):
        result = self.lab.run("openssl", "crl", "-inform", "DER", "-in", path, "-CAfile", self.trust, "-verify",
                              "-noout", check_ok=False)
        check("verify OK" in result.stdout + result.stderr, f"openssl crl -verify:\n{result.stdout}{result.stderr}")

    def revoke(self, reason="keyCompromise"):
        tlslab_ca(self.lab, "revoke", "--dir", self.ca_dir, "--serial", self.serial, "--reason", reason)


@test("crl-command-signs-a-list-openssl-verifies")
def crl_command_signs_a_list_openssl_verifies():
    """`tlslab-ca crl --out FILE`: a v2 list that `openssl crl -verify` accepts, with the revoked
    serial, its reason and a CRL number; one line on stderr; a second list has a larger number."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        _, _, serial = lab.issue(ca_dir)
        _, _, good_serial = lab.issue(ca_dir, name="other")
        tlslab_ca(lab, "revoke", "--dir", ca_dir, "--serial", serial, "--reason", "keyCompromise")
        out = lab.path("ca.crl")
        result = tlslab_ca(lab, "crl", "--dir", ca_dir, "--out", out)
        check(re.fullmatch(r"CRL #1 with 1 revoked certificate, valid until \S+Z, written to " + re.escape(out) + "\n",
                           result.stderr), f"stderr: {result.stderr!r}")
        verified = lab.run("openssl", "crl", "-in", out, "-CAfile", os.path.join(ca_dir, "ca.crt"), "-verify",
                           "-noout")
        check("verify OK" in verified.stdout + verified.stderr, f"openssl: {verified.stdout}{verified.stderr}")
        text = crl_text(lab, out)
        check("Version 2" in text, f"not a v2 list:\n{text}")
        check(serial.upper() in text.replace(":", ""), f"serial {serial} not listed:\n{text}")
        check(good_serial.upper() not in text.replace(":", ""), f"the good serial {good_serial} is listed:\n{text}")
        check("Key Compromise" in text, f"no reason code:\n{text}")
        first = crl_number(text)
        check(first == 1, f"first CRL number {first}")
        # The default validity: an hour from thisUpdate.
        dates = lab.run("openssl", "crl", "-in", out, "-noout", "-lastupdate", "-nextupdate").stdout
        check(len(dates.splitlines()) == 2, dates)
        second = tlslab_ca(lab, "crl", "--dir", ca_dir, "--next-update", "2d")
        check(second.stderr.startswith("CRL #2 with 1 revoked certificate") and "standard output" in second.stderr,
              f"stderr: {second.stderr!r}")
        path = lab.path("second.crl")
        with open(path, "w") as f:
            f.write(second.stdout)
        check(crl_number(crl_text(lab, path)) == 2, "the second list's number is not 2")


@test("crl-command-refuses-a-bad-next-update")
def crl_command_refuses_a_bad_next_update():
    """--next-update 0, 11d, abc (and other non-durations): exit 1 with one line that says how to
    write it; no list signed, so no CRL number is spent. serve --crl-next-update likewise."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        for value in ["0", "11d", "abc", "0s", "1w", "-1h", "1.5h", "\x1b[31m1h"]:
            result = tlslab_ca(lab, "crl", "--dir", ca_dir, "--next-update", value, check_ok=False)
            one_clear_line(result, "--next-update")
            check(result.stdout == "", f"{value!r}: a list was written: {result.stdout[:100]!r}")
        check("more than 10 days" in tlslab_ca(lab, "crl", "--dir", ca_dir, "--next-update", "11d",
                                               check_ok=False).stderr, "11d: not said why")
        for value in ["0", "11d", "abc"]:  # serve's --crl-next-update: the same rule, before it listens
            result = tlslab_ca(lab, "serve", "--dir", ca_dir, "--listen", "127.0.0.1:0", "--ocsp-http", "127.0.0.1:0",
                               "--crl-next-update", value, check_ok=False)
            one_clear_line(result, "--crl-next-update")
        result = tlslab_ca(lab, "crl", "--dir", ca_dir, "--next-update", "10d")
        check(result.stderr.startswith("CRL #1 "), f"a refused list spent a number: {result.stderr!r}")


@test("crl-command-refuses-a-planted-symlink")
def crl_command_refuses_a_planted_symlink():
    """--out onto a symlink someone planted: refused with one line, the link not followed."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        target = lab.path("victim")
        link = lab.path("ca.crl")
        os.symlink(target, link)
        result = tlslab_ca(lab, "crl", "--dir", ca_dir, "--out", link, check_ok=False)
        one_clear_line(result, "symbolic link")
        check(not os.path.exists(target), "the symlink was followed")
        check(os.path.islink(link), "the symlink was replaced")


@test("issue-refuses-a-crl-url-that-is-not-http")
def issue_refuses_a_crl_url_that_is_not_http():
    """issue --crl-url ftp://x (or with spaces, escapes, https): one line, exit 1, no files written."""
    with Lab() as lab:
        ca_dir = lab.make_ca()
        for url in ["ftp://x", "https://127.0.0.1/crl", "http://a b/crl", "http://x/\x1b[31mred", "http://",
                    "http://x/" + "a" * 600]:
            cert, key = lab.path("bad.crt"), lab.path("bad.key")
            result = tlslab_ca(lab, "issue", "--dir", ca_dir, "--cn", "localhost", "--out-cert", cert, "--out-key",
                               key, "--crl-url", url, check_ok=False)
            one_clear_line(result, "--crl-url", "http://")
            check(len(result.stderr) < 400, f"the URL was not cut: {len(result.stderr)} characters")
            check(not os.path.exists(cert) and not os.path.exists(key), f"{url!r}: files written")


@test("get-revoke-get")
def get_revoke_get():
    """GET /crl: the DER list (application/pkix-crl), ETag its number, Cache-Control until
    nextUpdate; after `tlslab-ca revoke` (another process) the next GET lists the serial with its
    reason under a larger number and a new ETag. The certificate points at this URL."""
    with Lab() as lab:
        ca = Published(lab)
        dp = lab.run("openssl", "x509", "-in", ca.cert, "-noout", "-ext", "crlDistributionPoints").stdout
        check(f"URI:{ca.url}" in dp, f"the certificate's distribution point is not {ca.url}:\n{dp}")
        response, before = ca.fetch("before.crl")
        check(response.getheader("Content-Type") == "application/pkix-crl", response.getheader("Content-Type"))
        ca.verify(before)
        number = crl_number(crl_text(lab, before, "DER"))
        check(response.getheader("ETag") == f'"{number}"', f"ETag {response.getheader('ETag')} for #{number}")
        max_age = re.fullmatch(r"max-age=(\d+)", response.getheader("Cache-Control") or "")
        check(max_age and 0 < int(max_age.group(1)) <= 3600, f"Cache-Control {response.getheader('Cache-Control')}")
        check(response.getheader("Last-Modified") and response.getheader("Expires"), "no Last-Modified/Expires")
        check(ca.serial.upper() not in crl_text(lab, before, "DER").replace(":", ""), "listed before the revocation")

        ca.revoke("superseded")
        response, after = ca.fetch("after.crl")
        ca.verify(after)
        text = crl_text(lab, after, "DER")
        check(ca.serial.upper() in text.replace(":", ""), f"serial {ca.serial} not listed after revoke:\n{text}")
        check("Superseded" in text, f"no reason:\n{text}")
        check(crl_number(text) > number, f"CRL number {crl_number(text)} not above {number}")
        check(response.getheader("ETag") == f'"{crl_number(text)}"', f"ETag {response.getheader('ETag')}")

        # The CA's trace: arrows 3 and 4 of a fetch that names no certificate.
        log = wait_for_log(ca.log, "CertificateList (HTTP 200)", count=2)
        for words in ["(3) Client → CA: CRL request (HTTP GET /crl)", "an HTTP client at 127.0.0.1:",
                      "(4) CA → Client: CertificateList (HTTP 200)", "CA'S PRIVATE KEY of",
                      "a certificate was revoked since"]:
            check(words in log, f"{words!r} not in the CA's trace:\n{log[-3000:]}")
        request_arrows = [block for block in log.split("(3) Client → CA")[1:]]
        check(all(ca.serial not in block.split("(4)")[0] for block in request_arrows),
              "the request arrow names the certificate")


@test("if-none-match-and-head")
def if_none_match_and_head():
    """If-None-Match with the current ETag: 304 and no body; another ETag: the list; HEAD: the
    headers a GET has, with its Content-Length, and no body. The list is not signed again."""
    with Lab() as lab:
        ca = Published(lab)
        response, path = ca.fetch()
        etag, body = response.getheader("ETag"), open(path, "rb").read()
        not_modified, empty = ca.get(headers={"If-None-Match": etag})
        check(not_modified.status == 304 and empty == b"", f"{not_modified.status} {empty[:100]!r}")
        check(not_modified.getheader("ETag") == etag, f"304 with ETag {not_modified.getheader('ETag')}")
        listed, weak = ca.get(headers={"If-None-Match": f'"0", W/{etag}'})
        check(listed.status == 304, f"a list naming the ETag weakly: {listed.status}")
        other, again = ca.get(headers={"If-None-Match": '"999999"'})
        check(other.status == 200 and again == body, f"another ETag: {other.status}, same list {again == body}")
        head, nothing = ca.get("HEAD")
        check(head.status == 200 and nothing == b"", f"HEAD: {head.status} {nothing[:50]!r}")
        check(int(head.getheader("Content-Length")) == len(body), f"HEAD Content-Length {head.getheader('Content-Length')}")
        check(head.getheader("ETag") == etag, "HEAD: another ETag, the list was signed again")
        log = wait_for_log(ca.log, "304 Not Modified (the client's copy is current)")
        check("304 Not Modified (the client's copy is current)" in log, f"no 304 arrow:\n{log[-2000:]}")
        check(log.count("CA: signs its CRL") == 1, "the list was signed more than once with nothing revoked")


@test("crl-number-survives-a-restart")
def crl_number_survives_a_restart():
    """The CRL number is kept in the database: after a restart, and after `tlslab-ca crl` meanwhile,
    every list served has a larger number than every one before."""
    with Lab() as lab:
        ca = Published(lab)
        numbers = [crl_number(crl_text(lab, ca.fetch("1.crl")[1], "DER"))]
        ca.stop()
        numbers.append(int(re.match(r"CRL #(\d+) ", tlslab_ca(lab, "crl", "--dir", ca.ca_dir).stderr).group(1)))
        ca.start()
        numbers.append(crl_number(crl_text(lab, ca.fetch("2.crl")[1], "DER")))
        numbers.append(int(re.match(r"CRL #(\d+) ", tlslab_ca(lab, "crl", "--dir", ca.ca_dir).stderr).group(1)))
        ca.revoke()
        numbers.append(crl_number(crl_text(lab, ca.fetch("3.crl")[1], "DER")))
        check(numbers == sorted(set(numbers)), f"the CRL numbers went back or repeated: {numbers}")


@test("crl-targets-are-never-files")
def crl_targets_are_never_files():
    """Only /crl is the list: /../ca.key, /ca.key, /crl?x, /crl/.., //crl, /CRL and the like are 404
    with a one-line body, and never a file of the CA directory."""
    with Lab() as lab:
        ca = Published(lab)
        for target in ["/../ca.key", "/ca.key", "/crl?x", "/crl/..", "/crl/", "//crl", "/CRL", "/crl%00",
                       "/%2e%2e/ca.key", "/" + "a" * 4000, "/ca.db"]:
            answer = raw_exchange(ca.http_port, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                                  .encode())
            head, _, body = answer.partition(b"\r\n\r\n")
            check(head.startswith(b"HTTP/1.1 404 "), f"GET {target[:60]}: {head[:80]!r}")
            check(body.count(b"\n") == 1 and b"PRIVATE KEY" not in body and b"SQLite" not in body,
                  f"GET {target[:60]}: body {body[:200]!r}")


@test("other-methods-on-crl-are-405")
def other_methods_on_crl_are_405():
    """POST, PUT, DELETE /crl: 405 with Allow: GET, HEAD; OCSP is still POST /."""
    with Lab() as lab:
        ca = Published(lab)
        for method in ["POST", "PUT", "DELETE", "OPTIONS"]:
            response, body = ca.get(method)
            check(response.status == 405, f"{method} /crl: {response.status}")
            check(response.getheader("Allow") == "GET, HEAD", f"{method} /crl: Allow {response.getheader('Allow')}")
        root, _ = ca.get("GET", "/")
        check(root.status == 405 and root.getheader("Allow") == "POST", f"GET / {root.status}")
        ocsp = lab.run("openssl", "ocsp", "-issuer", ca.trust, "-cert", ca.cert, "-url",
                       f"http://127.0.0.1:{ca.http_port}", "-CAfile", ca.trust, check_ok=False)
        check(f"{ca.cert}: good" in ocsp.stdout, f"OCSP over HTTP broke:\n{ocsp.stdout}{ocsp.stderr}")


def closed_by_peer(sock):
    """Reads until the peer closes (b"") or resets; the answer it sent before, if any."""
    received = b""
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            return received
        if not data:
            return received
        received += data


@test("hostile-requests-are-cut-and-the-ca-keeps-serving")
def hostile_requests_are_cut_and_the_ca_keeps_serving():
    """A 9 KB header, a 100 MB Content-Length on GET /crl, a slowloris that never ends its headers:
    each is refused or closed at the request deadline, and GET /crl still answers. A target or a
    header with control characters or 10 KB long never reaches the CA's trace raw."""
    with Lab() as lab:
        ca = Published(lab, extra=["--request-timeout-ms", "1000"])
        big_header = b"GET /crl HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9 * 1024 + b"\r\n\r\n"
        answer = raw_exchange(ca.http_port, big_header, timeout=30)
        check(b"application/pkix-crl" not in answer, f"a 9 KB header was answered: {answer[:100]!r}")

        huge = b"GET /crl HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n" + b"x" * 65536
        answer = raw_exchange(ca.http_port, huge, timeout=30)
        check(b"application/pkix-crl" not in answer, f"a 100 MB body was awaited and answered: {answer[:100]!r}")

        # Slowloris: a header line that never ends, one byte at a time, until the CA closes.
        with socket.create_connection(("127.0.0.1", ca.http_port), timeout=30) as sock:
            sock.sendall(b"GET /crl HTTP/1.1\r\nX-Slow: ")

            def trickle_until_closed():
                try:
                    sock.sendall(b"a")
                except (BrokenPipeError, ConnectionResetError):
                    return True
                sock.settimeout(0.2)
                try:
                    return sock.recv(1) == b""
                except socket.timeout:
                    return False
                except ConnectionResetError:
                    return True
            wait_until(trickle_until_closed, "the CA did not close a request that never ends its headers")

        # Within the 8 KiB header limit, a long If-None-Match with a C1 CSI (bytes HTTP allows in a
        # value) is answered; a 10 KB one is not even read, nor one with an ESC (HTTP forbids it).
        for length, answered, start in [(7000, True, b"\xc2\x9b2J"), (10000, False, b""), (10, False, b"\x1b[2J")]:
            hostile = start + b"b" * length
            answer = raw_exchange(ca.http_port, b"GET /crl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                  b"If-None-Match: " + hostile + b"\r\n\r\n", timeout=30)
            check(answer.startswith(b"HTTP/1.1 200 ") == answered, f"If-None-Match of {length}: {answer[:80]!r}")
        raw_exchange(ca.http_port, b"GET /\x1b[31mred\x07 HTTP/1.1\r\nHost: x\r\n\r\n")
        raw_exchange(ca.http_port, b"GET /" + b"\xc2\x9b" * 3000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

        response, path = ca.fetch()
        ca.verify(path)
        check(ca.process.poll() is None, "the CA exited")
        log = wait_for_log(ca.log, "CRL request", count=3)
        check("\x1b" not in log and "\x07" not in log and "\u009b" not in log, "a control character reached the trace raw")
        check(max(len(line) for line in log.splitlines()) < 1000, "a 10 KB value reached the trace whole")


if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
