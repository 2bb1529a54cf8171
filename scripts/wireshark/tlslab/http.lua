-- tlslab/http.lua -- HTTP/1.1 message framing in the decrypted byte stream of arrow 8 (§10),
-- for Wireshark's HTTP dissector.
-- Part of the tlslab dissector: loaded by scripts/wireshark/tlslab.lua, which documents it.

local env = ...
-- Installed, this file is also in Wireshark's plugin folder, where Wireshark runs every *.lua as a
-- plugin of its own: then it is called without the loader's table and does nothing.
if type(env) ~= "table" or not env.proto then return end

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

return {
    MAX_HTTP_PENDING = MAX_HTTP_PENDING,
    new_stream = new_http_stream,
    feed = http_feed,
    first_line = first_line,
}
