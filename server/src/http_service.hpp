#pragma once
// Arrow 8 on the server: HTTP/1.1 requests over the encrypted channel, parsed and serialized by
// Boost.Beast through net::SecureStream. What each request gets is decided in routes.hpp; this is
// the loop that reads requests (with limits and a whole-request deadline) and writes answers.
#include <spdlog/logger.h>

#include <functional>
#include <string>

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

// What the HTTP loop needs from the connection beneath it, so that one loop serves the lab's
// encrypted channel (net::SecureStream) and real TLS (an Asio ssl::stream) alike.
struct HttpConnection {
  // The whole request must arrive by `deadline`; then back to the connection's own deadlines.
  std::function<void(net::Clock::time_point deadline)> set_deadline;
  std::function<void()> clear_deadline;
  // Whether a failed read is the stream's failure (then `fail`), not a request that is not HTTP (400).
  std::function<bool(const boost::system::error_code& error)> broken;
  // A failure of the stream beneath HTTP (not a malformed request): throws, saying what ended it.
  std::function<void(const boost::system::error_code& error)> fail;
  // GET /bytes/N: `bytes` written as application data, as directly as the connection can.
  std::function<awaitable<void>(ByteView bytes)> write_bulk;
  // The built-in page at "/": what this connection agreed on.
  std::function<std::string()> session_page;
};

// The loop itself, for any Asio byte stream (instantiated for net::SecureStream and the ssl::stream
// of tlslab-server --tls).
template <class Stream>
awaitable<std::uint64_t> serve_http(Stream& stream, HttpConnection& connection, const ServerSettings& settings,
                                    SessionTrace& trace, spdlog::logger& log);

}  // namespace tlslab::server
