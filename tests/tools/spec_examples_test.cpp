// Decodes every hex example of docs/PROTOCOL.md §12 with the codec: the spec and the code agree.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "tlslab/crypto/ecdhe.hpp"
#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/record.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/frame.hpp"
#include "tlslab/messages.hpp"

namespace {

using namespace tlslab;

// The value of the line "NAME  value" inside a ```text block of PROTOCOL.md §12 (the first one).
std::string text_value(const std::string& name) {
  std::ifstream file(TLSLAB_PROTOCOL_MD);
  std::string line;
  bool inside = false;
  while (std::getline(file, line)) {
    if (line.rfind("```", 0) == 0) {
      inside = !inside && line == "```text";
    } else if (inside && line.rfind(name + " ", 0) == 0) {
      return line.substr(line.find_first_not_of(' ', name.size()));
    }
  }
  return {};
}

// ```hex ID … ``` blocks of PROTOCOL.md, by ID.
std::map<std::string, Bytes> spec_examples() {
  std::ifstream file(TLSLAB_PROTOCOL_MD);
  std::map<std::string, Bytes> examples;
  std::string line, id, hex;
  bool inside = false;
  while (std::getline(file, line)) {
    if (!inside && line.rfind("```hex ", 0) == 0) {
      inside = true;
      id = line.substr(7);
      hex.clear();
    } else if (inside && line.rfind("```", 0) == 0) {
      inside = false;
      auto bytes = from_hex(hex);
      if (bytes) examples[id] = *bytes;
    } else if (inside) {
      hex += line;
    }
  }
  return examples;
}

Random counting_random(std::uint8_t start) {
  Random random{};
  for (std::size_t i = 0; i < random.size(); ++i) random[i] = static_cast<std::uint8_t>(start + i);
  return random;
}

// The frame's fragment after checking its header.
ByteView fragment_of(const Bytes& frame, ContentType expected) {
  EXPECT_GE(frame.size(), frame_header_size);
  auto header = FrameHeader::decode(ByteView(frame).first(frame_header_size));
  EXPECT_TRUE(header.ok());
  EXPECT_EQ(header->type, expected);
  EXPECT_EQ(header->length, frame.size() - frame_header_size);
  return ByteView(frame).subspan(frame_header_size);
}

template <HandshakeMessage T>
T decode_and_round_trip(const Bytes& frame) {
  ByteView fragment = fragment_of(frame, ContentType::handshake);
  auto message = decode_handshake<T>(fragment);
  EXPECT_TRUE(message.ok()) << (message.ok() ? "" : message.failure().reason);
  Bytes again = encode_handshake(message.value());
  EXPECT_EQ(to_hex(again), to_hex(fragment)) << "re-encoding differs";
  return message.value();
}

class SpecExamples : public ::testing::Test {
 protected:
  std::map<std::string, Bytes> examples = spec_examples();
  const Bytes& get(const std::string& id) {
    EXPECT_TRUE(examples.count(id)) << "PROTOCOL.md §12 lacks the example '" << id << "'";
    return examples[id];
  }
};

TEST_F(SpecExamples, AllTwentyArePresent) {
  EXPECT_EQ(examples.size(), 20u);
}

TEST_F(SpecExamples, ResumptionExamplesDecode) {
  auto can_keep = decode_and_round_trip<ClientHello>(get("client_hello_ticket_empty"));
  ASSERT_TRUE(can_keep.session_ticket());
  EXPECT_TRUE(can_keep.session_ticket()->empty());
  auto will_issue = decode_and_round_trip<ServerHello>(get("server_hello_new_ticket"));
  EXPECT_EQ(will_issue.ticket_mode(), TicketMode::new_ticket);
  auto offering = decode_and_round_trip<ClientHello>(get("client_hello_ticket"));
  EXPECT_EQ(offering.session_ticket().value_or(Bytes{}).size(), 113u);
  auto resumed = decode_and_round_trip<ServerHello>(get("server_hello_resumed"));
  EXPECT_TRUE(resumed.resumed());
  EXPECT_TRUE(resumed.certificate.empty());
  auto ticket = decode_handshake<NewSessionTicket>(from_hex(text_value("new_session_ticket")).value_or(Bytes{}));
  ASSERT_TRUE(ticket.ok());
  EXPECT_EQ(ticket->ticket_lifetime_hint, 7200u);
  EXPECT_EQ(ticket->ticket, offering.session_ticket().value_or(Bytes{}));
  // The resumed key block and client Finished from the key schedule's master secret and the new randoms.
  Secret master(from_hex(text_value("master_secret")).value_or(Bytes{}));
  auto suite = *suite_info(CipherSuite::rsa_oaep_aes_128_gcm_sha256);
  auto keys = crypto::derive_key_block(suite, master, offering.random, resumed.random);
  EXPECT_EQ(to_hex(keys.client_write.key.view()), text_value("resumed_client_write_key"));
  EXPECT_EQ(to_hex(keys.server_write.iv.view()), text_value("resumed_server_write_iv"));
  Bytes transcript = encode_handshake(offering);
  Bytes second = encode_handshake(resumed);
  transcript.insert(transcript.end(), second.begin(), second.end());
  Bytes hash = crypto::digest(suite.hash, transcript);
  EXPECT_EQ(to_hex(hash), text_value("resumed_transcript_hash"));
  EXPECT_EQ(to_hex(crypto::compute_verify_data(suite.hash, master, crypto::FinishedSender::client, hash)),
            text_value("resumed_client_verify"));
}

TEST_F(SpecExamples, StapledAndMutualHellosDecode) {
  auto hello = decode_and_round_trip<ClientHello>(get("client_hello_stapled_mutual"));
  EXPECT_TRUE(hello.asks_for_staple());
  EXPECT_TRUE(hello.offers_certificate());
  auto server_hello = decode_and_round_trip<ServerHello>(get("server_hello_stapled_mutual"));
  EXPECT_EQ(to_hex(server_hello.staple().value_or(Bytes{})), "30030a0101");
  EXPECT_EQ(server_hello.certificate_request().value_or(std::vector<std::uint16_t>{}),
            (std::vector<std::uint16_t>{0x0403, 0x0804}));
}

TEST_F(SpecExamples, MutualClientKeyExchangeDecodes) {
  auto mutual = decode_and_round_trip<AuthenticatedKeyExchange>(get("client_key_exchange_mutual"));
  EXPECT_EQ(mutual.key_exchange.encrypted_pre_master.size(), 256u);
  EXPECT_EQ(mutual.authentication.scheme, 0x0804);
  EXPECT_EQ(mutual.authentication.signature.size(), 256u);
}

TEST_F(SpecExamples, CertificateRequiredAlertDecodes) {
  auto alert = Alert::decode(fragment_of(get("alert_certificate_required"), ContentType::alert));
  ASSERT_TRUE(alert.ok());
  EXPECT_EQ(alert->description, AlertDescription::certificate_required);
}

TEST_F(SpecExamples, ClientHelloDecodes) {
  auto hello = decode_and_round_trip<ClientHello>(get("client_hello"));
  EXPECT_EQ(hello.random, counting_random(0));
  EXPECT_EQ(hello.server_name().value_or(""), "localhost");
  EXPECT_EQ(hello.cipher_suites, (std::vector<std::uint16_t>{0x0A01, 0x0A03, 0x0A02}));
}

TEST_F(SpecExamples, ServerHelloDecodes) {
  auto hello = decode_and_round_trip<ServerHello>(get("server_hello"));
  EXPECT_EQ(hello.random, counting_random(0x80));
  EXPECT_EQ(hello.cipher_suite, 0x0A01);
}

TEST_F(SpecExamples, StatusRequestAndResponseDecode) {
  EXPECT_EQ(decode_and_round_trip<StatusRequest>(get("status_request")).nonce.size(), 32u);
  EXPECT_EQ(to_hex(decode_and_round_trip<StatusResponse>(get("status_response")).ocsp_response), "30030a0101");
}

TEST_F(SpecExamples, StatusRequestSaysItsRequesterOrNot) {
  EXPECT_EQ(decode_and_round_trip<StatusRequest>(get("status_request")).requester(), std::nullopt);
  auto request = decode_and_round_trip<StatusRequest>(get("status_request_requester"));
  EXPECT_EQ(request.requester(), Requester::server_for_staple);
  EXPECT_EQ(request.nonce, Bytes(32, 0x5a));
}

TEST_F(SpecExamples, ClientKeyExchangeDecodes) {
  EXPECT_EQ(decode_and_round_trip<ClientKeyExchange>(get("client_key_exchange")).encrypted_pre_master.size(), 256u);
}

TEST_F(SpecExamples, AlertDecodes) {
  auto alert = Alert::decode(fragment_of(get("alert"), ContentType::alert));
  ASSERT_TRUE(alert.ok());
  EXPECT_EQ(alert->description, AlertDescription::certificate_revoked);
}

TEST_F(SpecExamples, ProtectedFinishedOpensWithTheDocumentedKeys) {
  Secret pre_master(crypto::pre_master_size);
  pre_master.data()[0] = 0x01;
  pre_master.data()[1] = 0x00;
  for (std::size_t i = 2; i < pre_master.size(); ++i) pre_master.data()[i] = static_cast<std::uint8_t>(0xa0 + i);
  auto suite = *suite_info(CipherSuite::rsa_oaep_aes_128_gcm_sha256);
  auto master = crypto::derive_master_secret(suite.hash, pre_master, counting_random(0), counting_random(0x80));
  auto keys = crypto::derive_key_block(suite, master, counting_random(0), counting_random(0x80));
  crypto::RecordProtection reader(suite.aead, std::move(keys.client_write));
  Bytes frame = get("finished_protected");
  ASSERT_GT(frame.size(), frame_header_size);
  auto header = FrameHeader::decode(ByteView(frame).first(frame_header_size));
  ASSERT_TRUE(header.ok());
  std::span<std::uint8_t> fragment(frame.data() + frame_header_size, frame.size() - frame_header_size);
  auto opened = reader.open(header.value(), fragment);
  ASSERT_TRUE(opened.ok()) << opened.failure().reason;
  EXPECT_EQ(opened->type, InnerType::handshake);
  EXPECT_TRUE(decode_handshake<Finished>(opened->content).ok());
}

// The ECDHE examples: the offered groups, the server's share, and the client's share, whose ECDH
// with the server's documented private key (RFC 7748 §6.1, Bob) gives the RFC's shared secret.
TEST_F(SpecExamples, EcdheHellosCarryTheKeyShares) {
  auto hello = decode_and_round_trip<ClientHello>(get("client_hello_ecdhe"));
  EXPECT_EQ(hello.key_share_groups(), (std::vector<std::uint16_t>{0x001d, 0x0017}));
  auto server_hello = decode_and_round_trip<ServerHello>(get("server_hello_ecdhe"));
  EXPECT_EQ(server_hello.cipher_suite, 0x0B01);
  auto share = server_hello.key_share();
  ASSERT_TRUE(share.has_value());
  EXPECT_EQ(share->group, 0x001d);
  EXPECT_EQ(share->scheme, 0x0804);
  EXPECT_EQ(to_hex(share->key_exchange), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
}

TEST_F(SpecExamples, EcdheClientKeyShareGivesTheRfcSharedSecret) {
  auto client_share = decode_and_round_trip<ClientKeyShare>(get("client_key_share"));
  auto bob = crypto::EphemeralKey::from_private_key(
      NamedGroup::x25519, *from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  auto pre_master = bob.derive(client_share.key_exchange);
  ASSERT_TRUE(pre_master.ok());
  EXPECT_EQ(to_hex(pre_master->view()), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
}

// The bytes the server's key signs (§7.6), for the example's RANDs and Bob's key share.
TEST_F(SpecExamples, KeyShareSignedContentIsDocumented) {
  auto server_hello = decode_and_round_trip<ServerHello>(get("server_hello_ecdhe"));
  auto share = server_hello.key_share();
  ASSERT_TRUE(share.has_value());
  Bytes content =
      key_share_signed_content(counting_random(0), counting_random(0x80), share->group, share->key_exchange);
  EXPECT_EQ(content.size(), 100u);
  EXPECT_EQ(text_value("key_share_signed"), to_hex(content));
}

// secp256r1 with RFC 5903 §8.1's key pairs: the server's ECDH with the documented client share is the
// RFC's shared x-coordinate, and the documented key schedule follows from it.
TEST_F(SpecExamples, P256ClientKeyShareGivesTheRfcSharedSecretAndSchedule) {
  auto client_share = decode_and_round_trip<ClientKeyShare>(get("client_key_share_p256"));
  ASSERT_EQ(client_share.key_exchange.size(), 65u);
  auto server = crypto::EphemeralKey::from_private_key(
      NamedGroup::secp256r1, *from_hex("c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53"),
      *from_hex(text_value("server_p256")));
  auto pre_master = server.derive(client_share.key_exchange);
  ASSERT_TRUE(pre_master.ok());
  EXPECT_EQ(to_hex(pre_master->view()), "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de");
  auto suite = *suite_info(CipherSuite::ecdhe_aes_128_gcm_sha256);
  auto master = crypto::derive_master_secret(suite.hash, pre_master.value(), counting_random(0), counting_random(0x80));
  std::ifstream file(TLSLAB_PROTOCOL_MD);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_NE(
      text.find("pre_master       d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de\nmaster_secret    " +
                to_hex(master.view())),
      std::string::npos);
}

}  // namespace
