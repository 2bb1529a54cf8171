#pragma once
// What the trace is made of (VARIANTS.md, "What every variant emits"): one event for each arrow
// of the diagram and each local step, then one outcome. Renderers consume them (the terminal,
// JSON Lines, the HTML report, PlantUML); the handshake code builds events and knows no renderer.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tlslab/bytes.hpp"
#include "tlslab/frame.hpp"

namespace tlslab {

// The seed's colors, by what they paint.
enum class TraceColor : std::uint8_t {
  plain,
  rand_client,    // orange
  rand_server,    // purple
  cipher_suites,  // salmon
  certificate,    // cyan
  public_key,     // brown
  ca_key,         // dark green
  pre_master,     // crimson
  master_key,     // forest green
  good,           // green: a check passed
  bad,            // red: an alert
};
// "orange", "darkgreen", … ("" for plain): as the JSON trace names them.
std::string_view color_name(TraceColor color);

struct TraceField {
  std::string name;
  std::string value;
  TraceColor color = TraceColor::plain;
  bool secret = false;  // shown only with --show-secrets (and then formatted at all)
};

// An arrow that happened before its session began and that the session learned of later: arrows
// 3–4 of a stapled run, which the server made when it fetched the staple (§9.1). The client sees
// only the staple inside arrow 2; what it can tell of when is what the CA's answer says.
struct AheadOfTime {
  // Where the answer was kept meanwhile: a staple the server fetched (§9.1), or a CRL in the cache of
  // the one who fetched it (§9.3).
  enum class Source : std::uint8_t { staple, cache };
  std::string this_update;         // the CA's answer's thisUpdate (a cached CRL: when it was fetched), ISO 8601
                                   // UTC; empty when it does not verify
  std::optional<long long> age_s;  // that answer's age when the session learned of it (at arrow 2)
  int learned_at_arrow = 2;        // the arrow that brought it
  Source source = Source::staple;
};

// "ahead of time: the CA answered at 2026-…Z (thisUpdate), 2 s before arrow 2"; a cached CRL:
// "ahead of time: fetched from the CA at 2026-…Z and kept in the cache, 2 s before arrow 2".
std::string ahead_of_time_words(const AheadOfTime& when);

// One message of a flight (VARIANTS.md: an arrow is a flight: one message in the lab's protocol, up to
// six in TLS 1.2's arrow 2, TLS 1.3's whole first server flight).
struct FlightMessage {
  std::string name;  // "ServerHello", "Certificate", "ChangeCipherSpec"
  // The message as it crossed the boundary where it was tapped, with every byte in one leaf span: a
  // lab frame from the codec, or a TLS handshake message as libssl handed it over (from the display
  // parser; TLS 1.3's encrypted ones are the plaintext libssl decrypted, see `encrypted`).
  WireFrame frame;
  bool encrypted = false;  // sent inside an encrypted record: these bytes are not what a capture shows
};

// Typed facts (VARIANTS.md, "What every variant emits"): what an event established, for renderers and
// tools to read without parsing display words. Every member is optional: an event sets what it knows.
struct SecretFact {
  std::string name;         // "PRE-MASTER", "SESSION MASTER KEY", "client_handshake_traffic_secret"
  Bytes value;              // rendered only when the trace shows secrets (or it is not `secret`)
  std::string computation;  // how it was made: "TLS1-PRF(PRE-MASTER, \"master secret\", RAND-CLIENT || RAND-SERVER)"
  // A stock shell command (openssl kdf/dgst/mac) that prints `value` from values shown before it; empty
  // when there is none, or when it would write out a secret and secrets are not shown.
  std::string command;
  // False for a value computed on the way that is no secret (a transcript hash): always shown.
  bool secret = true;
};
struct CheckFact {
  std::string check;  // "certificate chain", "host name", "OCSP status", "Finished"
  bool ok = false;
  std::string expected;  // the values compared, in words ("" when there is nothing to compare)
  std::string actual;
};
struct EventFacts {
  std::string protocol;        // "tlslab/1.0", "TLS 1.2", "TLS 1.3"; empty when this event does not say
  Bytes client_random;         // RAND-CLIENT
  Bytes server_random;         // RAND-SERVER
  std::string suite;           // the chosen suite, by its IANA (or PROTOCOL.md) name
  std::string group;           // the key exchange group ("x25519")
  Bytes certificate;           // the peer's certificate, DER
  Bytes status;                // the CA's answer, DER (an OCSP response, a CRL)
  std::string status_verdict;  // "good", "revoked (keyCompromise)", "unknown", "does not verify: …"
  std::vector<std::pair<std::string, Bytes>> transcript_hashes;  // ("Hash(ClientHello..ServerHello)", digest)
  std::vector<SecretFact> secrets;
  std::vector<CheckFact> checks;
  [[nodiscard]] bool empty() const {
    return protocol.empty() && client_random.empty() && server_random.empty() && suite.empty() && group.empty() &&
           certificate.empty() && status.empty() && status_verdict.empty() && transcript_hashes.empty() &&
           secrets.empty() && checks.empty();
  }
};

struct HandshakeEvent {
  std::uint64_t connection = 0;  // 0 for the client (one session); the connection id in a server
  int arrow = 0;                 // 1..8 as in DESIGN.md; 0 for a local step
  std::string from;              // "Client"
  std::string to;                // "Server"
  std::string message;           // "ClientHello"
  std::string description;       // the seed's words
  std::vector<TraceField> fields;
  std::optional<WireFrame> frame;  // the frame as sent or received, with its fields' spans
  // A flight of several messages (real TLS): each message with its bytes and spans. Empty for the lab's
  // one-message arrows, which keep `frame`; `message` then names the flight ("ServerHello + Certificate
  // + ServerHelloDone").
  std::vector<FlightMessage> flight;
  EventFacts facts;
  double elapsed_ms = 0;  // since the session's first event
  std::string time;       // wall clock, ISO 8601 UTC
  // Set for an arrow drawn before arrow 1 (its `elapsed_ms` and `time` say when it was learned of).
  std::optional<AheadOfTime> ahead_of_time;
};

struct OutcomeEvent {
  std::uint64_t connection = 0;
  bool ok = false;
  std::string event;  // "handshake complete", "handshake failed: certificate_revoked (…)"
  std::string detail;
  // The alert that ended the session, if one did: its name, who sent it to whom, its frame.
  std::string alert;
  std::string alert_from;
  std::string alert_to;
  std::optional<WireFrame> alert_frame;
  double elapsed_ms = 0;
  std::string time;
};

class Renderer {
 public:
  virtual ~Renderer() = default;
  // Called from any session's thread; a renderer serializes what it must.
  virtual void on_event(const HandshakeEvent& event) = 0;
  virtual void on_outcome(const OutcomeEvent& outcome) = 0;
  // At the end of the process (or of a test): write what is still held, flush.
  virtual void finish() {}
};

}  // namespace tlslab
