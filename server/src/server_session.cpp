#include "server_session.hpp"

#include "handshake.hpp"
#include "http_service.hpp"
#include "tlslab/session_end.hpp"

namespace tlslab::server {

awaitable<void> serve_connection(tcp::socket socket, std::uint64_t connection, ServerContext& context) {
  // Plain references, not a structured binding: the lambdas below use them (clang 14 cannot capture a
  // structured binding).
  const ServerIdentity& identity = context.identity;
  const ServerSettings& settings = context.settings;
  Trace& trace = context.trace;
  std::shared_ptr<spdlog::logger>& log = context.log;
  PeerWarnings& warnings = context.warnings;
  boost::system::error_code gone;  // a peer that reset at once has no address to log
  tcp::endpoint endpoint = socket.remote_endpoint(gone);
  std::string address = gone ? "(peer gone)" : endpoint.address().to_string();
  std::string peer = gone ? address : address + ":" + std::to_string(endpoint.port());
  net::Channel channel(std::move(socket), settings.timeouts);
  SessionTrace session_trace(trace, connection);
  std::optional<ProtocolError> failure;
  bool handshake_done = false;
  std::uint64_t served = 0;
  try {
    SessionParameters session = co_await run_handshake(channel, identity, settings, session_trace);
    handshake_done = true;
    // The authenticated client, by name and serial (§7.7), in the trace and the log.
    std::string client =
        session.client ? ", client " + session.client->subject + " serial " + session.client->serial : std::string();
    std::string stapled = session.resumed ? ", resumed" : session.staple ? ", stapled" : "";
    session_trace.outcome(true, "handshake complete", std::string(session.suite.name) + stapled + client);
    log->info("[conn {}] {} handshake complete: {}{}{}", connection, peer, session.suite.name, stapled, client);
    served = co_await serve_requests(channel, identity, settings, session, session_trace, *log);
  } catch (const ProtocolError& error) {
    failure = error;
  }
  // A warning about a peer, unless this peer has had its share of the log lately.
  auto warn = [&](const std::string& line) {
    PeerWarnings::Decision decision = warnings.admit(address);
    if (!decision.log) return;
    if (decision.suppressed > 0) {
      log->warn("[conn {}] {} ({} more warning(s) about {} were not logged)", connection, line, decision.suppressed,
                address);
    } else {
      log->warn("[conn {}] {}", connection, line);
    }
  };
  Ending ending = ending_of(failure);
  std::string alert = ending.alert ? std::string(to_string(*ending.alert)) : std::string();
  // C++ forbids co_await inside a handler: the alert is sent here.
  switch (ending.kind) {
    case SessionEnd::closed:
      co_await channel.send_alert(AlertDescription::close_notify);  // answer close_notify with close_notify
      log->info("[conn {}] session closed after {} request(s)", connection, served);
      break;
    case SessionEnd::our_alert:
      co_await channel.send_alert(*ending.alert);
      session_trace.outcome(
          false, "alert sent: " + alert, ending.reason,
          SessionTrace::AlertSeen{*ending.alert, Party::server, Party::client, channel.last_alert_frame()});
      // The terminal trace has just printed this alert and its reason; the log says it only when
      // the trace is off (--quiet), so the server's output names each alert once.
      if (!trace.options().text) warn(peer + " " + alert + ": " + ending.reason + " (alert sent)");
      break;
    case SessionEnd::peer_alert:
      session_trace.outcome(
          false, "alert received: " + alert, "",
          SessionTrace::AlertSeen{*ending.alert, Party::client, Party::server, channel.last_alert_frame()});
      warn(peer + " client sent alert " + alert);
      break;
    default:
      if (handshake_done) {
        // §10: nothing to send on a closed connection; the truncation is reported, not hidden.
        session_trace.outcome(false, "connection ended without close_notify (a truncation)", ending.reason);
        log->info("[conn {}] {} connection ended without close_notify: {}", connection, peer, ending.reason);
      } else {
        session_trace.outcome(false, "handshake abandoned", ending.reason);
        warn(peer + " handshake abandoned: " + ending.reason);
      }
  }
  channel.close();
}

}  // namespace tlslab::server
