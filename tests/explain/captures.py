#!/usr/bin/env python3
"""Captures of real TLS (and tlslab) connections for tlslab-explain's tests, made without root: each
client program talks to an ORDERED relay (127.0.0.1:0) in front of the server; the relay records
the chunks of both directions in the order it read them, and they are written into a pcap as one
TCP connection each (tests/wireshark/make_pcap.py's Pcap and TcpConnection: SYN, segments, FIN).
Every client writes its NSS key log (SSLKEYLOGFILE, -keylogfile, keylog_filename) beside its capture.

Servers: openssl s_server, gnutls-serv, tlslab-server --tls (its certificate from tlslab-ca, through
tests/e2e/harness.py's Lab). Clients: curl, openssl s_client, gnutls-cli, Python's ssl, headless
Chromium, tlslab-client. Synthetic ones built from recorded connections: 10,000 ClientHellos, and
hostile variants (truncated file, retransmitted, reordered, overlapping segments, a record header
announcing 0xFFFF bytes, not a capture, key logs with wrong or missing lines).

    python3 tests/explain/captures.py OUTDIR     writes every capture and key log to OUTDIR, with
                                                 OUTDIR/captures.json (what each holds), checked
                                                 with tshark when it is installed
"""
import datetime
import ipaddress
import json
import os
import random
import selectors
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "wireshark"))
import harness  # noqa: E402
from make_pcap import ACK, FIN, LOCALHOST, PSH, Pcap, Pki, TcpConnection  # noqa: E402

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402

MSS = 1460  # a TCP segment's payload, as on an Ethernet link
REQUEST = "GET / HTTP/1.1"  # the request line every HTTP client here sends first
PROCESS_TIMEOUT = 30

# The suites these captures negotiate, by IANA name (tshark prints their numbers).
SUITES = {
    0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384", 0x1303: "TLS_CHACHA20_POLY1305_SHA256",
    0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384",
    0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}


class CaptureError(Exception):
    """A capture could not be made here (a tool missing or failing): the test says why."""


# --- the ordered relay ---------------------------------------------------------------------------
class OrderedRelay:
    """Listens on 127.0.0.1:0 and forwards each connection to 127.0.0.1:`target_port`. One thread per
    connection reads both sockets through one selector, so `connections` holds each connection's
    chunks in the order they arrived: [[(from_client, bytes), ...], ...] (in order of accept)."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.connections = []
        self.threads = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.accepter = threading.Thread(target=self._accept, daemon=True)
        self.accepter.start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
            except OSError:
                client.close()
                continue
            chunks = []
            with self.lock:
                self.connections.append(chunks)
                thread = threading.Thread(target=self._pump, args=(client, upstream, chunks), daemon=True)
                self.threads.append(thread)
            thread.start()

    @staticmethod
    def _pump(client, upstream, chunks):
        selector = selectors.DefaultSelector()
        peer = {client: upstream, upstream: client}
        open_ends = {client, upstream}
        for sock in open_ends:
            sock.setblocking(True)
            selector.register(sock, selectors.EVENT_READ)
        deadline = time.time() + PROCESS_TIMEOUT
        try:
            while open_ends and time.time() < deadline:
                for key, _ in selector.select(timeout=0.5):
                    sock = key.fileobj
                    try:
                        data = sock.recv(65536)
                    except OSError:
                        data = b""
                    if data:
                        chunks.append((sock is client, data))
                        try:
                            peer[sock].sendall(data)
                        except OSError:
                            pass
                    else:
                        selector.unregister(sock)
                        open_ends.discard(sock)
                        try:
                            peer[sock].shutdown(socket.SHUT_WR)
                        except OSError:
                            pass
        finally:
            selector.close()
            client.close()
            upstream.close()

    def settle(self, count=1, timeout=PROCESS_TIMEOUT):
        """Waits for `count` connections, then until every one has ended in both directions."""
        harness.wait_until(lambda: len(self.connections) >= count, f"{count} connection(s) through the relay",
                           timeout=timeout)
        for thread in list(self.threads):
            thread.join(timeout=timeout)

    def close(self):
        self.listener.close()


# --- the pcap writer -----------------------------------------------------------------------------
class Connection(TcpConnection):
    """A TcpConnection whose data goes in MSS-sized segments, and which can send a segment at any
    offset of a direction's byte stream (retransmissions, overlaps, reordering)."""

    def __init__(self, pcap, client_port, server_port, rng):
        super().__init__(pcap, client_port, server_port, rng)
        self.first_seq = dict(self.next_seq)  # the sequence number of each direction's first byte
        self.sent = {True: 0, False: 0}

    def send(self, from_client, data, split=None):
        if split is None:
            split = [MSS] * (len(data) // MSS + 1)
        super().send(from_client, data, split)
        self.sent[from_client] += len(data)

    def segment(self, from_client, offset, data):
        """One segment carrying `data` at `offset` of the direction's stream; the stream's next
        sequence number moves only past new bytes."""
        seq = (self.first_seq[from_client] + offset) % 2**32
        self.pcap.tcp(LOCALHOST, self.ports[from_client], LOCALHOST, self.ports[not from_client], seq,
                      self.next_seq[not from_client], PSH | ACK, data)
        end = offset + len(data)
        if end > self.sent[from_client]:
            self.sent[from_client] = end
            self.next_seq[from_client] = (self.first_seq[from_client] + end) % 2**32

    def reset(self, from_client):
        self._send(from_client, 0x04 | ACK, b"")


class Capture(Pcap):
    """make_pcap's Pcap whose IP identification wraps at 65535 (captures of many connections)."""

    def tcp(self, *args, **kwargs):
        self.ip_id %= 65536
        super().tcp(*args, **kwargs)


class PcapNg(Capture):
    """The same packets as a pcapng file: one section, one Ethernet interface, enhanced packets."""

    def write(self, path):
        def block(kind, body):
            body += b"\0" * (-len(body) % 4)
            return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)

        out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
               block(0x00000001, struct.pack("<HHI", 1, 0, 262144))]
        for t, data in self.packets:
            micros = int(round(t * 1e6))
            out.append(block(0x00000006, struct.pack("<IIIII", 0, micros >> 32, micros & 0xFFFFFFFF, len(data),
                                                     len(data)) + data))
        self.packets = []
        with open(path, "wb") as f:
            f.write(b"".join(out))


