#pragma once
// GET /crl (and HEAD) on the CA's HTTP listener: the current CRL in DER, application/pkix-crl
// (RFC 5280 §4.2.1.13, RFC 2585 §4.2), with ETag "<CRL number>", Cache-Control max-age = the
// seconds left until nextUpdate, Last-Modified (thisUpdate) and Expires (nextUpdate); an
// If-None-Match that names the current ETag gets 304 Not Modified.
//
// Traced as arrows 3 and 4 between the Client and the CA, as the OCSP exchange is, but what the
// arrow 3 carries is different: no certificate at all, so the CA learns only that an HTTP client
// at some address fetched the list.
#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "crl_publisher.hpp"
#include "http_answer.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::ca {

inline constexpr std::string_view crl_target = "/crl";

// The answer to a GET or HEAD of crl_target (the caller routes other methods).
HttpResponse answer_crl_request(const HttpRequest& request, CrlPublisher& publisher, X509* ca_certificate,
                                SessionTrace& trace, const std::string& peer,
                                const std::shared_ptr<spdlog::logger>& log, std::uint64_t id);

}  // namespace tlslab::ca
