// The handshake's decisions as pure functions (handshake_rules.hpp), each without a socket.
#include <gtest/gtest.h>

#include <algorithm>

#include "test_pki.hpp"
#include "test_support.hpp"
#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/rsa_oaep.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/handshake_rules.hpp"

namespace tlslab {
namespace {

using test::alert_of;
using test::test_pki;

constexpr auto aes128 = CipherSuite::rsa_oaep_aes_128_gcm_sha256;
constexpr auto aes256 = CipherSuite::rsa_oaep_aes_256_gcm_sha384;
constexpr auto chacha = CipherSuite::rsa_oaep_chacha20_poly1305_sha256;

std::uint16_t value(CipherSuite suite) {
  return static_cast<std::uint16_t>(suite);
}

TEST(ChooseSuite, TheServersPreferenceWinsAmongTheOffer) {
  std::vector<std::uint16_t> offered{value(aes128), value(chacha), value(aes256)};
  std::vector<CipherSuite> accepted{aes256, aes128};
  auto chosen = choose_suite(offered, accepted);
  ASSERT_TRUE(chosen) << chosen.failure().reason;
  EXPECT_EQ(chosen->suite, aes256);
}

TEST(ChooseSuite, UnknownOfferedValuesAreIgnored) {
  std::vector<std::uint16_t> offered{0x1301, 0xFFFF, value(chacha)};
  auto chosen = choose_suite(offered, default_suites());
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->suite, chacha);
}

TEST(ChooseSuite, NoneInCommonIsAHandshakeFailureNamingBothLists) {
  std::vector<std::uint16_t> offered{value(aes128)};
  std::vector<CipherSuite> accepted{aes256};
  auto chosen = choose_suite(offered, accepted);
  EXPECT_EQ(alert_of(chosen), AlertDescription::handshake_failure);
  EXPECT_NE(chosen.failure().reason.find("AES_128"), std::string::npos);
  EXPECT_NE(chosen.failure().reason.find("AES_256"), std::string::npos);
}

TEST(NegotiateVersion, SpeaksOneZeroToOneZeroAndNewer) {
  EXPECT_EQ(negotiate_version(ProtocolVersion::tlslab_1_0).value(), ProtocolVersion::tlslab_1_0);
  EXPECT_EQ(negotiate_version(static_cast<ProtocolVersion>(0x0101)).value(), ProtocolVersion::tlslab_1_0);
  EXPECT_EQ(alert_of(negotiate_version(static_cast<ProtocolVersion>(0x00FF))), AlertDescription::protocol_version);
}

TEST(PreMaster, Is48BytesStartingWithTheClientVersion) {
  Secret pre_master = make_pre_master(ProtocolVersion::tlslab_1_0);
  ASSERT_EQ(pre_master.size(), 48u);
  EXPECT_EQ(pre_master.data()[0], 0x01);
  EXPECT_EQ(pre_master.data()[1], 0x00);
  Secret other = make_pre_master(ProtocolVersion::tlslab_1_0);
  EXPECT_FALSE(constant_time_equal(pre_master.view(), other.view())) << "46 random bytes each time";
}

class RecoverPreMaster : public ::testing::Test {
 protected:
  crypto::OaepDecryptor decryptor{test_pki().server_key.get()};
};

TEST_F(RecoverPreMaster, GivesBackWhatTheClientEncrypted) {
  Secret sent = make_pre_master(ProtocolVersion::tlslab_1_0);
  Bytes encrypted = crypto::rsa_oaep_encrypt(test_pki().server_key.get(), sent.view());
  Secret recovered = recover_pre_master(decryptor, encrypted, ProtocolVersion::tlslab_1_0);
  EXPECT_TRUE(constant_time_equal(recovered.view(), sent.view()));
}

// RFC 5246 §7.4.7.1: every failure gives 48 random bytes, never an error the peer could observe.
// Each bad input is compared with the 48 bytes it would give if it were accepted (what was
// encrypted, or what a flipped ciphertext was made from): a check that is skipped shows.
TEST_F(RecoverPreMaster, AnyFailureGivesARandomPreMasterOfTheSameSize) {
  auto encrypt = [](ByteView plaintext) { return crypto::rsa_oaep_encrypt(test_pki().server_key.get(), plaintext); };
  Secret sent = make_pre_master(ProtocolVersion::tlslab_1_0);
  Bytes flipped = encrypt(sent.view());
  flipped[10] ^= 0x01;
  // The client's own PRE-MASTER with another client_version in its first two bytes: a rollback.
  Bytes rolled_back(sent.view().begin(), sent.view().end());
  rolled_back[0] = 0x03;
  rolled_back[1] = 0x03;
  Bytes other_minor(sent.view().begin(), sent.view().end());
  other_minor[1] ^= 0x01;
  Bytes too_short(sent.view().begin(), sent.view().end() - 1);
  Bytes too_long(sent.view().begin(), sent.view().end());
  too_long.push_back(0x00);
  struct Case {
    const char* name;
    Bytes encrypted;
    Bytes would_be;  // what an implementation without the check would use
  };
  Bytes sent_bytes(sent.view().begin(), sent.view().end());
  std::vector<Case> cases = {
      {"flipped ciphertext", flipped, sent_bytes},
      {"client_version rolled back to 0x0303", encrypt(rolled_back), rolled_back},
      {"client_version minor byte changed", encrypt(other_minor), other_minor},
      {"47 bytes", encrypt(too_short), too_short},
      {"49 bytes", encrypt(too_long), too_long},
      {"10 zero bytes", Bytes(10, 0), {}},
      {"256 zero bytes", Bytes(256, 0), {}},
  };
  const Bytes zeros(48, 0);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Secret first = recover_pre_master(decryptor, c.encrypted, ProtocolVersion::tlslab_1_0);
    Secret second = recover_pre_master(decryptor, c.encrypted, ProtocolVersion::tlslab_1_0);
    ASSERT_EQ(first.size(), 48u);
    EXPECT_FALSE(constant_time_equal(first.view(), sent.view())) << "the client's PRE-MASTER came back";
    if (c.would_be.size() == 48) {
      EXPECT_FALSE(constant_time_equal(first.view(), c.would_be)) << "the bad plaintext itself was used";
    }
    EXPECT_FALSE(constant_time_equal(first.view(), zeros)) << "the replacement is all zeros";
    EXPECT_FALSE(constant_time_equal(first.view(), second.view())) << "the replacement is not fresh randomness";
  }
}