def write_capture(path, connections, server_port=443, first_client_port=50000, pcapng=False, seed=25):
    """Each connection (its chunks in arrival order) as a TCP connection 127.0.0.1:first_client_port+i →
    127.0.0.1:server_port, closed by the client then the server."""
    pcap = (PcapNg if pcapng else Capture)(1796630400.0)  # 2026-12-07, any fixed time
    rng = random.Random(seed)
    for number, chunks in enumerate(connections):
        tcp = Connection(pcap, first_client_port + number, server_port, rng)
        for from_client, data in chunks:
            tcp.send(from_client, data)
        tcp.close()
    pcap.write(path)


def stream_bytes(chunks, from_client):
    return b"".join(data for side, data in chunks if side == from_client)


# --- certificates ----------------------------------------------------------------------------------
class Certificates:
    """A CA (make_pcap.Pki: RSA 2048), a server certificate for localhost / example.test /
    127.0.0.1, a client certificate (clientAuth), an EC server certificate and a staple (OCSP
    response, good), as PEM and DER files in `directory`."""

    def __init__(self, directory):
        self.dir = directory
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None)
        self.pki = Pki(now)
        self.ca = self._write("ca.crt", self.pki.ca_cert)
        key, cert = self._leaf("localhost", 0x2501, ExtendedKeyUsageOID.SERVER_AUTH)
        self.cert, self.key = self._write("server.crt", cert), self._write_key("server.key", key)
        ec_key, ec_cert = self._leaf("localhost", 0x2502, ExtendedKeyUsageOID.SERVER_AUTH, ec_key=True)
        self.ec_cert, self.ec_key = self._write("server-ec.crt", ec_cert), self._write_key("server-ec.key", ec_key)
        client_key, client_cert = self._leaf("alice", 0x2503, ExtendedKeyUsageOID.CLIENT_AUTH)
        self.client_cert = self._write("client.crt", client_cert)
        self.client_key = self._write_key("client.key", client_key)
        self.staple = os.path.join(directory, "staple.der")
        with open(self.staple, "wb") as f:
            f.write(self.pki.ocsp_response(cert, os.urandom(16)))

    def _leaf(self, cn, serial, usage, ec_key=False):
        key = ec.generate_private_key(ec.SECP256R1()) if ec_key else rsa.generate_private_key(65537, 2048)
        now = self.pki.now
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
                .issuer_name(self.pki.ca_cert.subject).public_key(key.public_key()).serial_number(serial)
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName([
                    x509.DNSName(cn), x509.DNSName("example.test"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                .sign(self.pki.ca_key, hashes.SHA256()))
        return key, cert

    def _write(self, name, cert):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        return path

    def _write_key(self, name, key):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        return path


# --- the maker -----------------------------------------------------------------------------------
def need(tool):
    if shutil.which(tool) is None:
        raise CaptureError(f"{tool} is not installed")


class Expected(dict):
    """What a capture holds, per connection: protocol, sni, suite, outcome (its first words),
    request (the first request line, or None), certificate (the server certificate's DER hex, or None)."""


class Maker:
    """Makes captures into `outdir` (a harness.Lab's processes: every server is killed at the end)."""

    def __init__(self, lab, outdir):
        self.lab, self.outdir = lab, outdir
        self._certs = None
        self.made = {}  # name -> {"pcap", "keylog", "connections": [Expected, ...]}

    @property
    def certs(self):
        if self._certs is None:
            directory = os.path.join(self.outdir, "pki")
            os.makedirs(directory, exist_ok=True)
            self._certs = Certificates(directory)
        return self._certs

    def path(self, name):
        return os.path.join(self.outdir, name)

    def cert_hex(self, pem_path):
        with open(pem_path, "rb") as f:
            return x509.load_pem_x509_certificate(f.read()).public_bytes(serialization.Encoding.DER).hex()

    # servers ------------------------------------------------------------------------------------
    def start(self, make_args, name, env=None):
        """A foreign server on a free port (another try when the port was taken)."""
        for attempt in range(5):
            port = harness.free_port()
            log_path = self.lab.path(f"{name}-{port}.log")
            with open(log_path, "w") as log:
                process = subprocess.Popen(make_args(port), stdout=log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, env=env)
            self.lab.processes.append(process)
            deadline = time.time() + 10
            while time.time() < deadline and process.poll() is None:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        return process, port
                except OSError:
                    time.sleep(0.05)
            if process.poll() is None:
                process.kill()
        raise CaptureError(f"{name} did not listen:\n{open(log_path, errors='replace').read()[-2000:]}")

    def s_server(self, *extra, cert=None, key=None):
        need("openssl")
        cert, key = cert or self.certs.cert, key or self.certs.key
        return self.start(lambda port: ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert,
                                        "-key", key, "-www", "-naccept", "8", *extra], "s_server")

    def gnutls_serv(self, *extra):
        need("gnutls-serv")
        return self.start(lambda port: ["gnutls-serv", "--http", "-p", str(port), "--x509certfile", self.certs.cert,
                                        "--x509keyfile", self.certs.key, *extra], "gnutls-serv")

    def tlslab_server(self, *extra):
        if not os.path.exists(harness.exe("tlslab-server")):
            raise CaptureError(f"{harness.exe('tlslab-server')} is not built")
        ca_dir = self.lab.make_ca("explain-ca")
        cert, key, _ = self.lab.issue(ca_dir, name="explain-server", extra=["--key-type", "rsa2048"])
        process, port = self.lab.start_server(cert, key, list(extra))
        return process, port, os.path.join(ca_dir, "ca.crt"), cert

    # clients ------------------------------------------------------------------------------------
    def run(self, args, what, env=None, stdin=b"", ok=True, timeout=PROCESS_TIMEOUT):
        try:
            result = subprocess.run(args, input=stdin, capture_output=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired as e:
            raise CaptureError(f"{what} did not end within {timeout} s") from e
        if ok and result.returncode != 0:
            raise CaptureError(f"{what} exited {result.returncode}:\n"
                               f"{(result.stdout + result.stderr).decode(errors='replace')[-3000:]}")
        return result

    def record(self, name, target_port, clients, count=1, **writer):
        """Runs `clients(relay_port, keylog)` through a fresh relay; writes NAME.pcap and NAME.keylog."""
        keylog = self.path(f"{name}.keylog")
        if os.path.exists(keylog):
            os.remove(keylog)
        os.close(os.open(keylog, os.O_WRONLY | os.O_CREAT, 0o600))  # tlslab-client wants it private
        relay = OrderedRelay(target_port)
        try:
            clients(relay.port, keylog)
            relay.settle(count)
        finally:
            relay.close()
        pcap = self.path(f"{name}.pcapng" if writer.get("pcapng") else f"{name}.pcap")
        write_capture(pcap, relay.connections, **writer)
        return pcap, keylog, relay.connections

    def remember(self, name, pcap, keylog, chunks, connections):
        entry = {"pcap": pcap, "keylog": keylog, "chunks": chunks, "connections": connections}
        self.made[name] = entry
        return entry

    def curl(self, port, keylog, *args, host="localhost", trust=None, ok=True):
        need("curl")
        env = dict(os.environ, SSLKEYLOGFILE=keylog)
        return self.run(["curl", "-sS", "--max-time", "20", "--cacert", trust or self.certs.ca, "--resolve",
                         f"{host}:{port}:127.0.0.1", *args, f"https://{host}:{port}/"], "curl", env=env, ok=ok)

    def s_client(self, port, keylog, *args, stdin=None, ok=True, server_name="localhost"):
        need("openssl")
        request = f"{REQUEST}\r\nHost: {server_name}\r\nConnection: close\r\n\r\n".encode()
        return self.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", server_name,
                         "-CAfile", self.certs.ca, "-verify_return_error", "-keylogfile", keylog, "-ign_eof", *args],
                        "openssl s_client", stdin=request if stdin is None else stdin, ok=ok)


