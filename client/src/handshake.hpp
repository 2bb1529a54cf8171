#pragma once
// The client's side of the handshake, top to bottom, one co_await per arrow, CA check included.
#include "client_config.hpp"
#include "tlslab/cipher_suite.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/messages.hpp"
#include "tlslab/net/channel.hpp"
#include "tlslab/net/status_client.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::client {

struct SessionParameters {
  SuiteInfo suite;
  Random client_random{};
  Random server_random{};
  std::string certificate_subject;
  std::string certificate_serial;
  bool stapled = false;  // the certificate's status came from the server's staple (§9.1)
  bool resumed = false;  // a session ticket resumed an earlier session (§7.8): no CERTIFICATE, no CA
};

// Throws ProtocolError; on return both directions are protected. Arrows 3–4 go through
// `ca_service` (a fresh connection in tlslab-client, a kept-alive one in tlslab-bench).
awaitable<SessionParameters> run_handshake(net::Channel& channel, const ClientSettings& settings,
                                           const crypto::TrustStore& trust, net::StatusClient& ca_service,
                                           SessionTrace& trace);

}  // namespace tlslab::client
