#pragma once
// The order of a handshake's messages, as data (PROTOCOL.md §6; s2n-tls keeps its state machine
// the same way). A variant of the handshake (VARIANTS.md: ECDHE, stapled, mutual, resumed) is
// another Flow: other steps, or the same steps in another order, over the same code for each
// message. Each side walks the flow with a FlowCursor: it may only send its next step, and a
// message it receives that is not the peer's next step is rejected, with unexpected_message.
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "tlslab/cipher_suite.hpp"
#include "tlslab/messages.hpp"
#include "tlslab/result.hpp"

namespace tlslab {

enum class Party : std::uint8_t { client, server, ca };
std::string_view to_string(Party party);  // "Client", "Server", "CA"

struct FlowStep {
  int arrow;  // the arrow of the seed's diagram (DESIGN.md), 1..8
  Party from;
  Party to;
  HandshakeType message;
  std::string_view name;         // as the trace says it: "Finished (test message)"
  std::string_view description;  // the seed's words for the arrow
};

struct Flow {
  std::string_view variant;  // "seed (RSA key transport)"
  std::span<const FlowStep> steps;
};

// Arrow 8's words: it carries application data, not a handshake message.
inline constexpr std::string_view application_data_description = "actual requests, encrypted using SESSION MASTER KEY";

// The seed's diagram: ClientHello, ServerHello, the client's status request to the CA and its
// answer, ClientKeyExchange, the two Finished messages.
const Flow& seed_flow();
// Forward secrecy: the same order; arrows 1, 2 and 5 carry key shares (§7.6).
const Flow& ecdhe_flow();
// The flow of a suite's key exchange.
const Flow& flow_for(KeyExchange key_exchange);

// What a handshake does besides its key exchange (VARIANTS.md): each combination is a flow of its
// own, with the seed's words adapted. The client–server connection carries the same messages in
// every one of them; what moves is arrows 3–4.
struct FlowVariant {
  KeyExchange key_exchange = KeyExchange::rsa_oaep;
  bool stapled = false;  // the server asked the CA ahead of time and staples its answer (§9.1)
  bool mutual = false;   // the client authenticates with a certificate too; the server asks the CA (§7.7, §9.2)
  bool ticket = false;   // a NewSessionTicket follows the server's Finished (§7.8)
  // The ticket offered is accepted (§7.8): one flow whatever the rest says, arrows 1, 2, 6, 7 only.
  bool resumed = false;
};
const Flow& flow_for(const FlowVariant& variant);
// Resumption (§7.8): ClientHello with a ticket, ServerHello accepting it, the two Finished. No
// arrows 3–5: the CA was asked when the session began, and the master secret is the ticket's.
const Flow& resumed_flow();

// Arrows 3–4 on a connection to the CA, by who asks about which certificate: each a flow of two
// steps, for the StatusClient that asks.
enum class StatusQuestion : std::uint8_t {
  server_certificate,  // the client about the server's certificate (the seed)
  staple,              // the server about its own, ahead of time, to staple the answer (§9.1)
  client_certificate,  // the server about the client's (§9.2)
};
const Flow& status_flow(StatusQuestion question);
// CRLs (§9.3): arrows 3–4 as one HTTP GET of the list the CA signs, by `asker`: the client (about
// the server's certificate) or the server (about a client's). The request names no certificate.
const Flow& crl_flow(Party asker);
// The party that asks the CA in `question`.
Party asker_of(StatusQuestion question);

// The step of `flow` for `arrow` sent by `from`; nullptr when there is none.
const FlowStep* find_step(const Flow& flow, int arrow, Party from);

// One connection's view of a flow: the steps between `me` and `peer`, in order.
class FlowCursor {
 public:
  FlowCursor(const Flow& flow, Party me, Party peer);

  // Continues with `variant` once it is known (the suite, at arrow 2): the steps taken so far on
  // this cursor's link must be the same messages in both flows (steps on other links, such as the
  // CA's, may sit elsewhere in the variant).
  void choose(const Flow& variant);
  [[nodiscard]] const Flow& flow() const noexcept { return flow_; }

  // The step for a message we send now. Sending out of the flow's order is a bug: logic_error.
  const FlowStep& send(HandshakeType message);
  // The step for a message just received; unexpected_message when the flow expects another (or
  // nothing more) from the peer.
  Result<const FlowStep*> receive(HandshakeType message);
  // The step whose message we expect next from the peer (nullptr when it is ours to send, or the
  // flow is complete): what receive() will accept.
  [[nodiscard]] const FlowStep* expected() const;
  // The step taken last, in the flow chosen since (its words can be the variant's).
  [[nodiscard]] const FlowStep& last() const;
  [[nodiscard]] bool complete() const;

 private:
  [[nodiscard]] bool ours(const FlowStep& step) const;
  void skip_other_links();

  std::reference_wrapper<const Flow> flow_;
  Party me_;
  Party peer_;
  std::size_t next_ = 0;
  std::size_t last_ = 0;
};

}  // namespace tlslab
