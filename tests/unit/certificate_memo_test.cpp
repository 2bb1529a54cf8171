// The memo of certificates met before (certificate_memo.hpp) and its use by
// verify_server_certificate: same bytes → same parsed object; facts hold only in their window,
// only for the host they were learned for, and only for objects the memo holds.
#include <gtest/gtest.h>

#include <openssl/x509.h>

#include <ctime>
#include <limits>
#include <string>
#include <vector>

#include "test_pki.hpp"
#include "test_support.hpp"
#include "tlslab/crypto/certificate_memo.hpp"
#include "tlslab/crypto/signature.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/handshake_rules.hpp"

namespace tlslab::crypto {
namespace {

using test::alert_of;
using test::test_pki;

constexpr std::time_t day = 24 * 60 * 60;

TEST(CertificateMemo, ParseGivesTheSameObjectForTheSameBytes) {
  CertificateMemo memo;
  Bytes der = certificate_der(test_pki().server_certificate.get());
  auto first = memo.parse(der);
  auto second = memo.parse(der);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first.value().get(), second.value().get());
  EXPECT_EQ(X509_cmp(first.value().get(), test_pki().server_certificate.get()), 0);
  auto other = memo.parse(certificate_der(test_pki().second_certificate.get()));
  ASSERT_TRUE(other);
  EXPECT_NE(other.value().get(), first.value().get());
}

TEST(CertificateMemo, ParseRejectsGarbageWithBadCertificateEveryTime) {
  CertificateMemo memo;
  Bytes garbage{0x30, 0x03, 0x02, 0x01, 0x00};
  for (int i = 0; i < 2; ++i) EXPECT_EQ(alert_of(memo.parse(garbage)), AlertDescription::bad_certificate);
}

TEST(CertificateMemo, KnowsAFactOnlyWithinItsWindowAndByItsName) {
  CertificateMemo memo;
  auto certificate = memo.parse(certificate_der(test_pki().server_certificate.get())).take();
  std::time_t now = std::time(nullptr);
  EXPECT_FALSE(memo.knows(certificate.get(), "checked", now));
  memo.learn(certificate.get(), "checked", now - day, now + day);
  EXPECT_TRUE(memo.knows(certificate.get(), "checked", now));
  EXPECT_FALSE(memo.knows(certificate.get(), "checked", now - 2 * day)) << "before the window";
  EXPECT_FALSE(memo.knows(certificate.get(), "checked", now + day)) << "the window's end is excluded";
  EXPECT_FALSE(memo.knows(certificate.get(), "checked for another host", now));
}

TEST(CertificateMemo, LearnsNothingAboutAnObjectItDoesNotHold) {
  CertificateMemo memo;
  X509* outsider = test_pki().server_certificate.get();  // same bytes, but not parsed by this memo
  memo.learn(outsider, "checked", 0, std::numeric_limits<std::time_t>::max());
  EXPECT_FALSE(memo.knows(outsider, "checked", std::time(nullptr)));
}

TEST(CertificateMemo, StaysWithinItsCapacity) {
  CertificateMemo memo(2);
  Bytes first_der = certificate_der(test_pki().server_certificate.get());
  auto first = memo.parse(first_der).take();
  memo.learn(first.get(), "checked", 0, std::numeric_limits<std::time_t>::max());
  (void)memo.parse(certificate_der(test_pki().second_certificate.get())).take();
  (void)memo.parse(certificate_der(test_pki().expired_certificate.get())).take();  // full: starts over
  EXPECT_FALSE(memo.knows(first.get(), "checked", std::time(nullptr))) << "forgotten with its entry";
  auto again = memo.parse(first_der).take();
  EXPECT_NE(again.get(), first.get()) << "parsed anew";
}

TEST(CertificateMemo, FindNeverParsesAndRememberKeepsOneObjectPerEncoding) {
  CertificateMemo memo;
  Bytes der = certificate_der(test_pki().server_certificate.get());
  EXPECT_EQ(memo.find(der), nullptr);
  EXPECT_EQ(memo.size(), 0u) << "find() remembered what it was asked about";
  auto parsed = parse_certificate_der(der).take();
  const auto kept = memo.remember(der, std::move(parsed));
  EXPECT_EQ(memo.find(der).get(), kept.get());
  EXPECT_EQ(memo.remember(der, parse_certificate_der(der).take()).get(), kept.get())
      << "a second object for the same bytes";
  EXPECT_EQ(memo.size(), 1u);
  EXPECT_EQ(memo.cost(), CertificateMemo::estimated_cost(der.size()));
}

TEST(CertificateMemo, StaysWithinItsCostBound) {
  Bytes first = certificate_der(test_pki().server_certificate.get());
  Bytes second = certificate_der(test_pki().second_certificate.get());
  std::size_t both = CertificateMemo::estimated_cost(first.size()) + CertificateMemo::estimated_cost(second.size());
  CertificateMemo memo(100, both - 1);  // room for one of the two
  ASSERT_TRUE(memo.parse(first));
  ASSERT_TRUE(memo.parse(second));
  EXPECT_EQ(memo.size(), 1u);
  EXPECT_LE(memo.cost(), both - 1);
  CertificateMemo tiny(100, CertificateMemo::estimated_cost(first.size()) - 1);  // not even one: parsed, not remembered
  EXPECT_TRUE(tiny.parse(first));
  EXPECT_EQ(tiny.size(), 0u);
}

class VerifyWithMemo : public ::testing::Test {
 protected:
  TrustStore trust_ = test::trust_store_with_test_ca();
};

TEST_F(VerifyWithMemo, RemembersASuccessForThatHostName) {
  auto certificate = trust_.memo().parse(certificate_der(test_pki().server_certificate.get())).take();
  std::string fact = "server certificate for " + test::server_dns_name;
  std::time_t now = std::time(nullptr);
  EXPECT_FALSE(trust_.memo().knows(certificate.get(), fact, now));
  ASSERT_TRUE(verify_server_certificate(trust_, certificate.get(), test::server_dns_name));
  EXPECT_TRUE(trust_.memo().knows(certificate.get(), fact, now));
}

TEST_F(VerifyWithMemo, StillRejectsAnotherHostNameAfterASuccess) {
  auto certificate = trust_.memo().parse(certificate_der(test_pki().server_certificate.get())).take();
  ASSERT_TRUE(verify_server_certificate(trust_, certificate.get(), test::server_dns_name));
  auto verified = verify_server_certificate(trust_, certificate.get(), "other.test");
  EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate);
}

