#pragma once
// Arrows 3–4 on the client: the status of the server's CERTIFICATE, from the staple the server
// fetched ahead of time (PROTOCOL.md §9.1), or from the CA itself (§9), as --ca-check says. Either
// way the answer is the CA's signature, verified with the CA'S PUBLIC KEY from the trust store.
#include <ctime>

#include "client_config.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/messages.hpp"
#include "tlslab/net/status_client.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::client {

// Throws ProtocolError: certificate_revoked / certificate_unknown when the CA says so,
// bad_certificate_status_response when there is no usable answer (a staple required and missing,
// the CA unreachable, a bad signature, …). Returns whether the staple decided, and the nextUpdate of
// the answer that did (a session ticket lives no longer, §7.8). `flow` is the variant chosen at
// arrow 2 (its words for the server's arrows 3–4).
struct CertificateStatus {
  bool stapled = false;
  std::time_t next_update = 0;
};
awaitable<CertificateStatus> check_certificate_status(const ClientSettings& settings, const crypto::TrustStore& trust,
                                                      net::StatusClient& ca_service, const ServerHello& server_hello,
                                                      X509* certificate, const Flow& flow, SessionTrace& trace);

}  // namespace tlslab::client
