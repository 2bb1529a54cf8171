#pragma once
// The server's side of the handshake, top to bottom, one co_await per arrow.
#include "server_config.hpp"
#include "tlslab/cipher_suite.hpp"
#include "tlslab/messages.hpp"
#include "tlslab/net/channel.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::server {

struct SessionParameters {
  SuiteInfo suite;
  Random client_random{};
  Random server_random{};
  std::string server_name;  // from the ClientHello's server_name, if any
};

// Throws ProtocolError; on return both directions are protected.
awaitable<SessionParameters> run_handshake(net::Channel& channel, const ServerIdentity& identity,
                                           const ServerSettings& settings, SessionTrace& trace);

}  // namespace tlslab::server