TEST_F(VerifyWithMemo, StillRejectsTheCertificateAfterItsNotAfter) {
  auto certificate = trust_.memo().parse(certificate_der(test_pki().server_certificate.get())).take();
  ASSERT_TRUE(verify_server_certificate(trust_, certificate.get(), test::server_dns_name));
  std::time_t later = std::time(nullptr) + 20 * 365 * day;
  auto verified = verify_server_certificate(trust_, certificate.get(), test::server_dns_name, later);
  EXPECT_EQ(alert_of(verified), AlertDescription::certificate_expired);
}

TEST_F(VerifyWithMemo, RemembersNoFailure) {
  auto certificate = trust_.memo().parse(certificate_der(test_pki().other_ca_certificate.get())).take();
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(alert_of(verify_server_certificate(trust_, certificate.get(), test::server_dns_name)),
              AlertDescription::unknown_ca);
  }
}

// --- The server's memo of client certificates (check_client_authentication, PROTOCOL.md §7.7) ---------
// It remembered the parse before verifying: 70 self-signed client certificates of 13.5 KB took the
// server from 12.8 to 39.9 MB, and strangers pushed out the entries of verified clients.

// A client's certificate from `issuer` for `common_name`, with a key of its own.
struct ClientIdentity {
  ossl::PKey key;
  ossl::X509Ptr certificate;
  Bytes der;
};

ClientIdentity client_identity(const ca::CaMaterial& issuer, const std::string& common_name) {
  ClientIdentity client{ca::generate_key(ca::KeyType::ec_p256), nullptr, {}};
  client.certificate = ca::issue_certificate(
      issuer, client.key.get(), ca::IssueRequest{common_name, {}, ca::validity_from_now(1), ca::Role::client});
  client.der = certificate_der(client.certificate.get());
  return client;
}

// Arrow 5's authentication by `client`, its CertificateVerify signed over this (made-up) handshake.
ClientAuthentication signed_by(const ClientIdentity& client, ByteView handshake_so_far, ByteView signed_fields) {
  Bytes content = client_certificate_verify_content(HashAlgorithm::sha256, handshake_so_far, signed_fields);
  return {client.der, static_cast<std::uint16_t>(SignatureScheme::ecdsa_secp256r1_sha256),
          sign(client.key.get(), SignatureScheme::ecdsa_secp256r1_sha256, content)};
}

