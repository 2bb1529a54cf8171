-- tlslab/render.lua -- the tree of each frame and the columns, on every pass, from the bytes
-- and the frame's record.
-- Part of the tlslab dissector: loaded by scripts/wireshark/tlslab.lua, which documents it.

local env = ...
-- Installed, this file is also in Wireshark's plugin folder, where Wireshark runs every *.lua as a
-- plugin of its own: then it is called without the loader's table and does nothing.
if type(env) ~= "table" or not env.proto then return end

local tlslab = env.proto
local F = env.fields
local f, ei = F.f, F.ei
local VERSION_1_0, HEADER_LEN, TAG_LEN, MAX_CLEAR_LEN = F.VERSION_1_0, F.HEADER_LEN, F.TAG_LEN, F.MAX_CLEAR_LEN
local CT_ALERT, CT_HANDSHAKE, CT_PROTECTED = F.CT_ALERT, F.CT_HANDSHAKE, F.CT_PROTECTED
local CONTENT_TYPES, INNER_TYPES, HT, HANDSHAKE_TYPES = F.CONTENT_TYPES, F.INNER_TYPES, F.HT, F.HANDSHAKE_TYPES
local EXTENSION_TYPES, ALERT_LEVELS, ALERT_DESCRIPTIONS = F.EXTENSION_TYPES, F.ALERT_LEVELS, F.ALERT_DESCRIPTIONS
local EXT_SERVER_NAME, EXT_KEY_SHARE, SUITES = F.EXT_SERVER_NAME, F.EXT_KEY_SHARE, F.SUITES
local EXT_STATUS_STAPLING, EXT_CERTIFICATE_REQUEST = F.EXT_STATUS_STAPLING, F.EXT_CERTIFICATE_REQUEST
local EXT_REQUESTER, REQUESTER_ROLES = F.EXT_REQUESTER, F.REQUESTER_ROLES
local EXT_SESSION_TICKET, TICKET_MODES = F.EXT_SESSION_TICKET, F.TICKET_MODES
local GROUPS, GROUP_KEY_LEN, SIGNATURE_SCHEMES, SCHEME_KEY_TYPE = F.GROUPS, F.GROUP_KEY_LEN, F.SIGNATURE_SCHEMES,
                                                                 F.SCHEME_KEY_TYPE
local crypto, analysis = env.crypto, env.analysis

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

-- `what` names the field and what it should be ("staple: not an OCSPResponse"): when Wireshark's
-- dissector stops on the bytes (DER lengths past the field, nested garbage), the expert error says
-- which field of the frame it was, not where in this file the call failed.
local function call_sub_dissector(dissector, range, pinfo, tree, what)
    if not dissector or not range then return end
    local ok, err = pcall(function() dissector:call(range:tvb(), pinfo, tree) end)
    if not ok then
        local why = tostring(err):match("Dissector_call: (.*)$") or tostring(err)
        tree:add_proto_expert_info(ei.malformed, what .. " (Wireshark's dissector stopped: " .. why .. ")")
    end
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

local function protocol(tree, text) tree:add_proto_expert_info(ei.protocol, text) end

local function group_name(group)
    return GROUPS[group] or string.format("unknown group 0x%04x", group)
end

-- §7.6: whether `key` (a TvbRange) is a valid public key of `group` as far as its bytes show:
-- x25519 32 bytes, secp256r1 65 bytes starting with 04 (that the point is on the curve is for the
-- programs to check, with OpenSSL). Adds an expert item and returns false if not.
local function check_key_share(tree, group, key)
    local want = GROUP_KEY_LEN[group]
    if not want then return true end
    if key:len() ~= want or (want == 65 and key(0, 1):uint() ~= 4) then
        protocol(tree, string.format("not a valid %s public key: %s (illegal_parameter, §7.6)", GROUPS[group],
                 want == 32 and "32 bytes" or "65 bytes starting with 04, the uncompressed point"))
        return false
    end
    return true
end

