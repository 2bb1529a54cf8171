#!/usr/bin/env python3
"""Records the handshake messages libssl makes, as test vectors for tls_handshake_view_test.

Runs `openssl s_server` and `openssl s_client -msg` on 127.0.0.1 (an ephemeral port) for each
scenario below, with certificates made in a temporary directory (no key leaves it), and writes
one file per scenario next to this script:

    fact NAME HEX                      what the run used or printed (client_random from the key
                                       log, certificate DER as the files say, the OCSP staple)
    handshake DIRECTION NAME HEX       one whole handshake message (msg_type, length, body)
    record_header DIRECTION HEX        the 5-byte header of a record
    alert DIRECTION HEX                an alert's 2 bytes
    change_cipher_spec DIRECTION HEX   its 1 byte

DIRECTION is `client` (the client sent it) or `server`. Each message is also a seed of
tests/fuzz/corpus/fuzz_tls_handshake_view/ (one file per message, named for its run and place).

Usage: capture.py [OUTPUT_DIR [CORPUS_DIR]]
"""
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE.parents[2] / "fuzz" / "corpus" / "fuzz_tls_handshake_view"


def run(*args, cwd):
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_pki(d):
    """A CA, an RSA and an ECDSA server certificate, a client certificate, an OCSP staple."""
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "30", "-subj", "/CN=tlslab view test CA", cwd=d)
    (d / "ext.cnf").write_text("subjectAltName=DNS:localhost\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:1/\n")
    for name, key in (("rsa", ["-newkey", "rsa:2048"]), ("ecdsa", ["-newkey", "ec", "-pkeyopt",
                                                                   "ec_paramgen_curve:P-256"]),
                      ("client", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])):
        run("openssl", "req", *key, "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj",
            f"/CN={'localhost' if name != 'client' else 'tlslab view test client'}", cwd=d)
        run("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "30", "-extfile", "ext.cnf", "-out", f"{name}.pem", cwd=d)
        run("openssl", "x509", "-in", f"{name}.pem", "-outform", "DER", "-out", f"{name}.der", cwd=d)
    # An OCSP response for the RSA server certificate, answered from an index (openssl ocsp, no network).
    serial = subprocess.run(["openssl", "x509", "-in", "rsa.pem", "-noout", "-serial"], cwd=d, check=True,
                            capture_output=True, text=True).stdout.strip().split("=")[1]
    (d / "index.txt").write_text(f"V\t300101000000Z\t\t{serial}\tunknown\t/CN=localhost\n")
    run("openssl", "ocsp", "-issuer", "ca.pem", "-cert", "rsa.pem", "-reqout", "req.der", "-no_nonce", cwd=d)
    run("openssl", "ocsp", "-index", "index.txt", "-rsigner", "ca.pem", "-rkey", "ca.key", "-CA", "ca.pem",
        "-reqin", "req.der", "-respout", "ocsp.der", "-ndays", "30", cwd=d)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


HEADER = re.compile(r"^(>>>|<<<) (\S+ \S+), (\w+) \[length ([0-9a-f]+)\](?:, (\w+))?")


def parse_msg(output):
    """The -msg lines of s_client: (direction, kind, name, bytes)."""
    records, current = [], None
    for line in output.splitlines():
        match = HEADER.match(line)
        if match:
            current = ["client" if match[1] == ">>>" else "server", match[3], match[5] or "", ""]
            records.append(current)
        elif current is not None and line.startswith("    ") and re.fullmatch(r"[0-9a-f ]+", line.strip()):
            current[3] += line.strip().replace(" ", "")
        else:
            current = None
    return records


def capture(d, name, server_args, client_args, out_dir, facts, client_input=""):
    port = free_port()
    # s_server ends when its standard input ends: keep it open until the client is done.
    server = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-naccept", "1", *server_args],
                              cwd=d, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        keylog = d / f"{name}.keylog"
        client = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-msg", "-keylogfile",
                                   str(keylog), *client_args], cwd=d, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(1.0)  # long enough to read a TLS 1.3 server's NewSessionTickets
        if client_input:  # s_client's commands: "k" sends a KeyUpdate
            client.stdin.write(client_input)
            client.stdin.flush()
            time.sleep(0.5)
        output, _ = client.communicate("", timeout=20)
    finally:
        server.stdin.close()
        server.terminate()
        server.wait(timeout=10)
    # The client random is the second field of every key log line but RSA's (RFC: NSS key log format).
    random = next(line.split()[1] for line in keylog.read_text().splitlines()
                  if line.startswith(("CLIENT_RANDOM ", "CLIENT_HANDSHAKE_TRAFFIC_SECRET ")))
    lines = [f"# {name}: captured by capture.py (openssl s_server {' '.join(server_args)}; "
             f"openssl s_client -msg {' '.join(client_args)})",
             f"fact client_random {random.lower()}"]
    for fact, file in facts:
        lines.append(f"fact {fact} {(d / file).read_bytes().hex()}")
    kinds = {"Handshake": "handshake", "RecordHeader": "record_header", "Alert": "alert",
             "ChangeCipherSpec": "change_cipher_spec"}
    for direction, kind, message, data in parse_msg(output):
        if kind not in kinds:
            continue  # InnerContent: TLS 1.3's inner content type byte
        if kind == "Handshake":
            lines.append(f"handshake {direction} {message} {data}")
        else:
            lines.append(f"{kinds[kind]} {direction} {data}")
    (out_dir / f"{name}.txt").write_text("\n".join(lines) + "\n")
    return lines
    print(f"{name}: {sum(1 for l in lines if l.startswith('handshake'))} handshake messages")


