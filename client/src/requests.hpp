#pragma once
// Arrow 8 on the client: HTTP/1.1 GETs over the encrypted channel (Boost.Beast through
// net::SecureStream, or a real TLS stream), one connection kept alive for all of them, then
// close_notify.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "client_config.hpp"
#include "tlslab/net/channel.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::client {

struct RequestResults {
  std::vector<unsigned> statuses;
  [[nodiscard]] bool all_ok() const;
};

// Writes each body to `body_out` (stdout or --output). Throws ProtocolError on a channel failure.
awaitable<RequestResults> send_requests(net::Channel& channel, const ClientSettings& settings, SessionTrace& trace,
                                        std::FILE* body_out);

// What the stream under the requests can show the trace, and how its failures read.
struct RequestStreamHooks {
  std::function<void()> before_request;                   // before each request, traced or not
  std::function<std::optional<WireFrame>()> sent_record;  // the first record of the request
  std::function<std::optional<WireFrame>()> received_record;
  // Throws the ProtocolError that stands for `error` (it must throw).
  std::function<void(const boost::system::error_code& error)> fail;
};

// The same requests over any Asio byte stream (`Stream` has async_read_some and async_write_some).
template <class Stream>
awaitable<RequestResults> send_requests_over(Stream& stream, const ClientSettings& settings, SessionTrace& trace,
                                             std::FILE* body_out, const RequestStreamHooks& hooks) {
  namespace http = boost::beast::http;
  // The body is written out as it arrives, through this much memory, whatever its length: nothing
  // of it is held (it was buffered whole, up to 1 GiB, and Beast reserved Content-Length at once).
  constexpr std::size_t body_chunk = 64 * 1024;
  boost::beast::flat_buffer buffer;
  std::vector<char> chunk(body_chunk);
  RequestResults results;
  auto none = []() -> std::optional<WireFrame> { return std::nullopt; };
  for (const std::string& path : settings.paths) {
    http::request<http::empty_body> request(http::verb::get, path, 11);
    request.set(http::field::host, settings.server_name);
    request.set(http::field::user_agent, "tlslab-client/1.0");
    request.keep_alive(true);
    // (8) Client → Server: a request, encrypted with the SESSION MASTER KEY's client write key
    // The trace shows the first record each way byte by byte (the request's, the response's first).
    if (hooks.before_request) hooks.before_request();
    auto [write_error, written] = co_await http::async_write(stream, request, asio::as_tuple(use_awaitable));
    if (write_error) hooks.fail(write_error);
    trace.line(8, Party::client, Party::server, "GET " + path, std::string(application_data_description),
               (hooks.sent_record ? hooks.sent_record : none)());

    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);  // streamed: its length costs no memory
    auto [header_error, header_bytes] =
        co_await http::async_read_header(stream, buffer, parser, asio::as_tuple(use_awaitable));
    if (header_error) hooks.fail(header_error);
    std::optional<WireFrame> response_record = (hooks.received_record ? hooks.received_record : none)();
    std::uint64_t body_bytes = 0;
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      auto [body_error, read] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(use_awaitable));
      if (body_error && body_error != http::error::need_buffer) hooks.fail(body_error);
      std::size_t got = chunk.size() - parser.get().body().size;
      if (got > 0 && std::fwrite(chunk.data(), 1, got, body_out) != got) {
        throw ProtocolError(AlertDescription::internal_error, "cannot write the response body (disk full?)");
      }
      body_bytes += got;
    }
    std::fflush(body_out);
    const auto& response = parser.get();
    results.statuses.push_back(response.result_int());
    trace.line(8, Party::server, Party::client,
               std::to_string(response.result_int()) + " " + std::string(response.reason()) + " (" +
                   std::to_string(body_bytes) + " bytes)",
               {}, std::move(response_record));
    if (!response.keep_alive()) break;
  }
  co_return results;
}

}  // namespace tlslab::client
