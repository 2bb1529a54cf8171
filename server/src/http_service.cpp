#include "http_service.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <string>

#include "routes.hpp"
#include "session_page.hpp"
#include "tlslab/net/secure_stream.hpp"
#include "tlslab/text.hpp"

namespace tlslab::server {
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::size_t max_request_header = 16 * 1024;
// Only GET and HEAD are served, and neither needs a body: a few KiB are read (and ignored), more
// is refused before it is buffered. (It was 1 MiB: 16 GiB over the default connection limit.)
constexpr std::size_t max_request_body = 4 * 1024;

[[noreturn]] void rethrow_stream_failure(const net::SecureStream& stream, const boost::system::error_code& error) {
  if (auto failure = stream.failure()) std::rethrow_exception(failure);
  throw ProtocolError(AlertDescription::internal_error, "HTTP over the channel: " + error.message());
}

http::response<http::string_body> text_response(http::status status, unsigned version, std::string body) {
  http::response<http::string_body> response(status, version);
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.body() = std::move(body);
  return response;
}

// The file of a Route, opened as what was checked: O_NOFOLLOW so that a symlink swapped in since
// the check is not followed, O_NONBLOCK so that a FIFO swapped in cannot stall the thread, and
// regular files only.
std::optional<http::file_body::value_type> open_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    ::close(fd);
    return std::nullopt;
  }
  beast::file file;
  file.native_handle(fd);
  http::file_body::value_type body;
  beast::error_code error;
  body.reset(std::move(file), error);
  if (error) return std::nullopt;
  return body;
}

}  // namespace

