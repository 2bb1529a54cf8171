#include "client_session.hpp"

#include <chrono>

#include "handshake.hpp"
#include "requests.hpp"
#include "tlslab/net/status_client.hpp"
#include "tlslab/session_end.hpp"

namespace tlslab::client {
namespace {

// What the user can do about an alert the server sent, when the client knows more than the alert.
std::string peer_alert_hint(AlertDescription alert, const ClientSettings& settings) {
  if (alert == AlertDescription::certificate_required) {
    return " (the server requires a client certificate: pass --cert and --key, e.g. from 'tlslab-ca issue --client')";
  }
  if (settings.identity &&
      exit_code_for(Ending{SessionEnd::peer_alert, alert, ""}, true) == ExitCode::client_certificate_refused) {
    return " (about this client's certificate, serial " + settings.identity->serial +
           ": the server refused it; see its log)";
  }
  if (alert != AlertDescription::handshake_failure) return "";
  // The alert does not say which of §5's reasons the server had: name the ones this offer allows,
  // the certificate's key first (a suite both sides list is refused for it too).
  std::string offered;
  bool rsa_transport = false;
  bool ecdhe = false;
  for (CipherSuite suite : settings.suites) {
    auto info = suite_info(suite);
    offered += (offered.empty() ? "" : ", ") + std::string(info->short_name);
    (info->key_exchange == KeyExchange::ecdhe ? ecdhe : rsa_transport) = true;
  }
  std::string reasons;
  if (rsa_transport) {
    reasons += ecdhe ? "; its RSA key-transport suites need an RSA server key"
                     : "; every one is RSA key transport, which needs an RSA server key: a server whose CERTIFICATE "
                       "has an EC key takes none of them, offer an ECDHE suite (--suites ecdhe-aes128gcm)";
  }
  if (ecdhe) {
    std::string groups;
    for (NamedGroup group : settings.groups) groups += (groups.empty() ? "" : ", ") + std::string(to_string(group));
    reasons += "; its ECDHE suites need a group in common (it offered " + groups + ", see --groups)";
  }
  return " (no cipher suite the server can use: this client offered " + offered + reasons +
         "; or the server's --suites lists none of them; the server's log says which)";
}

}  // namespace

awaitable<Outcome> run_session(const ClientSettings& settings, const crypto::TrustStore& trust, Trace& trace,
                               std::FILE* body_out) {
  auto started = std::chrono::steady_clock::now();
  SessionTrace session_trace(trace, 0);
  std::optional<ProtocolError> failure;
  std::optional<net::Channel> channel;
  bool handshake_done = false;
  RequestResults results;
  try {
    tcp::socket socket = co_await net::connect_with_deadline(settings.server, settings.timeouts.handshake);
    channel.emplace(std::move(socket), settings.timeouts);
    net::StatusClient ca_service(settings.ca_service, settings.timeouts, trace.enabled());
    SessionParameters session = co_await run_handshake(*channel, settings, trust, ca_service, session_trace);
    ca_service.close();
    handshake_done = true;
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    char timing[64];
    std::snprintf(timing, sizeof timing, "%.2f ms", ms);
    session_trace.outcome(true, "handshake complete",
                          std::string(session.suite.name) + " in " + timing + " (ClientHello to server Finished, " +
                              (session.resumed   ? "resumed from the session ticket: no CERTIFICATE, no CA round trip, "
                                                   "no PRE-MASTER)"
                               : session.stapled ? "the CA's answer stapled: no CA round trip)"
                               : settings.ca_check == CaCheck::crl ? "the CA's list looked up: no question to the CA)"
                                                                   : "CA round trip included)"));
    results = co_await send_requests(*channel, settings, session_trace, body_out);
  } catch (const ProtocolError& error) {
    failure = error;
  }
  Ending ending = ending_of(failure);
  if (ending.kind == SessionEnd::closed) {
    co_await channel->close_gracefully();
    if (!results.all_ok()) co_return Outcome{ExitCode::http_error, "a request got an HTTP error status"};
    co_return Outcome{};
  }
  std::string stage = handshake_done ? "session failed" : "handshake failed";
  std::string line;
  switch (ending.kind) {
    case SessionEnd::our_alert:
      line = stage + ": " + std::string(to_string(*ending.alert)) + " (" + ending.reason + ")";
      if (channel) co_await channel->send_alert(*ending.alert);
      break;
    case SessionEnd::peer_alert:
      line = stage + ": the server sent alert " + std::string(to_string(*ending.alert)) +
             peer_alert_hint(*ending.alert, settings);
      break;
    default: line = stage + ": " + ending.reason;
  }
  std::optional<SessionTrace::AlertSeen> alert;
  if (ending.by_alert()) {
    bool ours = ending.kind == SessionEnd::our_alert;
    alert = SessionTrace::AlertSeen{*ending.alert, ours ? Party::client : Party::server,
                                    ours ? Party::server : Party::client,
                                    channel ? channel->last_alert_frame() : std::nullopt};
  }
  if (channel) channel->close();
  session_trace.outcome(false, line, "", std::move(alert));
  co_return Outcome{exit_code_for(ending, settings.identity != nullptr), line};
}

}  // namespace tlslab::client
