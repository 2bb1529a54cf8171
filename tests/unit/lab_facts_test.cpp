// The lab's own trace events carry typed facts (issue 24, VARIANTS.md "What every variant emits"):
// facts_of builds them from the values describe puts in words, SessionTrace attaches them (only when
// a trace listens), and the JSON Lines write a secret's value only under --show-secrets.
#include <gtest/gtest.h>

#include <openssl/ocsp.h>
#include <memory>
#include <vector>

#include "test_pki.hpp"
#include "tlslab/crypto/ecdhe.hpp"
#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/signature.hpp"
#include "tlslab/trace.hpp"
#include "tlslab/trace/facts_of.hpp"
#include "tlslab/trace/json_lines.hpp"

namespace tlslab {
namespace {

using test::test_pki;

// Keeps every event a session emits.
class Kept : public Renderer {
 public:
  explicit Kept(std::vector<HandshakeEvent>& events) : events_(events) {}
  void on_event(const HandshakeEvent& event) override { events_.push_back(event); }
  void on_outcome(const OutcomeEvent&) override {}

 private:
  std::vector<HandshakeEvent>& events_;
};

Random random_of(std::uint8_t fill) {
  Random random{};
  random.fill(fill);
  return random;
}

crypto::VerifiedStatus status_of(crypto::CertStatus status, int reason = -1) {
  crypto::VerifiedStatus verified;
  verified.answer.status = status;
  verified.answer.revocation_reason = reason;
  return verified;
}

TEST(LabFacts, SessionTraceAttachesTheFactsADescribeGives) {
  TraceOptions options;
  options.text = false;
  Trace trace(options);
  std::vector<HandshakeEvent> events;
  trace.add(std::make_unique<Kept>(events));
  SessionTrace session(trace, 0);
  ClientHello hello;
  hello.random = random_of(0xab);
  session.arrow(seed_flow().steps[0], std::nullopt, [&] {
    return Described{{{"RAND-CLIENT", to_hex(hello.random)}}, facts_of::client_hello(hello)};
  });
  session.local(Party::client, "SESSION MASTER KEY", "creates it", [&] {
    EventFacts facts;
    facts.suite = "TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256";
    return Described{{}, facts};
  });
  session.arrow_ahead_of_time(seed_flow().steps[0], AheadOfTime{}, [&] {
    return Described{{}, facts_of::status_answer(Bytes{0x30, 0x03})};
  });
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].facts.protocol, "tlslab/1.0");
  EXPECT_EQ(to_hex(events[0].facts.client_random), to_hex(hello.random));
  EXPECT_EQ(events[0].fields.at(0).name, "RAND-CLIENT");
  EXPECT_EQ(events[1].facts.suite, "TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256");
  EXPECT_EQ(to_hex(events[2].facts.status), "3003");
  EXPECT_TRUE(events[2].ahead_of_time.has_value());
}

TEST(LabFacts, AQuietTraceBuildsNoFacts) {
  TraceOptions quiet;
  quiet.text = false;
  Trace trace(quiet);
  SessionTrace session(trace, 1);
  bool built = false;
  session.local(Party::client, "SESSION MASTER KEY", "creates it", [&] {
    built = true;
    return Described{};
  });
  EXPECT_FALSE(built);
}

TEST(LabFacts, ServerHelloGivesRandomSuiteGroupCertificateAndStaple) {
  ServerHello hello;
  hello.random = random_of(0x5e);
  hello.cipher_suite = static_cast<std::uint16_t>(CipherSuite::ecdhe_aes_128_gcm_sha256);
  hello.certificate = crypto::certificate_der(test_pki().server_certificate.get());
  ServerKeyShare share;
  share.group = static_cast<std::uint16_t>(NamedGroup::x25519);
  share.key_exchange = Bytes(32, 0x01);
  share.scheme = static_cast<std::uint16_t>(crypto::SignatureScheme::rsa_pss_rsae_sha256);
  share.signature = Bytes(256, 0x02);
  hello.set_key_share(share);
  hello.set_staple(Bytes{0x30, 0x00});
  EventFacts facts = facts_of::server_hello(hello);
  EXPECT_EQ(facts.protocol, "tlslab/1.0");
  EXPECT_EQ(to_hex(facts.server_random), to_hex(hello.random));
  EXPECT_EQ(facts.suite, "TLSLAB_ECDHE_WITH_AES_128_GCM_SHA256");
  EXPECT_EQ(facts.group, "x25519");
  EXPECT_EQ(facts.certificate, hello.certificate);
  EXPECT_EQ(to_hex(facts.status), "3000");
}

