// Resumption in one process (PROTOCOL.md §7.8): a full handshake keeps a ticket in the session
// file, the next one resumes on arrows 1, 2, 6, 7 with the CA gone, each frame fully spanned on
// both sides; a server with other ticket keys, or none, answers with a full handshake.
#include <gtest/gtest.h>

#include <ctime>
#include <memory>

#include "lab.hpp"
#include "session_file.hpp"
#include "test_pki.hpp"
#include "tlslab/field_span.hpp"

namespace tlslab::integration {
namespace {

using client::ExitCode;

std::vector<int> arrows_of(const std::vector<HandshakeEvent>& events) {
  std::vector<int> arrows;
  for (const auto& event : events) {
    if (event.frame && event.arrow >= 1 && event.arrow <= 7) arrows.push_back(event.arrow);
  }
  return arrows;
}

// A client of `lab` that keeps its ticket in `path` and offers the one there, if any.
client::ClientSettings with_session_file(const Lab& lab, const std::string& path) {
  client::ClientSettings settings = lab.client_settings();
  settings.session_file = path;
  auto loaded = client::load_session(path, settings.server_name, static_cast<std::int64_t>(std::time(nullptr)));
  if (loaded.session) settings.resume = std::make_shared<const client::StoredSession>(std::move(*loaded.session));
  return settings;
}

bool every_frame_spanned(const std::vector<HandshakeEvent>& events) {
  for (const auto& event : events) {
    if (event.frame && !covers_exactly(event.frame->spans, event.frame->bytes.size(), nullptr)) return false;
  }
  return true;
}

TEST(Resumption, TheSecondHandshakeResumesWithoutTheCa) {
  LabOptions options;
  options.tickets = true;
  Lab lab(options);
  test::TempDir directory;
  std::string path = directory.file("session");
  ClientRun first = lab.run_client(with_session_file(lab, path));
  ASSERT_EQ(first.outcome.code, ExitCode::ok) << first.outcome.line;
  EXPECT_EQ(arrows_of(first.events), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 7})) << "no NewSessionTicket after 7";
  auto kept = client::load_session(path, "localhost", static_cast<std::int64_t>(std::time(nullptr)));
  ASSERT_TRUE(kept.session) << kept.why_not;

  auto settings = with_session_file(lab, path);
  settings.ca_service = tcp::endpoint(asio::ip::make_address("127.0.0.1"), 9);  // no CA there
  ClientRun second = lab.run_client(settings);
  ASSERT_EQ(second.outcome.code, ExitCode::ok) << second.outcome.line;
  EXPECT_EQ(arrows_of(second.events), (std::vector<int>{1, 2, 6, 7}));
  EXPECT_NE(second.trace_json.find("ServerHello (resumed)"), std::string::npos);
  EXPECT_EQ(second.trace_json.find("PRE-MASTER\""), std::string::npos) << "a resumed trace names a PRE-MASTER field";
  EXPECT_TRUE(every_frame_spanned(first.events));
  EXPECT_TRUE(every_frame_spanned(second.events));
  EXPECT_TRUE(every_frame_spanned(lab.service_events().events()));
}

TEST(Resumption, AnotherServersTicketGivesAFullHandshake) {
  LabOptions options;
  options.tickets = true;
  Lab first_server(options);
  Lab second_server(options);  // other ticket keys: a server restarted without a key file
  test::TempDir directory;
  std::string path = directory.file("session");
  ASSERT_EQ(first_server.run_client(with_session_file(first_server, path)).outcome.code, ExitCode::ok);
  ClientRun run = second_server.run_client(with_session_file(second_server, path));
  ASSERT_EQ(run.outcome.code, ExitCode::ok) << run.outcome.line;
  EXPECT_EQ(arrows_of(run.events), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 7}));
}

TEST(Resumption, AServerWithoutTicketsAnswersNoneAndNeverResumes) {
  Lab lab;  // tickets off: the extension is not answered
  test::TempDir directory;
  std::string path = directory.file("session");
  ClientRun run = lab.run_client(with_session_file(lab, path));
  ASSERT_EQ(run.outcome.code, ExitCode::ok) << run.outcome.line;
  EXPECT_EQ(arrows_of(run.events), (std::vector<int>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_FALSE(client::load_session(path, "localhost", static_cast<std::int64_t>(std::time(nullptr))).session);
}

}  // namespace
}  // namespace tlslab::integration
