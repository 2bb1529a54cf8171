// Handshake messages (PROTOCOL.md §3–§9): every message round-trips, and each class of malformed
// input is rejected with the alert the spec names, never a crash.
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <numeric>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "tlslab/messages.hpp"

namespace tlslab {
namespace {

using test::alert_of;

constexpr std::uint16_t server_name_type = static_cast<std::uint16_t>(ExtensionType::server_name);
constexpr std::uint16_t unknown_extension_type = 0xFF01;

static_assert(HandshakeMessage<ClientHello>);
static_assert(HandshakeMessage<ServerHello>);
static_assert(HandshakeMessage<StatusRequest>);
static_assert(HandshakeMessage<StatusResponse>);
static_assert(HandshakeMessage<ClientKeyExchange>);
static_assert(HandshakeMessage<Finished>);
static_assert(HandshakeMessage<NewSessionTicket>);

template <class Array>
Array counting_bytes(std::uint8_t first) {
  Array out{};
  std::iota(out.begin(), out.end(), first);
  return out;
}

Bytes counting_bytes(std::size_t count, std::uint8_t first) {
  Bytes out(count);
  std::iota(out.begin(), out.end(), first);
  return out;
}

// `msg_type || uint24 length || body`, with the length computed from `body`.
Bytes handshake_message(std::uint8_t type, ByteView body) {
  Writer out;
  out.u8(type);
  out.vector(3, body);
  return std::move(out).take();
}

Bytes handshake_message(HandshakeType type, ByteView body) {
  return handshake_message(static_cast<std::uint8_t>(type), body);
}

// The body of an encoded handshake message (after the 4-byte envelope).
Bytes body_of(const Bytes& message) {
  return Bytes(message.begin() + 4, message.end());
}

// --- samples: one representative value per message ----------------------------------------

template <class T>
T sample();

template <>
ClientHello sample<ClientHello>() {
  ClientHello hello;
  hello.random = counting_bytes<Random>(0x10);
  hello.cipher_suites = {0x0A01, 0x0A03, 0x0A02, 0x0B07};  // 0x0B07: unknown, kept
  hello.set_server_name("server.test");
  hello.extensions.push_back(Extension{unknown_extension_type, Bytes{0xDE, 0xAD}});
  return hello;
}

template <>
ServerHello sample<ServerHello>() {
  ServerHello hello;
  hello.random = counting_bytes<Random>(0x40);
  hello.cipher_suite = 0x0A03;
  hello.certificate = counting_bytes(300, 0x01);  // longer than 255: exercises the 2-byte length
  hello.server_public_key = counting_bytes(294, 0x80);
  return hello;
}

template <>
StatusRequest sample<StatusRequest>() {
  return StatusRequest{counting_bytes(300, 0x02), counting_bytes(max_nonce_size, 0xA0)};
}

template <>
StatusResponse sample<StatusResponse>() {
  return StatusResponse{counting_bytes(1000, 0x03)};
}

template <>
ClientKeyExchange sample<ClientKeyExchange>() {
  return ClientKeyExchange{counting_bytes(256, 0x04)};
}

template <>
Finished sample<Finished>() {
  Finished finished;
  finished.verify_data = counting_bytes<std::array<std::uint8_t, verify_data_size>>(0xF0);
  return finished;
}

template <>
NewSessionTicket sample<NewSessionTicket>() {
  return NewSessionTicket{7200, counting_bytes(300, 0x05)};
}

// --- properties every handshake message has -----------------------------------------------

template <class T>
class EveryHandshakeMessage : public ::testing::Test {};

struct MessageName {
  template <class T>
  static std::string GetName(int /*index*/) {
    return std::string(to_string(T::type));
  }
};

using AllHandshakeMessages = ::testing::Types<ClientHello, ServerHello, StatusRequest, StatusResponse,
                                              ClientKeyExchange, Finished, NewSessionTicket>;
TYPED_TEST_SUITE(EveryHandshakeMessage, AllHandshakeMessages, MessageName);

TYPED_TEST(EveryHandshakeMessage, RoundTripsThroughEncodeAndDecode) {
  const TypeParam original = sample<TypeParam>();
  Bytes encoded = encode_handshake(original);
  ASSERT_GE(encoded.size(), 4u);
  EXPECT_EQ(encoded[0], static_cast<std::uint8_t>(TypeParam::type));
  std::size_t declared = (std::size_t{encoded[1]} << 16) | (std::size_t{encoded[2]} << 8) | encoded[3];
  EXPECT_EQ(declared, encoded.size() - 4);

  auto decoded = decode_handshake<TypeParam>(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.failure().reason;
  EXPECT_EQ(decoded.value(), original);
  EXPECT_EQ(encode_handshake(decoded.value()), encoded);
}

TYPED_TEST(EveryHandshakeMessage, RejectsEveryTruncationOfTheMessageWithDecodeError) {
  Bytes encoded = encode_handshake(sample<TypeParam>());
  for (std::size_t length = 0; length < encoded.size(); ++length) {
    auto decoded = decode_handshake<TypeParam>(ByteView(encoded).first(length));
    EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error) << "prefix of " << length << " bytes";
  }
}

// The envelope is intact (its length matches the shortened body): the message's own decoder
// must notice every missing field.
TYPED_TEST(EveryHandshakeMessage, RejectsEveryTruncationOfTheBodyWithDecodeError) {
  Bytes body = body_of(encode_handshake(sample<TypeParam>()));
  for (std::size_t length = 0; length < body.size(); ++length) {
    Bytes message = handshake_message(TypeParam::type, ByteView(body).first(length));
    auto decoded = decode_handshake<TypeParam>(message);
    EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error) << "body of " << length << " bytes";
  }
}

TYPED_TEST(EveryHandshakeMessage, RejectsTrailingByteInsideTheBodyWithDecodeError) {
  Bytes body = body_of(encode_handshake(sample<TypeParam>()));
  body.push_back(0x00);
  auto decoded = decode_handshake<TypeParam>(handshake_message(TypeParam::type, body));
  EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error);
}

