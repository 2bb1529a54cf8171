// X.509 parsing and local verification against the trust store (PROTOCOL.md §5 steps 2–4).
#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_pki.hpp"
#include "test_support.hpp"
#include "tlslab/crypto/x509.hpp"

namespace tlslab::crypto {
namespace {

using test::alert_of;
using test::test_pki;

// The server certificate re-issued with its extended key usage replaced by `eku`, re-signed by
// the test CA. Returned through DER so that OpenSSL's cached extension flags are fresh.
ossl::X509Ptr with_extended_key_usage(X509* original, const char* eku) {
  ossl::X509Ptr copy(X509_dup(original));
  ossl::check(copy != nullptr, "X509_dup");
  int location = X509_get_ext_by_NID(copy.get(), NID_ext_key_usage, -1);
  ossl::check(location >= 0, "EKU present");
  ossl::X509Extension removed(X509_delete_ext(copy.get(), location));
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, test_pki().ca.certificate.get(), copy.get(), nullptr, nullptr, 0);
  ossl::X509Extension replacement(X509V3_EXT_conf_nid(nullptr, &ctx, NID_ext_key_usage, eku));
  ossl::check(replacement && X509_add_ext(copy.get(), replacement.get(), -1) == 1, "X509_add_ext");
  ossl::check(X509_sign(copy.get(), test_pki().ca.key.get(), EVP_sha256()) > 0, "X509_sign");
  return parse_certificate_der(certificate_der(copy.get())).take();
}

Bytes spki_in_certificate(X509* certificate) {
  X509_PUBKEY* spki = X509_get_X509_PUBKEY(certificate);
  int length = i2d_X509_PUBKEY(spki, nullptr);
  ossl::check(length > 0, "i2d_X509_PUBKEY");
  Bytes out(static_cast<std::size_t>(length));
  unsigned char* cursor = out.data();
  i2d_X509_PUBKEY(spki, &cursor);
  return out;
}

class VerifyServerCertificate : public ::testing::Test {
 protected:
  TrustStore trust_ = test::trust_store_with_test_ca();
};

TEST_F(VerifyServerCertificate, AcceptsDnsSubjectAltName) {
  for (const std::string& host : {test::server_dns_name, std::string("localhost")}) {
    auto verified = verify_server_certificate(trust_, test_pki().server_certificate.get(), host);
    EXPECT_TRUE(verified.ok()) << host << ": " << verified.failure().reason;
  }
}

TEST_F(VerifyServerCertificate, AcceptsIpSubjectAltName) {
  auto verified = verify_server_certificate(trust_, test_pki().server_certificate.get(), test::server_ip);
  EXPECT_TRUE(verified.ok()) << verified.failure().reason;
}

TEST_F(VerifyServerCertificate, RejectsWrongHostNameWithBadCertificate) {
  for (const char* host : {"other.test", "www.server.test", "test", "server.test.evil", "SERVER.TEST.x"}) {
    auto verified = verify_server_certificate(trust_, test_pki().server_certificate.get(), host);
    EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate) << host;
  }
}

// PROTOCOL.md §5 step 4: the subjectAltName decides, never the subject's CN. OpenSSL looks at
// the CN when the certificate holds no DNS name unless told not to.
TEST_F(VerifyServerCertificate, NeverFallsBackToTheCommonName) {
  ossl::X509Ptr certificate =
      ca::issue_certificate(test_pki().ca, test_pki().server_key.get(),
                            ca::IssueRequest{"victim.example", {"IP:10.9.9.9"}, ca::validity_from_now(30)});
  EXPECT_EQ(alert_of(verify_server_certificate(trust_, certificate.get(), "victim.example")),
            AlertDescription::bad_certificate);
  auto by_address = verify_server_certificate(trust_, certificate.get(), "10.9.9.9");
  EXPECT_TRUE(by_address.ok()) << by_address.failure().reason;
}

TEST_F(VerifyServerCertificate, RejectsWrongIpAddressWithBadCertificate) {
  for (const char* host : {"127.0.0.2", "::1", "10.0.0.1"}) {
    auto verified = verify_server_certificate(trust_, test_pki().server_certificate.get(), host);
    EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate) << host;
  }
}

TEST_F(VerifyServerCertificate, RejectsExpiredCertificateWithCertificateExpired) {
  auto verified = verify_server_certificate(trust_, test_pki().expired_certificate.get(), test::server_dns_name);
  EXPECT_EQ(alert_of(verified), AlertDescription::certificate_expired);
}

TEST_F(VerifyServerCertificate, AcceptsExpiredCertificateAtATimeWithinItsValidity) {
  // Proves the rejection above is about time alone.
  std::time_t inside = std::time(nullptr) - 10 * test::one_day;
  auto verified =
      verify_server_certificate(trust_, test_pki().expired_certificate.get(), test::server_dns_name, inside);
  EXPECT_TRUE(verified.ok()) << verified.failure().reason;
}

