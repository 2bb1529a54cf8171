#pragma once
// Arrows 3–4 the way the web does them (RFC 6960 A.1): the client builds an OCSPRequest for the
// server's CERTIFICATE with a fresh nonce, POSTs it to the responder the certificate names in its
// Authority Information Access (id-ad-ocsp), and verifies the signed answer with the trusted CA's
// PUBLIC KEY: signature, nonce, CertID, thisUpdate/nextUpdate (crypto::verify_ocsp_response, the
// check the lab's framed CA answer gets too). Takes a certificate and its issuer, never a lab
// message, so that a real TLS client and the lab client can share it.
#include <chrono>
#include <optional>
#include <string>

#include "tlslab/bytes.hpp"
#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/net/asio.hpp"
#include "tlslab/result.hpp"

namespace tlslab::net {

// The OCSP responder's URL from the certificate's Authority Information Access (id-ad-ocsp): the
// first http:// one; nullopt when the certificate names none. A responder that is not
// http://HOST[:PORT]/PATH (https://, file://, no host, …) is a one-line failure
// (bad_certificate_status_response): it is never fetched.
Result<std::optional<std::string>> ocsp_responder_url(X509* certificate);

struct OcspQuery {
  X509* certificate = nullptr;
  // The certificate's issuer: the CertID is made from its name and key. It must be trusted: a
  // trust anchor, or the issuer in a chain the caller verified up to one.
  X509* issuer = nullptr;
  const crypto::TrustStore* trust = nullptr;
  std::string url;  // from ocsp_responder_url, or given
  std::chrono::milliseconds deadline{10000};
};

enum class OcspVerdict : std::uint8_t { good, revoked, unknown, does_not_verify };
std::string_view to_string(OcspVerdict verdict);

// One exchange with what a trace shows of it.
struct OcspOverHttp {
  std::string url;
  Bytes nonce;         // the request's nonce extension value
  Bytes request_der;   // the OCSPRequest POSTed
  Bytes response_der;  // the OCSPResponse that came back (empty when none did)
  std::string peer;    // "127.0.0.1:8080" once connected
  double elapsed_ms = 0;
  // The verified answer, or why there is none (the POST failed, or the answer does not verify).
  Result<crypto::VerifiedStatus> verified = fail(AlertDescription::bad_certificate_status_response, "not asked");

  [[nodiscard]] OcspVerdict verdict() const;
  // One line: "good (thisUpdate …)", "revoked at … (keyCompromise)", "unknown", or why it does not verify.
  [[nodiscard]] std::string summary() const;
};

// The DER OCSPRequest for `certificate` (SHA-1 CertID, as RFC 5019 asks) with `nonce`.
Bytes build_ocsp_request(X509* certificate, X509* issuer, ByteView nonce);

// Builds the request with a fresh 16-byte nonce, POSTs it (Content-Type application/ocsp-request,
// one deadline, the answer at most 64 KiB, no redirect followed, 200 only) and verifies the answer.
// Never throws for what the network or the responder does: that is in `verified`.
awaitable<OcspOverHttp> ask_ocsp_responder(OcspQuery query);

inline constexpr std::size_t max_ocsp_response_size = 64 * 1024;

}  // namespace tlslab::net
