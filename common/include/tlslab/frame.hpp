#pragma once
// Frames (PROTOCOL.md §2): a 5-byte header then a fragment. The header is decoded and its
// length checked against the limits before a single fragment byte is buffered.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tlslab/bytes.hpp"
#include "tlslab/result.hpp"

namespace tlslab {

enum class ContentType : std::uint8_t { alert = 21, handshake = 22, protected_record = 23 };
// Inner content types of a protected frame (§7.5).
enum class InnerType : std::uint8_t { alert = 21, handshake = 22, application_data = 23 };

enum class ProtocolVersion : std::uint16_t { tlslab_1_0 = 0x0100 };

inline constexpr std::size_t frame_header_size = 5;
inline constexpr std::size_t max_plaintext = 16384;                 // 2^14
inline constexpr std::size_t max_protected_fragment = 16384 + 256;  // §2
inline constexpr std::size_t aead_tag_size = 16;

std::string_view to_string(ContentType type);
std::string_view to_string(InnerType type);
std::string_view to_string(ProtocolVersion version);

struct FrameHeader {
  ContentType type;
  ProtocolVersion version;
  std::uint16_t length;

  [[nodiscard]] std::array<std::uint8_t, frame_header_size> encode() const;
  // Rejects unknown types and versions, zero lengths and lengths above the limit for `type`.
  static Result<FrameHeader> decode(ByteView header);
};

struct Frame {
  FrameHeader header;
  Bytes fragment;
};

// header || fragment, for a fragment that fits the limits of `type` (throws otherwise: a bug).
Bytes encode_frame(ContentType type, ByteView fragment);

}  // namespace tlslab
