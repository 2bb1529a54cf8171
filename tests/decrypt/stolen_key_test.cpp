// The stolen key on sessions made in the test with the project's own codec and crypto: what it
// opens (RSA key transport), what it cannot (ECDHE, another key, a handshake changed on the wire)
// and what it reads off the wire in order.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "captured_session.hpp"
#include "recorded_session.hpp"
#include "session_report.hpp"
#include "stolen_key.hpp"
#include "tlslab/crypto/keylog.hpp"

namespace tlslab::decrypt::test {
namespace {

std::string text_of(const Bytes& bytes) {
  return {bytes.begin(), bytes.end()};
}

struct Outcome {
  CapturedSession session;
  OpenedSession opened;
};

Outcome open_with(EVP_PKEY* key, const TcpConnection& connection) {
  auto session = read_session(connection);
  EXPECT_TRUE(session.ok()) << (session.ok() ? "" : session.failure().reason);
  StolenKey stolen(copy_of(key));
  OpenedSession opened = stolen.open(session.value());
  return {std::move(session).value(), std::move(opened)};
}

std::vector<const Revealed*> of_kind(const OpenedSession& opened, Revealed::Kind kind) {
  std::vector<const Revealed*> found;
  for (const auto& revealed : opened.revealed) {
    if (revealed.kind == kind) found.push_back(&revealed);
  }
  return found;
}

class EverySuite : public ::testing::TestWithParam<std::uint16_t> {};

TEST_P(EverySuite, TheServersKeyOpensAnRsaSessionAndItsKeyLogLineIsTheSidesOwn) {
  SessionOptions options;
  options.suite = GetParam();
  options.requests = {"GET /one HTTP/1.1\r\nHost: localhost\r\n\r\n", "GET /two HTTP/1.1\r\n\r\n"};
  options.responses = {"HTTP/1.1 200 OK\r\n\r\nfirst", "HTTP/1.1 200 OK\r\n\r\nsecond"};
  RecordedSession recorded = record_rsa_session(options);
  auto [session, opened] = open_with(server_key(), recorded.connection);

  ASSERT_EQ(opened.verdict, Verdict::opened) << opened.reason;
  ASSERT_TRUE(opened.master_secret);
  EXPECT_EQ(crypto::keylog_line(session.client_hello.random, *opened.master_secret), recorded.keylog_line);
  auto finished = of_kind(opened, Revealed::Kind::finished);
  ASSERT_EQ(finished.size(), 2u);
  EXPECT_NE(finished[0]->text.find("verify_data matches"), std::string::npos) << finished[0]->text;
  EXPECT_NE(finished[1]->text.find("verifies"), std::string::npos) << finished[1]->text;
  EXPECT_EQ(finished[1]->text.find("does not"), std::string::npos) << finished[1]->text;

  // Both directions, in the order they crossed, each numbered from 1 (its Finished is record 0).
  auto data = of_kind(opened, Revealed::Kind::application_data);
  ASSERT_EQ(data.size(), 4u);
  EXPECT_EQ(data[0]->from, Direction::client_to_server);
  EXPECT_EQ(text_of(data[0]->content), options.requests[0]);
  EXPECT_EQ(data[0]->record, 1u);
  EXPECT_EQ(data[1]->from, Direction::server_to_client);
  EXPECT_EQ(text_of(data[1]->content), options.responses[0]);
  EXPECT_EQ(data[1]->record, 1u);
  EXPECT_EQ(text_of(data[2]->content), options.requests[1]);
  EXPECT_EQ(data[2]->record, 2u);
  EXPECT_EQ(text_of(data[3]->content), options.responses[1]);
  EXPECT_EQ(data[3]->record, 2u);
  auto alerts = of_kind(opened, Revealed::Kind::alert);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0]->text, "warning alert close_notify");
  EXPECT_EQ(alerts[0]->record, 3u);
}

INSTANTIATE_TEST_SUITE_P(StolenKey, EverySuite, ::testing::Values(0x0A01, 0x0A02, 0x0A03));

TEST(StolenKey, AnotherKeyIsNotTheServers) {
  RecordedSession recorded = record_rsa_session();
  auto [session, opened] = open_with(other_key(), recorded.connection);
  EXPECT_EQ(opened.verdict, Verdict::not_this_server);
  EXPECT_NE(opened.reason.find("does not belong to this session's server"), std::string::npos) << opened.reason;
  EXPECT_FALSE(opened.master_secret);
  EXPECT_TRUE(of_kind(opened, Revealed::Kind::application_data).empty());
}

TEST(StolenKey, AnEcKeyIsNotTheServersEither) {
  ossl::PKey ec_key(EVP_EC_gen("P-256"));
  ASSERT_TRUE(ec_key);
  auto [session, opened] = open_with(ec_key.get(), record_rsa_session().connection);
  EXPECT_EQ(opened.verdict, Verdict::not_this_server);
}

