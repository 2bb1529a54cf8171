#include "tlslab/net/http_get.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tlslab/text.hpp"

namespace tlslab::net {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using namespace asio::experimental::awaitable_operators;

[[noreturn]] void not_http(std::string_view url, std::string_view why) {
  throw HttpGetError("'" + printable(std::string(url)) + "' is not an http:// URL (http://HOST[:PORT]/PATH; " +
                     std::string(why) + ")");
}

bool host_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

HttpUrl parse_http_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.size() < scheme.size() || !std::equal(scheme.begin(), scheme.end(), url.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      })) {
    not_http(url, "https and other schemes are not fetched");
  }
  std::string_view rest = url.substr(scheme.size());
  std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  HttpUrl parsed;
  if (slash != std::string_view::npos) {
    parsed.target = std::string(rest.substr(slash));
    if (parsed.target.front() == '?') parsed.target.insert(0, "/");
  }
  for (char c : parsed.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) not_http(url, "the path has a space or control character");
  }
  if (authority.find('@') != std::string_view::npos) not_http(url, "no user name in it");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) not_http(url, "an IPv6 literal needs its ]");
    parsed.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') not_http(url, "junk after the IPv6 literal");
      port_text = after.substr(1);
    }
    boost::system::error_code error;
    asio::ip::make_address_v6(parsed.host, error);
    if (error) not_http(url, "'" + printable(parsed.host) + "' is not an IPv6 address");
  } else {
    std::size_t colon = authority.rfind(':');
    parsed.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (parsed.host.empty()) not_http(url, "no host");
    if (parsed.host.size() > 253 || !std::all_of(parsed.host.begin(), parsed.host.end(), host_character)) {
      not_http(url, "the host is not a host name or an IP address");
    }
  }
  if (!port_text.empty() || (authority.size() > 0 && authority.back() == ':')) {
    unsigned long port = 0;
    if (port_text.empty() || port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      not_http(url, "the port is not a number");
    }
    port = std::stoul(std::string(port_text));
    if (port == 0 || port > 65535) not_http(url, "the port is not in 1..65535");
    parsed.port = static_cast<std::uint16_t>(port);
  }
  return parsed;
}