-- key_share (51) in a ClientHello (§7.6): NamedGroup groups<2..2^16-2>
local function render_client_key_share(data, ext_tree)
    local n, n_range = data:uint(2)
    if not n then return malformed(ext_tree, "key_share: groups length truncated") end
    ext_tree:add(f.key_share_groups_length, n_range)
    if n < 2 or n % 2 ~= 0 then malformed(ext_tree, "key_share: groups empty or odd length (decode_error, §7.6)") end
    if n > data:left() then return malformed(ext_tree, "key_share: groups run past the extension") end
    local names = {}
    for _ = 1, math.floor(n / 2) do
        local group, range = data:uint(2)
        ext_tree:add(f.key_share_groups, range)
        names[#names + 1] = group_name(group)
    end
    data:take(n % 2)
    ext_tree:append_text(": " .. table.concat(names, ", ") .. " (groups offered for ECDHE, client's preference order)")
end

-- key_share (51) in a ServerHello (§7.6): ServerKeyShare. `ctx` holds what the checks need: the
-- chosen suite, the CERTIFICATE's key type, and this session's ClientHello (its RAND-CLIENT and the
-- groups it offered) when the capture has it.
local function render_server_key_share(data, ext_tree, ctx)
    local ch = ctx.client_hello
    if ch and not ch.groups then
        protocol(ext_tree, "key_share in a ServerHello whose ClientHello carried none (unsupported_extension, §3.1)")
    end
    if ctx.suite and ctx.suite.kx ~= "ecdhe" then
        protocol(ext_tree, "key_share with a cipher suite that is not ECDHE (illegal_parameter, §7.6)")
    end
    local group, group_range = data:uint(2)
    if not group then return malformed(ext_tree, "key_share: group truncated (decode_error, §7.6)") end
    ext_tree:add(f.key_share_group, group_range)
    if ch and ch.groups and not ch.groups[group] then
        protocol(ext_tree, "group " .. group_name(group) .. " was not offered by the client (illegal_parameter, §7.6)")
    elseif not GROUPS[group] then
        protocol(ext_tree, "group " .. group_name(group) .. " is not one of §7.6 (illegal_parameter)")
    end
    local key_item, key = add_vector(data, ext_tree, f.key_share_public_length, f.key_share_public, 1, 1, 255,
                                     "key_share key_exchange")
    if not key_item then return end
    key_item:append_text(" (" .. group_name(group) .. ", for this handshake only)")
    check_key_share(key_item, group, key)
    local scheme, scheme_range = data:uint(2)
    if not scheme then return malformed(ext_tree, "key_share: signature scheme truncated (decode_error, §7.6)") end
    local scheme_item = ext_tree:add(f.signature_scheme, scheme_range)
    local want_key = SCHEME_KEY_TYPE[scheme]
    if not want_key then
        protocol(scheme_item, "signature scheme not one of §7.6 (illegal_parameter)")
    elseif ctx.key_type and ctx.key_type ~= want_key then
        protocol(scheme_item, string.format("not the scheme for the CERTIFICATE's %s key (illegal_parameter, §7.6)",
                                            ctx.key_type == "rsa" and "RSA" or "EC"))
    end
    local sig_item, sig = add_vector(data, ext_tree, f.signature_length, f.signature, 2, 1, 65535, "key_share signature")
    if not sig_item then return end
    ext_tree:append_text(": " .. group_name(group) .. ", signed (" ..
                         (SIGNATURE_SCHEMES[scheme] or string.format("0x%04x", scheme)) .. ")")
    -- In the lab's words (each line under Wireshark's 240-character label limit): what the key
    -- share is and what the signature is for
    ext_tree:add(key, "The server's ephemeral public key in " .. group_name(group) .. ", for this handshake " ..
                 "only; with the client's (arrow 5) each side computes the PRE-MASTER (ECDH): it is never " ..
                 "sent"):set_generated()
    ext_tree:add(sig, "The CERTIFICATE's private key signs this key share: SERVER'S PUBLIC KEY verifies a " ..
                 "signature, it encrypts nothing"):set_generated()
    ext_tree:add(sig, "The signature covers RAND-CLIENT and RAND-SERVER: an old signed key share cannot be " ..
                 "replayed into another handshake (§7.6)"):set_generated()
    sig_item:add(sig, "Signature not verified by the dissector (the tlslab client verifies it with " ..
                 "SERVER'S PUBLIC KEY; a wrong one: decrypt_error)"):set_generated()
    if ch and ch.random and GROUPS[group] then
        -- what the client verifies the signature over, rebuilt from this handshake's randoms and the
        -- key share as they are on the wire (§7.6); its own tab, since it is on no wire
        local content = ch.random .. ctx.server_random .. "\3" .. group_range:raw() ..
                        string.char(key:len()) .. key:raw()
        local ctvb = ByteArray.new(content, true):tvb("Key share signed content")
        sig_item:add(f.signed_content, ctvb()):set_generated()
    end
    return group
