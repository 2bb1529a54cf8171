// The terminal trace (trace.hpp): columns that line up with colors on, peer text that cannot
// command the terminal, secrets not even formatted unless shown, and a slow output that never
// holds up the sessions.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <future>
#include <string>
#include <thread>

#include "tlslab/trace.hpp"

namespace tlslab {
namespace {

std::string render(TraceOptions options, const TraceStep& step) {
  std::FILE* out = std::tmpfile();
  options.out = out;
  {
    Trace trace(options);
    trace.step(0, step);
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

TraceStep sample_step() {
  return {2, "Server", "Client", "ServerHello", "returns RAND-SERVER",
          {{"RAND-SERVER", "ab", TraceColor::rand_server},
           {"version", "tlslab/1.0", TraceColor::plain},
           {"CERTIFICATE", "CN=localhost", TraceColor::certificate}}};
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
  TraceStep step = sample_step();
  step.message = "ClientHello\x1b[2J";
  step.fields.push_back({"server name", "x\n[conn 99] handshake complete\x1b]0;pwned\x07", TraceColor::plain});
  std::string text = render(TraceOptions{}, step);
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_EQ(text.find('\x07'), std::string::npos) << text;
  EXPECT_EQ(text.find("\n[conn 99]"), std::string::npos) << text;
  EXPECT_NE(text.find("\\x1b[2J"), std::string::npos) << text;
}

TEST(Trace, SecretsAreNotFormattedUnlessShown) {
  TraceOptions hidden;
  Trace quiet_trace(hidden);
  Bytes secret{0xde, 0xad};
  EXPECT_EQ(secret_field(quiet_trace, "PRE-MASTER", secret, TraceColor::pre_master).value, "");
  TraceOptions shown;
  shown.show_secrets = true;
  shown.text = false;
  Trace loud_trace(shown);
  EXPECT_EQ(secret_field(loud_trace, "PRE-MASTER", secret, TraceColor::pre_master).value, "dead");
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
      for (int i = 0; i < 40000; ++i) trace.step(static_cast<std::uint64_t>(i % 50 + 1), sample_step());
    });
    // A hang detector, not a timing assertion: with a blocking trace this never completes while
    // nobody reads the pipe.
    bool finished = sessions.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
    reader = std::thread([&] {
      char buffer[65536];
      ssize_t n;
      while ((n = ::read(pipe_ends[0], buffer, sizeof buffer)) > 0) received.append(buffer, static_cast<std::size_t>(n));
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
