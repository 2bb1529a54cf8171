#pragma once
// One TLS connection of a capture, read as an observer reads it: the records of both directions in
// the order they crossed (RFC 8446 §5.1, RFC 5246 §6.2), the handshake messages put back together
// from them, and, with the key log, the protected records opened (record_opener.hpp). The result
// is what the tap (tap.hpp) hands over for a live connection, so the same events_of makes the
// events: one display parser, one picture, live or recorded.
//
// The bytes are hostile: each record header is checked before its fragment is read (a length over
// RFC 8446's 2^14 + 256, or 1.2's 2^14 + 2048, ends the direction with a note), each handshake
// message's length before it is kept (max_viewed_message), and what is kept in all is bounded.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "key_log.hpp"
#include "tcp_capture.hpp"
#include "tlslab/tls/tap.hpp"

namespace tlslab::explain {

// Application data as it crossed: opened with the key log or not.
struct ApplicationRecord {
  Party from = Party::client;
  std::size_t size = 0;  // the record's length on the wire
  bool opened = false;
  Bytes record;      // as it crossed: header and fragment
  Bytes plaintext;   // when opened: its first max_shown_plaintext bytes
  std::string time;  // ISO 8601 UTC, capture time
  double elapsed_ms = 0;
};
inline constexpr std::size_t max_shown_plaintext = 4096;
// The first records of each direction are shown; the rest are counted.
inline constexpr std::size_t max_shown_records = 4;

struct CapturedTls {
  std::vector<tls::TappedMessage> messages;  // handshake, ChangeCipherSpec, alerts, unopened protected records
  std::vector<ApplicationRecord> application;
  std::size_t application_records[2] = {0, 0};  // all of them, by sender (client, server)
  std::size_t application_bytes[2] = {0, 0};
  std::optional<tls::TappedAlert> alert;  // the first alert seen (in the clear, or opened)
  bool handshake_opened = false;          // TLS 1.3: the key log opened the encrypted handshake
  bool keys_in_log = false;               // the key log had this connection's secrets
  // What an observer of these bytes could not read, and why: one line each.
  std::vector<std::string> notes;
  std::chrono::microseconds first_at{};  // capture time of the first byte
};

CapturedTls read_tls(const decrypt::TcpConnection& connection, const KeyLog& keys);

// Whether the first bytes a client sent open a TLS connection: a handshake record (22, version
// 3.x) whose first message is a ClientHello. nullopt while fewer than 6 bytes are in.
std::optional<bool> looks_like_tls_client_hello(ByteView first_bytes);

}  // namespace tlslab::explain
