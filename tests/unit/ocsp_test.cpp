// The CA's signed answer (PROTOCOL.md §9): built by build_ocsp_response, checked by
// verify_ocsp_response. Every defect of steps 2–6 is bad_certificate_status_response.
#include <gtest/gtest.h>
#include <openssl/ocsp.h>

#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "test_pki.hpp"
#include "test_support.hpp"
#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/crypto/random.hpp"

namespace tlslab::crypto {
namespace {

using test::alert_of;
using test::test_pki;

constexpr std::chrono::seconds one_hour{3600};
constexpr std::time_t minutes = 60;

ResponderIdentity responder_of(const ca::CaMaterial& authority) {
  return ResponderIdentity{authority.certificate.get(), authority.key.get()};
}

ASN1_INTEGER* serial_of(X509* certificate) {
  return X509_get_serialNumber(certificate);
}

Bytes ocsp_response_der(OCSP_RESPONSE* response) {
  int length = i2d_OCSP_RESPONSE(response, nullptr);
  ossl::check(length > 0, "i2d_OCSP_RESPONSE");
  Bytes out(static_cast<std::size_t>(length));
  unsigned char* cursor = out.data();
  i2d_OCSP_RESPONSE(response, &cursor);
  return out;
}

// Flips one bit in the last byte of the BasicOCSPResponse's signature and re-encodes the response.
Bytes with_flipped_signature_byte(const Bytes& der) {
  const unsigned char* cursor = der.data();
  ossl::OcspResponse response(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
  ossl::check(response != nullptr, "d2i_OCSP_RESPONSE");
  ossl::OcspBasicResponse basic(OCSP_response_get1_basic(response.get()));
  ossl::check(basic != nullptr, "OCSP_response_get1_basic");
  // The signature belongs to `basic`, which this function owns: writing through it is safe.
  auto* signature = const_cast<ASN1_OCTET_STRING*>(OCSP_resp_get0_signature(basic.get()));
  int length = ASN1_STRING_length(signature);
  ossl::check(length > 0, "signature present");
  auto* signature_bytes = const_cast<unsigned char*>(ASN1_STRING_get0_data(signature));
  signature_bytes[length - 1] ^= 0x01;
  ossl::OcspResponse rebuilt(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  ossl::check(rebuilt != nullptr, "OCSP_response_create");
  return ocsp_response_der(rebuilt.get());
}

std::size_t differing_bytes(const Bytes& a, const Bytes& b) {
  std::size_t count = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) count += a[i] != b[i] ? 1 : 0;
  return count;
}

class OcspTest : public ::testing::Test {
 protected:
  // A response about the server certificate, signed by the test CA, carrying `nonce_` unless told.
  struct Build {
    StatusAnswer answer{CertStatus::good, 0, -1};
    const ca::CaMaterial* responder = &test_pki().ca;
    X509* about = test_pki().server_certificate.get();
    bool with_nonce = true;
    std::chrono::seconds validity = one_hour;
    std::time_t produced_at = 0;  // 0: now_
  };

  Bytes build(const Build& options) const {
    std::optional<ByteView> nonce;
    if (options.with_nonce) nonce = ByteView(nonce_);
    return build_ocsp_response(responder_of(*options.responder), serial_of(options.about), options.answer, nonce,
                               options.validity, options.produced_at != 0 ? options.produced_at : now_);
  }

  Result<VerifiedStatus> verify(const Bytes& der) const {
    return verify_ocsp_response(der, trust_, test_pki().server_certificate.get(), nonce_, now_);
  }

  TrustStore trust_ = test::trust_store_with_test_ca();
  Bytes nonce_ = random_bytes(32);
  std::time_t now_ = std::time(nullptr);
};

TEST_F(OcspTest, AcceptsGoodAnswer) {
  auto verified = verify(build({}));
  ASSERT_TRUE(verified.ok()) << verified.failure().reason;
  EXPECT_EQ(verified->answer.status, CertStatus::good);
  EXPECT_EQ(verified->this_update, now_);
  EXPECT_EQ(verified->next_update, now_ + one_hour.count());
  EXPECT_NE(verified->signer.find("tlslab test CA"), std::string::npos) << verified->signer;
}

TEST_F(OcspTest, AcceptsRevokedAnswerWithReasonAndTime) {
  std::time_t revoked_at = now_ - 3 * test::one_day;
  int key_compromise = revocation_reason_from("keyCompromise").value();
  auto verified = verify(build({.answer = {CertStatus::revoked, revoked_at, key_compromise}}));
  ASSERT_TRUE(verified.ok()) << verified.failure().reason;
  EXPECT_EQ(verified->answer.status, CertStatus::revoked);
  EXPECT_EQ(verified->answer.revocation_reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
  EXPECT_EQ(verified->answer.revocation_time, revoked_at);
  EXPECT_EQ(revocation_reason_name(verified->answer.revocation_reason), "keyCompromise");
}

TEST_F(OcspTest, AcceptsUnknownAnswer) {
  auto verified = verify(build({.answer = {CertStatus::unknown, 0, -1}}));
  ASSERT_TRUE(verified.ok()) << verified.failure().reason;
  EXPECT_EQ(verified->answer.status, CertStatus::unknown);
}

TEST_F(OcspTest, RejectsAnswerSignedByAnotherCaWithBadCertificateStatusResponse) {
  auto verified = verify(build({.responder = &test_pki().other_ca}));
  EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate_status_response);
}

// Even a CA the client trusts may not answer for a certificate it did not issue (§9 step 3).
TEST_F(OcspTest, RejectsAnswerSignedByAnotherTrustedCaWithBadCertificateStatusResponse) {
  std::vector<ossl::X509Ptr> anchors;
  anchors.push_back(test::share(test_pki().ca.certificate.get()));
  anchors.push_back(test::share(test_pki().other_ca.certificate.get()));
  TrustStore both(std::move(anchors));
  Bytes der = build({.responder = &test_pki().other_ca});
  auto verified = verify_ocsp_response(der, both, test_pki().server_certificate.get(), nonce_, now_);
  EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate_status_response);
}

TEST_F(OcspTest, RejectsChangedNonceWithBadCertificateStatusResponse) {
  Bytes der = build({});
  Bytes other_nonce = nonce_;
  other_nonce.back() ^= 0x01;
  auto verified = verify_ocsp_response(der, trust_, test_pki().server_certificate.get(), other_nonce, now_);
  EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate_status_response);
  ASSERT_FALSE(verified.ok());
  EXPECT_NE(verified.failure().reason.find("nonce"), std::string::npos) << verified.failure().reason;
}

TEST_F(OcspTest, RejectsAnswerWithoutNonceWithBadCertificateStatusResponse) {
  auto verified = verify(build({.with_nonce = false}));
  EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate_status_response);
  ASSERT_FALSE(verified.ok());
  EXPECT_NE(verified.failure().reason.find("no nonce"), std::string::npos)
      << "the reason must say the nonce is missing, not that it differs: " << verified.failure().reason;
}

