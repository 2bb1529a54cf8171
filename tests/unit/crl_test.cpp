// Certificate Revocation Lists (PROTOCOL.md §9.3): built by build_crl, checked by verify_crl,
// looked up by look_up. Every defect a fetched list can have is bad_certificate_status_response
// with a reason that names it.
#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <functional>
#include <string>

#include "test_pki.hpp"
#include "test_support.hpp"
#include "tlslab/crypto/crl.hpp"

namespace tlslab::crypto {
namespace {

using test::alert_of;
using test::one_day;
using test::test_pki;

constexpr std::time_t hour = 3600;

CrlContents list_at(std::time_t now, std::uint64_t number = 7) {
  CrlContents contents;
  contents.number = number;
  contents.this_update = now - 60;
  contents.next_update = now + hour;
  return contents;
}

Bytes sign_by_test_ca(const CrlContents& contents) {
  return build_crl(test_pki().ca.certificate.get(), test_pki().ca.key.get(), contents);
}

// The list `der`, changed by `edit` and signed again by the test CA: a CA that signs what it should not.
Bytes edited(const Bytes& der, const std::function<void(X509_CRL*)>& edit) {
  const unsigned char* cursor = der.data();
  CrlPtr crl(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(der.size())));
  edit(crl.get());
  X509_CRL_sign(crl.get(), test_pki().ca.key.get(), EVP_sha256());
  return ossl::to_der<i2d_X509_CRL>(crl.get(), "i2d_X509_CRL");
}

X509_EXTENSION* private_extension(bool critical) {
  ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.4.1.55555.1", 1);
  ASN1_OCTET_STRING* value = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(value, reinterpret_cast<const unsigned char*>("\x05\x00"), 2);
  X509_EXTENSION* extension = X509_EXTENSION_create_by_OBJ(nullptr, oid, critical ? 1 : 0, value);
  ASN1_OBJECT_free(oid);
  ASN1_OCTET_STRING_free(value);
  return extension;
}

std::string reason_of(const Failure& failure) {
  return failure.reason;
}

class CrlTest : public ::testing::Test {
 protected:
  TrustStore trust = test::trust_store_with_test_ca();
  std::time_t now = std::time(nullptr);
  X509* server = test_pki().server_certificate.get();
  X509* second = test_pki().second_certificate.get();

  Result<VerifiedCrl> verify(const Bytes& der, std::optional<std::uint64_t> last = std::nullopt) {
    return verify_crl(der, trust, server, last, now);
  }
  void expect_refused(const Bytes& der, const std::string& words, std::optional<std::uint64_t> last = std::nullopt) {
    auto verified = verify(der, last);
    ASSERT_EQ(alert_of(verified), AlertDescription::bad_certificate_status_response);
    EXPECT_NE(reason_of(verified.failure()).find(words), std::string::npos) << verified.failure().reason;
  }
};

TEST_F(CrlTest, RevokedSerialIsFoundWithItsDateAndReason) {
  CrlContents contents = list_at(now);
  contents.revoked.push_back({serial_hex(second), now - 600, 1});  // keyCompromise
  contents.revoked.push_back({"0abc", now - 900, 0});
  auto verified = verify(sign_by_test_ca(contents));
  ASSERT_TRUE(verified) << verified.failure().reason;
  EXPECT_EQ(verified->number, 7u);
  EXPECT_EQ(verified->revoked_count, 2u);
  EXPECT_EQ(verified->next_update, now + hour);
  EXPECT_EQ(verified->issuer, subject_of(test_pki().ca.certificate.get()));
  EXPECT_EQ(verified->signature_algorithm, "sha256WithRSAEncryption");

  StatusAnswer revoked = look_up(verified.value(), second);
  EXPECT_EQ(revoked.status, CertStatus::revoked);
  EXPECT_EQ(revoked.revocation_time, now - 600);
  EXPECT_EQ(revoked.revocation_reason, 1);
  EXPECT_EQ(look_up(verified.value(), server).status, CertStatus::good);
}

TEST_F(CrlTest, UnspecifiedReasonIsWrittenWithoutTheExtensionAndReadAsZero) {
  CrlContents contents = list_at(now);
  contents.revoked.push_back({serial_hex(second), now - 600, 0});
  auto verified = verify(sign_by_test_ca(contents));
  ASSERT_TRUE(verified);
  X509_REVOKED* entry = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(verified->crl.get()), 0);
  EXPECT_EQ(X509_REVOKED_get_ext_count(entry), 0);
  EXPECT_EQ(look_up(verified.value(), second).revocation_reason, 0);
}

