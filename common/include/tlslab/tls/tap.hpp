#pragma once
// The one tap of a real TLS connection (issue 24): libssl's message callback hands over each
// handshake message (in TLS 1.3 the plaintext of the encrypted ones), each ChangeCipherSpec and each
// alert, sent or received; record headers are ignored. The tap keeps their bytes (at most
// max_tapped_bytes per connection; beyond that messages are counted, not kept), then groups them
// into flights on the seed's arrows with the flow of the negotiated handshake (tls_flow.hpp) and
// makes the trace's events: one per arrow, with each message's bytes and spans and typed facts, and
// the local steps libssl took (the certificate check, the key schedule).
//
// A tap costs nothing when the trace is off: install it only when the Trace is enabled().
#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tlslab/bytes.hpp"
#include "tlslab/handshake_flow.hpp"
#include "tlslab/tls/negotiated.hpp"
#include "tlslab/tls/tls_flow.hpp"
#include "tlslab/trace/event.hpp"

namespace tlslab::tls {

inline constexpr std::size_t max_tapped_bytes = 256 * 1024;

// libssl's content types at the message boundary (RFC 5246 §6.2.1). application_data is never tapped
// from libssl: a capture read without its keys (tlslab-explain) shows each protected record it could
// not open as one, its bytes the whole record (header and ciphertext).
enum class TappedType : std::uint8_t { change_cipher_spec = 20, alert = 21, handshake = 22, application_data = 23 };

struct TappedMessage {
  Party from = Party::client;
  TappedType type = TappedType::handshake;
  std::string name;        // "ClientHello", "ChangeCipherSpec", "Alert"
  Bytes bytes;             // the whole message (handshake: type, length, body); empty when over the cap
  std::size_t size = 0;    // its length, kept or not
  bool encrypted = false;  // it crossed the wire inside a protected record
  bool tls13 = false;      // sent under TLS 1.3 (its CCS is only for middleboxes, RFC 8446 §D.4)
  // When libssl handed it over: the picture draws each arrow when its first message crossed, so that
  // what happened in between (the CA check, inside arrow 2) sits where it happened.
  std::chrono::steady_clock::time_point at{};
  std::string time;  // the same moment, wall clock, ISO 8601 UTC
};

// A TLS alert seen on the connection.
struct TappedAlert {
  Party from = Party::client;
  std::uint8_t level = 0;  // 1 warning, 2 fatal
  std::uint8_t description = 0;
  std::string name;  // "handshake_failure"
  Bytes bytes;
};
// The alert as the outcome's frame: its two bytes, each in its field (level, description).
WireFrame alert_frame(const TappedAlert& alert);

// Consecutive messages of one sender on one arrow.
struct TlsFlight {
  int arrow = 0;
  Party from = Party::client;
  Party to = Party::server;
  std::vector<std::size_t> messages;  // indexes into the tapped messages
  std::size_t compatibility_ccs = 0;  // TLS 1.3 middlebox ChangeCipherSpecs, shown in words only
};

// Puts each message on its arrow: the next step of `flow` by its sender that lists it; a message no
// step lists stays on its sender's current arrow, or goes on the next arrow of that sender; nothing
// is dropped. TLS 1.3's middlebox ChangeCipherSpecs are counted on their flight, not listed.
std::vector<TlsFlight> group_flights(std::span<const TappedMessage> messages, const TlsFlow& flow);

struct TapOptions {
  Party me = Party::server;   // whose trace this is (its local steps)
  bool show_secrets = false;  // --show-secrets: the TLS 1.2 master secret as a SecretFact
  // An observer of a recording (tlslab-explain): the connection is over whatever the handshake
  // reached, so what the key log lets it recompute is recomputed even when a side never finished.
  bool observer = false;
};

// Where events_of is in a connection's messages: what it has already made events of.
struct EventProgress {
  std::size_t flights_taken = 0;
  bool certificate_check_taken = false;
  bool key_schedule_taken = false;
  bool resumption_taken = false;
  bool computed = false;
};
// The trace's events of `messages` (one per flight on the seed's arrows, with the local steps of
// options.me), from the flights progress has not taken yet; `keylog_lines` recompute the secrets and
// both Finished once the handshake is finished. `messages` are settled first: under TLS 1.3 each is
// marked so, a HelloRetryRequest is named. Elapsed times count from `start` (the first message when
// none).
std::vector<HandshakeEvent> events_of(std::vector<TappedMessage>& messages, const NegotiatedSession& session,
                                      const TapOptions& options, std::span<const std::string> keylog_lines,
                                      std::optional<std::chrono::steady_clock::time_point> start,
                                      EventProgress& progress);

class Tap {
 public:
  explicit Tap(TapOptions options) : options_(options) {}
  Tap(const Tap&) = delete;
  Tap& operator=(const Tap&) = delete;

