#include "tlslab/time.hpp"
#include "tlslab/net/status_client.hpp"

#include <ctime>
#include <stdexcept>

#include "tlslab/crypto/random.hpp"

namespace tlslab::net {
namespace {

using namespace asio::experimental::awaitable_operators;

std::string endpoint_text(const tcp::endpoint& endpoint) {
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

tcp::endpoint parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    throw std::invalid_argument("'" + text + "' is not HOST:PORT (e.g. 127.0.0.1:4433)");
  }
  std::string host = text.substr(0, colon);
  std::string port_text = text.substr(colon + 1);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(port_text, &used);
    if (used != port_text.size()) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw std::invalid_argument("port '" + port_text + "' in '" + text + "' is not a number");
  }
  if (port > 65535) throw std::invalid_argument("port " + port_text + " is out of range 0..65535");
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code error;
  auto address = asio::ip::make_address(host, error);
  if (error) throw std::invalid_argument("'" + host + "' is not an IP address (use 127.0.0.1 or ::1)");
  return {address, static_cast<std::uint16_t>(port)};
}

awaitable<tcp::socket> connect_with_deadline(const tcp::endpoint& endpoint, std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  tcp::socket socket(executor);
  asio::steady_timer timer(executor);
  timer.expires_after(timeout);
  auto result = co_await (socket.async_connect(endpoint, asio::as_tuple(use_awaitable)) ||
                          timer.async_wait(asio::as_tuple(use_awaitable)));
  if (result.index() == 1) {
    throw ProtocolError(AlertDescription::internal_error, "connecting to " + endpoint_text(endpoint) + " timed out",
                        ProtocolError::Origin::transport);
  }
  if (auto [error] = std::get<0>(result); error) {
    throw ProtocolError(AlertDescription::internal_error,
                        "cannot connect to " + endpoint_text(endpoint) + ": " + error.message(),
                        ProtocolError::Origin::transport);
  }
  socket.set_option(tcp::no_delay(true));
  co_return socket;
}

awaitable<StatusResponse> StatusClient::round_trip(const StatusRequest& request) {
  if (!channel_) {
    // Named locals, not temporaries, around co_await: GCC 12 may destroy such a temporary twice.
    tcp::socket socket = co_await connect_with_deadline(ca_service_, timeouts_.handshake);
    channel_.emplace(std::move(socket), timeouts_);
  }
  channel_->set_deadline(Clock::now() + timeouts_.handshake);
  // Client → CA: the CERTIFICATE and a fresh nonce.
  Bytes message = encode_handshake(request);
  co_await channel_->write_handshake(message);
  // CA → Client: the signed answer.
  StatusResponse response = co_await channel_->expect<StatusResponse>(nullptr);
  co_return response;
}

awaitable<StatusExchange> StatusClient::query(ByteView certificate_der, X509* certificate,
                                              const crypto::TrustStore& trust) {
  StatusExchange exchange;
  exchange.request.certificate.assign(certificate_der.begin(), certificate_der.end());
  exchange.request.nonce = crypto::random_bytes(max_nonce_size);
  std::optional<ProtocolError> failure;
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = channel_.has_value();
    try {
      exchange.response = co_await round_trip(exchange.request);
      failure.reset();
      break;
    } catch (const ProtocolError& error) {
      failure = error;
      close();
      // A kept-alive connection the CA has since closed: try once on a new one.
      if (!reused || error.origin() != ProtocolError::Origin::transport) break;
    }
  }
  if (failure) {
    // Fail closed (§9 step 1): whatever went wrong with the CA, the handshake stops.
    throw ProtocolError(AlertDescription::bad_certificate_status_response,
                        "CA service " + endpoint_text(ca_service_) + ": " + failure->what());
  }
  exchange.verified =
      crypto::verify_ocsp_response(exchange.response.ocsp_response, trust, certificate, exchange.request.nonce).take();
  co_return exchange;
}

void StatusClient::close() noexcept {
  if (channel_) channel_->close();
  channel_.reset();
}

awaitable<StatusExchange> query_status(const tcp::endpoint& ca_service, ByteView certificate_der, X509* certificate,
                                       const crypto::TrustStore& trust, Timeouts timeouts) {
  StatusClient client(ca_service, timeouts);
  StatusExchange exchange = co_await client.query(certificate_der, certificate, trust);
  client.close();
  co_return exchange;
}

void require_good(const crypto::VerifiedStatus& status, X509* certificate) {
  switch (status.answer.status) {
    case crypto::CertStatus::good:
      return;
    case crypto::CertStatus::revoked:
      throw ProtocolError(AlertDescription::certificate_revoked,
                          "serial " + crypto::serial_hex(certificate) + ", revoked " +
                              utc_time(status.answer.revocation_time) + ", " +
                              std::string(crypto::revocation_reason_name(status.answer.revocation_reason)));
    case crypto::CertStatus::unknown:
      throw ProtocolError(AlertDescription::certificate_unknown,
                          "the CA does not know serial " + crypto::serial_hex(certificate));
  }
}

}  // namespace tlslab::net
