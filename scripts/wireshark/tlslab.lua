-- tlslab.lua -- Wireshark 4.0 (Lua 5.2) dissector for the tlslab wire protocol.
--
-- The normative spec is docs/PROTOCOL.md; section numbers in comments (§n) refer to it.
-- One arrow of the diagram = one frame; the tree and the Info column use the diagram's words
-- (RAND-CLIENT, CERTIFICATE, PRE-MASTER, "test message", "ACK", ...).
--
-- Install: scripts/wireshark/install.sh (copies this file into the personal Lua plugin folder,
-- and the coloring rules of scripts/wireshark/colorfilters into the personal colorfilters),
-- or run once with: tshark -X lua_script:scripts/wireshark/tlslab.lua -r capture.pcap
--
-- Info column: "(n) Sender → Receiver: message" for the arrows 1-8 of the diagram, and
-- "Sender → Receiver: Alert: ..." for alerts: every row of a capture on loopback is
-- 127.0.0.1 → 127.0.0.1, so the dissector says who talks to whom.
--
-- Decryption: set the preference tlslab.keylog_file to an NSS key log written by
-- tlslab-client/-server (--keylog FILE or SSLKEYLOGFILE), e.g.
--   tshark -r x.pcap -X lua_script:tlslab.lua -o tlslab.keylog_file:/tmp/keys.log
-- It needs lua-luaossl (Debian: lua-luaossl) with its openssl.kdf module. Without either, the
-- clear part is shown and an expert item says why the protected part is not. OpenSSL does all
-- the cryptography; the AEAD tags are NOT verified by the dissector (luaossl cannot pass the
-- associated data), the Finished verify_data is (tlslab.verify_data.valid).
--
-- Hostile input (issue 16): a peer must not be able to make the dissector slow. The key log is
-- read again only when it changed; a session's keys are looked up and derived once and each
-- side's Finished checked once; at most MAX_SESSIONS_PER_CONVERSATION handshakes of one connection
-- are analysed; HTTP messages are reassembled up to MAX_HTTP_PENDING bytes. Past a cap, frames are
-- still shown, with the expert note "work cap reached" (tlslab.expert.work_cap).

local tlslab = Proto("tlslab", "tlslab handshake lab protocol")

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
local HT = { client_hello = 1, server_hello = 2, client_key_exchange = 16, finished = 20,
             status_request = 64, status_response = 65 }
local HANDSHAKE_TYPES = { [1] = "client_hello", [2] = "server_hello", [16] = "client_key_exchange",
                          [20] = "finished", [64] = "status_request", [65] = "status_response" }

-- §3.1 ExtensionType (0 defined, the others reserved for later versions)
local EXTENSION_TYPES = { [0] = "server_name", [5] = "status_stapling (reserved)",
                          [35] = "session_ticket (reserved)", [51] = "key_share (reserved)" }

-- §7.5 cipher suites: AEAD cipher name in OpenSSL, key length, PRF/transcript hash
local SUITES = {
    [0x0A01] = { name = "TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256", aead = "gcm",
                 cipher = "aes-128-ctr", key_len = 16, hash = "SHA256" },
    [0x0A02] = { name = "TLSLAB_RSA_OAEP_WITH_AES_256_GCM_SHA384", aead = "gcm",
                 cipher = "aes-256-ctr", key_len = 32, hash = "SHA384" },
    [0x0A03] = { name = "TLSLAB_RSA_OAEP_WITH_CHACHA20_POLY1305_SHA256", aead = "chacha20-poly1305",
                 cipher = "chacha20", key_len = 32, hash = "SHA256" },
}
local SUITE_NAMES = {}
for value, suite in pairs(SUITES) do SUITE_NAMES[value] = suite.name end

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
    [113] = "bad_certificate_status_response",
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

    -- §9 status request / response
    status_certificate_length = ProtoField.uint16("tlslab.status.certificate.length", "CERTIFICATE length", base.DEC),
    status_certificate = ProtoField.bytes("tlslab.status.certificate", "CERTIFICATE"),
    status_certificate_in = ProtoField.framenum("tlslab.status.certificate_in",
                                                "CERTIFICATE seen in ServerHello frame", base.NONE),
    status_nonce_length = ProtoField.uint8("tlslab.status.nonce.length", "Nonce length", base.DEC),
    status_nonce = ProtoField.bytes("tlslab.status.nonce", "Nonce"),
    ocsp_response_length = ProtoField.uint16("tlslab.status.ocsp_response.length", "OCSP response length", base.DEC),
    ocsp_response = ProtoField.bytes("tlslab.status.ocsp_response", "OCSP response (signed by the CA)"),

    -- §7.1 ClientKeyExchange
    pre_master_length = ProtoField.uint16("tlslab.encrypted_pre_master.length", "Encrypted PRE-MASTER length", base.DEC),
    pre_master = ProtoField.bytes("tlslab.encrypted_pre_master",
                                  "PRE-MASTER (encrypted with SERVER'S PUBLIC KEY, RSA-OAEP)"),

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
tlslab.fields = f

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
}
tlslab.experts = { ei.alert_fatal, ei.alert_warning, ei.malformed, ei.protocol, ei.not_decrypted,
                   ei.decrypt_failed, ei.implausible, ei.verify_failed,
                   ei.key_mismatch, ei.segment, ei.dissector_bug, ei.work_cap }

tlslab.prefs.keylog_file = Pref.string("Key log file", "",
    "NSS key log file (lines \"CLIENT_RANDOM <RAND-CLIENT hex> <master secret hex>\") written by " ..
    "tlslab-client/-server with --keylog or SSLKEYLOGFILE; used to decrypt protected frames.")

---------------------------------------------------------------------------------------------
-- Small byte helpers
---------------------------------------------------------------------------------------------

local function to_hex(s)
    return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function from_hex(h)
    return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

local function xor_strings(a, b)                    -- same length
    local out = {}
    for i = 1, #a do out[i] = string.char(bit32.bxor(a:byte(i), b:byte(i))) end
    return table.concat(out)
end

local function uint64_be(n)                         -- Lua numbers are exact up to 2^53
    local out = {}
    for i = 8, 1, -1 do out[i] = string.char(n % 256); n = math.floor(n / 256) end
    return table.concat(out)
end

local function endpoint(address, port) return tostring(address) .. ":" .. tostring(port) end

---------------------------------------------------------------------------------------------
-- Crypto (§7) with lua-luaossl, loaded only if present. OpenSSL does every primitive and the
-- KDF; this file implements none of them.
---------------------------------------------------------------------------------------------
-- - keys (§7.2) and verify_data (§7.3): OpenSSL's "TLS1-PRF" through luaossl's openssl.kdf;
--   without that module nothing is derived and nothing is decrypted (the tree says so);
-- - transcript hash (§7.3): openssl.digest;
-- - protected frames (§7.5): luaossl 20220711 (Debian 12) cannot pass AEAD associated data
--   (its cipher:update always produces output, so OpenSSL treats the bytes as plaintext), and
--   tlslab's associated data is the frame header. So a frame is decrypted with OpenSSL's
--   keystream alone, which is what both AEADs encrypt with: AES in CTR mode from counter block
--   J0+1 = nonce || 00000002 (GCM, NIST SP 800-38D §7.2), ChaCha20 from block counter 1
--   (RFC 8439 §2.8). The 16-byte tag is shown but NOT verified here; the tlslab programs verify
--   every tag. Integrity stays visible through the Finished check (tlslab.verify_data.valid).

local TAG_NOT_VERIFIED = "not verified by the dissector (luaossl cannot pass associated data; " ..
                         "the tlslab programs verify every tag)"

local ossl = {}
do
    local ok_c, cipher = pcall(require, "openssl.cipher")
    local ok_d, digest = pcall(require, "openssl.digest")
    local ok_k, kdf = pcall(require, "openssl.kdf")
    if not (ok_c and ok_d) then
        ossl = { available = false,
                 why = "lua-luaossl is not installed (Debian/Ubuntu: apt install lua-luaossl)" }
    elseif not (ok_k and type(kdf) == "table" and kdf.derive) then
        ossl = { available = false,
                 why = "lua-luaossl has no openssl.kdf module (OpenSSL's TLS1-PRF), so the key " ..
                       "schedule of §7.2 cannot be computed; a newer lua-luaossl has it" }
    else
        ossl = { cipher = cipher, digest = digest, kdf = kdf, available = true }
    end
end

-- §7.2: TLS 1.2 PRF, P_<hash>(secret, label || seed), computed by OpenSSL (EVP_KDF TLS1-PRF).
local function prf(hash, secret, label, seed, length)
    local ok, out = pcall(ossl.kdf.derive, { type = "TLS1-PRF", md = hash, secret = secret,
                                             seed = label .. seed, outlen = length })
    if not ok or type(out) ~= "string" or #out ~= length then
        error("OpenSSL TLS1-PRF failed: " .. tostring(out), 0)
    end
    return out
