#include "tlslab/net/endpoint.hpp"

#include <stdexcept>

#include "tlslab/alert.hpp"

namespace tlslab::net {
namespace {

using namespace asio::experimental::awaitable_operators;

}  // namespace

std::string endpoint_text(const tcp::endpoint& endpoint) {
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

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
    throw ProtocolError(TransportFailure::timeout, "connecting to " + endpoint_text(endpoint) + " timed out");
  }
  if (auto [error] = std::get<0>(result); error) {
    throw ProtocolError(error == asio::error::connection_refused ? TransportFailure::refused : TransportFailure::broken,
                        "cannot connect to " + endpoint_text(endpoint) + ": " + error.message());
  }
  boost::system::error_code ignored;  // Nagle only delays: a socket that refuses the option still works
  socket.set_option(tcp::no_delay(true), ignored);
  co_return socket;
}

}  // namespace tlslab::net
