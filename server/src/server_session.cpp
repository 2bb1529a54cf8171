#include "server_session.hpp"

#include "handshake.hpp"
#include "http_service.hpp"

namespace tlslab::server {

awaitable<void> serve_connection(tcp::socket socket, std::uint64_t connection, ServerContext& context) {
  auto& [identity, settings, trace, log, warnings] = context;
  boost::system::error_code gone;  // a peer that reset at once has no address to log
  tcp::endpoint endpoint = socket.remote_endpoint(gone);
  std::string address = gone ? "(peer gone)" : endpoint.address().to_string();
  std::string peer = gone ? address : address + ":" + std::to_string(endpoint.port());
  net::Channel channel(std::move(socket), settings.timeouts);
  std::optional<ProtocolError> failure;
  bool handshake_done = false;
  std::uint64_t served = 0;
  try {
    SessionParameters session = co_await run_handshake(channel, identity, settings, trace, connection);
    handshake_done = true;
    trace.outcome(connection, true, "handshake complete", std::string(session.suite.name));
    log->info("[conn {}] {} handshake complete: {}", connection, peer, session.suite.name);
    served = co_await serve_requests(channel, identity, settings, session, trace, connection, *log);
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
  // C++ forbids co_await inside a handler: the alert is sent here.
  if (!failure ||
      (failure->origin() == ProtocolError::Origin::received && failure->alert() == AlertDescription::close_notify)) {
    co_await channel.send_alert(AlertDescription::close_notify);  // answer close_notify with close_notify
    log->info("[conn {}] session closed after {} request(s)", connection, served);
  } else if (failure->origin() == ProtocolError::Origin::local) {
    trace.outcome(connection, false, "alert sent: " + std::string(to_string(failure->alert())), failure->what());
    warn(peer + " " + std::string(to_string(failure->alert())) + ": " + failure->what() + " (alert sent)");
    co_await channel.send_alert(failure->alert());
  } else if (failure->origin() == ProtocolError::Origin::received) {
    trace.outcome(connection, false, "alert received: " + std::string(to_string(failure->alert())), "");
    warn(peer + " client sent alert " + std::string(to_string(failure->alert())));
  } else {
    if (handshake_done) {
      log->info("[conn {}] {} connection ended without close_notify: {}", connection, peer, failure->what());
    } else {
      trace.outcome(connection, false, "handshake abandoned", failure->what());
      warn(peer + " handshake abandoned: " + failure->what());
    }
  }
  channel.close();
}

}  // namespace tlslab::server
