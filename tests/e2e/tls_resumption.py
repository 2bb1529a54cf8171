#!/usr/bin/env python3
"""Session resumption in real TLS (issue 26): tlslab-client --tls --session-file keeps libssl's
session (PEM, as `openssl sess_id` reads it, mode 0600) and offers it next time; the server takes
it (a TLS 1.2 ticket, RFC 5077; a TLS 1.3 PSK, RFC 8446 §2.2) and arrows 3–5 do not happen: the
trace says the session was resumed, no Certificate crosses, nobody asks the CA (it is stopped
before the second run). Against tlslab-server --tls and openssl s_server; openssl s_client resumes
from the client's file. Whatever is wrong with the file (garbage, expired, another server's, a
server restarted with new ticket keys, a lifetime capped by the CA answer's nextUpdate) gives a
full handshake and one line, never a failure.
"""
import json
import os
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Lab, check, run_named  # noqa: E402
from tls_client import OK, Pki, client, expect, s_server  # noqa: E402

RESUMED_FLIGHT = {
    "1.2": "(2) Server → Client: ServerHello + ChangeCipherSpec + Finished",
    "1.3": "(2) Server → Client: ServerHello + EncryptedExtensions + Finished",
}


def tlslab_tls_server(lab, pki, extra=()):
    process, port = lab.start_server(pki.cert, pki.key, ["--tls", *extra])
    return process, port


def stop(process):
    process.terminate()
    process.wait(timeout=10)


def expect_full(result, version):
    expect(result, OK, f"handshake complete: TLS {version}", "(3) Client → CA: OCSPRequest (HTTP POST)")
    check("session resumed" not in result.stderr, f"a full handshake was called resumed:\n{result.stderr[-3000:]}")


def expect_resumed(result, version):
    expect(result, OK, f"handshake complete, session resumed: TLS {version}", RESUMED_FLIGHT[version],
           "Client: session resumed", "resumed: no CERTIFICATE, no CA round trip")
    check("(3) Client → CA" not in result.stderr, f"a resumed session asked the CA:\n{result.stderr[-3000:]}")
    arrow2 = [line for line in result.stderr.splitlines() if line.startswith("(2) Server → Client:")]
    check(arrow2 and all("Certificate" not in line for line in arrow2),
          f"a Certificate crossed in a resumed handshake: {arrow2}")


def resumes(server, version):
    def test():
        with Lab() as lab:
            pki = Pki(lab)
            process, port = server(lab, pki)
            session = lab.path("session.pem")
            options = ["--tls-versions", version, "--ca-check", "direct", "--session-file", session]
            expect_full(client(lab, port, pki.trust, options), version)
            mode = stat.S_IMODE(os.stat(session).st_mode)
            check(mode == 0o600, f"the session file has mode {oct(mode)}, not 0600")
            text = open(session).read()
            check(text.startswith("-----BEGIN SSL SESSION PARAMETERS-----"), f"not libssl's PEM session:\n{text[:200]}")
            said = lab.run("openssl", "sess_id", "-in", session, "-noout", "-text").stdout
            check(f"TLSv{version}" in said, f"openssl sess_id does not read a TLS {version} session:\n{said}")
            # The CA is gone: a resumed session does not need it.
            stop(pki.ca_process)
            expect_resumed(client(lab, port, pki.trust, options), version)
            # And again, from the session the resumed one left (TLS 1.3: its new ticket).
            expect_resumed(client(lab, port, pki.trust, options), version)
    return test


def s_server_for(version):
    def start(lab, pki):
        flag = "-tls1_2" if version == "1.2" else "-tls1_3"
        return s_server(lab, pki.cert, pki.key, [flag])
    return start


def test_openssl_s_client_resumes_from_the_file():
    """The file is libssl's own PEM: openssl s_client -sess_in resumes with it."""
    with Lab() as lab:
        pki = Pki(lab)
        process, port = tlslab_tls_server(lab, pki)
        session = lab.path("session.pem")
        expect_full(client(lab, port, pki.trust, ["--tls-versions", "1.2", "--ca-check", "direct",
                                                  "--session-file", session]), "1.2")
        out = lab.run("openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2", "-sess_in", session,
                      "-CAfile", pki.trust, "-servername", "localhost", check_ok=False, timeout=20)
        check("Reused, TLSv1.2" in out.stdout, f"openssl s_client did not resume:\n{out.stdout[-2000:]}")


def test_garbage_file_gives_a_full_handshake():
    with Lab() as lab:
        pki = Pki(lab)
        process, port = tlslab_tls_server(lab, pki)
        session = lab.path("session.pem")
        fd = os.open(session, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, b"-----BEGIN SSL SESSION PARAMETERS-----\n\x00\xff not base64 \x1b[31m\n" * 3)
        os.close(fd)
        result = client(lab, port, pki.trust, ["--ca-check", "direct", "--session-file", session])
        expect_full(result, "1.3")
        expect(result, OK, "holds no TLS session", ": a full handshake")
        check("\x1b" not in result.stderr, "the file's bytes reached the terminal")
        # The file now holds the new session: the next run resumes.
        expect_resumed(client(lab, port, pki.trust, ["--ca-check", "direct", "--session-file", session]), "1.3")


