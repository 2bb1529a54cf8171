-- tlslab/analysis.lua -- the first, in-order pass: conversations, sessions, links between
-- frames, decryption and the work caps; what it finds is a record per frame, rendered on every pass.
-- Part of the tlslab dissector: loaded by scripts/wireshark/tlslab.lua, which documents it.

local env = ...
-- Installed, this file is also in Wireshark's plugin folder, where Wireshark runs every *.lua as a
-- plugin of its own: then it is called without the loader's table and does nothing.
if type(env) ~= "table" or not env.proto then return end

local F = env.fields
local HEADER_LEN, TAG_LEN, DEFAULT_PORTS = F.HEADER_LEN, F.TAG_LEN, F.DEFAULT_PORTS
local CT_ALERT, CT_HANDSHAKE, CT_PROTECTED = F.CT_ALERT, F.CT_HANDSHAKE, F.CT_PROTECTED
local HT, HANDSHAKE_TYPES, HANDSHAKE_INFO, FINISHED_INFO = F.HT, F.HANDSHAKE_TYPES, F.HANDSHAKE_INFO, F.FINISHED_INFO
local INNER_TYPES, SUITES, ARROW_TEXT = F.INNER_TYPES, F.SUITES, F.ARROW_TEXT
local ALERT_LEVELS, ALERT_DESCRIPTIONS = F.ALERT_LEVELS, F.ALERT_DESCRIPTIONS
local OCSP_RESPONSE_STATUS, CRL_REASONS = F.OCSP_RESPONSE_STATUS, F.CRL_REASONS
local EXT_KEY_SHARE, GROUPS, CKE_ECDHE_INFO = F.EXT_KEY_SHARE, F.GROUPS, F.CKE_ECDHE_INFO
local EXT_CERTIFICATE_REQUEST, EXT_SESSION_TICKET = F.EXT_CERTIFICATE_REQUEST, F.EXT_SESSION_TICKET
local EXT_REQUESTER, REQUESTER_PARTY, REQUESTER_INFO = F.EXT_REQUESTER, F.REQUESTER_PARTY, F.REQUESTER_INFO
local crypto, keylog, http = env.crypto, env.keylog, env.http

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
end
reset_state()

local function endpoint(address, port) return tostring(address) .. ":" .. tostring(port) end

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