def complete(protocol, suite, sni="localhost", request=REQUEST, certificate=None, **more):
    return Expected(protocol=protocol, sni=sni, suite=suite, outcome="handshake complete", request=request,
                    certificate=certificate, **more)


# --- the captures, one function each ----------------------------------------------------------------
CAPTURES = {}


def capture(name):
    def register(function):
        CAPTURES[name] = function
        return function
    return register


@capture("curl-tls13")
def curl_tls13(m, pcapng=False, name="curl-tls13"):
    """curl --tlsv1.3 against openssl s_server -www: one GET."""
    _, port = m.s_server("-ciphersuites", "TLS_AES_128_GCM_SHA256")
    pcap, keylog, chunks = m.record(name, port, lambda p, k: m.curl(p, k, "--tlsv1.3"), pcapng=pcapng)
    return m.remember(name, pcap, keylog, chunks, [
        complete("TLS 1.3", "TLS_AES_128_GCM_SHA256", certificate=m.cert_hex(m.certs.cert))])


@capture("curl-tls13-pcapng")
def curl_tls13_pcapng(m):
    """The same, written as pcapng."""
    return curl_tls13(m, pcapng=True, name="curl-tls13-pcapng")


@capture("curl-tls12-ecdhe")
def curl_tls12_ecdhe(m):
    """curl --tls-max 1.2 --ciphers ECDHE-RSA-AES256-GCM-SHA384 --curves P-256 against s_server."""
    _, port = m.s_server()
    pcap, keylog, chunks = m.record("curl-tls12-ecdhe", port, lambda p, k: m.curl(
        p, k, "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES256-GCM-SHA384", "--curves", "P-256"))
    return m.remember("curl-tls12-ecdhe", pcap, keylog, chunks, [
        complete("TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", certificate=m.cert_hex(m.certs.cert))])


