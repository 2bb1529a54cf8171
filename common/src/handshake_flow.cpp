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

}  // namespace

std::string_view to_string(Party party) {
  switch (party) {
    case Party::client: return "Client";
    case Party::server: return "Server";
    case Party::ca: return "CA";
  }
  return "?";
}

const Flow& seed_flow() { return seed; }

FlowCursor::FlowCursor(const Flow& flow, Party me, Party peer) : flow_(flow), me_(me), peer_(peer) {
  skip_other_links();
}

bool FlowCursor::ours(const FlowStep& step) const {
  return (step.from == me_ && step.to == peer_) || (step.from == peer_ && step.to == me_);
}

void FlowCursor::skip_other_links() {
  while (next_ < flow_.steps.size() && !ours(flow_.steps[next_])) ++next_;
}

const FlowStep& FlowCursor::send(HandshakeType message) {
  if (complete() || flow_.steps[next_].from != me_ || flow_.steps[next_].message != message) {
    throw std::logic_error("sending " + std::string(to_string(message)) + " out of the flow's order (" +
                           std::string(flow_.variant) + ")");
  }
  const FlowStep& step = flow_.steps[next_++];
  skip_other_links();
  return step;
}

Result<const FlowStep*> FlowCursor::receive(HandshakeType message) {
  const FlowStep* wanted = expected();
  if (wanted == nullptr || wanted->message != message) {
    std::string expectation =
        wanted == nullptr ? "nothing from the " + std::string(to_string(peer_)) + " now"
                          : std::string(to_string(wanted->message));
    return fail(AlertDescription::unexpected_message,
                "expected " + expectation + ", got " + std::string(to_string(message)));
  }
  ++next_;
  skip_other_links();
  return wanted;
}

const FlowStep* FlowCursor::expected() const {
  if (complete() || flow_.steps[next_].from != peer_) return nullptr;
  return &flow_.steps[next_];
}

bool FlowCursor::complete() const { return next_ >= flow_.steps.size(); }

}  // namespace tlslab
