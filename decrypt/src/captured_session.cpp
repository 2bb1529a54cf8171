#include "captured_session.hpp"

#include <algorithm>

namespace tlslab::decrypt {
namespace {

Failure arrow_failure(int arrow, std::string_view message, const Failure& failure) {
  return fail(failure.alert,
              "arrow " + std::to_string(arrow) + " (" + std::string(message) + ") does not decode: " + failure.reason);
}

// The frames of `all` from `first` on, as a direction of their own.
DirectionFrames from_index(const DirectionFrames& all, std::size_t first) {
  DirectionFrames rest;
  rest.frames.assign(all.frames.begin() + static_cast<std::ptrdiff_t>(std::min(first, all.frames.size())),
                     all.frames.end());
  return rest;
}

}  // namespace

Result<CapturedSession> read_session(const TcpConnection& connection) {
  DirectionFrames client = split_frames(connection.client_bytes, Direction::client_to_server, connection.arrivals);
  DirectionFrames server = split_frames(connection.server_bytes, Direction::server_to_client, connection.arrivals);

  CapturedSession session;
  session.client = connection.client;
  session.server = connection.server;
  if (!connection.cut_short.empty()) session.notes.push_back("this connection was " + connection.cut_short);
  if (!client.stopped.empty()) {
    session.notes.push_back(std::string(to_string(Direction::client_to_server)) + ": " + client.stopped +
                            "; nothing after it is shown");
  }
  if (!server.stopped.empty()) {
    session.notes.push_back(std::string(to_string(Direction::server_to_client)) + ": " + server.stopped +
                            "; nothing after it is shown");
  }

  // Arrow 1: the connection was picked for its ClientHello frame header, but the frame may still
  // be cut short, or its body broken.
  if (client.frames.empty() || client.frames[0].header.type != ContentType::handshake) {
    return fail(AlertDescription::decode_error, "arrow 1 (ClientHello) is not a whole frame: " + client.stopped);
  }
  auto client_hello = decode_handshake<ClientHello>(client.frames[0].fragment);
  if (!client_hello) return arrow_failure(1, "ClientHello", client_hello.failure());
  session.client_hello = std::move(client_hello).value();
  session.client_hello_message.assign(client.frames[0].fragment.begin(), client.frames[0].fragment.end());

  // Arrow 2, unless the server answered with an alert (no common suite, a bad ClientHello).
  std::size_t next_server = 0;
  if (!server.frames.empty() && server.frames[0].header.type == ContentType::handshake) {
    auto server_hello = decode_handshake<ServerHello>(server.frames[0].fragment);
    if (!server_hello) return arrow_failure(2, "ServerHello", server_hello.failure());
    session.server_hello = std::move(server_hello).value();
    session.server_hello_message.assign(server.frames[0].fragment.begin(), server.frames[0].fragment.end());
    next_server = 1;
  }

  // Arrow 5, unless the client stopped before it (an alert: a revoked certificate, say).
  std::size_t next_client = 1;
  if (client.frames.size() > 1 && client.frames[1].header.type == ContentType::handshake) {
    ByteView message = client.frames[1].fragment;
    auto envelope = decode_handshake_envelope(message);
    if (!envelope) return arrow_failure(5, "ClientKeyExchange", envelope.failure());
    if (envelope->type != HandshakeType::client_key_exchange) {
      return fail(AlertDescription::unexpected_message,
                  "arrow 5: expected ClientKeyExchange, got " + std::string(to_string(envelope->type)));
    }
    session.client_key_exchange_message = Bytes(message.begin(), message.end());
    next_client = 2;
  }

  session.later_frames = in_capture_order(from_index(client, next_client), from_index(server, next_server));
  return session;
}

}  // namespace tlslab::decrypt
