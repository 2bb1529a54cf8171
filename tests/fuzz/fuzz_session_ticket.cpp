// Resumption (PROTOCOL.md §7.8): what a client reads after the server's Finished (NewSessionTicket)
// and what a server does with the ticket a ClientHello offers (opening it under its ticket keys).
//
// Input: one selector byte, then the rest.
//   selector & 0x03 == 0   the rest is one complete NewSessionTicket message (msg_type || uint24
//                          length || body), as the inner content of the server's protected record
//   selector & 0x03 == 1   the rest is a ticket offered to a server whose keys are fixed (key name
//                          11..11, key 22..22, and a second key 33../44.. as the previous one):
//                          opening it must never throw, and a ticket that opens holds a session
//                          that has not expired, with a master secret of 1..255 bytes
//   selector & 0x03 == 2   the rest is a session state (suite, master secret, times): it is sealed
//                          under the fixed key, then opened: the state must come back unchanged,
//                          and the same ticket with any one byte flipped must not open
//   selector & 0x03 == 3   the rest is a ServerHello: decoded, and when it is in the resumed form
//                          its certificate and key must be empty (§7.8)
// Seeds: tests/fuzz/corpus/fuzz_session_ticket/.
#include <array>
#include <vector>

#include "fuzz_support.hpp"
#include "tlslab/crypto/session_ticket.hpp"

namespace {

using namespace tlslab;

constexpr std::int64_t now = 1'800'000'000;

crypto::TicketKey fixed_key(std::uint8_t name_byte, std::uint8_t key_byte) {
  crypto::TicketKey key;
  key.name.fill(name_byte);
  key.key = Secret(Bytes(crypto::ticket_key_size, key_byte));
  key.created = now;
  return key;
}

const crypto::TicketKey& current_key() {
  static const crypto::TicketKey key = fixed_key(0x11, 0x22);
  return key;
}

const crypto::TicketKey& previous_key() {
  static const crypto::TicketKey key = fixed_key(0x33, 0x44);
  return key;
}

void open_offered(ByteView ticket) {
  std::vector<const crypto::TicketKey*> keys{&current_key(), &previous_key()};
  crypto::TicketOpening opened = crypto::open_ticket(keys, ticket, now);
  if (!opened.state) {
    fuzz::require(!opened.why_not.empty(), "a ticket that does not open says why");
    return;
  }
  fuzz::require(opened.why_not.empty(), "an opened ticket carries no reason");
  fuzz::require(opened.state->expires > now, "an opened ticket has not expired");
  fuzz::require(!opened.state->master_secret.empty() && opened.state->master_secret.size() <= 255,
                "an opened ticket holds a master secret of 1..255 bytes");
}

void seal_then_open(ByteView input) {
  if (input.size() < 4) return;
  crypto::TicketState state;
  state.cipher_suite = static_cast<std::uint16_t>((input[0] << 8) | input[1]);
  std::size_t secret_size = 1 + input[2] % 255;
  ByteView rest = input.subspan(3);
  Bytes secret(secret_size, 0);
  for (std::size_t i = 0; i < secret_size && i < rest.size(); ++i) secret[i] = rest[i];
  state.master_secret = Secret(secret);
  state.created = now;
  state.expires = now + 1 + input[2];
  Bytes ticket = crypto::seal_ticket(current_key(), state);
  std::vector<const crypto::TicketKey*> keys{&current_key()};
  crypto::TicketOpening opened = crypto::open_ticket(keys, ticket, now);
  fuzz::require(opened.state.has_value(), "a ticket sealed under the current key opens");
  fuzz::require(opened.state->cipher_suite == state.cipher_suite, "the suite comes back unchanged");
  fuzz::require(fuzz::same_bytes(opened.state->master_secret.view(), secret), "the master secret comes back unchanged");
  fuzz::require(opened.state->expires == state.expires, "the expiry comes back unchanged");
  std::size_t at = rest.empty() ? 0 : rest[0] % ticket.size();
  ticket[at] ^= 0x01;
  fuzz::require(!crypto::open_ticket(keys, ticket, now).state, "a ticket with one byte flipped does not open");
}

void check_server_hello(ByteView message) {
  auto hello = fuzz::check_handshake_message<ServerHello>(message);
  if (!hello) return;
  if (hello->resumed()) {
    fuzz::require(hello->certificate.empty() && hello->server_public_key.empty(),
                  "a resumed ServerHello has no certificate and no key");
    fuzz::require(!hello->key_share() && !hello->staple() && !hello->certificate_request(),
                  "a resumed ServerHello has no key share, staple or certificate request");
  } else {
    fuzz::require(!hello->certificate.empty() && !hello->server_public_key.empty(),
                  "only a resumed ServerHello has an empty certificate or key");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  tlslab::ByteView rest(data + 1, size - 1);
  switch (data[0] & 0x03) {
    case 0: (void)tlslab::fuzz::check_handshake_message<tlslab::NewSessionTicket>(rest); break;
    case 1: open_offered(rest); break;
    case 2: seal_then_open(rest); break;
    default: check_server_hello(rest); break;
  }
  return 0;
}
