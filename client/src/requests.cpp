#include "requests.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tlslab/handshake_rules.hpp"
#include "tlslab/net/secure_stream.hpp"

namespace tlslab::client {
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::uint64_t max_response_body = std::uint64_t{1} << 30;

[[noreturn]] void rethrow_stream_failure(const net::SecureStream& stream, const boost::system::error_code& error) {
  if (auto failure = stream.failure()) std::rethrow_exception(failure);
  throw ProtocolError(AlertDescription::decode_error, "the server's HTTP response: " + error.message());
}

}  // namespace

bool RequestResults::all_ok() const {
  for (unsigned status : statuses) {
    if (status < 200 || status > 299) return false;
  }
  return true;
}

awaitable<RequestResults> send_requests(net::Channel& channel, const ClientSettings& settings, Trace& trace,
                                        std::FILE* body_out) {
  net::SecureStream stream(channel);
  beast::flat_buffer buffer;
  RequestResults results;
  for (const std::string& path : settings.paths) {
    http::request<http::empty_body> request(http::verb::get, path, 11);
    request.set(http::field::host, settings.server_name);
    request.set(http::field::user_agent, "tlslab-client/1.0");
    request.keep_alive(true);
    // (8) Client → Server: a request, encrypted with the SESSION MASTER KEY's client write key
    auto [write_error, written] = co_await http::async_write(stream, request, asio::as_tuple(use_awaitable));
    if (write_error) rethrow_stream_failure(stream, write_error);
    trace.step(0, {8, "Client", "Server", "GET " + path, std::string(arrow_description(8)), {}});

    http::response_parser<http::string_body> parser;
    parser.body_limit(max_response_body);
    auto [read_error, read] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(use_awaitable));
    if (read_error) rethrow_stream_failure(stream, read_error);
    auto response = parser.release();
    results.statuses.push_back(response.result_int());
    trace.step(0, {8, "Server", "Client",
                   std::to_string(response.result_int()) + " " + std::string(response.reason()) + " (" +
                       std::to_string(response.body().size()) + " bytes)",
                   "", {}});
    std::fwrite(response.body().data(), 1, response.body().size(), body_out);
    std::fflush(body_out);
    if (!response.keep_alive()) break;
  }
  co_return results;
}

}  // namespace tlslab::client
