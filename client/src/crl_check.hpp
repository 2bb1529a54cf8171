#pragma once
// Arrows 3–4 on the client as a CRL fetch (--ca-check crl, PROTOCOL.md §9.3): the list from the
// certificate's distribution point (or --crl-from URL), from the cache (--crl-cache DIR) while it
// is fresh, else fetched over HTTP; verified with the CA'S PUBLIC KEY from the trust store; the
// serial looked up by the client itself. The framed CA service is never contacted.
#include "client_config.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::client {

// Throws ProtocolError: certificate_revoked (with the date and reason) when the list names the
// serial; bad_certificate_status_response when there is no usable list (no URL, the fetch failed,
// the list refused: another key, another issuer, stale, an old list replayed, …). A cache entry
// that is not this user's alone is refused the same way, with what to do.
awaitable<std::time_t> check_crl(const ClientSettings& settings, const crypto::TrustStore& trust, X509* certificate,
                                 SessionTrace& trace);

}  // namespace tlslab::client