// A self-signed certificate of ~13.5 KB (560 RDNs), as anyone can make one.
Bytes costly_stranger(int serial) {
  const ca::CaMaterial& stranger = test_pki().other_ca;
  ossl::X509Ptr certificate(X509_new());
  X509_NAME* name = X509_get_subject_name(certificate.get());
  for (int i = 0; i < 560; ++i) {
    X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("x"), -1, -1, 0);
  }
  X509_set_issuer_name(certificate.get(), name);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 86400);
  X509_set_pubkey(certificate.get(), stranger.key.get());
  X509_sign(certificate.get(), stranger.key.get(), EVP_sha256());
  return certificate_der(certificate.get());
}

class ClientCertificateMemo : public ::testing::Test {
 protected:
  Result<ossl::X509Ptr> authenticate(const ClientAuthentication& authentication) {
    return check_client_authentication(authentication, signed_fields_, handshake_so_far_, HashAlgorithm::sha256, trust_,
                                       accepted_client_schemes());
  }

  TrustStore trust_ = test::trust_store_with_test_ca();
  Bytes handshake_so_far_ = Bytes(96, 0x11);  // stands for ClientHello ‖ ServerHello
  Bytes signed_fields_ = Bytes(40, 0x22);
};

TEST_F(ClientCertificateMemo, RemembersNoCertificateThatFailedVerification) {
  ClientIdentity stranger = client_identity(test_pki().other_ca, "mallory");
  EXPECT_EQ(alert_of(authenticate(signed_by(stranger, handshake_so_far_, signed_fields_))),
            AlertDescription::unknown_ca);
  Bytes costly = costly_stranger(1);
  ASSERT_GT(costly.size(), 13000u);
  ClientAuthentication self_signed{costly, static_cast<std::uint16_t>(SignatureScheme::ecdsa_secp256r1_sha256),
                                   Bytes(72, 0x33)};
  EXPECT_EQ(alert_of(authenticate(self_signed)), AlertDescription::unknown_ca);
  EXPECT_EQ(trust_.memo().size(), 0u) << "a certificate that failed verification was remembered";
}

TEST_F(ClientCertificateMemo, RemembersAVerifiedCertificateAndUsesItAgain) {
  ClientIdentity alice = client_identity(test_pki().ca, "alice");
  auto first = authenticate(signed_by(alice, handshake_so_far_, signed_fields_));
  ASSERT_TRUE(first.ok()) << first.failure().reason;
  EXPECT_EQ(trust_.memo().size(), 1u);
  auto second = authenticate(signed_by(alice, handshake_so_far_, signed_fields_));
  ASSERT_TRUE(second.ok()) << second.failure().reason;
  EXPECT_EQ(second.value().get(), trust_.memo().find(alice.der).get()) << "parsed again instead of remembered";
}

TEST_F(ClientCertificateMemo, ACertificateWhoseKeyDidNotSignIsNotRemembered) {
  ClientIdentity alice = client_identity(test_pki().ca, "alice");
  ClientAuthentication replayed = signed_by(alice, Bytes(96, 0x44), signed_fields_);  // another handshake's
  EXPECT_EQ(alert_of(authenticate(replayed)), AlertDescription::decrypt_error);
  EXPECT_EQ(trust_.memo().size(), 0u);
}

TEST_F(ClientCertificateMemo, StrangersPushOutNoVerifiedClient) {
  ClientIdentity alice = client_identity(test_pki().ca, "alice");
  ASSERT_TRUE(authenticate(signed_by(alice, handshake_so_far_, signed_fields_)).ok());
  for (int i = 0; i < 70; ++i) {
    ClientAuthentication self_signed{
        costly_stranger(100 + i), static_cast<std::uint16_t>(SignatureScheme::ecdsa_secp256r1_sha256), Bytes(72, 0x33)};
    EXPECT_FALSE(authenticate(self_signed).ok());
  }
  EXPECT_NE(trust_.memo().find(alice.der), nullptr) << "70 strangers pushed out a verified client";
  EXPECT_EQ(trust_.memo().size(), 1u);
}

TEST(CertificateMemo, BoundsByWhatAParsedCertificateCostsNotItsDer) {
  // 70 certificates of 13.5 KB are 945 KB of DER, under the old 1 MiB bound; parsed they took 27 MB.
  CertificateMemo memo;
  for (int i = 0; i < 70; ++i) {
    Bytes der = costly_stranger(200 + i);
    (void)memo.remember(der, parse_certificate_der(der).take());
  }
  EXPECT_LE(memo.cost(), std::size_t{8} << 20);
  EXPECT_LE(memo.size(), 20u) << "at most 8 MiB of estimated cost: 20 such certificates";
}

}  // namespace
}  // namespace tlslab::crypto
