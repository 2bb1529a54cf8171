#pragma once
// Arrow 1 as the client builds it (PROTOCOL.md §4): RAND-CLIENT, the suites in preference order,
// the server name, and what the settings ask for: the ECDHE groups when an ECDHE suite is offered
// (§7.6), a staple unless the CA check is direct (§9.1), the offer of a client certificate (§7.7).
#include "client_config.hpp"
#include "tlslab/messages.hpp"

namespace tlslab::client {

ClientHello make_client_hello(const ClientSettings& settings, const Random& client_random);

}  // namespace tlslab::client
