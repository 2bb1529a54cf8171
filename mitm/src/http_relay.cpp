#include "http_relay.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "tlslab/crypto/crl.hpp"
#include "tlslab/net/endpoint.hpp"
#include "tlslab/text.hpp"

namespace tlslab::mitm {
namespace {

using namespace asio::experimental::awaitable_operators;

// The most the CA's answer may be: the largest list a client accepts, and a head.
constexpr std::size_t max_http_answer = crypto::max_crl_size + 16 * 1024;

struct Request {
  bool head = false;    // HEAD: the answer has no body
  std::string line;     // the request line, for the log
  std::string to_send;  // the request as relayed: hop-by-hop headers dropped, Connection: close
};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The request head (up to and including the blank line) as a CRL fetch sends it: GET or HEAD of a
// path, HTTP/1.x, no body. nullopt with `why` for anything else.
std::optional<Request> parse_request(std::string_view head, std::string& why) {
  std::size_t end = head.find("\r\n");
  std::string_view line = head.substr(0, end);
  Request request;
  request.line = printable(line);
  std::size_t first = line.find(' '), last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) {
    why = "not an HTTP request line: '" + request.line + "'";
    return std::nullopt;
  }
  std::string_view method = line.substr(0, first), target = line.substr(first + 1, last - first - 1),
                   version = line.substr(last + 1);
  if (method != "GET" && method != "HEAD") {
    why = "a CRL fetch is GET or HEAD, not " + printable(method);
    return std::nullopt;
  }
  if (target.empty() || target.front() != '/' || (version != "HTTP/1.1" && version != "HTTP/1.0")) {
    why = "not an HTTP/1.x request of a path: '" + request.line + "'";
    return std::nullopt;
  }
  request.head = method == "HEAD";
  request.to_send = std::string(line) + "\r\n";
  std::string_view rest = head.substr(end + 2);
  while (!rest.empty()) {
    std::size_t next = rest.find("\r\n");
    std::string_view field = rest.substr(0, next);
    rest.remove_prefix(next == std::string_view::npos ? rest.size() : next + 2);
    if (field.empty()) break;
    std::size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      why = "a header line without a name: '" + printable(field.substr(0, 64)) + "'";
      return std::nullopt;
    }
    std::string_view name = field.substr(0, colon), value = field.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    if (equals_ignoring_case(name, "Transfer-Encoding") ||
        (equals_ignoring_case(name, "Content-Length") && value != "0")) {
      why = "a CRL fetch has no body, this request announces one";
      return std::nullopt;
    }
    // Hop-by-hop (RFC 9110 §7.6.1): this relay ends the connection after one answer.
    if (equals_ignoring_case(name, "Connection") || equals_ignoring_case(name, "Keep-Alive") ||
        equals_ignoring_case(name, "Proxy-Connection")) {
      continue;
    }
    request.to_send += std::string(field) + "\r\n";
  }
  request.to_send += "Connection: close\r\n\r\n";
  return request;
}

awaitable<void> write_all(tcp::socket& socket, std::string_view bytes) {
  co_await asio::async_write(socket, asio::buffer(bytes.data(), bytes.size()), asio::as_tuple(use_awaitable));
}

// The request head, or nullopt (with `why`) when the client closes, sends more than
// max_http_request_head bytes before the blank line, or sends what is not a CRL fetch.
awaitable<std::optional<Request>> read_request(tcp::socket& client, std::string& why) {
  std::string head;
  auto [error, size] = co_await asio::async_read_until(client, asio::dynamic_buffer(head, max_http_request_head),
                                                       "\r\n\r\n", asio::as_tuple(use_awaitable));
  if (error == asio::error::not_found) {
    why = "a request head over " + std::to_string(max_http_request_head) + " bytes";
    co_return std::nullopt;
  }
  if (error) {
    why = "the client closed before a whole request";
    co_return std::nullopt;
  }
  // Bytes after the blank line would be a body or a second request: a CRL fetch sends neither.
  if (head.size() != size) {
    why = "bytes after the request head (a body, or a second request)";
    co_return std::nullopt;
  }
  co_return parse_request(std::string_view(head).substr(0, size), why);
}

