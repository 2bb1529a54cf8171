#pragma once
// Standard OCSP over HTTP (RFC 6960 Appendix A.1): POST with Content-Type
// application/ocsp-request, answered with application/ocsp-response, so `openssl ocsp -url`
// works against the same CA. Boost.Beast, a deadline on every read, bounded header and body.
//
// Each exchange is traced like a framed one (status_service.hpp), as arrows 3 and 4 between the
// Client and the CA: the OCSPRequest with its CertIDs and nonce, the CA checking its database, and
// the answer it signed. OCSP over HTTP does not say who asks, so the trace says "an HTTP client"
// and its address. What is not an OCSP request (another method or Content-Type, a body that is not
// a DER OCSPRequest, a request that cannot be read) is one failure line. The listener also serves
// GET /crl (crl_http.hpp).
#include <spdlog/logger.h>

#include <memory>

#include "crl_publisher.hpp"
#include "responder.hpp"
#include "status_service.hpp"

namespace tlslab::ca {

// Traced into context.trace, with context.options' limits. With `crl`, the same listener also
// answers GET and HEAD /crl with the CA's current CRL (crl_http.hpp); any other GET is 404.
awaitable<void> serve_ocsp_http_connection(tcp::socket socket, std::uint64_t id, StatusContext& context,
                                           CrlPublisher* crl = nullptr);

}  // namespace tlslab::ca
