// The memo of certificates met before (certificate_memo.hpp) and its use by
// verify_server_certificate: same bytes → same parsed object; facts hold only in their window,
// only for the host they were learned for, and only for objects the memo holds.
#include <gtest/gtest.h>

#include <ctime>
#include <limits>
#include <string>

#include "test_pki.hpp"
#include "test_support.hpp"
#include "tlslab/crypto/certificate_memo.hpp"
#include "tlslab/crypto/x509.hpp"

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
  X509* kept = memo.remember(der, std::move(parsed)).get();
  EXPECT_EQ(memo.find(der).get(), kept);
  EXPECT_EQ(memo.remember(der, parse_certificate_der(der).take()).get(), kept) << "a second object for the same bytes";
  EXPECT_EQ(memo.size(), 1u);
  EXPECT_EQ(memo.der_bytes(), der.size());
}

TEST(CertificateMemo, StaysWithinItsByteBound) {
  Bytes first = certificate_der(test_pki().server_certificate.get());
  Bytes second = certificate_der(test_pki().second_certificate.get());
  CertificateMemo memo(100, first.size() + second.size() - 1);  // room for one of the two
  ASSERT_TRUE(memo.parse(first));
  ASSERT_TRUE(memo.parse(second));
  EXPECT_EQ(memo.size(), 1u);
  EXPECT_LE(memo.der_bytes(), first.size() + second.size() - 1);
  CertificateMemo tiny(100, first.size() - 1);  // not even one: parsed, not remembered
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

}  // namespace
}  // namespace tlslab::crypto