TEST(LabFacts, TheVerdictIsInTheRealTlsPathsWords) {
  using crypto::CertStatus;
  EXPECT_EQ(facts_of::status_verdict(status_of(CertStatus::good)), "good");
  EXPECT_EQ(facts_of::status_verdict(status_of(CertStatus::revoked, OCSP_REVOKED_STATUS_KEYCOMPROMISE)),
            "revoked (keyCompromise)");
  EXPECT_EQ(facts_of::status_verdict(status_of(CertStatus::revoked)), "revoked (no reason given)");
  EXPECT_EQ(facts_of::status_verdict(status_of(CertStatus::unknown)), "unknown");
  Result<crypto::VerifiedStatus> refused = fail(AlertDescription::bad_certificate_status_response, "the nonce differs");
  EXPECT_EQ(facts_of::status_verdict(refused), "does not verify: the nonce differs");
  EventFacts facts = facts_of::status_response(Bytes{0x30}, status_of(CertStatus::good));
  EXPECT_EQ(to_hex(facts.status), "30");
  EXPECT_EQ(facts.status_verdict, "good");
}

TEST(LabFacts, TheCertificateCheckComparesChainValidityAndHostName) {
  auto trust = test::trust_store_with_test_ca();
  EventFacts good = facts_of::certificate_check(trust, test_pki().server_certificate.get(), "localhost");
  ASSERT_EQ(good.checks.size(), 3u);
  EXPECT_EQ(good.checks[0].check, "certificate chain");
  EXPECT_EQ(good.checks[1].check, "validity period");
  EXPECT_EQ(good.checks[2].check, "host name");
  for (const CheckFact& check : good.checks) EXPECT_TRUE(check.ok) << check.check << ": " << check.actual;
  EXPECT_EQ(good.checks[2].expected, "localhost");

  EventFacts wrong = facts_of::certificate_check(trust, test_pki().expired_certificate.get(), "www.example.org");
  EXPECT_FALSE(wrong.checks[1].ok);
  EXPECT_NE(wrong.checks[1].actual.find("expired"), std::string::npos) << wrong.checks[1].actual;
  EXPECT_FALSE(wrong.checks[2].ok);
  EventFacts unknown = facts_of::certificate_check(trust, test_pki().other_ca_certificate.get(), "localhost");
  EXPECT_FALSE(unknown.checks[0].ok);
}

TEST(LabFacts, SecretsHaveValuesOnlyWhenShownAndJsonWritesThemOnlyThen) {
  const SuiteInfo suite = *suite_info(CipherSuite::rsa_oaep_aes_128_gcm_sha256);
  Secret pre_master(Bytes(48, 0x77));
  Random client = random_of(0x01), server = random_of(0x02);
  SessionKeys keys = derive_session_keys(suite, Secret(pre_master.view()), client, server);
  std::string master = to_hex(keys.master_secret.view());

  EventFacts hidden = facts_of::session_keys(suite, keys, client, server, false);
  ASSERT_EQ(hidden.secrets.size(), 5u);
  EXPECT_EQ(hidden.secrets[0].name, "SESSION MASTER KEY");
  EXPECT_EQ(hidden.secrets[0].computation,
            "TLS1-PRF-SHA256(PRE-MASTER, \"master secret\", RAND-CLIENT || RAND-SERVER)[0..47]");
  for (const SecretFact& secret : hidden.secrets) {
    EXPECT_TRUE(secret.secret);
    EXPECT_TRUE(secret.value.empty()) << secret.name;
    EXPECT_TRUE(secret.command.empty()) << secret.name;
  }
  EXPECT_EQ(facts_json(hidden, false).find("\"value\""), std::string::npos);
  EXPECT_EQ(facts_json(hidden, true).find(master), std::string::npos);  // nor in a command

  EventFacts shown = facts_of::session_keys(suite, keys, client, server, true);
  EXPECT_EQ(to_hex(shown.secrets[0].value), master);
  EXPECT_EQ(to_hex(shown.secrets[1].value), to_hex(keys.keys.client_write.key.view()));
  EXPECT_NE(shown.secrets[1].command.find("openssl kdf -keylen 56"), std::string::npos) << shown.secrets[1].command;
  EXPECT_NE(facts_json(shown, true).find("\"value\":\"" + master + "\""), std::string::npos);

  EventFacts transport = facts_of::key_transport(pre_master, Party::client, false);
  ASSERT_EQ(transport.secrets.size(), 1u);
  EXPECT_EQ(transport.secrets[0].name, "PRE-MASTER");
  EXPECT_TRUE(transport.secrets[0].value.empty());
  EXPECT_EQ(to_hex(facts_of::key_transport(pre_master, Party::server, true).secrets[0].value),
            to_hex(pre_master.view()));
}