namespace {

// One request and its answer, GET or POST, under the same limits: the two differ only in their
// request line and body.
struct Outgoing {
  http::verb verb = http::verb::get;
  std::string_view accept;
  std::string_view content_type;  // POST only
  ByteView body;                  // POST only
};

awaitable<HttpGetResponse> exchange(std::string_view url_text, const Outgoing& outgoing, const HttpGetLimits& limits) {
  const std::string method = outgoing.verb == http::verb::post ? "POST " : "GET ";
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + limits.deadline;
  const std::string url(url_text);
  const HttpUrl url_parts = parse_http_url(url);
  const std::string what(limits.what);
  auto timed_out = [&] {
    return HttpGetError(method + printable(url) + " timed out after " + std::to_string(limits.deadline.count()) +
                        " ms");
  };
  auto executor = co_await asio::this_coro::executor;

  // Resolve (an IP literal resolves at once) under the deadline.
  tcp::resolver resolver(executor);
  asio::steady_timer timer(executor);
  timer.expires_at(deadline);
  auto resolved =
      co_await (resolver.async_resolve(url_parts.host, std::to_string(url_parts.port), asio::as_tuple(use_awaitable)) ||
                timer.async_wait(asio::as_tuple(use_awaitable)));
  if (resolved.index() == 1) throw timed_out();
  auto [resolve_error, endpoints] = std::get<0>(std::move(resolved));
  if (resolve_error) {
    throw HttpGetError("cannot resolve " + printable(url_parts.host) + " for " + printable(url) + ": " +
                       resolve_error.message());
  }

  beast::tcp_stream stream(executor);
  stream.expires_at(deadline);
  auto [connect_error, peer] = co_await stream.async_connect(endpoints, asio::as_tuple(use_awaitable));
  if (connect_error == beast::error::timeout) throw timed_out();
  if (connect_error) throw HttpGetError("cannot connect for " + printable(url) + ": " + connect_error.message());

  http::request<http::vector_body<std::uint8_t>> request{outgoing.verb, url_parts.target, 11};
  request.set(http::field::host,
              url_parts.port == 80
                  ? url_parts.host
                  : (url_parts.host.find(':') != std::string::npos ? "[" + url_parts.host + "]" : url_parts.host) +
                        ":" + std::to_string(url_parts.port));
  request.set(http::field::user_agent, "tlslab");
  request.set(http::field::accept, outgoing.accept);
  request.set(http::field::connection, "close");
  if (outgoing.verb == http::verb::post) {
    request.set(http::field::content_type, outgoing.content_type);
    request.body().assign(outgoing.body.begin(), outgoing.body.end());
    request.prepare_payload();
  }
  auto [write_error, written] = co_await http::async_write(stream, request, asio::as_tuple(use_awaitable));
  if (write_error == beast::error::timeout) throw timed_out();
  if (write_error) throw HttpGetError(method + printable(url) + ": cannot send the request: " + write_error.message());

  http::response_parser<http::vector_body<std::uint8_t>> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
  parser.body_limit(limits.body_limit);
  beast::flat_buffer buffer;
  auto read_failure = [&](const boost::system::error_code& error) -> HttpGetError {
    if (error == beast::error::timeout) return timed_out();
    if (error == http::error::body_limit) {
      auto length = parser.content_length();
      return HttpGetError(method + printable(url) + ": the answer's body " +
                          (length ? "announces " + std::to_string(*length) + " bytes, " : std::string("is ")) +
                          "more than " + std::to_string(limits.body_limit) + " bytes: refused");
    }
    if (error == http::error::header_limit) {
      return HttpGetError(method + printable(url) + ": the answer's header is more than " +
                          std::to_string(limits.header_limit) + " bytes: refused");
    }
    if (error == http::error::end_of_stream || error == asio::error::eof || error == http::error::partial_message) {
      return HttpGetError(method + printable(url) + ": the server closed the connection before a whole answer");
    }
    if (error.category() == http::make_error_code(http::error::bad_version).category()) {
      return HttpGetError(method + printable(url) + ": the server's answer is not an HTTP/1.1 answer (" +
                          error.message() + ")");
    }
    return HttpGetError(method + printable(url) + ": " + error.message());
  };
  auto [header_error, header_bytes] =
      co_await http::async_read_header(stream, buffer, parser, asio::as_tuple(use_awaitable));
  if (header_error) throw read_failure(header_error);
  const auto& header = parser.get();
  unsigned status = header.result_int();
  if (status >= 300 && status < 400) {
    auto location = header[http::field::location];
    throw HttpGetError(
        what + " redirects to " +
        (location.empty() ? std::string("nowhere (no Location)") : printable(std::string(location.substr(0, 200)))) +
        ": not followed (HTTP " + std::to_string(status) + " from " + printable(url) + ")");
  }
  if (status != 200) {
    throw HttpGetError(method + printable(url) + " answered HTTP " + std::to_string(status) + " " +
                       printable(std::string(header.reason().substr(0, 100))) + ", not 200 OK");
  }
  auto [body_error, body_bytes] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(use_awaitable));
  if (body_error) throw read_failure(body_error);

  HttpGetResponse response;
  auto message = parser.release();
  response.status = status;
  response.content_type = printable(std::string(message[http::field::content_type].substr(0, 200)));
  response.etag = printable(std::string(message[http::field::etag].substr(0, 200)));
  response.peer = peer.address().to_string() + ":" + std::to_string(peer.port());
  if (peer.address().is_v6()) response.peer = "[" + peer.address().to_string() + "]:" + std::to_string(peer.port());
  response.body = std::move(message.body());
  response.elapsed_ms = ms_since(start);
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return response;
}

}  // namespace

awaitable<HttpGetResponse> http_get(std::string_view url, const HttpGetLimits& limits) {
  co_return co_await exchange(url, {http::verb::get, "application/pkix-crl, application/octet-stream", {}, {}}, limits);
}

awaitable<HttpGetResponse> http_post(std::string_view url, std::string_view content_type, ByteView body,
                                     std::string_view accept, const HttpGetLimits& limits) {
  co_return co_await exchange(url, {http::verb::post, accept, content_type, body}, limits);
}

}  // namespace tlslab::net
