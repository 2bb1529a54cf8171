#include "recorded_session.hpp"

#include <openssl/rsa.h>

#include <stdexcept>

#include "tlslab/crypto/keylog.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/rsa_oaep.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/handshake_rules.hpp"

namespace tlslab::decrypt::test {
namespace {

ossl::PKey make_rsa_key() {
  ossl::PKey key(EVP_RSA_gen(2048));
  if (!key) throw std::runtime_error("EVP_RSA_gen failed");
  return key;
}

Random random_bytes() {
  Random random{};
  crypto::random_fill(random);
  return random;
}

// The bytes of both directions and the order they arrived in, as tcp_capture.cpp collects them.
class Wire {
 public:
  void send(Direction from, ByteView bytes) {
    Bytes& into = from == Direction::client_to_server ? connection_.client_bytes : connection_.server_bytes;
    append(into, bytes);
    connection_.arrivals.push_back(Arrival{from, into.size(), {}});
  }
  TcpConnection take() && {
    connection_.client = "127.0.0.1:50000";
    connection_.server = "127.0.0.1:4433";
    return std::move(connection_);
  }

 private:
  TcpConnection connection_;
};

constexpr Direction from_client = Direction::client_to_server;
constexpr Direction from_server = Direction::server_to_client;

Bytes handshake_frame(ByteView message) {
  return encode_frame(ContentType::handshake, message);
}

}  // namespace

EVP_PKEY* server_key() {
  static ossl::PKey key = make_rsa_key();
  return key.get();
}

EVP_PKEY* other_key() {
  static ossl::PKey key = make_rsa_key();
  return key.get();
}

ossl::PKey copy_of(EVP_PKEY* key) {
  EVP_PKEY_up_ref(key);
  return ossl::PKey(key);
}

RecordedSession record_rsa_session(const SessionOptions& options) {
  auto suite = suite_info(options.suite);
  if (!suite) throw std::invalid_argument("not an RSA suite of this version");
  Wire wire;
  RecordedSession recorded;

  // (1) ClientHello
  ClientHello client_hello;
  client_hello.random = random_bytes();
  client_hello.cipher_suites = {options.suite};
  client_hello.set_server_name("localhost");
  Bytes ch = encode_handshake(client_hello);
  wire.send(from_client, handshake_frame(ch));
  recorded.client_random = client_hello.random;

  // (2) ServerHello; the certificate's bytes are not read by tlslab-decrypt
  ServerHello server_hello;
  server_hello.random = random_bytes();
  server_hello.cipher_suite = options.suite;
  server_hello.certificate = {0x30, 0x00};
  server_hello.server_public_key = crypto::public_key_der(server_key());
  Bytes sh = encode_handshake(server_hello);
  Random server_random = server_hello.random;
  if (options.replace_server_random_on_wire) server_hello.random = random_bytes();
  wire.send(from_server, handshake_frame(encode_handshake(server_hello)));

  if (options.stop_before_key_exchange) {
    wire.send(from_client, encode_frame(ContentType::alert,
                                        Alert{AlertLevel::fatal, AlertDescription::certificate_revoked}.encode()));
    recorded.connection = std::move(wire).take();
    return recorded;
  }

  // (5) ClientKeyExchange
  Secret pre_master = make_pre_master(client_hello.client_version);
  ClientKeyExchange key_exchange{crypto::rsa_oaep_encrypt(server_key(), pre_master.view())};
  Bytes cke = encode_handshake(key_exchange);
  wire.send(from_client, handshake_frame(cke));
  SessionKeys keys = derive_session_keys(*suite, std::move(pre_master), client_hello.random, server_random);
  recorded.keylog_line = crypto::keylog_line(client_hello.random, keys.master_secret);
  crypto::RecordProtection client(suite->aead, std::move(keys.keys.client_write));
  crypto::RecordProtection server(suite->aead, std::move(keys.keys.server_write));

  // (6), (7) Finished
  crypto::Transcript transcript;
  transcript.add(ch);
  transcript.add(sh);
  transcript.add(cke);
  Finished client_finished{crypto::compute_verify_data(suite->hash, keys.master_secret, crypto::FinishedSender::client,
                                                       transcript.hash(suite->hash))};
  Bytes client_finished_message = encode_handshake(client_finished);
  transcript.add(client_finished_message);
  Bytes frame;
  client.seal(InnerType::handshake, client_finished_message, frame);
  wire.send(from_client, frame);
  Finished server_finished{crypto::compute_verify_data(suite->hash, keys.master_secret, crypto::FinishedSender::server,
                                                       transcript.hash(suite->hash))};
  frame.clear();
  server.seal(InnerType::handshake, encode_handshake(server_finished), frame);
  wire.send(from_server, frame);

  // (8) application data, request and response in turn, then close_notify both ways
  for (std::size_t i = 0; i < std::max(options.requests.size(), options.responses.size()); ++i) {
    if (i < options.requests.size()) {
      frame.clear();
      client.seal(InnerType::application_data, as_bytes(options.requests[i]), frame);
      wire.send(from_client, frame);
    }
    if (i < options.responses.size()) {
      frame.clear();
      server.seal(InnerType::application_data, as_bytes(options.responses[i]), frame);
      wire.send(from_server, frame);
    }
  }
  Bytes close_notify = Alert{AlertLevel::warning, AlertDescription::close_notify}.encode();
  frame.clear();
  client.seal(InnerType::alert, close_notify, frame);
  wire.send(from_client, frame);
  frame.clear();
  server.seal(InnerType::alert, close_notify, frame);
  wire.send(from_server, frame);
  recorded.connection = std::move(wire).take();
  return recorded;
}

RecordedSession record_ecdhe_session(std::uint16_t group) {
  constexpr std::uint16_t ecdhe_aes_128_gcm_sha256 = 0x0B01, key_share = 51;
  Wire wire;
  RecordedSession recorded;
  ClientHello client_hello;
  client_hello.random = random_bytes();
  client_hello.cipher_suites = {ecdhe_aes_128_gcm_sha256};
  client_hello.set_server_name("localhost");
  client_hello.extensions.push_back(
      Extension{key_share, {0x00, 0x02, static_cast<std::uint8_t>(group >> 8), static_cast<std::uint8_t>(group)}});
  wire.send(from_client, handshake_frame(encode_handshake(client_hello)));
  recorded.client_random = client_hello.random;

  ServerHello server_hello;
  server_hello.random = random_bytes();
  server_hello.cipher_suite = ecdhe_aes_128_gcm_sha256;
  server_hello.certificate = {0x30, 0x00};
  server_hello.server_public_key = crypto::public_key_der(server_key());
  Writer share;  // ServerKeyShare: group, key_exchange<1..2^8-1>, scheme, signature<1..2^16-1>
  share.u16(group);
  share.vector(1, Bytes(32, 0x42));
  share.u16(0x0804);
  share.vector(2, Bytes(256, 0x5a));
  server_hello.extensions.push_back(Extension{key_share, share.data()});
  wire.send(from_server, handshake_frame(encode_handshake(server_hello)));

  Writer cke;  // ClientKeyExchange with an ECDHE suite: opaque key_exchange<1..2^8-1>
  cke.u8(static_cast<std::uint8_t>(HandshakeType::client_key_exchange));
  cke.u24(33);
  cke.vector(1, Bytes(32, 0x24));
  wire.send(from_client, handshake_frame(cke.data()));
  // The Finished and the data, under keys nobody outside the two ends has.
  Bytes junk(40, 0x77);
  wire.send(from_client, encode_frame(ContentType::protected_record, junk));
  wire.send(from_server, encode_frame(ContentType::protected_record, junk));
  recorded.connection = std::move(wire).take();
  return recorded;
}

}  // namespace tlslab::decrypt::test