TYPED_TEST(EveryHandshakeMessage, RejectsTrailingByteAfterTheMessageWithDecodeError) {
  Bytes encoded = encode_handshake(sample<TypeParam>());
  encoded.push_back(0x00);
  auto decoded = decode_handshake<TypeParam>(encoded);
  EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error);
}

TYPED_TEST(EveryHandshakeMessage, RejectsAnotherKnownTypeWithUnexpectedMessage) {
  Bytes encoded = encode_handshake(sample<TypeParam>());
  for (HandshakeType other :
       {HandshakeType::client_hello, HandshakeType::server_hello, HandshakeType::client_key_exchange,
        HandshakeType::finished, HandshakeType::status_request, HandshakeType::status_response,
        HandshakeType::new_session_ticket}) {
    if (other == TypeParam::type) continue;
    encoded[0] = static_cast<std::uint8_t>(other);
    auto decoded = decode_handshake<TypeParam>(encoded);
    EXPECT_EQ(alert_of(decoded), AlertDescription::unexpected_message) << "labelled " << to_string(other);
  }
}

// --- the envelope -------------------------------------------------------------------------

TEST(HandshakeEnvelope, RejectsUnknownHandshakeTypeWithUnexpectedMessage) {
  const Bytes body{0x00};
  for (std::uint8_t type : std::initializer_list<std::uint8_t>{0, 3, 11, 15, 21, 63, 66, 255}) {
    Bytes message = handshake_message(type, body);
    EXPECT_EQ(alert_of(decode_handshake_envelope(message)), AlertDescription::unexpected_message)
        << "type " << int{type};
    EXPECT_EQ(alert_of(decode_handshake<ClientHello>(message)), AlertDescription::unexpected_message)
        << "type " << int{type};
  }
}

TEST(HandshakeEnvelope, RejectsDecodeAsWrongMessageTypeWithUnexpectedMessage) {
  Bytes client_hello = encode_handshake(sample<ClientHello>());
  EXPECT_EQ(alert_of(decode_handshake<ServerHello>(client_hello)), AlertDescription::unexpected_message);
  Bytes finished = encode_handshake(sample<Finished>());
  EXPECT_EQ(alert_of(decode_handshake<ClientKeyExchange>(finished)), AlertDescription::unexpected_message);
}

TEST(HandshakeEnvelope, RejectsDeclaredLengthLargerThanTheDataWithDecodeError) {
  const Bytes declares_16_has_5{0x14, 0x00, 0x00, 0x10, 0x01, 0x02, 0x03, 0x04, 0x05};
  EXPECT_EQ(alert_of(decode_handshake_envelope(declares_16_has_5)), AlertDescription::decode_error);
  EXPECT_EQ(alert_of(decode_handshake<Finished>(declares_16_has_5)), AlertDescription::decode_error);
  const Bytes declares_max_has_1{0x14, 0xFF, 0xFF, 0xFF, 0x01};
  EXPECT_EQ(alert_of(decode_handshake<Finished>(declares_max_has_1)), AlertDescription::decode_error);
}