TEST_F(VerifyServerCertificate, RejectsNotYetValidCertificateWithCertificateExpired) {
  auto verified = verify_server_certificate(trust_, test_pki().not_yet_valid_certificate.get(), test::server_dns_name);
  EXPECT_EQ(alert_of(verified), AlertDescription::certificate_expired);
}

TEST_F(VerifyServerCertificate, RejectsGoodCertificateAtATimeAfterNotAfterWithCertificateExpired) {
  std::time_t later = std::time(nullptr) + 400 * test::one_day;
  auto verified = verify_server_certificate(trust_, test_pki().server_certificate.get(), test::server_dns_name, later);
  EXPECT_EQ(alert_of(verified), AlertDescription::certificate_expired);
}

TEST_F(VerifyServerCertificate, RejectsCertificateFromAnotherCaWithUnknownCa) {
  auto verified = verify_server_certificate(trust_, test_pki().other_ca_certificate.get(), test::server_dns_name);
  EXPECT_EQ(alert_of(verified), AlertDescription::unknown_ca);
}

TEST_F(VerifyServerCertificate, AcceptsCertificateFromAnotherCaOnceThatCaIsTrusted) {
  std::vector<ossl::X509Ptr> anchors;
  anchors.push_back(test::share(test_pki().ca.certificate.get()));
  anchors.push_back(test::share(test_pki().other_ca.certificate.get()));
  TrustStore both(std::move(anchors));
  auto verified = verify_server_certificate(both, test_pki().other_ca_certificate.get(), test::server_dns_name);
  EXPECT_TRUE(verified.ok()) << verified.failure().reason;
}

TEST_F(VerifyServerCertificate, RejectsCertificateWithoutServerAuthWithBadCertificate) {
  auto client_only = with_extended_key_usage(test_pki().server_certificate.get(), "clientAuth");
  auto verified = verify_server_certificate(trust_, client_only.get(), test::server_dns_name);
  EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate);

  // Sanity: the same surgery keeping serverAuth still verifies.
  auto server_auth = with_extended_key_usage(test_pki().server_certificate.get(), "serverAuth");
  auto control = verify_server_certificate(trust_, server_auth.get(), test::server_dns_name);
  EXPECT_TRUE(control.ok()) << control.failure().reason;
}

TEST_F(VerifyServerCertificate, RejectsBadSignatureWithBadCertificate) {
  Bytes der = certificate_der(test_pki().server_certificate.get());
  der.back() ^= 0x01;  // the signature BIT STRING is the last field of a Certificate
  auto tampered = parse_certificate_der(der);
  ASSERT_TRUE(tampered.ok()) << tampered.failure().reason;
  auto verified = verify_server_certificate(trust_, tampered.value().get(), test::server_dns_name);
  EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate);
}

// --- parsing --------------------------------------------------------------------------------

TEST(ParseCertificateDer, RoundTripsTheServerCertificate) {
  X509* original = test_pki().server_certificate.get();
  Bytes der = certificate_der(original);
  auto parsed = parse_certificate_der(der);
  ASSERT_TRUE(parsed.ok()) << parsed.failure().reason;
  EXPECT_EQ(X509_cmp(parsed.value().get(), original), 0);
  EXPECT_EQ(certificate_der(parsed.value().get()), der);
}

