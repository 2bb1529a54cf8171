#pragma once
// The step-by-step trace: each arrow of the diagram as it happens, in the diagram's words and
// the seed's colors (plain when not a terminal), and as JSON Lines for scripts. Secrets are
// shown only when asked (--show-secrets). Thread-safe: a server's sessions share one Trace. The
// text is written by a thread of its own (AsyncWriter): a slow terminal never holds up a session.
// Every value is passed through printable() for the terminal and json_string() for JSON: values
// may quote what a peer sent.
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tlslab/async_writer.hpp"
#include "tlslab/bytes.hpp"
#include "tlslab/text.hpp"

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

struct TraceField {
  std::string name;
  std::string value;
  TraceColor color = TraceColor::plain;
  bool secret = false;
};

struct TraceStep {
  int arrow = 0;             // 1..8 as in DESIGN.md; 0 for a local step (key derivation, checks)
  std::string from;          // "Client"
  std::string to;            // "Server"
  std::string message;       // "ClientHello"
  std::string description;   // the diagram's words
  std::vector<TraceField> fields;
};

struct TraceOptions {
  bool text = true;           // false with --quiet
  bool color = false;         // true when the output is a terminal (and NO_COLOR is unset)
  bool show_secrets = false;  // --show-secrets
  std::FILE* out = stdout;
  std::optional<std::string> json_path;  // --trace-json FILE
  std::string side;           // "client" / "server"
};

class Trace {
 public:
  explicit Trace(TraceOptions options);
  ~Trace();
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  // `connection` is 0 for the client (one session) and the connection id on the server.
  void step(std::uint64_t connection, const TraceStep& step);
  // A failure or a final line ("handshake failed: certificate_revoked (…)").
  void outcome(std::uint64_t connection, bool ok, const std::string& event, const std::string& detail);

  [[nodiscard]] const TraceOptions& options() const noexcept { return options_; }
  // Whether secret fields are shown: when not, the caller need not format them at all.
  [[nodiscard]] bool shows_secrets() const noexcept { return options_.show_secrets; }
  // Waits until every line so far is written (before the process prints its last line).
  void flush();

 private:
  [[nodiscard]] std::string paint(TraceColor color, const std::string& text) const;

  TraceOptions options_;
  std::FILE* json_ = nullptr;
  std::optional<AsyncWriter> text_out_;
  std::optional<AsyncWriter> json_out_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// A secret field: its hex only when the trace shows secrets, otherwise not formatted at all.
TraceField secret_field(const Trace& trace, std::string name, ByteView secret, TraceColor color);

// Helpers for field values.
std::string hex_field(ByteView bytes, std::size_t show = 0);  // show > 0: first `show` bytes, then …
// Whether `file` is a terminal that wants color (isatty and NO_COLOR unset).
bool wants_color(std::FILE* file);

}  // namespace tlslab
