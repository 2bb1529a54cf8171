#include "tlslab/net/service.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

#include "tlslab/failure_reason.hpp"
#include "tlslab/net/endpoint.hpp"

namespace tlslab::net {

int serve(std::vector<ServiceListener> listeners, const ServiceRun& run) {
  raise_open_file_limit();
  unsigned threads = run.threads ? run.threads : std::max(1u, std::thread::hardware_concurrency());
  IoPool pool(threads);
  std::vector<tcp::acceptor> acceptors;
  std::vector<tcp::endpoint> bound;
  for (const auto& listener : listeners) {
    acceptors.push_back(bind_acceptor(pool.main(), listener.endpoint));
    bound.push_back(acceptors.back().local_endpoint());
  }
  auto next_id = std::make_shared<std::atomic<std::uint64_t>>(0);
  std::atomic<bool> failed = false;
  auto close_all = [&] {
    boost::system::error_code ignored;
    for (auto& acceptor : acceptors) acceptor.close(ignored);
  };
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    asio::co_spawn(pool.main(),
                   accept_loop(acceptors[i], pool, std::move(listeners[i].handler), run.log,
                               ListenerOptions{run.max_connections}, next_id),
                   [&, endpoint = bound[i]](std::exception_ptr failure) {
                     if (!failure) return;  // the acceptor was closed: stopping
                     run.log->error("the listener on {} failed: {}; stopping", endpoint_text(endpoint),
                                    failure_reason(failure));
                     failed = true;
                     close_all();
                     pool.stop();
                   });
  }
  for (const auto& task : run.background) {
    asio::co_spawn(pool.main(), task(), [&](std::exception_ptr failure) {
      if (!failure) return;
      run.log->error("a background task failed: {}; stopping", failure_reason(failure));
      failed = true;
      close_all();
      pool.stop();
    });
  }
  if (run.on_listening) run.on_listening(bound);
  pool.run_until_signal([&] {
    close_all();
    run.log->info("stopping: signal received");
  });
  return failed ? 1 : 0;
}

}  // namespace tlslab::net