end

local function render_extensions(r, tree, ctx)
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
        if not ext_len then malformed(tree, "extension header truncated"); return seen end
        local ext_tree = tree:add(r.tvb(start, math.min(4 + ext_len, ext_reader.limit - start)),
                                  "Extension: " .. (EXTENSION_TYPES[ext_type] or ("unknown (" .. ext_type .. ")")))
        ext_tree:add(f.extension_type, type_range)
        ext_tree:add(f.extension_length, len_range)
        if seen[ext_type] then malformed(ext_tree, "extension type appears twice (decode_error, §3.1)") end
        seen[ext_type] = true
        if ext_len > ext_reader:left() then malformed(ext_tree, "extension data runs past the list"); return seen end
        local data = Reader.new(r.tvb, ext_reader.pos, ext_len)
        ext_reader.pos = ext_reader.pos + ext_len
        if ext_type == EXT_SERVER_NAME then            -- opaque host_name<1..255>
            local item, name = add_vector(data, ext_tree, f.server_name_length, f.server_name, 1, 1, 255, "server_name")
            if item then ext_tree:append_text(": " .. name:string()) end
        elseif ext_type == EXT_KEY_SHARE and ctx.message == "client_hello" then
            render_client_key_share(data, ext_tree)
        elseif ext_type == EXT_KEY_SHARE and ctx.message == "server_hello" then
            render_server_key_share(data, ext_tree, ctx)
        elseif ext_type == EXT_STATUS_STAPLING and ctx.message == "client_hello" then
            if ext_len > 0 then malformed(ext_tree, "status_stapling in a ClientHello must be empty (decode_error, §3.1)") end
            ext_tree:add(f.staple_asked, r.tvb(start, 4), true):set_generated()
            ext_tree:append_text(": staple, please (§9.1)")
        elseif ext_type == EXT_STATUS_STAPLING and ctx.message == "server_hello" then
            local item, der = add_vector(data, ext_tree, f.staple_length, f.staple, 2, 1, 65535, "staple")
            if item then
                ext_tree:append_text(": the CA's answer, stapled (" .. der:len() .. " bytes)")
                item:add(der, "Fetched by the server ahead of time: it carries the server's nonce, not the client's, " ..
                         "so the client checks it by its age (thisUpdate, --max-staple-age) (§9.1)"):set_generated()
                call_sub_dissector(sub_dissectors.ocsp, der, ctx.pinfo, item, "staple: not an OCSPResponse")
            end
        elseif ext_type == EXT_CERTIFICATE_REQUEST and ctx.message == "client_hello" then
            if ext_len > 0 then
                malformed(ext_tree, "certificate_request in a ClientHello must be empty (decode_error, §3.1)")
            end
            ext_tree:add(f.certificate_offered, r.tvb(start, 4), true):set_generated()
            ext_tree:append_text(": the client has a certificate (§7.7)")
        elseif ext_type == EXT_CERTIFICATE_REQUEST and ctx.message == "server_hello" then
            local n, n_range = data:uint(2)
            if not n then
                malformed(ext_tree, "certificate_request: length truncated (decode_error, §7.7)")
            else
                ext_tree:add(f.certificate_request_length, n_range)
                if n < 2 or n % 2 ~= 0 or n > data:left() then
                    malformed(ext_tree, "certificate_request: schemes empty, odd or past the extension (decode_error)")
                else
                    for _ = 1, n / 2 do ext_tree:add(f.certificate_request_scheme, data:take(2)) end
                    ext_tree:append_text(": your certificate, please (§7.7)")
                end
            end
        elseif ext_type == EXT_SESSION_TICKET and ctx.message == "client_hello" then  -- opaque ticket<0..2^16-1>
            local n, n_range = data:uint(2)
            if not n then
                malformed(ext_tree, "session_ticket: the ticket's length is truncated (decode_error, §7.8)")
                if ext_len > 0 then ext_tree:add(f.extension_data, data:take(ext_len)) end
            else
                ext_tree:add(f.session_ticket_length, n_range)
                if n ~= data:left() then
                    malformed(ext_tree, string.format("session_ticket: ticket length %d but %d bytes of data " ..
                              "(decode_error, §7.8)", n, data:left()))
                    if data:left() > 0 then ext_tree:add(f.extension_data, data:take(data:left())) end
                elseif n == 0 then
                    ext_tree:add(f.session_ticket_can_keep, n_range, true):set_generated()
                    ext_tree:append_text(": empty, the client can keep a ticket (§7.8)")
                else
                    ext_tree:add(f.session_ticket, data:take(n))
                    ext_tree:append_text(": a ticket offered, " .. n .. " bytes (§7.8)")
                end
            end
        elseif ext_type == EXT_SESSION_TICKET and ctx.message == "server_hello" then  -- uint8 ticket_mode
            if ext_len ~= 1 then
                malformed(ext_tree, "session_ticket in a ServerHello is one byte, ticket_mode (decode_error, §7.8)")
                if ext_len > 0 then ext_tree:add(f.extension_data, data:take(ext_len)) end
            else
                local mode = data:take(1)
                ext_tree:add(f.ticket_mode, mode)
                ctx.ticket_mode = mode:uint()
                if TICKET_MODES[mode:uint()] then
                    ext_tree:append_text(": " .. TICKET_MODES[mode:uint()] .. (mode:uint() == 1 and
                        " (a NewSessionTicket follows the server's Finished)" or " (the ticket offered is accepted)"))
                else
                    malformed(ext_tree, "ticket_mode " .. mode:uint() .. " is neither new_ticket (1) nor resumed (2) " ..
                              "(decode_error, §7.8)")
                end
            end
        elseif ext_type == EXT_REQUESTER and ctx.message == "status_request" then
            if ext_len ~= 1 then
                malformed(ext_tree, "requester must be one byte (decode_error, §9)")
                ext_tree:add(f.extension_data, data:take(ext_len))
            else
                local role = data:take(1)
                ext_tree:add(f.status_requester, role)
                ext_tree:append_text(": " .. (REQUESTER_ROLES[role:uint()] or ("role " .. role:uint() ..
                                     ", unknown to this version: not said")))
            end
        elseif ext_len > 0 then
            ext_tree:add(f.extension_data, data:take(ext_len))
        end
        if data:left() > 0 then malformed(ext_tree, "trailing bytes in extension data") end
    end
    return seen
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
    render_extensions(r, tree, { message = "client_hello" })
