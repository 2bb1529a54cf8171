-- tlslab/crypto.lua -- the cryptography of §7 (key schedule, Finished, protected frames),
-- all of it done by OpenSSL through lua-luaossl.
-- Part of the tlslab dissector: loaded by scripts/wireshark/tlslab.lua, which documents it.

local env = ...
-- Installed, this file is also in Wireshark's plugin folder, where Wireshark runs every *.lua as a
-- plugin of its own: then it is called without the loader's table and does nothing.
if type(env) ~= "table" or not env.proto then return end

local F = env.fields
local TAG_LEN = F.TAG_LEN

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

---------------------------------------------------------------------------------------------
-- Crypto (§7) with lua-luaossl, loaded only if present. OpenSSL does every primitive and the
-- KDF; the dissector implements none of them.
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

-- §7.2 key_block = PRF(master_secret, "key expansion", RAND-SERVER || RAND-CLIENT), cut into
-- each side's write key and IV.
local function session_keys(suite, master, client_random, server_random)
    local kl = suite.key_len
    local kb = prf(suite.hash, master, "key expansion", server_random .. client_random, 2 * kl + 24)
    return {
        master = master,
        client = { key = kb:sub(1, kl), iv = kb:sub(2 * kl + 1, 2 * kl + 12) },
        server = { key = kb:sub(kl + 1, 2 * kl), iv = kb:sub(2 * kl + 13, 2 * kl + 24) },
    }
end

-- §7.3 verify_data = PRF(master_secret, "<side> finished", Hash(transcript))[0..11]
local function verify_data(suite, master, side, transcript)
    return prf(suite.hash, master, side .. " finished", hash_of(suite.hash, transcript), 12)
end

return {
    to_hex = to_hex,
    from_hex = from_hex,
    ossl = ossl,
    TAG_NOT_VERIFIED = TAG_NOT_VERIFIED,
    session_keys = session_keys,
    verify_data = verify_data,
    decrypt_protected = decrypt_protected,
}
