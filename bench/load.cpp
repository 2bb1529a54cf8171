#include "load.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <openssl/ocsp.h>
#include "handshake.hpp"
#include "session_file.hpp"

#include "tlslab/crypto/random.hpp"
#include "tlslab/net/secure_stream.hpp"
#include "tlslab/net/status_client.hpp"

namespace tlslab::bench {
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

using Clock = std::chrono::steady_clock;

double since_ms(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// A trace with no renderer: the bench measures the protocol, not the printing.
Trace& quiet_trace() {
  static Trace trace([] {
    TraceOptions options;
    options.text = false;
    return options;
  }());
  return trace;
}

awaitable<net::Channel> connect_and_handshake(const client::ClientSettings& settings, const crypto::TrustStore& trust,
                                              net::StatusClient& ca_service,
                                              client::SessionParameters* session = nullptr) {
  tcp::socket socket = co_await net::connect_with_deadline(settings.server, settings.timeouts.handshake);
  net::Channel channel(std::move(socket), settings.timeouts);
  SessionTrace trace(quiet_trace(), 0);  // no renderer: no event is built, no frame copied
  auto made = co_await client::run_handshake(channel, settings, trust, ca_service, trace);
  if (session) *session = std::move(made);
  co_return channel;
}

awaitable<net::Channel> connect_and_handshake(Shared& shared, net::StatusClient& ca_service) {
  co_return co_await connect_and_handshake(shared.settings, shared.trust, ca_service);
}

awaitable<std::uint64_t> http_get(net::Channel& channel, const std::string& path, const std::string& host,
                                  std::uint64_t body_limit) {
  net::SecureStream stream(channel);
  http::request<http::empty_body> request(http::verb::get, path, 11);
  request.set(http::field::host, host);
  request.keep_alive(true);
  auto [write_error, written] = co_await http::async_write(stream, request, asio::as_tuple(use_awaitable));
  if (write_error) {
    if (stream.failure()) std::rethrow_exception(stream.failure());
    throw ProtocolError(AlertDescription::internal_error, "request: " + write_error.message());
  }
  // Bodies are counted and dropped, chunk by chunk: a 1 GiB bulk run needs no 1 GiB buffer.
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(body_limit);
  auto [header_error, header_bytes] =
      co_await http::async_read_header(stream, buffer, parser, asio::as_tuple(use_awaitable));
  if (header_error) {
    if (stream.failure()) std::rethrow_exception(stream.failure());
    throw ProtocolError(AlertDescription::decode_error, "response: " + header_error.message());
  }
  if (parser.get().result_int() != 200) {
    throw ProtocolError(AlertDescription::internal_error,
                        "HTTP status " + std::to_string(parser.get().result_int()) + " for " + path);
  }
  std::uint64_t received = 0;
  if (auto length = parser.content_length(); length && *length <= body_limit) {
    // A body of known length is counted record by record, straight from the channel, the way
    // the server writes it: no copy through Beast's buffers.
    received = std::min<std::uint64_t>(buffer.size(), *length);
    received += std::min<std::uint64_t>(stream.take_buffered().size(), *length - received);
    while (received < *length) {
      ByteView content = co_await channel.read_application_data();
      if (content.size() > *length - received) {
        throw ProtocolError(AlertDescription::decode_error, "response body longer than its Content-Length");
      }
      received += content.size();
    }
    co_return received;
  }
  std::vector<char> chunk(64 * 1024);
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    auto [error, count] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(use_awaitable));
    if (error && error != http::error::need_buffer) {
      if (stream.failure()) std::rethrow_exception(stream.failure());
      throw ProtocolError(AlertDescription::decode_error, "response body: " + error.message());
    }
    received += chunk.size() - parser.get().body().size;
  }
  co_return received;
}

void record_error(WorkerStats& stats, const std::exception& error) {
  ++stats.errors;
  if (stats.first_error.empty()) stats.first_error = error.what();
}

}  // namespace

void AnswerChecks::post(std::function<void()> check) {
  ++waiting_;
  asio::post(*pool_, [this, check = std::move(check)] {
    try {
      check();
      std::lock_guard lock(mutex_);
      ++verified_.operations;
    } catch (const std::exception& error) {
      std::lock_guard lock(mutex_);
      record_error(verified_, error);
    }
    --waiting_;
  });
}

void AnswerChecks::finish(WorkerStats& total) {
  if (!pool_) return;
  pool_->join();
  std::lock_guard lock(mutex_);
  total.operations += verified_.operations;
  total.errors += verified_.errors;
  if (total.first_error.empty()) total.first_error = verified_.first_error;
}

bool Shared::claim() {
  if (options.operations > 0) return started.fetch_add(1) < options.operations;
  return Clock::now() < deadline;
}