TEST_F(OcspTest, RejectsFlippedSignatureByteWithBadCertificateStatusResponse) {
  Bytes der = build({});
  Bytes tampered = with_flipped_signature_byte(der);
  ASSERT_EQ(tampered.size(), der.size());
  ASSERT_EQ(differing_bytes(der, tampered), 1u) << "only the signature changed";
  auto verified = verify(tampered);
  EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate_status_response);
}

TEST_F(OcspTest, RejectsStaleAnswerWithBadCertificateStatusResponse) {
  // Produced two hours ago, valid for one: nextUpdate passed an hour ago.
  auto verified = verify(build({.produced_at = now_ - 2 * 60 * minutes}));
  EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate_status_response);
}

TEST_F(OcspTest, AcceptsNextUpdateWithinTheClockSkew) {
  // nextUpdate 4 minutes ago: within the 5 minutes of §9 step 6.
  auto verified = verify(build({.produced_at = now_ - 64 * minutes}));
  EXPECT_TRUE(verified.ok()) << verified.failure().reason;
}

TEST_F(OcspTest, RejectsThisUpdateInTheFutureWithBadCertificateStatusResponse) {
  auto verified = verify(build({.produced_at = now_ + 60 * minutes}));
  EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate_status_response);
}

TEST_F(OcspTest, RejectsThisUpdateJustBeyondTheClockSkew) {
  EXPECT_EQ(alert_of(verify(build({.produced_at = now_ + 6 * minutes}))),
            AlertDescription::bad_certificate_status_response);
  EXPECT_TRUE(verify(build({.produced_at = now_ + 4 * minutes})).ok()) << "4 minutes ahead is within the skew";
}

TEST_F(OcspTest, RejectsAnswerAboutAnotherCertificateWithBadCertificateStatusResponse) {
  auto verified = verify(build({.about = test_pki().second_certificate.get()}));
  EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate_status_response);
  ASSERT_FALSE(verified.ok());
  EXPECT_NE(verified.failure().reason.find("another certificate"), std::string::npos) << verified.failure().reason;
}

TEST_F(OcspTest, RejectsMalformedRequestErrorResponseWithBadCertificateStatusResponse) {
  auto verified = verify(build_ocsp_error(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST));
  EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate_status_response);
}

TEST_F(OcspTest, RejectsOtherErrorResponsesWithBadCertificateStatusResponse) {
  for (int status : {OCSP_RESPONSE_STATUS_INTERNALERROR, OCSP_RESPONSE_STATUS_TRYLATER,
                     OCSP_RESPONSE_STATUS_SIGREQUIRED, OCSP_RESPONSE_STATUS_UNAUTHORIZED}) {
    EXPECT_EQ(alert_of(verify(build_ocsp_error(status))), AlertDescription::bad_certificate_status_response)
        << "responseStatus " << status;
  }
}