end

-- The key exchange of the chosen suite, in the lab's words (§7.1, §7.6)
local KEY_EXCHANGE_TEXT = {
    rsa = "Key exchange: RSA key transport (§7.1): the PRE-MASTER travels encrypted with SERVER'S " ..
          "PUBLIC KEY; whoever steals the server's private key later decrypts it from a recording",
    ecdhe = "Key exchange: ECDHE (§7.6): the PRE-MASTER is the ECDH secret of two ephemeral keys and is " ..
            "never sent; the CERTIFICATE's key only signs the server's key share (forward secrecy)",
}

local function render_server_hello(r, tree, pinfo, rec)
    local _, v = r:uint(2)
    if not v then return malformed(tree, "ServerHello truncated") end
    tree:add(f.server_version, v)
    local random = r:take(32)
    if not random then return malformed(tree, "RAND-SERVER truncated") end
    tree:add(f.server_random, random)
    local suite_value, suite = r:uint(2)
    if not suite then return malformed(tree, "cipher_suite truncated") end
    local suite_item = tree:add(f.cipher_suite, suite):append_text(" (chosen)")
    local chosen = SUITES[suite_value]
    if chosen then suite_item:add(suite, KEY_EXCHANGE_TEXT[chosen.kx]):set_generated() end
    -- §7.8: the resumed form, certificate and server_public_key both empty
    if r:left() >= 4 and r.tvb(r.pos, 4):uint() == 0 then
        tree:add(f.certificate_length, r:take(2))
        tree:add(f.public_key_length, r:take(2))
        local ctx = { message = "server_hello", suite = chosen, server_random = random:raw(), pinfo = pinfo,
                      client_hello = rec.client_hello }
        local seen = render_extensions(r, tree, ctx) or {}
        if ctx.ticket_mode == 2 then
            tree:add(f.resumed, suite, true):set_generated()
            tree:add_proto_expert_info(ei.resumed)
        else
            malformed(tree, "CERTIFICATE and SERVER'S PUBLIC KEY empty without ticket_mode resumed (decode_error, §7.8)")
        end
        for ext, name in pairs({ [EXT_KEY_SHARE] = "key_share", [EXT_STATUS_STAPLING] = "status_stapling",
                                 [EXT_CERTIFICATE_REQUEST] = "certificate_request" }) do
            if seen[ext] then malformed(tree, "a resumed ServerHello carries " .. name .. " (decode_error, §7.8)") end
        end
        return
    end
    local cert_item, cert = add_vector(r, tree, f.certificate_length, f.certificate, 2, 1, 65535, "CERTIFICATE")
    if cert_item then
        call_sub_dissector(sub_dissectors.certificate, cert, pinfo, cert_item, "CERTIFICATE: not an X.509 certificate")
    end
    local key_item, key = add_vector(r, tree, f.public_key_length, f.public_key, 2, 1, 65535, "SERVER'S PUBLIC KEY")
    if key_item then
        call_sub_dissector(sub_dissectors.public_key, key, pinfo, key_item,
                           "SERVER'S PUBLIC KEY: not a SubjectPublicKeyInfo")
        if cert then
            local spki = analysis.certificate_spki(cert:raw())
            if spki then
                local same = (spki == key:raw())
                key_item:add(f.public_key_matches, key, same):set_generated()
                if not same then key_item:add_proto_expert_info(ei.key_mismatch) end
            end
        end
    end
    if not cert_item or not key_item then return end
    local ctx = { message = "server_hello", suite = chosen, server_random = random:raw(), pinfo = pinfo,
                  client_hello = rec.client_hello,
                  key_type = cert and analysis.spki_key_type(analysis.certificate_spki(cert:raw())) }
    local seen = render_extensions(r, tree, ctx) or {}
    if chosen and chosen.kx == "ecdhe" and not seen[EXT_KEY_SHARE] then
        protocol(tree, "ECDHE cipher suite chosen without a key_share extension (illegal_parameter, §7.6)")
    end
    if ctx.ticket_mode == 2 then
        malformed(tree, "ticket_mode resumed with a CERTIFICATE and a SERVER'S PUBLIC KEY (decode_error, §7.8)")
    end
