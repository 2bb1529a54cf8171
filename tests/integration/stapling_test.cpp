// Stapling in one process (PROTOCOL.md §9.1): the server asks the CA about its own certificate
// ahead of time and staples the answer into the ServerHellos that ask; the client uses it, or asks
// the CA itself, as its --ca-check says.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "lab.hpp"

namespace tlslab::integration {
namespace {

using client::ExitCode;
using namespace std::chrono_literals;

LabOptions stapling(std::chrono::milliseconds refresh = std::chrono::minutes(5)) {
  LabOptions options;
  options.staple = true;
  options.staple_refresh = refresh;
  return options;
}

// A client that cannot reach any CA: whatever it accepts, it accepted from the staple.
client::ClientSettings without_ca(client::ClientSettings settings) {
  settings.ca_service = tcp::endpoint(asio::ip::make_address("127.0.0.1"), 9);
  return settings;
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(Stapling, StapledClientAcceptsTheStapleWithoutAskingTheCa) {
  Lab lab(stapling());
  auto settings = without_ca(lab.client_settings());
  settings.ca_check = CaCheck::stapled;
  ClientRun run = lab.run_client(settings);
  ASSERT_EQ(run.outcome.code, ExitCode::ok) << run.outcome.line;
  // Arrows 3–4 are the server's, done ahead of time, and the trace says when.
  EXPECT_TRUE(has(run.trace_json, R"("arrow":3,"from":"Server","to":"CA")")) << run.trace_json;
  EXPECT_TRUE(has(run.trace_json, R"("arrow":4,"from":"CA","to":"Server")")) << run.trace_json;
  EXPECT_TRUE(has(run.trace_json, "ahead of time: the CA answered at ")) << run.trace_json;
  EXPECT_TRUE(has(run.trace_json, "the answer is as old as the staple")) << run.trace_json;
  EXPECT_FALSE(has(run.trace_json, R"("from":"Client","to":"CA")")) << "the client asked the CA itself";
  EXPECT_TRUE(has(run.trace_json, "no CA round trip")) << run.trace_json;
  // The session page says the server stapled the CA's answer.
  EXPECT_TRUE(has(run.body, "stapled into this session")) << run.body;
}

TEST(Stapling, AutoUsesTheStaple) {
  Lab lab(stapling());
  ClientRun run = lab.run_client(without_ca(lab.client_settings()));  // auto is the default
  ASSERT_EQ(run.outcome.code, ExitCode::ok) << run.outcome.line;
}

TEST(Stapling, StapledWithoutAStapleIsBadCertificateStatusResponse) {
  Lab lab;  // no --staple-from: the server staples nothing
  auto settings = lab.client_settings();
  settings.ca_check = CaCheck::stapled;
  ClientRun run = lab.run_client(settings);
  EXPECT_EQ(run.outcome.code, ExitCode::ca_check_failed);
  EXPECT_TRUE(has(run.outcome.line, "bad_certificate_status_response")) << run.outcome.line;
  EXPECT_FALSE(has(run.trace_json, R"("arrow":3,)")) << "must-staple asked the CA anyway";
}

TEST(Stapling, AutoWithoutAStapleAsksTheCaItself) {
  Lab lab;
  ClientRun run = lab.run_client(lab.client_settings());
  ASSERT_EQ(run.outcome.code, ExitCode::ok) << run.outcome.line;
  EXPECT_TRUE(has(run.trace_json, R"("arrow":3,"from":"Client","to":"CA")")) << run.trace_json;
}

TEST(Stapling, DirectNeverAsksForAStaple) {
  Lab lab(stapling());
  auto settings = lab.client_settings();
  settings.ca_check = CaCheck::direct;
  ClientRun run = lab.run_client(settings);
  ASSERT_EQ(run.outcome.code, ExitCode::ok) << run.outcome.line;
  EXPECT_TRUE(has(run.trace_json, R"("arrow":3,"from":"Client","to":"CA")")) << run.trace_json;
  EXPECT_FALSE(has(run.trace_json, R"("from":"Server","to":"CA")")) << run.trace_json;
  EXPECT_FALSE(has(run.body, "stapled into this session")) << "stapled without being asked";
}

TEST(Stapling, RevocationReachesStapledClientsOnlyAtTheNextRefresh) {
  Lab lab(stapling(1500ms));
  ASSERT_EQ(lab.database().revoke(lab.server_serial(), 1, std::time(nullptr)), ca::Database::RevokeOutcome::revoked);
  // The staple still says good: an auto client accepts, a direct one refuses at once.
  ClientRun stale = lab.run_client(without_ca(lab.client_settings()));
  EXPECT_EQ(stale.outcome.code, ExitCode::ok) << stale.outcome.line;
  auto direct = lab.client_settings();
  direct.ca_check = CaCheck::direct;
  ClientRun refused = lab.run_client(direct);
  EXPECT_EQ(refused.outcome.code, ExitCode::certificate_status);
  EXPECT_TRUE(has(refused.outcome.line, "certificate_revoked")) << refused.outcome.line;
  // After the refresh the staple says revoked, and that ends it under auto and stapled alike.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  ClientRun later;
  do {
    std::this_thread::sleep_for(100ms);
    auto settings = without_ca(lab.client_settings());
    settings.ca_check = CaCheck::stapled;
    later = lab.run_client(settings);
  } while (later.outcome.code == ExitCode::ok && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(later.outcome.code, ExitCode::certificate_status) << later.outcome.line;
  EXPECT_TRUE(has(later.outcome.line, "certificate_revoked")) << later.outcome.line;
}

TEST(Stapling, AStapleOlderThanMaxStapleAgeIsNotUsed) {
  Lab lab(stapling());
  std::this_thread::sleep_for(2100ms);  // thisUpdate has a one-second grain
  auto settings = without_ca(lab.client_settings());
  settings.ca_check = CaCheck::stapled;
  settings.max_staple_age = 1s;
  ClientRun refused = lab.run_client(settings);
  EXPECT_EQ(refused.outcome.code, ExitCode::ca_check_failed) << refused.outcome.line;
  EXPECT_TRUE(has(refused.outcome.line, "bad_certificate_status_response")) << refused.outcome.line;
  // Under auto the client asks the CA itself instead, and says why.
  auto fallback = lab.client_settings();
  fallback.max_staple_age = 1s;
  ClientRun run = lab.run_client(fallback);
  ASSERT_EQ(run.outcome.code, ExitCode::ok) << run.outcome.line;
  EXPECT_TRUE(has(run.trace_json, "asks the CA itself")) << run.trace_json;
  EXPECT_TRUE(has(run.trace_json, R"("arrow":3,"from":"Client","to":"CA")")) << run.trace_json;
}

TEST(Stapling, RefreshDelayIsHalfTheValidityAtMostTheRefreshInterval) {
  crypto::VerifiedStatus answer;
  answer.this_update = 1000;
  answer.next_update = 1600;
  EXPECT_EQ(server::refresh_delay(answer, 1000, std::chrono::minutes(10)), 300s);
  EXPECT_EQ(server::refresh_delay(answer, 1000, 20s), 20s);
  EXPECT_EQ(server::refresh_delay(answer, 1400, std::chrono::minutes(10)), 100ms);
  EXPECT_EQ(server::retry_delay(1, std::chrono::minutes(10)), 1s);
  EXPECT_EQ(server::retry_delay(3, std::chrono::minutes(10)), 4s);
  EXPECT_EQ(server::retry_delay(30, 20s), 20s);
}

}  // namespace
}  // namespace tlslab::integration
