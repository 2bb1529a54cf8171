#pragma once
// Arrow 2 as the server builds it (PROTOCOL.md §5): RAND-SERVER, the suite, the CERTIFICATE and
// SERVER'S PUBLIC KEY, and the extensions of the variant chosen: the signed ephemeral key share
// (ECDHE, §7.6), the staple (§9.1), the request for the client's certificate (§7.7).
#include <vector>

#include "server_config.hpp"
#include "stapler.hpp"
#include "tlslab/crypto/ecdhe.hpp"
#include "tlslab/messages.hpp"
#include "tlslab/trace/event.hpp"

namespace tlslab::server {

struct ServerHelloParts {
  ProtocolVersion version;
  const SuiteInfo& suite;
  const crypto::EphemeralKey* ephemeral;  // ECDHE only
  const Staple* staple;                   // only when the client asked and the server holds one
  bool mutual;                            // ask for the client's certificate
};

ServerHello make_server_hello(const ServerHelloParts& parts, const ServerIdentity& identity,
                              const Random& client_random, const Random& server_random);

// The trace's fields of the ServerHello sent, with the staple's status and age when there is one.
std::vector<TraceField> describe_server_hello(const ServerHello& hello, const ServerIdentity& identity,
                                              const Staple* staple);

}  // namespace tlslab::server