TEST(HandshakeEnvelope, SplitsTypeAndBody) {
  const Bytes message{0x10, 0x00, 0x00, 0x02, 0xAB, 0xCD};
  auto envelope = decode_handshake_envelope(message);
  ASSERT_TRUE(envelope.ok()) << envelope.failure().reason;
  EXPECT_EQ(envelope->type, HandshakeType::client_key_exchange);
  EXPECT_EQ(Bytes(envelope->body.begin(), envelope->body.end()), (Bytes{0xAB, 0xCD}));
}

// --- ClientHello --------------------------------------------------------------------------

// version || random || cipher_suites (raw bytes, with a 2-byte length) || no extensions.
Bytes client_hello_body_with_suites(const Bytes& suite_bytes) {
  Writer out;
  out.u16(0x0100);
  out.bytes(Random{});
  out.vector(2, suite_bytes);
  out.u16(0);  // empty extension list
  return std::move(out).take();
}

TEST(ClientHello, AcceptsHandBuiltMinimalHello) {
  auto decoded = decode_handshake<ClientHello>(
      handshake_message(HandshakeType::client_hello, client_hello_body_with_suites({0x0A, 0x01})));
  ASSERT_TRUE(decoded.ok()) << decoded.failure().reason;
  EXPECT_EQ(decoded->cipher_suites, (std::vector<std::uint16_t>{0x0A01}));
  EXPECT_TRUE(decoded->extensions.empty());
  EXPECT_FALSE(decoded->server_name().has_value());
}

TEST(ClientHello, RejectsEmptyCipherSuiteListWithDecodeError) {
  auto decoded =
      decode_handshake<ClientHello>(handshake_message(HandshakeType::client_hello, client_hello_body_with_suites({})));
  EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error);
}

TEST(ClientHello, RejectsOddCipherSuiteListLengthWithDecodeError) {
  for (const Bytes& suites : {Bytes{0x0A}, Bytes{0x0A, 0x01, 0x0A}}) {
    auto decoded = decode_handshake<ClientHello>(
        handshake_message(HandshakeType::client_hello, client_hello_body_with_suites(suites)));
    EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error) << suites.size() << " bytes of suites";
  }
}

TEST(ClientHello, KeepsUnknownCipherSuitesAndExtensions) {
  auto decoded = decode_handshake<ClientHello>(encode_handshake(sample<ClientHello>()));
  ASSERT_TRUE(decoded.ok()) << decoded.failure().reason;
  EXPECT_EQ(decoded->cipher_suites.back(), 0x0B07);
  EXPECT_EQ(decoded->extensions.back(), (Extension{unknown_extension_type, Bytes{0xDE, 0xAD}}));
}

TEST(ClientHello, RejectsDuplicateUnknownExtensionWithDecodeError) {
  ClientHello hello = sample<ClientHello>();
  hello.extensions.push_back(Extension{unknown_extension_type, Bytes{0x01}});
  EXPECT_EQ(alert_of(decode_handshake<ClientHello>(encode_handshake(hello))), AlertDescription::decode_error);
}

TEST(ClientHello, RejectsDuplicateServerNameWithDecodeError) {
  ClientHello hello = sample<ClientHello>();
  Writer other_name;
  other_name.vector(1, as_bytes("other.test"));
  hello.extensions.push_back(Extension{server_name_type, std::move(other_name).take()});
  EXPECT_EQ(alert_of(decode_handshake<ClientHello>(encode_handshake(hello))), AlertDescription::decode_error);
}

TEST(ClientHello, CarriesServerName) {
  ClientHello hello;
  hello.cipher_suites = {0x0A01};
  EXPECT_FALSE(hello.server_name().has_value());
  hello.set_server_name("first.test");
  hello.set_server_name("server.test");  // replaces, never duplicates
  ASSERT_EQ(hello.extensions.size(), 1u);
  EXPECT_EQ(hello.extensions[0].data, (Bytes{11, 's', 'e', 'r', 'v', 'e', 'r', '.', 't', 'e', 's', 't'}));
  auto decoded = decode_handshake<ClientHello>(encode_handshake(hello));
  ASSERT_TRUE(decoded.ok()) << decoded.failure().reason;
  EXPECT_EQ(decoded->server_name(), "server.test");
}

