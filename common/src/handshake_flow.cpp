#include "tlslab/handshake_flow.hpp"

#include <array>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

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

// Resumption (§7.8): the session ticket stands in for arrows 2's CERTIFICATE, 3–4 and 5.
constexpr std::array resumed_steps{
    FlowStep{1, Party::client, Party::server, HandshakeType::client_hello, "ClientHello (session ticket)",
             "client says hello with RAND-CLIENT, sends TLS version, sends cipher suites available to the client, and "
             "the session ticket a server gave it when the session began (session_ticket)"},
    FlowStep{2, Party::server, Party::client, HandshakeType::server_hello, "ServerHello (resumed)",
             "returns RAND-SERVER and the session's cipher suite, and accepts the ticket: no CERTIFICATE and no "
             "SERVER'S PUBLIC KEY. No arrows 3-5: the CA was asked when the session began, and a ticket lives no "
             "longer than that answer's nextUpdate; there is no PRE-MASTER, the SESSION MASTER KEY comes from the "
             "ticket, which only this server can open"},
    FlowStep{6, Party::client, Party::server, HandshakeType::finished, "Finished (test message)",
             "sends test message using fresh keys from the ticket's SESSION MASTER KEY and the new randoms (Finished: "
             "proves the client holds the session's master secret, not just the ticket)"},
    FlowStep{7, Party::server, Party::client, HandshakeType::finished, "Finished (ACK)",
             "decrypts the test message, returns ACK encrypted with the fresh keys (Finished: proves the server "
             "opened the ticket)"},
};

constexpr Flow resumed{"resumed (session ticket)", resumed_steps};

// After a full handshake's arrow 7 (§7.8): the ticket for the next connection.
constexpr FlowStep new_session_ticket_step{
    7,
    Party::server,
    Party::client,
    HandshakeType::new_session_ticket,
    "NewSessionTicket",
    "returns a session ticket, encrypted using SESSION MASTER KEY: the session's master secret and suite sealed "
    "under the server's ticket key, which the client offers next time to skip arrows 3-5"};

// Stapling (§9.1): arrows 3–4 between the server and the CA, ahead of time.
constexpr std::array staple_steps{
    FlowStep{3, Party::server, Party::ca, HandshakeType::status_request, "StatusRequest (by the server)",
             "the server sends its own CERTIFICATE for authentication (with a nonce of its own), ahead of time, before "
             "any client says hello"},
    FlowStep{4, Party::ca, Party::server, HandshakeType::status_response, "StatusResponse (the staple)",
             "sends ACK for the certificate, signed with the CA'S PRIVATE KEY (an OCSP response); the server keeps it "
             "and staples it into every ServerHello that asks, so the answer is as old as the staple"},
};
constexpr Flow staple{"stapling: the server asks the CA ahead of time", staple_steps};

// Mutual authentication (§9.2): the seed's arrows 3–4, mirrored, about the client's certificate.
constexpr std::array client_certificate_steps{
    FlowStep{3, Party::server, Party::ca, HandshakeType::status_request, "StatusRequest (client's certificate)",
             "the server sends the client's CERTIFICATE for authentication (with a nonce of its own)"},
    FlowStep{4, Party::ca, Party::server, HandshakeType::status_response, "StatusResponse (client's certificate)",
             "sends ACK for the client's certificate, signed with the CA'S PRIVATE KEY (an OCSP response); the server "
             "verifies it with the CA'S PUBLIC KEY from its trust store"},
};
constexpr Flow client_certificate{"mutual: the server asks the CA about the client", client_certificate_steps};

// CRLs (§9.3): arrows 3–4 as an HTTP GET of the CA's signed list, no question about any certificate.
constexpr std::array crl_steps{
    FlowStep{3, Party::client, Party::ca, HandshakeType::status_request, "CRL request (HTTP GET)",
             "asks the CA for its list of revoked certificates (a CRL): the request names no certificate, so the CA "
             "learns only that this address fetched the list"},
    FlowStep{4, Party::ca, Party::client, HandshakeType::status_response, "CertificateList (HTTP 200)",
             "sends the list of revoked serials, signed with the CA'S PRIVATE KEY; the client verifies it with the "
             "CA'S PUBLIC KEY and looks the serial up itself"},
};
constexpr Flow crl_fetch{"CRL: the client fetches the CA's list", crl_steps};

constexpr std::array server_crl_steps{
    FlowStep{3, Party::server, Party::ca, HandshakeType::status_request, "CRL request (HTTP GET)",
             "the server asks the CA for its list of revoked client certificates (a CRL): the request names no "
             "certificate"},
    FlowStep{4, Party::ca, Party::server, HandshakeType::status_response, "CertificateList (HTTP 200)",
             "sends the list of revoked serials, signed with the CA'S PRIVATE KEY; the server verifies it with the "
             "CA'S PUBLIC KEY and looks the client's serial up itself"},
};
constexpr Flow server_crl_fetch{"CRL: the server fetches the CA's list", server_crl_steps};