end

local function hash_of(hash, data)
    return ossl.digest.new(hash):final(data)
end

-- Encrypt `data` with OpenSSL's stream cipher (AES-CTR, ChaCha20): data XOR keystream.
local function stream_xor(cipher_name, key, iv, data)
    local c = ossl.cipher.new(cipher_name)
    c:encrypt(key, iv)
    return (c:update(data) or "") .. (c:final() or "")
end

-- §7.5: nonce = write_iv XOR seq (big-endian, left-padded to 12 bytes). Returns the plaintext
-- (InnerPlaintext) of the fragment's ciphertext part; the tag is not checked (see above).
local function decrypt_protected(suite, dir_keys, seq, fragment)
    local nonce = xor_strings(dir_keys.iv, "\0\0\0\0" .. uint64_be(seq))
    local ciphertext = fragment:sub(1, #fragment - TAG_LEN)
    if suite.aead == "gcm" then
        return stream_xor(suite.cipher, dir_keys.key, nonce .. "\0\0\0\2", ciphertext)
    end
    -- OpenSSL's "chacha20" IV: 32-bit little-endian block counter || 96-bit nonce
    return stream_xor(suite.cipher, dir_keys.key, "\1\0\0\0" .. nonce, ciphertext)
end

---------------------------------------------------------------------------------------------
-- Key log (§11)
---------------------------------------------------------------------------------------------
-- A lookup that misses must not re-read the file: a ClientKeyExchange costs its sender 12 bytes,
-- re-parsing a 2,000-line key log costs us 44 ms, so 2,000 of them in a 26 KB capture held
-- tshark for 89 s (issue 16). The file is read again only when it changed, and then only what
-- was appended, since the programs append one line per session during a live capture.
--
-- "Changed" cannot be the mtime: Lua 5.2 has no stat(), Wireshark 4.0's Lua API has none (Dir
-- lists names only) and neither has luaossl. So a check opens the file, takes its size
-- (seek "end") and reads its KEYLOG_TAIL bytes before the size it had at the last read: same size
-- and same bytes = unchanged; larger with the same bytes = appended (parse from the first line
-- not parsed yet); anything else = rewritten (parse it all again). A rewrite that keeps both the
-- size and those bytes is missed until the capture is reloaded (tlslab.init clears the cache).

local KEYLOG_TAIL = 64

local keylog

local function reset_keylog(path)
    keylog = {
        path = path,
        secrets = {},   -- RAND-CLIENT hex -> master secret
        entries = 0,    -- CLIENT_RANDOM lines known
        size = 0,       -- file size at the last read
        tail = "",      -- its last KEYLOG_TAIL bytes then
        parsed = 0,     -- bytes of complete lines parsed (a line being written is parsed again)
        reads = 0,      -- times the file was parsed (shown as tlslab.keylog.reads)
    }
end
reset_keylog(nil)

-- Parses the CLIENT_RANDOM lines of `text`; returns the length of its complete lines. A last
-- line without its newline is parsed if it is whole, but not counted: it may be half written.
local function parse_keylog(text)
    local complete = 0
    for line, newline in text:gmatch("([^\n]*)(\n?)") do
        local random_hex, master_hex = line:match("^%s*CLIENT_RANDOM%s+(%x+)%s+(%x+)")
        if random_hex and #random_hex == 64 and #master_hex == 96 then
            random_hex = random_hex:lower()
            if not keylog.secrets[random_hex] then keylog.entries = keylog.entries + 1 end
            keylog.secrets[random_hex] = from_hex(master_hex)
        end
        if newline == "" then break end
        complete = complete + #line + 1
    end
    return complete
end