template <class Stream>
awaitable<std::uint64_t> serve_http(Stream& stream, HttpConnection& connection, const ServerSettings& settings,
                                    SessionTrace& trace, spdlog::logger& log) {
  beast::flat_buffer buffer(max_request_header + max_request_body);
  std::uint64_t served = 0;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(max_request_header);
    parser.body_limit(max_request_body);
    // The whole request must arrive within the idle timeout: a byte every few seconds does not
    // keep a connection (each read alone would have its own full timeout).
    connection.set_deadline(net::Clock::now() + settings.timeouts.idle);
    // (8) Client → Server: a request, encrypted
    auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(use_awaitable));
    connection.clear_deadline();
    if (read_error == asio::error::eof || read_error == http::error::end_of_stream) co_return served;  // close_notify
    if (read_error && connection.broken(read_error)) connection.fail(read_error);
    if (read_error) {
      // Not HTTP, or over a limit: answer 400 over the channel, then end the session cleanly.
      auto bad = text_response(http::status::bad_request, 11, "malformed HTTP request: " + read_error.message() + "\n");
      bad.keep_alive(false);
      bad.prepare_payload();
      co_await http::async_write(stream, bad, asio::as_tuple(use_awaitable));
      co_return served;
    }
    auto request = parser.release();
    std::string target(request.target());
    trace.line(8, Party::client, Party::server, std::string(request.method_string()) + " " + target,
               std::string(application_data_description));
    ++served;
    bool keep_alive = request.keep_alive();
    unsigned version = request.version();
    bool head = request.method() == http::verb::head;
    boost::system::error_code write_error;
    std::string summary;
    Route chosen = route(request.method(), target, settings);

    if (chosen.kind == Route::Kind::generated_bytes) {
      // Header through Beast, then the body straight into 16 KiB records: no copy through Beast.
      http::response<http::empty_body> response(http::status::ok, version);
      response.set(http::field::content_type, "application/octet-stream");
      response.content_length(chosen.size);
      response.keep_alive(keep_alive);
      http::response_serializer<http::empty_body> serializer(response);
      std::tie(write_error, std::ignore) =
          co_await http::async_write_header(stream, serializer, asio::as_tuple(use_awaitable));
      if (!write_error && !head) {
        static const Bytes pattern(4 * max_plaintext, 'x');
        for (std::uint64_t left = chosen.size; left > 0;) {
          std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(left, pattern.size()));
          co_await connection.write_bulk(ByteView(pattern.data(), chunk));
          left -= chunk;
        }
      }
      summary = "200 OK (" + std::to_string(chosen.size) + " generated bytes)";
    } else if (auto body = chosen.kind == Route::Kind::file ? open_file(chosen.file) : std::nullopt) {
      auto length = body->size();
      http::response<http::file_body> response(std::piecewise_construct, std::make_tuple(std::move(*body)),
                                               std::make_tuple(http::status::ok, version));
      response.set(http::field::content_type, mime_type(chosen.file));
      response.content_length(length);
      response.keep_alive(keep_alive);
      if (head) {
        http::response_serializer<http::file_body> serializer(response);
        std::tie(write_error, std::ignore) =
            co_await http::async_write_header(stream, serializer, asio::as_tuple(use_awaitable));
      } else {
        std::tie(write_error, std::ignore) =
            co_await http::async_write(stream, response, asio::as_tuple(use_awaitable));
      }
      summary = "200 OK (" + std::to_string(length) + " bytes, " + chosen.file.filename().string() + ")";
    } else {
      http::response<http::string_body> response;
      switch (chosen.kind) {
        case Route::Kind::method_not_allowed:
          response = text_response(http::status::method_not_allowed, version, "tlslab-server serves GET and HEAD\n");
          response.set(http::field::allow, "GET, HEAD");
          summary = "405 Method Not Allowed";
          break;
        case Route::Kind::session_page:
          response = {http::status::ok, version};
          response.set(http::field::content_type, "text/html; charset=utf-8");
          response.body() = connection.session_page();
          summary = "200 OK (session page)";
          break;
        default:
          // The body names no path: a refused target is not echoed back, nor what it was refused for.
          response = text_response(
              http::status::not_found, version,
              settings.www ? "not found\n" : "not found (start the server with --www DIR to serve files)\n");
          summary = "404 Not Found";
          if (!chosen.refusal.empty()) {
            log.warn("[conn {}] refused target {}: {}", trace.connection(), printable(target), chosen.refusal);
          }
      }
      response.keep_alive(keep_alive);
      response.prepare_payload();
      if (head) response.body().clear();
      std::tie(write_error, std::ignore) = co_await http::async_write(stream, response, asio::as_tuple(use_awaitable));
    }
    if (write_error) connection.fail(write_error);
    // (8) Server → Client: the response, encrypted
    trace.line(8, Party::server, Party::client, summary);
    if (!keep_alive) co_return served;
  }
}

template awaitable<std::uint64_t> serve_http<asio::ssl::stream<tcp::socket>>(asio::ssl::stream<tcp::socket>&,
                                                                             HttpConnection&, const ServerSettings&,
                                                                             SessionTrace&, spdlog::logger&);
template awaitable<std::uint64_t> serve_http<net::SecureStream>(net::SecureStream&, HttpConnection&,
                                                                const ServerSettings&, SessionTrace&, spdlog::logger&);

awaitable<std::uint64_t> serve_requests(net::Channel& channel, const ServerIdentity& identity,
                                        const ServerSettings& settings, const SessionParameters& session,
                                        SessionTrace& trace, spdlog::logger& log) {
  net::SecureStream stream(channel);
  HttpConnection connection{
      .set_deadline = [&](net::Clock::time_point deadline) { channel.set_deadline(deadline); },
      .clear_deadline = [&] { channel.clear_deadline(); },
      .broken = [&](const boost::system::error_code&) { return stream.failure() != nullptr; },
      .fail = [&](const boost::system::error_code& error) { rethrow_stream_failure(stream, error); },
      .write_bulk = [&](ByteView bytes) -> awaitable<void> { co_await channel.write_application_data(bytes); },
      .session_page = [&] { return session_page(identity, session, trace.connection()); },
  };
  co_return co_await serve_http(stream, connection, settings, trace, log);
}

}  // namespace tlslab::server
