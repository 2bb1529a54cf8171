#include "tls_session.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/http/error.hpp>

#include <memory>

#include "client_certificate.hpp"
#include "http_service.hpp"
#include "session_page.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/tls/names.hpp"
#include "tlslab/tls/tap.hpp"
#include "tlslab/tls/tls_flow.hpp"

namespace tlslab::server {
namespace {

namespace ssl = asio::ssl;
using TlsStream = ssl::stream<tcp::socket>;
using ErrorCode = boost::system::error_code;

// The stream and its deadline. When a deadline passes, the socket is closed: the libssl operation
// waiting on it ends at once (a peer that stalls is cut off). Shared with the timer's handler, which
// may run after the session's coroutine has ended.
struct TlsConnection : std::enable_shared_from_this<TlsConnection> {
  TlsStream stream;
  asio::steady_timer timer;
  std::uint64_t generation = 0;
  bool timed_out = false;

  TlsConnection(tcp::socket socket, ssl::context& context)
      : stream(std::move(socket), context), timer(stream.get_executor()) {}

  void arm(net::Clock::time_point deadline) {
    timer.expires_at(deadline);
    timer.async_wait([weak = weak_from_this(), armed = ++generation](ErrorCode error) {
      if (error) return;
      auto self = weak.lock();
      if (!self || self->generation != armed) return;
      self->timed_out = true;
      ErrorCode ignored;
      self->stream.lowest_layer().close(ignored);
    });
  }
  void disarm() {
    ++generation;
    timer.cancel();
  }
};

// The stream beneath HTTP failed (reset, truncated, timed out): the session ends here.
struct StreamEnded {
  ErrorCode error;
};

// libssl's reason for a failed operation, in its own words ("no shared cipher").
std::string failure_reason(const ErrorCode& error) {
  if (error == ssl::error::stream_truncated) return "the peer closed the connection without close_notify";
  if (error == asio::error::eof) return "the peer closed the connection";
  if (error.category() == asio::error::get_ssl_category()) {
    auto code = static_cast<unsigned long>(error.value());
    if (ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_HTTP_REQUEST) {
      return "a plain-text HTTP request on the TLS port";
    }
    if (const char* reason = ERR_reason_error_string(code)) return reason;
  }
  return error.message();
}

void names_of_groups(SSL* ssl, std::vector<std::string>& out) {
  int count = static_cast<int>(SSL_get1_groups(ssl, nullptr));
  if (count <= 0) return;
  std::vector<int> groups(static_cast<std::size_t>(count));
  SSL_get1_groups(ssl, groups.data());
  for (int nid : groups) {
    if ((nid & TLSEXT_nid_unknown) != 0) {
      // A group libssl does not implement, by its code point (RFC 8446 §4.2.7).
      out.push_back(tls::group_name(static_cast<std::uint16_t>(nid & 0xffff)) + " (declined: unknown to libssl)");
    } else if (const char* name = SSL_group_to_name(ssl, nid)) {
      out.emplace_back(name);
    }
  }
}

// The session page's facts: the negotiated ones from libssl; the arrows from the tap when it ran,
// else from the flow libssl followed.
TlsSessionFacts facts_of(SSL* ssl, const tls::Context& context, const tls::Tap* tap,
                         const std::vector<HandshakeEvent>& tapped) {
  TlsSessionFacts facts;
  facts.protocol = tls::protocol_name(ssl);
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  if (cipher != nullptr) facts.suite = SSL_CIPHER_standard_name(cipher);
  int group = static_cast<int>(SSL_get_negotiated_group(ssl));
  if (group != NID_undef && group != 0) {
    if (const char* name = SSL_group_to_name(ssl, group)) facts.group = name;
  }
  facts.client_random.resize(SSL3_RANDOM_SIZE);
  facts.client_random.resize(SSL_get_client_random(ssl, facts.client_random.data(), facts.client_random.size()));
  facts.server_random.resize(SSL3_RANDOM_SIZE);
  facts.server_random.resize(SSL_get_server_random(ssl, facts.server_random.data(), facts.server_random.size()));
  if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) facts.server_name = name;
  if (tap != nullptr) {
    // From the ClientHello itself: every group in its order, and those it sent a key share in.
    tls::Tap::Offer offer = tap->client_offer();
    facts.offered_groups = std::move(offer.groups);
    facts.offered_key_shares = std::move(offer.key_shares);
  }
  if (facts.offered_groups.empty()) names_of_groups(ssl, facts.offered_groups);
  if (STACK_OF(SSL_CIPHER)* offered = SSL_get_client_ciphers(ssl)) {
    for (int i = 0; i < sk_SSL_CIPHER_num(offered); ++i) {
      facts.offered_suites.emplace_back(SSL_CIPHER_standard_name(sk_SSL_CIPHER_value(offered, i)));
    }
  }
  const unsigned char* staple = nullptr;
  long staple_length = SSL_get_tlsext_status_ocsp_resp(ssl, &staple);
  if (staple != nullptr && staple_length > 0) {
    facts.staple = "the CA's OCSP answer (" + std::to_string(staple_length) + " bytes), " +
                   (facts.protocol == "TLS 1.3" ? "inside the Certificate message" : "as CertificateStatus");
  }
  X509* client = SSL_get0_peer_certificate(ssl);
  if (client != nullptr)
    facts.client_certificate = crypto::subject_of(client) + ", serial " + crypto::serial_hex(client);

