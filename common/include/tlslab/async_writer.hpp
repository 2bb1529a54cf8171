#pragma once
// Text written to a FILE* by a thread of its own. The trace of a server goes to a terminal or a
// pipe; written under a lock from the sessions' threads, a slow terminal (or a pipe nobody reads)
// would stall every handshake of the process. Here a session only appends to a queue: when the
// output falls more than `max_pending` bytes behind, new text is dropped and counted, and the
// count is written as soon as the output catches up.
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace tlslab {

class AsyncWriter {
 public:
  explicit AsyncWriter(std::FILE* out, std::size_t max_pending = std::size_t{4} << 20);
  // Writes what is queued, then stops the thread (a process that exits normally loses nothing).
  ~AsyncWriter();
  AsyncWriter(const AsyncWriter&) = delete;
  AsyncWriter& operator=(const AsyncWriter&) = delete;

  // Never waits for the output.
  void write(std::string text);
  // Waits until everything queued so far has been written and flushed.
  void flush();
  [[nodiscard]] std::size_t dropped() const;

 private:
  void run();

  std::FILE* out_;
  std::size_t max_pending_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable written_;
  std::deque<std::string> queue_;
  std::size_t pending_bytes_ = 0;
  std::size_t dropped_ = 0;  // lines dropped in all
  std::size_t dropped_unreported_ = 0;
  std::uint64_t queued_count_ = 0;   // texts accepted so far
  std::uint64_t written_count_ = 0;  // of which written
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace tlslab
