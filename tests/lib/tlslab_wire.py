"""The tlslab wire format for the Python tests, written from docs/PROTOCOL.md (section numbers
below refer to it): frames (§2), handshake messages (§3-§9), alerts (§8), the key schedule (§7.2,
§7.3) and record protection (§7.5).

One copy for tests/e2e/attacks.py (raw frames sent to the server), tests/fuzz/make_corpus.py
(frames routed to the fuzzers' corpora) and tests/wireshark/make_pcap.py (whole captures). No
primitive is written here: the PRF is OpenSSL's TLS1-PRF (`openssl kdf`), the AEADs come from the
`cryptography` module, imported only by what encrypts, so that the scripts that only build frames
do not need it.
"""

import struct
import subprocess

# --- constants (§2, §3, §3.1, §7.5, §8) ------------------------------------------------------------
VERSION = 0x0100                                             # tlslab 1.0
HEADER_LEN = 5                                               # type(1) version(2) length(2)
CT_ALERT, CT_HANDSHAKE, CT_PROTECTED = 21, 22, 23            # §2 ContentType
CT_APPLICATION_DATA = 23                                     # §7.5 inner type
HT_CLIENT_HELLO, HT_SERVER_HELLO, HT_CLIENT_KEY_EXCHANGE = 1, 2, 16
HT_FINISHED, HT_STATUS_REQUEST, HT_STATUS_RESPONSE = 20, 64, 65
EXT_SERVER_NAME = 0
ALERT_WARNING, ALERT_FATAL = 1, 2
CLOSE_NOTIFY, UNEXPECTED_MESSAGE, BAD_RECORD_MAC, RECORD_OVERFLOW = 0, 10, 20, 22
CERTIFICATE_REVOKED, DECODE_ERROR = 44, 50

# §7.5: value -> (name, key_len, hash name as OpenSSL and hashlib spell it, AEAD name)
SUITES = {
    0x0A01: ("TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256", 16, "sha256", "aes-gcm"),
    0x0A02: ("TLSLAB_RSA_OAEP_WITH_AES_256_GCM_SHA384", 32, "sha384", "aes-gcm"),
    0x0A03: ("TLSLAB_RSA_OAEP_WITH_CHACHA20_POLY1305_SHA256", 32, "sha256", "chacha20-poly1305"),
}
DEFAULT_OFFER = [0x0A01, 0x0A03, 0x0A02]


# --- integers and vectors (the conventions of PROTOCOL.md) ------------------------------------------
def u8(v): return struct.pack("!B", v)
def u16(v): return struct.pack("!H", v)
def u24(v): return struct.pack("!I", v)[1:]
def vec8(b): return u8(len(b)) + b
def vec16(b): return u16(len(b)) + b


# --- §2 frames ---------------------------------------------------------------------------------------
def frame(content_type, fragment, version=VERSION):
    return u8(content_type) + u16(version) + u16(len(fragment)) + fragment


def split_frames(stream):
    """The frames (header + fragment) of one direction of a connection, in order; the last one may
    be cut short if the stream ends inside it."""
    frames, at = [], 0
    while len(stream) - at >= HEADER_LEN:
        length = struct.unpack("!H", stream[at + 3:at + 5])[0]
        frames.append(stream[at:at + HEADER_LEN + length])
        at += HEADER_LEN + length
    return frames


# --- §3-§9 handshake messages ------------------------------------------------------------------------
def handshake(msg_type, body):
    return u8(msg_type) + u24(len(body)) + body


def server_name_extension(host):
    """§3.1: the one extension of version 1.0, in a ClientHello."""
    return u16(EXT_SERVER_NAME) + vec16(vec8(host.encode()))


def client_hello(random, suites=DEFAULT_OFFER, extensions=b"", suites_bytes=None, version=VERSION):
    """Arrow 1 (§4). `suites_bytes` replaces the suite list with raw bytes (odd or empty lists)."""
    listed = suites_bytes if suites_bytes is not None else b"".join(u16(s) for s in suites)
    return handshake(HT_CLIENT_HELLO, u16(version) + random + vec16(listed) + vec16(extensions))


