#pragma once
// The server's side of the handshake, top to bottom, one co_await per arrow.
#include <optional>
#include <string>

#include "server_config.hpp"
#include "tlslab/cipher_suite.hpp"
#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/messages.hpp"
#include "tlslab/net/channel.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::server {

struct SessionParameters {
  SuiteInfo suite;
  Random client_random{};
  Random server_random{};
  std::string server_name;  // from the ClientHello's server_name, if any
  // The staple sent in ServerHello, if any (§9.1).
  std::optional<crypto::VerifiedStatus> staple;
  // The client's certificate, when it authenticated with one (§7.7): as checked, and the CA's answer.
  struct ClientCertificate {
    std::string subject;
    std::string serial;
    std::string issuer;
    std::string valid;
    std::string status;  // the CA's answer: "good (thisUpdate …)"
  };
  std::optional<ClientCertificate> client;
  bool resumed = false;  // a session ticket resumed an earlier session (§7.8): no CERTIFICATE sent, no CA asked
};

// Throws ProtocolError; on return both directions are protected.
awaitable<SessionParameters> run_handshake(net::Channel& channel, const ServerIdentity& identity,
                                           const ServerSettings& settings, SessionTrace& trace);

}  // namespace tlslab::server
