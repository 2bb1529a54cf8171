#pragma once
// What every tlslab service shares: bind, accept forever (an accept error is logged and the loop
// goes on), one coroutine per connection whose exception is reported and never reaches another,
// a cap on concurrent connections, one io_context per thread, a clean stop on SIGINT/SIGTERM.
#include <spdlog/logger.h>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "tlslab/net/asio.hpp"

namespace tlslab::net {

using ConnectionHandler = std::function<awaitable<void>(tcp::socket, std::uint64_t connection_id)>;

struct ListenerOptions {
  std::size_t max_connections = 4096;
};

// One io_context per thread, each run by its own thread. A connection is placed on one of them
// when it is accepted and stays there until it closes, so its handlers never wait for another
// thread's lock or wake-up (with one io_context shared by N threads, every completion goes
// through one locked queue).
class IoPool {
 public:
  explicit IoPool(unsigned threads);
  // Where the acceptors and the signal handling live.
  [[nodiscard]] asio::io_context& main() noexcept { return *contexts_.front(); }
  // The io_context for the next accepted connection, round robin.
  asio::io_context& next() noexcept;
  // Runs every io_context on its own thread until SIGINT or SIGTERM (then calls `on_stop`: close
  // the acceptors) or stop(), and stops them all.
  void run_until_signal(const std::function<void()>& on_stop);
  // Ends run_until_signal from any thread.
  void stop();

 private:
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::atomic<std::size_t> next_{0};
};

// Throws std::runtime_error naming the address ("address already in use", …).
tcp::acceptor bind_acceptor(asio::io_context& io, const tcp::endpoint& endpoint);

// Accepts until the acceptor is closed, each connection onto the pool's next io_context.
// Connections past max_connections are closed at once with a warning in the log.
awaitable<void> accept_loop(tcp::acceptor& acceptor, IoPool& pool, ConnectionHandler handler,
                            std::shared_ptr<spdlog::logger> log, ListenerOptions options,
                            std::shared_ptr<std::atomic<std::uint64_t>> next_id);

// Raises the open-file limit to its hard maximum: a server holding 10,000 sessions needs it.
void raise_open_file_limit();

}  // namespace tlslab::net
