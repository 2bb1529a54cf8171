#pragma once
// Arrow 8 on the server: HTTP/1.1 requests over the encrypted channel, parsed and serialized by
// Boost.Beast through net::SecureStream. What each request gets is decided in routes.hpp; this is
// the loop that reads requests (with limits and a whole-request deadline) and writes answers.
#include <spdlog/logger.h>

#include "handshake.hpp"
#include "server_config.hpp"
#include "tlslab/net/channel.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::server {

// Serves requests until the client's close_notify (returns the number of requests served) or a
// failure (throws ProtocolError).
awaitable<std::uint64_t> serve_requests(net::Channel& channel, const ServerIdentity& identity,
                                        const ServerSettings& settings, const SessionParameters& session,
                                        SessionTrace& trace, spdlog::logger& log);

}  // namespace tlslab::server
