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
  flip.flip_offset = 4 + 2 + 32 + 2 + 6 + 2 + 2 + 2 + 1;  // the first letter of server_name "localhost"
  std::uint16_t relay = lab.start_relay("flip-byte", flip);
  auto settings = lab.client_settings();
  settings.server.port(relay);
  ClientRun run = lab.run_client(settings);
  EXPECT_EQ(run.outcome.code, ExitCode::integrity_failed);
  EXPECT_NE(run.outcome.line.find("decrypt_error"), std::string::npos) << run.outcome.line;
}

}  // namespace
}  // namespace tlslab::integration
