#include "status_service.hpp"

#include <openssl/ocsp.h>

#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/describe.hpp"
#include "tlslab/session_end.hpp"

namespace tlslab::ca {

awaitable<void> serve_status_connection(tcp::socket socket, std::uint64_t id, StatusContext& context) {
  auto& [responder, options, trace, log, warnings] = context;
  boost::system::error_code gone;
  tcp::endpoint endpoint = socket.remote_endpoint(gone);
  std::string address = gone ? "(peer gone)" : endpoint.address().to_string();
  net::Channel channel(std::move(socket), net::Timeouts{options.request_deadline, options.idle});
  channel.record_frames(trace.enabled());
  SessionTrace session_trace(trace, id);
  std::optional<ProtocolError> failure;
  std::uint64_t answered = 0;
  try {
    while (answered < options.max_requests_per_connection) {
      // The first request must be whole within the deadline; later ones may wait `idle` to start,
      // then have the deadline too (a byte a second never completes a request).
      if (answered > 0) channel.set_deadline(net::Clock::now() + options.idle + options.request_deadline);
      FlowCursor flow(seed_flow(), Party::ca, Party::client);
      // (3) Client → CA: the CERTIFICATE for authentication (with a fresh nonce).
      // (Named, not structured bindings: clang 14 cannot capture those in the lambdas below.)
      auto received = co_await channel.expect<StatusRequest>(flow, nullptr);
      const StatusRequest& request = received.message;
      Responder::Answer answer = responder.decide(request);
      session_trace.arrow(received.step, std::move(received.frame),
                          [&] { return describe::ca_status_request(request, answer.facts); });
      // (4) CA → Client: the answer, signed with the CA'S PRIVATE KEY. Cannot outgrow a frame for a
      // request that fit one, but is never allowed to throw here.
      StatusResponse response{std::move(answer.ocsp_response)};
      if (response.ocsp_response.size() + 6 > max_plaintext) {
        response.ocsp_response = crypto::build_ocsp_error(OCSP_RESPONSE_STATUS_INTERNALERROR);
      }
      auto sent = co_await channel.send(flow, response, nullptr);
      session_trace.arrow(
          sent.step, std::move(sent.frame), [&] { return describe::ca_status_response(request, answer.facts); },
          answer.facts.signed_answer
              ? describe::status_response_words(answer.facts.status.status)
              : "answers malformedRequest, unsigned: the CERTIFICATE asked about does not parse");
      ++answered;
      log->debug("[conn {}] answered status request #{}", id, answered);
    }
    log->debug("[conn {}] {} requests answered, the limit for one connection: closing it", id, answered);
  } catch (const ProtocolError& error) {
    failure = error;
  }
  Ending ending = ending_of(failure);
  if (ending.kind == SessionEnd::our_alert) {
    co_await channel.send_alert(*ending.alert);
    std::string alert(to_string(*ending.alert));
    session_trace.outcome(false, "alert sent: " + alert, ending.reason,
                          SessionTrace::AlertSeen{*ending.alert, Party::ca, Party::client, channel.last_alert_frame()});
    if (warnings.admit(address).log) {
      log->warn("[conn {}] {} {}: {} (alert sent, connection closed)", id, address, alert, ending.reason);
    }
  } else if (ending.kind != SessionEnd::closed && !(ending.kind == SessionEnd::peer_closed && answered > 0)) {
    // Anything but the client closing between requests.
    log->info("[conn {}] closed after {} answer(s): {}", id, answered, ending.reason);
  }
  channel.close();
}

}  // namespace tlslab::ca