TEST(ClientHello, AcceptsTheLongestHostName) {
  ClientHello hello;
  hello.cipher_suites = {0x0A01};
  // 253 characters: three labels of 63 and one of 61 (RFC 1035 §2.3.4, without the root's dot).
  std::string longest =
      std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(61, 'd');
  ASSERT_EQ(longest.size(), 253u);
  hello.set_server_name(longest);
  auto decoded = decode_handshake<ClientHello>(encode_handshake(hello));
  ASSERT_TRUE(decoded.ok()) << decoded.failure().reason;
  EXPECT_EQ(decoded->server_name(), longest);
}

TEST(ClientHello, AcceptsHostNamesAndAddressLiterals) {
  for (std::string name :
       {"localhost", "server.test", "a-b.example", "xn--bcher-kva.example", "127.0.0.1", "::1", "fe80::1:2", "A.B.C"}) {
    ClientHello hello;
    hello.cipher_suites = {0x0A01};
    hello.set_server_name(name);
    auto decoded = decode_handshake<ClientHello>(encode_handshake(hello));
    ASSERT_TRUE(decoded.ok()) << name << ": " << decoded.failure().reason;
    EXPECT_EQ(decoded->server_name(), name);
  }
}

// §3.1: a server_name that is not a host name is a decode_error, whatever it holds. The server
// would otherwise print it: escape sequences in it cleared the screen and forged trace lines.
TEST(ClientHello, RejectsServerNameThatIsNotAHostNameWithDecodeError) {
  const std::vector<std::string> hostile{
      "\x1b[2J\x1b]0;pwned\x07",                  // clears the screen, sets the title
      "localhost\n[conn 99] handshake complete",  // forges a trace line
      "caf\xc3\xa9.example",                      // UTF-8, not ASCII
      "bad\xff.example",                          // not even UTF-8
      std::string("nul\0.example", 12),           // NUL
      "under_score.example",
      "space .example",
      "trailing.dot.",
      ".leading.dot",
      "double..dot",
      "-leading-hyphen.example",
      "trailing-hyphen-.example",
      std::string(64, 'a') + ".example",  // a label over 63
      std::string(255, 'a'),              // fits the vector, not a host name
      "1:2:3",                            // a colon, but no IPv6 address
  };
  for (const std::string& name : hostile) {
    ClientHello hello;
    hello.cipher_suites = {0x0A01};
    hello.set_server_name(name);
    auto decoded = decode_handshake<ClientHello>(encode_handshake(hello));
    ASSERT_FALSE(decoded.ok()) << "accepted " << to_hex(as_bytes(name));
    EXPECT_EQ(decoded.failure().alert, AlertDescription::decode_error) << to_hex(as_bytes(name));
    // The reason is printed by the server: it must not quote the name.
    EXPECT_EQ(decoded.failure().reason.find(name), std::string::npos);
  }
}

TEST(ClientHello, RejectsMalformedServerNameWithDecodeError) {
  const std::initializer_list<Bytes> malformed{
      Bytes{},                // no host_name at all
      Bytes{0x00},            // empty host_name (must be 1..255)
      Bytes{0x05, 'a', 'b'},  // declared 5, has 2
      Bytes{0x01, 'a', 'b'},  // a trailing byte after the host_name
  };
  for (const Bytes& data : malformed) {
    ClientHello hello;
    hello.cipher_suites = {0x0A01};
    hello.extensions.push_back(Extension{server_name_type, data});
    auto decoded = decode_handshake<ClientHello>(encode_handshake(hello));
    EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error) << "server_name data " << to_hex(data);
  }
}

// --- ServerHello --------------------------------------------------------------------------

TEST(ServerHello, RejectsEmptyCertificateWithDecodeError) {
  ServerHello hello = sample<ServerHello>();
  hello.certificate.clear();
  EXPECT_EQ(alert_of(decode_handshake<ServerHello>(encode_handshake(hello))), AlertDescription::decode_error);
}

TEST(ServerHello, RejectsEmptyServerPublicKeyWithDecodeError) {
  ServerHello hello = sample<ServerHello>();
  hello.server_public_key.clear();
  EXPECT_EQ(alert_of(decode_handshake<ServerHello>(encode_handshake(hello))), AlertDescription::decode_error);
}

TEST(ServerHello, RejectsDuplicateExtensionWithDecodeError) {
  ServerHello hello = sample<ServerHello>();
  hello.extensions = {Extension{unknown_extension_type, {}}, Extension{unknown_extension_type, {}}};
  EXPECT_EQ(alert_of(decode_handshake<ServerHello>(encode_handshake(hello))), AlertDescription::decode_error);
}

