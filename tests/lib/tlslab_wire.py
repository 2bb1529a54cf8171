"""The tlslab wire format for the Python tests, written from docs/PROTOCOL.md (section numbers
below refer to it): frames (§2), handshake messages (§3-§9), alerts (§8), the key schedule (§7.2,
§7.3), record protection (§7.5) and the ECDHE suites (§7.6: the key_share extension, the signed
content, the ClientKeyExchange's key_exchange, ephemeral keys, shared secrets and signatures).

One copy for tests/e2e/attacks.py (raw frames sent to the server), tests/fuzz/make_corpus.py
(frames routed to the fuzzers' corpora) and tests/wireshark/make_pcap.py (whole captures). No
primitive is written here: the PRF is OpenSSL's TLS1-PRF (`openssl kdf`), the AEADs, X25519, P-256
ECDH, RSA-PSS and ECDSA come from the `cryptography` module, imported only by what encrypts, agrees
or signs, so that the scripts that only build frames do not need it.
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
EXT_SERVER_NAME, EXT_STATUS_STAPLING, EXT_KEY_SHARE, EXT_CERTIFICATE_REQUEST = 0, 5, 51, 64
EXT_REQUESTER = 65  # in a StatusRequest (§9): who asks the CA
REQUESTER_CLIENT, REQUESTER_SERVER_FOR_STAPLE, REQUESTER_SERVER_ABOUT_CLIENT = 1, 2, 3
ALERT_WARNING, ALERT_FATAL = 1, 2
CLOSE_NOTIFY, UNEXPECTED_MESSAGE, BAD_RECORD_MAC, RECORD_OVERFLOW = 0, 10, 20, 22
HANDSHAKE_FAILURE, CERTIFICATE_REVOKED, ILLEGAL_PARAMETER, DECODE_ERROR = 40, 44, 47, 50
DECRYPT_ERROR, UNSUPPORTED_EXTENSION = 51, 110
BAD_CERTIFICATE, CERTIFICATE_EXPIRED, CERTIFICATE_UNKNOWN, UNKNOWN_CA = 42, 45, 46, 48

# §7.5: value -> (name, key_len, hash name as OpenSSL and hashlib spell it, AEAD name)
SUITES = {
    0x0A01: ("TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256", 16, "sha256", "aes-gcm"),
    0x0A02: ("TLSLAB_RSA_OAEP_WITH_AES_256_GCM_SHA384", 32, "sha384", "aes-gcm"),
    0x0A03: ("TLSLAB_RSA_OAEP_WITH_CHACHA20_POLY1305_SHA256", 32, "sha256", "chacha20-poly1305"),
    0x0B01: ("TLSLAB_ECDHE_WITH_AES_128_GCM_SHA256", 16, "sha256", "aes-gcm"),
    0x0B02: ("TLSLAB_ECDHE_WITH_AES_256_GCM_SHA384", 32, "sha384", "aes-gcm"),
    0x0B03: ("TLSLAB_ECDHE_WITH_CHACHA20_POLY1305_SHA256", 32, "sha256", "chacha20-poly1305"),
}
DEFAULT_OFFER = [0x0A01, 0x0A03, 0x0A02]
ECDHE_SUITES = (0x0B01, 0x0B02, 0x0B03)                      # §7.6: the PRE-MASTER is an ECDH secret


def is_ecdhe(suite):
    """Whether `suite` is one of §7.6 (its ClientKeyExchange carries a key_exchange)."""
    return suite in ECDHE_SUITES


# §7.6 NamedGroup (TLS values) and SignatureScheme
GROUP_SECP256R1, GROUP_X25519 = 0x0017, 0x001D
GROUPS = {GROUP_X25519: "x25519", GROUP_SECP256R1: "secp256r1"}
DEFAULT_GROUPS = [GROUP_X25519, GROUP_SECP256R1]              # the default preference
SCHEME_ECDSA_SECP256R1_SHA256, SCHEME_RSA_PSS_RSAE_SHA256 = 0x0403, 0x0804
SIGNATURE_SCHEMES = {SCHEME_RSA_PSS_RSAE_SHA256: "rsa_pss_rsae_sha256",
                     SCHEME_ECDSA_SECP256R1_SHA256: "ecdsa_secp256r1_sha256"}
CURVE_TYPE_NAMED_CURVE = 3                                    # RFC 8422 §5.4 ECCurveType


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
def recv_frame(sock):
    """One whole frame (header and fragment) read from a socket; None once the peer has closed
    (or reset) before a header."""
    header = b""
    try:
        while len(header) < HEADER_LEN:
            data = sock.recv(HEADER_LEN - len(header))
            if not data:
                return None
            header += data
        length, fragment = struct.unpack("!H", header[3:5])[0], b""
        while len(fragment) < length:
            data = sock.recv(length - len(fragment))
            if not data:
                return None
            fragment += data
    except ConnectionResetError:
        return None
    return header + fragment


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


def status_request(certificate, nonce, requester=None):
    """Arrow 3 (§9); with `requester` (REQUESTER_*) the extension list that says who asks, without
    it the form of 1.0's first text."""
    body = vec16(certificate) + vec8(nonce)
    if requester is not None:
        body += vec16(u16(EXT_REQUESTER) + vec16(u8(requester)))
    return handshake(HT_STATUS_REQUEST, body)


