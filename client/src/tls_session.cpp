#include "tls_session.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <chrono>
#include <ctime>
#include <memory>

#include "requests.hpp"
#include "tls_revocation.hpp"
#include "tls_session_file.hpp"
#include "tlslab/failure_reason.hpp"
#include "tlslab/net/endpoint.hpp"
#include "tlslab/session_end.hpp"
#include "tlslab/tls/context.hpp"
#include "tlslab/tls/tap.hpp"

namespace tlslab::client {
namespace {

using TlsStream = boost::asio::ssl::stream<tcp::socket>;

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

tls::ContextOptions context_options(const ClientSettings& settings, bool tracing) {
  tls::ContextOptions options;
  options.role = tls::Role::client;
  options.versions = settings.tls->versions;
  // --trust system: OpenSSL's default CA file here (the Context needs one), and its default
  // directory too (SSL_CTX_set_default_verify_paths, below).
  options.trust_path = settings.tls->system_trust ? X509_get_default_cert_file() : settings.trust_path;
  options.tls12_ciphers = settings.tls->tls12_ciphers;
  options.keylog_path = settings.keylog;
  options.request_status = settings.ca_check == CaCheck::stapled || settings.ca_check == CaCheck::automatic;
  options.certificate_path = settings.tls->certificate_path;
  options.key_path = settings.tls->key_path;
  options.trace = tracing;
  return options;
}

// Emits the tap's events and the CA check's in the order they happened: each carries its time (a
// tapped flight the moment its first message crossed; the check's arrows 3–4 when they were made,
// inside arrow 2, after the certificate check). All count from the session's `start`.
void emit_events(Trace& trace, std::vector<HandshakeEvent> tapped, std::vector<HandshakeEvent> check,
                 std::chrono::steady_clock::time_point start) {
  for (HandshakeEvent& event : check) {
    // The local steps the tap adds after a flight (the certificate check) come before the CA check's.
    auto after = std::find_if(tapped.begin(), tapped.end(), [&](const HandshakeEvent& seen) {
      return seen.elapsed_ms > event.elapsed_ms && !seen.time.empty();
    });
    tapped.insert(after, std::move(event));
  }
  for (HandshakeEvent& event : tapped) {
    event.connection = 0;
    if (event.time.empty()) {
      event.elapsed_ms = ms_since(start);
      event.time = iso_now();
    }
    trace.emit(event);
  }
}

// The alert that ended the handshake, in the one line's words.
std::string alert_words(const std::optional<tls::TappedAlert>& alert) {
  if (!alert) return "";
  // In the alert's RFC name (unknown_ca), as the lab's lines say it.
  auto description = alert_description_from(alert->description);
  std::string name = description ? std::string(to_string(*description)) : alert->name;
  return alert->from == Party::client ? " (alert " + name + " sent)" : " (the server sent alert " + name + ")";
}

// The TLS stream with a deadline on each read and write after the handshake (--idle-timeout-ms): each
// operation pushes the watchdog's expiry forward; the watchdog closes the socket once it passes.
class IdleDeadlineStream {
 public:
  using executor_type = TlsStream::executor_type;
  IdleDeadlineStream(TlsStream& stream, asio::steady_timer& watchdog, std::chrono::milliseconds idle)
      : stream_(stream), watchdog_(watchdog), idle_(idle) {}
  executor_type get_executor() { return stream_.get_executor(); }
  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    watchdog_.expires_after(idle_);
    return stream_.async_read_some(buffers, std::forward<Token>(token));
  }
  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    watchdog_.expires_after(idle_);
    return stream_.async_write_some(buffers, std::forward<Token>(token));
  }

 private:
  TlsStream& stream_;
  asio::steady_timer& watchdog_;
  std::chrono::milliseconds idle_;
};

// Closes the socket when the watchdog's expiry passes without being pushed forward; ends when `done`.
awaitable<void> watch(asio::steady_timer& watchdog, TlsStream& stream, std::shared_ptr<bool> done,
                      std::shared_ptr<bool> expired) {
  while (!*done) {
    [[maybe_unused]] auto [error] = co_await watchdog.async_wait(asio::as_tuple(use_awaitable));
    if (*done) co_return;
    if (watchdog.expiry() <= asio::steady_timer::clock_type::now()) {
      *expired = true;
      boost::system::error_code ignored;
      stream.lowest_layer().close(ignored);
      co_return;
    }
  }
}

}  // namespace

