// Reader, Writer and the frame header (PROTOCOL.md §2): bounds, length prefixes and limits.
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <stdexcept>

#include "tlslab/codec.hpp"
#include "tlslab/frame.hpp"

namespace tlslab {
namespace {

Bytes header_bytes(std::uint8_t type, std::uint16_t version, std::uint16_t length) {
  Writer out;
  out.u8(type);
  out.u16(version);
  out.u16(length);
  return std::move(out).take();
}

constexpr std::uint8_t alert_type = 21;
constexpr std::uint8_t handshake_type = 22;
constexpr std::uint8_t protected_type = 23;
constexpr std::uint16_t version_1_0 = 0x0100;

// --- Reader ---------------------------------------------------------------------------------

TEST(Reader, ReadsBigEndianIntegers) {
  const Bytes input{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  Reader in(input);
  EXPECT_EQ(in.u8(), 0x01);
  EXPECT_EQ(in.u16(), 0x0203);
  EXPECT_EQ(in.u24(), 0x040506u);
  EXPECT_EQ(in.u64(), 0x0102030405060708u);
  EXPECT_TRUE(in.empty());
  EXPECT_FALSE(in.finish().has_value());
}

TEST(Reader, RejectsReadingPastTheEnd) {
  const Bytes one{0xAA};
  {
    Reader in(ByteView{});
    EXPECT_FALSE(in.u8().has_value());
  }
  {
    Reader in(one);
    EXPECT_FALSE(in.u16().has_value());
    EXPECT_EQ(in.remaining(), 1u) << "a failed read must not consume the bytes";
  }
  {
    const Bytes two{0x01, 0x02};
    Reader in(two);
    EXPECT_FALSE(in.u24().has_value());
  }
  {
    const Bytes seven(7, 0xFF);
    Reader in(seven);
    EXPECT_FALSE(in.u64().has_value());
  }
  {
    Reader in(one);
    EXPECT_FALSE(in.fixed(2).has_value());
    auto exact = in.fixed(1);
    ASSERT_TRUE(exact.has_value());
    EXPECT_EQ((*exact)[0], 0xAA);
    EXPECT_FALSE(in.u8().has_value());
  }
}

TEST(Reader, ReadsVectorsWithOneTwoAndThreeByteLengths) {
  const Bytes input{
      0x02, 0xA1, 0xA2,              // <1-byte length> 2 bytes
      0x00, 0x03, 0xB1, 0xB2, 0xB3,  // <2-byte length> 3 bytes
      0x00, 0x00, 0x01, 0xC1,        // <3-byte length> 1 byte
      0x00,                          // <1-byte length> empty
  };
  Reader in(input);
  auto first = in.vector(1);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(Bytes(first->begin(), first->end()), (Bytes{0xA1, 0xA2}));
  auto second = in.vector(2);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(Bytes(second->begin(), second->end()), (Bytes{0xB1, 0xB2, 0xB3}));
  auto third = in.vector(3);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(Bytes(third->begin(), third->end()), (Bytes{0xC1}));
  auto empty = in.vector(1);
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(in.finish().has_value());
}

TEST(Reader, RejectsVectorLongerThanTheInput) {
  for (std::size_t length_bytes : std::initializer_list<std::size_t>{1, 2, 3}) {
    Writer out;
    auto mark = out.begin_vector(length_bytes);
    out.bytes(Bytes(5, 0x55));
    out.end_vector(mark);
    Bytes encoded = std::move(out).take();
    encoded.pop_back();  // the declared length now exceeds what follows
    Reader in(encoded);
    EXPECT_FALSE(in.vector(length_bytes).has_value()) << length_bytes << "-byte length";
  }
}

TEST(Reader, RejectsVectorWithTruncatedLengthPrefix) {
  const Bytes input{0x00, 0x01};
  Reader in(input);
  EXPECT_FALSE(in.vector(3).has_value());
}

TEST(Reader, RejectsUnsupportedLengthPrefixWidth) {
  const Bytes input{0x00, 0x00, 0x00, 0x00, 0x00};
  Reader in_zero(input);
  EXPECT_FALSE(in_zero.vector(0).has_value());
  Reader in_four(input);
  EXPECT_FALSE(in_four.vector(4).has_value());
}

TEST(Reader, FinishRejectsTrailingBytesWithDecodeError) {
  const Bytes input{0x01, 0x02, 0x03};
  Reader in(input, "TestMessage");
  ASSERT_TRUE(in.u8().has_value());
  auto trailing = in.finish();
  ASSERT_TRUE(trailing.has_value());
  EXPECT_EQ(trailing->alert, AlertDescription::decode_error);
  EXPECT_NE(trailing->reason.find("TestMessage"), std::string::npos) << trailing->reason;
  EXPECT_NE(trailing->reason.find('2'), std::string::npos) << "names the trailing count: " << trailing->reason;
}

TEST(Reader, TruncatedNamesTheFieldWithDecodeError) {
  Reader in(ByteView{}, "ClientHello");
  Failure failure = in.truncated("random");
  EXPECT_EQ(failure.alert, AlertDescription::decode_error);
  EXPECT_NE(failure.reason.find("ClientHello"), std::string::npos);
  EXPECT_NE(failure.reason.find("random"), std::string::npos);
}

// --- Writer ---------------------------------------------------------------------------------

TEST(Writer, WritesBigEndianIntegers) {
  Writer out;
  out.u8(0x01);
  out.u16(0x0203);
  out.u24(0x040506);
  out.u64(0x0708090A0B0C0D0E);
  EXPECT_EQ(out.data(), (Bytes{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E}));
}

TEST(Writer, WritesVectorsWithOneTwoAndThreeByteLengths) {
  Writer out;
  out.vector(1, Bytes{0xA1});
  out.vector(2, Bytes{0xB1, 0xB2});
  out.vector(3, Bytes{0xC1, 0xC2, 0xC3});
  EXPECT_EQ(out.data(), (Bytes{0x01, 0xA1, 0x00, 0x02, 0xB1, 0xB2, 0x00, 0x00, 0x03, 0xC1, 0xC2, 0xC3}));
}

TEST(Writer, PatchesNestedVectorLengths) {
  Writer out;
  auto outer = out.begin_vector(2);
  out.vector(1, Bytes{0xAA, 0xBB});
  out.u8(0xCC);
  out.end_vector(outer);
  EXPECT_EQ(out.data(), (Bytes{0x00, 0x04, 0x02, 0xAA, 0xBB, 0xCC}));
}

TEST(Writer, RoundTripsMaximumLengthOneByteVector) {
  Writer out;
  const Bytes longest(255, 0x42);
  out.vector(1, longest);
  Reader in(out.data());
  auto read = in.vector(1);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->size(), 255u);
  EXPECT_TRUE(in.empty());
}

TEST(Writer, RejectsVectorTooLongForItsLengthPrefix) {
  Writer one_byte;
  EXPECT_THROW(one_byte.vector(1, Bytes(256, 0)), std::length_error);
  Writer two_bytes;
  EXPECT_THROW(two_bytes.vector(2, Bytes(65536, 0)), std::length_error);
}

TEST(Writer, RejectsUnsupportedLengthPrefixWidth) {
  Writer out;
  EXPECT_THROW((void)out.begin_vector(0), std::logic_error);
  EXPECT_THROW((void)out.begin_vector(4), std::logic_error);
}

// --- FrameHeader ----------------------------------------------------------------------------

TEST(FrameHeader, RoundTripsEveryContentType) {
  for (ContentType type : {ContentType::alert, ContentType::handshake, ContentType::protected_record}) {
    FrameHeader header{type, ProtocolVersion::tlslab_1_0, 1234};
    auto encoded = header.encode();
    auto decoded = FrameHeader::decode(encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.failure().reason;
    EXPECT_EQ(decoded->type, type);
    EXPECT_EQ(decoded->version, ProtocolVersion::tlslab_1_0);
    EXPECT_EQ(decoded->length, 1234);
  }
}

TEST(FrameHeader, EncodesFieldsInNetworkOrder) {
  FrameHeader header{ContentType::handshake, ProtocolVersion::tlslab_1_0, 0x0102};
  auto encoded = header.encode();
  EXPECT_EQ(Bytes(encoded.begin(), encoded.end()), (Bytes{0x16, 0x01, 0x00, 0x01, 0x02}));
}

TEST(FrameHeader, RejectsUnknownContentTypeWithUnexpectedMessage) {
  for (std::uint8_t type : std::initializer_list<std::uint8_t>{0, 20, 24, 255}) {
    auto decoded = FrameHeader::decode(header_bytes(type, version_1_0, 10));
    ASSERT_FALSE(decoded.ok()) << "type " << int{type};
    EXPECT_EQ(decoded.failure().alert, AlertDescription::unexpected_message) << "type " << int{type};
  }
}

TEST(FrameHeader, RejectsWrongVersionWithProtocolVersion) {
  for (std::uint16_t version : std::initializer_list<std::uint16_t>{0x0000, 0x0101, 0x0200, 0x0303}) {
    auto decoded = FrameHeader::decode(header_bytes(handshake_type, version, 10));
    ASSERT_FALSE(decoded.ok()) << "version " << version;
    EXPECT_EQ(decoded.failure().alert, AlertDescription::protocol_version);
  }
}

TEST(FrameHeader, RejectsZeroLengthWithDecodeError) {
  for (std::uint8_t type : {alert_type, handshake_type, protected_type}) {
    auto decoded = FrameHeader::decode(header_bytes(type, version_1_0, 0));
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.failure().alert, AlertDescription::decode_error);
  }
}

TEST(FrameHeader, RejectsHandshakeFrameAbove16384WithRecordOverflow) {
  auto decoded = FrameHeader::decode(header_bytes(handshake_type, version_1_0, 16385));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.failure().alert, AlertDescription::record_overflow);
}

TEST(FrameHeader, RejectsAlertFrameAbove16384WithRecordOverflow) {
  auto decoded = FrameHeader::decode(header_bytes(alert_type, version_1_0, 16385));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.failure().alert, AlertDescription::record_overflow);
}