@capture("openssl-tls12-rsa")
def openssl_tls12_rsa(m):
    """openssl s_client -tls1_2 -cipher AES128-GCM-SHA256: RSA key transport."""
    _, port = m.s_server()
    pcap, keylog, chunks = m.record("openssl-tls12-rsa", port, lambda p, k: m.s_client(
        p, k, "-tls1_2", "-cipher", "AES128-GCM-SHA256"))
    return m.remember("openssl-tls12-rsa", pcap, keylog, chunks, [
        complete("TLS 1.2", "TLS_RSA_WITH_AES_128_GCM_SHA256", certificate=m.cert_hex(m.certs.cert))])


@capture("openssl-hrr")
def openssl_hrr(m):
    """s_client -groups P-256:X25519 (key share for P-256 only) against s_server -groups X25519: the
    server asks again (HelloRetryRequest), the second ClientHello carries an X25519 share."""
    _, port = m.s_server("-groups", "X25519", "-ciphersuites", "TLS_AES_256_GCM_SHA384")
    pcap, keylog, chunks = m.record("openssl-hrr", port, lambda p, k: m.s_client(
        p, k, "-tls1_3", "-groups", "P-256:X25519"))
    return m.remember("openssl-hrr", pcap, keylog, chunks, [
        complete("TLS 1.3", "TLS_AES_256_GCM_SHA384", certificate=m.cert_hex(m.certs.cert), hello_retry=True)])


@capture("openssl-resumed")
def openssl_resumed(m):
    """Two TLS 1.3 connections: a full handshake saving its session (-sess_out), then one resuming
    it (-sess_in, PSK with (EC)DHE: no Certificate in the second)."""
    _, port = m.s_server("-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256")
    session = m.path("openssl-resumed.session")

    def clients(p, k):
        m.s_client(p, k, "-tls1_3", "-sess_out", session)
        out = m.s_client(p, k, "-tls1_3", "-sess_in", session).stdout.decode(errors="replace")
        if "Reused, TLSv1.3" not in out:
            raise CaptureError(f"the second s_client did not resume:\n{out[-2000:]}")
    pcap, keylog, chunks = m.record("openssl-resumed", port, clients, count=2)
    cert = m.cert_hex(m.certs.cert)
    return m.remember("openssl-resumed", pcap, keylog, chunks, [
        complete("TLS 1.3", "TLS_CHACHA20_POLY1305_SHA256", certificate=cert),
        complete("TLS 1.3", "TLS_CHACHA20_POLY1305_SHA256", certificate=None, resumed=True)])


@capture("openssl-client-cert")
def openssl_client_cert(m):
    """TLS 1.3 with a client certificate: s_server -Verify 1, s_client -cert."""
    _, port = m.s_server("-Verify", "1", "-CAfile", m.certs.ca, "-ciphersuites", "TLS_AES_128_GCM_SHA256")
    pcap, keylog, chunks = m.record("openssl-client-cert", port, lambda p, k: m.s_client(
        p, k, "-tls1_3", "-cert", m.certs.client_cert, "-key", m.certs.client_key))
    return m.remember("openssl-client-cert", pcap, keylog, chunks, [
        complete("TLS 1.3", "TLS_AES_128_GCM_SHA256", certificate=m.cert_hex(m.certs.cert),
                 client_certificate=m.cert_hex(m.certs.client_cert))])


