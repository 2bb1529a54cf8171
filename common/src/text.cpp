#include "tlslab/text.hpp"

#include <arpa/inet.h>

#include <cstdint>
#include <cstdio>

namespace tlslab {
namespace {

// The length of the valid UTF-8 sequence starting at text[at] (RFC 3629 §4), 0 if it is not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t at) {
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  std::uint8_t lead = byte(at);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint8_t low = 0x80, high = 0xbf;  // the allowed range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;   // no overlong forms
    if (lead == 0xed) high = 0x9f;  // no surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;   // no overlong forms
    if (lead == 0xf4) high = 0x8f;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  if (byte(at + 1) < low || byte(at + 1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(at + i) < 0x80 || byte(at + i) > 0xbf) return 0;
  }
  return length;
}

void append_byte_escape(std::string& out, std::uint8_t byte) {
  char escaped[5];
  std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
  out += escaped;
}

// The code point of the valid UTF-8 sequence of `length` bytes at text[at].
std::uint32_t code_point(std::string_view text, std::size_t at, std::size_t length) {
  auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<std::uint8_t>(text[at + i])); };
  if (length == 1) return byte(0);
  std::uint32_t value = byte(0) & (0xffu >> (length + 1));
  for (std::size_t i = 1; i < length; ++i) value = (value << 6) | (byte(i) & 0x3f);
  return value;
}

// Characters that change how the text around them is shown without being seen themselves: the
// bidi controls (a certificate name "evil\u202egpj.com" shows as "evilmoc.jpg"), zero-width ones
// and the line and paragraph separators. A reader must see that they are there.
bool is_invisible_format(std::uint32_t cp) {
  return cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
         (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

bool is_ldh_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    bool ldh = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ldh) return false;
  }
  return true;
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    auto byte = static_cast<std::uint8_t>(text[at]);
    std::size_t length = utf8_sequence_length(text, at);
    bool c1_control = length == 2 && byte == 0xc2 && static_cast<std::uint8_t>(text[at + 1]) <= 0x9f;
    if (length == 0 || byte < 0x20 || byte == 0x7f || c1_control) {
      append_byte_escape(out, byte);
      ++at;
      continue;
    }
    if (byte == '\\') {
      out += "\\\\";
    } else if (std::uint32_t cp = code_point(text, at, length); is_invisible_format(cp)) {
      char escaped[12];
      std::snprintf(escaped, sizeof escaped, "\\u{%04x}", static_cast<unsigned>(cp));
      out += escaped;
    } else {
      out.append(text.substr(at, length));
    }
    at += length;
  }
  return out;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (std::size_t at = 0; at < text.size();) {
    auto byte = static_cast<std::uint8_t>(text[at]);
    std::size_t length = utf8_sequence_length(text, at);
    if (length == 0) {  // not UTF-8: say which byte it was, as text
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\\\x%02x", byte);
      out += escaped;
      ++at;
      continue;
    }
    switch (byte) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
          out += escaped;
        } else {
          out.append(text.substr(at, length));
        }
    }
    at += length;
  }
  return out + "\"";
}

bool is_host_name(std::string_view name) {
  if (name.empty()) return false;
  std::string terminated(name);
  unsigned char address[16];
  if (name.find(':') != std::string_view::npos) return inet_pton(AF_INET6, terminated.c_str(), address) == 1;
  if (name.size() > 253) return false;
  for (std::size_t start = 0;;) {
    std::size_t dot = name.find('.', start);
    if (!is_ldh_label(name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::string shortened_list(const std::string& first_items, std::size_t shown, std::size_t total) {
  if (total <= shown) return first_items;
  std::string count = std::to_string(total - shown);
  // Thousands separators: "8,140" reads at a glance in a log line.
  std::string more;
  for (std::size_t i = 0; i < count.size(); ++i) {
    if (i > 0 && (count.size() - i) % 3 == 0) more.push_back(',');
    more.push_back(count[i]);
  }
  std::string out = first_items;
  out.append(" … and ").append(more).append(" more");
  return out;
}

}  // namespace tlslab