TEST(ServerHello, RejectsTruncatedExtensionInsideTheListWithDecodeError) {
  Writer body;
  body.u16(0x0100);
  body.bytes(Random{});
  body.u16(0x0A01);
  body.vector(2, Bytes{0x30});
  body.vector(2, Bytes{0x30});
  body.vector(2, Bytes{0xFF, 0x01, 0x00, 0x05, 0xAA});  // one extension declaring 5 bytes, holding 1
  auto decoded = decode_handshake<ServerHello>(handshake_message(HandshakeType::server_hello, body.data()));
  EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error);
}

// --- StatusRequest ------------------------------------------------------------------------

StatusRequest status_request_with_nonce(std::size_t nonce_size) {
  return StatusRequest{Bytes{0x30, 0x00}, Bytes(nonce_size, 0x5A)};
}

TEST(StatusRequest, RejectsNonceOf15BytesWithDecodeError) {
  auto decoded = decode_handshake<StatusRequest>(encode_handshake(status_request_with_nonce(15)));
  EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error);
}

TEST(StatusRequest, RejectsNonceOf33BytesWithDecodeError) {
  auto decoded = decode_handshake<StatusRequest>(encode_handshake(status_request_with_nonce(33)));
  EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error);
}

TEST(StatusRequest, RejectsEmptyNonceWithDecodeError) {
  auto decoded = decode_handshake<StatusRequest>(encode_handshake(status_request_with_nonce(0)));
  EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error);
}

// Issue 22 point 1: the request says who asks (§9), since the frame cannot.
TEST(StatusRequest, RequesterRoundTripsForEachRole) {
  for (Requester role : {Requester::client, Requester::server_for_staple, Requester::server_about_client}) {
    StatusRequest request = status_request_with_nonce(max_nonce_size);
    request.set_requester(role);
    auto decoded = decode_handshake<StatusRequest>(encode_handshake(request));
    ASSERT_TRUE(decoded.ok()) << decoded.failure().reason;
    EXPECT_EQ(decoded.value().requester(), role);
    EXPECT_EQ(decoded.value(), request);
  }
}

TEST(StatusRequest, FirstFormOfOneZeroSaysNoRequester) {
  auto decoded = decode_handshake<StatusRequest>(encode_handshake(status_request_with_nonce(max_nonce_size)));
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(decoded.value().extensions.has_value());
  EXPECT_EQ(decoded.value().requester(), std::nullopt);
}

TEST(StatusRequest, IgnoresUnknownExtensionsAndRoles) {
  StatusRequest request = status_request_with_nonce(max_nonce_size);
  request.extensions = std::vector<Extension>{{0x7777, {1, 2, 3}}, {65, {9}}};  // role 9: a later version's
  auto decoded = decode_handshake<StatusRequest>(encode_handshake(request));
  ASSERT_TRUE(decoded.ok()) << decoded.failure().reason;
  EXPECT_EQ(decoded.value().requester(), std::nullopt);
}

TEST(StatusRequest, RejectsRequesterOfTwoBytesWithDecodeError) {
  StatusRequest request = status_request_with_nonce(max_nonce_size);
  request.extensions = std::vector<Extension>{{65, {2, 2}}};
  auto decoded = decode_handshake<StatusRequest>(encode_handshake(request));
  EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error);
}

TEST(StatusRequest, RejectsRequesterTwiceWithDecodeError) {
  StatusRequest request = status_request_with_nonce(max_nonce_size);
  request.extensions = std::vector<Extension>{{65, {1}}, {65, {2}}};
  auto decoded = decode_handshake<StatusRequest>(encode_handshake(request));
  EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error);
}

TEST(StatusRequest, AcceptsNonceOf16And32Bytes) {
  for (std::size_t size : {min_nonce_size, max_nonce_size}) {
    StatusRequest request = status_request_with_nonce(size);
    auto decoded = decode_handshake<StatusRequest>(encode_handshake(request));
    ASSERT_TRUE(decoded.ok()) << size << ": " << decoded.failure().reason;
    EXPECT_EQ(decoded.value(), request);
  }
}

TEST(StatusRequest, RejectsEmptyCertificateWithDecodeError) {
  StatusRequest request{Bytes{}, Bytes(32, 0x5A)};
  EXPECT_EQ(alert_of(decode_handshake<StatusRequest>(encode_handshake(request))), AlertDescription::decode_error);
}