  if (!tapped.empty()) {
    facts.tapped = true;
    for (const auto& event : tapped) {
      if (event.arrow == 0) continue;
      facts.arrows.push_back({event.arrow, event.from + " → " + event.to, event.message, event.description});
    }
    return facts;
  }
  bool tls13 = SSL_version(ssl) == TLS1_3_VERSION;
  bool ecdhe = cipher != nullptr && SSL_CIPHER_get_kx_nid(cipher) == NID_kx_ecdhe;
  bool asked = context.options().client_certificates != tls::ClientCertificates::none;
  bool resumed = SSL_session_reused(ssl) == 1;
  for (const auto& step : tls::tls_flow_for(tls13, ecdhe, resumed).steps) {
    std::string messages;
    for (const auto& message : step.messages) {
      bool present = !message.optional;
      if (message.name == "CertificateStatus") present = !facts.staple.empty();
      if (message.name == "CertificateRequest") present = asked;
      if (message.name == "Certificate" && step.from == Party::client) present = asked;
      if (message.name == "CertificateVerify" && step.from == Party::client) present = client != nullptr;
      if (message.name == "NewSessionTicket" && !tls13) present = false;  // not known without the tap
      if (message.name == "HelloRetryRequest") present = false;
      if (!present) continue;
      if (!messages.empty()) messages += " + ";
      messages += message.name;
    }
    facts.arrows.push_back({step.arrow, std::string(to_string(step.from)) + " → " + std::string(to_string(step.to)),
                            messages, std::string(step.description)});
  }
  return facts;
}

}  // namespace

