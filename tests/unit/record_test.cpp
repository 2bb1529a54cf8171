// Record protection (PROTOCOL.md §7.5) for every suite: round trips, and rejection of every
// modification, replay, reorder, drop, truncation, exhausted sequence number and bad inner type.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>

#include "test_support.hpp"
#include "tlslab/cipher_suite.hpp"
#include "tlslab/crypto/aead.hpp"
#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/record.hpp"
#include "tlslab/frame.hpp"

namespace tlslab::crypto {
namespace {

using test::alert_of;

constexpr std::uint64_t last_sequence = std::numeric_limits<std::uint64_t>::max();

// Opens one complete frame (header || fragment) as the receiving side would: header first.
// The fragment is decrypted in place, so callers pass a copy when they need the frame again.
Result<OpenedRecord> open_frame(RecordProtection& reader, Bytes& frame) {
  if (frame.size() < frame_header_size) return fail(AlertDescription::decode_error, "short frame");
  auto header = FrameHeader::decode(ByteView(frame).first(frame_header_size));
  if (!header) return header.failure();
  return reader.open(header.value(), std::span(frame).subspan(frame_header_size));
}

Bytes seal_one(RecordProtection& writer, InnerType type, ByteView content) {
  Bytes frame;
  writer.seal(type, content, frame);
  return frame;
}

Bytes content_of_size(std::size_t size) {
  Bytes content(size);
  for (std::size_t i = 0; i < size; ++i) content[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return content;
}

// Seals an InnerPlaintext exactly as §7.5 describes, independently of RecordProtection: lets the
// tests build records RecordProtection refuses to build (sequence 2^64-1, oversized or unknown
// inner content) and checks its nonce and associated data.
Bytes seal_by_hand(Aead aead, const DirectionKeys& keys, std::uint64_t sequence, ByteView inner_plaintext) {
  std::array<std::uint8_t, aead_nonce_size> nonce{};
  std::copy(keys.iv.view().begin(), keys.iv.view().end(), nonce.begin());
  for (std::size_t i = 0; i < 8; ++i) nonce[aead_nonce_size - 1 - i] ^= static_cast<std::uint8_t>(sequence >> (8 * i));
  FrameHeader header{ContentType::protected_record, ProtocolVersion::tlslab_1_0,
                     static_cast<std::uint16_t>(inner_plaintext.size() + aead_tag_size)};
  auto header_bytes = header.encode();
  Bytes frame(header_bytes.begin(), header_bytes.end());
  frame.resize(frame_header_size + inner_plaintext.size() + aead_tag_size);
  AeadKey key(aead, keys.key.view());
  key.seal(nonce, header_bytes, inner_plaintext, frame.data() + frame_header_size);
  return frame;
}

Bytes inner_plaintext(ByteView content, std::uint8_t inner_type) {
  Bytes inner(content.begin(), content.end());
  inner.push_back(inner_type);
  return inner;
}

class RecordProtectionTest : public ::testing::TestWithParam<CipherSuite> {
 protected:
  void SetUp() override {
    suite_ = suite_info(GetParam()).value();
    master_secret_ = Secret(random_bytes(master_secret_size));
    client_random_ = random_hello_value();
    server_random_ = random_hello_value();
  }

  [[nodiscard]] KeyBlock key_block() const {
    return derive_key_block(suite_, master_secret_, client_random_, server_random_);
  }
  // Each call gives a fresh direction at sequence 0: one for the sender, one for the receiver.
  [[nodiscard]] RecordProtection client_write() const { return {suite_.aead, key_block().client_write}; }
  [[nodiscard]] RecordProtection server_write() const { return {suite_.aead, key_block().server_write}; }

  SuiteInfo suite_{};
  Secret master_secret_;
  Random client_random_{};
  Random server_random_{};
};

std::string suite_test_name(const ::testing::TestParamInfo<CipherSuite>& info) {
  return std::string(suite_info(info.param)->short_name);
}

INSTANTIATE_TEST_SUITE_P(AllSuites, RecordProtectionTest,
                         ::testing::Values(CipherSuite::rsa_oaep_aes_128_gcm_sha256,
                                           CipherSuite::rsa_oaep_aes_256_gcm_sha384,
                                           CipherSuite::rsa_oaep_chacha20_poly1305_sha256),
                         suite_test_name);

TEST_P(RecordProtectionTest, RoundTripsContentOfSize0And1And16384) {
  RecordProtection writer = client_write();
  RecordProtection reader = client_write();
  std::uint64_t expected_sequence = 0;
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, max_plaintext}) {
    Bytes content = content_of_size(size);
    Bytes frame = seal_one(writer, InnerType::application_data, content);
    ASSERT_EQ(frame.size(), frame_header_size + size + 1 + aead_tag_size);
    EXPECT_EQ(frame[0], static_cast<std::uint8_t>(ContentType::protected_record));
    EXPECT_EQ(frame[1], 0x01);
    EXPECT_EQ(frame[2], 0x00);
    EXPECT_EQ((std::size_t{frame[3]} << 8) | frame[4], size + 1 + aead_tag_size);
    if (size >= 16) {  // shorter ciphertext may equal the content by chance (1 in 256 for one byte)
      EXPECT_NE(Bytes(frame.begin() + frame_header_size,
                      frame.begin() + static_cast<std::ptrdiff_t>(frame_header_size + size)),
                content)
          << "content must not travel in the clear";
    }

    auto opened = open_frame(reader, frame);
    ASSERT_TRUE(opened.ok()) << size << ": " << opened.failure().reason;
    EXPECT_EQ(opened->type, InnerType::application_data);
    EXPECT_EQ(Bytes(opened->content.begin(), opened->content.end()), content) << size;
    ++expected_sequence;
    EXPECT_EQ(writer.sequence(), expected_sequence);
    EXPECT_EQ(reader.sequence(), expected_sequence);
  }
}

TEST_P(RecordProtectionTest, RoundTripsHandshakeAndAlertInnerTypes) {
  RecordProtection writer = server_write();
  RecordProtection reader = server_write();
  const Bytes finished{0x14, 0x00, 0x00, 0x0C, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  const Bytes close_notify{0x01, 0x00};
  for (auto [type, content] : {std::pair{InnerType::handshake, finished}, std::pair{InnerType::alert, close_notify}}) {
    Bytes frame = seal_one(writer, type, content);
    auto opened = open_frame(reader, frame);
    ASSERT_TRUE(opened.ok()) << opened.failure().reason;
    EXPECT_EQ(opened->type, type);
    EXPECT_EQ(Bytes(opened->content.begin(), opened->content.end()), content);
  }
}

TEST_P(RecordProtectionTest, SealsWithTheNonceAndHeaderOfSection7_5) {
  RecordProtection writer = client_write();
  constexpr std::uint64_t sequence = 0x0102030405060708;
  writer.set_sequence_for_test(sequence);
  const Bytes content = content_of_size(40);
  Bytes sealed = seal_one(writer, InnerType::application_data, content);
  Bytes by_hand = seal_by_hand(suite_.aead, key_block().client_write, sequence,
                               inner_plaintext(content, static_cast<std::uint8_t>(InnerType::application_data)));
  EXPECT_EQ(to_hex(sealed), to_hex(by_hand));
}

TEST_P(RecordProtectionTest, AppendsToTheOutputBuffer) {
  RecordProtection writer = client_write();
  RecordProtection reader = client_write();
  Bytes out{0xAA, 0xBB};
  writer.seal(InnerType::application_data, content_of_size(3), out);
  ASSERT_EQ(out.size(), 2 + frame_header_size + 3 + 1 + aead_tag_size);
  EXPECT_EQ(out[0], 0xAA);
  EXPECT_EQ(out[1], 0xBB);
  Bytes frame(out.begin() + 2, out.end());
  EXPECT_TRUE(open_frame(reader, frame).ok());
}

TEST_P(RecordProtectionTest, RejectsContentOf16385OnSeal) {
  RecordProtection writer = client_write();
  Bytes out;
  EXPECT_THROW(writer.seal(InnerType::application_data, Bytes(max_plaintext + 1, 0x41), out), std::length_error);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(writer.sequence(), 0u);
}

TEST_P(RecordProtectionTest, RejectsEveryModifiedByteOfHeaderAndFragment) {
  RecordProtection writer = client_write();
  RecordProtection reader = client_write();
  const Bytes original = seal_one(writer, InnerType::application_data, content_of_size(24));
  for (std::size_t index = 0; index < original.size(); ++index) {
    for (std::uint8_t flip : {std::uint8_t{0x01}, std::uint8_t{0x80}}) {
      Bytes tampered = original;
      tampered[index] ^= flip;
      auto opened = open_frame(reader, tampered);
      if (index < frame_header_size) {
        // Caught as a bad header (type, version or length) before any decryption.
        EXPECT_FALSE(opened.ok()) << "header byte " << index << " ^ " << int{flip};
      } else {
        EXPECT_EQ(alert_of(opened), AlertDescription::bad_record_mac)
            << "fragment byte " << index << " ^ " << int{flip};
      }
    }
  }
  // Failed opens do not advance the sequence number: the untouched record still opens.
  Bytes intact = original;
  EXPECT_TRUE(open_frame(reader, intact).ok());
}

TEST_P(RecordProtectionTest, RejectsReplayedRecordWithBadRecordMac) {
  RecordProtection writer = client_write();
  RecordProtection reader = client_write();
  const Bytes frame = seal_one(writer, InnerType::application_data, content_of_size(10));
  Bytes first = frame;
  ASSERT_TRUE(open_frame(reader, first).ok());
  Bytes replay = frame;
  EXPECT_EQ(alert_of(open_frame(reader, replay)), AlertDescription::bad_record_mac);
}

TEST_P(RecordProtectionTest, RejectsReorderedRecordsWithBadRecordMac) {
  RecordProtection writer = client_write();
  RecordProtection reader = client_write();
  const Bytes record0 = seal_one(writer, InnerType::application_data, content_of_size(10));
  const Bytes record1 = seal_one(writer, InnerType::application_data, content_of_size(11));
  Bytes early = record1;
  EXPECT_EQ(alert_of(open_frame(reader, early)), AlertDescription::bad_record_mac) << "#1 opened before #0";
  // In order, both open: the failure above did not consume sequence number 0.
  Bytes copy0 = record0;
  Bytes copy1 = record1;
  EXPECT_TRUE(open_frame(reader, copy0).ok());
  EXPECT_TRUE(open_frame(reader, copy1).ok());
}

TEST_P(RecordProtectionTest, RejectsRecordAfterADroppedOneWithBadRecordMac) {
  RecordProtection writer = client_write();
  RecordProtection reader = client_write();
  Bytes record0 = seal_one(writer, InnerType::application_data, content_of_size(10));
  Bytes record1 = seal_one(writer, InnerType::application_data, content_of_size(10));
  Bytes record2 = seal_one(writer, InnerType::application_data, content_of_size(10));
  ASSERT_TRUE(open_frame(reader, record0).ok());
  EXPECT_EQ(alert_of(open_frame(reader, record2)), AlertDescription::bad_record_mac) << "#1 was dropped";
}

TEST_P(RecordProtectionTest, RejectsTruncatedFragment) {
  RecordProtection writer = client_write();
  RecordProtection reader = client_write();
  const Bytes frame = seal_one(writer, InnerType::application_data, content_of_size(24));
  const std::size_t fragment_size = frame.size() - frame_header_size;
  for (std::size_t kept = 1; kept < fragment_size; ++kept) {
    // The header is rewritten to match, as an attacker cutting the frame would do.
    FrameHeader header{ContentType::protected_record, ProtocolVersion::tlslab_1_0, static_cast<std::uint16_t>(kept)};
    Bytes fragment(frame.begin() + frame_header_size,
                   frame.begin() + static_cast<std::ptrdiff_t>(frame_header_size + kept));
    EXPECT_EQ(alert_of(reader.open(header, fragment)), AlertDescription::bad_record_mac) << "kept " << kept;
  }
  // Header left as sealed, fragment one byte short: the length mismatch is an error too.
  FrameHeader sealed_header = FrameHeader::decode(ByteView(frame).first(frame_header_size)).value();
  Bytes short_fragment(frame.begin() + frame_header_size, frame.end() - 1);
  EXPECT_FALSE(reader.open(sealed_header, short_fragment).ok());
}

TEST_P(RecordProtectionTest, RejectsSealAtSequence2Pow64Minus1WithProtocolError) {
  RecordProtection writer = client_write();
  writer.set_sequence_for_test(last_sequence - 1);
  Bytes out;
  writer.seal(InnerType::application_data, content_of_size(5), out);  // the last one allowed
  EXPECT_EQ(writer.sequence(), last_sequence);
  Bytes more;
  try {
    writer.seal(InnerType::application_data, content_of_size(5), more);
    FAIL() << "sealing record 2^64-1 must throw";
  } catch (const ProtocolError& error) {
    EXPECT_EQ(error.alert(), AlertDescription::internal_error);
  }
  EXPECT_TRUE(more.empty());
}

TEST_P(RecordProtectionTest, RejectsOpenAtSequence2Pow64Minus1WithBadRecordMac) {
  const Bytes content = content_of_size(5);
  const Bytes inner = inner_plaintext(content, static_cast<std::uint8_t>(InnerType::application_data));
  KeyBlock keys = key_block();
  RecordProtection reader = client_write();

  // Sanity: a record sealed by hand at 2^64-2 opens, so the by-hand sealing is right.
  reader.set_sequence_for_test(last_sequence - 1);
  Bytes before_last = seal_by_hand(suite_.aead, keys.client_write, last_sequence - 1, inner);
  ASSERT_TRUE(open_frame(reader, before_last).ok());
  ASSERT_EQ(reader.sequence(), last_sequence);

  // A correctly sealed record 2^64-1 must still be refused.
  Bytes last = seal_by_hand(suite_.aead, keys.client_write, last_sequence, inner);
  EXPECT_EQ(alert_of(open_frame(reader, last)), AlertDescription::bad_record_mac);
}

TEST_P(RecordProtectionTest, RejectsServerWriteRecordUnderClientWriteKeysWithBadRecordMac) {
  RecordProtection server_writer = server_write();
  RecordProtection client_reader = client_write();
  Bytes from_server = seal_one(server_writer, InnerType::application_data, content_of_size(10));
  EXPECT_EQ(alert_of(open_frame(client_reader, from_server)), AlertDescription::bad_record_mac);

  RecordProtection client_writer = client_write();
  RecordProtection server_reader = server_write();
  Bytes from_client = seal_one(client_writer, InnerType::application_data, content_of_size(10));
  EXPECT_EQ(alert_of(open_frame(server_reader, from_client)), AlertDescription::bad_record_mac);
}

TEST_P(RecordProtectionTest, RejectsUnknownInnerTypeWithUnexpectedMessage) {
  KeyBlock keys = key_block();
  for (std::uint8_t inner_type : {std::uint8_t{0}, std::uint8_t{20}, std::uint8_t{24}, std::uint8_t{255}}) {
    RecordProtection reader = client_write();
    Bytes frame = seal_by_hand(suite_.aead, keys.client_write, 0, inner_plaintext(content_of_size(4), inner_type));
    EXPECT_EQ(alert_of(open_frame(reader, frame)), AlertDescription::unexpected_message) << "type " << int{inner_type};
  }
}

TEST_P(RecordProtectionTest, RejectsEmptyHandshakeContentWithDecodeError) {
  RecordProtection writer = client_write();
  RecordProtection reader = client_write();
  Bytes frame = seal_one(writer, InnerType::handshake, ByteView{});
  EXPECT_EQ(alert_of(open_frame(reader, frame)), AlertDescription::decode_error);
}

TEST_P(RecordProtectionTest, RejectsEmptyAlertContentWithDecodeError) {
  RecordProtection writer = client_write();
  RecordProtection reader = client_write();
  Bytes frame = seal_one(writer, InnerType::alert, ByteView{});
  EXPECT_EQ(alert_of(open_frame(reader, frame)), AlertDescription::decode_error);
}

TEST_P(RecordProtectionTest, RejectsInnerContentOf16385WithRecordOverflow) {
  RecordProtection reader = client_write();
  Bytes inner =
      inner_plaintext(content_of_size(max_plaintext + 1), static_cast<std::uint8_t>(InnerType::application_data));
  Bytes frame = seal_by_hand(suite_.aead, key_block().client_write, 0, inner);
  ASSERT_LE(frame.size() - frame_header_size, max_protected_fragment) << "the header itself is within limits";
  EXPECT_EQ(alert_of(open_frame(reader, frame)), AlertDescription::record_overflow);
}

TEST_P(RecordProtectionTest, RejectsCleartextFrameTypeWithUnexpectedMessage) {
  RecordProtection reader = client_write();
  Bytes fragment{0x02, 0x00};
  FrameHeader header{ContentType::alert, ProtocolVersion::tlslab_1_0, 2};
  EXPECT_EQ(alert_of(reader.open(header, fragment)), AlertDescription::unexpected_message);
}

}  // namespace
}  // namespace tlslab::crypto
