#include "tlslab/net/listener.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <stdexcept>
#include <thread>
#include <vector>

#include "tlslab/failure_reason.hpp"

namespace tlslab::net {

tcp::acceptor bind_acceptor(asio::io_context& io, const tcp::endpoint& endpoint) {
  tcp::acceptor acceptor(io);
  boost::system::error_code error;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    throw std::runtime_error("cannot listen on " + endpoint.address().to_string() + ":" +
                             std::to_string(endpoint.port()) + ": " + error.message() +
                             (error == asio::error::address_in_use ? " (choose another port, or port 0 for any)" : ""));
  }
  return acceptor;
}

IoPool::IoPool(unsigned threads) {
  for (unsigned i = 0; i < std::max(threads, 1u); ++i) {
    // Concurrency hint 1: each io_context is run by one thread (other threads only post to it).
    contexts_.push_back(std::make_unique<asio::io_context>(1));
  }
}

void IoPool::stop() {
  for (auto& io : contexts_) io->stop();
}

asio::io_context& IoPool::next() noexcept {
  return *contexts_[next_.fetch_add(1) % contexts_.size()];
}

void IoPool::run_until_signal(const std::function<void()>& on_stop) {
  asio::signal_set signals(main(), SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int) {
    if (error) return;
    on_stop();
    for (auto& io : contexts_) io->stop();
  });
  // The other io_contexts have no work until a connection arrives: keep them running meanwhile.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  for (auto& io : contexts_) keep_running.push_back(asio::make_work_guard(*io));
  std::vector<std::thread> workers;
  for (std::size_t i = 1; i < contexts_.size(); ++i) workers.emplace_back([io = contexts_[i].get()] { io->run(); });
  main().run();
  for (auto& io : contexts_) io->stop();
  for (auto& worker : workers) worker.join();
}

awaitable<void> accept_loop(tcp::acceptor& acceptor, IoPool& pool, ConnectionHandler handler,
                            std::shared_ptr<spdlog::logger> log, ListenerOptions options,
                            std::shared_ptr<std::atomic<std::uint64_t>> next_id) {
  auto active = std::make_shared<std::atomic<std::size_t>>(0);
  while (acceptor.is_open()) {
    auto [error, socket] = co_await acceptor.async_accept(pool.next(), asio::as_tuple(use_awaitable));
    if (error == asio::error::operation_aborted) break;  // stopping
    if (error) {
      log->warn("accept failed: {} (still listening)", error.message());
      if (error == asio::error::no_descriptors) {
        asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::as_tuple(use_awaitable));
      }
      continue;
    }
    std::uint64_t id = next_id->fetch_add(1) + 1;
    if (active->load() >= options.max_connections) {
      log->warn("[conn {}] refused: {} connections open, the limit is {} (--max-connections)", id, active->load(),
                options.max_connections);
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    boost::system::error_code ignored;  // a peer that reset at once fails here; its session fails at its first read
    socket.set_option(tcp::no_delay(true), ignored);
    active->fetch_add(1);
    // Each connection on its own io_context's thread, its failure reported here.
    auto executor = socket.get_executor();
    asio::co_spawn(executor, handler(std::move(socket), id), [log, active, id](std::exception_ptr failure) {
      active->fetch_sub(1);
      if (failure) log->error("[conn {}] connection ended by an unexpected error: {}", id, failure_reason(failure));
    });
  }
}

void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace tlslab::net
