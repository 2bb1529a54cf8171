#pragma once
// Session tickets (PROTOCOL.md §7.8): the server seals a session's master secret and parameters
// under a ticket key only it holds, hands the result to the client, and opens it again when the
// client offers it. The client cannot read a ticket; a ticket that does not open, is expired, or
// was sealed under a key rotated out is "no resumption" (a full handshake), never an error.
#include <array>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tlslab/bytes.hpp"
#include "tlslab/crypto/secret.hpp"
#include "tlslab/frame.hpp"

namespace tlslab::crypto {

inline constexpr std::size_t ticket_key_name_size = 16;
inline constexpr std::size_t ticket_key_size = 32;  // AES-256-GCM
inline constexpr std::size_t ticket_nonce_size = 12;
inline constexpr std::chrono::seconds default_ticket_lifetime{7200};

struct TicketKey {
  std::array<std::uint8_t, ticket_key_name_size> name{};
  Secret key;              // ticket_key_size bytes
  std::int64_t created{};  // Unix time: when it started sealing (rotation counts from it)

  static TicketKey generate(std::int64_t now);
};

// What a ticket holds (the plaintext of §7.8's sealed state).
struct TicketState {
  ProtocolVersion version = ProtocolVersion::tlslab_1_0;
  std::uint16_t cipher_suite = 0;
  Secret master_secret;
  std::int64_t created = 0;  // Unix time the session began (its full handshake)
  std::int64_t expires = 0;  // Unix time after which the ticket no longer resumes
};

// key_name ‖ nonce ‖ AES-256-GCM(state) ‖ tag, the key name as associated data.
Bytes seal_ticket(const TicketKey& key, const TicketState& state);

// The outcome of opening a ticket: the state, or why there is none (one line, no secret in it).
struct TicketOpening {
  std::optional<TicketState> state;
  std::string why_not;
};
// Opens `ticket` with whichever of `keys` its key name names. Never throws on any input.
TicketOpening open_ticket(const std::vector<const TicketKey*>& keys, ByteView ticket, std::int64_t now);

// The server's ticket keys: the current one seals, it and the one before it open. A new key every
// `lifetime` (a ticket lives at most that long, so the previous key outlives every ticket it
// sealed). Kept in `key_file` when one is given (0600; written again on each rotation), so that a
// restart still opens the tickets issued before it. Safe to share between sessions (one mutex).
class TicketKeyring {
 public:
  // Without `key_file`: random keys, gone with the process. With one: the keys in it, or new ones
  // written there (created 0600) when it is absent. Throws std::runtime_error: a group- or
  // world-readable file, a link, another user's, or one that does not parse.
  TicketKeyring(std::chrono::seconds lifetime, std::int64_t now, std::optional<std::string> key_file = std::nullopt);

  [[nodiscard]] std::chrono::seconds lifetime() const { return lifetime_; }
  // Seals `state` (its `expires` set here: now + lifetime, or earlier if the caller set it so).
  Bytes seal(TicketState state, std::int64_t now);
  TicketOpening open(ByteView ticket, std::int64_t now);
  // For libssl's own tickets (tlslab-server --tls, RFC 5077 §4's format, libssl's cipher and MAC):
  // calls `use` with the key that seals now; and with the key named `name` if one still opens (the
  // current one, or the previous one: `current` false), returning false when none does.
  void with_sealing_key(std::int64_t now, const std::function<void(const TicketKey&)>& use);
  bool with_key_named(ByteView name, std::int64_t now, const std::function<void(const TicketKey&, bool current)>& use);

 private:
  void load(std::int64_t now);           // from key_file_
  void rotate_if_due(std::int64_t now);  // with mutex_ held
  void save() const;                     // with mutex_ held

  std::chrono::seconds lifetime_;
  std::optional<std::string> key_file_;
  std::mutex mutex_;
  TicketKey current_;
  std::optional<TicketKey> previous_;
};

}  // namespace tlslab::crypto
