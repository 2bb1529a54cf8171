#pragma once
// Byte buffers, views and hex: the vocabulary every other header speaks.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tlslab {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

std::string to_hex(ByteView bytes);
// Parses hex digits, ignoring ASCII white space; nullopt on anything else or an odd count.
std::optional<Bytes> from_hex(std::string_view hex);

inline ByteView as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

inline void append(Bytes& out, ByteView more) {
  out.insert(out.end(), more.begin(), more.end());
}

}  // namespace tlslab