TEST(ParseCertificateDer, RejectsGarbageWithBadCertificate) {
  const Bytes garbage{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  EXPECT_EQ(alert_of(parse_certificate_der(garbage)), AlertDescription::bad_certificate);
  EXPECT_EQ(alert_of(parse_certificate_der(ByteView{})), AlertDescription::bad_certificate);
  const Bytes empty_sequence{0x30, 0x00};
  EXPECT_EQ(alert_of(parse_certificate_der(empty_sequence)), AlertDescription::bad_certificate);
}

TEST(ParseCertificateDer, RejectsTrailingByteWithBadCertificate) {
  Bytes der = certificate_der(test_pki().server_certificate.get());
  der.push_back(0x00);
  EXPECT_EQ(alert_of(parse_certificate_der(der)), AlertDescription::bad_certificate);
}

TEST(ParseCertificateDer, RejectsTruncatedCertificateWithBadCertificate) {
  Bytes der = certificate_der(test_pki().server_certificate.get());
  der.pop_back();
  EXPECT_EQ(alert_of(parse_certificate_der(der)), AlertDescription::bad_certificate);
}

TEST(PublicKeyDer, EqualsTheCertificatesSubjectPublicKeyInfo) {
  X509* certificate = test_pki().server_certificate.get();
  Bytes from_key = public_key_der(test_pki().server_key.get());
  EXPECT_EQ(from_key, public_key_der(X509_get0_pubkey(certificate)));
  EXPECT_EQ(from_key, spki_in_certificate(certificate)) << "byte-for-byte, as §5 step 3 compares";
  EXPECT_NE(from_key, public_key_der(test_pki().ca.key.get()));
}

TEST(PublicKeyDer, RoundTripsThroughParsePublicKeyDer) {
  Bytes spki = public_key_der(test_pki().server_key.get());
  auto parsed = parse_public_key_der(spki);
  ASSERT_TRUE(parsed.ok()) << parsed.failure().reason;
  EXPECT_EQ(EVP_PKEY_eq(parsed.value().get(), test_pki().server_key.get()), 1);
  EXPECT_EQ(rsa_bits(parsed.value().get()), 2048);
}

TEST(PublicKeyDer, RejectsGarbageAndTrailingBytesWithBadCertificate) {
  const Bytes garbage{0x30, 0x03, 0x02, 0x01, 0x00};
  EXPECT_EQ(alert_of(parse_public_key_der(garbage)), AlertDescription::bad_certificate);
  Bytes trailing = public_key_der(test_pki().server_key.get());
  trailing.push_back(0x00);
  EXPECT_EQ(alert_of(parse_public_key_der(trailing)), AlertDescription::bad_certificate);
}

TEST(RsaBits, IsZeroForANonRsaKey) {
  EXPECT_EQ(rsa_bits(test_pki().server_key.get()), 2048);
  EXPECT_EQ(rsa_bits(test_pki().other_ca.key.get()), 0);  // EC P-256
}

// --- certificate fields ----------------------------------------------------------------------

TEST(CertificateFields, DescribeTheServerCertificate) {
  X509* certificate = test_pki().server_certificate.get();
  EXPECT_NE(subject_of(certificate).find("CN=server.test"), std::string::npos) << subject_of(certificate);
  EXPECT_NE(issuer_of(certificate).find("CN=tlslab test CA"), std::string::npos) << issuer_of(certificate);
  std::string serial = serial_hex(certificate);
  EXPECT_EQ(serial.size(), 32u) << serial;  // 128-bit serial with its top byte in 0x01..0x7F
  EXPECT_EQ(serial.find_first_not_of("0123456789abcdef"), std::string::npos) << serial;
  EXPECT_EQ(fingerprint_sha256(certificate).size(), 64u);
  EXPECT_NE(serial_hex(certificate), serial_hex(test_pki().second_certificate.get()));
}

// --- TrustStore -----------------------------------------------------------------------------

TEST(TrustStore, IssuerOfFindsTheAnchorThatSignedTheCertificate) {
  TrustStore trust = test::trust_store_with_test_ca();
  EXPECT_EQ(trust.issuer_of(test_pki().server_certificate.get()), test_pki().ca.certificate.get());
  EXPECT_EQ(trust.issuer_of(test_pki().expired_certificate.get()), test_pki().ca.certificate.get());
}

TEST(TrustStore, IssuerOfIsNullForACertificateFromAnotherCa) {
  TrustStore trust = test::trust_store_with_test_ca();
  EXPECT_EQ(trust.issuer_of(test_pki().other_ca_certificate.get()), nullptr);
}

TEST(TrustStore, IssuerOfPicksTheRightAnchorAmongSeveral) {
  std::vector<ossl::X509Ptr> anchors;
  anchors.push_back(test::share(test_pki().other_ca.certificate.get()));
  anchors.push_back(test::share(test_pki().ca.certificate.get()));
  TrustStore trust(std::move(anchors));
  EXPECT_EQ(trust.issuer_of(test_pki().server_certificate.get()), test_pki().ca.certificate.get());
  EXPECT_EQ(trust.issuer_of(test_pki().other_ca_certificate.get()), test_pki().other_ca.certificate.get());
}

TEST(TrustStore, LoadsAnchorsFromAPemFile) {
  test::TempDir directory;
  std::string path = directory.file("ca.pem");
  ca::write_certificate_pem(path, test_pki().ca.certificate.get());
  TrustStore trust = TrustStore::from_pem_file(path);
  auto verified = verify_server_certificate(trust, test_pki().server_certificate.get(), test::server_dns_name);
  EXPECT_TRUE(verified.ok()) << verified.failure().reason;
}

TEST(TrustStore, RejectsMissingPemFileNamingThePath) {
  test::TempDir directory;
  std::string path = directory.file("missing.pem");
  try {
    (void)TrustStore::from_pem_file(path);
    FAIL() << "a missing trust file must throw";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
  }
}

TEST(TrustStore, RejectsFileWithoutPemCertificate) {
  test::TempDir directory;
  std::string path = directory.file("key.pem");
  ca::write_private_key_pem(path, test_pki().other_ca.key.get());
  EXPECT_THROW((void)TrustStore::from_pem_file(path), std::runtime_error);
}

}  // namespace
}  // namespace tlslab::crypto
