#include "tlslab/net/status_client.hpp"

#include "tlslab/crypto/random.hpp"

namespace tlslab::net {
namespace {

Requester requester_of(StatusQuestion question) {
  switch (question) {
    case StatusQuestion::server_certificate: break;
    case StatusQuestion::staple: return Requester::server_for_staple;
    case StatusQuestion::client_certificate: return Requester::server_about_client;
  }
  return Requester::client;
}

}  // namespace

awaitable<void> StatusClient::round_trip(StatusExchange& exchange) {
  if (!channel_) {
    // Named locals, not temporaries, around co_await: GCC 12 may destroy such a temporary twice.
    tcp::socket socket = co_await connect_with_deadline(ca_service_, timeouts_.handshake);
    channel_.emplace(std::move(socket), timeouts_);
    channel_->record_frames(record_frames_);
  }
  channel_->set_deadline(Clock::now() + timeouts_.handshake);
  FlowCursor flow(status_flow(question_), asker_of(question_), Party::ca);
  // (3) Client (or Server) → CA: the CERTIFICATE and a fresh nonce.
  Channel::Sent sent = co_await channel_->send(flow, exchange.request, nullptr);
  exchange.request_step = &sent.step;
  exchange.request_frame = std::move(sent.frame);
  // (4) CA → Client (or Server): the signed answer.
  auto received = co_await channel_->expect<StatusResponse>(flow, nullptr);
  exchange.response = std::move(received.message);
  exchange.response_step = &received.step;
  exchange.response_frame = std::move(received.frame);
}

awaitable<StatusExchange> StatusClient::query(ByteView certificate_der) {
  StatusExchange exchange;
  exchange.request.certificate.assign(certificate_der.begin(), certificate_der.end());
  exchange.request.nonce = crypto::random_bytes(max_nonce_size);
  // Who asks (§9): the CA's trace and Wireshark name the sender by it, not by the address.
  if (say_requester_) exchange.request.set_requester(requester_of(question_));
  std::optional<ProtocolError> failure;
  bool retried = false;
  for (;;) {
    bool reused = channel_.has_value();
    try {
      co_await round_trip(exchange);
      failure.reset();
      break;
    } catch (const ProtocolError& error) {
      failure = error;
      close();
      if (retried) break;
      retried = true;
      // A kept-alive connection the CA has since closed: try once on a new one.
      if (reused && error.origin() == ProtocolError::Origin::transport) continue;
      // A CA of 1.0's first text refuses the extension list as trailing bytes (§9): ask it again
      // in that form, and keep to it on this StatusClient.
      if (exchange.request.extensions && error.origin() == ProtocolError::Origin::received &&
          error.alert() == AlertDescription::decode_error) {
        exchange.request.extensions.reset();
        say_requester_ = false;
        continue;
      }
      break;
    }
  }
  if (failure) {
    // Fail closed (§9 step 1): whatever went wrong with the CA, the handshake stops.
    throw ProtocolError(AlertDescription::bad_certificate_status_response,
                        "CA service " + endpoint_text(ca_service_) + ": " + failure->what());
  }
  co_return exchange;
}

void StatusClient::close() noexcept {
  if (channel_) channel_->close();
  channel_.reset();
}

}  // namespace tlslab::net
