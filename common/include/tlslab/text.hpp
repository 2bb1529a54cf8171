#pragma once
// Text that came from a peer, made safe for where it goes. A terminal obeys escape sequences and a
// JSON reader rejects invalid UTF-8, so every string a peer can choose (server_name, certificate
// names, HTTP targets, reasons that quote them) passes through here before it is printed, logged
// or written as JSON. Our own text passes unchanged.
#include <cstddef>
#include <string>
#include <string_view>

namespace tlslab {

// For a terminal or a log: valid UTF-8 without control characters is kept; every byte below
// 0x20, 0x7f, and every byte that is not part of valid UTF-8 (overlong forms, surrogates and
// code points above U+10FFFF included) is written as \xNN, and a backslash as \\, so that the
// result can be read back unambiguously. C1 controls (U+0080..U+009F) are escaped too: some
// terminals obey them as CSI.
// Characters that reorder or hide text without being seen (the bidi controls U+202A..U+202E and
// U+2066..U+2069, U+061C, the zero-width U+200B..U+200F and U+2060..U+2064, U+FEFF, and U+2028,
// U+2029) are written as \u{XXXX}, as browsers show such host names in punycode: the reader sees
// that they are there.
std::string printable(std::string_view text);

// A JSON string literal (quotes included) holding exactly `text` when it is valid UTF-8. Bytes
// that are not valid UTF-8 are written as the six characters \u00NN would decode to U+00NN, a
// different string, so they are written as the text "\xNN" instead (a backslash and x, escaped):
// the output is always valid JSON and valid UTF-8, and says which bytes were there.
std::string json_string(std::string_view text);

// RFC 1123 host name (LDH labels of 1..63, no leading or trailing hyphen, at most 253 in all, no
// trailing dot) or an IPv4/IPv6 address literal: what a server_name may hold (PROTOCOL.md §3.1).
bool is_host_name(std::string_view name);

// "a, b, c … and 8,140 more": a peer-supplied list shortened for a log line.
std::string shortened_list(const std::string& first_items, std::size_t shown, std::size_t total);

}  // namespace tlslab
