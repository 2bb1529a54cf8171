-- tlslab/fields.lua -- what is on the wire: the constants of docs/PROTOCOL.md, and
-- the fields, expert infos and preference that Wireshark shows and filters on.
-- Part of the tlslab dissector: loaded by scripts/wireshark/tlslab.lua, which documents it.

local env = ...
-- Installed, this file is also in Wireshark's plugin folder, where Wireshark runs every *.lua as a
-- plugin of its own: then it is called without the loader's table and does nothing.
if type(env) ~= "table" or not env.proto then return end

---------------------------------------------------------------------------------------------
-- Protocol constants
---------------------------------------------------------------------------------------------

local VERSION_1_0 = 0x0100
local HEADER_LEN = 5                                -- §2: type(1) version(2) length(2)
local TAG_LEN = 16                                  -- §7.5: AEAD tag
local MAX_CLEAR_LEN = 16384                         -- §2 limits
local MAX_PROTECTED_LEN = 16384 + 256
local DEFAULT_PORTS = { server = 4433, ca = 4434 }

-- §2 ContentType (also the §7.5 inner type, where 23 means application_data)
local CT_ALERT, CT_HANDSHAKE, CT_PROTECTED = 21, 22, 23
local CONTENT_TYPES = { [21] = "alert", [22] = "handshake", [23] = "protected" }
local INNER_TYPES = { [21] = "alert", [22] = "handshake", [23] = "application_data" }

-- §3 HandshakeType
local HT = { client_hello = 1, server_hello = 2, new_session_ticket = 4, client_key_exchange = 16, finished = 20,
             status_request = 64, status_response = 65 }
local HANDSHAKE_TYPES = { [1] = "client_hello", [2] = "server_hello", [4] = "new_session_ticket",
                          [16] = "client_key_exchange",
                          [20] = "finished", [64] = "status_request", [65] = "status_response" }

-- §3.1 ExtensionType
local EXT_SERVER_NAME, EXT_STATUS_STAPLING, EXT_KEY_SHARE, EXT_CERTIFICATE_REQUEST = 0, 5, 51, 64
local EXT_SESSION_TICKET = 35  -- §7.8
-- §7.8 the one byte of a ServerHello's session_ticket
local TICKET_MODES = { [1] = "new_ticket", [2] = "resumed" }
local EXT_REQUESTER = 65  -- in a StatusRequest: who asks the CA (§9)
-- The requester's role (§9) and the name the Info column gives the sender; a role not said (1.0's
-- first form) is drawn as the seed's Client, as tlslab-ca does.
local REQUESTER_ROLES = { [1] = "the client, about the server's certificate (§9)",
                          [2] = "the server, about its own certificate, for its staple (§9.1)",
                          [3] = "the server, about a client's certificate (§9.2)" }
local REQUESTER_PARTY = { [1] = "Client", [2] = "Server", [3] = "Server" }
local REQUESTER_INFO = { [2] = " (for its staple)", [3] = " (about a client's certificate)" }
local EXTENSION_TYPES = { [0] = "server_name", [5] = "status_stapling",
                          [35] = "session_ticket", [51] = "key_share", [64] = "certificate_request",
                          [65] = "requester" }

-- §7.5 cipher suites: key exchange (§7.1 RSA key transport or §7.6 ECDHE), AEAD cipher name in
-- OpenSSL, key length, PRF/transcript hash. The key schedule does not depend on the key exchange.
local SUITES = {
    [0x0A01] = { name = "TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256", kx = "rsa", aead = "gcm",
                 cipher = "aes-128-ctr", key_len = 16, hash = "SHA256" },
    [0x0A02] = { name = "TLSLAB_RSA_OAEP_WITH_AES_256_GCM_SHA384", kx = "rsa", aead = "gcm",
                 cipher = "aes-256-ctr", key_len = 32, hash = "SHA384" },
    [0x0A03] = { name = "TLSLAB_RSA_OAEP_WITH_CHACHA20_POLY1305_SHA256", kx = "rsa", aead = "chacha20-poly1305",
                 cipher = "chacha20", key_len = 32, hash = "SHA256" },
    [0x0B01] = { name = "TLSLAB_ECDHE_WITH_AES_128_GCM_SHA256", kx = "ecdhe", aead = "gcm",
                 cipher = "aes-128-ctr", key_len = 16, hash = "SHA256" },
    [0x0B02] = { name = "TLSLAB_ECDHE_WITH_AES_256_GCM_SHA384", kx = "ecdhe", aead = "gcm",
                 cipher = "aes-256-ctr", key_len = 32, hash = "SHA384" },
    [0x0B03] = { name = "TLSLAB_ECDHE_WITH_CHACHA20_POLY1305_SHA256", kx = "ecdhe", aead = "chacha20-poly1305",
                 cipher = "chacha20", key_len = 32, hash = "SHA256" },
}
local SUITE_NAMES = {}
for value, suite in pairs(SUITES) do SUITE_NAMES[value] = suite.name end