TEST(LabFacts, AKeyShareNamesItsGroupAndTheEcdh) {
  auto own = crypto::EphemeralKey::generate(NamedGroup::x25519);
  auto peer = crypto::EphemeralKey::generate(NamedGroup::x25519);
  Secret pre_master = own.derive(peer.public_key()).take();
  EventFacts facts = facts_of::key_share(own, Party::client, pre_master, true);
  EXPECT_EQ(facts.group, "x25519");
  ASSERT_EQ(facts.secrets.size(), 2u);
  EXPECT_EQ(facts.secrets[1].name, "PRE-MASTER");
  EXPECT_EQ(facts.secrets[1].computation,
            "ECDH(client's ephemeral private key, server's key share) over x25519 (§7.6)");
  EXPECT_EQ(to_hex(facts.secrets[1].value), to_hex(pre_master.view()));
}

TEST(LabFacts, FinishedGivesItsTranscriptHashVerifyDataAndTheReceiversCheck) {
  const SuiteInfo suite = *suite_info(CipherSuite::rsa_oaep_aes_128_gcm_sha256);
  Secret master(Bytes(48, 0x11));
  Bytes hash(32, 0x22);
  auto verify_data = crypto::compute_verify_data(suite.hash, master, crypto::FinishedSender::client, hash);
  facts_of::FinishedSeen sent{Party::client, verify_data, hash, &master, {}};
  EventFacts hidden = facts_of::verify_data(suite, sent, false);
  ASSERT_EQ(hidden.secrets.size(), 1u);
  EXPECT_EQ(hidden.secrets[0].name, "client Finished verify_data");
  EXPECT_FALSE(hidden.secrets[0].secret);  // no secret: always written
  EXPECT_EQ(to_hex(hidden.secrets[0].value), to_hex(verify_data));
  EXPECT_TRUE(hidden.secrets[0].command.empty());  // it would write out the master secret
  EXPECT_NE(facts_json(hidden, false).find("\"value\":\"" + to_hex(verify_data) + "\""), std::string::npos);
  EXPECT_NE(facts_of::verify_data(suite, sent, true).secrets[0].command.find("hexsecret:" + to_hex(master.view())),
            std::string::npos);

  facts_of::FinishedSeen received{Party::client, verify_data, hash, &master, verify_data};
  EventFacts checked = facts_of::finished(suite, received, false);
  ASSERT_EQ(checked.transcript_hashes.size(), 1u);
  EXPECT_EQ(checked.transcript_hashes[0].first, "Hash(ClientHello..ClientKeyExchange)");
  EXPECT_EQ(checked.transcript_hashes[0].second, hash);
  ASSERT_EQ(checked.checks.size(), 1u);
  EXPECT_EQ(checked.checks[0].check, "Finished");
  EXPECT_TRUE(checked.checks[0].ok);
  EXPECT_TRUE(facts_of::finished(suite, sent, false).checks.empty());  // the sender checks nothing
}

}  // namespace
}  // namespace tlslab
