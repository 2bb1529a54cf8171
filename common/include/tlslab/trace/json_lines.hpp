#pragma once
// The trace as JSON Lines (--trace-json FILE), one object per event, for scripts: `side`,
// `connection`, `arrow`, `from`, `to`, `message`, `description`, `time`, `elapsed_ms`, `fields`
// (name → value) and `colors` (name → the seed's color), then `bytes` (the frame, hex) and
// `spans` (every field of it: offset, length, field, children); under --show-secrets also
// `plaintext` and `plaintext_spans` for protected frames; an arrow that happened before the
// session (the stapled arrows 3–4) has `ahead_of_time`. An outcome is one object with
// `outcome`, `event`, `detail` (and `alert_bytes` when an alert ended the session).
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
// {"this_update":"2026-…Z","age_s":2,"learned_at_arrow":2}: this_update "" and age_s null when unknown.
std::string ahead_of_time_json(const AheadOfTime& when);

}  // namespace tlslab