def write_seeds(corpus, name, lines):
    corpus.mkdir(parents=True, exist_ok=True)
    for index, line in enumerate(line for line in lines if not line.startswith(("#", "fact "))):
        words = line.split()
        label = "-".join(words[:-1]).replace("_", "-")
        (corpus / f"{name}-{index:02d}-{label}").write_bytes(bytes.fromhex(words[-1]))


def main():
    out_dir = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    corpus = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else CORPUS
    shutil.rmtree(corpus, ignore_errors=True)

    def run_one(d, name, *rest):
        write_seeds(corpus, name, capture(d, name, *rest))

    with tempfile.TemporaryDirectory() as tmp:
        d = pathlib.Path(tmp)
        make_pki(d)
        rsa = ["-cert", "rsa.pem", "-key", "rsa.key"]
        ecdsa = ["-cert", "ecdsa.pem", "-key", "ecdsa.key"]
        mutual_server = ["-Verify", "1", "-verify_return_error", "-CAfile", "ca.pem"]
        mutual_client = ["-cert", "client.pem", "-key", "client.key", "-CAfile", "ca.pem"]
        run_one(d, "tls12_rsa", [*rsa, "-tls1_2", "-cipher", "AES128-GCM-SHA256"],
                ["-tls1_2", "-cipher", "AES128-GCM-SHA256", "-servername", "localhost"], out_dir,
                [("server_certificate", "rsa.der")])
        run_one(d, "tls12_ecdhe_rsa_mutual_status",
                [*rsa, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-status_file", "ocsp.der",
                 *mutual_server],
                ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-status", "-servername", "localhost",
                 *mutual_client], out_dir,
                [("server_certificate", "rsa.der"), ("client_certificate", "client.der"), ("ocsp_response",
                                                                                           "ocsp.der")])
        run_one(d, "tls12_ecdhe_ecdsa", [*ecdsa, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"],
                ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384", "-groups", "secp384r1:prime256v1"], out_dir,
                [("server_certificate", "ecdsa.der")])
        run_one(d, "tls12_dhe_rsa", [*rsa, "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"],
                ["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"], out_dir, [("server_certificate", "rsa.der")])
        run_one(d, "tls13_status", [*rsa, "-tls1_3", "-status_file", "ocsp.der"],
                ["-tls1_3", "-status", "-servername", "localhost"], out_dir,
                [("server_certificate", "rsa.der"), ("ocsp_response", "ocsp.der")], "k\n")
        run_one(d, "tls13_mutual_hrr",
                [*ecdsa, "-tls1_3", "-groups", "secp384r1", "-ciphersuites", "TLS_AES_256_GCM_SHA384",
                 *mutual_server],
                ["-tls1_3", "-groups", "X25519:secp384r1", "-ciphersuites", "TLS_AES_256_GCM_SHA384",
                 *mutual_client], out_dir,
                [("server_certificate", "ecdsa.der"), ("client_certificate", "client.der")])


if __name__ == "__main__":
    main()
