#pragma once
// Frames (PROTOCOL.md §2): a 5-byte header then a fragment. The header is decoded and its
// length checked against the limits before a single fragment byte is buffered.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tlslab/bytes.hpp"
#include "tlslab/field_span.hpp"
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

// A frame as it crossed the wire, with the span of each of its fields (field_span.hpp): what
// the trace, the JSON trace and the report show for an arrow. For a protected frame, `bytes` is
// the ciphertext and `plaintext` the inner plaintext (content || inner type), which a renderer
// shows only under --show-secrets.
struct WireFrame {
  Bytes bytes;
  std::vector<FieldSpan> spans;
  Bytes plaintext;
  std::vector<FieldSpan> plaintext_spans;
};

// header (type, version, length), then the fragment's fields (spans relative to the fragment).
std::vector<FieldSpan> clear_frame_spans(std::vector<FieldSpan> fragment_spans);
// header, then ciphertext and tag (§7.5) for a protected frame whose fragment is `fragment_length`.
std::vector<FieldSpan> protected_frame_spans(std::size_t fragment_length);
// The inner plaintext: the content's fields, then inner_type.
std::vector<FieldSpan> inner_plaintext_spans(std::vector<FieldSpan> content_spans, std::size_t content_length);
// An alert's two fields (§8).
std::vector<FieldSpan> alert_spans();

// header || fragment, for a fragment that fits the limits of `type` (throws otherwise: a bug).
Bytes encode_frame(ContentType type, ByteView fragment);

}  // namespace tlslab
