// The CA side of CRLs (ca/src/crl_publisher.hpp, the database's crl_state): the CRL number lives
// in the database, grows by one with every list signed and never goes back, across restarts and
// processes; `serve` keeps its signed list until a certificate is revoked (by any process) or a
// quarter of its validity is left; --next-update takes 90s/30m/1h/2d up to 10 days.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <ctime>
#include <stdexcept>
#include <string>

#include "crl_publisher.hpp"
#include "database.hpp"
#include "test_pki.hpp"
#include "tlslab/crypto/crl.hpp"
#include "tlslab/crypto/x509.hpp"

namespace tlslab::ca {
namespace {

using test::test_pki;
using namespace std::chrono_literals;

std::string refusal(std::string_view text) {
  try {
    (void)parse_crl_lifetime(text, "--next-update");
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "accepted";
}

TEST(CrlLifetime, TakesSecondsMinutesHoursAndDaysUpToTenDays) {
  EXPECT_EQ(parse_crl_lifetime("90s", "--next-update"), 90s);
  EXPECT_EQ(parse_crl_lifetime("30m", "--next-update"), 30min);
  EXPECT_EQ(parse_crl_lifetime("1h", "--next-update"), 1h);
  EXPECT_EQ(parse_crl_lifetime("2d", "--next-update"), 48h);
  EXPECT_EQ(parse_crl_lifetime("10d", "--next-update"), 240h);
  EXPECT_EQ(parse_crl_lifetime("864000s", "--next-update"), 240h);
}

TEST(CrlLifetime, RefusesZeroMoreThanTenDaysAndWhatIsNoDurationWithOneLine) {
  for (std::string_view text : {"0", "0s", "11d", "864001s", "241h", "abc", "", "h", "1", "-1h", "+1h", "1.5h", "1H",
                                " 1h", "1h ", "1 h", "99999999999999999999d", "1w"}) {
    std::string why = refusal(text);
    EXPECT_NE(why, "accepted") << "'" << text << "'";
    EXPECT_NE(why.find("--next-update"), std::string::npos) << why;
    EXPECT_EQ(why.find('\n'), std::string::npos) << why;
  }
  EXPECT_NE(refusal("11d").find("more than 10 days"), std::string::npos);
  EXPECT_NE(refusal("abc").find("90s, 30m, 1h or 2d"), std::string::npos);
}

TEST(CrlLifetime, ShowsAHostileValueEscapedAndShort) {
  std::string why = refusal(std::string("\x1b]0;owned\x07") + std::string(10000, 'x'));
  EXPECT_EQ(why.find('\x1b'), std::string::npos) << why;
  EXPECT_LT(why.size(), 200u);
}

TEST(CrlDatabase, NumberGrowsByOneAndSurvivesReopening) {
  test::TempDir dir;
  {
    Database database(dir.file("ca.db"), Database::Mode::create);
    EXPECT_EQ(database.last_crl_number(), 0u);
    EXPECT_EQ(database.next_crl_number(), 1u);
    EXPECT_EQ(database.next_crl_number(), 2u);
  }
  Database reopened(dir.file("ca.db"), Database::Mode::open_existing);
  EXPECT_EQ(reopened.last_crl_number(), 2u);
  EXPECT_EQ(reopened.next_crl_number(), 3u);
  // Another process signing at the same time (another connection) takes the next number, not the same.
  Database other(dir.file("ca.db"), Database::Mode::open_existing);
  EXPECT_EQ(other.next_crl_number(), 4u);
  EXPECT_EQ(reopened.next_crl_number(), 5u);
}

TEST(CrlDatabase, ADatabaseMadeBeforeCrlsGainsItsNumberOnOpen) {
  test::TempDir dir;
  sqlite3* old = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("ca.db").c_str(), &old), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(old,
                   "CREATE TABLE certificates (serial TEXT PRIMARY KEY, subject TEXT NOT NULL, subject_alt_names "
                   "TEXT NOT NULL, not_before TEXT NOT NULL, not_after TEXT NOT NULL, fingerprint_sha256 TEXT NOT "
                   "NULL, der BLOB NOT NULL, issued_at INTEGER NOT NULL, revoked_at INTEGER, revocation_reason "
                   "INTEGER);"
                   "INSERT INTO certificates VALUES ('0abc', '/CN=old', '', '', '', '', x'00', 1, 1700000000, 1);",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(old);
  Database database(dir.file("ca.db"), Database::Mode::open_existing);
  EXPECT_EQ(database.next_crl_number(), 1u);
  auto revoked = database.revoked();
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(revoked[0].serial, "0abc");
  EXPECT_EQ(revoked[0].revoked_at, 1700000000);
  EXPECT_EQ(revoked[0].reason, 1);
}

TEST(CrlDatabase, RevisionMovesWhenAnotherProcessRevokesAndOnlyThen) {
  test::TempDir dir;
  Database serving(dir.file("ca.db"), Database::Mode::create);
  Database command(dir.file("ca.db"), Database::Mode::open_existing);  // `tlslab-ca revoke`, another process
  std::uint64_t before = serving.revision();
  command.record_issued(test_pki().server_certificate.get(), "DNS:localhost");
  (void)command.next_crl_number();
  EXPECT_EQ(serving.revision(), before) << "issuing or signing a list is no revocation";
  std::string serial = crypto::serial_hex(test_pki().server_certificate.get());
  ASSERT_EQ(command.revoke(serial, 1, 1700000000), Database::RevokeOutcome::revoked);
  std::uint64_t after = serving.revision();
  EXPECT_NE(after, before);
  EXPECT_EQ(command.revoke(serial, 1, 1700000001), Database::RevokeOutcome::already_revoked);
  EXPECT_EQ(serving.revision(), after);
}

class CrlPublisherTest : public ::testing::Test {
 protected:
  test::TempDir dir;
  Database database{dir.file("ca.db"), Database::Mode::create};
  X509* server = test_pki().server_certificate.get();
  std::time_t now = std::time(nullptr);

  void SetUp() override { database.record_issued(server, "DNS:localhost"); }

  crypto::VerifiedCrl verified(const SignedCrl& crl) {
    auto result = crypto::verify_crl(crl.der, test::trust_store_with_test_ca(), server, std::nullopt, crl.this_update);
    EXPECT_TRUE(result.ok()) << result.failure().reason;
    return result.value();
  }
};

TEST_F(CrlPublisherTest, SignedListVerifiesWithTheCaKeyAndSaysWhatItHolds) {
  Database::RevokeOutcome outcome = database.revoke(crypto::serial_hex(server), 1, now - 60);
  ASSERT_EQ(outcome, Database::RevokeOutcome::revoked);
  SignedCrl crl = sign_crl(test_pki().ca, database, 2h, now);
  EXPECT_EQ(crl.number, 1u);
  EXPECT_EQ(crl.revoked_count, 1u);
  EXPECT_EQ(crl.next_update - crl.this_update, 7200);
  EXPECT_EQ(crl.signature_algorithm, "sha256WithRSAEncryption");
  crypto::VerifiedCrl list = verified(crl);
  EXPECT_EQ(list.number, 1u);
  crypto::StatusAnswer status = crypto::look_up(list, server);
  EXPECT_EQ(status.status, crypto::CertStatus::revoked);
  EXPECT_EQ(status.revocation_reason, 1);
  EXPECT_EQ(status.revocation_time, now - 60);
}

TEST_F(CrlPublisherTest, KeepsItsListUntilACertificateIsRevokedThenSignsTheNextNumber) {
  CrlPublisher publisher(test_pki().ca, database, 1h);
  auto first = publisher.current(now);
  EXPECT_FALSE(first.signed_because.empty());
  auto again = publisher.current(now + 10);
  EXPECT_EQ(again.crl, first.crl) << "signed again with nothing changed";
  EXPECT_TRUE(again.signed_because.empty());
  EXPECT_EQ(crypto::look_up(verified(*first.crl), server).status, crypto::CertStatus::good);

  Database command(dir.file("ca.db"), Database::Mode::open_existing);  // `tlslab-ca revoke`
  ASSERT_EQ(command.revoke(crypto::serial_hex(server), 4, now + 20), Database::RevokeOutcome::revoked);
  auto after = publisher.current(now + 30);
  EXPECT_NE(after.signed_because.find("revoked"), std::string::npos) << after.signed_because;
  EXPECT_GT(after.crl->number, first.crl->number);
  EXPECT_EQ(crypto::look_up(verified(*after.crl), server).status, crypto::CertStatus::revoked);
}

TEST_F(CrlPublisherTest, SignsAgainWhenLessThanAQuarterOfItsValidityIsLeft) {
  CrlPublisher publisher(test_pki().ca, database, 100s);
  auto first = publisher.current(now);
  EXPECT_EQ(publisher.current(now + 75).crl, first.crl) << "a quarter left is enough";
  auto late = publisher.current(now + 76);
  EXPECT_NE(late.crl, first.crl);
  EXPECT_NE(late.signed_because.find("quarter"), std::string::npos) << late.signed_because;
  EXPECT_EQ(late.crl->number, first.crl->number + 1);
  EXPECT_EQ(late.crl->next_update, now + 176);
}

TEST_F(CrlPublisherTest, TheNumberNeverGoesBackAcrossPublishersAndTheCommand) {
  std::uint64_t last = 0;
  for (int restart = 0; restart < 3; ++restart) {
    CrlPublisher publisher(test_pki().ca, database, 1h);  // a serve started again
    std::uint64_t number = publisher.current(now).crl->number;
    EXPECT_GT(number, last);
    last = number;
    EXPECT_GT(sign_crl(test_pki().ca, database, 1h, now).number, last);  // `tlslab-ca crl` meanwhile
    last = database.last_crl_number();
  }
}

}  // namespace
}  // namespace tlslab::ca