TEST(StolenKey, EcdheStaysClosedAndSaysWhy) {
  for (auto [group, name] :
       {std::pair<std::uint16_t, std::string>{0x001D, "x25519"}, {0x0017, "secp256r1"}, {0x1234, "0x1234"}}) {
    auto [session, opened] = open_with(server_key(), record_ecdhe_session(group).connection);
    EXPECT_EQ(opened.verdict, Verdict::forward_secret);
    EXPECT_EQ(opened.reason,
              "this session used ECDHE (group " + name +
                  "): the PRE-MASTER was never sent; the server's key only signed its ephemeral key share. Without "
                  "the ephemeral private keys, which both sides wiped, the recording stays closed: forward secrecy");
    EXPECT_FALSE(opened.master_secret);
    EXPECT_FALSE(counts_as_opened(opened.verdict));
  }
}

TEST(StolenKey, ASessionStoppedBeforeTheKeyExchangeHasNothingToOpen) {
  SessionOptions options;
  options.stop_before_key_exchange = true;
  auto [session, opened] = open_with(server_key(), record_rsa_session(options).connection);
  EXPECT_EQ(opened.verdict, Verdict::nothing_encrypted);
  EXPECT_TRUE(counts_as_opened(opened.verdict));
  auto alerts = of_kind(opened, Revealed::Kind::alert);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]->text, "fatal alert certificate_revoked, in the clear");
}

TEST(StolenKey, ARandomChangedOnTheWireLeavesTheSessionClosedEvenWithTheServersKey) {
  SessionOptions options;
  options.replace_server_random_on_wire = true;
  auto [session, opened] = open_with(server_key(), record_rsa_session(options).connection);
  EXPECT_EQ(opened.verdict, Verdict::handshake_altered);
  EXPECT_NE(opened.reason.find("client's Finished does not open"), std::string::npos) << opened.reason;
  EXPECT_FALSE(opened.master_secret);
}

TEST(StolenKey, ARecordMissingFromTheCaptureEndsWhatItsDirectionShows) {
  SessionOptions options;
  options.requests = {"one", "two", "three"};
  options.responses = {"uno", "dos", "tres"};
  RecordedSession recorded = record_rsa_session(options);
  // Remove the server's record 1 ("uno"): record 2 is then opened as number 1, and fails (§7.5).
  auto split =
      split_frames(recorded.connection.server_bytes, Direction::server_to_client, recorded.connection.arrivals);
  ASSERT_GE(split.frames.size(), 3u);
  ByteView dropped = split.frames[2].bytes;
  auto at = static_cast<std::size_t>(dropped.data() - recorded.connection.server_bytes.data());
  TcpConnection connection = recorded.connection;
  connection.server_bytes.erase(connection.server_bytes.begin() + static_cast<std::ptrdiff_t>(at),
                                connection.server_bytes.begin() + static_cast<std::ptrdiff_t>(at + dropped.size()));
  for (auto& arrival : connection.arrivals) {
    if (arrival.direction == Direction::server_to_client && arrival.end > at) {
      arrival.end = arrival.end >= at + dropped.size() ? arrival.end - dropped.size() : at;
    }
  }
  auto [session, opened] = open_with(server_key(), connection);
  ASSERT_EQ(opened.verdict, Verdict::opened);
  std::vector<std::string> client_data, server_data;
  for (const auto* revealed : of_kind(opened, Revealed::Kind::application_data)) {
    (revealed->from == Direction::client_to_server ? client_data : server_data).push_back(text_of(revealed->content));
  }
  EXPECT_EQ(client_data, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_TRUE(server_data.empty());
  auto stops = of_kind(opened, Revealed::Kind::stop);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0]->from, Direction::server_to_client);
  EXPECT_EQ(stops[0]->record, 1u);
}

TEST(SessionReport, PlaintextIsShownLineByLineWithWhatATerminalWouldObeyEscaped) {
  std::string plaintext = "GET / HTTP/1.1\r\nX: \x1b[2J\x1b]0;t\x07\\\r\nbare\rcr\n\nend";
  EXPECT_EQ(render_plaintext(as_bytes(plaintext), "  "),
            "  GET / HTTP/1.1\n  X: \\x1b[2J\\x1b]0;t\\x07\\\\\n  bare\\x0dcr\n  \n  end\n");
}

TEST(SessionReport, NamesTheSessionAndWhatWasFound) {
  RecordedSession recorded = record_rsa_session();
  auto [session, opened] = open_with(server_key(), recorded.connection);
  std::string shown = render_session(1, 2, session, opened, {});
  EXPECT_NE(shown.find("session 1 of 2: client 127.0.0.1:50000 → server 127.0.0.1:4433, "
                       "TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256\n"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("  RAND-CLIENT         " + to_hex(recorded.client_random)), std::string::npos);
  EXPECT_NE(shown.find("  (8) server → client, record 1, 43 bytes:\n        HTTP/1.1 200 OK\n"), std::string::npos)
      << shown;
  EXPECT_NE(shown.find("  opened: 2 records of application data decrypted\n"), std::string::npos) << shown;
  // The master secret is a secret: shown only when asked.
  std::string secret = to_hex(opened.master_secret->view());
  EXPECT_EQ(shown.find(secret), std::string::npos);
  EXPECT_NE(render_session(1, 2, session, opened, {.show_secrets = true}).find(secret), std::string::npos);
}

}  // namespace
}  // namespace tlslab::decrypt::test
