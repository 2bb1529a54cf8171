-- tlslab.lua -- Wireshark 4.0 (Lua 5.2) dissector for the tlslab wire protocol.
--
-- The normative spec is docs/PROTOCOL.md; section numbers in comments (§n) refer to it.
-- One arrow of the diagram = one frame; the tree and the Info column use the diagram's words
-- (RAND-CLIENT, CERTIFICATE, PRE-MASTER, "test message", "ACK", ...).
--
-- Install: scripts/wireshark/install.sh (copies this file and its modules into the personal Lua
-- plugin folder, and the coloring rules of scripts/wireshark/colorfilters into the personal
-- colorfilters), or run once with: tshark -X lua_script:scripts/wireshark/tlslab.lua -r capture.pcap
--
-- This file registers the protocol and splits the TCP stream into frames (§2); the work is done
-- by the modules in tlslab/ next to it, one per job, loaded below in this order:
--   fields.lua    the constants of PROTOCOL.md, the fields, expert infos and preference
--   crypto.lua    §7 with OpenSSL through lua-luaossl: key schedule, Finished, decryption
--   keylog.lua    the key log of §11, read again only when it changed
--   http.lua      HTTP/1.1 framing of the decrypted application data (§10)
--   analysis.lua  the first pass: conversations, sessions, links, decryption, work caps
--   render.lua    the tree and the columns, on every pass
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
-- ECDHE sessions (§7.6) are decrypted the same way: the key log holds the master secret and the
-- key schedule is the same; the ECDH shared secret (the PRE-MASTER) is never on the wire, nor needed.
-- The key shares (tlslab.key_share.public, tlslab.client_key_exchange.public) and the server's
-- signature (tlslab.signature) are shown, with the content the signature covers rebuilt from the
-- wire (tlslab.key_share.signed_content); the dissector does NOT verify that signature, and says so.
-- A ClientKeyExchange is read in the form of the suite chosen in its session's ServerHello.
--
-- Resumption (§7.8): session_ticket in ClientHello (tlslab.session_ticket, .length, .can_keep) and
-- ServerHello (tlslab.session_ticket.mode); the resumed ServerHello, with empty CERTIFICATE and
-- SERVER'S PUBLIC KEY, is marked tlslab.resumed with the note "resumed: no CERTIFICATE, no SERVER'S
-- PUBLIC KEY", and its keys come from the key log line of its own RAND-CLIENT (the ticket's master
-- secret) with no arrow 5; the NewSessionTicket after the server's Finished is shown once decrypted
-- (tlslab.new_session_ticket.lifetime_hint, .ticket).
--
-- Hostile input (issue 16): a peer must not be able to make the dissector slow. The key log is
-- read again only when it changed; a session's keys are looked up and derived once and each
-- side's Finished checked once; at most MAX_SESSIONS_PER_CONVERSATION handshakes of one
-- connection are analysed (analysis.lua); HTTP messages are reassembled up to MAX_HTTP_PENDING
-- bytes (http.lua). Past a cap, frames are still shown, with the expert note "work cap reached"
-- (tlslab.expert.work_cap).

-- Loaded twice (installed by install.sh, and again with -X lua_script:, as the README's commands
-- have it): the second copy finds the first one's dissector and steps aside, instead of stopping
-- tshark with "there cannot be two protocols with the same description". The copy loaded first
-- dissects: the installed one, since personal plugins load before -X scripts.
do
    local looked_up, existing = pcall(Dissector.get, "tlslab")  -- nil (4.0) or an error: none yet
    if looked_up and existing then return end
end

local tlslab = Proto("tlslab", "tlslab handshake lab protocol")

-- The modules are found next to this file, from its own path: `-X lua_script:PATH` may be given
-- from any working directory, and install.sh puts them in tlslab/ beside the installed copy.
-- loadfile, not require: a module must not be found elsewhere on package.path, nor be cached
-- under a name another plugin uses. Each module gets `env` (the protocol and the modules loaded
-- before it) and returns its table, stored in env under its name.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or ""
local env = { proto = tlslab }
for _, name in ipairs({ "fields", "crypto", "keylog", "http", "analysis", "render" }) do
    local path = here .. "tlslab/" .. name .. ".lua"
    local chunk, err = loadfile(path)
    if not chunk then error("tlslab: cannot load the module " .. path .. ": " .. tostring(err), 0) end
    env[name] = chunk(env)
end

local F, analysis, keylog, render = env.fields, env.analysis, env.keylog, env.render
local ei = F.ei
local HEADER_LEN, TAG_LEN, VERSION_1_0, DEFAULT_PORTS = F.HEADER_LEN, F.TAG_LEN, F.VERSION_1_0, F.DEFAULT_PORTS
local MAX_CLEAR_LEN, MAX_PROTECTED_LEN = F.MAX_CLEAR_LEN, F.MAX_PROTECTED_LEN
local CT_ALERT, CT_HANDSHAKE, CT_PROTECTED = F.CT_ALERT, F.CT_HANDSHAKE, F.CT_PROTECTED
local CONTENT_TYPES, HANDSHAKE_TYPES, ALERT_LEVELS = F.CONTENT_TYPES, F.HANDSHAKE_TYPES, F.ALERT_LEVELS

function tlslab.init()                               -- called before each (re)dissection
    analysis.reset()
    keylog.reset()
end

function tlslab.prefs_changed()
    keylog.reset()
end

---------------------------------------------------------------------------------------------
-- Framing over TCP (§2): several frames per segment, frames across segments
---------------------------------------------------------------------------------------------

local function max_length(content_type)
    return (content_type == CT_PROTECTED) and MAX_PROTECTED_LEN or MAX_CLEAR_LEN
end

local function handle_frame(tvb, offset, length, pinfo, tree)
    local rec = analysis.record_for(tvb, offset, length, pinfo)
    local ok, err = pcall(render.frame, tvb, offset, length, pinfo, tree, rec)
    if not ok then tree:add_proto_expert_info(ei.dissector_bug, "tlslab dissector error: " .. tostring(err)) end
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
            render.bad_header(tvb, offset, pinfo, tree, "frame length 0 (decode_error, §2)")
            offset = total
            break
        end
        if length > max_length(content_type) then
            render.bad_header(tvb, offset, pinfo, tree, string.format(
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
    render.columns(pinfo)
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