// --- StatusResponse, ClientKeyExchange, Finished ------------------------------------------

TEST(StatusResponse, RejectsEmptyOcspResponseWithDecodeError) {
  auto decoded = decode_handshake<StatusResponse>(encode_handshake(StatusResponse{}));
  EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error);
}

TEST(ClientKeyExchange, RejectsEmptyEncryptedPreMasterWithDecodeError) {
  auto decoded = decode_handshake<ClientKeyExchange>(encode_handshake(ClientKeyExchange{}));
  EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error);
}

TEST(Finished, RejectsVerifyDataOf11BytesWithDecodeError) {
  auto decoded = decode_handshake<Finished>(handshake_message(HandshakeType::finished, Bytes(11, 0x77)));
  EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error);
}

TEST(Finished, RejectsVerifyDataOf13BytesWithDecodeError) {
  auto decoded = decode_handshake<Finished>(handshake_message(HandshakeType::finished, Bytes(13, 0x77)));
  EXPECT_EQ(alert_of(decoded), AlertDescription::decode_error);
}

TEST(Finished, EncodesVerifyDataWithoutLengthPrefix) {
  Bytes encoded = encode_handshake(sample<Finished>());
  EXPECT_EQ(encoded.size(), 4 + verify_data_size);
  EXPECT_EQ(to_hex(encoded), "1400000cf0f1f2f3f4f5f6f7f8f9fafb");
}

// --- Alert --------------------------------------------------------------------------------

TEST(Alert, RoundTripsEveryLevel) {
  for (Alert alert : {Alert{AlertLevel::warning, AlertDescription::close_notify},
                      Alert{AlertLevel::fatal, AlertDescription::bad_certificate_status_response}}) {
    Bytes encoded = alert.encode();
    ASSERT_EQ(encoded.size(), 2u);
    EXPECT_EQ(encoded[0], static_cast<std::uint8_t>(alert.level));
    EXPECT_EQ(encoded[1], static_cast<std::uint8_t>(alert.description));
    auto decoded = Alert::decode(encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.failure().reason;
    EXPECT_EQ(decoded->level, alert.level);
    EXPECT_EQ(decoded->description, alert.description);
  }
}

TEST(Alert, RejectsWrongLengthWithDecodeError) {
  for (const Bytes& fragment : {Bytes{}, Bytes{0x02}, Bytes{0x02, 0x32, 0x00}}) {
    EXPECT_EQ(alert_of(Alert::decode(fragment)), AlertDescription::decode_error) << fragment.size() << " bytes";
  }
}

TEST(Alert, RejectsUnknownLevelWithIllegalParameter) {
  for (std::uint8_t level : std::initializer_list<std::uint8_t>{0, 3, 255}) {
    EXPECT_EQ(alert_of(Alert::decode(Bytes{level, 0x32})), AlertDescription::illegal_parameter)
        << "level " << int{level};
  }
}

TEST(Alert, KeepsUnknownDescription) {
  auto decoded = Alert::decode(Bytes{0x02, 0xC8});
  ASSERT_TRUE(decoded.ok()) << decoded.failure().reason;
  EXPECT_EQ(static_cast<std::uint8_t>(decoded->description), 0xC8);
  EXPECT_FALSE(alert_description_from(std::uint8_t{0xC8}).has_value());
}

}  // namespace
}  // namespace tlslab

namespace tlslab {
namespace {

// Setting an extension that is there already replaces it where it stands: re-encoding a decoded
// hello gives back its bytes, whatever order the peer chose for its extensions.
TEST(Extensions, ReplacingOneKeepsThePeersOrder) {
  ClientHello hello;
  hello.cipher_suites = {0x0B01};
  hello.set_key_share_groups({0x001D});
  hello.ask_for_staple();
  hello.set_server_name("localhost");
  Bytes before = encode_handshake(hello);
  hello.set_key_share_groups({0x001D});
  EXPECT_EQ(to_hex(encode_handshake(hello)), to_hex(before));
  ASSERT_EQ(hello.extensions.size(), 3u);
  EXPECT_EQ(hello.extensions[0].type, static_cast<std::uint16_t>(ExtensionType::key_share));
  hello.set_key_share_groups({0x0017});
  EXPECT_EQ(hello.extensions[0].type, static_cast<std::uint16_t>(ExtensionType::key_share));
  EXPECT_EQ(hello.key_share_groups(), (std::vector<std::uint16_t>{0x0017}));
}

}  // namespace
}  // namespace tlslab
