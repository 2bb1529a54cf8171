#pragma once
// The trace as JSON Lines (--trace-json FILE), one object per event, for scripts: `side`,
// `connection`, `arrow`, `from`, `to`, `message`, `description`, `time`, `elapsed_ms`, `fields`
// (name → value) and `colors` (name → the seed's color), then `bytes` (the frame, hex) and
// `spans` (every field of it: offset, length, field, children); under --show-secrets also
// `plaintext` and `plaintext_spans` for protected frames; an arrow that happened before the
// session (the stapled arrows 3–4) has `ahead_of_time`. An outcome is one object with
// `outcome`, `event`, `detail` (and `alert_bytes` when an alert ended the session).
//
// Real TLS (issue 24) adds, only to the events that carry them (the lab's lines are unchanged):
// - `messages`: an arrow that is a flight of several messages (TLS 1.2's ServerHello + Certificate +
//   ServerHelloDone), in order, each {"message": name, "bytes": hex, "spans": […], "encrypted": bool};
//   `encrypted` messages are the plaintext libssl decrypted, not what a capture shows. The top-level
//   `bytes`/`spans` are then the first message's, for readers that know only those.
// - `facts`: what the event established, typed, each key present only when known: `protocol`
//   ("TLS 1.2", "TLS 1.3"), `client_random`, `server_random` (hex), `suite`, `group`, `certificate` and
//   `status` (hex DER), `status_verdict`, `transcript_hashes` [{name, hash}], `checks`
//   [{check, ok, expected, actual}], `secrets` [{name, computation, secret: true, value}]: a secret's
//   `value` only under --show-secrets (without it the key is absent).
// - `secret_fields`: under --show-secrets, the names of the `fields` that are secrets (keep the file
//   private), when the event has any.
#include <cstdio>
#include <span>
#include <string>

#include "tlslab/async_writer.hpp"
#include "tlslab/trace/event.hpp"

namespace tlslab {

class JsonLinesRenderer : public Renderer {
 public:
  // `out` stays open until the renderer is destroyed (the caller closes it after).
  JsonLinesRenderer(std::FILE* out, std::string side, bool show_secrets);
  void on_event(const HandshakeEvent& event) override;
  void on_outcome(const OutcomeEvent& outcome) override;
  void finish() override { out_.flush(); }
  void flush() { out_.flush(); }

 private:
  AsyncWriter out_;
  std::string side_;
  bool show_secrets_;
};

// [{"offset":0,"length":5,"field":"header","children":[…]}, …]
std::string spans_json(std::span<const FieldSpan> spans);
// [{"message":"ServerHello","bytes":"02…","spans":[…],"encrypted":false}, …]
std::string flight_json(std::span<const FlightMessage> flight);
// {"protocol":"TLS 1.3",…}: the facts that are set; a secret's value only when `show_secrets`.
std::string facts_json(const EventFacts& facts, bool show_secrets);
// {"this_update":"2026-…Z","age_s":2,"learned_at_arrow":2}: this_update "" and age_s null when unknown.
std::string ahead_of_time_json(const AheadOfTime& when);

}  // namespace tlslab
