#pragma once
// Arrows 3 and 4 from the client's side (PROTOCOL.md §9): send the CERTIFICATE and a fresh nonce
// to the CA service, verify its signed answer against the local trust store, fail closed.
#include <string>

#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/messages.hpp"
#include "tlslab/net/channel.hpp"

namespace tlslab::net {

struct StatusExchange {
  StatusRequest request;
  StatusResponse response;
  crypto::VerifiedStatus verified;
};

// A connection to the CA service that carries many requests (§9 allows it), reconnecting when
// the CA closed it. One per client coroutine: not for concurrent use.
class StatusClient {
 public:
  StatusClient(tcp::endpoint ca_service, Timeouts timeouts) : ca_service_(ca_service), timeouts_(timeouts) {}

  // Throws ProtocolError(bad_certificate_status_response) when the CA is unreachable, slow, or
  // its answer does not verify. The status itself is returned, not judged: see require_good.
  awaitable<StatusExchange> query(ByteView certificate_der, X509* certificate, const crypto::TrustStore& trust);
  void close() noexcept;

 private:
  awaitable<StatusResponse> round_trip(const StatusRequest& request);

  tcp::endpoint ca_service_;
  Timeouts timeouts_;
  std::optional<Channel> channel_;
};

// One request on a fresh connection: what tlslab-client does.
awaitable<StatusExchange> query_status(const tcp::endpoint& ca_service, ByteView certificate_der,
                                       X509* certificate, const crypto::TrustStore& trust, Timeouts timeouts);

// good → returns; revoked → certificate_revoked with serial, time and reason; unknown →
// certificate_unknown.
void require_good(const crypto::VerifiedStatus& status, X509* certificate);

// "127.0.0.1:4433" or "[::1]:4433" or "localhost:4433" (numeric or resolvable); throws
// std::invalid_argument with a message saying what is wrong.
tcp::endpoint parse_endpoint(const std::string& text);

// Connects within `timeout`; throws ProtocolError(origin transport) naming the address.
awaitable<tcp::socket> connect_with_deadline(const tcp::endpoint& endpoint, std::chrono::milliseconds timeout);

}  // namespace tlslab::net
