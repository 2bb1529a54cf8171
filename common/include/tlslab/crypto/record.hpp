#pragma once
// Record protection (PROTOCOL.md §7.5): AEAD per direction, nonce = IV XOR sequence number,
// the frame header as associated data. One RecordProtection per direction.
#include <cstdint>
#include <span>

#include "tlslab/bytes.hpp"
#include "tlslab/cipher_suite.hpp"
#include "tlslab/crypto/aead.hpp"
#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/frame.hpp"
#include "tlslab/result.hpp"

namespace tlslab::crypto {

struct OpenedRecord {
  InnerType type;
  ByteView content;  // a view into the buffer passed to open()
};

class RecordProtection {
 public:
  RecordProtection(Aead aead, DirectionKeys keys);

  // Seals `content` as one protected frame (header || ciphertext || tag) appended to `out`.
  // content.size() must be ≤ max_plaintext.
  void seal(InnerType type, ByteView content, Bytes& out);
  // Opens a protected frame in place: `fragment` is decrypted into itself. bad_record_mac for any
  // modification, replay, reorder or truncation; decode_error/unexpected_message for a bad inner
  // type; record_overflow for too much content.
  Result<OpenedRecord> open(const FrameHeader& header, std::span<std::uint8_t> fragment);

  [[nodiscard]] std::uint64_t sequence() const noexcept { return sequence_; }
  // For tests of the overflow rule only.
  void set_sequence_for_test(std::uint64_t sequence) noexcept { sequence_ = sequence; }

 private:
  void nonce_for(std::uint64_t sequence, std::span<std::uint8_t, aead_nonce_size> nonce) const noexcept;

  AeadKey key_;
  Secret iv_;
  std::uint64_t sequence_ = 0;
};

}  // namespace tlslab::crypto
