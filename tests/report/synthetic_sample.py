#!/usr/bin/env python3
"""Writes a report's data (the JSON the client embeds in --report pages) without the tlslab
programs: a certificate, an OCSP answer and the key schedule made with the openssl command line,
the frames laid out as docs/PROTOCOL.md says, with the spans the codec would record.

Usage: synthetic_sample.py OUT_DIR [--revoked] [--show-secrets]
Writes OUT_DIR/data.json and OUT_DIR/keylog. Used by the template-only tests (the page must
show what the contract allows, hostile values included) and to work on the page before a build.
The ciphertexts are random bytes (stock openssl cannot seal AES-GCM from the command line); every
other value is what a real run would carry.
"""
import datetime
import json
import os
import re
import subprocess
import sys

SUITES = {
    0x0A01: ("TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256", "SHA256", 16),
    0x0A03: ("TLSLAB_RSA_OAEP_WITH_CHACHA20_POLY1305_SHA256", "SHA256", 32),
    0x0A02: ("TLSLAB_RSA_OAEP_WITH_AES_256_GCM_SHA384", "SHA384", 32),
}


def sh(args, cwd, data=None):
    return subprocess.run(args, cwd=cwd, input=data, capture_output=True, check=True).stdout


def prf(digest, secret, label, seed, length, cwd):
    out = sh(["openssl", "kdf", "-keylen", str(length), "-kdfopt", f"digest:{digest}", "-kdfopt",
              f"hexsecret:{secret.hex()}", "-kdfopt", f"hexseed:{(label.encode() + seed).hex()}", "TLS1-PRF"], cwd)
    return bytes.fromhex(out.decode().strip().replace(":", ""))


class Frame:
    """Bytes and spans built together, as the codec records them."""

    def __init__(self):
        self.bytes = b""

    def leaf(self, name, data):
        span = {"offset": len(self.bytes), "length": len(data), "field": name}
        self.bytes += data
        return span

    def group(self, name, build):
        start = len(self.bytes)
        children = build()
        return {"offset": start, "length": len(self.bytes) - start, "field": name, "children": children}


def u8(n):
    return n.to_bytes(1, "big")


def u16(n):
    return n.to_bytes(2, "big")


def u24(n):
    return n.to_bytes(3, "big")


def handshake_frame(msg_name, msg_type, body_parts):
    """body_parts: list of (name, bytes) or (name, [subparts]) for composites."""
    def body_len(parts):
        return sum(len(p[1]) if isinstance(p[1], bytes) else body_len(p[1]) for p in parts)

    length = body_len(body_parts)
    f = Frame()

    def parts(items):
        out = []
        for name, value in items:
            if isinstance(value, bytes):
                out.append(f.leaf(name, value))
            else:
                out.append(f.group(name, lambda v=value: parts(v)))
        return out

    header = f.group("header", lambda: [f.leaf("type", u8(22)), f.leaf("version", u16(0x0100)),
                                        f.leaf("length", u16(4 + length))])
    message = f.group(msg_name, lambda: [f.leaf("msg_type", u8(msg_type)), f.leaf("length", u24(length))] +
                      parts(body_parts))
    return f.bytes, [header, message]