class CheckServerHello : public ::testing::Test {
 protected:
  void SetUp() override {
    offered.cipher_suites = {value(aes128), value(chacha)};
    offered.set_server_name("localhost");
    hello.cipher_suite = value(chacha);
    hello.certificate = crypto::certificate_der(test_pki().server_certificate.get());
    hello.server_public_key = crypto::certificate_public_key_der(test_pki().server_certificate.get());
  }
  X509* certificate() const { return test_pki().server_certificate.get(); }
  ClientHello offered;
  ServerHello hello;
};

TEST_F(CheckServerHello, AcceptsAnOfferedSuiteAndTheCertificatesKey) {
  auto suite = check_server_hello(offered, hello, certificate());
  ASSERT_TRUE(suite) << suite.failure().reason;
  EXPECT_EQ(suite->suite, chacha);
}

TEST_F(CheckServerHello, RejectsASuiteNotOfferedWithIllegalParameter) {
  hello.cipher_suite = value(aes256);
  EXPECT_EQ(alert_of(check_server_hello(offered, hello, certificate())), AlertDescription::illegal_parameter);
}

TEST_F(CheckServerHello, RejectsAnotherVersionWithProtocolVersion) {
  hello.server_version = static_cast<ProtocolVersion>(0x0101);
  EXPECT_EQ(alert_of(check_server_hello(offered, hello, certificate())), AlertDescription::protocol_version);
}

TEST_F(CheckServerHello, RejectsAnExtensionNotOfferedWithUnsupportedExtension) {
  hello.extensions.push_back(Extension{51, Bytes{1}});
  EXPECT_EQ(alert_of(check_server_hello(offered, hello, certificate())), AlertDescription::unsupported_extension);
}

TEST_F(CheckServerHello, RejectsAPublicKeyThatIsNotTheCertificatesWithBadCertificate) {
  hello.server_public_key = crypto::certificate_public_key_der(test_pki().other_ca.certificate.get());
  EXPECT_EQ(alert_of(check_server_hello(offered, hello, certificate())), AlertDescription::bad_certificate);
}

TEST_F(CheckServerHello, RejectsANonRsaCertificateWithBadCertificate) {
  X509* ec = test_pki().other_ca.certificate.get();  // an EC P-256 key: it cannot transport the PRE-MASTER
  hello.server_public_key = crypto::certificate_public_key_der(ec);
  EXPECT_EQ(alert_of(check_server_hello(offered, hello, ec)), AlertDescription::bad_certificate);
}

TEST(SessionKeys, BothSidesDeriveTheSameKeysFromTheSameInputs) {
  auto suite = *suite_info(aes128);
  Random client_random{}, server_random{};
  client_random.fill(1);
  server_random.fill(2);
  Secret pre_master = make_pre_master(ProtocolVersion::tlslab_1_0);
  Secret copy(pre_master.view());
  SessionKeys client = derive_session_keys(suite, std::move(pre_master), client_random, server_random);
  SessionKeys server = derive_session_keys(suite, std::move(copy), client_random, server_random);
  EXPECT_TRUE(constant_time_equal(client.master_secret.view(), server.master_secret.view()));
  EXPECT_EQ(client.master_secret.size(), 48u);
  EXPECT_TRUE(constant_time_equal(client.keys.client_write.key.view(), server.keys.client_write.key.view()));
  EXPECT_EQ(client.keys.client_write.key.size(), suite.key_length);
  EXPECT_FALSE(constant_time_equal(client.keys.client_write.key.view(), client.keys.server_write.key.view()));
}

