// The terminal trace (trace.hpp): columns that line up with colors on, peer text that cannot
// command the terminal, secrets not even formatted unless shown, and a slow output that never
// holds up the sessions.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <future>
#include <string>
#include <thread>

#include "tlslab/trace.hpp"
#include "tlslab/trace/json_lines.hpp"

namespace tlslab {
namespace {

std::string render(TraceOptions options, const HandshakeEvent& event) {
  std::FILE* out = std::tmpfile();
  options.out = out;
  {
    Trace trace(options);
    trace.emit(event);
  }
  std::rewind(out);
  std::string text;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, out)) text.append(buffer, n);
  std::fclose(out);
  return text;
}

// The text without its ANSI color sequences (ESC [ digits and semicolons m).
std::string without_colors(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      std::size_t end = text.find('m', i);
      if (end != std::string::npos) {
        i = end;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

HandshakeEvent sample_step(std::uint64_t connection = 0) {
  HandshakeEvent event;
  event.connection = connection;
  event.arrow = 2;
  event.from = "Server";
  event.to = "Client";
  event.message = "ServerHello";
  event.description = "returns RAND-SERVER";
  event.fields = {{"RAND-SERVER", "ab", TraceColor::rand_server},
                  {"version", "tlslab/1.0", TraceColor::plain},
                  {"CERTIFICATE", "CN=localhost", TraceColor::certificate}};
  return event;
}

// Arrows 3–4 learnt of at arrow 2 say where the answer was meanwhile: a staple says when the CA
// answered; a cached CRL says when it was fetched and that it was kept, not that the CA answered then.
TEST(Trace, AheadOfTimeSaysWhereTheAnswerWasKept) {
  AheadOfTime staple{"2026-12-06T10:00:00Z", 42, 2};
  EXPECT_EQ(ahead_of_time_words(staple),
            "ahead of time, before arrow 1: the CA answered at 2026-12-06T10:00:00Z (thisUpdate), 42 s before arrow 2");
  EXPECT_EQ(ahead_of_time_json(staple).find("source"), std::string::npos);
  AheadOfTime cached = staple;
  cached.source = AheadOfTime::Source::cache;
  EXPECT_EQ(ahead_of_time_words(cached),
            "ahead of time, before arrow 1: fetched from the CA at 2026-12-06T10:00:00Z and kept in the cache, 42 s "
            "before arrow 2");
  EXPECT_NE(ahead_of_time_json(cached).find("\"source\":\"cache\""), std::string::npos);
}

TEST(Trace, FieldValuesLineUpWithColorsOn) {
  TraceOptions options;
  options.color = true;
  std::string colored = render(options, sample_step());
  ASSERT_NE(colored.find("\x1b[38;2;"), std::string::npos) << "colors were not forced on";
  std::string plain = without_colors(colored);
  std::vector<std::size_t> columns;
  std::size_t at = 0;
  for (std::string value : {"ab", "tlslab/1.0", "CN=localhost"}) {
    std::size_t found = plain.find(" " + value + "\n", at);
    ASSERT_NE(found, std::string::npos) << value << " in\n" << plain;
    std::size_t line_start = plain.rfind('\n', found) + 1;
    columns.push_back(found + 1 - line_start);
    at = found;
  }
  EXPECT_EQ(columns[0], columns[1]);
  EXPECT_EQ(columns[1], columns[2]);
  // And the same columns as without colors.
  EXPECT_EQ(plain, render(TraceOptions{}, sample_step()));
}

TEST(Trace, PeerTextCannotCommandTheTerminal) {
  HandshakeEvent step = sample_step();
  step.message = "ClientHello\x1b[2J";
  step.fields.push_back({"server name", "x\n[conn 99] handshake complete\x1b]0;pwned\x07", TraceColor::plain});
  std::string text = render(TraceOptions{}, step);
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_EQ(text.find('\x07'), std::string::npos) << text;
  EXPECT_EQ(text.find("\n[conn 99]"), std::string::npos) << text;
  EXPECT_NE(text.find("\\x1b[2J"), std::string::npos) << text;
}

TEST(Trace, SecretsAreNotFormattedUnlessShown) {
  Bytes secret{0xde, 0xad};
  EXPECT_EQ(secret_field(false, "PRE-MASTER", secret, TraceColor::pre_master).value, "");
  EXPECT_EQ(secret_field(true, "PRE-MASTER", secret, TraceColor::pre_master).value, "dead");
}

// Nothing listens (a quiet bench): a session builds no event, so describe() is never called.
TEST(Trace, AQuietTraceBuildsNoEvent) {
  TraceOptions quiet;
  quiet.text = false;
  Trace trace(quiet);
  EXPECT_FALSE(trace.enabled());
  SessionTrace session(trace, 1);
  bool described = false;
  session.arrow(seed_flow().steps[0], std::nullopt, [&] {
    described = true;
    return std::vector<TraceField>{};
  });
  EXPECT_FALSE(described);
}

TEST(Trace, ASecretIsShownOnlyWhenAsked) {
  HandshakeEvent event = sample_step();
  event.fields.push_back({"PRE-MASTER", "0100deadbeef", TraceColor::pre_master, true});
  std::string hidden = render(TraceOptions{}, event);
  EXPECT_EQ(hidden.find("0100deadbeef"), std::string::npos);
  EXPECT_NE(hidden.find("(secret: add --show-secrets to see it)"), std::string::npos);
  TraceOptions shown;
  shown.show_secrets = true;
  EXPECT_NE(render(shown, event).find("0100deadbeef"), std::string::npos);
}

// A server whose stdout is a pipe nobody reads (or a terminal scrolled back) must keep serving:
// the trace queues, then drops and counts, and never makes a session wait.
TEST(Trace, ASlowOutputNeverBlocksTheSessions) {
  int pipe_ends[2];
  ASSERT_EQ(::pipe(pipe_ends), 0);
  std::FILE* out = ::fdopen(pipe_ends[1], "w");
  ASSERT_NE(out, nullptr);
  std::string received;
  std::thread reader;
  {
    TraceOptions options;
    options.out = out;
    Trace trace(options);
    // 40,000 steps of ~200 bytes: 8 MB, far beyond what a pipe (64 KiB) and the queue (4 MiB) hold.
    auto sessions = std::async(std::launch::async, [&] {
      for (int i = 0; i < 40000; ++i) trace.emit(sample_step(static_cast<std::uint64_t>(i % 50 + 1)));
    });
    // A hang detector, not a timing assertion: with a blocking trace this never completes while
    // nobody reads the pipe.
    bool finished = sessions.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
    reader = std::thread([&] {
      char buffer[65536];
      ssize_t n;
      while ((n = ::read(pipe_ends[0], buffer, sizeof buffer)) > 0)
        received.append(buffer, static_cast<std::size_t>(n));
    });
    EXPECT_TRUE(finished) << "the sessions were stuck behind a full pipe";
    sessions.wait();
  }  // the trace writes what it queued, and how much it dropped
  std::fclose(out);
  reader.join();
  ::close(pipe_ends[0]);
  EXPECT_NE(received.find("(2) Server → Client: ServerHello"), std::string::npos);
  EXPECT_NE(received.find("line(s) dropped here: the output was slower than the sessions"), std::string::npos);
}

}  // namespace
}  // namespace tlslab
