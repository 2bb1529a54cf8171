// The ECDHE suites in one process (PROTOCOL.md §7.6): every suite in both groups with an RSA and
// an EC P-256 certificate, fresh ephemeral keys per handshake, the negotiation failures, and the
// key-share attacks through a real tlslab-mitm relay, each with the alert and exit code §7.6 gives.
#include <gtest/gtest.h>

#include <tuple>

#include "lab.hpp"
#include "test_pki.hpp"

namespace tlslab::integration {
namespace {

using client::ExitCode;

// The value of field `name` in the client's trace of `arrow`; empty when there is none.
std::string field(const ClientRun& run, int arrow, std::string_view name) {
  for (const auto& event : run.events) {
    if (event.arrow != arrow) continue;
    for (const auto& each : event.fields) {
      if (each.name == name) return each.value;
    }
  }
  return {};
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

using Combination = std::tuple<CipherSuite, NamedGroup, bool /* EC certificate */>;

class EcdheCombinations : public ::testing::TestWithParam<Combination> {};

TEST_P(EcdheCombinations, GoodPathSignsTheShareAndNeverSendsThePreMaster) {
  auto [suite, group, ec_certificate] = GetParam();
  LabOptions options;
  options.ec_certificate = ec_certificate;
  Lab lab(options);
  auto settings = lab.client_settings();
  settings.suites = {suite};
  settings.groups = {group};
  ClientRun run = lab.run_client(settings);
  ASSERT_EQ(run.outcome.code, ExitCode::ok) << run.outcome.line;
  EXPECT_TRUE(contains(run.body, suite_info(suite)->name));
  EXPECT_TRUE(contains(run.body, "ephemeral key share")) << "the session page explains arrow 5's ECDHE form";

  std::string group_name(to_string(group));
  EXPECT_TRUE(contains(field(run, 1, "groups (ECDHE)"), group_name));
  EXPECT_TRUE(contains(field(run, 2, "server's key share"), group_name)) << field(run, 2, "server's key share");
  std::string signature = field(run, 2, "signature");
  EXPECT_TRUE(contains(signature, ec_certificate ? "ecdsa_secp256r1_sha256" : "rsa_pss_rsae_sha256")) << signature;
  EXPECT_FALSE(field(run, 5, "client's key share").empty());
  EXPECT_TRUE(field(run, 5, "PRE-MASTER (encrypted)").empty()) << "an ECDHE session sends no PRE-MASTER";
  for (const char* arrow : {"\"arrow\":3,", "\"arrow\":4,", "\"arrow\":6,", "\"arrow\":7,", "\"arrow\":8,"}) {
    EXPECT_TRUE(contains(run.trace_json, arrow)) << arrow;
  }
}

std::string combination_name(const ::testing::TestParamInfo<Combination>& each) {
  auto [suite, group, ec_certificate] = each.param;
  std::string name = std::string(suite_info(suite)->short_name) + "_" + std::string(to_string(group)) +
                     (ec_certificate ? "_ecdsa" : "_rsa");
  std::erase(name, '-');
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllSuitesGroupsAndKeys, EcdheCombinations,
                         ::testing::Combine(::testing::Values(CipherSuite::ecdhe_aes_128_gcm_sha256,
                                                              CipherSuite::ecdhe_aes_256_gcm_sha384,
                                                              CipherSuite::ecdhe_chacha20_poly1305_sha256),
                                            ::testing::Values(NamedGroup::x25519, NamedGroup::secp256r1),
                                            ::testing::Bool()),
                         combination_name);

TEST(Ecdhe, EveryHandshakeHasFreshEphemeralKeys) {
  Lab lab;
  auto settings = lab.client_settings();
  settings.suites = {CipherSuite::ecdhe_aes_128_gcm_sha256};
  ClientRun first = lab.run_client(settings);
  ClientRun second = lab.run_client(settings);
  ASSERT_EQ(first.outcome.code, ExitCode::ok) << first.outcome.line;
  ASSERT_EQ(second.outcome.code, ExitCode::ok) << second.outcome.line;
  EXPECT_NE(field(first, 2, "server's key share"), field(second, 2, "server's key share"));
  EXPECT_NE(field(first, 5, "client's key share"), field(second, 5, "client's key share"));
}

TEST(Ecdhe, TheServerPicksTheGroupByItsOwnPreference) {
  LabOptions options;
  options.server_groups = {NamedGroup::secp256r1, NamedGroup::x25519};
  Lab lab(options);
  auto settings = lab.client_settings();
  settings.suites = {CipherSuite::ecdhe_aes_128_gcm_sha256};
  settings.groups = {NamedGroup::x25519, NamedGroup::secp256r1};
  ClientRun run = lab.run_client(settings);
  ASSERT_EQ(run.outcome.code, ExitCode::ok) << run.outcome.line;
  EXPECT_TRUE(contains(field(run, 2, "server's key share"), "secp256r1")) << field(run, 2, "server's key share");
}

TEST(Ecdhe, NoGroupInCommonIsAHandshakeFailure) {
  LabOptions options;
  options.server_groups = {NamedGroup::x25519};
  Lab lab(options);
  auto settings = lab.client_settings();
  settings.suites = {CipherSuite::ecdhe_aes_128_gcm_sha256};
  settings.groups = {NamedGroup::secp256r1};
  ClientRun run = lab.run_client(settings);
  EXPECT_EQ(run.outcome.code, ExitCode::negotiation_failed);
  EXPECT_TRUE(contains(run.outcome.line, "handshake_failure")) << run.outcome.line;
}

TEST(Ecdhe, WithNoGroupInCommonTheServerFallsBackToAnotherOfferedSuite) {
  LabOptions options;
  options.server_groups = {NamedGroup::x25519};
  options.server_suites = {CipherSuite::ecdhe_aes_128_gcm_sha256, CipherSuite::rsa_oaep_aes_128_gcm_sha256};
  Lab lab(options);
  auto settings = lab.client_settings();
  settings.suites = {CipherSuite::ecdhe_aes_128_gcm_sha256, CipherSuite::rsa_oaep_aes_128_gcm_sha256};
  settings.groups = {NamedGroup::secp256r1};
  ClientRun run = lab.run_client(settings);
  ASSERT_EQ(run.outcome.code, ExitCode::ok) << run.outcome.line;
  EXPECT_TRUE(contains(run.body, "TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256"));
}

TEST(Ecdhe, AnEcCertificateCannotServeRsaKeyTransport) {
  LabOptions options;
  options.ec_certificate = true;
  Lab lab(options);
  auto settings = lab.client_settings();
  settings.suites = {CipherSuite::rsa_oaep_aes_128_gcm_sha256};
  ClientRun run = lab.run_client(settings);
  EXPECT_EQ(run.outcome.code, ExitCode::negotiation_failed);
  EXPECT_TRUE(contains(run.outcome.line, "handshake_failure")) << run.outcome.line;
  // With the default offers on both sides, the same server chooses ECDHE.
  ClientRun defaults = lab.run_client(lab.client_settings());
  ASSERT_EQ(defaults.outcome.code, ExitCode::ok) << defaults.outcome.line;
  EXPECT_TRUE(contains(defaults.body, "TLSLAB_ECDHE_WITH")) << "the EC server should have chosen an ECDHE suite";
}

struct KeyShareAttack {
  const char* attack;
  NamedGroup group;
  ExitCode code;
  const char* alert;
};

class KeyShareAttacks : public ::testing::TestWithParam<KeyShareAttack> {};

TEST_P(KeyShareAttacks, AreRefusedWithTheAlertOfSection76) {
  const auto& attack = GetParam();
  Lab lab;
  auto settings = lab.client_settings();
  settings.suites = {CipherSuite::ecdhe_aes_128_gcm_sha256};
  settings.groups = {attack.group};
  settings.server.port(lab.start_relay(attack.attack));
  ClientRun run = lab.run_client(settings);
  EXPECT_EQ(run.outcome.code, attack.code) << run.outcome.line;
  EXPECT_TRUE(contains(run.outcome.line, attack.alert)) << run.outcome.line;
  // The server goes on serving ECDHE clients.
  auto direct = lab.client_settings();
  direct.suites = {CipherSuite::ecdhe_aes_128_gcm_sha256};
  direct.groups = {attack.group};
  EXPECT_EQ(lab.run_client(direct).outcome.code, ExitCode::ok);
}

INSTANTIATE_TEST_SUITE_P(
    Relay, KeyShareAttacks,
    ::testing::Values(
        KeyShareAttack{"invalid-key-share", NamedGroup::x25519, ExitCode::negotiation_failed, "illegal_parameter"},
        KeyShareAttack{"invalid-key-share", NamedGroup::secp256r1, ExitCode::negotiation_failed, "illegal_parameter"},
        KeyShareAttack{"replace-key-share", NamedGroup::x25519, ExitCode::integrity_failed, "decrypt_error"},
        KeyShareAttack{"replace-key-share", NamedGroup::secp256r1, ExitCode::integrity_failed, "decrypt_error"},
        KeyShareAttack{"change-group", NamedGroup::x25519, ExitCode::negotiation_failed, "illegal_parameter"}),
    [](const auto& each) {
      std::string name = std::string(each.param.attack) + "_" + std::string(to_string(each.param.group));
      std::erase(name, '-');
      return name;
    });

}  // namespace
}  // namespace tlslab::integration
