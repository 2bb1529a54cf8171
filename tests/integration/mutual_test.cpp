// Mutual authentication in one process (PROTOCOL.md §7.7, §9.2): the server asks for the client's
// certificate, checks it and its CertificateVerify, then asks the CA about it; each refusal is a
// typed alert and the client's exit code 11.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "authority.hpp"
#include "lab.hpp"
#include "test_pki.hpp"
#include "tlslab/crypto/x509.hpp"

namespace tlslab::integration {
namespace {

using client::ExitCode;
using test::one_day;
using test::test_pki;

LabOptions client_auth(ClientAuth policy) {
  LabOptions options;
  options.client_auth = policy;
  return options;
}

struct IssueFor {
  const ca::CaMaterial* authority = &test_pki().ca;
  ca::Role role = ca::Role::client;
  std::time_t not_before = std::time(nullptr) - one_day;
  std::time_t not_after = std::time(nullptr) + one_day;
};

// A client's certificate and key (EC P-256, fast to make) from the test CA unless told otherwise.
std::shared_ptr<client::ClientIdentity> issue_client(const IssueFor& options = {}) {
  auto identity = std::make_shared<client::ClientIdentity>();
  identity->key = ca::generate_key(ca::KeyType::ec_p256);
  ca::IssueRequest request{"alice", {}, {options.not_before, options.not_after}, options.role};
  if (options.role == ca::Role::server) request.subject_alt_names = {"DNS:localhost"};
  identity->certificate = ca::issue_certificate(*options.authority, identity->key.get(), request);
  identity->scheme = crypto::SignatureScheme::ecdsa_secp256r1_sha256;
  identity->certificate_der = crypto::certificate_der(identity->certificate.get());
  identity->subject = crypto::subject_of(identity->certificate.get());
  identity->serial = crypto::serial_hex(identity->certificate.get());
  return identity;
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// Why the server refused the client: its trace's outcome of the session that sent an alert. The
// server records it once the alert is sent, which may be after the client has returned.
std::string server_refusal(const Lab& lab) {
  for (int tries = 0; tries < 3000; ++tries) {  // a backstop of 30 s, not a measure
    for (const auto& outcome : lab.service_events().outcomes()) {
      if (!outcome.ok && !outcome.alert.empty()) return outcome.event + ": " + outcome.detail;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "(the server recorded no refusal)";
}

class Mutual : public ::testing::Test {
 protected:
  // A client with `identity`, which the lab's CA knows unless `recorded` is false.
  ClientRun run(Lab& lab, const std::shared_ptr<client::ClientIdentity>& identity, bool recorded = true) {
    auto settings = lab.client_settings();
    if (identity) {
      if (recorded) lab.database().record_issued(identity->certificate.get(), "");
      settings.identity = identity;
    }
    return lab.run_client(settings);
  }
  void expect_refused(const ClientRun& result, const std::string& alert) {
    EXPECT_EQ(result.outcome.code, ExitCode::client_certificate_refused) << result.outcome.line;
    EXPECT_TRUE(has(result.outcome.line, alert)) << result.outcome.line;
  }
};

TEST_F(Mutual, RequireWithACertificateNamesTheClient) {
  Lab lab(client_auth(ClientAuth::require));
  auto alice = issue_client();
  ClientRun result = run(lab, alice);
  ASSERT_EQ(result.outcome.code, ExitCode::ok) << result.outcome.line;
  // The session page names the authenticated client, and the CA's answer the server got.
  EXPECT_TRUE(has(result.body, "/O=tlslab/CN=alice")) << result.body;
  EXPECT_TRUE(has(result.body, alice->serial)) << result.body;
  // The server's trace: its own arrows 3–4 about the client's certificate, and the client named.
  std::string server_side;
  for (const auto& event : lab.service_events().events()) {
    for (const auto& field : event.fields) server_side += event.from + ">" + event.to + " " + field.value + "\n";
  }
  EXPECT_TRUE(has(server_side, "Server>CA serial " + alice->serial)) << server_side;
  EXPECT_TRUE(has(server_side, "/O=tlslab/CN=alice, serial " + alice->serial)) << server_side;
}

TEST_F(Mutual, RequireWithoutACertificateIsCertificateRequired) {
  Lab lab(client_auth(ClientAuth::require));
  ClientRun result = run(lab, nullptr);
  expect_refused(result, "certificate_required");
}

TEST_F(Mutual, OptionalWithoutACertificateIsAnonymous) {
  Lab lab(client_auth(ClientAuth::optional));
  ClientRun result = run(lab, nullptr);
  ASSERT_EQ(result.outcome.code, ExitCode::ok) << result.outcome.line;
  EXPECT_TRUE(has(result.body, "Anonymous")) << result.body;
}

TEST_F(Mutual, NoneNeverAsks) {
  Lab lab;
  ClientRun result = run(lab, issue_client());
  ASSERT_EQ(result.outcome.code, ExitCode::ok) << result.outcome.line;
  EXPECT_TRUE(has(result.body, "Anonymous")) << result.body;
}

TEST_F(Mutual, ACertificateFromAnUnknownCaIsUnknownCa) {
  Lab lab(client_auth(ClientAuth::require));
  expect_refused(run(lab, issue_client({.authority = &test_pki().other_ca}), false), "unknown_ca");
}

TEST_F(Mutual, AnExpiredCertificateIsCertificateExpired) {
  Lab lab(client_auth(ClientAuth::require));
  std::time_t now = std::time(nullptr);
  expect_refused(run(lab, issue_client({.not_before = now - 30 * one_day, .not_after = now - one_day})),
                 "certificate_expired");
}

TEST_F(Mutual, ARevokedCertificateIsCertificateRevoked) {
  Lab lab(client_auth(ClientAuth::require));
  auto alice = issue_client();
  lab.database().record_issued(alice->certificate.get(), "");
  ASSERT_EQ(lab.database().revoke(alice->serial, 1, std::time(nullptr)), ca::Database::RevokeOutcome::revoked);
  expect_refused(run(lab, alice, false), "certificate_revoked");
}

TEST_F(Mutual, ASignatureByAnotherKeyIsDecryptError) {
  Lab lab(client_auth(ClientAuth::require));
  auto alice = issue_client();
  alice->key = ca::generate_key(ca::KeyType::ec_p256);  // not the certificate's key
  ClientRun result = run(lab, alice);
  EXPECT_EQ(result.outcome.code, ExitCode::integrity_failed) << result.outcome.line;
  EXPECT_TRUE(has(result.outcome.line, "decrypt_error")) << result.outcome.line;
}

TEST_F(Mutual, AServerCertificateIsNotAcceptedAsAClientOne) {
  Lab lab(client_auth(ClientAuth::require));
  expect_refused(run(lab, issue_client({.role = ca::Role::server})), "bad_certificate");
  // bad_certificate has many reasons; this one must be the extendedKeyUsage (serverAuth, not
  // clientAuth), as the server's own trace says.
  std::string refusal = server_refusal(lab);
  EXPECT_TRUE(has(refusal, "extendedKeyUsage lacks clientAuth")) << refusal;
}

TEST(ClientCertificate, AClientCertificateIsNotAcceptedAsAServerOne) {
  auto alice = issue_client();
  auto trust = test::trust_store_with_test_ca();
  EXPECT_TRUE(crypto::verify_client_certificate(trust, alice->certificate.get()).ok());
  EXPECT_FALSE(crypto::verify_server_certificate(trust, alice->certificate.get(), "alice").ok());
  EXPECT_FALSE(crypto::verify_client_certificate(trust, test_pki().server_certificate.get()).ok());
}

}  // namespace
}  // namespace tlslab::integration
