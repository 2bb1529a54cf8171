#include "status_service.hpp"

#include <openssl/ocsp.h>

#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/describe.hpp"
#include "tlslab/session_end.hpp"

namespace tlslab::ca {
namespace {

// Which of the flows of arrows 3–4 a request is part of, by the role its requester says (§9). One
// that does not say is drawn as the seed's client, as before the requester extension.
StatusQuestion question_of(std::optional<Requester> requester) {
  if (requester == Requester::server_for_staple) return StatusQuestion::staple;
  if (requester == Requester::server_about_client) return StatusQuestion::client_certificate;
  return StatusQuestion::server_certificate;
}

}  // namespace

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
      // (3) Client (or Server) → CA: the CERTIFICATE for authentication (with a fresh nonce).
      // (Named, not structured bindings: clang 14 cannot capture those in the lambdas below.)
      auto received = co_await channel.expect<StatusRequest>(flow, nullptr);
      const StatusRequest& request = received.message;
      // The frame does not say who asks (on loopback every address is 127.0.0.1): the request does.
      StatusQuestion question = question_of(request.requester());
      Party asker = asker_of(question);
      const FlowStep& asked = *find_step(status_flow(question), 3, asker);
      const FlowStep& answer_step = *find_step(status_flow(question), 4, Party::ca);
      Responder::Answer answer = responder.decide(request);
      session_trace.arrow(asked, std::move(received.frame),
                          [&] { return describe::ca_status_request(request, answer.facts); });
      // The CA's own step, as the seed's CA "checks its database" (the HTTP responder's too).
      if (answer.facts.signed_answer) {
        session_trace.local(Party::ca, "checks its database", "looks up the serial asked about in its database",
                            [&] { return describe::ca_database_lookup(answer.facts); });
      }
      // (4) CA → Client: the answer, signed with the CA'S PRIVATE KEY. Cannot outgrow a frame for a
      // request that fit one, but is never allowed to throw here.
      StatusResponse response{std::move(answer.ocsp_response)};
      if (response.ocsp_response.size() + 6 > max_plaintext) {
        response.ocsp_response = crypto::build_ocsp_error(OCSP_RESPONSE_STATUS_INTERNALERROR);
      }
      auto sent = co_await channel.send(flow, response, nullptr);
      session_trace.arrow(
          answer_step, std::move(sent.frame), [&] { return describe::ca_status_response(request, answer.facts); },
          answer.facts.signed_answer
              ? describe::status_response_words(answer.facts.status.status, asker)
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
