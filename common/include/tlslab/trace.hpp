#pragma once
// The step-by-step trace: each arrow of the diagram as it happens, in the diagram's words and
// the seed's colors, to every renderer the user asked for: the terminal (unless --quiet), JSON
// Lines (--trace-json), and the client's report and diagram (--report, --plantuml). Secrets are
// shown only when asked (--show-secrets). Thread-safe: a server's sessions share one Trace; each
// session emits through its own SessionTrace, which times its events from its first one.
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tlslab/bytes.hpp"
#include "tlslab/handshake_flow.hpp"
#include "tlslab/text.hpp"
#include "tlslab/trace/event.hpp"

namespace tlslab {

struct TraceOptions {
  bool text = true;           // false with --quiet
  bool color = false;         // true when the output is a terminal (and NO_COLOR is unset)
  bool show_secrets = false;  // --show-secrets
  std::FILE* out = stdout;
  std::optional<std::string> json_path;  // --trace-json FILE
  std::string side;                      // "client" / "server" / "ca"
};

class Trace {
 public:
  explicit Trace(TraceOptions options);
  ~Trace();
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  void add(std::unique_ptr<Renderer> renderer);
  // Whether any renderer listens: when not, a session builds no event at all.
  [[nodiscard]] bool enabled() const noexcept { return !renderers_.empty(); }
  [[nodiscard]] bool shows_secrets() const noexcept { return options_.show_secrets; }
  [[nodiscard]] const TraceOptions& options() const noexcept { return options_; }

  void emit(const HandshakeEvent& event);
  void emit(const OutcomeEvent& outcome);
  // Every renderer writes what it holds (the report is written here); the trace's lines are out.
  void finish();
  // Waits until the terminal's and the JSON's lines so far are written.
  void flush();

 private:
  TraceOptions options_;
  std::vector<std::unique_ptr<Renderer>> renderers_;
  class LineRenderers;
  std::unique_ptr<LineRenderers> lines_;  // the terminal and JSON renderers, for flush()
};

// What a describe callable of SessionTrace may return instead of the fields alone: the fields (the
// seed's words, for people) and the event's typed facts (facts_of.hpp, the same values for tools).
struct Described {
  std::vector<TraceField> fields;
  EventFacts facts;
};

// One session's view of the trace.
class SessionTrace {
 public:
  SessionTrace(Trace& trace, std::uint64_t connection) : trace_(trace), connection_(connection) {}

  [[nodiscard]] bool enabled() const noexcept { return trace_.enabled(); }
  [[nodiscard]] bool shows_secrets() const noexcept { return trace_.shows_secrets(); }
  [[nodiscard]] std::uint64_t connection() const noexcept { return connection_; }
  // Times this session's events from `start` (the connection accepted or opened) rather than from its
  // first event: for a session whose first events carry their own times (a real TLS tap's).
  void begin(std::chrono::steady_clock::time_point start) {
    if (!start_) start_ = start;
  }

  // One arrow of the flow. `describe()` gives its fields (a vector of TraceField), or its fields and
  // facts (Described); it is called only when the trace is on.
  // `description` replaces the step's words when this run's arrow says something else (the CA's
  // answer is not an "ACK" when it says revoked).
  template <class Describe>
  void arrow(const FlowStep& step, std::optional<WireFrame> frame, Describe&& describe,
             std::string_view description = {}) {
    if (!enabled()) return;
    HandshakeEvent event = arrow_event(step, description);
    take(event, describe());
    event.frame = std::move(frame);
    emit(std::move(event));
  }
  // An arrow that happened before this session, learned of now (the stapled arrows 3–4): the
  // report and the diagram draw it before arrow 1, at the time `when` gives.
  template <class Describe>
  void arrow_ahead_of_time(const FlowStep& step, AheadOfTime when, Describe&& describe,
                           std::string_view description = {}) {
    if (!enabled()) return;
    HandshakeEvent event = arrow_event(step, description);
    take(event, describe());
    event.ahead_of_time = std::move(when);
    emit(std::move(event));
  }
  // A local step of `who` (checks, key derivation): arrow 0. `describe()` as for arrow().
  template <class Describe>
  void local(Party who, std::string message, std::string description, Describe&& describe) {
    if (!enabled()) return;
    HandshakeEvent event;
    event.from = to_string(who);
    event.to = event.from;
    event.message = std::move(message);
    event.description = std::move(description);
    take(event, describe());
    emit(std::move(event));
  }
  // Arrow 8: an HTTP request or response line, with the first record that carried it when the
  // channel kept one.
  void line(int arrow, Party from, Party to, std::string message, std::string description = {},
            std::optional<WireFrame> frame = std::nullopt);
  // The alert that ended a session: its description, sender and receiver, and its frame.
  struct AlertSeen {
    AlertDescription description;
    Party from;
    Party to;
    std::optional<WireFrame> frame;
  };
  void outcome(bool ok, std::string event, std::string detail, std::optional<AlertSeen> alert = std::nullopt);

 private:
  // What a describe callable gave: the fields, or the fields and the facts.
  static void take(HandshakeEvent& event, std::vector<TraceField> fields) { event.fields = std::move(fields); }
  static void take(HandshakeEvent& event, Described described) {
    event.fields = std::move(described.fields);
    event.facts = std::move(described.facts);
  }
  // The event of one arrow: the step's parties and words (or this run's `description`).
  static HandshakeEvent arrow_event(const FlowStep& step, std::string_view description) {
    HandshakeEvent event;
    event.arrow = step.arrow;
    event.from = to_string(step.from);
    event.to = to_string(step.to);
    event.message = step.name;
    event.description = description.empty() ? step.description : description;
    return event;
  }
  void emit(HandshakeEvent event);
  double elapsed_ms();

  Trace& trace_;
  std::uint64_t connection_;
  std::optional<std::chrono::steady_clock::time_point> start_;
};

// A secret field: its hex only when the trace shows secrets, otherwise not formatted at all.
TraceField secret_field(bool shown, std::string name, ByteView secret, TraceColor color);

// Helpers for field values.
std::string hex_field(ByteView bytes, std::size_t show = 0);  // show > 0: first `show` bytes, then …
// Whether `file` is a terminal that wants color (isatty and NO_COLOR unset).
bool wants_color(std::FILE* file);
// Now, as ISO 8601 UTC with microseconds.
std::string iso_now();
// `when` the same way (a captured packet's time).
std::string iso_time(std::chrono::system_clock::time_point when);

}  // namespace tlslab
