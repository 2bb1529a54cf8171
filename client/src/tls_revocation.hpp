#pragma once
// Arrows 3–4 of a real TLS handshake (tlslab-client --tls): the status of the server's CERTIFICATE,
// checked while libssl is inside the handshake, so that a revoked certificate ends it with a real
// alert that libssl itself sends. The check runs from libssl's callbacks:
// - the verify callback, at depth 0 once libssl has verified the chain, the dates and the host name:
//   --ca-check direct (OCSP over HTTP to the responder in the certificate's AIA), crl (the CA's
//   list), and, in TLS 1.3, the staple (it travels inside the Certificate message). A failure there
//   is an X509 error (X509_V_ERR_CERT_REVOKED, …) that libssl turns into its alert:
//   certificate_revoked for a revoked certificate.
// - the status callback, in TLS 1.2, where the staple arrives in CertificateStatus after the chain
//   was verified: stapled and auto when the ServerHello agreed to staple. libssl sends
//   bad_certificate_status_response when it refuses (the only alert its status callback can
//   send); the one line still says revoked. When the ServerHello did not agree, no staple can
//   come, and the verify callback decides at once.
// The I/O of a check (an OCSP POST, a CRL fetch) runs to completion inside the callback, on its own
// io_context, under --timeout-ms: libssl's callbacks cannot wait asynchronously through Asio's
// ssl::stream (SSL_ERROR_WANT_RETRY_VERIFY is not one of the states its engine knows).
#include <openssl/ssl.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "client_config.hpp"
#include "tlslab/alert.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/tls/tap.hpp"
#include "tlslab/trace/event.hpp"

namespace tlslab::client {

struct RevocationCheck {
  const ClientSettings* settings = nullptr;
  // The connection's tap: in TLS 1.2 its ServerHello says whether a staple will follow.
  const tls::Tap* tap = nullptr;
  bool tracing = false;
  // The session's beginning: the check's events count their elapsed_ms from it, as the tap's do.
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  // Set by the verify callback at depth 0: the server's certificate and its issuer from the chain
  // libssl verified (a trust anchor or an intermediate that chains to one).
  ossl::X509Ptr certificate;
  ossl::X509Ptr issuer;
  // The chain failed libssl's own checks: its X509 error (libssl's verdict, not weakened).
  std::optional<long> chain_error;
  bool decided = false;
  bool stapled = false;  // a usable staple decided
  // When the check refused the certificate: the alert it stands for (certificate_revoked,
  // certificate_unknown, bad_certificate_status_response) and one line saying why.
  std::optional<AlertDescription> refused;
  std::string line;
  std::string warning;  // --ca-check auto and no way to check: said, and the handshake goes on
  // The nextUpdate of the CA's answer that let the certificate pass (0: none): a session kept for
  // resumption (--session-file) is not offered past it, since resuming skips the CA check.
  std::time_t next_update = 0;
  // Arrows 3–4 and the local steps of the check, emitted after arrow 2 once the handshake is over.
  std::vector<HandshakeEvent> events;
};

// Makes `check` the CA check of `ssl` (which must not outlive it): its verify callback (SSL_VERIFY_PEER
// kept), and the status callback of its SSL_CTX.
void install_revocation_check(SSL* ssl, RevocationCheck& check);

}  // namespace tlslab::client