-- §7.6 NamedGroup: the size of a valid key_exchange (x25519: 32 bytes; secp256r1: the
-- uncompressed point 04 || x || y), and SignatureScheme with the certificate key it needs
local GROUPS = { [0x001D] = "x25519", [0x0017] = "secp256r1" }
local GROUP_KEY_LEN = { [0x001D] = 32, [0x0017] = 65 }
local SIGNATURE_SCHEMES = { [0x0804] = "rsa_pss_rsae_sha256", [0x0403] = "ecdsa_secp256r1_sha256" }
local SCHEME_KEY_TYPE = { [0x0804] = "rsa", [0x0403] = "ec" }

-- §9: what the CA's OCSPResponse says (RFC 6960 §4.2.1, CRLReason of RFC 5280 §5.3.1)
local OCSP_RESPONSE_STATUS = { [0] = "successful", [1] = "malformedRequest", [2] = "internalError",
                               [3] = "tryLater", [5] = "sigRequired", [6] = "unauthorized" }
local CRL_REASONS = {
    [0] = "unspecified", [1] = "keyCompromise", [2] = "cACompromise", [3] = "affiliationChanged",
    [4] = "superseded", [5] = "cessationOfOperation", [6] = "certificateHold", [8] = "removeFromCRL",
    [9] = "privilegeWithdrawn", [10] = "aACompromise",
}

-- §8 alerts
local ALERT_LEVELS = { [1] = "warning", [2] = "fatal" }
local ALERT_DESCRIPTIONS = {
    [0] = "close_notify", [10] = "unexpected_message", [20] = "bad_record_mac",
    [22] = "record_overflow", [40] = "handshake_failure", [42] = "bad_certificate",
    [44] = "certificate_revoked", [45] = "certificate_expired", [46] = "certificate_unknown",
    [47] = "illegal_parameter", [48] = "unknown_ca", [50] = "decode_error", [51] = "decrypt_error",
    [70] = "protocol_version", [80] = "internal_error", [110] = "unsupported_extension",
    [113] = "bad_certificate_status_response", [116] = "certificate_required",
}

-- The arrows of the diagram (§1) and the Info column text for each.
local ARROW_TEXT = {
    [1] = "Client → Server", [2] = "Server → Client", [3] = "Client → CA", [4] = "CA → Client",
    [5] = "Client → Server", [6] = "Client → Server", [7] = "Server → Client",
    [8] = "Client ↔ Server",
}
local HANDSHAKE_INFO = {
    [1] = { info = "ClientHello", arrow = 1 },
    [2] = { info = "ServerHello", arrow = 2 },
    [64] = { info = "Status request", arrow = 3 },
    [65] = { info = "Status response", arrow = 4 },
    [16] = { info = "ClientKeyExchange (PRE-MASTER)", arrow = 5 },
}
-- §7.6: arrow 5 of an ECDHE session carries the client's key share, not the PRE-MASTER
local CKE_ECDHE_INFO = "ClientKeyExchange (ECDHE key share)"
local FINISHED_INFO = { client = "Finished (test message)", server = "Finished (ACK)" }

---------------------------------------------------------------------------------------------
-- Fields (every field of every frame) and expert infos
---------------------------------------------------------------------------------------------

