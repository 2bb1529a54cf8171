#include "ocsp_http.hpp"

#include <spdlog/spdlog.h>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace tlslab::ca {
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::size_t max_request_body = 64 * 1024;  // an OCSPRequest is a few hundred bytes

http::response<http::vector_body<std::uint8_t>> text_response(unsigned version, http::status status,
                                                              std::string_view text) {
  http::response<http::vector_body<std::uint8_t>> response(status, version);
  response.set(http::field::content_type, "text/plain");
  response.body().assign(text.begin(), text.end());
  response.prepare_payload();
  return response;
}

}  // namespace

awaitable<void> serve_ocsp_http_connection(tcp::socket socket, std::uint64_t id, const Responder& responder,
                                           ServiceOptions options, std::shared_ptr<spdlog::logger> log) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (std::uint64_t answered = 0; answered < options.max_requests_per_connection; ++answered) {
    http::request_parser<http::vector_body<std::uint8_t>> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(max_request_body);
    stream.expires_after(options.request_deadline);
    auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(use_awaitable));
    if (read_error) {
      if (read_error != http::error::end_of_stream && read_error != asio::error::eof) {
        log->info("[conn {}] OCSP/HTTP request not read: {}", id, read_error.message());
      }
      break;
    }
    auto request = parser.release();
    http::response<http::vector_body<std::uint8_t>> response;
    auto content_type = request[http::field::content_type];
    if (request.method() != http::verb::post) {
      response = text_response(request.version(), http::status::method_not_allowed,
                               "POST an application/ocsp-request (RFC 6960 A.1)\n");
      response.set(http::field::allow, "POST");
    } else if (content_type != "application/ocsp-request") {
      response = text_response(request.version(), http::status::unsupported_media_type,
                               "Content-Type must be application/ocsp-request\n");
    } else {
      response = {http::status::ok, request.version()};
      response.set(http::field::content_type, "application/ocsp-response");
      response.body() = responder.answer_ocsp_request(request.body());
      response.prepare_payload();
    }
    response.keep_alive(request.keep_alive());
    stream.expires_after(options.request_deadline);
    auto [write_error, written] = co_await http::async_write(stream, response, asio::as_tuple(use_awaitable));
    if (write_error || !response.keep_alive()) break;
  }
  // The socket closes here (FIN), as `openssl ocsp` ends each exchange: no separate shutdown call.
}

}  // namespace tlslab::ca