-- "rsa", "ec" or nil: the key type of a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), from its
-- AlgorithmIdentifier's OID: rsaEncryption 1.2.840.113549.1.1.1, id-ecPublicKey 1.2.840.10045.2.1.
-- (§7.6: the signature scheme of the key share must be the one for this key.)
local OID_KEY_TYPES = { ["\42\134\72\134\247\13\1\1\1"] = "rsa", ["\42\134\72\206\61\2\1"] = "ec" }
local function spki_key_type(spki)
    if not spki then return nil end
    local tag, c, e = der_tlv(spki, 1, #spki + 1)                   -- SubjectPublicKeyInfo
    if tag ~= 0x30 then return nil end
    tag, c, e = der_tlv(spki, c, e)                                 -- AlgorithmIdentifier
    if tag ~= 0x30 then return nil end
    tag, c, e = der_tlv(spki, c, e)                                 -- algorithm OID
    if tag ~= 0x06 then return nil end
    return OID_KEY_TYPES[spki:sub(c, e - 1)]
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

-- The role a StatusRequest's requester extension says (§9), or nil: no list (1.0's first form),
-- no such extension, or one that is not one byte.
local function status_requester(body)
    local _, p = read_vector(body, 1, 2)
    if not p then return nil end
    _, p = read_vector(body, p, 1)
    if not p then return nil end
    local list = read_vector(body, p, 2)
    if not list then return nil end
    local q = 1
    while q + 3 <= #list do
        local ext_type = list:byte(q) * 256 + list:byte(q + 1)
        local data, next_q = read_vector(list, q + 2, 2)
        if not data then return nil end
        if ext_type == EXT_REQUESTER then return (#data == 1) and data:byte(1) or nil end
        q = next_q
    end
    return nil
end

local function uint16_at(s, p)
    if p + 1 > #s then return nil end
    return s:byte(p) * 256 + s:byte(p + 1)
end

-- The extensions (§3.1) from s[p]: extension type -> data (the first of each type), or nil when
-- the list does not parse; the tree shows what is wrong with it.
local function parse_extensions(s, p)
    local list = read_vector(s, p, 2)
    if not list then return nil end
    local extensions, q = {}, 1
    while q <= #list do
        local ext_type = uint16_at(list, q)
        local data, next_q = read_vector(list, q + 2, 2)
        if not ext_type or not data then return nil end
        if extensions[ext_type] == nil then extensions[ext_type] = data end
        q = next_q
    end
    return extensions
end

-- ClientHello (§4): the groups of its key_share (§7.6), when it has one.
local function parse_client_hello(body)
    local suites, p = read_vector(body, 35, 2)
    if not suites then return nil end
    local ch = { extensions = parse_extensions(body, p) or {} }
    local key_share = ch.extensions[EXT_KEY_SHARE]
    if key_share then
        ch.groups = {}
        local list = read_vector(key_share, 1, 2) or ""
        for q = 1, #list - 1, 2 do ch.groups[uint16_at(list, q)] = true end
    end
    return ch
end

local function parse_server_hello(body)
    if #body < 36 then return nil end
    local sh = { random = body:sub(3, 34), suite = body:byte(35) * 256 + body:byte(36) }
    local p
    sh.certificate, p = read_vector(body, 37, 2)
    if sh.certificate then sh.public_key, p = read_vector(body, p, 2) end
    if sh.public_key then sh.extensions = parse_extensions(body, p) end
    local key_share = sh.extensions and sh.extensions[EXT_KEY_SHARE]
    if key_share then sh.group = uint16_at(key_share, 1) end
    return sh
end

-- §7.6 in the Info column: "ServerHello (ECDHE x25519)"; RSA key transport adds nothing, as
-- before ECDHE existed.
local function server_hello_info(sh)
    if sh and sh.extensions and sh.extensions[EXT_SESSION_TICKET] == "\2" then return "ServerHello (resumed)" end
    local suite = sh and SUITES[sh.suite]
    if not suite or suite.kx ~= "ecdhe" then return nil end
    if not sh.group then return "ServerHello (ECDHE, no key share)" end
    return "ServerHello (ECDHE " .. (GROUPS[sh.group] or string.format("group 0x%04x", sh.group)) .. ")"
end

---------------------------------------------------------------------------------------------
-- First pass: analyse one complete frame, update the session, return its record
---------------------------------------------------------------------------------------------

-- The session's keys (§7.2) from the master secret in the key log, or nil and the reason.
local function derive_keys(session)
    local suite = SUITES[session.suite]
    if not suite then return nil, "cipher suite is not one of §7.5" end
    local master, why = keylog.master_secret_for(env.proto.prefs.keylog_file, session.client_random)
    if not master then return nil, why end
    if not crypto.ossl.available then return nil, crypto.ossl.why end
    state.key_derivations = state.key_derivations + 1
    return crypto.session_keys(suite, master, session.client_random, session.server_random)
end

local function expected_verify_data(session, side)
    return crypto.verify_data(SUITES[session.suite], session.keys.master, side,
                              table.concat(session.transcript))
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
        http = { client = http.new_stream(), server = http.new_stream() },
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
    local sh = (msg_type == HT.server_hello) and parse_server_hello(body) or nil
    rec.info = server_hello_info(sh) or rec.info
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
        local ch = parse_client_hello(body)
        conv.session.offered_groups = ch and ch.groups      -- nil: no key_share in the ClientHello
    elseif msg_type == HT.server_hello and conv.session then
        local s = conv.session
        if s.server_random then
            rec.info = rec.info .. " [repeated]"
            rec.violation = "ServerHello repeated (unexpected_message, §6): not analysed"
            return
        end
        if sh then
            s.server_random, s.suite, s.group, s.sh_number = sh.random, sh.suite, sh.group, pinfo.number
            -- §7.7: whether arrow 5 must take the mutual form; nil when the extensions do not parse
            if sh.extensions then s.mutual = sh.extensions[EXT_CERTIFICATE_REQUEST] ~= nil end
            s.transcript[#s.transcript + 1] = msg
            -- §7.8: a resumed session has no arrow 5; its keys come from the ticket's master secret,
            -- which the key log holds under this handshake's RAND-CLIENT: look them up now.
            if sh.extensions and sh.extensions[EXT_SESSION_TICKET] == "\2" then
                s.key_exchange_in = pinfo.number
                s.keylog_lookups = 1
                s.keys, s.keys_error = derive_keys(s)
            end
            s.ch_rec.response_in = pinfo.number
            rec.request_in = s.ch_number
            if sh.certificate then state.certificate_frames[sh.certificate] = pinfo.number end
            -- what the tree checks the key share against (§3.1, §7.6): this session's ClientHello
            rec.client_hello = { random = s.client_random, groups = s.offered_groups }
        end
    elseif msg_type == HT.client_key_exchange and conv.session and conv.session.server_random then
        local s = conv.session
        -- §7.6: the form of a ClientKeyExchange follows from the suite chosen in this session's
        -- ServerHello: RSA key transport -> encrypted_pre_master, ECDHE -> key_exchange
        local suite = SUITES[s.suite]
        if suite then
            rec.cke_form, rec.cke_form_from, rec.group = suite.kx, s.sh_number, s.group
            rec.mutual_expected = s.mutual
            if suite.kx == "ecdhe" then
                rec.info = s.group and GROUPS[s.group]
                           and CKE_ECDHE_INFO:gsub("ECDHE", "ECDHE " .. GROUPS[s.group], 1) or CKE_ECDHE_INFO
            end
        end
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
        if env.proto.prefs.keylog_file ~= "" then
            rec.keylog = { found = keylog.knows(s.client_random), why = s.keys_error,
                           entries = keylog.entries(), reads = keylog.reads(),
                           derivations = state.key_derivations }
        end
    elseif msg_type == HT.status_request then
        conv.client, conv.kind = src, "ca"
        local cert = read_vector(body, 1, 2)
        rec.certificate_in = cert and state.certificate_frames[cert]
        -- Who asks: the frame cannot say (on loopback every address is 127.0.0.1), the request does.
        rec.requester = status_requester(body)
        -- a peer that never answers must not grow the queue without bound
        if #conv.pending_status >= MAX_PENDING_STATUS then table.remove(conv.pending_status, 1) end
        table.insert(conv.pending_status, { rec = rec, number = pinfo.number })
    elseif msg_type == HT.status_response then
        local request = table.remove(conv.pending_status, 1)
        if request then
            request.rec.response_in = pinfo.number
            rec.request_in = request.number
            rec.requester = request.rec.requester
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
    local ok, plaintext = pcall(crypto.decrypt_protected, SUITES[session.suite], session.keys[dir], rec.seq,
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
        elseif msg_type == HT.new_session_ticket and dir == "server" then
            rec.info = "NewSessionTicket (§7.8)"
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
        http.feed(session.http[dir], rec, rec.content, pinfo.number)
        local lines = {}
        for _, msg in ipairs(rec.http) do lines[#lines + 1] = http.first_line(msg.data) end
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
    local asker = REQUESTER_PARTY[rec.requester or 0]
    if asker and (rec.arrow == 3 or rec.arrow == 4) and not rec.is_alert then
        rec.who = (rec.arrow == 3) and (asker .. " → CA") or ("CA → " .. asker)
        rec.info = rec.info .. (REQUESTER_INFO[rec.requester] or "")
    end
    return rec
end

---------------------------------------------------------------------------------------------
-- The records of the frames, analysed once and looked up on every pass
---------------------------------------------------------------------------------------------

-- Key of a frame inside a packet: TCP may hand us the same packet in several calls (the end of
-- a reassembled frame, then the rest of the segment), so the position alone is not enough.
local function frame_key(tvb, offset, length, pinfo)
    local frag = offset + HEADER_LEN
    local head = tvb(offset, HEADER_LEN):raw() .. tvb(frag, math.min(length, 8)):raw()
    local tail = tvb(frag + length - math.min(length, 16), math.min(length, 16)):raw()
    return pinfo.number .. "|" .. head .. tail
end

local function remember(key, rec, number)
    state.records[key] = rec
    local list = state.packet_frames[number] or {}
    list[#list + 1] = key
    state.packet_frames[number] = list
end

-- The record of the complete frame at tvb[offset] (header + `length` bytes), analysed now if it
-- is new.
local function record_for(tvb, offset, length, pinfo)
    local key = frame_key(tvb, offset, length, pinfo)
    local rec = state.records[key]
    if not rec then
        rec = analyse_frame(tvb, offset, pinfo, not pinfo.visited)
        remember(key, rec, pinfo.number)
    end
    return rec
end

-- A header the receiver rejects before reading the fragment (§2) has a record of its own.
local function record_bad_header(pinfo, offset)
    local key = pinfo.number .. "|bad|" .. offset
    if not state.records[key] then remember(key, { info = "Invalid frame header" }, pinfo.number) end
end

-- The records of a packet's frames, in the order they were dissected.
local function packet_records(number)
    local recs = {}
    for k, key in ipairs(state.packet_frames[number] or {}) do recs[k] = state.records[key] end
    return recs
end

return {
    reset = reset_state,
    record_for = record_for,
    record_bad_header = record_bad_header,
    packet_records = packet_records,
    certificate_spki = certificate_spki,
    spki_key_type = spki_key_type,
}
