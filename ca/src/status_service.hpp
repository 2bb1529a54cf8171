#pragma once
// Arrows 3 and 4 on the CA's side: the framed validation service (PROTOCOL.md §9). A connection
// may carry many requests (at most max_requests_per_connection); each must arrive whole within
// the request deadline (slow senders are cut); a frame that does not decode gets an alert and the
// connection closes. Nothing a client sends affects another client. Each request and its answer
// are two arrows of the CA's trace.
#include <spdlog/logger.h>

#include <memory>

#include "responder.hpp"
#include "tlslab/logging.hpp"
#include "tlslab/net/channel.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::ca {

struct ServiceOptions {
  std::chrono::milliseconds request_deadline{5'000};  // from the first byte awaited to the whole request
  std::chrono::milliseconds idle{30'000};             // between requests on a kept-alive connection
  // Each answer costs a signature: one connection gets at most this many, then it is closed
  // (PROTOCOL.md §9; a client reconnects, as tlslab-bench's StatusClient does).
  std::uint64_t max_requests_per_connection = 100;
};

// What every connection of the service shares.
struct StatusContext {
  const Responder& responder;
  ServiceOptions options;
  Trace& trace;
  std::shared_ptr<spdlog::logger> log;
  PeerWarnings warnings;
};

awaitable<void> serve_status_connection(tcp::socket socket, std::uint64_t id, StatusContext& context);

}  // namespace tlslab::ca
