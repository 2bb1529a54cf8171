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

// The bound shows as forgetting: peer 0 has used its one warning of the window; after 1,000 other
// peers (more than the 8 it may track) it is a stranger again, so its next warning is written. A
// table without the bound would still hold peer 0 and keep it quiet until the window ends.
TEST(PeerWarnings, ForgetsPeersRatherThanGrowWithoutBound) {
  PeerWarnings warnings(1, std::chrono::seconds(10), 8);
  auto now = std::chrono::steady_clock::now();
  ASSERT_TRUE(warnings.admit("peer 0", now).log);
  ASSERT_FALSE(warnings.admit("peer 0", now).log) << "a burst of 1: the second warning in the window is held";
  for (int i = 1; i <= 1000; ++i) warnings.admit("peer " + std::to_string(i), now);
  EXPECT_TRUE(warnings.admit("peer 0", now).log) << "peer 0 is still remembered after 1,000 others: no bound";
}

}  // namespace
}  // namespace tlslab