def status_response(ocsp_response):
    """Arrow 4 (§9): a DER OCSPResponse."""
    return handshake(HT_STATUS_RESPONSE, vec16(ocsp_response))


def client_key_exchange(encrypted_pre_master):
    """Arrow 5 (§7.1), RSA key transport: opaque encrypted_pre_master<1..2^16-1>."""
    return handshake(HT_CLIENT_KEY_EXCHANGE, vec16(encrypted_pre_master))


def client_key_exchange_ecdhe(key_exchange):
    """Arrow 5 with an ECDHE suite (§7.6): opaque key_exchange<1..2^8-1>, the client's ephemeral
    public key. Same message type as §7.1: the suite chosen in ServerHello says which form it is."""
    return handshake(HT_CLIENT_KEY_EXCHANGE, vec8(key_exchange))


# --- §7.6 the key_share extension and what the server signs ------------------------------------------
def key_share_client_extension(groups=DEFAULT_GROUPS, groups_bytes=None):
    """§7.6, in a ClientHello: NamedGroup groups<2..2^16-2>, the client's preference order.
    `groups_bytes` replaces the list with raw bytes (empty or odd lists)."""
    listed = groups_bytes if groups_bytes is not None else b"".join(u16(g) for g in groups)
    return u16(EXT_KEY_SHARE) + vec16(vec16(listed))


def server_key_share(group, key_exchange, scheme, signature):
    """§7.6 ServerKeyShare: group, key_exchange<1..2^8-1>, scheme, signature<1..2^16-1>."""
    return u16(group) + vec8(key_exchange) + u16(scheme) + vec16(signature)


def key_share_server_extension(group, key_exchange, scheme, signature, data=None):
    """§7.6, in a ServerHello: the ServerKeyShare as extension 51. `data` replaces its bytes
    (a truncated or otherwise broken key share)."""
    return u16(EXT_KEY_SHARE) + vec16(data if data is not None
                                      else server_key_share(group, key_exchange, scheme, signature))


def key_share_signed_content(client_random, server_random, group, key_exchange):
    """§7.6: exactly what the certificate's key signs (TLS 1.2's ServerKeyExchange, RFC 8422 §5.4):
    RAND-CLIENT ‖ RAND-SERVER ‖ 03 (named_curve) ‖ group ‖ uint8 length ‖ key_exchange."""
    return client_random + server_random + u8(CURVE_TYPE_NAMED_CURVE) + u16(group) + vec8(key_exchange)


# --- §7.7 mutual authentication: the certificate_request extension and the mutual form of arrow 5 ---
CERTIFICATE_VERIFY_CONTEXT = b"tlslab 1.0, client CertificateVerify"


def certificate_request_client_extension():
    """§7.7, in a ClientHello: empty, "I have a certificate"."""
    return u16(EXT_CERTIFICATE_REQUEST) + vec16(b"")


def client_key_exchange_mutual(key_field, certificate, scheme, signature):
    """Arrow 5, mutual form (§7.7). `key_field` is the key exchange with its length prefix, as the
    suite gives it: vec16(encrypted_pre_master) (§7.1) or vec8(key_exchange) (§7.6)."""
    return handshake(HT_CLIENT_KEY_EXCHANGE, key_field + vec16(certificate) + u16(scheme) + vec16(signature))


def certificate_verify_content(hash_name, handshake_so_far, signed_fields):
    """§7.7: 64 spaces ‖ context ‖ 00 ‖ Hash(ClientHello ‖ ServerHello ‖ signed_fields), where
    signed_fields are arrow 5's body before `scheme` (the key exchange field and the certificate)."""
    import hashlib
    return b"\x20" * 64 + CERTIFICATE_VERIFY_CONTEXT + b"\x00" + hashlib.new(
        hash_name, handshake_so_far + signed_fields).digest()


