#pragma once
// One named logger per executable (STYLE.md), set up the same way for all of them:
// - every message is passed through printable(): a log line may quote what a peer sent (a host
//   name, a reason), and a terminal obeys escape sequences;
// - asynchronous, dropping the oldest lines when the output falls behind: a slow terminal delays
//   the log, never a session;
// - PeerWarnings keeps one misbehaving peer from filling the log.
#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tlslab {

enum class LogStream : std::uint8_t { out, err };

// The program's logger ("tlslab-server"), also made spdlog's default. Keep the returned guard
// alive in main(): its destructor writes what is queued before the process exits.
class ProgramLog {
 public:
  ProgramLog(std::string_view program, spdlog::level::level_enum level, LogStream stream = LogStream::out);
  ~ProgramLog();
  ProgramLog(const ProgramLog&) = delete;
  ProgramLog& operator=(const ProgramLog&) = delete;

  [[nodiscard]] const std::shared_ptr<spdlog::logger>& logger() const noexcept { return logger_; }

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

// A logger as ProgramLog makes it, synchronous and writing to `sink` (for tests).
std::shared_ptr<spdlog::logger> make_escaping_logger(std::string name, spdlog::sink_ptr sink);

// At most `burst` warnings about one peer address per `window`; the rest are counted and the
// count is reported with the first warning of the next window ("… 812 more about 127.0.0.1
// suppressed"). Bounded: it forgets every peer when it tracks `max_peers`. Thread-safe.
class PeerWarnings {
 public:
  PeerWarnings(unsigned burst = 5, std::chrono::seconds window = std::chrono::seconds(10), std::size_t max_peers = 4096)
      : burst_(burst), window_(window), max_peers_(max_peers) {}

  struct Decision {
    bool log = false;              // write this warning
    std::uint64_t suppressed = 0;  // warnings about this peer not written since the last one that was
  };
  Decision admit(const std::string& peer, std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

 private:
  struct Window {
    std::chrono::steady_clock::time_point start;
    unsigned logged = 0;
    std::uint64_t suppressed = 0;
  };
  unsigned burst_;
  std::chrono::seconds window_;
  std::size_t max_peers_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> peers_;
};

}  // namespace tlslab