def protected_frame(inner_name, inner_parts, inner_type, key, iv):
    """A protected frame sealed as §7.5 says (AES-128-GCM, record 0 of its direction: nonce = the
    write IV), and the spans of its inner plaintext. Python's cryptography (python3-cryptography,
    which calls OpenSSL) seals: the openssl command line has no AEAD."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    p = Frame()

    def parts(items):
        return [p.leaf(n, v) for n, v in items]

    message = p.group(inner_name, lambda: parts(inner_parts))
    inner = p.leaf("inner_type", u8(inner_type))
    f = Frame()
    sealed_length = len(p.bytes) + 16
    header_bytes = u8(23) + u16(0x0100) + u16(sealed_length)
    sealed = AESGCM(key).encrypt(iv, p.bytes, header_bytes)
    header = f.group("header", lambda: [f.leaf("type", u8(23)), f.leaf("version", u16(0x0100)),
                                        f.leaf("length", u16(sealed_length))])
    ciphertext = f.leaf("ciphertext", sealed[:-16])
    tag = f.leaf("tag", sealed[-16:])
    return f.bytes, [header, ciphertext, tag], p.bytes, [message, inner]


def alert_frame(description):
    f = Frame()
    header = f.group("header", lambda: [f.leaf("type", u8(21)), f.leaf("version", u16(0x0100)), f.leaf("length", u16(2))])
    alert = f.group("Alert", lambda: [f.leaf("level", u8(2)), f.leaf("description", u8(description))])
    return f.bytes, [header, alert]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pki(work, revoked):
    sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
        "/O=tlslab/CN=tlslab synthetic ca", "-days", "30", "-keyout", "ca.key", "-out", "ca.crt"], work)
    sh(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/O=tlslab/CN=localhost", "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", "server.key", "-out", "server.csr"], work)
    sh(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial",
        "0x" + os.urandom(16).hex(), "-days", "365", "-copy_extensions", "copy", "-out", "server.crt"], work)
    der = sh(["openssl", "x509", "-in", "server.crt", "-outform", "DER"], work)
    spki = sh(["openssl", "pkey", "-pubin", "-outform", "DER"], work,
              sh(["openssl", "x509", "-in", "server.crt", "-noout", "-pubkey"], work))
    serial = sh(["openssl", "x509", "-in", "server.crt", "-noout", "-serial"], work).decode().split("=")[1].strip()
    subject = "/O=tlslab/CN=localhost"
    expiry = (datetime.datetime.utcnow() + datetime.timedelta(days=365)).strftime("%y%m%d%H%M%SZ")
    status = "V\t%s\t\t%s\tunknown\t%s\n" % (expiry, serial, subject)
    if revoked:
        when = datetime.datetime.utcnow().strftime("%y%m%d%H%M%SZ")
        status = "R\t%s\t%s,keyCompromise\t%s\tunknown\t%s\n" % (expiry, when, serial, subject)
    with open(os.path.join(work, "index.txt"), "w") as f:
        f.write(status)
    sh(["openssl", "ocsp", "-issuer", "ca.crt", "-cert", "server.crt", "-reqout", "req.der"], work)
    req_text = sh(["openssl", "ocsp", "-reqin", "req.der", "-req_text"], work).decode()
    nonce = re.search(r"OCSP Nonce:\s*\n\s*04([0-9A-F]{2})([0-9A-F]+)", req_text).group(2).lower()
    sh(["openssl", "ocsp", "-index", "index.txt", "-rsigner", "ca.crt", "-rkey", "ca.key", "-CA", "ca.crt", "-reqin",
        "req.der", "-respout", "resp.der", "-nmin", "60", "-resp_no_certs"], work)
    with open(os.path.join(work, "resp.der"), "rb") as f:
        ocsp = f.read()
    x509_text = sh(["openssl", "x509", "-in", "server.crt", "-noout", "-dates", "-fingerprint", "-sha256"], work).decode()
    ocsp_text = sh(["openssl", "ocsp", "-respin", "resp.der", "-resp_text", "-noverify"], work).decode()
    times = {name: openssl_date(re.search(name + r": (.*)", ocsp_text).group(1))
             for name in ("Produced At", "This Update", "Next Update")}
    if revoked:
        times["Revocation Time"] = openssl_date(re.search(r"Revocation Time: (.*)", ocsp_text).group(1))
    return der, spki, serial.lower(), bytes.fromhex(nonce), ocsp, x509_text, times


def openssl_date(text):
    return datetime.datetime.strptime(text.strip(), "%b %d %H:%M:%S %Y GMT").strftime("%Y-%m-%dT%H:%M:%SZ")


def make(out_dir, revoked=False, show_secrets=False, hostile=False):
    work = os.path.join(out_dir, "pki")
    os.makedirs(work, exist_ok=True)
    der, spki, serial, nonce, ocsp, x509_text, times = pki(work, revoked)
    not_before = openssl_date(re.search(r"notBefore=(.*)", x509_text).group(1))
    not_after = openssl_date(re.search(r"notAfter=(.*)", x509_text).group(1))
    fingerprint = re.search(r"Fingerprint=(.*)", x509_text).group(1).strip()
    suite = 0x0A01
    suite_name, digest, key_len = SUITES[suite]
    rand_client, rand_server = os.urandom(32), os.urandom(32)
    pre_master = b"\x01\x00" + os.urandom(46)
    with open(os.path.join(work, "pub.pem"), "wb") as f:
        f.write(sh(["openssl", "x509", "-in", "server.crt", "-noout", "-pubkey"], work))
    encrypted = sh(["openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-pkeyopt",
                    "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256"],
                   work, pre_master)
    master = prf(digest, pre_master, "master secret", rand_client + rand_server, 48, work)
    key_block = prf(digest, master, "key expansion", rand_server + rand_client, 2 * key_len + 24, work)
    cwk, swk = key_block[:key_len], key_block[key_len:2 * key_len]
    civ, siv = key_block[2 * key_len:2 * key_len + 12], key_block[2 * key_len + 12:]
    host = b"localhost"

    start = datetime.datetime.utcnow()
    elapsed = [0.0]
    events = []

    def event(arrow, frm, to, message, description, fields, frame=None, step=0.35):
        elapsed[0] += step
        e = {"connection": 0, "arrow": arrow, "from": frm, "to": to, "message": message, "description": description,
             "time": iso(start + datetime.timedelta(milliseconds=elapsed[0])), "elapsed_ms": round(elapsed[0], 6),
             "fields": [{"name": n, "value": (None if s and not show_secrets else v), "color": c, "secret": s}
                        for n, v, c, s in fields]}
        if frame:
            e["bytes"], e["spans"] = frame[0].hex(), frame[1]
            if len(frame) > 2 and show_secrets:
                e["plaintext"], e["plaintext_spans"] = frame[2].hex(), frame[3]
        events.append(e)
        return e

    def F(name, value, color="", secret=False):
        return (name, value, color, secret)

    ch = handshake_frame("ClientHello", 1, [
        ("client_version", u16(0x0100)), ("random", rand_client),
        ("cipher_suites", [("length", u16(6)), ("cipher_suite", u16(0x0A01)), ("cipher_suite", u16(0x0A03)),
                           ("cipher_suite", u16(0x0A02))]),
        ("extensions", [("length", u16(4 + 1 + len(host))),
                        ("extension", [("extension_type", u16(0)),
                                       ("extension_data", [("length", u16(1 + len(host))),
                                                           ("host_name.length", u8(len(host))),
                                                           ("host_name", host)])])]),
    ])
    sh_ = handshake_frame("ServerHello", 2, [
        ("server_version", u16(0x0100)), ("random", rand_server), ("cipher_suite", u16(suite)),
        ("certificate.length", u16(len(der))), ("certificate", der),
        ("server_public_key.length", u16(len(spki))), ("server_public_key", spki),
        ("extensions", [("length", u16(0))]),
    ])
    sr = handshake_frame("StatusRequest", 64, [("certificate.length", u16(len(der))), ("certificate", der),
                                               ("nonce.length", u8(len(nonce))), ("nonce", nonce)])
    sresp = handshake_frame("StatusResponse", 65, [("ocsp_response.length", u16(len(ocsp))),
                                                   ("ocsp_response", ocsp)])
    cke = handshake_frame("ClientKeyExchange", 16, [("encrypted_pre_master.length", u16(len(encrypted))),
                                                    ("encrypted_pre_master", encrypted)])
    suites_text = ", ".join(SUITES[s][0] for s in (0x0A01, 0x0A03, 0x0A02))
    name = "localhost"
    if hostile:
        name = '</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
    event(1, "Client", "Server", "ClientHello",
          "client says hello with RAND-CLIENT, sends TLS version, sends cipher suites available to the client",
          [F("RAND-CLIENT", rand_client.hex(), "orange"), F("version", "tlslab/1.0"),
           F("cipher suites", suites_text, "salmon"), F("server name", name)], ch, step=1.9)
    cert_desc = f"/O=tlslab/CN=localhost, serial {serial}, issuer /O=tlslab/CN=tlslab synthetic ca"
    if hostile:
        cert_desc = '<b onmouseover="window.pwned=3">/CN=<i>evil</i></b>&amp; serial ' + serial
    event(2, "Server", "Client", "ServerHello",
          "returns RAND-SERVER, returns accepted cipher suite, returns CERTIFICATE for authentication, returns "
          "SERVER'S PUBLIC KEY",
          [F("RAND-SERVER", rand_server.hex(), "purple"), F("cipher suite", suite_name, "salmon"),
           F("CERTIFICATE", cert_desc, "cyan"),
           F("SERVER'S PUBLIC KEY", spki[:24].hex() + f"… ({len(spki)} bytes)", "brown")], sh_)
    event(0, "Client", "Client", "checks the CERTIFICATE locally",
          "SERVER'S PUBLIC KEY equals the CERTIFICATE's; chain to the trusted CA, validity period, host name",
          [F("trusted CA", "/O=tlslab/CN=tlslab synthetic ca", "darkgreen"),
           F("valid", f"{not_before} .. {not_after}", "green"),
           F("host name", "localhost matches a subjectAltName", "green"),
           F("subjectAltName", "DNS:localhost, IP Address:127.0.0.1", "cyan"),
           F("public key", "RSA 2048 bits", "brown"),
           F("SHA-256 fingerprint", fingerprint, "cyan")])
    event(3, "Client", "CA", "StatusRequest", "sends CERTIFICATE for authentication (with a fresh nonce)",
          [F("CERTIFICATE", f"serial {serial}", "cyan"), F("nonce", nonce.hex())], sr, step=2.1)
    status = "good" if not revoked else f"revoked at {times['Revocation Time']} (keyCompromise)"
    event(4, "CA", "Client", "StatusResponse",
          "sends ACK for the certificate, signed with the CA'S PRIVATE KEY (an OCSP response); the client verifies it "
          "with the CA'S PUBLIC KEY from its local trust store",
          [F("certificate status", status, "green" if not revoked else "red"),
           F("signed by", "/O=tlslab/CN=tlslab synthetic ca (CA'S PRIVATE KEY)", "darkgreen"),
           F("signature", "ecdsa-with-SHA256, verified with CA'S PUBLIC KEY from the local trust store", "darkgreen"),
           F("nonce", "matches ours", "green"),
           F("this/next update", f"{times['This Update']} / {times['Next Update']}"),
           F("produced at", times["Produced At"]), F("OCSP response", f"{len(ocsp)} bytes DER")], sresp, step=1.2)
    outcomes = []
    if revoked:
        bytes_, spans = alert_frame(44)
        elapsed[0] += 0.2
        outcomes.append({"connection": 0, "ok": False,
                         "event": f"handshake failed: certificate_revoked (serial {serial})",
                         "detail": "the CA says the CERTIFICATE is revoked", "time": iso(start + datetime.timedelta(
                             milliseconds=elapsed[0])), "elapsed_ms": round(elapsed[0], 6),
                         "alert": "certificate_revoked", "alert_from": "Client", "alert_to": "Server",
                         "bytes": bytes_.hex(), "spans": spans})
        return {"side": "client", "generated": iso(datetime.datetime.utcnow()), "show_secrets": show_secrets,
                "events": events, "outcomes": outcomes}, master, rand_client
    event(5, "Client", "Server", "ClientKeyExchange",
          "sends a new random value PRE-MASTER, encrypted using SERVER'S PUBLIC KEY (RSA-OAEP)",
          [F("PRE-MASTER (encrypted)", encrypted[:24].hex() + f"… ({len(encrypted)} bytes)", "crimson"),
           F("PRE-MASTER", pre_master.hex(), "crimson", True)], cke, step=1.4)
    event(0, "Client", "Client", "SESSION MASTER KEY",
          f"creates SESSION MASTER KEY using RAND-CLIENT, PRE-MASTER and RAND-SERVER (TLS 1.2 PRF, SHA-256)",
          [F("SESSION MASTER KEY", master.hex(), "forestgreen", True),
           F("client write key", cwk.hex(), "forestgreen", True),
           F("server write key", swk.hex(), "forestgreen", True),
           F("client write IV", civ.hex(), "forestgreen", True),
           F("server write IV", siv.hex(), "forestgreen", True)])
    messages = ch[0][5:] + sh_[0][5:] + cke[0][5:]
    hash_c = sh(["openssl", "dgst", "-" + digest.lower(), "-binary"], work, messages)
    vd_c = prf(digest, master, "client finished", hash_c, 12, work)
    fin_c = b"\x14\x00\x00\x0c" + vd_c
    hash_s = sh(["openssl", "dgst", "-" + digest.lower(), "-binary"], work, messages + fin_c)
    vd_s = prf(digest, master, "server finished", hash_s, 12, work)
    event(6, "Client", "Server", "Finished (test message)",
          "sends test message using SESSION MASTER KEY (Finished: proves the keys and the transcript)",
          [F("verify_data", vd_c.hex(), "forestgreen"), F("transcript hash", hash_c.hex())],
          protected_frame("Finished", [("msg_type", u8(20)), ("length", u24(12)), ("verify_data", vd_c)], 22, cwk, civ))
    event(7, "Server", "Client", "Finished (ACK)",
          "decrypts the test message using SESSION MASTER KEY, returns ACK encrypted using SESSION MASTER KEY "
          "(Finished)",
          [F("verify_data", vd_s.hex(), "forestgreen"), F("transcript hash", hash_s.hex()),
           F("check", "decrypted and verified", "green")],
          protected_frame("Finished", [("msg_type", u8(20)), ("length", u24(12)), ("verify_data", vd_s)], 22, swk, siv), step=0.9)
    elapsed[0] += 0.05
    outcomes.append({"connection": 0, "ok": True, "event": "handshake complete",
                     "detail": f"{suite_name} in {elapsed[0]:.2f} ms (ClientHello to server Finished, CA round trip "
                               "included)", "time": iso(start + datetime.timedelta(milliseconds=elapsed[0])),
                     "elapsed_ms": round(elapsed[0], 6), "alert": "", "alert_from": "", "alert_to": ""})
    if hostile:
        # What a server could make the client quote: a path, a status line, a field of its choosing.
        event(8, "Client", "Server", "GET /<svg onload=window.pwned=4>", '<img src=x onerror="window.pwned=5">', [])
        event(8, "Server", "Client", '200 <b>OK</b> <a href="javascript:window.pwned=6">x</a>', "</script><i>",
              [F("<i>field</i>", "<script>window.pwned=7</script>", "<b>red</b>")])
        for e in events:
            e["description"] = e["description"] + ' <img src=x onerror="window.pwned=8">'
        outcomes[-1]["detail"] += ' <b onmouseover="window.pwned=9">'
    else:
        event(8, "Client", "Server", "GET /", "actual requests, encrypted using SESSION MASTER KEY", [])
        event(8, "Server", "Client", "200 OK (1175 bytes)", "", [])
    return {"side": "client", "generated": iso(datetime.datetime.utcnow()), "show_secrets": show_secrets,
            "events": events, "outcomes": outcomes}, master, rand_client


def main(argv):
    if len(argv) < 2:
        print("usage: synthetic_sample.py OUT_DIR [--revoked] [--show-secrets] [--hostile]", file=sys.stderr)
        return 2
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    data, master, rand_client = make(out_dir, "--revoked" in argv, "--show-secrets" in argv, "--hostile" in argv)
    with open(os.path.join(out_dir, "data.json"), "w") as f:
        json.dump(data, f)
    with open(os.path.join(out_dir, "keylog"), "w") as f:
        f.write(f"CLIENT_RANDOM {rand_client.hex()} {master.hex()}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