// The variants of a key exchange's flow: the seed's steps with words added, and the CA's arrows
// moved (VARIANTS.md). Built once; the words live as long as the process.
class VariantFlows {
 public:
  VariantFlows() {
    for (KeyExchange key_exchange : {KeyExchange::rsa_oaep, KeyExchange::ecdhe}) {
      for (bool stapled : {false, true}) {
        for (bool mutual : {false, true}) {
          for (bool ticket : {false, true}) build(FlowVariant{key_exchange, stapled, mutual, ticket});
        }
      }
    }
  }
  const Flow& get(const FlowVariant& variant) const { return built_[index(variant)].flow; }

 private:
  struct Built {
    std::string name;
    std::deque<std::string> words;  // a deque: what the steps' views point to never moves
    std::vector<FlowStep> steps;
    Flow flow;
  };

  static std::size_t index(const FlowVariant& variant) {
    return (variant.key_exchange == KeyExchange::ecdhe ? 8 : 0) + (variant.stapled ? 4 : 0) + (variant.mutual ? 2 : 0) +
           (variant.ticket ? 1 : 0);
  }

  void build(const FlowVariant& variant) {
    Built& built = built_[index(variant)];
    const Flow& base = flow_for(variant.key_exchange);
    auto words = [&](std::string text) -> std::string_view { return built.words.emplace_back(std::move(text)); };
    auto with = [&](const FlowStep& step, std::string_view name, std::string more) {
      FlowStep changed = step;
      if (!name.empty()) changed.name = name;
      changed.description = words(std::string(step.description) + more);
      return changed;
    };
    if (variant.stapled) built.steps.insert(built.steps.end(), staple_steps.begin(), staple_steps.end());
    built.steps.push_back(
        with(base.steps[0], {},
             std::string(variant.stapled ? ", and asks for the CA's answer stapled (status_stapling)" : "") +
                 (variant.mutual ? ", and says it has a CERTIFICATE of its own (certificate_request)" : "") +
                 (variant.ticket ? ", and says it can keep a session ticket (session_ticket)" : "")));
    built.steps.push_back(with(
        base.steps[1], {},
        std::string(variant.stapled ? ", and the CA's signed answer about its CERTIFICATE, fetched ahead of time (the "
                                      "staple: no client nonce in it, its freshness is its age)"
                                    : "") +
            (variant.mutual ? ", and asks for the client's CERTIFICATE (certificate_request)" : "") +
            (variant.ticket ? ", and says a session ticket will follow its Finished (session_ticket)" : "")));
    if (!variant.stapled) {
      built.steps.push_back(base.steps[2]);
      built.steps.push_back(base.steps[3]);
    }
    if (variant.mutual) {
      built.steps.push_back(with(base.steps[4],
                                 words(std::string(base.steps[4].name) + " + client CERTIFICATE, CertificateVerify"),
                                 ", then the client's CERTIFICATE and its signature over the handshake so far, made "
                                 "with the client's PRIVATE KEY (CertificateVerify)"));
      built.steps.insert(built.steps.end(), client_certificate_steps.begin(), client_certificate_steps.end());
    } else {
      built.steps.push_back(base.steps[4]);
    }
    built.steps.push_back(base.steps[5]);
    built.steps.push_back(base.steps[6]);
    if (variant.ticket) built.steps.push_back(new_session_ticket_step);
    built.name = std::string(base.variant) + (variant.stapled ? ", stapled" : "") + (variant.mutual ? ", mutual" : "") +
                 (variant.ticket ? ", session ticket" : "");
    built.flow = Flow{built.name, built.steps};
  }

  std::array<Built, 16> built_;
};

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

const Flow& resumed_flow() {
  return resumed;
}

const Flow& flow_for(const FlowVariant& variant) {
  if (variant.resumed) return resumed;
  if (!variant.stapled && !variant.mutual && !variant.ticket) return flow_for(variant.key_exchange);
  static const VariantFlows variants;
  return variants.get(variant);
}

const Flow& status_flow(StatusQuestion question) {
  switch (question) {
    case StatusQuestion::server_certificate: break;
    case StatusQuestion::staple: return staple;
    case StatusQuestion::client_certificate: return client_certificate;
  }
  return seed;
}

const Flow& crl_flow(Party asker) {
  return asker == Party::server ? server_crl_fetch : crl_fetch;
}

Party asker_of(StatusQuestion question) {
  return question == StatusQuestion::server_certificate ? Party::client : Party::server;
}

const FlowStep* find_step(const Flow& flow, int arrow, Party from) {
  for (const FlowStep& step : flow.steps) {
    if (step.arrow == arrow && step.from == from) return &step;
  }
  return nullptr;
}

void FlowCursor::choose(const Flow& variant) {
  // The steps of this link taken so far, in order, must open the variant's steps of this link too.
  const auto& taken = flow_.get().steps;
  std::size_t position = 0;  // in the variant
  std::size_t last = 0;
  bool any = false;
  for (std::size_t i = 0; i < next_ && i < taken.size(); ++i) {
    if (!ours(taken[i])) continue;
    while (position < variant.steps.size() && !ours(variant.steps[position])) ++position;
    if (position >= variant.steps.size() || variant.steps[position].message != taken[i].message ||
        variant.steps[position].from != taken[i].from) {
      throw std::logic_error("the variant chosen does not continue the steps already taken");
    }
    if (i == last_) {
      last = position;
      any = true;
    }
    ++position;
  }
  flow_ = variant;
  next_ = position;
  last_ = any ? last : 0;
  skip_other_links();
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