TEST_F(OcspTest, RejectsGarbageWithBadCertificateStatusResponse) {
  EXPECT_EQ(alert_of(verify(random_bytes(200))), AlertDescription::bad_certificate_status_response);
  EXPECT_EQ(alert_of(verify(Bytes{})), AlertDescription::bad_certificate_status_response);
  EXPECT_EQ(alert_of(verify(Bytes{0x30, 0x00})), AlertDescription::bad_certificate_status_response);
}

TEST_F(OcspTest, RejectsTruncatedOrExtendedResponseWithBadCertificateStatusResponse) {
  Bytes der = build({});
  Bytes truncated(der.begin(), der.end() - 1);
  EXPECT_EQ(alert_of(verify(truncated)), AlertDescription::bad_certificate_status_response);
  Bytes extended = der;
  extended.push_back(0x00);
  EXPECT_EQ(alert_of(verify(extended)), AlertDescription::bad_certificate_status_response);
}

// A trusted CA's signed answer is still no answer for a certificate whose issuer is not trusted.
TEST_F(OcspTest, RejectsAnswerForACertificateWhoseIssuerIsNotTrusted) {
  Bytes der = build({.about = test_pki().other_ca_certificate.get()});
  auto verified = verify_ocsp_response(der, trust_, test_pki().other_ca_certificate.get(), nonce_, now_);
  EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate_status_response);
}

// --- revocation reasons ---------------------------------------------------------------------

// §9.1: a staple carries the server's nonce, not the client's; the client checks it by time.
class StapleTest : public OcspTest {
 protected:
  Result<VerifiedStatus> check(const Bytes& der, std::chrono::seconds max_age = std::chrono::seconds(600)) const {
    return verify_staple(der, trust_, test_pki().server_certificate.get(), max_age, now_);
  }
};

TEST_F(StapleTest, AcceptsAFreshStapleWhateverItsNonce) {
  auto verified = check(build({}));
  ASSERT_TRUE(verified.ok()) << verified.failure().reason;
  EXPECT_EQ(verified->answer.status, CertStatus::good);
  EXPECT_TRUE(check(build({.with_nonce = false})).ok());
}

TEST_F(StapleTest, RejectsAStapleOlderThanTheMaximumAge) {
  EXPECT_TRUE(check(build({.produced_at = now_ - 9 * minutes})).ok());
  auto verified = check(build({.produced_at = now_ - 11 * minutes}));
  EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate_status_response);
}

TEST_F(StapleTest, RejectsAnExpiredStaple) {
  auto verified = check(build({.validity = std::chrono::seconds(60), .produced_at = now_ - 8 * minutes}),
                        std::chrono::seconds(3600));
  EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate_status_response);
}

TEST_F(StapleTest, RejectsAStapleAboutAnotherCertificateOrFromAnotherCa) {
  EXPECT_EQ(alert_of(check(build({.about = test_pki().second_certificate.get()}))),
            AlertDescription::bad_certificate_status_response);
  EXPECT_EQ(alert_of(check(build({.responder = &test_pki().other_ca}))),
            AlertDescription::bad_certificate_status_response);
  EXPECT_EQ(alert_of(check(with_flipped_signature_byte(build({})))), AlertDescription::bad_certificate_status_response);
}

TEST(RevocationReason, RoundTripsEveryRfc5280Name) {
  for (const char* name :
       {"unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded", "cessationOfOperation",
        "certificateHold", "removeFromCRL", "privilegeWithdrawn", "aACompromise"}) {
    auto code = revocation_reason_from(name);
    ASSERT_TRUE(code.has_value()) << name;
    EXPECT_EQ(revocation_reason_name(*code), name);
  }
  EXPECT_EQ(revocation_reason_from("keyCompromise"), OCSP_REVOKED_STATUS_KEYCOMPROMISE);
  EXPECT_EQ(revocation_reason_from("aACompromise"), 10);
}

TEST(RevocationReason, RejectsUnknownName) {
  EXPECT_FALSE(revocation_reason_from("stolen").has_value());
  EXPECT_FALSE(revocation_reason_from("KeyCompromise").has_value()) << "names are case-sensitive";
  EXPECT_FALSE(revocation_reason_from("").has_value());
  EXPECT_EQ(revocation_reason_name(-1), "none");
  EXPECT_EQ(revocation_reason_name(7), "none") << "7 is unassigned in RFC 5280";
}

TEST(CertStatus, HasReadableNames) {
  EXPECT_EQ(to_string(CertStatus::good), "good");
  EXPECT_EQ(to_string(CertStatus::revoked), "revoked");
  EXPECT_EQ(to_string(CertStatus::unknown), "unknown");
}

}  // namespace
}  // namespace tlslab::crypto