-- Brings the cache up to date with the file; returns nil and the reason if it cannot be read.
local function refresh_keylog()
    local file, err = io.open(keylog.path, "rb")
    if not file then return nil, "cannot read key log: " .. tostring(err) end
    local size = file:seek("end") or 0
    local same_start = false
    if size >= keylog.size then
        file:seek("set", keylog.size - #keylog.tail)
        same_start = (file:read(#keylog.tail) or "") == keylog.tail
    end
    if same_start and size == keylog.size then
        file:close()
        return true                                       -- unchanged
    end
    if not same_start then                                -- new or rewritten: from the start
        local reads = keylog.reads
        reset_keylog(keylog.path)
        keylog.reads = reads
    end
    file:seek("set", keylog.parsed)
    local text = file:read("*a") or ""
    keylog.reads = keylog.reads + 1
    keylog.size = keylog.parsed + #text
    keylog.parsed = keylog.parsed + parse_keylog(text)
    file:seek("set", math.max(0, keylog.size - KEYLOG_TAIL))
    keylog.tail = file:read(KEYLOG_TAIL) or ""
    file:close()
    return true
end

-- Returns the master secret for a RAND-CLIENT, or nil and the reason.
local function master_secret_for(client_random)
    local path = tlslab.prefs.keylog_file
    if path == nil or path == "" then
        return nil, "no key log file set (preference tlslab.keylog_file)"
    end
    if keylog.path ~= path then reset_keylog(path) end
    local wanted = to_hex(client_random)
    if keylog.secrets[wanted] then return keylog.secrets[wanted] end
    local ok, why = refresh_keylog()
    if not ok then return nil, why end
    if keylog.secrets[wanted] then return keylog.secrets[wanted] end
    return nil, "RAND-CLIENT " .. wanted .. " is not in the key log " .. path
end

---------------------------------------------------------------------------------------------
-- Dissection state, rebuilt for every (re)dissection of a capture
---------------------------------------------------------------------------------------------
-- Wireshark dissects a packet several times. On the first, in-order pass (not pinfo.visited)
-- each complete frame is analysed once: handshake state, links, decryption. The result (a
-- "record") is cached by frame number + frame fingerprint; every pass renders from it.

local state

local function reset_state()
    state = {
        conversations = {},      -- endpoint pair -> conversation
        records = {},            -- "number|fingerprint" -> record
        packet_frames = {},      -- number -> list of record keys, in dissection order
        certificate_frames = {}, -- CERTIFICATE DER -> ServerHello frame number
        key_derivations = 0,     -- key blocks computed (tlslab.key_derivations)
    }
    reset_keylog(nil)
end
reset_state()
tlslab.init = reset_state                            -- called before each (re)dissection

function tlslab.prefs_changed()
    reset_keylog(nil)
end

local function conversation_for(pinfo)
    local a, b = endpoint(pinfo.src, pinfo.src_port), endpoint(pinfo.dst, pinfo.dst_port)
    local key = (a < b) and (a .. "-" .. b) or (b .. "-" .. a)
    local conv = state.conversations[key]
    if not conv then
        conv = { pending_status = {}, sessions = 0 }
        state.conversations[key] = conv
    end
    return conv
end

-- "Client → Server", "CA → Client", ... for a frame sent by `dir` ("client" or "server") on
-- this connection, or nil if unknown.
local function sender_to_receiver(conv, dir, pinfo)
    if not dir then return nil end
    local kind = conv.kind
    if not kind then
        local ca_port = (pinfo.src_port == DEFAULT_PORTS.ca or pinfo.dst_port == DEFAULT_PORTS.ca)
        kind = ca_port and "ca" or "server"
    end
    local peer = (kind == "ca") and "CA" or "Server"
    return (dir == "client") and ("Client → " .. peer) or (peer .. " → Client")
end

-- "client" or "server" (the CA is the server of its connection), or nil if unknown.
local function direction(conv, pinfo)
    local src = endpoint(pinfo.src, pinfo.src_port)
    if conv.client then return (src == conv.client) and "client" or "server" end
    if pinfo.dst_port == DEFAULT_PORTS.server or pinfo.dst_port == DEFAULT_PORTS.ca then return "client" end
    if pinfo.src_port == DEFAULT_PORTS.server or pinfo.src_port == DEFAULT_PORTS.ca then return "server" end
    return nil
end

---------------------------------------------------------------------------------------------
-- A bounds-checked reader over a Tvb: never reads past the frame, reports instead
---------------------------------------------------------------------------------------------

local Reader = {}
Reader.__index = Reader

function Reader.new(tvb, offset, length)
    return setmetatable({ tvb = tvb, pos = offset, limit = offset + length }, Reader)
end

function Reader:left() return self.limit - self.pos end

-- TvbRange of the next n bytes (nil when n == 0 or not enough bytes left)
function Reader:take(n)
    if n <= 0 or n > self:left() then return nil end
    local range = self.tvb(self.pos, n)
    self.pos = self.pos + n
    return range
end

function Reader:uint(n)
    local range = self:take(n)
    return range and range:uint(), range
end

---------------------------------------------------------------------------------------------
-- Handshake messages in the clear (§3-§5, §7.1, §9): parse for state on the first pass
---------------------------------------------------------------------------------------------

-- Minimal DER walk: the SubjectPublicKeyInfo inside a Certificate (RFC 5280 §4.1), for the
-- client's check "SERVER'S PUBLIC KEY equals the certificate's" (§5 step 3).
local function der_header(s, p)
    local tag, first = s:byte(p, p + 1)
    if not first then return nil end
    if first < 0x80 then return tag, 2, first end
    local n = first - 0x80
    if n < 1 or n > 3 or p + 1 + n > #s then return nil end
    local len = 0
    for i = 1, n do len = len * 256 + s:byte(p + 1 + i) end
    return tag, 2 + n, len
end

local function certificate_spki(cert)
    local tag, hl = der_header(cert, 1)               -- Certificate SEQUENCE
    if tag ~= 0x30 then return nil end
    local p = 1 + hl
    tag, hl = der_header(cert, p)                     -- tbsCertificate SEQUENCE
    if tag ~= 0x30 then return nil end
    p = p + hl
    local skip = 5                                    -- serial, signature, issuer, validity, subject
    if cert:byte(p) == 0xA0 then skip = 6 end         -- [0] version
    for _ = 1, skip do
        local _, h, l = der_header(cert, p)
        if not h then return nil end
        p = p + h + l
    end
    local t, h, l = der_header(cert, p)
    if t ~= 0x30 then return nil end
    return cert:sub(p, p + h + l - 1)
end

-- The TLV at s[p] when it ends by `stop` (one past the last byte allowed): its tag, and where its
-- contents start and stop; nil if it does not fit.
local function der_tlv(s, p, stop)
    if p >= stop then return nil end
    local tag, header_len, len = der_header(s, p)
    if not tag or p + header_len + len > stop then return nil end
    return tag, p + header_len, p + header_len + len
end

-- What the CA answered (arrow 4), for the Info column: "good", "revoked (keyCompromise)",
-- "unknown", or the responseStatus when it is not successful; nil if the DER does not say.
-- Wireshark's OCSP dissector shows the whole answer in the tree; this walks just far enough:
-- OCSPResponse > responseBytes > BasicOCSPResponse > tbsResponseData > responses > the first
-- SingleResponse > certStatus (RFC 6960 §4.2.1).
local function ocsp_cert_status(der)
    local tag, c, e = der_tlv(der, 1, #der + 1)                    -- OCSPResponse
    if tag ~= 0x30 then return nil end
    local t, sc, se = der_tlv(der, c, e)                            -- responseStatus ENUMERATED
    if t ~= 0x0A or se - sc ~= 1 then return nil end
    local response_status = der:byte(sc)
    if response_status ~= 0 then return OCSP_RESPONSE_STATUS[response_status] or "responseStatus " .. response_status end
    t, c, e = der_tlv(der, se, e)                                   -- [0] EXPLICIT ResponseBytes
    if t ~= 0xA0 then return nil end
    t, c, e = der_tlv(der, c, e)                                    -- ResponseBytes SEQUENCE
    if t ~= 0x30 then return nil end
    local _, _, type_end = der_tlv(der, c, e)                       -- responseType OID
    t, c, e = der_tlv(der, type_end or e, e)                        -- response OCTET STRING
    if t ~= 0x04 then return nil end
    t, c, e = der_tlv(der, c, e)                                    -- BasicOCSPResponse
    if t ~= 0x30 then return nil end
    t, c, e = der_tlv(der, c, e)                                    -- tbsResponseData
    if t ~= 0x30 then return nil end
    local p, stop = c, e
    t, c, e = der_tlv(der, p, stop)
    if t == 0xA0 then p = e; t, c, e = der_tlv(der, p, stop) end    -- [0] version
    if t ~= 0xA1 and t ~= 0xA2 then return nil end                  -- responderID
    t, c, e = der_tlv(der, e, stop)                                 -- producedAt
    if t ~= 0x18 then return nil end
    t, c, e = der_tlv(der, e, stop)                                 -- responses SEQUENCE OF
    if t ~= 0x30 then return nil end
    t, c, e = der_tlv(der, c, e)                                    -- the first SingleResponse
    if t ~= 0x30 then return nil end
    local single_end = e
    t, c, e = der_tlv(der, c, single_end)                           -- certID
    if t ~= 0x30 then return nil end
    t, c, e = der_tlv(der, e, single_end)                           -- certStatus
    if t == 0x80 then return "good" end
    if t == 0x82 then return "unknown" end
    if t ~= 0xA1 then return nil end
    local revoked_end = e                                           -- RevokedInfo
    t, c, e = der_tlv(der, c, revoked_end)                          -- revocationTime
    if t ~= 0x18 then return "revoked" end
    t, c, e = der_tlv(der, e, revoked_end)                          -- [0] EXPLICIT CRLReason
    if t ~= 0xA0 then return "revoked" end
    t, c, e = der_tlv(der, c, e)
    if t ~= 0x0A or e - c ~= 1 then return "revoked" end
    return "revoked (" .. (CRL_REASONS[der:byte(c)] or ("reason " .. der:byte(c))) .. ")"
end

-- Raw fields of a handshake body (strings), or nil when it does not parse; only what the
-- session state needs. The tree rendering re-reads the bytes with full checks.
local function read_vector(s, p, width)
    if p + width - 1 > #s then return nil end
    local n = 0
    for i = 0, width - 1 do n = n * 256 + s:byte(p + i) end
    if p + width + n - 1 > #s then return nil end
    return s:sub(p + width, p + width + n - 1), p + width + n
end

local function parse_server_hello(body)
    if #body < 36 then return nil end
    local sh = { random = body:sub(3, 34), suite = body:byte(35) * 256 + body:byte(36) }
    local p
    sh.certificate, p = read_vector(body, 37, 2)
    if sh.certificate then sh.public_key = read_vector(body, p, 2) end
    return sh
end

---------------------------------------------------------------------------------------------
-- First pass: analyse one complete frame, update the session, return its record
---------------------------------------------------------------------------------------------

local function derive_keys(session)
    local suite = SUITES[session.suite]
    if not suite then return nil, "cipher suite is not one of §7.5" end
    local master, why = master_secret_for(session.client_random)
    if not master then return nil, why end
    if not ossl.available then return nil, ossl.why end
    -- §7.2 key_block = PRF(master_secret, "key expansion", RAND-SERVER || RAND-CLIENT)
    state.key_derivations = state.key_derivations + 1
    local kl = suite.key_len
    local kb = prf(suite.hash, master, "key expansion",
                   session.server_random .. session.client_random, 2 * kl + 24)
    return {
        master = master,
        client = { key = kb:sub(1, kl), iv = kb:sub(2 * kl + 1, 2 * kl + 12) },
        server = { key = kb:sub(kl + 1, 2 * kl), iv = kb:sub(2 * kl + 13, 2 * kl + 24) },
    }
end

-- §7.3 verify_data = PRF(master_secret, "<side> finished", Hash(transcript))[0..11]
local function expected_verify_data(session, side)
    local suite = SUITES[session.suite]
    local transcript = table.concat(session.transcript)
    return prf(suite.hash, session.keys.master, side .. " finished", hash_of(suite.hash, transcript), 12)
end

---------------------------------------------------------------------------------------------
-- HTTP/1.1 message framing (RFC 9112 §6) in a direction's decrypted byte stream
---------------------------------------------------------------------------------------------
-- Fed one record at a time, it scans each byte once and joins a message's pieces once, when the
-- message is complete: appending each record to one buffer and re-parsing it from the start made
-- a 26 MB chunked body cost 26 s and 490 MB (issue 16). A message longer than MAX_HTTP_PENDING is
-- handed over as far as it came, like any message the framer gives up on, with an expert note
-- (work cap reached); the framer then follows its Content-Length or its chunks to the end
-- without keeping the bytes, so that the next message is still found.

local MAX_HTTP_PENDING = 1024 * 1024
local MAX_START_LINE = 8192                          -- no CRLF by then: not HTTP
local MAX_CHUNK_SIZE_LINE = 4096                     -- chunk-size [extensions] CRLF
local MAX_LISTED_FRAMES = 32                         -- in tlslab.http.frames

local function new_http_stream()
    -- pos: stream offset of the next byte; message: the one being framed (nil between messages)
    return { pos = 0, message = nil }
end

local function new_http_message(start)
    return {
        start = start,     -- stream offset of its first byte
        pieces = {},       -- its bytes so far (none kept once it outgrew MAX_HTTP_PENDING)
        length = 0,        -- bytes so far, kept or not
        phase = "head",    -- head, body, chunk_size, chunk_data, trailer
        tail = "",         -- last bytes of the current scan, for a CRLF split between records
        line_seen = false, -- the start line is complete
        need = 0,          -- bytes still to come in body / chunk_data
        size_line = {},    -- the chunk-size line so far
        size_line_length = 0,
        parts = {},        -- records that hold its bytes: { rec, number }
        overflow = false,  -- over MAX_HTTP_PENDING: followed, not kept
    }
end

-- Index in `content` of the last byte of `term`, searching `tail` (bytes scanned before
-- content[i], at most #term - 1 of them are used) followed by content[i..]; nil if absent.
local function find_terminator(tail, content, i, term)
    tail = tail:sub(-(#term - 1))
    if #tail > 0 then
        local at = (tail .. content:sub(i, i + #term - 2)):find(term, 1, true)
        if at then return i + at + #term - 2 - #tail end
    end
    local at = content:find(term, i, true)
    return at and (at + #term - 1) or nil
end

local function add_bytes(message, content, i, j)
    if j < i then return end
    if not message.overflow then message.pieces[#message.pieces + 1] = content:sub(i, j) end
    message.length = message.length + (j - i + 1)
    message.tail = (message.tail .. content:sub(math.max(i, j - 2), j)):sub(-3)
end

-- The head is complete (it ends with the bytes before content[j+1]): how the body is framed.
-- Returns the phase to go on with and the body length, or "end" (the message ends with the head)
-- or "rest" (the message is the rest of what there is: body until close).
local function body_framing(head)
    local line = head:match("^([^\r]*)")
    head = head:lower()
    local te = head:match("\r\ntransfer%-encoding:[ \t]*([^\r]*)")
    if te and te:find("chunked", 1, true) then return "chunk_size" end
    local cl = tonumber(head:match("\r\ncontent%-length:[ \t]*(%d+)") or "")
    if cl then
        if cl == 0 then return "end" end
        return "body", cl
    end
    local status = tonumber(line:match("^HTTP/%d%.%d (%d%d%d)") or "")
    if status and status >= 200 and status ~= 204 and status ~= 304 then return "rest" end
    return "end"
end

local function is_http_start_line(line)
    return line:match("^HTTP/%d%.%d %d%d%d") or line:match("^%u+ %S+ HTTP/%d%.%d$")
end

-- One step of the framer on content[i..]: consumes bytes of the current message and returns
-- the index of the last byte consumed and whether the message ended there.
local function http_step(message, content, i)
    local phase = message.phase
    if phase == "head" then
        local head_end = find_terminator(message.tail, content, i, "\r\n\r\n")
        if not message.line_seen then
            local line_end = find_terminator(message.tail, content, i, "\r\n")
            if line_end then
                message.line_seen = true
                local line = table.concat(message.pieces) .. content:sub(i, line_end)
                if not is_http_start_line(line:sub(1, -3)) then
                    add_bytes(message, content, i, #content)
                    return #content, true                 -- not HTTP: hand over as it is
                end
            end
        end
        if not head_end then
            add_bytes(message, content, i, #content)
            return #content, false
        end
        add_bytes(message, content, i, head_end)
        message.head = table.concat(message.pieces)
        local framing, length = body_framing(message.head)
        if framing == "end" then return head_end, true end
        if framing == "rest" then
            add_bytes(message, content, head_end + 1, #content)
            return #content, true                         -- body until close: what is here
        end
        message.phase, message.need, message.tail = framing, length or 0, ""
        return head_end, false
    elseif phase == "body" or phase == "chunk_data" then
        local j = math.min(#content, i + message.need - 1)
        add_bytes(message, content, i, j)
        message.need = message.need - (j - i + 1)
        if message.need > 0 then return j, false end
        if phase == "body" then return j, true end
        message.phase, message.tail, message.size_line, message.size_line_length = "chunk_size", "", {}, 0
        return j, false
    elseif phase == "chunk_size" then
        local line_end = find_terminator(message.tail, content, i, "\r\n")
        local j = line_end or #content
        add_bytes(message, content, i, j)
        message.size_line[#message.size_line + 1] = content:sub(i, j)
        message.size_line_length = message.size_line_length + (j - i + 1)
        if not line_end then
            if message.size_line_length <= MAX_CHUNK_SIZE_LINE then return j, false end
            add_bytes(message, content, j + 1, #content)
            return #content, true                         -- not chunked framing: hand over
        end
        local size = tonumber(table.concat(message.size_line):match("^%s*(%x+)") or "", 16)
        if not size then
            add_bytes(message, content, j + 1, #content)
            return #content, true
        end
        if size == 0 then
            message.phase, message.tail = "trailer", "\r\n" -- "0 CRLF CRLF" ends at once
        else
            message.phase, message.need = "chunk_data", size + 2   -- data CRLF
        end
        return j, false
    else                                                  -- trailer: fields, then CRLF
        local trailer_end = find_terminator(message.tail, content, i, "\r\n\r\n")
        local j = trailer_end or #content
        add_bytes(message, content, i, j)
        return j, trailer_end ~= nil
    end
end

local function listed_frames(parts)
    local frames, listed = {}, {}
    for _, part in ipairs(parts) do
        if not listed[part.number] then
            listed[part.number] = true
            frames[#frames + 1] = part.number
        end
    end
    local text = {}
    for k = 1, math.min(#frames, MAX_LISTED_FRAMES) do text[k] = tostring(frames[k]) end
    if #frames > MAX_LISTED_FRAMES then text[#text + 1] = "… (" .. #frames .. " frames)" end
    return table.concat(text, ", ")
end

-- A message leaves the framer (complete, or given up on): attach it to the record `rec` it ends
-- in, as bytes of this record or reassembled from several. Of a message given up on after its
-- head, only the head is handed over: HTTP's own dissector calls a cut chunked body malformed.
local function hand_over(message, rec, number, rec_start, head_only)
    local out = { data = head_only and message.head or table.concat(message.pieces) }
    if head_only then out.body_dropped = message.length - #message.head end
    if message.start >= rec_start then
        out.offset = message.start - rec_start            -- entirely inside this record
    else
        out.frames = listed_frames(message.parts)
        for _, part in ipairs(message.parts) do
            if part.rec ~= rec then part.rec.http_reassembled_in = number end
        end
    end
    rec.http[#rec.http + 1] = out
end

-- Feeds a record's application data into its direction's stream; attaches to the record the HTTP
-- messages that end in it.
local function http_feed(stream, rec, content, number)
    rec.http = {}
    if #content == 0 then return end                      -- (§7.5 allows empty records)
    local rec_start = stream.pos
    local i = 1
    while i <= #content do
        local message = stream.message
        if not message then
            message = new_http_message(stream.pos)
            stream.message = message
        end
        local parts = message.parts
        if not message.overflow and (#parts == 0 or parts[#parts].rec ~= rec) then
            parts[#parts + 1] = { rec = rec, number = number }
        end
        local j, ended = http_step(message, content, i)
        stream.pos = stream.pos + (j - i + 1)
        i = j + 1
        if ended then
            if not message.overflow then hand_over(message, rec, number, rec_start) end
            stream.message = nil
        end
    end
    -- Give up on a message that keeps growing: hand over what came, then follow its framing
    -- (body, chunks) without keeping it; a head or start line too long cannot be followed.
    local message = stream.message
    if message and not message.overflow then
        local too_long = message.length >= MAX_HTTP_PENDING or
                         (not message.line_seen and message.length >= MAX_START_LINE)
        if too_long then
            if message.phase == "head" then
                hand_over(message, rec, number, rec_start)
                stream.message = nil
            else
                hand_over(message, rec, number, rec_start, true)
                message.overflow, message.pieces, message.parts = true, {}, {}
                rec.work_cap = string.format("HTTP message over %d bytes: handed over as far as it " ..
                    "came, the rest of it is followed but not reassembled (work cap reached)",
                    MAX_HTTP_PENDING)
            end
        end
    end
end

local function first_line(s)
    return (s:match("^([^\r\n]*)") or ""):sub(1, 80)
end

-- Work per conversation (one TCP endpoint pair) is capped: a session costs at most
-- MAX_KEYLOG_LOOKUPS key log lookups (each re-reads the file only if it changed), one key
-- derivation and two verify_data checks, and only this many sessions are analysed.
local MAX_SESSIONS_PER_CONVERSATION = 8
local MAX_KEYLOG_LOOKUPS = 4                         -- per session: at its ClientKeyExchange, then
                                                     -- at protected frames while the line is missing
local MAX_PENDING_STATUS = 64                        -- status requests not answered yet

local function new_session(ch_number, client_random)
    return {
        ch_number = ch_number, client_random = client_random, transcript = {},
        seq = { client = 0, server = 0 },
        http = { client = new_http_stream(), server = new_http_stream() },
    }
end

-- Analyse a clear handshake frame (§3). `msg` is the complete message as a string.
local function analyse_handshake(conv, rec, msg, pinfo, first_pass)
    local msg_type = msg:byte(1)
    local body = msg:sub(5)
    local known = HANDSHAKE_INFO[msg_type]
    if known then
        rec.info, rec.arrow = known.info, known.arrow
    else
        rec.info = "Handshake (" .. (HANDSHAKE_TYPES[msg_type] or ("unknown type " .. msg_type)) .. ")"
    end
    if msg_type == HT.status_response then
        local ocsp_response = read_vector(body, 1, 2)
        local status = ocsp_response and ocsp_cert_status(ocsp_response)
        if status then rec.info = rec.info .. ": " .. status end
    end
    if not first_pass or conv.capped then return end

    local src = endpoint(pinfo.src, pinfo.src_port)
    if msg_type == HT.client_hello and #body >= 34 then
        conv.client, conv.kind = src, "server"
        -- §6: one handshake per connection; more on one endpoint pair are a reused port pair
        -- or a peer making us work, so only the first few are analysed.
        conv.sessions = conv.sessions + 1
        if conv.sessions > MAX_SESSIONS_PER_CONVERSATION then
            conv.capped = string.format("more than %d handshakes on this connection (work cap reached)",
                                        MAX_SESSIONS_PER_CONVERSATION)
            conv.session = nil
            rec.work_cap = "ClientHello number " .. conv.sessions .. " on this connection: it and " ..
                           "every frame after it are shown, not analysed (work cap reached)"
            return
        end
        conv.session = new_session(pinfo.number, body:sub(3, 34))
        conv.session.ch_rec = rec
        conv.session.transcript[1] = msg
    elseif msg_type == HT.server_hello and conv.session then
        local s = conv.session
        if s.server_random then
            rec.info = rec.info .. " [repeated]"
            rec.violation = "ServerHello repeated (unexpected_message, §6): not analysed"
            return
        end
        local sh = parse_server_hello(body)
        if sh then
            s.server_random, s.suite = sh.random, sh.suite
            s.transcript[#s.transcript + 1] = msg
            s.ch_rec.response_in = pinfo.number
            rec.request_in = s.ch_number
            if sh.certificate then state.certificate_frames[sh.certificate] = pinfo.number end
        end
    elseif msg_type == HT.client_key_exchange and conv.session and conv.session.server_random then
        local s = conv.session
        -- Keys are looked up and derived once per session, whatever else the peer sends.
        if s.key_exchange_in then
            rec.info = rec.info .. " [repeated]"
            rec.violation = "ClientKeyExchange repeated (unexpected_message, §6): not analysed, the " ..
                            "session keys are those of frame " .. s.key_exchange_in
            return
        end
        s.key_exchange_in = pinfo.number
        s.transcript[#s.transcript + 1] = msg
        s.keylog_lookups = 1
        s.keys, s.keys_error = derive_keys(s)
        if tlslab.prefs.keylog_file ~= "" then
            rec.keylog = { found = (s.keys ~= nil or keylog.secrets[to_hex(s.client_random)] ~= nil),
                           why = s.keys_error, entries = keylog.entries, reads = keylog.reads,
                           derivations = state.key_derivations }
        end
    elseif msg_type == HT.status_request then
        conv.client, conv.kind = src, "ca"
        local cert = read_vector(body, 1, 2)
        rec.certificate_in = cert and state.certificate_frames[cert]
        -- a peer that never answers must not grow the queue without bound
        if #conv.pending_status >= MAX_PENDING_STATUS then table.remove(conv.pending_status, 1) end
        table.insert(conv.pending_status, { rec = rec, number = pinfo.number })
    elseif msg_type == HT.status_response then
        local request = table.remove(conv.pending_status, 1)
        if request then
            request.rec.response_in = pinfo.number
            rec.request_in = request.number
        end
    end
end

-- Analyse a protected frame (§7.4, §7.5): sequence number, decryption, inner content.
local function analyse_protected(conv, rec, fragment, pinfo, first_pass)
    local dir = direction(conv, pinfo)
    rec.dir = dir
    local session = conv.session
    if not first_pass then
        rec.info = "Protected frame"
        rec.not_decrypted = "frame was not seen in order on the first pass"
        return
    end
    if conv.capped then
        rec.info = "Protected frame"
        rec.not_decrypted = conv.capped
        return
    end
    if not session or not dir then
        rec.info = "Protected frame"
        rec.not_decrypted = "the handshake of this connection is not in the capture"
        return
    end
    rec.seq = session.seq[dir]
    session.seq[dir] = session.seq[dir] + 1
    local is_finished_slot = (rec.seq == 0)           -- §7.4: a side's first protected frame
    rec.arrow = is_finished_slot and ((dir == "client") and 6 or 7) or 8
    if is_finished_slot then
        rec.info = FINISHED_INFO[dir]
    else
        rec.info = "Protected frame"
    end

    -- Live capture: the programs write a session's key log line only once its Finished verified
    -- (§11), after the ClientKeyExchange went by; so look again, a few times per session.
    if not session.keys and session.key_exchange_in and session.keylog_lookups < MAX_KEYLOG_LOOKUPS then
        session.keylog_lookups = session.keylog_lookups + 1
        session.keys, session.keys_error = derive_keys(session)
    end
    if not session.keys then
        rec.not_decrypted = session.keys_error or "the ClientKeyExchange of this session is not in the capture"
        rec.info = rec.info .. " [not decrypted]"
        return
    end
    if #fragment < TAG_LEN + 1 then return end        -- reported as malformed when rendered
    local ok, plaintext = pcall(decrypt_protected, SUITES[session.suite], session.keys[dir], rec.seq,
                                fragment)
    if not ok then
        rec.decrypt_error = "decryption error: " .. tostring(plaintext)
        return
    end
    rec.master = session.keys.master
    rec.inner_type = plaintext:byte(-1)
    rec.content = plaintext:sub(1, -2)
    -- The tag is not verified here (see "Crypto"), so a modified frame or wrong keys give
    -- garbage instead of an error: say so where the plaintext cannot be what §7 allows.
    local why_implausible
    if not INNER_TYPES[rec.inner_type] then
        why_implausible = "unknown inner type " .. tostring(rec.inner_type)
    elseif is_finished_slot and not (rec.inner_type == CT_HANDSHAKE and
                                     rec.content:sub(1, 4) == "\20\0\0\12" and #rec.content == 16) then
        why_implausible = "a side's first protected frame must be its 16-byte Finished (§7.3, §7.4)"
    elseif rec.inner_type == CT_ALERT and not (#rec.content == 2 and ALERT_LEVELS[rec.content:byte(1)]) then
        why_implausible = "an alert is 2 bytes, level warning or fatal (§8)"
    end
    if why_implausible then
        rec.implausible = why_implausible .. ": wrong keys, or the frame was modified on the wire " ..
                          "(the dissector does not verify the AEAD tag; a receiver answers bad_record_mac)"
    end

    if rec.inner_type == CT_HANDSHAKE then
        local msg_type = rec.content:byte(1)
        if msg_type == HT.finished and not is_finished_slot then
            -- Checked once per side: hashing a transcript per frame would let a peer make us work.
            rec.info = FINISHED_INFO[dir] .. " [out of place]"
            rec.violation = "Finished after this side's first protected frame (unexpected_message, " ..
                            "§6): not checked"
        elseif msg_type == HT.finished then
            rec.info = FINISHED_INFO[dir]
            rec.arrow = (dir == "client") and 6 or 7
            local ok_v, expected = pcall(expected_verify_data, session, dir)
            if ok_v then
                rec.verify_expected = expected
                if rec.content:sub(5, 16) ~= expected then rec.info = rec.info .. " [verify_data wrong]" end
            else
                rec.verify_error = tostring(expected)
            end
            if dir == "client" then session.transcript[#session.transcript + 1] = rec.content end
        else
            rec.info = "Handshake (" .. (HANDSHAKE_TYPES[msg_type or -1] or "unknown") .. ")"
        end
    elseif rec.inner_type == CT_ALERT then
        local description = rec.content:byte(2)
        rec.is_alert = true
        rec.info = "Alert: " .. (ALERT_DESCRIPTIONS[description or -1] or ("unknown " .. tostring(description)))
    elseif rec.inner_type == CT_PROTECTED then      -- inner application_data (23)
        rec.arrow = 8
        rec.info = "Application data"
        http_feed(session.http[dir], rec, rec.content, pinfo.number)
        local lines = {}
        for _, msg in ipairs(rec.http) do lines[#lines + 1] = first_line(msg.data) end
        if #lines > 0 then
            rec.info = rec.info .. " (" .. table.concat(lines, ", ") .. ")"
        elseif #rec.content > 0 then
            rec.info = rec.info .. " (HTTP segment)"
        end
    else
        rec.info = "Protected frame (unknown inner type " .. tostring(rec.inner_type) .. ")"
    end
    if rec.implausible then rec.info = rec.info .. " [garbled]" end
end

local function analyse_frame(tvb, offset, pinfo, first_pass)
    local content_type = tvb(offset, 1):uint()
    local length = tvb(offset + 3, 2):uint()
    local rec = { content_type = content_type }
    local conv = conversation_for(pinfo)
    rec.dir = direction(conv, pinfo)

    if content_type == CT_HANDSHAKE then
        rec.info = "Handshake"
        if length >= 4 then
            analyse_handshake(conv, rec, tvb(offset + HEADER_LEN, length):raw(), pinfo, first_pass)
            rec.dir = direction(conv, pinfo)
        end
    elseif content_type == CT_ALERT then
        local description = (length >= 2) and tvb(offset + HEADER_LEN + 1, 1):uint() or nil
        rec.is_alert = true
        rec.info = "Alert: " .. (ALERT_DESCRIPTIONS[description or -1] or ("unknown " .. tostring(description)))
    elseif content_type == CT_PROTECTED then
        analyse_protected(conv, rec, tvb(offset + HEADER_LEN, length):raw(), pinfo, first_pass)
    else
        rec.info = "Unknown content type " .. content_type
    end
    -- An arrow of the diagram says who talks to whom; otherwise the direction on this connection
    rec.who = (rec.arrow and rec.arrow <= 7 and not rec.is_alert) and ARROW_TEXT[rec.arrow]
              or sender_to_receiver(conv, rec.dir, pinfo)
    return rec
end

---------------------------------------------------------------------------------------------
-- Rendering: the tree of one frame, on every pass, from the tvb and the cached record
---------------------------------------------------------------------------------------------

local media_types = DissectorTable.get("media_type")
local sub_dissectors = {
    -- X.509 Certificate (x509af) as registered for BER syntax "Certificate"; the media type
    -- application/pkix-cert works too but adds a "PKIX CERT File Format" level.
    certificate = DissectorTable.get("ber.syntax"):get_dissector("Certificate")
                  or media_types:get_dissector("application/pkix-cert"),
    ocsp = media_types:get_dissector("application/ocsp-response"),          -- OCSPResponse
    http = Dissector.get("http"),
}
do  -- SubjectPublicKeyInfo: x509af registers it for PEM's "PUBLIC KEY" label (RFC 7468)
    local ok, pem_labels = pcall(DissectorTable.get, "rfc7468.preeb_label")
    if ok and pem_labels then sub_dissectors.public_key = pem_labels:get_dissector("PUBLIC KEY") end
end

local function call_sub_dissector(dissector, range, pinfo, tree)
    if not dissector or not range then return end
    local ok, err = pcall(function() dissector:call(range:tvb(), pinfo, tree) end)
    if not ok then tree:add_proto_expert_info(ei.malformed, "sub-dissector failed: " .. tostring(err)) end
end

local function malformed(tree, text) tree:add_proto_expert_info(ei.malformed, text) end

-- opaque x<...> with a `width`-byte length (§ conventions); adds length and data items.
local function add_vector(r, tree, length_field, data_field, width, min, max, what)
    local n, n_range = r:uint(width)
    if not n then
        malformed(tree, what .. ": length field truncated")
        return nil
    end
    tree:add(length_field, n_range)
    if n < min or n > max then malformed(tree, string.format("%s: length %d outside %d..%d", what, n, min, max)) end
    if n > r:left() then
        malformed(tree, string.format("%s: length %d but only %d bytes left", what, n, r:left()))
        r.pos = r.limit
        return nil
    end
    local data = r:take(n)
    if data then return tree:add(data_field, data), data end
    return nil
end

local function render_extensions(r, tree)
    local total, total_range = r:uint(2)
    if not total then malformed(tree, "extensions: length field truncated"); return end
    tree:add(f.extensions_length, total_range)
    if total > r:left() then malformed(tree, "extensions: length runs past the message"); total = r:left() end
    local ext_reader = Reader.new(r.tvb, r.pos, total)
    r.pos = r.pos + total
    local seen = {}
    while ext_reader:left() > 0 do
        local start = ext_reader.pos
        local ext_type, type_range = ext_reader:uint(2)
        local ext_len, len_range = ext_reader:uint(2)
        if not ext_len then malformed(tree, "extension header truncated"); return end
        local ext_tree = tree:add(r.tvb(start, math.min(4 + ext_len, ext_reader.limit - start)),
                                  "Extension: " .. (EXTENSION_TYPES[ext_type] or ("unknown (" .. ext_type .. ")")))
        ext_tree:add(f.extension_type, type_range)
        ext_tree:add(f.extension_length, len_range)
        if seen[ext_type] then malformed(ext_tree, "extension type appears twice (decode_error, §3.1)") end
        seen[ext_type] = true
        if ext_len > ext_reader:left() then malformed(ext_tree, "extension data runs past the list"); return end
        local data = Reader.new(r.tvb, ext_reader.pos, ext_len)
        ext_reader.pos = ext_reader.pos + ext_len
        if ext_type == 0 then                          -- server_name: opaque host_name<1..255>
            local item, name = add_vector(data, ext_tree, f.server_name_length, f.server_name, 1, 1, 255, "server_name")
            if item then ext_tree:append_text(": " .. name:string()) end
        elseif ext_len > 0 then
            ext_tree:add(f.extension_data, data:take(ext_len))
        end
        if data:left() > 0 then malformed(ext_tree, "trailing bytes in extension data") end
    end
end

local function render_client_hello(r, tree)
    local _, v = r:uint(2)
    if not v then return malformed(tree, "ClientHello truncated") end
    tree:add(f.client_version, v)
    local random = r:take(32)
    if not random then return malformed(tree, "RAND-CLIENT truncated") end
    tree:add(f.client_random, random)
    local n, n_range = r:uint(2)
    if not n then return malformed(tree, "cipher_suites truncated") end
    tree:add(f.cipher_suites_length, n_range)
    if n < 2 or n % 2 ~= 0 then malformed(tree, "cipher_suites: empty or odd length (decode_error, §4)") end
    if n > r:left() then return malformed(tree, "cipher_suites run past the message") end
    local suites = r:take(n)
    if suites then
        local st = tree:add(f.cipher_suites, suites)
        st:set_text(string.format("Cipher suites (%d suites, client's preference order)", math.floor(n / 2)))
        for i = 0, n - 2, 2 do st:add(f.cipher_suite, suites(i, 2)) end
    end
    render_extensions(r, tree)
end

local function render_server_hello(r, tree, pinfo)
    local _, v = r:uint(2)
    if not v then return malformed(tree, "ServerHello truncated") end
    tree:add(f.server_version, v)
    local random = r:take(32)
    if not random then return malformed(tree, "RAND-SERVER truncated") end
    tree:add(f.server_random, random)
    local _, suite = r:uint(2)
    if not suite then return malformed(tree, "cipher_suite truncated") end
    tree:add(f.cipher_suite, suite):append_text(" (chosen)")
    local cert_item, cert = add_vector(r, tree, f.certificate_length, f.certificate, 2, 1, 65535, "CERTIFICATE")
    if cert_item then call_sub_dissector(sub_dissectors.certificate, cert, pinfo, cert_item) end
    local key_item, key = add_vector(r, tree, f.public_key_length, f.public_key, 2, 1, 65535, "SERVER'S PUBLIC KEY")
    if key_item then
        call_sub_dissector(sub_dissectors.public_key, key, pinfo, key_item)
        if cert then
            local spki = certificate_spki(cert:raw())
            if spki then
                local same = (spki == key:raw())
                key_item:add(f.public_key_matches, key, same):set_generated()
                if not same then key_item:add_proto_expert_info(ei.key_mismatch) end
            end
        end
    end
    if not cert_item or not key_item then return end
    render_extensions(r, tree)
end

local function render_status_request(r, tree, pinfo, rec)
    local cert_item, cert = add_vector(r, tree, f.status_certificate_length, f.status_certificate,
                                       2, 1, 65535, "CERTIFICATE")
    if cert_item then
        call_sub_dissector(sub_dissectors.certificate, cert, pinfo, cert_item)
        if rec.certificate_in then
            tree:add(f.status_certificate_in, rec.certificate_in):set_generated()
        end
    end
    if cert_item then add_vector(r, tree, f.status_nonce_length, f.status_nonce, 1, 16, 32, "nonce") end
end

local function render_status_response(r, tree, pinfo)
    local item, der = add_vector(r, tree, f.ocsp_response_length, f.ocsp_response, 2, 1, 65535, "ocsp_response")
    if item then call_sub_dissector(sub_dissectors.ocsp, der, pinfo, item) end
end

local function render_client_key_exchange(r, tree, rec)
    local item, pre_master = add_vector(r, tree, f.pre_master_length, f.pre_master, 2, 1, 65535,
                                        "encrypted_pre_master")
    local k = rec.keylog
    if not (item and k) then return end
    local kt = tree:add(pre_master, "Key log (§11): " .. (k.found and "SESSION MASTER KEY found"
                                                          or ("not decrypted: " .. tostring(k.why))))
    kt:set_generated()
    kt:add(f.keylog_found, pre_master, k.found):set_generated()
    kt:add(f.keylog_entries, pre_master, k.entries):set_generated()
    kt:add(f.keylog_reads, pre_master, k.reads):set_generated()
    kt:add(f.key_derivations, pre_master, k.derivations):set_generated()
end

local function render_finished(r, tree, rec)
    local verify = r:take(12)
    if not verify then return malformed(tree, "verify_data must be 12 bytes (§7.3)") end
    local item = tree:add(f.verify_data, verify)
    if rec.verify_expected then
        local valid = (verify:raw() == rec.verify_expected)
        -- (4.0: a bytes field takes its value as a raw string as long as the range)
        tree:add(f.verify_data_expected, verify, rec.verify_expected):set_generated()
        tree:add(f.verify_data_valid, verify, valid):set_generated()
        if not valid then item:add_proto_expert_info(ei.verify_failed, "verify_data does not match the " ..
                "transcript: the peer answers decrypt_error (§7.3), or bad_record_mac if the frame was " ..
                "modified on the wire (the dissector does not verify the AEAD tag)") end
    elseif rec.verify_error then
        item:add_proto_expert_info(ei.decrypt_failed, "expected verify_data not computed: " .. rec.verify_error)
    end
end

-- One handshake message (§3) at tvb[offset, offset+length).
local function render_handshake(tvb, offset, length, pinfo, tree, rec)
    local r = Reader.new(tvb, offset, length)
    local msg_type, type_range = r:uint(1)
    local body_len, len_range = r:uint(3)
    if not body_len then return malformed(tree, "handshake header truncated (needs 4 bytes, §3)") end
    local name = HANDSHAKE_TYPES[msg_type] or "unknown"
    local ht = tree:add(tvb(offset, length), "Handshake: " .. name)
    ht:add(f.hs_type, type_range)
    ht:add(f.hs_length, len_range)
    if not HANDSHAKE_TYPES[msg_type] then
        ht:add_proto_expert_info(ei.protocol, "unknown handshake type " .. msg_type .. " (unexpected_message, §3)")
        return
    end
    if body_len ~= r:left() then
        malformed(ht, string.format("handshake length %d but the frame holds %d bytes (%s, §2)",
                                    body_len, r:left(), body_len > r:left() and "decode_error" or "trailing bytes"))
        if body_len > r:left() then return end
    end
    local body = Reader.new(tvb, r.pos, body_len)
    if msg_type == HT.client_hello then render_client_hello(body, ht)
    elseif msg_type == HT.server_hello then render_server_hello(body, ht, pinfo)
    elseif msg_type == HT.client_key_exchange then render_client_key_exchange(body, ht, rec)
    elseif msg_type == HT.status_request then render_status_request(body, ht, pinfo, rec)
    elseif msg_type == HT.status_response then render_status_response(body, ht, pinfo)
    elseif msg_type == HT.finished then render_finished(body, ht, rec)
    end
    if body:left() > 0 then malformed(ht, body:left() .. " trailing bytes after the message (decode_error, §2)") end
end

local function render_alert(tvb, offset, length, tree)
    if length ~= 2 then malformed(tree, "an alert is 2 bytes (§8), this one " .. length) end
    if length < 2 then return end
    local level, description = tvb(offset, 1):uint(), tvb(offset + 1, 1):uint()
    local at = tree:add(tvb(offset, 2), "Alert: " .. (ALERT_LEVELS[level] or "unknown level") .. ", " ..
                        (ALERT_DESCRIPTIONS[description] or ("unknown (" .. description .. ")")))
    at:add(f.alert_level, tvb(offset, 1))
    at:add(f.alert_description, tvb(offset + 1, 1))
    local text = (ALERT_DESCRIPTIONS[description] or "unknown alert") .. " (" .. (ALERT_LEVELS[level] or "?") .. ")"
    if level == 1 and description == 0 then
        at:add_proto_expert_info(ei.alert_warning, "Alert: " .. text)
    else                                             -- §8: everything but close_notify is fatal
        at:add_proto_expert_info(ei.alert_fatal, "Alert: " .. text)
    end
end

local function render_http(rec, dtvb, content_offset, pinfo, tree)
    for _, msg in ipairs(rec.http or {}) do
        local htvb
        if msg.offset then
            htvb = dtvb(content_offset + msg.offset, #msg.data):tvb()
        else
            htvb = ByteArray.new(msg.data, true):tvb("Reassembled HTTP")
            tree:add(f.http_frames, msg.frames):set_generated()
        end
        local ok, err = pcall(function() sub_dissectors.http:call(htvb, pinfo, tree) end)
        if not ok then tree:add_proto_expert_info(ei.malformed, "HTTP dissector failed: " .. tostring(err)) end
        if msg.body_dropped then
            tree:add(f.http_body_not_reassembled, msg.body_dropped):set_generated()
        end
    end
    if rec.http_reassembled_in then
        tree:add(f.http_reassembled_in, rec.http_reassembled_in):set_generated()
    end
end

local function render_protected(tvb, offset, length, pinfo, tree, rec)
    local frag = offset + HEADER_LEN
    if length < TAG_LEN + 1 then
        return malformed(tree, "protected frame shorter than inner type + 16-byte tag (§7.5)")
    end
    tree:add(f.ciphertext, tvb(frag, length - TAG_LEN))
    local tag_item = tree:add(f.tag, tvb(frag + length - TAG_LEN, TAG_LEN))
    if rec.inner_type then
        -- Decrypted: say that the tag was not checked, as a plain line. (An expert note on every
        -- decrypted frame colored each one and read like a failure; issue 12.)
        local tag_range = tvb(frag + length - TAG_LEN, TAG_LEN)
        tag_item:add(f.tag_verified, tag_range, false):set_generated()
        tag_item:add(tag_range, "AEAD tag " .. TAG_NOT_VERIFIED):set_generated()
    end
    if rec.seq then
        tree:add(f.sequence, tvb(offset, HEADER_LEN), UInt64.new(rec.seq)):set_generated()
    end
    if rec.not_decrypted then
        tree:add_proto_expert_info(ei.not_decrypted, "Not decrypted: " .. rec.not_decrypted)
        return
    end
    if rec.decrypt_error then
        tree:add_proto_expert_info(ei.decrypt_failed, rec.decrypt_error)
        return
    end
    if not rec.inner_type then return end
    if rec.master and rec.inner_type == CT_HANDSHAKE then
        tree:add(f.master_secret, tvb(offset, HEADER_LEN), to_hex(rec.master)):set_generated()
    end

    -- Decrypted InnerPlaintext = content || type (§7.5), shown in its own tab.
    local dtvb = ByteArray.new(rec.content .. string.char(rec.inner_type), true):tvb("Decrypted tlslab frame")
    local n = #rec.content
    local it = tree:add(dtvb(), "Decrypted InnerPlaintext (" .. n .. " bytes of " ..
                        (INNER_TYPES[rec.inner_type] or "unknown") .. ")")
    it:add(f.inner_type, dtvb(n, 1))
    if rec.implausible then it:add_proto_expert_info(ei.implausible, rec.implausible) end
    if rec.inner_type == CT_HANDSHAKE then
        if n == 0 then return malformed(it, "empty handshake content (decode_error, §7.5)") end
        render_handshake(dtvb, 0, n, pinfo, it, rec)
    elseif rec.inner_type == CT_ALERT then
        if n == 0 then return malformed(it, "empty alert content (decode_error, §7.5)") end
        render_alert(dtvb, 0, n, it)
    elseif rec.inner_type == CT_PROTECTED then
        if n > 0 then it:add(f.app_data, dtvb(0, n)) end
        render_http(rec, dtvb, 0, pinfo, tree)
    else
        it:add_proto_expert_info(ei.protocol, "unknown inner type (unexpected_message, §7.5)")
    end
    if n > MAX_CLEAR_LEN then malformed(it, "inner content over 16384 bytes (record_overflow, §2)") end
end

local function render_frame(tvb, offset, length, pinfo, tree, rec)
    local frame_range = tvb(offset, HEADER_LEN + length)
    local label = "tlslab " .. (CONTENT_TYPES[rec.content_type] or "unknown") .. " frame: " .. (rec.info or "")
    if rec.arrow and not rec.is_alert then
        label = label .. " — arrow " .. rec.arrow .. (rec.who and (", " .. rec.who) or "")
    elseif rec.who then
        label = label .. " — " .. rec.who
    end
    local ft = tree:add(tlslab, frame_range)
    ft:set_text(label)
    ft:add(f.frame_type, tvb(offset, 1))
    local version_item = ft:add(f.frame_version, tvb(offset + 1, 2))
    if tvb(offset + 1, 2):uint() ~= VERSION_1_0 then
        version_item:add_proto_expert_info(ei.protocol, "unsupported version (protocol_version, §2)")
    end
    ft:add(f.frame_length, tvb(offset + 3, 2))
    if rec.arrow then ft:add(f.arrow, tvb(offset, HEADER_LEN), rec.arrow):set_generated() end
    if rec.request_in then ft:add(f.request_in, rec.request_in):set_generated() end
    if rec.response_in then ft:add(f.response_in, rec.response_in):set_generated() end
    if rec.violation then ft:add_proto_expert_info(ei.protocol, rec.violation) end
    if rec.work_cap then ft:add_proto_expert_info(ei.work_cap, rec.work_cap) end

    if rec.content_type == CT_HANDSHAKE then
        render_handshake(tvb, offset + HEADER_LEN, length, pinfo, ft, rec)
    elseif rec.content_type == CT_ALERT then
        render_alert(tvb, offset + HEADER_LEN, length, ft)
    elseif rec.content_type == CT_PROTECTED then
        render_protected(tvb, offset, length, pinfo, ft, rec)
    else
        ft:add_proto_expert_info(ei.protocol, "unknown content type (unexpected_message, §2)")
    end
end

---------------------------------------------------------------------------------------------
-- Framing over TCP (§2): several frames per segment, frames across segments
---------------------------------------------------------------------------------------------

local function max_length(content_type)
    return (content_type == CT_PROTECTED) and MAX_PROTECTED_LEN or MAX_CLEAR_LEN
end

-- Key of a frame inside a packet: TCP may hand us the same packet in several calls (the end of
-- a reassembled frame, then the rest of the segment), so the position alone is not enough.
local function frame_key(tvb, offset, length, pinfo)
    local frag = offset + HEADER_LEN
    local head = tvb(offset, HEADER_LEN):raw() .. tvb(frag, math.min(length, 8)):raw()
    local tail = tvb(frag + length - math.min(length, 16), math.min(length, 16)):raw()
    return pinfo.number .. "|" .. head .. tail
end

local function handle_frame(tvb, offset, length, pinfo, tree)
    local key = frame_key(tvb, offset, length, pinfo)
    local rec = state.records[key]
    if not rec then
        rec = analyse_frame(tvb, offset, pinfo, not pinfo.visited)
        state.records[key] = rec
        local list = state.packet_frames[pinfo.number] or {}
        list[#list + 1] = key
        state.packet_frames[pinfo.number] = list
    end
    local ok, err = pcall(render_frame, tvb, offset, length, pinfo, tree, rec)
    if not ok then tree:add_proto_expert_info(ei.dissector_bug, "tlslab dissector error: " .. tostring(err)) end
end

-- Info: "(2) Server → Client: ServerHello", "CA → Client: Alert: decode_error"; the frames of
-- one segment all go the same way, so the direction is said once:
-- "(5) Client → Server: ClientKeyExchange (PRE-MASTER), (6) Finished (test message)".
local MAX_INFO_FRAMES = 16

local function set_columns(pinfo)
    pinfo.cols.protocol:clear_fence()               -- HTTP, OCSP fence their column text
    pinfo.cols.info:clear_fence()
    pinfo.cols.protocol = "tlslab"
    local keys = state.packet_frames[pinfo.number] or {}
    local texts, said_who = {}, nil
    for k = 1, math.min(#keys, MAX_INFO_FRAMES) do
        local rec = state.records[keys[k]]
        local text = rec.info or ""
        if rec.who and rec.who ~= said_who then
            text = rec.who .. ": " .. text
            said_who = rec.who
        end
        if rec.arrow and not rec.is_alert then text = "(" .. rec.arrow .. ") " .. text end
        texts[#texts + 1] = text
    end
    if #keys > MAX_INFO_FRAMES then
        texts[#texts + 1] = "… (" .. #keys .. " tlslab frames in this segment)"
    end
    if #texts > 0 then pinfo.cols.info = table.concat(texts, ", ") end
end

-- A header the receiver rejects before reading the fragment (§2): show it, consume the rest.
local function render_bad_header(tvb, offset, pinfo, tree, why)
    local ft = tree:add(tlslab, tvb(offset))
    ft:set_text("tlslab frame with an invalid header")
    ft:add(f.frame_type, tvb(offset, 1))
    ft:add(f.frame_version, tvb(offset + 1, 2))
    ft:add(f.frame_length, tvb(offset + 3, 2))
    malformed(ft, why)
    local key = pinfo.number .. "|bad|" .. offset
    if not state.records[key] then
        state.records[key] = { info = "Invalid frame header" }
        local list = state.packet_frames[pinfo.number] or {}
        list[#list + 1] = key
        state.packet_frames[pinfo.number] = list
    end
end

-- `may_desegment`: whether TCP will reassemble for us (pinfo.can_desegment > 0).
local function dissect(tvb, pinfo, tree, may_desegment)
    local total = tvb:len()
    local offset = 0
    while offset < total do
        local left = total - offset
        if left < HEADER_LEN then
            if may_desegment then
                pinfo.desegment_offset = offset
                pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
                break
            end
            tree:add(tlslab, tvb(offset)):add_proto_expert_info(ei.segment)
            break
        end
        local content_type = tvb(offset, 1):uint()
        local length = tvb(offset + 3, 2):uint()
        if length < 1 then
            render_bad_header(tvb, offset, pinfo, tree, "frame length 0 (decode_error, §2)")
            offset = total
            break
        end
        if length > max_length(content_type) then
            render_bad_header(tvb, offset, pinfo, tree, string.format(
                "frame length %d over the limit %d (record_overflow, §2)", length, max_length(content_type)))
            offset = total
            break
        end
        if left < HEADER_LEN + length then
            if may_desegment then
                pinfo.desegment_offset = offset
                pinfo.desegment_len = HEADER_LEN + length - left
                break
            end
            local ft = tree:add(tlslab, tvb(offset))
            ft:set_text(string.format("tlslab frame, %d of %d bytes in this segment", left, HEADER_LEN + length))
            ft:add_proto_expert_info(ei.segment)
            break
        end
        handle_frame(tvb, offset, length, pinfo, tree)
        offset = offset + HEADER_LEN + length
    end
    set_columns(pinfo)
    return total
end

function tlslab.dissector(tvb, pinfo, tree)
    return dissect(tvb, pinfo, tree, pinfo.can_desegment > 0)
end

---------------------------------------------------------------------------------------------
-- Heuristic (captures on any port): a valid §2 header, and for handshake frames a known
-- msg_type whose uint24 length fills the frame (§3)
---------------------------------------------------------------------------------------------

local function plausible_header(tvb, offset)
    local n = tvb:len() - offset
    if n < HEADER_LEN then return false end
    local content_type = tvb(offset, 1):uint()
    local length = tvb(offset + 3, 2):uint()
    if not CONTENT_TYPES[content_type] or tvb(offset + 1, 2):uint() ~= VERSION_1_0 then return false end
    if length < 1 or length > max_length(content_type) then return false end
    if content_type == CT_HANDSHAKE then
        -- A sender may write the header and the fragment separately: check what is there.
        if length < 4 then return false end
        if n >= HEADER_LEN + 1 and not HANDSHAKE_TYPES[tvb(offset + 5, 1):uint()] then return false end
        if n >= HEADER_LEN + 4 and tvb(offset + 6, 3):uint() ~= length - 4 then return false end
    elseif content_type == CT_ALERT then
        if length ~= 2 then return false end
        if n >= HEADER_LEN + 1 and not ALERT_LEVELS[tvb(offset + 5, 1):uint()] then return false end
    elseif length < TAG_LEN + 1 then
        return false
    end
    return true, length
end

local function heuristic(tvb, pinfo, tree)
    local ok, length = plausible_header(tvb, 0)
    if not ok then return false end
    -- a second frame in the same segment must look right too
    local next_offset = HEADER_LEN + length
    if tvb:len() >= next_offset + HEADER_LEN and not plausible_header(tvb, next_offset) then return false end
    pinfo.conversation = tlslab                      -- the rest of this TCP connection is ours
    -- Call the Lua function, not tlslab.dissector: read back from a Proto that is the
    -- registered Dissector handle, and calling through it drops pinfo.can_desegment to 0, so
    -- a first segment holding only part of a frame (e.g. a sender that writes the 5-byte
    -- header and the fragment separately) could not be reassembled.
    dissect(tvb, pinfo, tree, pinfo.can_desegment > 0)
    return true
end

local tcp_ports = DissectorTable.get("tcp.port")
tcp_ports:add(DEFAULT_PORTS.server, tlslab)          -- also offers tlslab in Decode As
tcp_ports:add(DEFAULT_PORTS.ca, tlslab)
tlslab:register_heuristic("tcp", heuristic)