@capture("staple-tls12")
def staple_tls12(m):
    """s_server -status_file (an OCSP response, good) and s_client -status, TLS 1.2 ECDHE: the
    CertificateStatus message in the clear."""
    _, port = m.s_server("-status_file", m.certs.staple)
    pcap, keylog, chunks = m.record("staple-tls12", port, lambda p, k: m.s_client(
        p, k, "-tls1_2", "-status", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"))
    return m.remember("staple-tls12", pcap, keylog, chunks, [
        complete("TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", certificate=m.cert_hex(m.certs.cert),
                 staple=True)])


def gnutls_clients(m, trust, tls13_cipher, tls12_cipher):
    """gnutls-cli (SSLKEYLOGFILE) fetching / over TLS 1.3 with `tls13_cipher`, then TLS 1.2 ECDHE-RSA with
    `tls12_cipher` (GnuTLS priority names)."""
    request = f"{REQUEST}\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()

    def clients(p, k):
        env = dict(os.environ, SSLKEYLOGFILE=k)
        for priority in (f"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+{tls13_cipher}",
                         f"NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-RSA:-CIPHER-ALL:+{tls12_cipher}"):
            m.run(["gnutls-cli", "--x509cafile", trust, "-p", str(p), "--priority", priority, "localhost"],
                  "gnutls-cli", env=env, stdin=request)
    return clients


def python_clients(trust, tls12_ciphers):
    """Python's ssl (keylog_filename) fetching / over TLS 1.3, then TLS 1.2 with `tls12_ciphers`."""
    def clients(p, k):
        for version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
            context = ssl.create_default_context(cafile=trust)
            context.keylog_filename = k
            context.minimum_version = context.maximum_version = version
            if version == ssl.TLSVersion.TLSv1_2:
                context.set_ciphers(tls12_ciphers)
            with socket.create_connection(("127.0.0.1", p), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname="localhost") as tls:
                    tls.sendall(f"{REQUEST}\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
                    try:
                        while tls.recv(65536):
                            pass
                    except (ssl.SSLError, OSError):
                        pass  # a server may close without close_notify
    return clients


@capture("gnutls")
def gnutls(m):
    """gnutls-cli (SSLKEYLOGFILE) against gnutls-serv --http: TLS 1.3, then TLS 1.2 ECDHE-ECDSA? no:
    RSA certificate, ECDHE, AES-256-GCM."""
    need("gnutls-cli")
    _, port = m.gnutls_serv()
    clients = gnutls_clients(m, m.certs.ca, "AES-256-GCM", "AES-256-GCM")
    pcap, keylog, chunks = m.record("gnutls", port, clients, count=2)
    cert = m.cert_hex(m.certs.cert)
    return m.remember("gnutls", pcap, keylog, chunks, [
        complete("TLS 1.3", "TLS_AES_256_GCM_SHA384", certificate=cert),
        complete("TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", certificate=cert)])


@capture("gnutls-tlslab-server")
def gnutls_tlslab_server(m):
    """gnutls-cli (SSLKEYLOGFILE) against tlslab-server --tls: TLS 1.3 with ChaCha20-Poly1305, then TLS
    1.2 ECDHE with AES-128-GCM: GnuTLS's ClientHello answered by libssl inside tlslab."""
    need("gnutls-cli")
    _, port, trust, cert = m.tlslab_server("--tls")
    clients = gnutls_clients(m, trust, "CHACHA20-POLY1305", "AES-128-GCM")
    pcap, keylog, chunks = m.record("gnutls-tlslab-server", port, clients, count=2)
    der = m.cert_hex(cert)
    return m.remember("gnutls-tlslab-server", pcap, keylog, chunks, [
        complete("TLS 1.3", "TLS_CHACHA20_POLY1305_SHA256", certificate=der),
        complete("TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", certificate=der)])


@capture("python-gnutls-serv")
def python_gnutls_serv(m):
    """Python's ssl (keylog_filename) against gnutls-serv --http: TLS 1.3, then TLS 1.2 ECDHE."""
    _, port = m.gnutls_serv()
    clients = python_clients(m.certs.ca, "ECDHE-RSA-AES256-GCM-SHA384")
    pcap, keylog, chunks = m.record("python-gnutls-serv", port, clients, count=2)
    cert = m.cert_hex(m.certs.cert)
    return m.remember("python-gnutls-serv", pcap, keylog, chunks, [
        complete("TLS 1.3", "TLS_AES_256_GCM_SHA384", certificate=cert),
        complete("TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", certificate=cert)])


@capture("python-tlslab-server")
def python_tlslab_server(m):
    """Python's ssl (keylog_filename) against tlslab-server --tls: TLS 1.3, then TLS 1.2."""
    _, port, trust, cert = m.tlslab_server("--tls")
    clients = python_clients(trust, "ECDHE-RSA-AES128-GCM-SHA256")
    pcap, keylog, chunks = m.record("python-tlslab-server", port, clients, count=2, server_port=8443)
    der = m.cert_hex(cert)
    return m.remember("python-tlslab-server", pcap, keylog, chunks, [
        complete("TLS 1.3", "TLS_AES_256_GCM_SHA384", certificate=der), complete("TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                                             certificate=der)])


@capture("tlslab")
def tlslab_native(m):
    """tlslab-client against tlslab-server (the lab's own protocol), through the relay."""
    ca_dir = m.lab.make_ca("native-ca")
    trust = os.path.join(ca_dir, "ca.crt")
    cert, key, _ = m.lab.issue(ca_dir, name="native-server")
    _, ca_port, _ = m.lab.start_ca(ca_dir)
    _, port = m.lab.start_server(cert, key)

    def clients(p, k):
        result = m.lab.client(p, ca_port, trust, ["--quiet", "--keylog", k])
        if result.returncode != 0:
            raise CaptureError(f"tlslab-client exited {result.returncode}:\n{result.stderr[-2000:]}")
    pcap, keylog, chunks = m.record("tlslab", port, clients, server_port=4433)
    return m.remember("tlslab", pcap, keylog, chunks, [
        Expected(protocol="tlslab/1.0", sni="localhost", suite=None, outcome="handshake complete", request=REQUEST,
                 certificate=None)])


def chromium_clients(m, name):
    """A function that fetches https://example.test:PORT/ with headless Chromium (SSLKEYLOGFILE)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        raise CaptureError("chromium is not installed")
    profile = m.lab.path(f"{name}-profile")

    def clients(p, k):
        env = dict(os.environ, SSLKEYLOGFILE=k)
        m.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--ignore-certificate-errors",
               f"--ssl-key-log-file={k}", "--host-resolver-rules=MAP example.test 127.0.0.1",
               "--dump-dom", f"https://example.test:{p}/"], "chromium", env=env, timeout=60)
    return clients


@capture("chromium")
def chromium(m):
    """Headless Chromium (SSLKEYLOGFILE) against s_server: X25519MLKEM768 and GREASE offered; the
    name example.test mapped to 127.0.0.1 so that the ClientHello carries an SNI."""
    clients = chromium_clients(m, "chromium")
    _, port = m.s_server("-ciphersuites", "TLS_AES_128_GCM_SHA256")
    pcap, keylog, chunks = m.record("chromium", port, clients)
    # Chromium may open a second connection it never sends a request on (a preconnect): the request
    # is in the connection whose client sent application data after its Finished.
    return m.remember("chromium", pcap, keylog, chunks, [
        complete("TLS 1.3", "TLS_AES_128_GCM_SHA256", sni="example.test", certificate=m.cert_hex(m.certs.cert),
                 request=REQUEST if client_records(c, 23) > 1 else None) for c in chunks])


@capture("chromium-tlslab-server")
def chromium_tlslab_server(m):
    """Headless Chromium against tlslab-server --tls: a real browser's ClientHello answered by libssl
    inside tlslab."""
    clients = chromium_clients(m, "chromium-tlslab-server")
    _, port, _, cert = m.tlslab_server("--tls")
    pcap, keylog, chunks = m.record("chromium-tlslab-server", port, clients)
    return m.remember("chromium-tlslab-server", pcap, keylog, chunks, [
        complete("TLS 1.3", "TLS_AES_128_GCM_SHA256", sni="example.test", certificate=m.cert_hex(cert),
                 request=REQUEST if client_records(c, 23) > 1 else None) for c in chunks])


def client_records(chunks, content_type):
    """How many records of `content_type` the client sent on a connection."""
    data, count = stream_bytes(chunks, True), 0
    while len(data) >= 5:
        count += data[0] == content_type
        data = data[5 + int.from_bytes(data[3:5], "big"):]
    return count


@capture("alert-untrusted")
def alert_untrusted(m):
    """curl --tls-max 1.2 without the CA: it refuses the certificate with an alert (unknown_ca), in the
    clear, mid-handshake."""
    _, port = m.s_server()

    def clients(p, k):
        result = m.curl(p, k, "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES256-GCM-SHA384",
                        trust=m.certs.client_cert, ok=False)
        if result.returncode == 0:
            raise CaptureError("curl accepted a certificate it should not know")
    pcap, keylog, chunks = m.record("alert-untrusted", port, clients)
    return m.remember("alert-untrusted", pcap, keylog, chunks, [
        Expected(protocol="TLS 1.2", sni="localhost", suite="TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", outcome="alert ",
                 request=None,
                 certificate=m.cert_hex(m.certs.cert))])


@capture("alert-untrusted-tls13")
def alert_untrusted_tls13(m):
    """curl --tlsv1.3 without the CA: its alert (unknown_ca) travels encrypted under the handshake keys."""
    _, port = m.s_server("-ciphersuites", "TLS_AES_128_GCM_SHA256")

    def clients(p, k):
        result = m.curl(p, k, "--tlsv1.3", trust=m.certs.client_cert, ok=False)
        if result.returncode == 0:
            raise CaptureError("curl accepted a certificate it should not know")
    pcap, keylog, chunks = m.record("alert-untrusted-tls13", port, clients)
    return m.remember("alert-untrusted-tls13", pcap, keylog, chunks, [
        Expected(protocol="TLS 1.3", sni="localhost", suite="TLS_AES_128_GCM_SHA256", outcome="alert ",
                 request=None, certificate=m.cert_hex(m.certs.cert))])


# --- synthetic captures, from a recorded one -----------------------------------------------------
def base(m, name):
    return m.made.get(name) or CAPTURES[name](m)


@capture("many")
def many(m, count=10_000):
    """`count` connections that send a recorded ClientHello (each from its own port) and close, then
    the recorded curl --tlsv1.3 connection whole (stream `count`)."""
    source = base(m, "curl-tls13")
    chunks = source["chunks"][0]
    hello = stream_bytes(chunks, True)
    hello = hello[:5 + int.from_bytes(hello[3:5], "big")]
    pcap = Capture(1796630400.0)
    rng = random.Random(10_000)
    for number in range(count):
        tcp = Connection(pcap, 20000 + number % 40000, 443, rng)
        tcp.send(True, hello)
        tcp.close()
    tcp = Connection(pcap, 61000, 443, rng)
    for from_client, data in chunks:
        tcp.send(from_client, data)
    tcp.close()
    path = m.path("many.pcap")
    pcap.write(path)
    hello_only = Expected(protocol="TLS (no ServerHello)", sni="localhost", suite=None, outcome="incomplete",
                          request=None, certificate=None)
    return m.remember("many", path, source["keylog"], None, [hello_only] * count + source["connections"])


def rewrite(m, name, source_name, send):
    """A capture of the source's first connection, its segments sent by `send(tcp, chunks)`."""
    source = base(m, source_name)
    pcap = Capture(1796630400.0)
    tcp = Connection(pcap, 50000, 443, random.Random(7))
    send(tcp, source["chunks"][0])
    tcp.close()
    path = m.path(f"{name}.pcap")
    pcap.write(path)
    return m.remember(name, path, source["keylog"], source["chunks"], source["connections"][:1])


def segments(chunks):
    """The chunks as (from_client, offset, data) segments of at most MSS bytes."""
    offsets, out = {True: 0, False: 0}, []
    for from_client, data in chunks:
        for i in range(0, len(data), MSS):
            piece = data[i:i + MSS]
            out.append((from_client, offsets[from_client], piece))
            offsets[from_client] += len(piece)
    return out


@capture("retransmitted")
def retransmitted(m):
    """openssl-tls12-rsa with every server segment sent twice (the second a retransmission)."""
    def send(tcp, chunks):
        for from_client, offset, data in segments(chunks):
            tcp.segment(from_client, offset, data)
            if not from_client:
                tcp.segment(from_client, offset, data)
    return rewrite(m, "retransmitted", "openssl-tls12-rsa", send)


@capture("reordered")
def reordered(m):
    """openssl-tls12-rsa with the server's first two segments (its ServerHello … flight) swapped."""
    def send(tcp, chunks):
        pieces = segments(chunks)
        server = [i for i, (c, _, _) in enumerate(pieces) if not c]
        if len(server) < 2 or server[1] != server[0] + 1:
            # one flight in one chunk: cut it in two segments first
            c, offset, data = pieces[server[0]]
            half = len(data) // 2
            pieces[server[0]:server[0] + 1] = [(c, offset, data[:half]), (c, offset + half, data[half:])]
            server = [server[0], server[0] + 1]
        a, b = server[0], server[1]
        pieces[a], pieces[b] = pieces[b], pieces[a]
        for piece in pieces:
            tcp.segment(*piece)
    return rewrite(m, "reordered", "openssl-tls12-rsa", send)


@capture("overlapping")
def overlapping(m):
    """openssl-tls12-rsa where each server segment after the first also repeats the last 100 bytes
    of the one before (overlapping sequence ranges, the same bytes)."""
    def send(tcp, chunks):
        stream = {True: b"", False: b""}
        for from_client, data in chunks:
            stream[from_client] += data
        for from_client, offset, data in segments(chunks):
            if not from_client and offset >= 100:
                tcp.segment(from_client, offset - 100, stream[False][offset - 100:offset] + data)
            else:
                tcp.segment(from_client, offset, data)
    return rewrite(m, "overlapping", "openssl-tls12-rsa", send)


@capture("huge-record")
def huge_record(m):
    """A recorded ClientHello answered by a record header announcing 0xFFFF bytes, 100 bytes of it,
    and the server closing."""
    source = base(m, "openssl-tls12-rsa")
    hello = stream_bytes(source["chunks"][0], True)
    hello = hello[:5 + int.from_bytes(hello[3:5], "big")]
    pcap = Capture(1796630400.0)
    tcp = Connection(pcap, 50000, 443, random.Random(8))
    tcp.send(True, hello)
    tcp.send(False, b"\x16\x03\x03\xff\xff" + b"\x02" + bytes(99))
    tcp.close()
    path = m.path("huge-record.pcap")
    pcap.write(path)
    return m.remember("huge-record", path, None, None, [
        Expected(protocol=None, sni="localhost", suite=None, outcome=None, request=None, certificate=None)])


@capture("truncated")
def truncated(m):
    """curl-tls13's capture cut in the middle of a packet record."""
    source = base(m, "curl-tls13")
    with open(source["pcap"], "rb") as f:
        data = f.read()
    path = m.path("truncated.pcap")
    with open(path, "wb") as f:
        f.write(data[:len(data) * 2 // 3 + 7])
    return m.remember("truncated", path, source["keylog"], None, [])


@capture("plain-http")
def plain_http(m):
    """One plain HTTP/1.1 connection, no TLS at all."""
    pcap = Capture(1796630400.0)
    tcp = Connection(pcap, 50000, 80, random.Random(9))
    tcp.send(True, f"{REQUEST}\r\nHost: localhost\r\n\r\n".encode())
    tcp.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhi\n")
    tcp.close()
    path = m.path("plain-http.pcap")
    pcap.write(path)
    return m.remember("plain-http", path, None, None, [])


@capture("mixed")
def mixed(m):
    """A plain HTTP connection (stream 0, port 443 all the same), then curl-tls13's connection (stream 1)."""
    source = base(m, "curl-tls13")
    plain = [(True, b"GET /plain HTTP/1.1\r\nHost: localhost\r\n\r\n"),
             (False, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhi\n")]
    path = m.path("mixed.pcap")
    write_capture(path, [plain, source["chunks"][0]])
    return m.remember("mixed", path, source["keylog"], None, [None, source["connections"][0]])


@capture("not-a-capture")
def not_a_capture(m):
    """A text file named .pcap, and an empty one."""
    path = m.path("not-a-capture.pcap")
    with open(path, "w") as f:
        f.write("this is not a capture\n" * 10)
    open(m.path("empty.pcap"), "w").close()
    return m.remember("not-a-capture", path, None, None, [])


@capture("keylogs")
def keylogs(m):
    """Key logs for curl-tls13 that do not fit: every secret's last byte flipped (wrong), the
    handshake secrets only (missing the traffic secrets), and garbage lines around the good ones."""
    source = base(m, "curl-tls13")
    with open(source["keylog"]) as f:
        lines = [line.split() for line in f if line.strip() and not line.startswith("#")]
    wrong = [f"{label} {random_} {secret[:-2]}{int(secret[-2:], 16) ^ 0xFF:02x}" for label, random_, secret in lines]
    missing = [" ".join(parts) for parts in lines if "HANDSHAKE" in parts[0]]
    garbage = ["CLIENT_RANDOM zz notahexsecret", "SERVER_HANDSHAKE_TRAFFIC_SECRET 00", "\x00\x01 binary",
               "CLIENT_TRAFFIC_SECRET_0 " + "ab" * 32, "# a comment", "x" * 5000] + [" ".join(p) for p in lines]
    paths = {}
    for kind, content in (("wrong", wrong), ("missing", missing), ("garbage", garbage)):
        paths[kind] = m.path(f"keylog-{kind}.keylog")
        with open(paths[kind], "w") as f:
            f.write("\n".join(content) + "\n")
    entry = m.remember("keylogs", source["pcap"], source["keylog"], None, source["connections"])
    entry.update(paths)
    return entry


# --- tshark ------------------------------------------------------------------------------------------
def tshark_lines(pcap, display_filter, *fields, keylog=None, timeout=120):
    if shutil.which("tshark") is None:
        return None
    args = ["tshark", "-n", "-r", pcap, "-Y", display_filter, "-T", "fields", "-E", "occurrence=a",
            "-E", "aggregator=,"]
    if keylog:
        args += ["-o", f"tls.keylog_file:{keylog}"]
    for field in fields:
        args += ["-e", field]
    home = os.environ.get("TLSLAB_TSHARK_HOME")
    env = dict(os.environ, HOME=home) if home else None
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)
    return [line for line in result.stdout.splitlines() if line.strip()]


def tshark_summary(entry):
    """What Wireshark's own TLS dissector finds in a capture: per stream, the versions, suites and
    SNIs of its handshakes, and the decrypted HTTP request lines with the key log."""
    pcap, keylog = entry["pcap"], entry.get("keylog")
    hello = tshark_lines(pcap, "tls.handshake.type == 2", "tcp.stream", "tls.handshake.ciphersuite",
                         "tls.handshake.extensions.supported_version", "tls.handshake.version")
    sni = tshark_lines(pcap, "tls.handshake.type == 1", "tcp.stream", "tls.handshake.extensions_server_name")
    http = tshark_lines(pcap, "http.request", "tcp.stream", "http.request.line", keylog=keylog) if keylog else []
    return {"server_hellos": hello, "client_hellos": sni, "http": http}


def main(argv):
    if len(argv) != 2 or argv[1].startswith("-"):
        print("usage: captures.py OUTDIR   (writes every capture and key log, and OUTDIR/captures.json)",
              file=sys.stderr)
        return 2
    outdir = os.path.abspath(argv[1])
    os.makedirs(outdir, exist_ok=True)
    index, failed = {}, []
    with harness.Lab() as lab:
        maker = Maker(lab, outdir)
        for name, make in CAPTURES.items():
            try:
                entry = maker.made.get(name) or make(maker)
            except CaptureError as e:
                failed.append(name)
                print(f"{name}: not made: {e}", file=sys.stderr)
                continue
            record = {k: v for k, v in entry.items() if k != "chunks"}
            if len(record["connections"]) > 20:
                record["connections"] = record["connections"][-3:]
                record["note"] = f"{len(entry['connections'])} connections; the last 3 shown"
            if shutil.which("tshark") and name not in ("many", "not-a-capture", "truncated"):
                record["tshark"] = tshark_summary(entry)
            index[name] = record
            print(f"{name}: {entry['pcap']}")
    with open(os.path.join(outdir, "captures.json"), "w") as f:
        json.dump(index, f, indent=1)
    print(f"captures.py: wrote {len(index)} captures to {outdir}" + (f"; not made: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