end

-- §7.8, protected, after the server's Finished
local function render_new_session_ticket(r, tree)
    local lifetime = r:take(4)
    if not lifetime then return malformed(tree, "NewSessionTicket truncated (decode_error, §7.8)") end
    tree:add(f.nst_lifetime, lifetime)
    local item, ticket = add_vector(r, tree, f.nst_ticket_length, f.nst_ticket, 2, 1, 65535, "ticket")
    if item then
        tree:append_text(string.format(": lifetime hint %d s, a ticket of %d bytes (offered back in the clear in " ..
                                       "a later ClientHello)", lifetime:uint(), ticket:len()))
    end
end

local function render_status_request(r, tree, pinfo, rec)
    local cert_item, cert = add_vector(r, tree, f.status_certificate_length, f.status_certificate,
                                       2, 1, 65535, "CERTIFICATE")
    if cert_item then
        call_sub_dissector(sub_dissectors.certificate, cert, pinfo, cert_item, "CERTIFICATE: not an X.509 certificate")
        if rec.certificate_in then
            tree:add(f.status_certificate_in, rec.certificate_in):set_generated()
        end
    end
    if cert_item then add_vector(r, tree, f.status_nonce_length, f.status_nonce, 1, 16, 32, "nonce") end
    -- §9: an extension list may follow (who asks); without one, 1.0's first form: the role is not said.
    if cert_item and r:left() > 0 then
        local seen = render_extensions(r, tree, { message = "status_request", pinfo = pinfo }) or {}
        if seen[EXT_REQUESTER] then return end
    end
    if cert_item then
        tree:add(r.tvb(r.pos - 1, 1), "Requester: not said (1.0's first form, §9): shown as the Client"):set_generated()
    end
