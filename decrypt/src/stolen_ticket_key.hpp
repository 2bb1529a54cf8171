#pragma once
// What a stolen ticket key opens (PROTOCOL.md §7.8, docs/ATTACKS.md "The stolen key"): every
// ticket crosses the wire in the clear in a ClientHello's session_ticket, sealed under the
// server's ticket key; whoever holds that key reads the session's master secret out of it. That
// opens the resumed session, and the full handshake that began the session too (the same master
// secret with its own randoms), ECDHE or not: forward secrecy ends where a ticket key is kept.
#include <chrono>
#include <string>

#include "tlslab/crypto/session_ticket.hpp"

namespace tlslab::decrypt {

class StolenTicketKey {
 public:
  // The server's ticket key file, as tlslab-server --ticket-key-file writes it. Read with the
  // server's own code (crypto::TicketKeyring), never written: a missing file is an error here
  // (the keyring would create one), and no rotation is ever due. Throws std::runtime_error with
  // one line: missing, not 0600, a link, another user's, or not a ticket key file.
  explicit StolenTicketKey(const std::string& path);

  // The state sealed in `ticket` (crypto::open_ticket), or why there is none. An expired ticket
  // still opens: the recording does not expire.
  [[nodiscard]] crypto::TicketOpening open(ByteView ticket);

 private:
  crypto::TicketKeyring keyring_;
};

}  // namespace tlslab::decrypt