def test_restarted_server_without_the_keys_gives_a_full_handshake():
    """libssl's ticket keys are the process's: a restarted server cannot open the ticket."""
    with Lab() as lab:
        pki = Pki(lab)
        process, port = tlslab_tls_server(lab, pki, ["--tls-versions", "1.2"])
        session = lab.path("session.pem")
        options = ["--ca-check", "direct", "--session-file", session]
        expect_full(client(lab, port, pki.trust, options), "1.2")
        stop(process)
        process, port = tlslab_tls_server(lab, pki, ["--tls-versions", "1.2"])
        expect_full(client(lab, port, pki.trust, options), "1.2")
        expect_resumed(client(lab, port, pki.trust, options), "1.2")


def test_planted_link_and_readable_file_refused():
    """--tls --session-file takes the same safe path as the lab's: a link planted at the path, or a
    session file group or others can read, is refused before any connection and left as it was."""
    with Lab() as lab:
        pki = Pki(lab)
        process, port = tlslab_tls_server(lab, pki)
        target = lab.path("not-yours")
        with open(target, "w") as f:
            f.write("keep me\n")
        link = lab.path("session-link.pem")
        os.symlink(target, link)
        result = client(lab, port, pki.trust, ["--ca-check", "direct", "--session-file", link, "--quiet"])
        check(result.returncode != OK, "a symlinked --session-file was used")
        check(open(target).read() == "keep me\n", "the link's target was written")
        readable = lab.path("readable.pem")
        with open(readable, "w") as f:
            f.write("")
        os.chmod(readable, 0o644)
        result = client(lab, port, pki.trust, ["--ca-check", "direct", "--session-file", readable, "--quiet"])
        check(result.returncode != OK, "a group- and world-readable --session-file was used")
        check(open(readable).read() == "" and stat.S_IMODE(os.stat(readable).st_mode) == 0o644,
              "the readable file was written or its mode changed")


def test_ticket_key_file_outlives_a_restart():
    """--ticket-key-file with --tls: libssl's tickets are sealed under keys made from the file's, so a
    restarted server still resumes (and the file is 0600)."""
    with Lab() as lab:
        pki = Pki(lab)
        keys = lab.path("ticket.keys")
        for version in ("1.2", "1.3"):
            process, port = tlslab_tls_server(lab, pki, ["--tls-versions", version, "--ticket-key-file", keys])
            session = lab.path(f"session-{version}.pem")
            options = ["--ca-check", "direct", "--session-file", session]
            expect_full(client(lab, port, pki.trust, options), version)
            stop(process)
            process, port = tlslab_tls_server(lab, pki, ["--tls-versions", version, "--ticket-key-file", keys])
            expect_resumed(client(lab, port, pki.trust, options), version)
            stop(process)
        mode = stat.S_IMODE(os.stat(keys).st_mode)
        check(mode == 0o600, f"the ticket key file has mode {oct(mode)}, not 0600")


def test_expired_ticket_gives_a_full_handshake():
    """--ticket-lifetime 1: the ticket's lifetime caps the file's session; two seconds later it is
    not offered."""
    with Lab() as lab:
        pki = Pki(lab)
        process, port = tlslab_tls_server(lab, pki, ["--ticket-lifetime", "1"])
        session = lab.path("session.pem")
        options = ["--ca-check", "direct", "--session-file", session]
        expect_full(client(lab, port, pki.trust, options), "1.3")
        time.sleep(2.2)
        result = client(lab, port, pki.trust, options)
        expect_full(result, "1.3")
        expect(result, OK, "holds a session that expired")


def test_session_life_capped_by_the_ca_answer():
    """Resuming skips the CA check, so the session is not offered past the nextUpdate of the CA
    answer the certificate passed with (--validity 3 on the CA): then the CA is asked again."""
    with Lab() as lab:
        ca_dir = lab.make_ca("ca-short")
        trust = os.path.join(ca_dir, "ca.crt")
        ca_process, ca_port, http_port = lab.start_ca(ca_dir, http=True, extra=["--validity", "3"])
        cert, key, _ = lab.issue(ca_dir, extra=["--ocsp-url", f"http://127.0.0.1:{http_port}/"])
        process, port = lab.start_server(cert, key, ["--tls"])
        session = lab.path("session.pem")
        options = ["--ca-check", "direct", "--session-file", session]
        expect_full(client(lab, port, trust, options), "1.3")
        expect_resumed(client(lab, port, trust, options), "1.3")
        time.sleep(4)
        result = client(lab, port, trust, options)
        expect_full(result, "1.3")
        expect(result, OK, "holds a session that expired")