TEST(FrameHeader, AcceptsHandshakeFrameOfExactly16384) {
  auto decoded = FrameHeader::decode(header_bytes(handshake_type, version_1_0, 16384));
  ASSERT_TRUE(decoded.ok()) << decoded.failure().reason;
  EXPECT_EQ(decoded->length, 16384);
}

TEST(FrameHeader, RejectsProtectedFrameAbove16384Plus256WithRecordOverflow) {
  auto decoded = FrameHeader::decode(header_bytes(protected_type, version_1_0, 16384 + 257));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.failure().alert, AlertDescription::record_overflow);
}

TEST(FrameHeader, AcceptsProtectedFrameOfExactly16384Plus256) {
  auto decoded = FrameHeader::decode(header_bytes(protected_type, version_1_0, 16384 + 256));
  ASSERT_TRUE(decoded.ok()) << decoded.failure().reason;
  EXPECT_EQ(decoded->type, ContentType::protected_record);
  EXPECT_EQ(decoded->length, 16384 + 256);
}

TEST(FrameHeader, RejectsHeaderNotFiveBytesWithDecodeError) {
  Bytes header = header_bytes(handshake_type, version_1_0, 10);
  auto short_header = FrameHeader::decode(ByteView(header).first(4));
  ASSERT_FALSE(short_header.ok());
  EXPECT_EQ(short_header.failure().alert, AlertDescription::decode_error);
  header.push_back(0);
  auto long_header = FrameHeader::decode(header);
  ASSERT_FALSE(long_header.ok());
  EXPECT_EQ(long_header.failure().alert, AlertDescription::decode_error);
}

