#include "requests.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tlslab/net/secure_stream.hpp"

namespace tlslab::client {
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// The body is written out as it arrives, through this much memory, whatever its length: nothing
// of it is held (it was buffered whole, up to 1 GiB, and Beast reserved Content-Length at once).
constexpr std::size_t body_chunk = 64 * 1024;

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

awaitable<RequestResults> send_requests(net::Channel& channel, const ClientSettings& settings, SessionTrace& trace,
                                        std::FILE* body_out) {
  net::SecureStream stream(channel);
  beast::flat_buffer buffer;
  std::vector<char> chunk(body_chunk);
  RequestResults results;
  for (const std::string& path : settings.paths) {
    http::request<http::empty_body> request(http::verb::get, path, 11);
    request.set(http::field::host, settings.server_name);
    request.set(http::field::user_agent, "tlslab-client/1.0");
    request.keep_alive(true);
    // (8) Client → Server: a request, encrypted with the SESSION MASTER KEY's client write key
    // The trace shows the first record each way byte by byte (the request's, the response's first).
    if (trace.enabled()) channel.record_next_application_records();
    auto [write_error, written] = co_await http::async_write(stream, request, asio::as_tuple(use_awaitable));
    if (write_error) rethrow_stream_failure(stream, write_error);
    trace.line(8, Party::client, Party::server, "GET " + path, std::string(application_data_description),
               channel.take_sent_record());

    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);  // streamed: its length costs no memory
    auto [header_error, header_bytes] =
        co_await http::async_read_header(stream, buffer, parser, asio::as_tuple(use_awaitable));
    if (header_error) rethrow_stream_failure(stream, header_error);
    std::optional<WireFrame> response_record = channel.take_received_record();
    std::uint64_t body_bytes = 0;
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      auto [body_error, read] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(use_awaitable));
      if (body_error && body_error != http::error::need_buffer) rethrow_stream_failure(stream, body_error);
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
