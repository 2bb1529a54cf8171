-- tlslab/keylog.lua -- the NSS key log of §11, read again only when it changed.
-- Part of the tlslab dissector: loaded by scripts/wireshark/tlslab.lua, which documents it.

local env = ...
-- Installed, this file is also in Wireshark's plugin folder, where Wireshark runs every *.lua as a
-- plugin of its own: then it is called without the loader's table and does nothing.
if type(env) ~= "table" or not env.proto then return end

local to_hex, from_hex = env.crypto.to_hex, env.crypto.from_hex

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

-- Returns the master secret for a RAND-CLIENT from the key log `path`, or nil and the reason.
local function master_secret_for(path, client_random)
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

return {
    reset = function() reset_keylog(nil) end,
    master_secret_for = master_secret_for,
    -- for the tree (tlslab.keylog.*): what the cache knows, and how often the file was read
    knows = function(client_random) return keylog.secrets[to_hex(client_random)] ~= nil end,
    entries = function() return keylog.entries end,
    reads = function() return keylog.reads end,
}