TEST_F(CrlTest, PemIsWhatOpensslReads) {
  std::string pem = crl_pem(sign_by_test_ca(list_at(now)));
  EXPECT_EQ(pem.rfind("-----BEGIN X509 CRL-----\n", 0), 0u);
}

TEST_F(CrlTest, SignedByAnotherKeyIsRefused) {
  Bytes der = sign_by_test_ca(list_at(now));
  const unsigned char* cursor = der.data();
  CrlPtr crl(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(der.size())));
  X509_CRL_sign(crl.get(), test_pki().server_key.get(), EVP_sha256());  // the test CA's name, another key
  expect_refused(ossl::to_der<i2d_X509_CRL>(crl.get(), "i2d"), "signature does not verify");
}

TEST_F(CrlTest, AnotherCasListIsRefused) {
  Bytes der = build_crl(test_pki().other_ca.certificate.get(), test_pki().other_ca.key.get(), list_at(now));
  expect_refused(der, "not by the certificate's issuer");
}

TEST_F(CrlTest, CertificateOfAnUnknownCaHasNoList) {
  auto verified =
      verify_crl(sign_by_test_ca(list_at(now)), trust, test_pki().other_ca_certificate.get(), std::nullopt, now);
  EXPECT_EQ(alert_of(verified), AlertDescription::bad_certificate_status_response);
}

TEST_F(CrlTest, StaleListIsRefused) {
  CrlContents contents = list_at(now);
  contents.this_update = now - 2 * hour;
  contents.next_update = now - 1;
  expect_refused(sign_by_test_ca(contents), "stale");
}

TEST_F(CrlTest, ListFromTheFutureIsRefused) {
  CrlContents contents = list_at(now);
  contents.this_update = now + hour;
  contents.next_update = now + 2 * hour;
  expect_refused(sign_by_test_ca(contents), "in the future");
}

TEST_F(CrlTest, NextUpdateFarInTheFutureIsRefused) {
  CrlContents contents = list_at(now);
  contents.next_update = now + 30 * one_day;
  expect_refused(sign_by_test_ca(contents), "too far in the future");
  contents.next_update = contents.this_update + 10 * one_day;  // the limit itself is accepted
  EXPECT_TRUE(verify(sign_by_test_ca(contents)));
}

TEST_F(CrlTest, OlderNumberIsAReplay) {
  Bytes old = sign_by_test_ca(list_at(now, 3));
  expect_refused(old, "an old list replayed", 5);
  EXPECT_TRUE(verify(old, 3));  // the same list again is not a replay
  EXPECT_TRUE(verify(old, 2));
}

TEST_F(CrlTest, ListWithoutNumberIsRefused) {
  Bytes der = edited(sign_by_test_ca(list_at(now)), [](X509_CRL* crl) {
    X509_EXTENSION_free(X509_CRL_delete_ext(crl, X509_CRL_get_ext_by_NID(crl, NID_crl_number, -1)));
  });
  expect_refused(der, "cRLNumber");
}

TEST_F(CrlTest, DeltaListIsRefused) {
  Bytes der = edited(sign_by_test_ca(list_at(now)), [](X509_CRL* crl) {
    ossl::Asn1Integer base(ASN1_INTEGER_new());
    ASN1_INTEGER_set(base.get(), 6);
    X509_CRL_add1_ext_i2d(crl, NID_delta_crl, base.get(), 1, X509V3_ADD_DEFAULT);
  });
  expect_refused(der, "delta CRL");
}

TEST_F(CrlTest, PartitionedListIsRefused) {
  Bytes der = edited(sign_by_test_ca(list_at(now)), [](X509_CRL* crl) {
    ISSUING_DIST_POINT* point = ISSUING_DIST_POINT_new();
    point->onlyuser = 0xff;
    X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, point, 1, X509V3_ADD_DEFAULT);
    ISSUING_DIST_POINT_free(point);
  });
  expect_refused(der, "issuingDistributionPoint");
}