def sign_certificate_verify(private_key, hash_name, handshake_so_far, signed_fields, salt_length=32):
    """The client's CertificateVerify (§7.7) with its certificate's key; returns (scheme, signature).
    `salt_length` other than 32 makes an RSA-PSS signature §7.6 refuses."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    scheme = signature_scheme_for(private_key)
    content = certificate_verify_content(hash_name, handshake_so_far, signed_fields)
    parameters = _scheme_parameters(scheme)
    if scheme == SCHEME_RSA_PSS_RSAE_SHA256:
        parameters = (padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt_length), hashes.SHA256())
    return scheme, private_key.sign(content, *parameters)


def parse_server_hello(message):
    """Arrow 2 (§5), a complete handshake message: a dict of its fields; `extensions` maps type to
    extension_data."""
    body = message[4:]
    random, suite = body[2:34], struct.unpack("!H", body[34:36])[0]
    at = 36
    fields = []
    for _ in range(2):
        length = struct.unpack("!H", body[at:at + 2])[0]
        fields.append(body[at + 2:at + 2 + length])
        at += 2 + length
    extensions, end = {}, at + 2 + struct.unpack("!H", body[at:at + 2])[0]
    at += 2
    while at < end:
        kind, length = struct.unpack("!HH", body[at:at + 4])
        extensions[kind] = body[at + 4:at + 4 + length]
        at += 4 + length
    return {"version": struct.unpack("!H", body[0:2])[0], "random": random, "suite": suite,
            "certificate": fields[0], "public_key": fields[1], "extensions": extensions}


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


# --- §7.6 ephemeral keys, the shared secret (the PRE-MASTER) and the key share's signature ------------
class EphemeralKey:
    """A fresh key pair in `group` for one handshake (§7.6), by the `cryptography` module.
    `private` fixes the private key (known-answer tests): 32 bytes for x25519 (RFC 7748), the
    32-byte big-endian scalar for secp256r1. `public` is the key_exchange as on the wire: 32 bytes
    for x25519, the uncompressed point 04 ‖ x ‖ y (65 bytes) for secp256r1."""

    def __init__(self, group, private=None):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, x25519
        self.group = group
        if group == GROUP_X25519:
            self.key = (x25519.X25519PrivateKey.generate() if private is None
                        else x25519.X25519PrivateKey.from_private_bytes(private))
            self.public = self.key.public_key().public_bytes(serialization.Encoding.Raw,
                                                             serialization.PublicFormat.Raw)
        elif group == GROUP_SECP256R1:
            self.key = (ec.generate_private_key(ec.SECP256R1()) if private is None
                        else ec.derive_private_key(int.from_bytes(private, "big"), ec.SECP256R1()))
            self.public = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                             serialization.PublicFormat.UncompressedPoint)
        else:
            raise ValueError("group 0x%04x is not one of §7.6" % group)

    def shared_secret(self, peer_key_exchange):
        """The PRE-MASTER (§7.6): x25519's 32-byte output, or secp256r1's 32-byte x-coordinate of
        the shared point. Raises ValueError for a key_exchange that is not a valid public key of
        the group, and for x25519's all-zero result (a low-order point, RFC 7748 §6.1)."""
        from cryptography.hazmat.primitives.asymmetric import ec, x25519
        if self.group == GROUP_X25519:
            if len(peer_key_exchange) != 32:
                raise ValueError("an x25519 key_exchange is 32 bytes, not %d" % len(peer_key_exchange))
            secret = self.key.exchange(x25519.X25519PublicKey.from_public_bytes(peer_key_exchange))
            if secret == bytes(32):     # OpenSSL may refuse it already; §7.6 says illegal_parameter
                raise ValueError("x25519 result is all zero (low-order point)")
            return secret
        if len(peer_key_exchange) != 65 or peer_key_exchange[0] != 4:
            raise ValueError("a secp256r1 key_exchange is 65 bytes starting with 04")
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), peer_key_exchange)
        return self.key.exchange(ec.ECDH(), peer)   # ECDH's output is the x-coordinate (SEC 1)


def signature_scheme_for(key):
    """§7.6: rsa_pss_rsae_sha256 for an RSA key, ecdsa_secp256r1_sha256 for an EC P-256 key
    (a private or a public key)."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return SCHEME_RSA_PSS_RSAE_SHA256
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) and key.curve.name == "secp256r1":
        return SCHEME_ECDSA_SECP256R1_SHA256
    raise ValueError("§7.6 signs with an RSA or an EC P-256 key, not %s" % type(key).__name__)


def _scheme_parameters(scheme):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    if scheme == SCHEME_RSA_PSS_RSAE_SHA256:    # RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32
        return (padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    if scheme == SCHEME_ECDSA_SECP256R1_SHA256:  # ECDSA P-256 SHA-256, DER (r, s)
        return (ec.ECDSA(hashes.SHA256()),)
    raise ValueError("signature scheme 0x%04x is not one of §7.6" % scheme)


def sign_key_share(private_key, client_random, server_random, group, key_exchange):
    """The server's signature over §7.6's signed content with the certificate's private key;
    returns (scheme, signature)."""
    scheme = signature_scheme_for(private_key)
    content = key_share_signed_content(client_random, server_random, group, key_exchange)
    return scheme, private_key.sign(content, *_scheme_parameters(scheme))


def verify_key_share(public_key, scheme, signature, client_random, server_random, group, key_exchange):
    """The client's check of §7.6: True if `signature` is `public_key`'s over the signed content
    with `scheme` (the one for the key's type), False otherwise."""
    from cryptography.exceptions import InvalidSignature
    if scheme != signature_scheme_for(public_key):
        return False
    content = key_share_signed_content(client_random, server_random, group, key_exchange)
    try:
        public_key.verify(signature, content, *_scheme_parameters(scheme))
    except InvalidSignature:
        return False
    return True


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