// --- encode_frame ---------------------------------------------------------------------------

TEST(EncodeFrame, PrefixesTheHeader) {
  Bytes frame = encode_frame(ContentType::alert, Bytes{0x02, 0x32});
  EXPECT_EQ(frame, (Bytes{0x15, 0x01, 0x00, 0x00, 0x02, 0x02, 0x32}));
}

TEST(EncodeFrame, RejectsEmptyAndOversizedFragments) {
  EXPECT_THROW((void)encode_frame(ContentType::handshake, ByteView{}), std::length_error);
  EXPECT_THROW((void)encode_frame(ContentType::handshake, Bytes(max_plaintext + 1, 0)), std::length_error);
  EXPECT_THROW((void)encode_frame(ContentType::protected_record, Bytes(max_protected_fragment + 1, 0)),
               std::length_error);
  EXPECT_NO_THROW((void)encode_frame(ContentType::protected_record, Bytes(max_protected_fragment, 0)));
}

// --- hex ------------------------------------------------------------------------------------

TEST(Hex, RoundTripsAndRejectsOddOrNonHexInput) {
  const Bytes bytes{0x00, 0x7F, 0xAB, 0xFF};
  EXPECT_EQ(to_hex(bytes), "007fabff");
  EXPECT_EQ(from_hex("00 7f AB\nff"), bytes);
  EXPECT_FALSE(from_hex("abc").has_value());
  EXPECT_FALSE(from_hex("zz").has_value());
}

}  // namespace
}  // namespace tlslab
