#pragma once
// Standard OCSP over HTTP (RFC 6960 Appendix A.1): POST with Content-Type
// application/ocsp-request, answered with application/ocsp-response, so `openssl ocsp -url`
// works against the same CA. Boost.Beast, a deadline on every read, bounded header and body.
#include <spdlog/logger.h>

#include <memory>

#include "responder.hpp"
#include "status_service.hpp"

namespace tlslab::ca {

awaitable<void> serve_ocsp_http_connection(tcp::socket socket, std::uint64_t id, const Responder& responder,
                                           ServiceOptions options, std::shared_ptr<spdlog::logger> log);

}  // namespace tlslab::ca
