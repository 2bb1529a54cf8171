#include "session.hpp"

#include "handshake.hpp"
#include "http_service.hpp"

namespace tlslab::server {

awaitable<void> serve_connection(tcp::socket socket, std::uint64_t connection, const ServerIdentity& identity,
                                 const ServerSettings& settings, Trace& trace, std::shared_ptr<spdlog::logger> log) {
  boost::system::error_code gone;  // a peer that reset at once has no address to log
  tcp::endpoint endpoint = socket.remote_endpoint(gone);
  std::string peer = gone ? "(peer gone)" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  net::Channel channel(std::move(socket), settings.timeouts);
  std::optional<ProtocolError> failure;
  bool handshake_done = false;
  std::uint64_t served = 0;
  try {
    SessionParameters session = co_await run_handshake(channel, identity, settings, trace, connection);
    handshake_done = true;
    trace.outcome(connection, true, "handshake complete", std::string(session.suite.name));
    log->info("[conn {}] {} handshake complete: {}", connection, peer, session.suite.name);
    served = co_await serve_requests(channel, identity, settings, session, trace, connection);
  } catch (const ProtocolError& error) {
    failure = error;
  }
  // C++ forbids co_await inside a handler: the alert is sent here.
  if (!failure ||
      (failure->origin() == ProtocolError::Origin::received && failure->alert() == AlertDescription::close_notify)) {
    co_await channel.send_alert(AlertDescription::close_notify);  // answer close_notify with close_notify
    log->info("[conn {}] session closed after {} request(s)", connection, served);
  } else if (failure->origin() == ProtocolError::Origin::local) {
    trace.outcome(connection, false, "alert sent: " + std::string(to_string(failure->alert())), failure->what());
    log->warn("[conn {}] {} {}: {} (alert sent)", connection, peer, to_string(failure->alert()), failure->what());
    co_await channel.send_alert(failure->alert());
  } else if (failure->origin() == ProtocolError::Origin::received) {
    trace.outcome(connection, false, "alert received: " + std::string(to_string(failure->alert())), "");
    log->warn("[conn {}] {} client sent alert {}", connection, peer, to_string(failure->alert()));
  } else {
    if (handshake_done) {
      log->info("[conn {}] {} connection ended without close_notify: {}", connection, peer, failure->what());
    } else {
      trace.outcome(connection, false, "handshake abandoned", failure->what());
      log->warn("[conn {}] {} handshake abandoned: {}", connection, peer, failure->what());
    }
  }
  channel.close();
}

}  // namespace tlslab::server