local f = {
    frame_type = ProtoField.uint8("tlslab.frame.type", "Content type", base.DEC, CONTENT_TYPES),
    frame_version = ProtoField.uint16("tlslab.frame.version", "Version", base.HEX,
                                      { [VERSION_1_0] = "tlslab 1.0" }),
    frame_length = ProtoField.uint16("tlslab.frame.length", "Length", base.DEC),
    arrow = ProtoField.uint8("tlslab.arrow", "Arrow of the diagram", base.DEC, ARROW_TEXT),

    hs_type = ProtoField.uint8("tlslab.handshake.type", "Handshake type", base.DEC, HANDSHAKE_TYPES),
    hs_length = ProtoField.uint24("tlslab.handshake.length", "Length", base.DEC),

    -- §4 ClientHello
    client_version = ProtoField.uint16("tlslab.client_version", "Client version", base.HEX,
                                       { [VERSION_1_0] = "tlslab 1.0" }),
    client_random = ProtoField.bytes("tlslab.client_random", "RAND-CLIENT"),
    cipher_suites_length = ProtoField.uint16("tlslab.cipher_suites.length", "Cipher suites length", base.DEC),
    cipher_suites = ProtoField.bytes("tlslab.cipher_suites", "Cipher suites"),
    cipher_suite = ProtoField.uint16("tlslab.cipher_suite", "Cipher suite", base.HEX, SUITE_NAMES),
    extensions_length = ProtoField.uint16("tlslab.extensions.length", "Extensions length", base.DEC),
    extension_type = ProtoField.uint16("tlslab.extension.type", "Extension type", base.DEC, EXTENSION_TYPES),
    extension_length = ProtoField.uint16("tlslab.extension.length", "Extension length", base.DEC),
    extension_data = ProtoField.bytes("tlslab.extension.data", "Extension data"),
    server_name_length = ProtoField.uint8("tlslab.server_name.length", "Server name length", base.DEC),
    server_name = ProtoField.string("tlslab.server_name", "Server name"),
    -- §7.6 key_share (51) in ClientHello: the groups offered
    key_share_groups_length = ProtoField.uint16("tlslab.key_share.groups.length", "Groups length", base.DEC),
    key_share_groups = ProtoField.uint16("tlslab.key_share.groups", "Group offered", base.HEX, GROUPS),

    -- §5 ServerHello
    server_version = ProtoField.uint16("tlslab.server_version", "Server version", base.HEX,
                                       { [VERSION_1_0] = "tlslab 1.0" }),
    server_random = ProtoField.bytes("tlslab.server_random", "RAND-SERVER"),
    certificate_length = ProtoField.uint16("tlslab.certificate.length", "CERTIFICATE length", base.DEC),
    certificate = ProtoField.bytes("tlslab.certificate", "CERTIFICATE"),
    public_key_length = ProtoField.uint16("tlslab.server_public_key.length", "SERVER'S PUBLIC KEY length", base.DEC),
    public_key = ProtoField.bytes("tlslab.server_public_key", "SERVER'S PUBLIC KEY"),
    public_key_matches = ProtoField.bool("tlslab.server_public_key.matches_certificate",
                                         "Equals the CERTIFICATE's SubjectPublicKeyInfo"),
    -- §7.6 key_share (51) in ServerHello: the server's ephemeral key, signed
    key_share_group = ProtoField.uint16("tlslab.key_share.group", "Group", base.HEX, GROUPS),
    key_share_public_length = ProtoField.uint8("tlslab.key_share.public.length", "Key share length", base.DEC),
    key_share_public = ProtoField.bytes("tlslab.key_share.public", "Server's ephemeral public key (key_exchange)"),
    signature_scheme = ProtoField.uint16("tlslab.signature_scheme", "Signature scheme", base.HEX, SIGNATURE_SCHEMES),
    signature_length = ProtoField.uint16("tlslab.signature.length", "Signature length", base.DEC),
    signature = ProtoField.bytes("tlslab.signature", "Signature by the CERTIFICATE's key"),
    signed_content = ProtoField.bytes("tlslab.key_share.signed_content",
        "Signed content: RAND-CLIENT || RAND-SERVER || 03 || group || length || key_exchange"),

    -- §7.8 session_ticket (35): the ticket offered (ClientHello), the server's answer (ServerHello)
    session_ticket_length = ProtoField.uint16("tlslab.session_ticket.length", "Ticket length", base.DEC),
    session_ticket = ProtoField.bytes("tlslab.session_ticket", "Ticket offered (sealed by the server)"),
    session_ticket_can_keep = ProtoField.bool("tlslab.session_ticket.can_keep",
                                              "The client can keep a ticket (empty session_ticket)"),
    ticket_mode = ProtoField.uint8("tlslab.session_ticket.mode", "ticket_mode", base.DEC, TICKET_MODES),
    resumed = ProtoField.bool("tlslab.resumed", "Resumed session (§7.8): no CERTIFICATE, no SERVER'S PUBLIC KEY, no arrows 3-5"),
    -- §7.8 NewSessionTicket (protected, after the server's Finished)
    nst_lifetime = ProtoField.uint32("tlslab.new_session_ticket.lifetime_hint", "ticket_lifetime_hint (seconds)",
                                     base.DEC),
    nst_ticket_length = ProtoField.uint16("tlslab.new_session_ticket.ticket.length", "Ticket length", base.DEC),
    nst_ticket = ProtoField.bytes("tlslab.new_session_ticket.ticket", "Ticket (sealed by the server)"),
    -- §9.1 status_stapling (5) in ServerHello: the staple
    staple_length = ProtoField.uint16("tlslab.staple.length", "Staple length", base.DEC),
    staple = ProtoField.bytes("tlslab.staple", "Staple: the CA's OCSP response, fetched by the server ahead of time"),
    staple_asked = ProtoField.bool("tlslab.staple.asked", "The client asks for a staple (status_stapling)"),
    -- §7.7 certificate_request (64): offered in ClientHello, asked for in ServerHello
    certificate_offered = ProtoField.bool("tlslab.certificate_request.offered",
                                          "The client has a certificate (certificate_request)"),
    certificate_request_length = ProtoField.uint16("tlslab.certificate_request.schemes.length",
                                                   "Signature schemes length", base.DEC),
    certificate_request_scheme = ProtoField.uint16("tlslab.certificate_request.scheme",
                                                   "Signature scheme accepted for the client's CertificateVerify",
                                                   base.HEX, SIGNATURE_SCHEMES),
    -- §7.7 the mutual form of ClientKeyExchange: the client's CERTIFICATE and CertificateVerify
    client_certificate_length = ProtoField.uint16("tlslab.client_certificate.length", "Client's CERTIFICATE length",
                                                  base.DEC),
    client_certificate = ProtoField.bytes("tlslab.client_certificate", "Client's CERTIFICATE"),
    certificate_verify_scheme = ProtoField.uint16("tlslab.certificate_verify.scheme", "CertificateVerify scheme",
                                                  base.HEX, SIGNATURE_SCHEMES),
    certificate_verify_length = ProtoField.uint16("tlslab.certificate_verify.length", "CertificateVerify length",
                                                  base.DEC),
    certificate_verify = ProtoField.bytes("tlslab.certificate_verify",
                                          "CertificateVerify: the client's signature over the handshake so far"),

    -- §9 status request / response
    status_certificate_length = ProtoField.uint16("tlslab.status.certificate.length", "CERTIFICATE length", base.DEC),
    status_certificate = ProtoField.bytes("tlslab.status.certificate", "CERTIFICATE"),
    status_certificate_in = ProtoField.framenum("tlslab.status.certificate_in",
                                                "CERTIFICATE seen in ServerHello frame", base.NONE),
    status_nonce_length = ProtoField.uint8("tlslab.status.nonce.length", "Nonce length", base.DEC),
    status_nonce = ProtoField.bytes("tlslab.status.nonce", "Nonce"),
    status_requester = ProtoField.uint8("tlslab.status.requester", "Requester (who asks the CA)", base.DEC,
                                        REQUESTER_ROLES),
    ocsp_response_length = ProtoField.uint16("tlslab.status.ocsp_response.length", "OCSP response length", base.DEC),
    ocsp_response = ProtoField.bytes("tlslab.status.ocsp_response", "OCSP response (signed by the CA)"),

    -- §7.1 ClientKeyExchange
    pre_master_length = ProtoField.uint16("tlslab.encrypted_pre_master.length", "Encrypted PRE-MASTER length", base.DEC),
    pre_master = ProtoField.bytes("tlslab.encrypted_pre_master",
                                  "PRE-MASTER (encrypted with SERVER'S PUBLIC KEY, RSA-OAEP)"),
    -- §7.6 ClientKeyExchange with an ECDHE suite
    cke_public_length = ProtoField.uint8("tlslab.client_key_exchange.public.length", "Key share length", base.DEC),
    cke_public = ProtoField.bytes("tlslab.client_key_exchange.public", "Client's ephemeral public key (key_exchange)"),
    cke_form_from = ProtoField.framenum("tlslab.client_key_exchange.suite_in",
                                        "Form chosen by the cipher suite of the ServerHello in frame", base.NONE),

    -- §7.3 Finished
    verify_data = ProtoField.bytes("tlslab.verify_data", "verify_data"),
    verify_data_expected = ProtoField.bytes("tlslab.verify_data.expected", "Expected verify_data"),
    verify_data_valid = ProtoField.bool("tlslab.verify_data.valid", "verify_data is correct"),

    -- §8 Alert
    alert_level = ProtoField.uint8("tlslab.alert.level", "Alert level", base.DEC, ALERT_LEVELS),
    alert_description = ProtoField.uint8("tlslab.alert.description", "Alert description", base.DEC,
                                         ALERT_DESCRIPTIONS),

    -- §7.5 protected frames
    ciphertext = ProtoField.bytes("tlslab.protected.ciphertext", "Encrypted InnerPlaintext"),
    tag = ProtoField.bytes("tlslab.protected.tag", "AEAD tag"),
    tag_verified = ProtoField.bool("tlslab.protected.tag.verified", "AEAD tag verified by the dissector"),
    sequence = ProtoField.uint64("tlslab.protected.sequence", "Sequence number", base.DEC),
    inner_type = ProtoField.uint8("tlslab.protected.inner_type", "Inner content type", base.DEC, INNER_TYPES),
    app_data = ProtoField.bytes("tlslab.app_data", "Application data"),
    master_secret = ProtoField.string("tlslab.master_secret", "SESSION MASTER KEY (from key log)"),

    -- links between the frames of one handshake
    request_in = ProtoField.framenum("tlslab.request_in", "Request in frame", base.NONE, frametype.REQUEST),
    response_in = ProtoField.framenum("tlslab.response_in", "Response in frame", base.NONE, frametype.RESPONSE),
    http_reassembled_in = ProtoField.framenum("tlslab.http.reassembled_in",
                                              "HTTP message reassembled in frame", base.NONE),
    http_frames = ProtoField.string("tlslab.http.frames", "HTTP message reassembled from frames"),
    http_body_not_reassembled = ProtoField.uint32("tlslab.http.body_not_reassembled",
        "HTTP body bytes so far, not reassembled (message over the work cap)", base.DEC),

    -- §11 key log, as the first pass found it when this session's keys were looked up; the
    -- counters show that a lookup that misses does not re-read the file (issue 16)
    keylog_found = ProtoField.bool("tlslab.keylog.found", "RAND-CLIENT found in the key log"),
    keylog_entries = ProtoField.uint32("tlslab.keylog.entries", "CLIENT_RANDOM lines in the key log", base.DEC),
    keylog_reads = ProtoField.uint32("tlslab.keylog.reads", "Key log file reads so far", base.DEC),
    key_derivations = ProtoField.uint32("tlslab.key_derivations", "Session key derivations so far", base.DEC),
}
env.proto.fields = f

local ei = {
    alert_fatal = ProtoExpert.new("tlslab.expert.alert_fatal", "Fatal alert",
                                  expert.group.RESPONSE_CODE, expert.severity.ERROR),
    alert_warning = ProtoExpert.new("tlslab.expert.alert_warning", "Warning alert",
                                    expert.group.RESPONSE_CODE, expert.severity.NOTE),
    malformed = ProtoExpert.new("tlslab.expert.malformed", "Malformed tlslab frame",
                                expert.group.MALFORMED, expert.severity.ERROR),
    protocol = ProtoExpert.new("tlslab.expert.protocol", "Protocol violation",
                               expert.group.PROTOCOL, expert.severity.WARN),
    not_decrypted = ProtoExpert.new("tlslab.expert.not_decrypted", "Protected frame not decrypted",
                                    expert.group.UNDECODED, expert.severity.NOTE),
    decrypt_failed = ProtoExpert.new("tlslab.expert.decrypt_failed", "Protected frame could not be decrypted",
                                     expert.group.DECRYPTION, expert.severity.WARN),
    implausible = ProtoExpert.new("tlslab.expert.implausible_plaintext",
                                  "Decrypted bytes are not a valid InnerPlaintext",
                                  expert.group.DECRYPTION, expert.severity.WARN),
    verify_failed = ProtoExpert.new("tlslab.expert.verify_failed", "Finished verify_data is wrong",
                                    expert.group.SECURITY, expert.severity.WARN),
    key_mismatch = ProtoExpert.new("tlslab.expert.key_mismatch",
                                   "SERVER'S PUBLIC KEY differs from the CERTIFICATE's",
                                   expert.group.SECURITY, expert.severity.WARN),
    segment = ProtoExpert.new("tlslab.expert.segment", "Frame continues in the next segment",
                              expert.group.REASSEMBLE, expert.severity.NOTE),
    dissector_bug = ProtoExpert.new("tlslab.expert.dissector_bug", "tlslab dissector error",
                                    expert.group.MALFORMED, expert.severity.ERROR),
    work_cap = ProtoExpert.new("tlslab.expert.work_cap", "work cap reached",
                               expert.group.UNDECODED, expert.severity.NOTE),
    resumed = ProtoExpert.new("tlslab.expert.resumed", "resumed: no CERTIFICATE, no SERVER'S PUBLIC KEY",
                              expert.group.SEQUENCE, expert.severity.NOTE),
}
env.proto.experts = { ei.alert_fatal, ei.alert_warning, ei.malformed, ei.protocol, ei.not_decrypted,
                   ei.decrypt_failed, ei.implausible, ei.verify_failed,
                   ei.key_mismatch, ei.segment, ei.dissector_bug, ei.work_cap, ei.resumed }

env.proto.prefs.keylog_file = Pref.string("Key log file", "",
    "NSS key log file (lines \"CLIENT_RANDOM <RAND-CLIENT hex> <master secret hex>\") written by " ..
    "tlslab-client/-server with --keylog or SSLKEYLOGFILE; used to decrypt protected frames.")

return {
    VERSION_1_0 = VERSION_1_0,
    HEADER_LEN = HEADER_LEN,
    TAG_LEN = TAG_LEN,
    MAX_CLEAR_LEN = MAX_CLEAR_LEN,
    MAX_PROTECTED_LEN = MAX_PROTECTED_LEN,
    DEFAULT_PORTS = DEFAULT_PORTS,
    CT_ALERT = CT_ALERT,
    CT_HANDSHAKE = CT_HANDSHAKE,
    CT_PROTECTED = CT_PROTECTED,
    CONTENT_TYPES = CONTENT_TYPES,
    INNER_TYPES = INNER_TYPES,
    HT = HT,
    HANDSHAKE_TYPES = HANDSHAKE_TYPES,
    EXTENSION_TYPES = EXTENSION_TYPES,
    EXT_SERVER_NAME = EXT_SERVER_NAME,
    EXT_KEY_SHARE = EXT_KEY_SHARE,
    EXT_STATUS_STAPLING = EXT_STATUS_STAPLING,
    EXT_CERTIFICATE_REQUEST = EXT_CERTIFICATE_REQUEST,
    EXT_REQUESTER = EXT_REQUESTER,
    EXT_SESSION_TICKET = EXT_SESSION_TICKET,
    TICKET_MODES = TICKET_MODES,
    REQUESTER_ROLES = REQUESTER_ROLES,
    REQUESTER_PARTY = REQUESTER_PARTY,
    REQUESTER_INFO = REQUESTER_INFO,
    SUITES = SUITES,
    GROUPS = GROUPS,
    GROUP_KEY_LEN = GROUP_KEY_LEN,
    SIGNATURE_SCHEMES = SIGNATURE_SCHEMES,
    SCHEME_KEY_TYPE = SCHEME_KEY_TYPE,
    CKE_ECDHE_INFO = CKE_ECDHE_INFO,
    SUITE_NAMES = SUITE_NAMES,
    OCSP_RESPONSE_STATUS = OCSP_RESPONSE_STATUS,
    CRL_REASONS = CRL_REASONS,
    ALERT_LEVELS = ALERT_LEVELS,
    ALERT_DESCRIPTIONS = ALERT_DESCRIPTIONS,
    ARROW_TEXT = ARROW_TEXT,
    HANDSHAKE_INFO = HANDSHAKE_INFO,
    FINISHED_INFO = FINISHED_INFO,
    f = f,
    ei = ei,
}
