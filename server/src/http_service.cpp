#include "http_service.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <string>

#include "tlslab/handshake_rules.hpp"
#include "tlslab/net/secure_stream.hpp"

namespace tlslab::server {
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::size_t max_request_body = 1024 * 1024;
constexpr std::uint64_t max_generated_bytes = std::uint64_t{16} << 30;  // /bytes/N: at most 16 GiB

std::string_view mime_type(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  if (extension == ".html" || extension == ".htm") return "text/html; charset=utf-8";
  if (extension == ".txt") return "text/plain; charset=utf-8";
  if (extension == ".css") return "text/css";
  if (extension == ".js") return "application/javascript";
  if (extension == ".json") return "application/json";
  if (extension == ".png") return "image/png";
  if (extension == ".jpg" || extension == ".jpeg") return "image/jpeg";
  if (extension == ".svg") return "image/svg+xml";
  return "application/octet-stream";
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string session_page(const ServerIdentity& identity, const SessionParameters& session, std::uint64_t connection) {
  auto row = [](const std::string& name, const std::string& value, const char* color) {
    return "<tr><th>" + name + "</th><td style=\"color:" + color + "\"><code>" + html_escape(value) +
           "</code></td></tr>\n";
  };
  return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>tlslab session</title></head><body>\n"
         "<h1>tlslab: this session</h1>\n<p>You reached this page through the eight arrows of the handshake. "
         "Everything below was agreed in it.</p>\n<table>\n" +
         row("connection", std::to_string(connection), "black") +
         row("cipher suite", std::string(session.suite.name), "salmon") +
         row("RAND-CLIENT", to_hex(session.client_random), "orange") +
         row("RAND-SERVER", to_hex(session.server_random), "purple") +
         row("CERTIFICATE subject", identity.subject, "darkcyan") +
         row("CERTIFICATE serial", identity.serial, "darkcyan") +
         row("server name asked", session.server_name.empty() ? "(none)" : session.server_name, "black") +
         row("CA status", "checked by the client with the CA service, arrows 3-4 (signed OCSP answer)", "darkgreen") +
         "</table>\n</body></html>\n";
}

// "/bytes/1048576" → 1048576
std::optional<std::uint64_t> generated_size(std::string_view target) {
  constexpr std::string_view prefix = "/bytes/";
  if (target.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view digits = target.substr(prefix.size());
  std::uint64_t size = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
  if (error != std::errc() || end != digits.data() + digits.size() || size > max_generated_bytes) return std::nullopt;
  return size;
}

// A file under www for the target, or nullopt (never escapes www: no "..", no absolute jumps).
std::optional<std::filesystem::path> file_for(const std::filesystem::path& www, std::string_view target) {
  std::string path(target.substr(0, target.find('?')));
  if (path.empty() || path[0] != '/' || path.find("..") != std::string::npos || path.find('\0') != std::string::npos) {
    return std::nullopt;
  }
  std::filesystem::path file = www / path.substr(1);
  std::error_code error;
  if (std::filesystem::is_directory(file, error)) file /= "index.html";
  if (!std::filesystem::is_regular_file(file, error)) return std::nullopt;
  return file;
}

[[noreturn]] void rethrow_stream_failure(const net::SecureStream& stream, const boost::system::error_code& error) {
  if (auto failure = stream.failure()) std::rethrow_exception(failure);
  throw ProtocolError(AlertDescription::internal_error, "HTTP over the channel: " + error.message());
}

}  // namespace

awaitable<std::uint64_t> serve_requests(net::Channel& channel, const ServerIdentity& identity,
                                        const ServerSettings& settings, const SessionParameters& session,
                                        Trace& trace, std::uint64_t connection) {
  net::SecureStream stream(channel);
  beast::flat_buffer buffer;
  std::uint64_t served = 0;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(max_request_body);
    // (8) Client → Server: a request, encrypted
    auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(use_awaitable));
    if (read_error == asio::error::eof || read_error == http::error::end_of_stream) co_return served;  // close_notify
    if (read_error && stream.failure()) rethrow_stream_failure(stream, read_error);
    if (read_error) {
      // Not HTTP: answer 400 over the channel, then end the session cleanly.
      http::response<http::string_body> bad(http::status::bad_request, 11);
      bad.set(http::field::content_type, "text/plain");
      bad.body() = "malformed HTTP request: " + read_error.message() + "\n";
      bad.keep_alive(false);
      bad.prepare_payload();
      co_await http::async_write(stream, bad, asio::as_tuple(use_awaitable));
      co_return served;
    }
    auto request = parser.release();
    std::string target(request.target());
    trace.step(connection, {8, "Client", "Server", std::string(request.method_string()) + " " + target,
                            std::string(arrow_description(8)), {}});
    ++served;
    bool keep_alive = request.keep_alive();
    unsigned version = request.version();
    boost::system::error_code write_error;
    std::string summary;

    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      http::response<http::string_body> response(http::status::method_not_allowed, version);
      response.set(http::field::allow, "GET, HEAD");
      response.body() = "tlslab-server serves GET and HEAD\n";
      response.keep_alive(keep_alive);
      response.prepare_payload();
      std::tie(write_error, std::ignore) = co_await http::async_write(stream, response, asio::as_tuple(use_awaitable));
      summary = "405 Method Not Allowed";
    } else if (auto size = generated_size(target)) {
      // Header through Beast, then the body straight into 16 KiB records: no copy through Beast.
      http::response<http::empty_body> response(http::status::ok, version);
      response.set(http::field::content_type, "application/octet-stream");
      response.content_length(*size);
      response.keep_alive(keep_alive);
      http::response_serializer<http::empty_body> serializer(response);
      std::tie(write_error, std::ignore) =
          co_await http::async_write_header(stream, serializer, asio::as_tuple(use_awaitable));
      if (!write_error && request.method() == http::verb::get) {
        static const Bytes pattern(4 * max_plaintext, 'x');
        for (std::uint64_t left = *size; left > 0;) {
          std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(left, pattern.size()));
          co_await channel.write_application_data(ByteView(pattern.data(), chunk));
          left -= chunk;
        }
      }
      summary = "200 OK (" + std::to_string(*size) + " generated bytes)";
    } else if (settings.www) {
      auto file = file_for(*settings.www, target);
      beast::error_code open_error;
      http::file_body::value_type body;
      if (file) body.open(file->c_str(), beast::file_mode::scan, open_error);
      if (!file || open_error) {
        http::response<http::string_body> response(http::status::not_found, version);
        response.set(http::field::content_type, "text/plain");
        response.body() = "not found: " + target + "\n";
        response.keep_alive(keep_alive);
        response.prepare_payload();
        std::tie(write_error, std::ignore) =
            co_await http::async_write(stream, response, asio::as_tuple(use_awaitable));
        summary = "404 Not Found";
      } else {
        auto length = body.size();
        http::response<http::file_body> response(std::piecewise_construct, std::make_tuple(std::move(body)),
                                                 std::make_tuple(http::status::ok, version));
        response.set(http::field::content_type, mime_type(*file));
        response.content_length(length);
        response.keep_alive(keep_alive);
        if (request.method() == http::verb::head) {
          http::response_serializer<http::file_body> serializer(response);
          std::tie(write_error, std::ignore) =
              co_await http::async_write_header(stream, serializer, asio::as_tuple(use_awaitable));
        } else {
          std::tie(write_error, std::ignore) =
              co_await http::async_write(stream, response, asio::as_tuple(use_awaitable));
        }
        summary = "200 OK (" + std::to_string(length) + " bytes, " + file->filename().string() + ")";
      }
    } else {
      http::response<http::string_body> response(http::status::ok, version);
      std::string path = target.substr(0, target.find('?'));
      if (path == "/" || path == "/index.html") {
        response.set(http::field::content_type, "text/html; charset=utf-8");
        response.body() = session_page(identity, session, connection);
        summary = "200 OK (session page)";
      } else {
        response.result(http::status::not_found);
        response.set(http::field::content_type, "text/plain");
        response.body() = "not found: " + target + " (start the server with --www DIR to serve files)\n";
        summary = "404 Not Found";
      }
      response.keep_alive(keep_alive);
      response.prepare_payload();
      if (request.method() == http::verb::head) response.body().clear();
      std::tie(write_error, std::ignore) = co_await http::async_write(stream, response, asio::as_tuple(use_awaitable));
    }
    if (write_error) rethrow_stream_failure(stream, write_error);
    // (8) Server → Client: the response, encrypted
    trace.step(connection, {8, "Server", "Client", summary, "", {}});
    if (!keep_alive) co_return served;
  }
}

}  // namespace tlslab::server
