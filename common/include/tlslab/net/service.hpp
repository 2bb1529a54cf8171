#pragma once
// How every tlslab service runs (tlslab-server, both listeners of tlslab-ca serve, tlslab-mitm):
// bind, report the ports, accept on a pool of threads until SIGINT or SIGTERM, then stop. An
// accept loop that fails is never silent: it is logged as an error and the process stops with a
// non-zero status (a listener that died while the process stayed up would refuse every client).
#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tlslab/net/listener.hpp"

namespace tlslab::net {

struct ServiceListener {
  tcp::endpoint endpoint;     // port 0: any free port
  ConnectionHandler handler;  // one coroutine per connection
};

struct ServiceRun {
  unsigned threads = 0;  // 0: one per core
  std::size_t max_connections = 4096;
  std::shared_ptr<spdlog::logger> log;
  // Called once every listener is bound, with the bound endpoints in the listeners' order: the
  // programs print them ("listening on 127.0.0.1:43527"), and scripts read the ports there.
  std::function<void(std::span<const tcp::endpoint>)> on_listening;
  // Work that runs beside the listeners for as long as they do (tlslab-server's staple refresh). A
  // task that fails is, like a listener, logged as an error and stops the process.
  std::vector<std::function<awaitable<void>()>> background = {};
};

// Throws std::runtime_error when a listener cannot bind. Returns 0 after SIGINT/SIGTERM, 1 when an
// accept loop failed.
int serve(std::vector<ServiceListener> listeners, const ServiceRun& run);

}  // namespace tlslab::net