end

local function render_status_response(r, tree, pinfo)
    local item, der = add_vector(r, tree, f.ocsp_response_length, f.ocsp_response, 2, 1, 65535, "ocsp_response")
    if item then
        call_sub_dissector(sub_dissectors.ocsp, der, pinfo, item, "ocsp_response: not an OCSPResponse")
    end
end

-- The key log lines under a ClientKeyExchange: what the first pass found for this session (§11).
local function render_keylog(tree, range, k)
    local kt = tree:add(range, "Key log (§11): " .. (k.found and "SESSION MASTER KEY found"
                                                     or ("not decrypted: " .. tostring(k.why))))
    kt:set_generated()
    kt:add(f.keylog_found, range, k.found):set_generated()
    kt:add(f.keylog_entries, range, k.entries):set_generated()
    kt:add(f.keylog_reads, range, k.reads):set_generated()
    kt:add(f.key_derivations, range, k.derivations):set_generated()
end

-- Arrow 5 (§7.1, §7.6). Its form follows from the cipher suite chosen in this session's
-- ServerHello: RSA key transport -> encrypted_pre_master<1..2^16-1>, ECDHE -> key_exchange<1..2^8-1>.
-- Without that ServerHello in the capture, the form is the one whose length fills the body (the two
-- cannot both: a uint8 length n+1 = body and a uint16 length n+2 = body exclude each other).
-- §7.7: after the key exchange, the mutual form carries the client's CERTIFICATE (to Wireshark's
-- X.509 dissector) and its CertificateVerify; the dissector does NOT verify that signature.
local function render_client_authentication(r, tree, pinfo)
    local at = tree:add(r.tvb(r.pos, r:left()), "Client authentication (§7.7): CERTIFICATE and CertificateVerify")
    local cert_item, cert = add_vector(r, at, f.client_certificate_length, f.client_certificate, 2, 1, 65535,
                                       "client_certificate")
    if not cert_item then return end
    call_sub_dissector(sub_dissectors.certificate, cert, pinfo, cert_item,
                       "client_certificate: not an X.509 certificate")
    local _, scheme_range = r:uint(2)
    if not scheme_range then return malformed(at, "CertificateVerify: scheme truncated (decode_error, §7.7)") end
    at:add(f.certificate_verify_scheme, scheme_range)
    local sig_item = add_vector(r, at, f.certificate_verify_length, f.certificate_verify, 2, 1, 65535,
                                "CertificateVerify")
    if sig_item then
        sig_item:add(r.tvb(r.pos - 1, 1), "Signed with the client's private key over 64 spaces, the context string, " ..
                     "00 and Hash(ClientHello || ServerHello || the fields before the scheme): it covers both randoms " ..
                     "(not verified by the dissector)"):set_generated()
    end
end

