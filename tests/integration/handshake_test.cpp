// The handshake in one process (lab.hpp): client::run_session against server::serve_connection
// and the CA's responder over loopback sockets. Good path per suite, then each failure the
// client must report with its alert and exit code.
#include <gtest/gtest.h>

#include "lab.hpp"
#include "test_pki.hpp"

namespace tlslab::integration {
namespace {

using client::ExitCode;

class Suites : public ::testing::TestWithParam<CipherSuite> {};

TEST_P(Suites, GoodPathGetsTheSessionPage) {
  Lab lab;
  auto settings = lab.client_settings();
  settings.suites = {GetParam()};
  ClientRun run = lab.run_client(settings);
  ASSERT_EQ(run.outcome.code, ExitCode::ok) << run.outcome.line;
  EXPECT_NE(run.body.find("tlslab: this session"), std::string::npos);
  EXPECT_NE(run.body.find(std::string(suite_info(GetParam())->name)), std::string::npos);
  // The page says what the server knows: the certificate's issuer and dates, not the CA's answer,
  // which only the client saw.
  EXPECT_NE(run.body.find("/O=tlslab/CN=tlslab test CA"), std::string::npos);
  EXPECT_NE(run.body.find("The server does not see those arrows"), std::string::npos);
  EXPECT_EQ(run.body.find("checked by the client with the CA service"), std::string::npos);
  // Eight arrows in the trace, in the diagram's order.
  for (const char* arrow : {"\"arrow\":1,", "\"arrow\":2,", "\"arrow\":3,", "\"arrow\":4,", "\"arrow\":5,",
                            "\"arrow\":6,", "\"arrow\":7,", "\"arrow\":8,"}) {
    EXPECT_NE(run.trace_json.find(arrow), std::string::npos) << arrow;
  }
}

INSTANTIATE_TEST_SUITE_P(AllSuites, Suites,
                         ::testing::Values(CipherSuite::rsa_oaep_aes_128_gcm_sha256,
                                           CipherSuite::rsa_oaep_chacha20_poly1305_sha256,
                                           CipherSuite::rsa_oaep_aes_256_gcm_sha384),
                         [](const auto& suite) { return std::string(suite_info(suite.param)->short_name); });

TEST(Handshake, RevokedCertificateIsRefused) {
  Lab lab;
  ASSERT_EQ(lab.database().revoke(lab.server_serial(), 1, std::time(nullptr)), ca::Database::RevokeOutcome::revoked);
  ClientRun run = lab.run_client(lab.client_settings());
  EXPECT_EQ(run.outcome.code, ExitCode::certificate_status);
  EXPECT_NE(run.outcome.line.find("certificate_revoked"), std::string::npos) << run.outcome.line;
  EXPECT_NE(run.outcome.line.find("keyCompromise"), std::string::npos) << run.outcome.line;
}

TEST(Handshake, WrongNameIsRefusedBeforeTheCaIsAsked) {
  Lab lab;
  auto settings = lab.client_settings();
  settings.server_name = "other.test";
  ClientRun run = lab.run_client(settings);
  EXPECT_EQ(run.outcome.code, ExitCode::certificate_rejected);
  EXPECT_NE(run.outcome.line.find("bad_certificate"), std::string::npos) << run.outcome.line;
  EXPECT_EQ(run.trace_json.find("\"arrow\":3,"), std::string::npos) << "the CA was asked about a rejected certificate";
}

TEST(Handshake, NoCommonSuiteIsAHandshakeFailure) {
  LabOptions options;
  options.server_suites = {CipherSuite::rsa_oaep_aes_256_gcm_sha384};
  Lab lab(options);
  auto settings = lab.client_settings();
  settings.suites = {CipherSuite::rsa_oaep_aes_128_gcm_sha256};
  ClientRun run = lab.run_client(settings);
  EXPECT_EQ(run.outcome.code, ExitCode::negotiation_failed);
  EXPECT_NE(run.outcome.line.find("handshake_failure"), std::string::npos) << run.outcome.line;
}

TEST(Handshake, CaDownFailsClosed) {
  LabOptions options;
  options.start_ca = false;
  Lab lab(options);
  ClientRun run = lab.run_client(lab.client_settings());
  EXPECT_EQ(run.outcome.code, ExitCode::ca_check_failed);
  EXPECT_NE(run.outcome.line.find("bad_certificate_status_response"), std::string::npos) << run.outcome.line;
}

// The two sides' keys agree (same randoms, same PRE-MASTER) but their transcripts differ by one
// byte of the ClientHello: only the Finished can tell, and the server's says decrypt_error.
TEST(Handshake, FinishedMismatchIsADecryptError) {
  Lab lab;
  mitm::AttackOptions flip;
  flip.flip_direction = mitm::Direction::to_upstream;
  flip.flip_frame = 0;
  auto settings = lab.client_settings();
  settings.suites = {CipherSuite::rsa_oaep_aes_128_gcm_sha256};  // server_name is the first extension
  // msg_type and length, version, random, the suite list, the extension list's length, the
  // extension's type and length, host_name's length: then the first letter of "localhost".
  flip.flip_offset = 4 + 2 + 32 + 2 + 2 * settings.suites.size() + 2 + 2 + 2 + 1;
  std::uint16_t relay = lab.start_relay("flip-byte", flip);
  settings.server.port(relay);
  ClientRun run = lab.run_client(settings);
  EXPECT_EQ(run.outcome.code, ExitCode::integrity_failed);
  EXPECT_NE(run.outcome.line.find("decrypt_error"), std::string::npos) << run.outcome.line;
}

}  // namespace
}  // namespace tlslab::integration

