#pragma once
// One client connection, from accept to close: the handshake, then requests; any failure is
// reported to the client as a typed alert and to the operator as one log line.
#include <spdlog/logger.h>

#include <memory>

#include "server_config.hpp"
#include "tlslab/logging.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::server {

// What every session of the process shares.
struct ServerContext {
  const ServerIdentity& identity;
  const ServerSettings& settings;
  Trace& trace;
  std::shared_ptr<spdlog::logger> log;
  PeerWarnings warnings;  // one misbehaving peer cannot fill the log
};

awaitable<void> serve_connection(tcp::socket socket, std::uint64_t connection, ServerContext& context);

}  // namespace tlslab::server
