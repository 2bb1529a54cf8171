#include "tlslab/frame.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace tlslab {

std::string_view to_string(ContentType type) {
  switch (type) {
    case ContentType::alert: return "alert";
    case ContentType::handshake: return "handshake";
    case ContentType::protected_record: return "protected";
  }
  return "unknown";
}

std::string_view to_string(InnerType type) {
  switch (type) {
    case InnerType::alert: return "alert";
    case InnerType::handshake: return "handshake";
    case InnerType::application_data: return "application_data";
  }
  return "unknown";
}

std::string_view to_string(ProtocolVersion version) {
  switch (version) {
    case ProtocolVersion::tlslab_1_0: return "tlslab/1.0";
  }
  return "unknown";
}

std::array<std::uint8_t, frame_header_size> FrameHeader::encode() const {
  auto version_value = static_cast<std::uint16_t>(version);
  return {static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(version_value >> 8),
          static_cast<std::uint8_t>(version_value), static_cast<std::uint8_t>(length >> 8),
          static_cast<std::uint8_t>(length)};
}

Result<FrameHeader> FrameHeader::decode(ByteView header) {
  if (header.size() != frame_header_size) {
    return fail(AlertDescription::decode_error, "frame header must be 5 bytes");
  }
  FrameHeader out{};
  switch (header[0]) {
    case static_cast<std::uint8_t>(ContentType::alert):
    case static_cast<std::uint8_t>(ContentType::handshake):
    case static_cast<std::uint8_t>(ContentType::protected_record):
      out.type = static_cast<ContentType>(header[0]);
      break;
    default:
      return fail(AlertDescription::unexpected_message,
                  "unknown frame type " + std::to_string(header[0]) + " (is the peer a tlslab program?)");
  }
  auto version = static_cast<std::uint16_t>((header[1] << 8) | header[2]);
  if (version != static_cast<std::uint16_t>(ProtocolVersion::tlslab_1_0)) {
    return fail(AlertDescription::protocol_version,
                "frame version 0x" + to_hex(header.subspan(1, 2)) + " is not tlslab/1.0 (0x0100)");
  }
  out.version = ProtocolVersion::tlslab_1_0;
  out.length = static_cast<std::uint16_t>((header[3] << 8) | header[4]);
  std::size_t limit = out.type == ContentType::protected_record ? max_protected_fragment : max_plaintext;
  if (out.length > limit) {
    return fail(AlertDescription::record_overflow, std::string(to_string(out.type)) + " frame of " +
                                                       std::to_string(out.length) + " bytes exceeds the limit of " +
                                                       std::to_string(limit));
  }
  if (out.length == 0) return fail(AlertDescription::decode_error, "empty frame");
  return out;
}

Bytes encode_frame(ContentType type, ByteView fragment) {
  std::size_t limit = type == ContentType::protected_record ? max_protected_fragment : max_plaintext;
  if (fragment.empty() || fragment.size() > limit) {
    throw std::length_error("frame fragment of " + std::to_string(fragment.size()) + " bytes");
  }
  FrameHeader header{type, ProtocolVersion::tlslab_1_0, static_cast<std::uint16_t>(fragment.size())};
  auto encoded = header.encode();
  Bytes out(frame_header_size + fragment.size());
  std::copy(encoded.begin(), encoded.end(), out.begin());
  std::copy(fragment.begin(), fragment.end(), out.begin() + frame_header_size);
  return out;
}

namespace {

FieldSpan header_span() {
  return {0, frame_header_size, "header", {{0, 1, "type", {}}, {1, 2, "version", {}}, {3, 2, "length", {}}}};
}

}  // namespace

std::vector<FieldSpan> clear_frame_spans(std::vector<FieldSpan> fragment_spans) {
  shift_spans(fragment_spans, frame_header_size);
  fragment_spans.insert(fragment_spans.begin(), header_span());
  return fragment_spans;
}

std::vector<FieldSpan> protected_frame_spans(std::size_t fragment_length) {
  std::size_t ciphertext = fragment_length - aead_tag_size;
  return {header_span(),
          {frame_header_size, ciphertext, "ciphertext", {}},
          {frame_header_size + ciphertext, aead_tag_size, "tag", {}}};
}

std::vector<FieldSpan> inner_plaintext_spans(std::vector<FieldSpan> content_spans, std::size_t content_length) {
  content_spans.push_back({content_length, 1, "inner_type", {}});
  return content_spans;
}

std::vector<FieldSpan> alert_spans() {
  return {{0, 2, "Alert", {{0, 1, "level", {}}, {1, 1, "description", {}}}}};
}

}  // namespace tlslab