def server_hello(random, suite, certificate, public_key, extensions=b"", version=VERSION):
    """Arrow 2 (§5): CERTIFICATE and SERVER'S PUBLIC KEY as DER."""
    return handshake(HT_SERVER_HELLO, u16(version) + random + u16(suite) + vec16(certificate)
                     + vec16(public_key) + vec16(extensions))


def status_request(certificate, nonce):
    """Arrow 3 (§9)."""
    return handshake(HT_STATUS_REQUEST, vec16(certificate) + vec8(nonce))


def status_response(ocsp_response):
    """Arrow 4 (§9): a DER OCSPResponse."""
    return handshake(HT_STATUS_RESPONSE, vec16(ocsp_response))


def client_key_exchange(encrypted_pre_master):
    """Arrow 5 (§7.1)."""
    return handshake(HT_CLIENT_KEY_EXCHANGE, vec16(encrypted_pre_master))


def finished(verify_data):
    """Arrows 6 and 7 (§7.3), before protection."""
    return handshake(HT_FINISHED, verify_data)


def alert(description, level=ALERT_FATAL):
    """§8: the 2-byte Alert (a frame's fragment, or a protected frame's content)."""
    return u8(level) + u8(description)


# --- §7.2, §7.3 key schedule -------------------------------------------------------------------------
def prf(hash_name, secret, label, seed, length):
    """TLS 1.2 PRF, P_<hash>(secret, label || seed), by OpenSSL's TLS1-PRF (`openssl kdf`)."""
    out = subprocess.run(["openssl", "kdf", "-keylen", str(length), "-kdfopt", f"digest:{hash_name.upper()}",
                          "-kdfopt", f"hexsecret:{secret.hex()}", "-kdfopt", f"hexseed:{(label + seed).hex()}",
                          "TLS1-PRF"], capture_output=True, text=True, check=True).stdout
    return bytes.fromhex(out.strip().replace(":", ""))


def master_secret(hash_name, pre_master, client_random, server_random):
    return prf(hash_name, pre_master, b"master secret", client_random + server_random, 48)


def key_block(suite, master, client_random, server_random):
    """client_write_key, server_write_key, client_write_iv, server_write_iv."""
    _, key_len, hash_name, _ = SUITES[suite]
    kb = prf(hash_name, master, b"key expansion", server_random + client_random, 2 * key_len + 24)
    return kb[:key_len], kb[key_len:2 * key_len], kb[2 * key_len:2 * key_len + 12], kb[2 * key_len + 12:]


def verify_data(hash_name, master, side, transcript_hash):
    """`side` is "client" or "server"; `transcript_hash` the suite's hash of the transcript."""
    return prf(hash_name, master, side.encode() + b" finished", transcript_hash, 12)


def keylog_line(client_random, master):
    """§11, NSS key log format."""
    return "CLIENT_RANDOM %s %s" % (client_random.hex(), master.hex())


# --- §7.5 protected frames ---------------------------------------------------------------------------
class RecordProtection:
    """One direction of §7.5: AEAD key, IV and a 64-bit sequence number starting at 0."""

    def __init__(self, suite, key, iv):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
        aead = SUITES[suite][3]
        self.aead = (AESGCM if aead == "aes-gcm" else ChaCha20Poly1305)(key)
        self.iv, self.seq = iv, 0

    def seal(self, inner_type, content):
        inner = content + u8(inner_type)
        header = u8(CT_PROTECTED) + u16(VERSION) + u16(len(inner) + 16)
        nonce = bytes(a ^ b for a, b in zip(self.iv, self.seq.to_bytes(12, "big")))
        self.seq += 1
        return header + self.aead.encrypt(nonce, inner, header)
