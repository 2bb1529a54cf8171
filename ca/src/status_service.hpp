#pragma once
// Arrows 3 and 4 on the CA's side: the framed validation service (PROTOCOL.md §9). A connection
// may carry many requests; each must arrive whole within the request deadline (slow senders are
// cut); a frame that does not decode gets an alert and the connection closes. Nothing a client
// sends affects another client.
#include <spdlog/logger.h>

#include <memory>

#include "responder.hpp"
#include "tlslab/net/channel.hpp"

namespace tlslab::ca {

struct ServiceOptions {
  std::chrono::milliseconds request_deadline{5'000};  // from the first byte awaited to the whole request
  std::chrono::milliseconds idle{30'000};              // between requests on a kept-alive connection
  // Each answer costs a signature: one connection gets at most this many, then it is closed
  // (PROTOCOL.md §9; a client reconnects, as tlslab-bench's StatusClient does).
  std::uint64_t max_requests_per_connection = 100;
};

awaitable<void> serve_status_connection(tcp::socket socket, std::uint64_t id, const Responder& responder,
                                        ServiceOptions options, std::shared_ptr<spdlog::logger> log);

}  // namespace tlslab::ca