awaitable<void> serve_tls_connection(tcp::socket socket, std::uint64_t id, TlsServerContext& context) {
  // Plain references, not a structured binding: the lambdas below use them (clang 14 cannot capture a
  // structured binding).
  const ServerIdentity& identity = context.base.identity;
  const ServerSettings& settings = context.base.settings;
  Trace& trace = context.base.trace;
  std::shared_ptr<spdlog::logger>& log = context.base.log;
  PeerWarnings& warnings = context.base.warnings;
  ErrorCode gone;  // a peer that reset at once has no address to log
  tcp::endpoint endpoint = socket.remote_endpoint(gone);
  std::string address = gone ? "(peer gone)" : endpoint.address().to_string();
  std::string peer = gone ? address : address + ":" + std::to_string(endpoint.port());
  auto connection = std::make_shared<TlsConnection>(std::move(socket), context.tls.asio());
  SSL* ssl = connection->stream.native_handle();
  tls::AlertRecord alerts;
  tls::watch_alerts(ssl, &alerts);
  // The tap only when someone reads the trace: with it off, nothing is copied, no event is built.
  auto start = net::Clock::now();
  std::optional<tls::Tap> tap;
  if (trace.enabled()) {
    tap.emplace(tls::TapOptions{Party::server, trace.shows_secrets()});
    tap->install(ssl);
    tap->start(start);
  }
  // Every event of this session counts from the connection's beginning: the tap's (stamped when
  // libssl handed each message over), the outcome's and arrow 8's lines.
  SessionTrace session_trace(trace, id);
  session_trace.begin(start);
  auto stamp = [&](auto& event) {
    event.connection = id;
    if (!event.time.empty()) return;
    event.elapsed_ms = std::chrono::duration<double, std::milli>(net::Clock::now() - start).count();
    event.time = iso_now();
  };
  std::vector<HandshakeEvent> tapped;
  auto emit_tapped = [&] {
    if (!tap) return;
    for (auto& event : tap->take_events(ssl)) {
      stamp(event);
      trace.emit(event);
      tapped.push_back(std::move(event));
    }
  };
  auto warn = [&](const std::string& line) {
    PeerWarnings::Decision decision = warnings.admit(address);
    if (!decision.log) return;
    if (decision.suppressed > 0) {
      log->warn("[conn {}] {} ({} more warning(s) about {} were not logged)", id, line, decision.suppressed, address);
    } else {
      log->warn("[conn {}] {}", id, line);
    }
  };

  // Arrows 1–7: libssl runs the handshake, within the lab's handshake deadline.
  connection->arm(start + settings.timeouts.handshake);
  auto [handshake_error] =
      co_await connection->stream.async_handshake(ssl::stream_base::server, asio::as_tuple(use_awaitable));
  connection->disarm();
  emit_tapped();
  if (handshake_error) {
    std::string reason = connection->timed_out
                             ? "no complete handshake within " + std::to_string(settings.timeouts.handshake.count()) +
                                   " ms: the peer is too slow or stalled"
                             : failure_reason(handshake_error);
    std::string alert;
    OutcomeEvent outcome;
    outcome.ok = false;
    if (alerts.sent) {
      alert = tls::alert_words(*alerts.sent);
      outcome.alert = alert;
      outcome.alert_from = "Server";
      outcome.alert_to = "Client";
      alert = " (alert " + alert + " sent)";
    } else if (alerts.received) {
      alert = tls::alert_words(*alerts.received);
      outcome.alert = alert;
      outcome.alert_from = "Client";
      outcome.alert_to = "Server";
      alert = " (alert " + alert + " received)";
    }
    std::string line = "tls handshake failed: " + reason + alert;
    if (trace.enabled()) {
      outcome.event = line;
      if (tap && tap->last_alert()) outcome.alert_frame = tls::alert_frame(*tap->last_alert());
      stamp(outcome);
      trace.emit(outcome);
    }
    // The terminal trace has just printed it; the log says it when the trace is off (--quiet).
    if (!trace.options().text) warn(peer + " " + line);
    co_return;
  }

  X509* client = SSL_get0_peer_certificate(ssl);
  std::string client_status;
  // libssl verified the client's chain against --client-trust; the CA is asked about it as in the
  // lab (arrows 3–4 by the server, §9.2), when the server knows a CA service or checks CRLs.
  if (client != nullptr && settings.client_trust &&
      (settings.ca_service || (settings.client_ca_check == CaCheck::crl && settings.client_crls))) {
    std::optional<std::string> refusal;
    try {
      auto checked = co_await check_client_status(client, crypto::certificate_der(client), settings, session_trace);
      client_status = checked.status;
    } catch (const ProtocolError& error) {
      refusal = error.what();
    }
    if (refusal) {
      // After the handshake libssl sends no alert of our choosing: the session ends with close_notify.
      std::string line = "client certificate refused: " + *refusal + " (session closed before any request)";
      if (trace.enabled()) {
        OutcomeEvent outcome;
        outcome.ok = false;
        outcome.event = line;
        stamp(outcome);
        trace.emit(outcome);
      }
      if (!trace.options().text) warn(peer + " " + line);
      connection->arm(net::Clock::now() + settings.timeouts.handshake);
      co_await connection->stream.async_shutdown(asio::as_tuple(use_awaitable));
      connection->disarm();
      co_return;
    }
  }

  std::string protocol = tls::protocol_name(ssl);
  std::string suite = SSL_CIPHER_standard_name(SSL_get_current_cipher(ssl));
  std::string summary = protocol + ", " + suite;
  const unsigned char* staple = nullptr;
  if (SSL_get_tlsext_status_ocsp_resp(ssl, &staple) > 0 && staple != nullptr) summary += ", stapled";
  if (client != nullptr) summary += ", client " + crypto::subject_of(client) + " serial " + crypto::serial_hex(client);
  if (!client_status.empty()) summary += " (the CA: " + client_status + ")";
  if (trace.enabled()) {
    OutcomeEvent outcome;
    outcome.ok = true;
    outcome.event = "handshake complete";
    outcome.detail = summary;
    stamp(outcome);
    trace.emit(outcome);
  }
  log->info("[conn {}] {} handshake complete: {}", id, peer, summary);

  // Arrow 8: the lab's HTTP service, over TLS.
  HttpConnection http{
      .set_deadline = [&](net::Clock::time_point deadline) { connection->arm(deadline); },
      // Writes get the idle timeout too: a client that stops reading is cut off.
      .clear_deadline = [&] { connection->arm(net::Clock::now() + settings.timeouts.idle); },
      .broken =
          [](const ErrorCode& error) {
            return error.category() != ErrorCode(boost::beast::http::error::end_of_stream).category();
          },
      .fail = [](const ErrorCode& error) { throw StreamEnded{error}; },
      .write_bulk = [&](ByteView bytes) -> awaitable<void> {
        auto [error, written] = co_await asio::async_write(connection->stream, asio::buffer(bytes.data(), bytes.size()),
                                                           asio::as_tuple(use_awaitable));
        if (error) throw StreamEnded{error};
      },
      .session_page =
          [&] {
            TlsSessionFacts facts = facts_of(ssl, context.tls, tap ? &*tap : nullptr, tapped);
            if (facts.client_certificate && !client_status.empty()) {
              *facts.client_certificate += "; the CA: " + client_status;
            }
            return tls_session_page(identity, facts, id);
          },
  };
  std::uint64_t served = 0;
  std::optional<ErrorCode> ended;
  try {
    served = co_await serve_http(connection->stream, http, settings, session_trace, *log);
  } catch (const StreamEnded& failure) {
    ended = failure.error;
  }
  if (ended) {
    connection->disarm();
    if (connection->timed_out) {
      log->info("[conn {}] {} idle timeout: the peer sent nothing for {} ms", id, peer, settings.timeouts.idle.count());
    } else if (*ended == ssl::error::stream_truncated || *ended == asio::error::connection_reset) {
      // A peer that closes without close_notify: worth one line, no more (RFC 8446 §6.1).
      log->info("[conn {}] {} connection ended without close_notify after {} request(s)", id, peer, served);
    } else {
      log->info("[conn {}] {} connection ended: {}", id, peer, failure_reason(*ended));
    }
    co_return;
  }
  // close_notify, within the handshake deadline: a peer that never answers it is not waited for.
  connection->arm(net::Clock::now() + settings.timeouts.handshake);
  auto [shutdown_error] = co_await connection->stream.async_shutdown(asio::as_tuple(use_awaitable));
  connection->disarm();
  // Most clients close at once after their own close_notify, or without waiting for ours: not news.
  if (shutdown_error && shutdown_error != asio::error::eof && shutdown_error != ssl::error::stream_truncated) {
    log->debug("[conn {}] close_notify: {}", id, failure_reason(shutdown_error));
  }
  log->info("[conn {}] session closed after {} request(s)", id, served);
}

}  // namespace tlslab::server
