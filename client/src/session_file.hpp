#pragma once
// --session-file (PROTOCOL.md §7.8): what the client keeps between runs to resume a session: the
// server name it is for, the suite, the master secret, the server's ticket and when it stops being
// offered. A secret file: mode 0600, written whole via private_file.hpp, a link never followed.
// Whatever is wrong with it (absent, short, corrupt, expired, for another server, a link) gives a
// full handshake and one line saying why, never a crash.
#include <cstdint>
#include <optional>
#include <string>

#include "tlslab/bytes.hpp"
#include "tlslab/crypto/secret.hpp"

namespace tlslab::client {

struct StoredSession {
  std::string server_name;
  std::uint16_t cipher_suite = 0;
  Secret master_secret;
  Bytes ticket;
  std::int64_t expires = 0;  // Unix time: min(the server's lifetime hint, the CA answer's nextUpdate)
};

// The file's text, and back. parse_session returns nullopt for anything but a complete, valid text.
std::string encode_session(const StoredSession& session);
std::optional<StoredSession> parse_session(std::string_view text);

struct SessionLoad {
  std::optional<StoredSession> session;  // one to offer
  std::string why_not;                   // else why not (empty: no file yet)
};
// The session in `path` for `server_name`, if it is one to offer at `now`.
SessionLoad load_session(const std::string& path, const std::string& server_name, std::int64_t now);

// (Re)writes `path` (0600, atomically). Throws std::runtime_error.
void save_session(const std::string& path, const StoredSession& session);

}  // namespace tlslab::client