TEST_F(CrlTest, UnknownCriticalExtensionIsRefusedAndANonCriticalOneIgnored) {
  Bytes critical = edited(sign_by_test_ca(list_at(now)), [](X509_CRL* crl) {
    X509_EXTENSION* extension = private_extension(true);
    X509_CRL_add_ext(crl, extension, -1);
    X509_EXTENSION_free(extension);
  });
  expect_refused(critical, "unknown critical extension 1.3.6.1.4.1.55555.1");
  Bytes plain = edited(sign_by_test_ca(list_at(now)), [](X509_CRL* crl) {
    X509_EXTENSION* extension = private_extension(false);
    X509_CRL_add_ext(crl, extension, -1);
    X509_EXTENSION_free(extension);
  });
  EXPECT_TRUE(verify(plain));
}

TEST_F(CrlTest, EntryWithUnknownCriticalExtensionIsRefused) {
  CrlContents contents = list_at(now);
  contents.revoked.push_back({"0abc", now - 900, 1});
  Bytes der = edited(sign_by_test_ca(contents), [](X509_CRL* crl) {
    X509_REVOKED* entry = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 0);
    X509_EXTENSION* extension = private_extension(true);
    X509_REVOKED_add_ext(entry, extension, -1);
    X509_EXTENSION_free(extension);
  });
  expect_refused(der, "entry has an unknown critical extension");
}

TEST_F(CrlTest, VersionOneIsRefused) {
  Bytes der = edited(sign_by_test_ca(list_at(now)), [](X509_CRL* crl) { X509_CRL_set_version(crl, 0); });
  expect_refused(der, "not version 2");
}

TEST_F(CrlTest, MalformedBytesAreRefused) {
  Bytes der = sign_by_test_ca(list_at(now));
  Bytes trailing = der;
  trailing.push_back(0);
  expect_refused(trailing, "bytes after");
  expect_refused(Bytes(der.begin(), der.begin() + static_cast<long>(der.size() / 2)), "not a DER CertificateList");
  expect_refused(Bytes{}, "not a DER CertificateList");
  Bytes flipped = der;
  flipped[flipped.size() - 5] ^= 0x01;  // inside the signature
  expect_refused(flipped, "signature does not verify");
}

TEST_F(CrlTest, OversizedListIsRefusedBeforeParsing) {
  Bytes huge(max_crl_size + 1, 0x30);
  expect_refused(huge, "more than the");
}

TEST_F(CrlTest, CachedListIsRecheckedForTime) {
  auto verified = verify(sign_by_test_ca(list_at(now)));
  ASSERT_TRUE(verified);
  EXPECT_TRUE(check_crl_times(verified.value(), now + hour - 1));
  EXPECT_EQ(alert_of(check_crl_times(verified.value(), now + hour + 1)),
            AlertDescription::bad_certificate_status_response);
}

TEST_F(CrlTest, DistributionPointIsReadFromTheCertificate) {
  EXPECT_EQ(crl_distribution_point(server), std::nullopt);
  ca::IssueRequest request{
      "crl.test", {"DNS:crl.test"}, ca::validity_from_now(30), ca::Role::server, "http://127.0.0.1:8080/crl"};
  ossl::X509Ptr certificate = ca::issue_certificate(test_pki().ca, test_pki().server_key.get(), request);
  EXPECT_EQ(crl_distribution_point(certificate.get()), "http://127.0.0.1:8080/crl");
}

TEST_F(CrlTest, BadDistributionPointUrlIsRefusedAtIssue) {
  for (std::string url : {"ftp://x/crl", "http://", "http://a b/crl", "http://a/crl,URI:http://b", "http://a/\x01"}) {
    ca::IssueRequest request{"crl.test", {}, ca::validity_from_now(30), ca::Role::server, url};
    EXPECT_THROW(ca::issue_certificate(test_pki().ca, test_pki().server_key.get(), request), std::invalid_argument)
        << url;
  }
}

}  // namespace
}  // namespace tlslab::crypto
