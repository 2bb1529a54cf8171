#pragma once
// tlslab-server --tls: one client connection speaking real TLS 1.2/1.3, with OpenSSL's libssl
// running the protocol (issue 24). The handshake within the lab's handshake deadline, traced on the
// seed's arrows by the tap when the trace is on; then the same HTTP service as the lab's; then
// close_notify. A failed handshake is one line naming libssl's reason and the alert.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server_session.hpp"
#include "tlslab/bytes.hpp"
#include "tlslab/tls/context.hpp"

namespace tlslab::server {

// What a TLS connection agreed on, for its session page.
struct TlsSessionFacts {
  std::string protocol;  // "TLS 1.3"
  std::string suite;     // IANA name
  std::string group;     // "x25519"; empty for RSA key transport
  Bytes client_random;
  Bytes server_random;
  std::string server_name;                      // SNI, "" when none
  std::vector<std::string> offered_groups;      // the ClientHello's supported_groups, in its order
  std::vector<std::string> offered_key_shares;  // TLS 1.3: the groups it sent a key share in (tapped only)
  std::vector<std::string> offered_suites;
  // Each arrow as it happened: (arrow, "Server → Client", "ServerHello + Certificate + …"). Tapped
  // when the trace is on; otherwise the flow libssl followed, from what it negotiated.
  struct Arrow {
    int arrow = 0;
    std::string parties;
    std::string messages;
    std::string description;
  };
  std::vector<Arrow> arrows;
  bool tapped = false;
  std::string staple;                             // "" when nothing was stapled; else what was
  std::optional<std::string> client_certificate;  // the verified client's subject and serial
};

// The SSL_CTX and the HTTP loop's settings, shared by every TLS connection.
struct TlsServerContext {
  ServerContext& base;
  tls::Context& tls;
};

awaitable<void> serve_tls_connection(tcp::socket socket, std::uint64_t connection, TlsServerContext& context);

}  // namespace tlslab::server
