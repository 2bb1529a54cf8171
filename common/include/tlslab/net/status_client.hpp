#pragma once
// Arrows 3 and 4 from the asker's side (PROTOCOL.md §9): send the CERTIFICATE and a fresh nonce to
// the CA service; its signed answer is verified against the local trust store, failing closed. The
// asker is the client (the seed), or the server: for its staple (§9.1) and about a client's
// certificate (§9.2).
#include <string>

#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/messages.hpp"
#include "tlslab/net/channel.hpp"
#include "tlslab/net/endpoint.hpp"

namespace tlslab::net {

// Arrows 3 and 4 as they happened: what was asked and answered (the answer not yet verified).
struct StatusExchange {
  StatusRequest request;
  StatusResponse response;
  const FlowStep* request_step = nullptr;
  const FlowStep* response_step = nullptr;
  std::optional<WireFrame> request_frame;  // as on the wire, when recording
  std::optional<WireFrame> response_frame;
};

// A connection to the CA service that carries many requests (§9 allows it), reconnecting when
// the CA closed it. One per client coroutine: not for concurrent use.
class StatusClient {
 public:
  // `record_frames`: keep arrows 3 and 4 as on the wire, for the trace. `question`: who asks about
  // which certificate (the words of the two arrows; the bytes are the same).
  StatusClient(tcp::endpoint ca_service, Timeouts timeouts, bool record_frames = false,
               StatusQuestion question = StatusQuestion::server_certificate)
      : ca_service_(ca_service), timeouts_(timeouts), record_frames_(record_frames), question_(question) {}

  // Asks about `certificate_der` with a fresh nonce. Throws
  // ProtocolError(bad_certificate_status_response) when the CA is unreachable, slow, or answers
  // something that is no StatusResponse (fail closed, §9 step 1). The answer is returned
  // unverified: verify_ocsp_response, then require_good, judge it.
  awaitable<StatusExchange> query(ByteView certificate_der);
  void close() noexcept;

 private:
  awaitable<void> round_trip(StatusExchange& exchange);

  tcp::endpoint ca_service_;
  Timeouts timeouts_;
  bool record_frames_;
  StatusQuestion question_;
  bool say_requester_ = true;  // false once the CA refused the requester extension (a 1.0 CA)
  std::optional<Channel> channel_;
};

}  // namespace tlslab::net
