#include "client_session.hpp"

#include <chrono>

#include "handshake.hpp"
#include "requests.hpp"
#include "tlslab/net/status_client.hpp"

namespace tlslab::client {

awaitable<Outcome> run_session(const ClientSettings& settings, const crypto::TrustStore& trust, Trace& trace,
                               std::FILE* body_out) {
  auto started = std::chrono::steady_clock::now();
  std::optional<ProtocolError> failure;
  std::optional<net::Channel> channel;
  bool handshake_done = false;
  RequestResults results;
  try {
    tcp::socket socket = co_await net::connect_with_deadline(settings.server, settings.timeouts.handshake);
    channel.emplace(std::move(socket), settings.timeouts);
    net::StatusClient ca_service(settings.ca_service, settings.timeouts);
    SessionParameters session = co_await run_handshake(*channel, settings, trust, ca_service, trace);
    ca_service.close();
    handshake_done = true;
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    char timing[64];
    std::snprintf(timing, sizeof timing, "%.2f ms", ms);
    trace.outcome(0, true, "handshake complete", std::string(session.suite.name) + " in " + timing +
                                                     " (ClientHello to server Finished, CA round trip included)");
    results = co_await send_requests(*channel, settings, trace, body_out);
  } catch (const ProtocolError& error) {
    failure = error;
  }
  if (!failure) {
    co_await channel->close_gracefully();
    if (!results.all_ok()) co_return Outcome{ExitCode::http_error, "a request got an HTTP error status"};
    co_return Outcome{};
  }
  std::string stage = handshake_done ? "session failed" : "handshake failed";
  std::string line;
  switch (failure->origin()) {
    case ProtocolError::Origin::local:
      line = stage + ": " + std::string(to_string(failure->alert())) + " (" + failure->what() + ")";
      if (channel) co_await channel->send_alert(failure->alert());
      break;
    case ProtocolError::Origin::received:
      line = stage + ": the server sent alert " + std::string(to_string(failure->alert()));
      break;
    case ProtocolError::Origin::transport:
      line = stage + ": " + failure->what();
      break;
  }
  if (channel) channel->close();
  trace.outcome(0, false, line, "");
  co_return Outcome{exit_code_for(failure->alert(), failure->origin()), line};
}

}  // namespace tlslab::client
