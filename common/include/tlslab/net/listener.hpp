#pragma once
// What every tlslab service shares: bind, accept forever (an accept error is logged and the loop
// goes on), one coroutine per connection whose exception is reported and never reaches another,
// a cap on concurrent connections, N threads on one io_context, a clean stop on SIGINT/SIGTERM.
#include <spdlog/logger.h>

#include <atomic>
#include <functional>
#include <memory>

#include "tlslab/net/asio.hpp"

namespace tlslab::net {

using ConnectionHandler = std::function<awaitable<void>(tcp::socket, std::uint64_t connection_id)>;

struct ListenerOptions {
  std::size_t max_connections = 16384;
};

// Throws std::runtime_error naming the address ("address already in use", …).
tcp::acceptor bind_acceptor(asio::io_context& io, const tcp::endpoint& endpoint);

// Accepts until the acceptor is closed. Connections past max_connections are closed at once with
// a warning in the log.
awaitable<void> accept_loop(tcp::acceptor& acceptor, ConnectionHandler handler, std::shared_ptr<spdlog::logger> log,
                            ListenerOptions options, std::shared_ptr<std::atomic<std::uint64_t>> next_id);

// Runs `io` on `threads` threads until SIGINT or SIGTERM, then calls `on_stop` (close the
// acceptors) and stops the io_context.
void run_until_signal(asio::io_context& io, unsigned threads, const std::function<void()>& on_stop);

// Raises the open-file limit to its hard maximum: a server holding 10,000 sessions needs it.
void raise_open_file_limit();

}  // namespace tlslab::net
