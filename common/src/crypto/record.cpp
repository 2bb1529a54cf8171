#include "tlslab/crypto/record.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string>

namespace tlslab::crypto {

RecordProtection::RecordProtection(Aead aead, DirectionKeys keys)
    : key_(aead, keys.key.view()), iv_(std::move(keys.iv)) {
  keys.key.wipe();
}

void RecordProtection::nonce_for(std::uint64_t sequence,
                                 std::span<std::uint8_t, aead_nonce_size> nonce) const noexcept {
  // §7.5: nonce = IV XOR sequence number, big-endian, left-padded to 12 bytes (RFC 8446 §5.3).
  std::copy(iv_.view().begin(), iv_.view().end(), nonce.begin());
  for (std::size_t i = 0; i < 8; ++i) {
    nonce[aead_nonce_size - 1 - i] ^= static_cast<std::uint8_t>(sequence >> (8 * i));
  }
}

void RecordProtection::seal(InnerType type, ByteView content, Bytes& out) {
  if (content.size() > max_plaintext) throw std::length_error("record content above 16384 bytes");
  if (sequence_ == std::numeric_limits<std::uint64_t>::max()) {
    throw ProtocolError(AlertDescription::internal_error, "sequence number exhausted: start a new session");
  }
  std::size_t inner_size = content.size() + 1;
  FrameHeader header{ContentType::protected_record, ProtocolVersion::tlslab_1_0,
                     static_cast<std::uint16_t>(inner_size + aead_tag_size)};
  auto header_bytes = header.encode();
  std::size_t start = out.size();
  out.resize(start + frame_header_size + inner_size + aead_tag_size);
  std::uint8_t* frame = out.data() + start;
  std::memcpy(frame, header_bytes.data(), frame_header_size);
  std::uint8_t* body = frame + frame_header_size;
  if (!content.empty()) std::memmove(body, content.data(), content.size());
  body[content.size()] = static_cast<std::uint8_t>(type);
  std::array<std::uint8_t, aead_nonce_size> nonce{};
  nonce_for(sequence_, nonce);
  key_.seal(nonce, header_bytes, ByteView(body, inner_size), body);
  ++sequence_;
}

Result<OpenedRecord> RecordProtection::open(const FrameHeader& header, std::span<std::uint8_t> fragment) {
  if (header.type != ContentType::protected_record) {
    return fail(AlertDescription::unexpected_message,
                std::string(to_string(header.type)) + " frame in the clear after protection started");
  }
  if (fragment.size() != header.length) return fail(AlertDescription::decode_error, "frame length mismatch");
  if (fragment.size() < aead_tag_size + 1) {
    return fail(AlertDescription::bad_record_mac, "protected frame too short to hold a tag and an inner type");
  }
  if (sequence_ == std::numeric_limits<std::uint64_t>::max()) {
    return fail(AlertDescription::bad_record_mac, "sequence number exhausted");
  }
  std::array<std::uint8_t, aead_nonce_size> nonce{};
  nonce_for(sequence_, nonce);
  auto header_bytes = header.encode();
  if (!key_.open(nonce, header_bytes, fragment, fragment.data())) {
    return fail(AlertDescription::bad_record_mac,
                "record " + std::to_string(sequence_) +
                    " does not authenticate (modified, replayed, reordered, dropped or wrong keys)");
  }
  ++sequence_;
  std::size_t inner_size = fragment.size() - aead_tag_size;
  std::size_t content_size = inner_size - 1;
  std::uint8_t inner_type = fragment[content_size];
  if (content_size > max_plaintext) {
    return fail(AlertDescription::record_overflow, "record content of " + std::to_string(content_size) + " bytes");
  }
  switch (inner_type) {
    case static_cast<std::uint8_t>(InnerType::application_data): break;
    case static_cast<std::uint8_t>(InnerType::alert):
    case static_cast<std::uint8_t>(InnerType::handshake):
      if (content_size == 0) return fail(AlertDescription::decode_error, "empty protected handshake or alert");
      break;
    default: return fail(AlertDescription::unexpected_message, "unknown inner type " + std::to_string(inner_type));
  }
  return OpenedRecord{static_cast<InnerType>(inner_type), ByteView(fragment.data(), content_size)};
}

}  // namespace tlslab::crypto