local function render_client_key_exchange(r, tree, rec, pinfo)
    local form = rec.cke_form
    if rec.cke_form_from then tree:add(f.cke_form_from, rec.cke_form_from):set_generated() end
    if not form then
        local n = r:left()
        form = (n >= 2 and r.tvb(r.pos, 1):uint() == n - 1) and "ecdhe" or "rsa"
        tree:add(r.tvb(r.pos, n), "Form " .. (form == "ecdhe" and "key_exchange (ECDHE)" or
                 "encrypted_pre_master (RSA key transport)") .. " taken from the length alone: the " ..
                 "ServerHello of this session, whose cipher suite decides it, is not in the capture"):set_generated()
    end
    local item, range
    if form == "ecdhe" then
        item, range = add_vector(r, tree, f.cke_public_length, f.cke_public, 1, 1, 255, "key_exchange")
        if item then
            item:append_text(rec.group and (" (" .. group_name(rec.group) .. ")") or "")
            if rec.group then check_key_share(item, rec.group, range) end
            tree:add(range, "PRE-MASTER = ECDH(client's ephemeral private key, server's key share) = " ..
                     "ECDH(server's ephemeral private key, this key share): never sent"):set_generated()
            tree:add(range, "The ephemeral private keys are erased after the handshake: a server key stolen " ..
                     "later opens no recorded session (forward secrecy, §7.6)"):set_generated()
            tree:add(range, "The key log still opens this session: it holds the master secret, and the key " ..
                     "schedule is unchanged (§7.2, §11)"):set_generated()
        end
    else
        item, range = add_vector(r, tree, f.pre_master_length, f.pre_master, 2, 1, 65535, "encrypted_pre_master")
    end
    -- §7.7: the ServerHello's certificate_request decides the form; nil when that ServerHello is
    -- not in the capture or its extensions do not parse (then the bytes decide, as above).
    if item and r:left() > 0 and rec.mutual_expected == false then
        protocol(tree, "the client's CERTIFICATE, but the ServerHello did not ask for it (certificate_request, " ..
                 "§7.7): the server reads the form of §7.1/§7.6 and finds trailing bytes (decode_error)")
    elseif item and r:left() == 0 and rec.mutual_expected then
        protocol(tree, "the ServerHello asked for the client's CERTIFICATE (certificate_request, §7.7), but arrow 5 " ..
                 "is not in the mutual form, which it MUST take (decode_error)")
    end
    if item and r:left() > 0 then render_client_authentication(r, tree, pinfo) end
    if item and rec.keylog then render_keylog(tree, range, rec.keylog) end
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
    elseif msg_type == HT.server_hello then render_server_hello(body, ht, pinfo, rec)
    elseif msg_type == HT.client_key_exchange then render_client_key_exchange(body, ht, rec, pinfo)
    elseif msg_type == HT.status_request then render_status_request(body, ht, pinfo, rec)
    elseif msg_type == HT.status_response then render_status_response(body, ht, pinfo)
    elseif msg_type == HT.finished then render_finished(body, ht, rec)
    elseif msg_type == HT.new_session_ticket then render_new_session_ticket(body, ht)
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
        tag_item:add(tag_range, "AEAD tag " .. crypto.TAG_NOT_VERIFIED):set_generated()
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
        tree:add(f.master_secret, tvb(offset, HEADER_LEN), crypto.to_hex(rec.master)):set_generated()
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

-- Info: "(2) Server → Client: ServerHello", "CA → Client: Alert: decode_error"; the frames of
-- one segment all go the same way, so the direction is said once:
-- "(5) Client → Server: ClientKeyExchange (PRE-MASTER), (6) Finished (test message)".
local MAX_INFO_FRAMES = 16

local function set_columns(pinfo)
    pinfo.cols.protocol:clear_fence()               -- HTTP, OCSP fence their column text
    pinfo.cols.info:clear_fence()
    pinfo.cols.protocol = "tlslab"
    local recs = analysis.packet_records(pinfo.number)
    local texts, said_who = {}, nil
    for k = 1, math.min(#recs, MAX_INFO_FRAMES) do
        local rec = recs[k]
        local text = rec.info or ""
        if rec.who and rec.who ~= said_who then
            text = rec.who .. ": " .. text
            said_who = rec.who
        end
        if rec.arrow and not rec.is_alert then text = "(" .. rec.arrow .. ") " .. text end
        texts[#texts + 1] = text
    end
    if #recs > MAX_INFO_FRAMES then
        texts[#texts + 1] = "… (" .. #recs .. " tlslab frames in this segment)"
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
    analysis.record_bad_header(pinfo, offset)
end

return {
    frame = render_frame,
    bad_header = render_bad_header,
    columns = set_columns,
}