// Reads and drops what the client still sends, at most 64 KiB.
awaitable<void> drain(tcp::socket& client) {
  std::array<char, 4096> sink;
  for (std::size_t dropped = 0; dropped < 64 * 1024;) {
    auto [error, got] = co_await client.async_read_some(asio::buffer(sink), asio::as_tuple(use_awaitable));
    if (error) co_return;
    dropped += got;
  }
}

// After a 400: ends our side, then drains the client for at most a second, so that closing with
// unread bytes does not reset the connection before the client has read the answer (RFC 9112 §9.6).
awaitable<void> linger(tcp::socket& client) {
  boost::system::error_code ignored;
  client.shutdown(tcp::socket::shutdown_send, ignored);
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::seconds(1));
  co_await (drain(client) || timer.async_wait(asio::as_tuple(use_awaitable)));
}

// Copies the CA's answer to the client until the CA closes; false when it is over max_http_answer.
awaitable<bool> relay_answer(tcp::socket& from, tcp::socket& to, std::size_t& relayed) {
  std::array<char, 16 * 1024> buffer;
  for (;;) {
    auto [error, got] = co_await from.async_read_some(asio::buffer(buffer), asio::as_tuple(use_awaitable));
    if (got > 0) {
      if (relayed + got > max_http_answer) co_return false;
      relayed += got;
      auto [write_error, written] =
          co_await asio::async_write(to, asio::buffer(buffer.data(), got), asio::as_tuple(use_awaitable));
      if (write_error) co_return true;
    }
    if (error) co_return true;
  }
}

awaitable<void> exchange(tcp::socket& client, std::optional<tcp::socket>& ca, std::uint64_t id, tcp::endpoint upstream,
                         const AttackInfo& info, const AttackOptions& options, spdlog::logger& log) {
  std::string why;
  auto request = co_await read_request(client, why);
  if (!request) {
    log.warn("[conn {}] not relayed: {}", id, why);
    if (why != "the client closed before a whole request") {
      co_await write_all(client, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      co_await linger(client);
    }
    co_return;
  }
  bool fired = false;
  CrlVerdict verdict = on_crl_request(info, options, request->head, fired);
  if (fired) log.warn("[conn {}] → attack '{}' fired on '{}': {}", id, info.name, request->line, info.what);
  if (verdict.action == CrlVerdict::Action::close) co_return;
  if (verdict.action == CrlVerdict::Action::answer) {
    co_await write_all(client,
                       std::string_view(reinterpret_cast<const char*>(verdict.answer.data()), verdict.answer.size()));
    co_return;
  }
  ca.emplace(co_await net::connect_with_deadline(upstream, std::chrono::seconds(5)));
  log.info("[conn {}] relaying '{}' to {}:{}", id, request->line, upstream.address().to_string(), upstream.port());
  co_await write_all(*ca, request->to_send);
  std::size_t relayed = 0;
  if (!co_await relay_answer(*ca, client, relayed)) {
    log.warn("[conn {}] the answer is over {} bytes: closed both connections", id, max_http_answer);
    co_return;
  }
  log.info("[conn {}] answer relayed ({} bytes)", id, relayed);
}

}  // namespace

awaitable<void> relay_http_connection(tcp::socket downstream, std::uint64_t id, tcp::endpoint upstream,
                                      const AttackInfo& info, const AttackOptions& options,
                                      std::shared_ptr<spdlog::logger> log, std::chrono::milliseconds deadline) {
  std::optional<tcp::socket> ca;
  asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
  auto ended = co_await (exchange(downstream, ca, id, upstream, info, options, *log) ||
                         timer.async_wait(asio::as_tuple(use_awaitable)));
  if (ended.index() == 1) {
    log->warn("[conn {}] the CRL fetch did not end within {} ms (--idle-timeout-ms): closed both connections", id,
              deadline.count());
  }
  boost::system::error_code ignored;
  downstream.shutdown(tcp::socket::shutdown_both, ignored);
  downstream.close(ignored);
  if (ca) {
    ca->shutdown(tcp::socket::shutdown_both, ignored);
    ca->close(ignored);
  }
}

}  // namespace tlslab::mitm