awaitable<Outcome> run_tls_session(const ClientSettings& settings, Trace& trace, std::FILE* body_out) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<tls::Context> context;
  try {
    context = std::make_unique<tls::Context>(context_options(settings, trace.enabled()));
    if (settings.tls->system_trust && SSL_CTX_set_default_verify_paths(context->native()) != 1) {
      throw std::runtime_error("cannot load the system's trusted CA certificates: " + tls::last_failure("?"));
    }
    if (!settings.tls->tls13_ciphersuites.empty() &&
        SSL_CTX_set_ciphersuites(context->native(), settings.tls->tls13_ciphersuites.c_str()) != 1) {
      throw std::runtime_error("--tls-ciphersuites '" + printable(settings.tls->tls13_ciphersuites) +
                               "': no TLS 1.3 suite libssl knows");
    }
  } catch (const std::runtime_error& error) {
    co_return Outcome{ExitCode::local_error, error.what()};
  }
  SessionTrace session_trace(trace, 0);
  session_trace.begin(start);
  tcp::socket socket(co_await asio::this_coro::executor);
  try {
    socket = co_await net::connect_with_deadline(settings.server, settings.timeouts.handshake);
  } catch (const ProtocolError& error) {
    std::string line = std::string("tls handshake failed: ") + error.what();
    session_trace.outcome(false, line, "");
    co_return Outcome{ExitCode::connection_failed, line};
  }
  TlsStream stream(std::move(socket), context->asio());
  SSL* ssl = stream.native_handle();
  try {
    tls::expect_server_name(ssl, settings.server_name);
  } catch (const std::runtime_error& error) {
    co_return Outcome{ExitCode::usage, error.what()};
  }
  // The host name is checked against the subjectAltNames only (RFC 6125 §6.4.4; browsers do so), never
  // the subject's CN.
  X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(ssl),
                                  X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
  // --session-file: the earlier session offered again (a TLS 1.2 ticket, a TLS 1.3 PSK). Its end is
  // kept: a session resumed from it, and the tickets the server gives on the way, never outlive it.
  std::int64_t offered_session_ends = 0;
  if (settings.session_file) {
    TlsSessionLoad loaded =
        load_tls_session(*settings.session_file, settings.server_name, static_cast<std::int64_t>(std::time(nullptr)));
    if (loaded.session) {
      offered_session_ends = static_cast<std::int64_t>(SSL_SESSION_get_time(loaded.session.get())) +
                             static_cast<std::int64_t>(SSL_SESSION_get_timeout(loaded.session.get()));
      if (SSL_set_session(ssl, loaded.session.get()) != 1) {
        ERR_clear_error();
        offered_session_ends = 0;
        std::fprintf(stderr, "tlslab-client: --session-file %s: libssl would not offer it: a full handshake\n",
                     printable(*settings.session_file).c_str());
      }
    } else if (!loaded.why_not.empty()) {
      std::fprintf(stderr, "tlslab-client: --session-file %s %s: a full handshake\n",
                   printable(*settings.session_file).c_str(), loaded.why_not.c_str());
    }
  }
  RevocationCheck check;
  check.settings = &settings;
  check.tracing = trace.enabled();
  check.start = start;
  // The tap also tells which alert ended a failed handshake, and whether a TLS 1.2 server agreed to
  // staple, so it is installed even without a trace.
  tls::Tap tap({Party::client, trace.shows_secrets()});
  tap.install(ssl);
  tap.start(start);
  check.tap = &tap;
  install_revocation_check(ssl, check);

  // (1) ClientHello … (7) Finished: libssl runs the handshake; the CA check (3–4) runs inside it.
  auto expired = std::make_shared<bool>(false);
  asio::steady_timer deadline(stream.get_executor());
  deadline.expires_after(settings.timeouts.handshake);
  deadline.async_wait([expired, &stream](const boost::system::error_code& error) {
    if (error) return;
    *expired = true;
    boost::system::error_code ignored;
    stream.lowest_layer().close(ignored);
  });
  auto [handshake_error] = co_await stream.async_handshake(TlsStream::client, asio::as_tuple(use_awaitable));
  deadline.cancel();
  if (trace.enabled()) emit_events(trace, tap.take_events(ssl), std::move(check.events), start);
  if (!check.warning.empty()) std::fprintf(stderr, "tlslab-client: %s\n", check.warning.c_str());

  if (handshake_error || *expired) {
    const auto& alert = tap.last_alert();
    std::string reason;
    ExitCode code = ExitCode::connection_failed;
    if (check.refused) {
      reason = std::string(to_string(*check.refused)) + ": " + check.line;
      code = exit_code_for(Ending{SessionEnd::our_alert, *check.refused, check.line});
    } else if (check.chain_error) {
      reason = std::string("certificate verify failed: ") + X509_verify_cert_error_string(*check.chain_error);
      code = ExitCode::certificate_rejected;
    } else if (*expired) {
      reason = "timed out after " + std::to_string(settings.timeouts.handshake.count()) + " ms";
    } else {
      reason = handshake_error.message();
      if (alert) {
        auto description = alert_description_from(alert->description);
        auto kind = alert->from == Party::client ? SessionEnd::our_alert : SessionEnd::peer_alert;
        code = description ? exit_code_for(Ending{kind, *description, reason}) : ExitCode::protocol_error;
      }
    }
    std::string line = "tls handshake failed: " + reason + alert_words(alert);
    std::optional<SessionTrace::AlertSeen> seen;
    if (alert) {
      if (auto description = alert_description_from(alert->description)) {
        seen = SessionTrace::AlertSeen{*description, alert->from,
                                       alert->from == Party::client ? Party::server : Party::client, std::nullopt};
      }
    }
    session_trace.outcome(false, line, "", std::move(seen));
    co_return Outcome{code, line};
  }

  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  char timing[64];
  std::snprintf(timing, sizeof timing, "%.2f ms", ms_since(start));
  bool resumed = SSL_session_reused(ssl) == 1;
  session_trace.outcome(true, resumed ? "handshake complete, session resumed" : "handshake complete",
                        tls::protocol_name(ssl) + " " + (cipher ? SSL_CIPHER_standard_name(cipher) : "?") + " in " +
                            timing + " (ClientHello to Finished, " +
                            (resumed ? "resumed: no CERTIFICATE, no CA round trip; both were made when the session "
                                       "began)"
                             : check.stapled                     ? "the CA's answer stapled: no CA round trip)"
                             : settings.ca_check == CaCheck::crl ? "the CA's list looked up: no question to the CA)"
                             : check.warning.empty()             ? "CA round trip included)"
                                                                 : "no revocation check possible)"));

  // (8) Application data: HTTP/1.1 on the TLS stream.
  RequestResults results;
  std::optional<std::string> failure;
  {
    asio::steady_timer watchdog(stream.get_executor());
    watchdog.expires_after(settings.timeouts.idle);
    auto done = std::make_shared<bool>(false);
    auto idle_expired = std::make_shared<bool>(false);
    // It cannot fail (as_tuple, the error_code close); if it ever did, the user hears of it.
    asio::co_spawn(stream.get_executor(), watch(watchdog, stream, done, idle_expired), [](std::exception_ptr error) {
      if (error) std::fprintf(stderr, "tlslab-client: the idle deadline failed: %s\n", failure_reason(error).c_str());
    });
    IdleDeadlineStream idle_stream(stream, watchdog, settings.timeouts.idle);
    try {
      RequestStreamHooks hooks;
      hooks.fail = [&](const boost::system::error_code& error) {
        if (*idle_expired) {
          throw ProtocolError(TransportFailure::timeout, "the server sent nothing for " +
                                                             std::to_string(settings.timeouts.idle.count()) +
                                                             " ms (--idle-timeout-ms)");
        }
        throw ProtocolError(TransportFailure::broken, "the server's HTTP response: " + error.message());
      };
      results = co_await send_requests_over(idle_stream, settings, session_trace, body_out, hooks);
    } catch (const ProtocolError& error) {
      failure = std::string("session failed: ") + error.what();
    }
    *done = true;
    watchdog.cancel();
    // The watchdog's coroutine refers to `watchdog`: it sees `done` before the timer goes.
    co_await asio::post(stream.get_executor(), use_awaitable);
  }
  // close_notify, without waiting long for the server's.
  deadline.expires_after(std::chrono::seconds(2));
  deadline.async_wait([&stream](const boost::system::error_code& error) {
    if (error) return;
    boost::system::error_code ignored;
    stream.lowest_layer().close(ignored);
  });
  [[maybe_unused]] auto [shutdown_error] = co_await stream.async_shutdown(asio::as_tuple(use_awaitable));
  deadline.cancel();
  if (trace.enabled()) emit_events(trace, tap.take_events(ssl), {}, start);  // TLS 1.3's NewSessionTickets
  // The session to resume next time: after the exchange, so that TLS 1.3's tickets are in. Its life is
  // capped by the CA's answer (the one checked now, or the one the resumed session began with).
  if (settings.session_file) {
    std::unique_ptr<SSL_SESSION, ossl::Deleter<&SSL_SESSION_free>> session(SSL_get1_session(ssl));
    std::int64_t cap = resumed ? offered_session_ends : static_cast<std::int64_t>(check.next_update);
    if (session && SSL_SESSION_is_resumable(session.get()) == 1) {
      try {
        save_tls_session(*settings.session_file, session.get(), cap);
      } catch (const std::runtime_error& error) {
        std::fprintf(stderr, "tlslab-client: %s\n", error.what());
      }
    } else {
      std::fprintf(stderr, "tlslab-client: --session-file %s: the server gave no session to resume (no ticket)\n",
                   printable(*settings.session_file).c_str());
    }
  }
  if (failure) {
    // In TLS 1.3 the server judges the client's certificate after the client's handshake is over: its
    // alert (certificate_required, …) ends the session, not the handshake.
    ExitCode code = ExitCode::connection_failed;
    const auto& alert = tap.last_alert();
    if (alert && alert->from == Party::server) {
      if (auto description = alert_description_from(alert->description)) {
        *failure = "session failed: the server sent alert " + std::string(to_string(*description));
        if (*description == AlertDescription::certificate_required) {
          *failure += " (the server requires a client certificate: pass --cert and --key)";
        }
        code = exit_code_for(Ending{SessionEnd::peer_alert, *description, *failure},
                             !settings.tls->certificate_path.empty());
      }
    }
    session_trace.outcome(false, *failure, "");
    co_return Outcome{code, *failure};
  }
  if (!results.all_ok()) co_return Outcome{ExitCode::http_error, "a request got an HTTP error status"};
  co_return Outcome{};
}

}  // namespace tlslab::client