TEST(SessionKeys, AnotherRandomGivesAnotherMasterSecret) {
  auto suite = *suite_info(aes128);
  Random client_random{}, server_random{}, other{};
  other.fill(9);
  Secret pre_master = make_pre_master(ProtocolVersion::tlslab_1_0);
  Secret copy(pre_master.view());
  SessionKeys a = derive_session_keys(suite, std::move(pre_master), client_random, server_random);
  SessionKeys b = derive_session_keys(suite, std::move(copy), other, server_random);
  EXPECT_FALSE(constant_time_equal(a.master_secret.view(), b.master_secret.view()));
}

TEST(CheckFinished, AcceptsTheExpectedVerifyDataOnly) {
  Finished finished;
  finished.verify_data.fill(7);
  std::array<std::uint8_t, verify_data_size> expected{};
  expected.fill(7);
  EXPECT_TRUE(check_finished(finished, expected, Party::client).ok());
  expected[11] ^= 1;
  auto checked = check_finished(finished, expected, Party::client);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.failure().alert, AlertDescription::decrypt_error);
  EXPECT_NE(checked.failure().reason.find("client Finished"), std::string::npos);
}

TEST(RequireGood, MapsTheCasOwnAnswersToAlerts) {
  crypto::VerifiedStatus status;
  X509* certificate = test_pki().server_certificate.get();
  status.answer.status = crypto::CertStatus::good;
  EXPECT_TRUE(require_good(status, certificate).ok());
  status.answer.status = crypto::CertStatus::revoked;
  status.answer.revocation_reason = 1;  // keyCompromise
  auto revoked = require_good(status, certificate);
  ASSERT_FALSE(revoked.ok());
  EXPECT_EQ(revoked.failure().alert, AlertDescription::certificate_revoked);
  EXPECT_NE(revoked.failure().reason.find("keyCompromise"), std::string::npos);
  EXPECT_NE(revoked.failure().reason.find(crypto::serial_hex(certificate)), std::string::npos);
  status.answer.status = crypto::CertStatus::unknown;
  auto unknown = require_good(status, certificate);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.failure().alert, AlertDescription::certificate_unknown);
}

}  // namespace
}  // namespace tlslab

namespace tlslab {
namespace {

// §7.7: whether a server asks for the client's certificate.
TEST(AskForCertificate, FollowsThePolicyAndTheClientsOffer) {
  ClientHello anonymous, offering;
  offering.offer_certificate();
  EXPECT_FALSE(ask_for_certificate(ClientAuth::none, offering).value());
  EXPECT_FALSE(ask_for_certificate(ClientAuth::optional, anonymous).value());
  EXPECT_TRUE(ask_for_certificate(ClientAuth::optional, offering).value());
  EXPECT_TRUE(ask_for_certificate(ClientAuth::require, offering).value());
  EXPECT_EQ(test::alert_of(ask_for_certificate(ClientAuth::require, anonymous)),
            AlertDescription::certificate_required);
}

TEST(ClientSignatureScheme, MustBeOneTheServerListed) {
  EVP_PKEY* rsa = test::test_pki().server_key.get();
  std::vector<std::uint16_t> both = accepted_client_schemes();
  EXPECT_EQ(client_signature_scheme(both, rsa).value(), crypto::SignatureScheme::rsa_pss_rsae_sha256);
  std::vector<std::uint16_t> ecdsa_only = {static_cast<std::uint16_t>(crypto::SignatureScheme::ecdsa_secp256r1_sha256)};
  EXPECT_EQ(test::alert_of(client_signature_scheme(ecdsa_only, rsa)), AlertDescription::handshake_failure);
}

// §9.1: must-staple refuses without a usable staple; the other policies fall back.
TEST(RequireStaple, OnlyStapledRefusesWithoutAUsableStaple) {
  StapleVerdict none;
  none.unusable = "the ServerHello carries no staple";
  EXPECT_EQ(test::alert_of(require_staple(CaCheck::stapled, none)), AlertDescription::bad_certificate_status_response);
  EXPECT_TRUE(require_staple(CaCheck::automatic, none).ok());
  EXPECT_TRUE(require_staple(CaCheck::direct, none).ok());
  EXPECT_EQ(ca_check_from("auto"), CaCheck::automatic);
  EXPECT_EQ(ca_check_from("stapled"), CaCheck::stapled);
  EXPECT_FALSE(ca_check_from("never").has_value());
}

// §7.7: the CertificateVerify's content covers the handshake so far and the fields before it.
TEST(CertificateVerifyContent, ChangesWithEitherRandom) {
  Bytes handshake(100, 0x11), fields(40, 0x22);
  Bytes content = client_certificate_verify_content(HashAlgorithm::sha256, handshake, fields);
  ASSERT_EQ(content.size(), 64 + certificate_verify_context.size() + 1 + 32);
  EXPECT_TRUE(std::all_of(content.begin(), content.begin() + 64, [](std::uint8_t b) { return b == 0x20; }));
  Bytes other_handshake = handshake;
  other_handshake[10] ^= 1;  // another RAND-CLIENT, say
  EXPECT_NE(content, client_certificate_verify_content(HashAlgorithm::sha256, other_handshake, fields));
}

}  // namespace
}  // namespace tlslab