def test_another_servers_session_is_not_offered():
    with Lab() as lab:
        pki = Pki(lab)
        process, port = tlslab_tls_server(lab, pki)
        other_cert, other_key, _ = lab.issue(pki.ca_dir, name="other", cn="other.test", sans="DNS:other.test",
                                             extra=["--ocsp-url", pki.ocsp_url])
        other, other_port = lab.start_server(other_cert, other_key, ["--tls"])
        session = lab.path("session.pem")
        expect_full(client(lab, port, pki.trust, ["--ca-check", "direct", "--session-file", session]), "1.3")
        result = client(lab, other_port, pki.trust, ["--ca-check", "direct", "--session-file", session],
                        server_name="other.test")
        expect_full(result, "1.3")
        expect(result, OK, "holds a session with another server")


def test_no_tickets_when_lifetime_is_zero():
    with Lab() as lab:
        pki = Pki(lab)
        process, port = tlslab_tls_server(lab, pki, ["--ticket-lifetime", "0"])
        session = lab.path("session.pem")
        result = client(lab, port, pki.trust, ["--ca-check", "direct", "--session-file", session])
        expect_full(result, "1.3")
        expect(result, OK, "the server gave no session to resume")
        check(not os.path.exists(session), "a session file was written though the server gave no ticket")


def test_server_trace_says_resumed():
    with Lab() as lab:
        pki = Pki(lab)
        process, port = tlslab_tls_server(lab, pki, ["--tls-versions", "1.2"])
        session = lab.path("session.pem")
        options = ["--ca-check", "direct", "--session-file", session]
        expect_full(client(lab, port, pki.trust, options), "1.2")
        expect_resumed(client(lab, port, pki.trust, options), "1.2")
        time.sleep(0.3)
        log = open(process.log_path, errors="replace").read()
        check("ServerHello + ChangeCipherSpec + Finished" in log and "session resumed" in log,
              f"the server's trace does not show the abbreviated handshake:\n{log[-3000:]}")


def test_report_of_a_resumed_session():
    """The page of a resumed run says so: the session-resumed step, the resumed rows of the real-TLS
    table (the page's script holds them), no CA arrows and no PRE-MASTER claimed."""
    with Lab() as lab:
        pki = Pki(lab)
        process, port = tlslab_tls_server(lab, pki, ["--tls-versions", "1.2"])
        session = lab.path("session.pem")
        options = ["--ca-check", "direct", "--session-file", session, "--quiet"]
        expect(client(lab, port, pki.trust, options), OK)
        report = lab.path("resumed.html")
        expect(client(lab, port, pki.trust, options + ["--report", report]), OK)
        page = open(report, errors="replace").read()
        data = json.loads(page.split('<script type="application/json" id="tlslab-data">', 1)[1].split("</script>", 1)[0])
        messages = [str(event.get("message", "")) for event in data["events"]]
        check("session resumed" in messages, f"the page's events have no session-resumed step: {messages}")
        check(not any("OCSP" in m or "ClientKeyExchange" in m or "Certificate" in m for m in messages),
              f"the page of a resumed session shows a CA question, a certificate or a key exchange: {messages}")
        check(sorted({event.get("arrow") for event in data["events"]} - {0}) == [1, 2, 6, 8],
              f"the arrows of a resumed TLS 1.2 session: {messages}")
        check("the earlier session\\'s ticket (RFC 5077)" in page, "the page's script has no resumed rows for arrow 1")


TESTS = {
    "tlslab-server-tls12": resumes(lambda lab, pki: tlslab_tls_server(lab, pki), "1.2"),
    "tlslab-server-tls13": resumes(lambda lab, pki: tlslab_tls_server(lab, pki), "1.3"),
    "s_server-tls12": resumes(s_server_for("1.2"), "1.2"),
    "s_server-tls13": resumes(s_server_for("1.3"), "1.3"),
    "s_client-resumes-from-the-file": test_openssl_s_client_resumes_from_the_file,
    "garbage-file": test_garbage_file_gives_a_full_handshake,
    "server-restarted": test_restarted_server_without_the_keys_gives_a_full_handshake,
    "expired-ticket": test_expired_ticket_gives_a_full_handshake,
    "ticket-key-file": test_ticket_key_file_outlives_a_restart,
    "planted-link-and-readable-file": test_planted_link_and_readable_file_refused,
    "capped-by-the-ca-answer": test_session_life_capped_by_the_ca_answer,
    "another-server": test_another_servers_session_is_not_offered,
    "no-tickets": test_no_tickets_when_lifetime_is_zero,
    "server-trace": test_server_trace_says_resumed,
    "report": test_report_of_a_resumed_session,
}

if __name__ == "__main__":
    sys.exit(run_named(TESTS, sys.argv))