  // Sets libssl's message callback of `ssl` to this tap (which must outlive the SSL's use).
  void install(SSL* ssl);
  // The session's beginning (the connection accepted or opened): events' elapsed_ms count from it
  // (by default from the first message).
  void start(std::chrono::steady_clock::time_point at) { start_ = at; }

  [[nodiscard]] const std::vector<TappedMessage>& messages() const noexcept { return messages_; }
  // Messages past max_tapped_bytes: counted, their bytes not kept.
  [[nodiscard]] std::size_t uncounted_bytes() const noexcept { return dropped_bytes_; }
  // The last alert sent or received, if any.
  [[nodiscard]] const std::optional<TappedAlert>& last_alert() const noexcept { return alert_; }

  // The events of the flights not yet taken (call after the handshake, and again later for TLS 1.3's
  // NewSessionTicket on a client), with their local steps. `ssl` gives the negotiated facts. Each
  // event carries the time of its first message (a local step: of the message it looked at), as
  // elapsed_ms since start() and as wall clock.
  std::vector<HandshakeEvent> take_events(const SSL* ssl);

  // For the session page: what the ClientHello offered, in words ("X25519MLKEM768, x25519, ..."),
  // empty when unknown.
  struct Offer {
    std::vector<std::string> groups;      // supported_groups, in the client's order
    std::vector<std::string> key_shares;  // TLS 1.3: the groups it sent a share in
    std::vector<std::string> suites;
  };
  [[nodiscard]] Offer client_offer() const;

  // The tap install() attached to `ssl`; nullptr when none.
  static Tap* of(const SSL* ssl);
  // A key log line libssl made for this connection (Context's callback, with the trace on): kept
  // (at most a few, wiped with the tap) to recompute the session's secrets and Finished.
  void on_keylog(const char* line);
  ~Tap();

  // libssl's callback, public for the C trampoline.
  void on_message(int write_p, int version, int content_type, const void* buf, std::size_t len, const SSL* ssl);

 private:
  TapOptions options_;
  std::optional<std::chrono::steady_clock::time_point> start_;
  std::vector<TappedMessage> messages_;
  std::size_t kept_bytes_ = 0;
  std::size_t dropped_bytes_ = 0;
  bool ccs_sent_ = false;
  bool ccs_received_ = false;
  std::optional<TappedAlert> alert_;
  std::vector<std::string> keylog_lines_;
  EventProgress progress_;
};

// The alerts of a connection, from libssl's info callback: kept with the trace off too (it copies
// nothing), so that a failed handshake's one line names the alert.
struct AlertRecord {
  std::optional<std::uint8_t> sent;  // the description of the last alert sent
  std::optional<std::uint8_t> received;
};
// `record` must outlive the SSL's use. Replaces the SSL's info callback.
void watch_alerts(SSL* ssl, AlertRecord* record);
// RFC 8446 §6's name of an alert description: "handshake_failure", "certificate_required".
std::string alert_words(std::uint8_t description);

}  // namespace tlslab::tls
