#include "tlslab/handshake_flow.hpp"

#include <array>
#include <stdexcept>
#include <string>

namespace tlslab {
namespace {

constexpr std::array seed_steps{
    FlowStep{1, Party::client, Party::server, HandshakeType::client_hello, "ClientHello",
             "client says hello with RAND-CLIENT, sends TLS version, sends cipher suites available to the client"},
    FlowStep{2, Party::server, Party::client, HandshakeType::server_hello, "ServerHello",
             "returns RAND-SERVER, returns accepted cipher suite, returns CERTIFICATE for authentication, returns "
             "SERVER'S PUBLIC KEY"},
    FlowStep{3, Party::client, Party::ca, HandshakeType::status_request, "StatusRequest",
             "sends CERTIFICATE for authentication (with a fresh nonce)"},
    FlowStep{4, Party::ca, Party::client, HandshakeType::status_response, "StatusResponse",
             "sends ACK for the certificate, signed with the CA'S PRIVATE KEY (an OCSP response); the client verifies "
             "it with the CA'S PUBLIC KEY from its local trust store"},
    FlowStep{5, Party::client, Party::server, HandshakeType::client_key_exchange, "ClientKeyExchange",
             "sends a new random value PRE-MASTER, encrypted using SERVER'S PUBLIC KEY (RSA-OAEP)"},
    FlowStep{6, Party::client, Party::server, HandshakeType::finished, "Finished (test message)",
             "sends test message using SESSION MASTER KEY (Finished: proves the keys and the transcript)"},
    FlowStep{7, Party::server, Party::client, HandshakeType::finished, "Finished (ACK)",
             "decrypts the test message using SESSION MASTER KEY, returns ACK encrypted using SESSION MASTER KEY "
             "(Finished)"},
};

constexpr Flow seed{"seed (RSA key transport)", seed_steps};

// Forward secrecy (§7.6): the same arrows; 1, 2 and 5 carry key shares, and the PRE-MASTER is never
// sent.
constexpr std::array ecdhe_steps{
    FlowStep{1, Party::client, Party::server, HandshakeType::client_hello, "ClientHello",
             "client says hello with RAND-CLIENT, sends TLS version, sends cipher suites available to the client, "
             "and the groups it can make an ephemeral key in"},
    FlowStep{2, Party::server, Party::client, HandshakeType::server_hello, "ServerHello",
             "returns RAND-SERVER, returns accepted cipher suite, returns CERTIFICATE for authentication, returns "
             "SERVER'S PUBLIC KEY, and its ephemeral key share signed with the CERTIFICATE's key: SERVER'S PUBLIC KEY "
             "signs, it no longer encrypts"},
    seed_steps[2],
    seed_steps[3],
    FlowStep{5, Party::client, Party::server, HandshakeType::client_key_exchange, "ClientKeyExchange (key share)",
             "sends its ephemeral key share; both sides compute the PRE-MASTER from the two shares (ECDH): the "
             "PRE-MASTER is never sent"},
    seed_steps[5],
    seed_steps[6],
};

constexpr Flow ecdhe{"forward secrecy (ECDHE)", ecdhe_steps};

}  // namespace

std::string_view to_string(Party party) {
  switch (party) {
    case Party::client: return "Client";
    case Party::server: return "Server";
    case Party::ca: return "CA";
  }
  return "?";
}

const Flow& seed_flow() {
  return seed;
}

const Flow& ecdhe_flow() {
  return ecdhe;
}

const Flow& flow_for(KeyExchange key_exchange) {
  return key_exchange == KeyExchange::ecdhe ? ecdhe : seed;
}

void FlowCursor::choose(const Flow& variant) {
  for (std::size_t i = 0; i < next_; ++i) {
    if (i >= variant.steps.size() || variant.steps[i].message != flow_.get().steps[i].message) {
      throw std::logic_error("the variant chosen does not continue the steps already taken");
    }
  }
  flow_ = variant;
}

FlowCursor::FlowCursor(const Flow& flow, Party me, Party peer) : flow_(flow), me_(me), peer_(peer) {
  skip_other_links();
}

bool FlowCursor::ours(const FlowStep& step) const {
  return (step.from == me_ && step.to == peer_) || (step.from == peer_ && step.to == me_);
}

void FlowCursor::skip_other_links() {
  while (next_ < flow_.get().steps.size() && !ours(flow_.get().steps[next_])) ++next_;
}

const FlowStep& FlowCursor::send(HandshakeType message) {
  if (complete() || flow_.get().steps[next_].from != me_ || flow_.get().steps[next_].message != message) {
    throw std::logic_error("sending " + std::string(to_string(message)) + " out of the flow's order (" +
                           std::string(flow_.get().variant) + ")");
  }
  last_ = next_;
  const FlowStep& step = flow_.get().steps[next_++];
  skip_other_links();
  return step;
}

Result<const FlowStep*> FlowCursor::receive(HandshakeType message) {
  const FlowStep* wanted = expected();
  if (wanted == nullptr || wanted->message != message) {
    std::string expectation = wanted == nullptr ? "nothing from the " + std::string(to_string(peer_)) + " now"
                                                : std::string(to_string(wanted->message));
    return fail(AlertDescription::unexpected_message,
                "expected " + expectation + ", got " + std::string(to_string(message)));
  }
  last_ = next_++;
  skip_other_links();
  return wanted;
}

const FlowStep* FlowCursor::expected() const {
  if (complete() || flow_.get().steps[next_].from != peer_) return nullptr;
  return &flow_.get().steps[next_];
}

bool FlowCursor::complete() const {
  return next_ >= flow_.get().steps.size();
}

const FlowStep& FlowCursor::last() const {
  return flow_.get().steps[last_];
}

}  // namespace tlslab
