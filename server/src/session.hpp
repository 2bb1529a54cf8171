#pragma once
// One client connection, from accept to close: the handshake, then requests; any failure is
// reported to the client as a typed alert and to the operator as one log line.
#include <spdlog/logger.h>

#include <memory>

#include "server_config.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::server {

awaitable<void> serve_connection(tcp::socket socket, std::uint64_t connection, const ServerIdentity& identity,
                                 const ServerSettings& settings, Trace& trace, std::shared_ptr<spdlog::logger> log);

}  // namespace tlslab::server