namespace tlslab::integration {
namespace {

void expect_frames_fully_spanned(const std::vector<HandshakeEvent>& events, const char* side) {
  for (const auto& event : events) {
    if (!event.frame) continue;
    std::string problem;
    EXPECT_TRUE(covers_exactly(event.frame->spans, event.frame->bytes.size(), &problem))
        << side << " arrow " << event.arrow << " " << event.message << ": " << problem;
    if (!event.frame->plaintext.empty()) {
      EXPECT_TRUE(covers_exactly(event.frame->plaintext_spans, event.frame->plaintext.size(), &problem))
          << side << " arrow " << event.arrow << " plaintext: " << problem;
    }
  }
}

const HandshakeEvent* arrow(const std::vector<HandshakeEvent>& events, int number) {
  for (const auto& event : events) {
    if (event.arrow == number && event.frame) return &event;
  }
  return nullptr;
}

// Real frames from a real handshake, as each side saw them: every byte of each in exactly one
// field, protected frames included (header, ciphertext, tag; and the inner plaintext's fields).
void expect_spans_on_both_sides(LabOptions options, const std::vector<CipherSuite>& suites) {
  options.show_secrets = true;
  Lab lab(options);
  auto settings = lab.client_settings();
  settings.suites = suites;
  ClientRun run = lab.run_client(settings);
  ASSERT_EQ(run.outcome.code, client::ExitCode::ok) << run.outcome.line;
  auto service = lab.service_events().events();
  expect_frames_fully_spanned(run.events, "client");
  expect_frames_fully_spanned(service, "server/CA");
  for (int number = 1; number <= 7; ++number) {
    const HandshakeEvent* sent = arrow(run.events, number);
    const HandshakeEvent* seen = arrow(service, number);
    ASSERT_NE(sent, nullptr) << "the client's trace has no frame for arrow " << number;
    ASSERT_NE(seen, nullptr) << "the server's or CA's trace has no frame for arrow " << number;
    EXPECT_EQ(sent->frame->bytes, seen->frame->bytes) << "arrow " << number << ": the two ends saw other bytes";
    EXPECT_EQ(sent->frame->spans, seen->frame->spans) << "arrow " << number << ": the two ends name them differently";
  }
  // The Finished messages travel protected: header, ciphertext, tag; inside, the verify_data.
  const HandshakeEvent* test_message = arrow(run.events, 6);
  EXPECT_EQ(field_path_at(test_message->frame->spans, 5), "ciphertext");
  EXPECT_EQ(field_path_at(test_message->frame->spans, test_message->frame->bytes.size() - 1), "tag");
  EXPECT_EQ(field_path_at(test_message->frame->plaintext_spans, 4), "Finished/verify_data");
  // The certificate in the ServerHello, where the report highlights it.
  const HandshakeEvent* server_hello = arrow(run.events, 2);
  EXPECT_EQ(field_path_at(server_hello->frame->spans, 5 + 4 + 2 + 32 + 2 + 2), "ServerHello/certificate");
}

TEST(Spans, EveryFrameOfARealHandshakeIsFullySpannedOnBothSides) {
  expect_spans_on_both_sides({}, {CipherSuite::rsa_oaep_aes_128_gcm_sha256});
}

// The ECDHE forms (§7.6): the key_share extensions and the ClientKeyExchange's key_exchange.
TEST(Spans, EveryFrameOfAnEcdheHandshakeIsFullySpannedOnBothSides) {
  expect_spans_on_both_sides({}, {CipherSuite::ecdhe_aes_128_gcm_sha256});
  LabOptions ec;
  ec.ec_certificate = true;
  ec.server_groups = {NamedGroup::secp256r1};
  expect_spans_on_both_sides(ec, {CipherSuite::ecdhe_chacha20_poly1305_sha256});
}

TEST(Spans, AFailedRunEndsWithTheAlertFrame) {
  Lab lab;
  ASSERT_EQ(lab.database().revoke(lab.server_serial(), 1, std::time(nullptr)), ca::Database::RevokeOutcome::revoked);
  ClientRun run = lab.run_client(lab.client_settings());
  ASSERT_EQ(run.outcome.code, client::ExitCode::certificate_status);
  ASSERT_EQ(run.outcomes.size(), 1u);
  ASSERT_TRUE(run.outcomes[0].alert_frame);
  // The client's certificate_revoked alert, in the clear: 15 0100 0002 02 2c.
  EXPECT_EQ(to_hex(run.outcomes[0].alert_frame->bytes),
            "15010000020"
            "22c");
  EXPECT_EQ(field_path_at(run.outcomes[0].alert_frame->spans, 6), "Alert/description");
  EXPECT_EQ(arrow(run.events, 5), nullptr) << "no PRE-MASTER after a revoked answer";
  EXPECT_NE(arrow(run.events, 4), nullptr) << "the CA's answer is the last arrow";
}

}  // namespace
}  // namespace tlslab::integration
