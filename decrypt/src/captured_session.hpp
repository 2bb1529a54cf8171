#pragma once
// One tlslab session as a recording shows it: the clear handshake messages an eavesdropper reads
// off the wire (arrows 1, 2 and 5) and every later frame, still encrypted, in capture order.
// Decoded with the project's codec (decode_handshake<ClientHello> and the others); nothing here
// needs a key.
#include <optional>
#include <string>
#include <vector>

#include "frame_stream.hpp"
#include "tcp_capture.hpp"
#include "tlslab/messages.hpp"
#include "tlslab/result.hpp"

namespace tlslab::decrypt {

struct CapturedSession {
  std::string client;  // "127.0.0.1:41234"
  std::string server;
  // Arrow 1. The complete handshake messages (msg_type || length || body) are kept as they
  // crossed the wire: they are the transcript that Finished covers (§7.3).
  ClientHello client_hello;
  Bytes client_hello_message;
  // Arrow 2, when the server answered with one (it may have sent an alert instead).
  std::optional<ServerHello> server_hello;
  Bytes server_hello_message;
  // Arrow 5, as a message: its form depends on the suite (§7.1 or §7.6), so it is decoded by
  // whoever knows the suite.
  std::optional<Bytes> client_key_exchange_message;
  // Every frame after those, both directions, in capture order: protected frames (arrows 6-8)
  // and alerts.
  std::vector<CapturedFrame> later_frames;
  // What a reader should know about the bytes: a direction that stops being tlslab, a frame cut
  // short, a connection followed only in part. One line each.
  std::vector<std::string> notes;
};

// The session carried by `connection`, whose client stream starts with a ClientHello frame
// (looks_like_client_hello). A failure when the messages of arrows 1, 2 or 5 do not decode; its
// reason names the arrow and quotes the codec. The session keeps views into `connection`.
Result<CapturedSession> read_session(const TcpConnection& connection);

}  // namespace tlslab::decrypt