namespace {

// RFC 6960 A.1 over HTTP, a new connection per request: the same for tlslab-ca and `openssl ocsp`.
awaitable<void> run_ocsp_http(Shared& shared, WorkerStats& stats) {
  const auto& options = shared.options;
  ossl::X509Ptr certificate = crypto::load_certificate_pem(options.status_certificate);
  ossl::X509Ptr issuer = crypto::load_certificate_pem(options.issuer_certificate);
  tcp::endpoint responder = net::parse_endpoint(options.ocsp_url);
  while (shared.claim()) {
    auto start = Clock::now();
    try {
      ossl::OcspRequest ocsp_request(OCSP_REQUEST_new());
      OCSP_request_add0_id(ocsp_request.get(), OCSP_cert_to_id(EVP_sha1(), certificate.get(), issuer.get()));
      Bytes nonce = crypto::random_bytes(16);
      OCSP_request_add1_nonce(ocsp_request.get(), nonce.data(), static_cast<int>(nonce.size()));
      int length = i2d_OCSP_REQUEST(ocsp_request.get(), nullptr);
      std::string body(static_cast<std::size_t>(length), '\0');
      auto* cursor = reinterpret_cast<unsigned char*>(body.data());
      i2d_OCSP_REQUEST(ocsp_request.get(), &cursor);
      tcp::socket socket = co_await net::connect_with_deadline(responder, std::chrono::seconds(5));
      beast::tcp_stream stream(std::move(socket));
      stream.expires_after(std::chrono::seconds(5));
      http::request<http::string_body> request(http::verb::post, "/", 11);
      request.set(http::field::host, options.ocsp_url);
      request.set(http::field::content_type, "application/ocsp-request");
      request.body() = std::move(body);
      request.prepare_payload();
      co_await http::async_write(stream, request, use_awaitable);
      beast::flat_buffer buffer;
      http::response<http::string_body> response;
      co_await http::async_read(stream, buffer, response, use_awaitable);
      const auto* der = reinterpret_cast<const unsigned char*>(response.body().data());
      ossl::OcspResponse parsed(d2i_OCSP_RESPONSE(nullptr, &der, static_cast<long>(response.body().size())));
      if (response.result_int() != 200 || !parsed ||
          OCSP_response_status(parsed.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        throw std::runtime_error("OCSP responder answered HTTP " + std::to_string(response.result_int()));
      }
      boost::system::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stats.latencies_ms.push_back(since_ms(start));
      ++stats.operations;
    } catch (const std::exception& error) {
      record_error(stats, error);
    }
  }
}

// Arrows 3–4 alone, over one kept-alive connection per worker. Each answer is verified on a check
// thread (AnswerChecks), counted there as an operation or an error; the latency is the exchange's.
awaitable<void> run_status(Shared& shared, WorkerStats& stats, net::StatusClient& ca_service) {
  std::shared_ptr<X509> certificate(crypto::load_certificate_pem(shared.options.status_certificate).release(),
                                    X509_free);
  Bytes der = crypto::certificate_der(certificate.get());
  asio::steady_timer pause(co_await asio::this_coro::executor);
  while (shared.claim()) {
    while (shared.checks.lagging()) {
      pause.expires_after(std::chrono::microseconds(200));
      co_await pause.async_wait(asio::as_tuple(use_awaitable));
    }
    auto start = Clock::now();
    try {
      net::StatusExchange exchange = co_await ca_service.query(der);
      stats.latencies_ms.push_back(since_ms(start));
      shared.checks.post([&trust = shared.trust, certificate, exchange = std::move(exchange)] {
        crypto::verify_ocsp_response(exchange.response.ocsp_response, trust, certificate.get(), exchange.request.nonce)
            .take();
      });
    } catch (const std::exception& error) {
      record_error(stats, error);
    }
  }
}

// A full handshake on a new connection each time, CA check included, then close_notify.
awaitable<void> run_handshakes(Shared& shared, WorkerStats& stats, net::StatusClient& ca_service) {
  while (shared.claim()) {
    auto start = Clock::now();
    try {
      net::Channel channel = co_await connect_and_handshake(shared, ca_service);
      stats.latencies_ms.push_back(since_ms(start));
      ++stats.operations;
      co_await channel.send_alert(AlertDescription::close_notify);
      channel.close();
    } catch (const std::exception& error) {
      record_error(stats, error);
    }
  }
}

// --resume: resumed handshakes (arrows 1, 2, 6, 7), each on a new connection, then close_notify.
// The worker's first handshake is a full one, not counted: it takes the session ticket, which this
// worker keeps in memory (never in a file) with the master secret. Every counted handshake offers
// it; one the server does not resume is still a handshake made (an operation) but is counted in
// not_resumed, and the new ticket it may bring replaces the old one. A ticket past its expiry
// (the earlier of the lifetime hint and the CA answer's nextUpdate, §7.8) is not offered.
awaitable<void> run_resumed_handshakes(Shared& shared, WorkerStats& stats, net::StatusClient& ca_service) {
  client::ClientSettings settings = shared.settings;  // this worker's own: its ticket goes in `resume`
  std::shared_ptr<const client::StoredSession> kept;
  settings.keep_session = [&kept](client::StoredSession stored) {
    kept = std::make_shared<const client::StoredSession>(std::move(stored));
  };
  auto handshake = [&](client::SessionParameters& session) -> awaitable<void> {
    bool offer = kept && kept->expires > static_cast<std::int64_t>(std::time(nullptr));
    settings.resume = offer ? kept : nullptr;
    net::Channel channel = co_await connect_and_handshake(settings, shared.trust, ca_service, &session);
    co_await channel.send_alert(AlertDescription::close_notify);
    channel.close();
  };
  try {
    client::SessionParameters first;
    co_await handshake(first);
  } catch (const std::exception& error) {
    record_error(stats, error);  // the counted ones still run: each full one may bring a ticket
  }
  while (shared.claim()) {
    auto start = Clock::now();
    try {
      client::SessionParameters session;
      co_await handshake(session);
      stats.latencies_ms.push_back(since_ms(start));
      ++stats.operations;
      ++(session.resumed ? stats.resumed : stats.not_resumed);
    } catch (const std::exception& error) {
      record_error(stats, error);
    }
  }
}

// One established session per worker, held idle until the end of the run: server memory per
// session is what this measures (read the server's RSS while it runs).
awaitable<void> run_hold(Shared& shared, WorkerStats& stats, net::StatusClient& ca_service) {
  try {
    // Ramp up: 10,000 handshakes at once would queue behind the server's RSA operations past the
    // handshake deadline; the point is to hold sessions, not to storm the server.
    asio::steady_timer pause(co_await asio::this_coro::executor);
    while (shared.handshakes_in_flight.load() >= 64) {
      pause.expires_after(std::chrono::milliseconds(2));
      co_await pause.async_wait(asio::as_tuple(use_awaitable));
    }
    ++shared.handshakes_in_flight;
    auto start = Clock::now();
    std::optional<net::Channel> established;
    try {
      established.emplace(co_await connect_and_handshake(shared, ca_service));
    } catch (...) {
      --shared.handshakes_in_flight;
      throw;
    }
    --shared.handshakes_in_flight;
    net::Channel& channel = *established;
    ca_service.close();
    stats.latencies_ms.push_back(since_ms(start));
    ++stats.operations;
    asio::steady_timer until_end(channel.socket().get_executor(), shared.deadline);
    co_await until_end.async_wait(asio::as_tuple(use_awaitable));
    // Still alive? One request proves the server kept the session.
    stats.bytes += co_await http_get(channel, "/bytes/1", shared.settings.server_name, 2);
    co_await channel.send_alert(AlertDescription::close_notify);
    channel.close();
  } catch (const std::exception& error) {
    record_error(stats, error);
  }
}

// requests and bulk: one handshake per worker, then GETs on the kept-alive connection.
awaitable<void> run_requests(Shared& shared, WorkerStats& stats, net::StatusClient& ca_service) {
  const auto& options = shared.options;
  std::optional<net::Channel> channel;
  while (shared.claim()) {
    try {
      if (!channel) channel.emplace(co_await connect_and_handshake(shared, ca_service));
      auto start = Clock::now();
      std::string path = options.mode == Mode::bulk ? "/bytes/" + std::to_string(options.bulk_bytes) : options.path;
      stats.bytes += co_await http_get(*channel, path, shared.settings.server_name, options.bulk_bytes + 1);
      stats.latencies_ms.push_back(since_ms(start));
      ++stats.operations;
    } catch (const std::exception& error) {
      record_error(stats, error);
      channel.reset();
    }
  }
  if (channel) {
    co_await channel->send_alert(AlertDescription::close_notify);
    channel->close();
  }
}

}  // namespace

awaitable<void> run_worker(Shared& shared, WorkerStats& stats) {
  net::StatusClient ca_service(shared.settings.ca_service, shared.settings.timeouts);
  switch (shared.options.mode) {
    case Mode::ocsp_http: co_await run_ocsp_http(shared, stats); break;
    case Mode::status: co_await run_status(shared, stats, ca_service); break;
    case Mode::handshake:
      if (shared.options.resume)
        co_await run_resumed_handshakes(shared, stats, ca_service);
      else
        co_await run_handshakes(shared, stats, ca_service);
      break;
    case Mode::hold: co_await run_hold(shared, stats, ca_service); break;
    case Mode::requests:
    case Mode::bulk: co_await run_requests(shared, stats, ca_service); break;
  }
}

}  // namespace tlslab::bench
