// The codec records which bytes are which field (field_span.hpp): every byte of every message in
// exactly one leaf, in order; the spans of a received message are those of the encoder.
#include <gtest/gtest.h>

#include "test_pki.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/messages.hpp"

namespace tlslab {
namespace {

using test::test_pki;

template <HandshakeMessage T>
void expect_covered(const T& message) {
  EncodedMessage encoded = encode_handshake_with_spans(message);
  EXPECT_EQ(encoded.bytes, encode_handshake(message)) << "spans on changed the bytes";
  std::string problem;
  EXPECT_TRUE(covers_exactly(encoded.spans, encoded.bytes.size(), &problem)) << to_string(T::type) << ": " << problem;
  ASSERT_EQ(encoded.spans.size(), 1u);
  EXPECT_EQ(encoded.spans[0].field, to_string(T::type));
  EXPECT_EQ(field_path_at(encoded.spans, 0), std::string(to_string(T::type)) + "/msg_type");
  EXPECT_EQ(field_path_at(encoded.spans, 1), std::string(to_string(T::type)) + "/length");
  // What the receiver shows: the same spans, from its decoded message.
  auto decoded = decode_handshake<T>(encoded.bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.failure().reason;
  EXPECT_EQ(spans_of_received(decoded.value(), encoded.bytes), encoded.spans);
}

ClientHello sample_hello() {
  ClientHello hello;
  hello.random.fill(0xA1);
  hello.cipher_suites = {0x0A01, 0x0A03, 0x0A02};
  hello.set_server_name("localhost");
  hello.extensions.push_back(Extension{0x1234, Bytes{1, 2, 3}});  // an unknown one: opaque data
  return hello;
}

TEST(FieldSpans, CoverEveryByteOfEveryMessage) {
  expect_covered(sample_hello());
  ServerHello server_hello;
  server_hello.cipher_suite = 0x0A01;
  server_hello.certificate = crypto::certificate_der(test_pki().server_certificate.get());
  server_hello.server_public_key = crypto::certificate_public_key_der(test_pki().server_certificate.get());
  expect_covered(server_hello);
  expect_covered(StatusRequest{Bytes(300, 0x30), Bytes(32, 7)});
  expect_covered(StatusResponse{Bytes(500, 0x30)});
  expect_covered(ClientKeyExchange{Bytes(256, 9)});
  Finished finished;
  finished.verify_data.fill(3);
  expect_covered(finished);
}

TEST(FieldSpans, NameTheClientHellosFieldsInTheSpecsWords) {
  EncodedMessage encoded = encode_handshake_with_spans(sample_hello());
  const auto& spans = encoded.spans;
  EXPECT_EQ(field_path_at(spans, 4), "ClientHello/client_version");
  EXPECT_EQ(field_path_at(spans, 6), "ClientHello/random");
  EXPECT_EQ(field_path_at(spans, 37), "ClientHello/random");
  EXPECT_EQ(field_path_at(spans, 38), "ClientHello/cipher_suites/length");
  EXPECT_EQ(field_path_at(spans, 40), "ClientHello/cipher_suites/cipher_suite");
  EXPECT_EQ(field_path_at(spans, 46), "ClientHello/extensions/length");
  EXPECT_EQ(field_path_at(spans, 48), "ClientHello/extensions/extension/extension_type");
  EXPECT_EQ(field_path_at(spans, 52), "ClientHello/extensions/extension/extension_data/host_name.length");
  EXPECT_EQ(field_path_at(spans, 53), "ClientHello/extensions/extension/extension_data/host_name");
  std::size_t last = encoded.bytes.size() - 1;
  EXPECT_EQ(field_path_at(spans, last), "ClientHello/extensions/extension/extension_data");
}

TEST(FieldSpans, FramesAddTheirHeaderAndProtectedFramesTheirTag) {
  EncodedMessage message = encode_handshake_with_spans(sample_hello());
  auto clear = clear_frame_spans(message.spans);
  std::string problem;
  EXPECT_TRUE(covers_exactly(clear, frame_header_size + message.bytes.size(), &problem)) << problem;
  EXPECT_EQ(field_path_at(clear, 0), "header/type");
  EXPECT_EQ(field_path_at(clear, 3), "header/length");
  EXPECT_EQ(field_path_at(clear, 5), "ClientHello/msg_type");
  auto protected_spans = protected_frame_spans(message.bytes.size() + 1 + aead_tag_size);
  EXPECT_TRUE(covers_exactly(protected_spans, frame_header_size + message.bytes.size() + 1 + aead_tag_size, &problem))
      << problem;
  EXPECT_EQ(field_path_at(protected_spans, frame_header_size + message.bytes.size() + 1), "tag");
  auto inner = inner_plaintext_spans(message.spans, message.bytes.size());
  EXPECT_TRUE(covers_exactly(inner, message.bytes.size() + 1, &problem)) << problem;
  EXPECT_EQ(field_path_at(inner, message.bytes.size()), "inner_type");
}

TEST(FieldSpans, CoversExactlyFindsGapsAndOverlaps) {
  std::vector<FieldSpan> gap{{0, 2, "a", {}}, {3, 1, "b", {}}};
  EXPECT_FALSE(covers_exactly(gap, 4));
  std::vector<FieldSpan> overlap{{0, 2, "a", {}}, {1, 2, "b", {}}};
  EXPECT_FALSE(covers_exactly(overlap, 3));
  std::vector<FieldSpan> short_parts{{0, 4, "a", {{0, 2, "x", {}}}}};
  EXPECT_FALSE(covers_exactly(short_parts, 4));
  std::vector<FieldSpan> good{{0, 4, "a", {{0, 2, "x", {}}, {2, 2, "y", {}}}}};
  EXPECT_TRUE(covers_exactly(good, 4));
  EXPECT_FALSE(covers_exactly(good, 5)) << "a byte left over";
}

}  // namespace
}  // namespace tlslab
