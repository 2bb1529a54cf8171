#include "status_service.hpp"

#include <spdlog/spdlog.h>

#include <openssl/ocsp.h>

#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/crypto/x509.hpp"

namespace tlslab::ca {

awaitable<void> serve_status_connection(tcp::socket socket, std::uint64_t id, const Responder& responder,
                                        ServiceOptions options, std::shared_ptr<spdlog::logger> log) {
  net::Channel channel(std::move(socket), net::Timeouts{options.request_deadline, options.idle});
  std::optional<ProtocolError> failure;
  std::uint64_t answered = 0;
  try {
    while (answered < options.max_requests_per_connection) {
      // The first request must be whole within the deadline; later ones may wait `idle` to start,
      // then have the deadline too (a byte a second never completes a request).
      if (answered > 0) channel.set_deadline(net::Clock::now() + options.idle + options.request_deadline);
      // Client → CA: the CERTIFICATE for authentication (with a fresh nonce).
      StatusRequest request = co_await channel.expect<StatusRequest>(nullptr);
      // CA → Client: the signed answer. (A named local: GCC 12 may destroy a temporary inside a
      // co_await expression twice.)
      Bytes response = encode_handshake(StatusResponse{responder.answer(request)});
      if (response.size() > max_plaintext) {  // cannot happen for a request that fit a frame, but never throw here
        response = encode_handshake(StatusResponse{crypto::build_ocsp_error(OCSP_RESPONSE_STATUS_INTERNALERROR)});
      }
      co_await channel.write_handshake(response);
      ++answered;
      log->debug("[conn {}] answered status request #{}", id, answered);
    }
    log->debug("[conn {}] {} requests answered, the limit for one connection: closing it", id, answered);
  } catch (const ProtocolError& error) {
    failure = error;
  }
  if (!failure) {
    channel.close();
    co_return;
  }
  // A clean end: the client closed between requests.
  bool clean = failure->origin() == ProtocolError::Origin::transport && answered > 0 &&
               std::string_view(failure->what()) == "peer closed the connection";
  if (failure->origin() == ProtocolError::Origin::local) {
    log->warn("[conn {}] {}: {} (alert sent, connection closed)", id, to_string(failure->alert()), failure->what());
    co_await channel.send_alert(failure->alert());
  } else if (!clean && answered == 0) {
    log->info("[conn {}] closed before a complete request: {}", id, failure->what());
  }
  channel.close();
}

}  // namespace tlslab::ca
