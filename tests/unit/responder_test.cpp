// The CA's responder (ca/src/responder.hpp): what it keeps between requests. Anyone may ask about
// any certificate; only this CA's own certificates are kept parsed, so a stranger's requests cost
// no lasting memory (they took the CA from 11 MB to 217 MB before).
#include <gtest/gtest.h>
#include <openssl/ocsp.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "database.hpp"
#include "responder.hpp"
#include "test_pki.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/x509.hpp"

namespace tlslab::ca {
namespace {

using test::test_pki;

StatusRequest request_about(X509* certificate) {
  return StatusRequest{crypto::certificate_der(certificate), crypto::random_bytes(32)};
}

int response_status(const Bytes& der) {
  const unsigned char* cursor = der.data();
  ossl::OcspResponse response(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
  return response ? OCSP_response_status(response.get()) : -1;
}

TEST(Responder, KeepsOnlyItsOwnCertificates) {
  Database database(":memory:", Database::Mode::create);
  CaMaterial ca = make_ca(KeyType::ec_p256, "tlslab responder test CA", validity_from_now(30));
  ossl::X509Ptr own = issue_certificate(ca, test_pki().server_key.get(),
                                        IssueRequest{"localhost", {"DNS:localhost"}, validity_from_now(30)});
  database.record_issued(own.get(), "DNS:localhost");
  Responder responder(std::move(ca), database, std::chrono::seconds(3600));

  // Strangers: certificates of two other CAs, asked about again and again.
  for (int round = 0; round < 50; ++round) {
    for (X509* foreign : {test_pki().server_certificate.get(), test_pki().other_ca_certificate.get(),
                          test_pki().expired_certificate.get(), test_pki().second_certificate.get()}) {
      EXPECT_EQ(response_status(responder.answer(request_about(foreign))), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    }
  }
  EXPECT_EQ(responder.remembered_certificates(), 0u) << "a stranger's certificate was kept";

  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(response_status(responder.answer(request_about(own.get()))), OCSP_RESPONSE_STATUS_SUCCESSFUL);
  }
  EXPECT_EQ(responder.remembered_certificates(), 1u);
}

TEST(Responder, AnswersMalformedRequestForBytesThatAreNoCertificate) {
  Database database(":memory:", Database::Mode::create);
  Responder responder(make_ca(KeyType::ec_p256, "tlslab responder test CA", validity_from_now(30)), database,
                      std::chrono::seconds(3600));
  StatusRequest garbage{Bytes{0x30, 0x03, 0x02, 0x01, 0x01}, crypto::random_bytes(32)};
  EXPECT_EQ(response_status(responder.answer(garbage)), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  EXPECT_EQ(responder.remembered_certificates(), 0u);
}

// The status the answer signed for its one certificate: V_OCSP_CERTSTATUS_*, and the reason.
struct Signed {
  int status = -1;
  int reason = -1;
  std::time_t revoked_at = 0;
};
Signed signed_status(const Bytes& der) {
  const unsigned char* cursor = der.data();
  ossl::OcspResponse response(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
  if (!response) return {};
  ossl::OcspBasicResponse basic(OCSP_response_get1_basic(response.get()));
  if (!basic || OCSP_resp_count(basic.get()) != 1) return {};
  Signed out;
  ASN1_GENERALIZEDTIME* revoked_at = nullptr;
  out.status = OCSP_single_get0_status(OCSP_resp_get0(basic.get(), 0), &out.reason, &revoked_at, nullptr, nullptr);
  if (revoked_at != nullptr) out.revoked_at = crypto::to_time_t(revoked_at).value_or(0);
  return out;
}

// A database file of its own (two connections to ":memory:" would be two databases).
struct DatabaseFile {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("tlslab-responder-test-" + to_hex(crypto::random_bytes(8)));
  DatabaseFile() { std::filesystem::create_directories(dir); }
  ~DatabaseFile() { std::filesystem::remove_all(dir); }
  [[nodiscard]] std::string path() const { return (dir / "ca.db").string(); }
};

struct Issued {
  CaMaterial ca;
  ossl::X509Ptr certificate;
  std::string serial;
};
Issued issue_into(Database& database) {
  CaMaterial ca = make_ca(KeyType::ec_p256, "tlslab responder test CA", validity_from_now(30));
  ossl::X509Ptr certificate = issue_certificate(ca, test_pki().server_key.get(),
                                                IssueRequest{"localhost", {"DNS:localhost"}, validity_from_now(30)});
  database.record_issued(certificate.get(), "DNS:localhost");
  std::string serial = crypto::serial_hex(certificate.get());
  return {std::move(ca), std::move(certificate), std::move(serial)};
}

// The statuses are kept in memory, and read again only when the database changed: a revocation
// committed by another connection (`tlslab-ca revoke` in another process) is in the very next
// answer, framed and over HTTP alike.
TEST(Responder, ARevocationByAnotherConnectionIsInTheVeryNextAnswer) {
  DatabaseFile file;
  Database serving(file.path(), Database::Mode::create);
  Issued issued = issue_into(serving);
  X509* certificate = issued.certificate.get();
  Responder responder(std::move(issued.ca), serving, std::chrono::seconds(3600));

  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(signed_status(responder.answer(request_about(certificate))).status, V_OCSP_CERTSTATUS_GOOD);
  }
  EXPECT_EQ(responder.status_reads(), 1u) << "the statuses were read from the database again with nothing changed";

  Database revoker(file.path(), Database::Mode::open_existing);
  ASSERT_EQ(revoker.revoke(issued.serial, OCSP_REVOKED_STATUS_KEYCOMPROMISE, 1'700'000'000),
            Database::RevokeOutcome::revoked);
  Signed next = signed_status(responder.answer(request_about(certificate)));
  EXPECT_EQ(next.status, V_OCSP_CERTSTATUS_REVOKED) << "the answer right after the revocation still says good";
  EXPECT_EQ(next.reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
  EXPECT_EQ(next.revoked_at, 1'700'000'000);
  EXPECT_EQ(responder.status_reads(), 2u);

  // A certificate issued by another process is known at once too, not `unknown`.
  ossl::X509Ptr second = issue_certificate(responder.ca(), test_pki().server_key.get(),
                                           IssueRequest{"second", {"DNS:second"}, validity_from_now(30)});
  revoker.record_issued(second.get(), "DNS:second");
  EXPECT_EQ(signed_status(responder.answer(request_about(second.get()))).status, V_OCSP_CERTSTATUS_GOOD);
}

// The serving connection's own writes do not move PRAGMA data_version: they are counted apart.
TEST(Responder, ARevocationThroughItsOwnConnectionIsInTheVeryNextAnswer) {
  DatabaseFile file;
  Database database(file.path(), Database::Mode::create);
  Issued issued = issue_into(database);
  X509* certificate = issued.certificate.get();
  Responder responder(std::move(issued.ca), database, std::chrono::seconds(3600));
  ASSERT_EQ(signed_status(responder.answer(request_about(certificate))).status, V_OCSP_CERTSTATUS_GOOD);
  ASSERT_EQ(database.revoke(issued.serial, OCSP_REVOKED_STATUS_SUPERSEDED, 1'700'000'000),
            Database::RevokeOutcome::revoked);
  Signed next = signed_status(responder.answer(request_about(certificate)));
  EXPECT_EQ(next.status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(next.reason, OCSP_REVOKED_STATUS_SUPERSEDED);
}

// The lock-free look that lets an answer skip SQLite (wal_index.hpp): the header stays put while
// nothing is committed, reads included, and moves with a commit of any connection.
TEST(WalIndex, MovesWithEveryCommitOfAnyConnectionAndOnlyThen) {
  DatabaseFile file;
  Database serving(file.path(), Database::Mode::create);
  Issued issued = issue_into(serving);
  Database other(file.path(), Database::Mode::open_existing);
  auto before = serving.wal_index_header();
  ASSERT_TRUE(before.has_value()) << "the WAL index of a file database cannot be read";
  EXPECT_EQ(serving.list().size(), 1u);
  (void)other.statuses();
  EXPECT_EQ(serving.wal_index_header(), before) << "a read moved the header";
  ASSERT_EQ(other.revoke(issued.serial, OCSP_REVOKED_STATUS_KEYCOMPROMISE, 1'700'000'000),
            Database::RevokeOutcome::revoked);
  auto after_other = serving.wal_index_header();
  EXPECT_NE(after_other, before) << "another connection's commit left the header as it was";
  (void)serving.next_crl_number();
  EXPECT_NE(serving.wal_index_header(), after_other) << "this connection's commit left the header as it was";
  Database memory(":memory:", Database::Mode::create);
  EXPECT_FALSE(memory.wal_index_header().has_value());
}

// Several threads answer while another connection revokes: every answer asked for after the revoke
// returned says revoked (and none fails). Run under TSan, this is also the book's race check.
TEST(Responder, AnswersOnManyThreadsSeeARevocationAtOnce) {
  DatabaseFile file;
  Database serving(file.path(), Database::Mode::create);
  Issued issued = issue_into(serving);
  X509* certificate = issued.certificate.get();
  Responder responder(std::move(issued.ca), serving, std::chrono::seconds(3600));
  std::atomic<bool> revoked{false};
  std::atomic<int> late_good{0};
  std::atomic<int> revoked_seen{0};
  std::vector<std::thread> askers;
  for (int t = 0; t < 4; ++t) {
    askers.emplace_back([&] {
      // Until 20 answers were asked for after the revocation (bounded, should the revoke fail).
      for (int i = 0, after_count = 0; i < 20'000 && after_count < 20; ++i) {
        bool after = revoked.load();
        int status = signed_status(responder.answer(request_about(certificate))).status;
        if (after && status != V_OCSP_CERTSTATUS_REVOKED) ++late_good;
        if (status == V_OCSP_CERTSTATUS_REVOKED) ++revoked_seen;
        if (after) ++after_count;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Database revoker(file.path(), Database::Mode::open_existing);
  ASSERT_EQ(revoker.revoke(issued.serial, OCSP_REVOKED_STATUS_KEYCOMPROMISE, 1'700'000'000),
            Database::RevokeOutcome::revoked);
  revoked = true;
  for (auto& asker : askers) asker.join();
  EXPECT_EQ(late_good.load(), 0) << "answers asked for after the revocation said good";
  EXPECT_GT(revoked_seen.load(), 0);
}

}  // namespace
}  // namespace tlslab::ca
