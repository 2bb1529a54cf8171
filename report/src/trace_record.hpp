#pragma once
// One line of a --trace-json file, read and checked: an event (an arrow or a local step) or an
// outcome, of one program ("side": client, server or ca). Every value came from a file the user
// gave, which a hostile peer may have written into: each is checked for its type here, once.
#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tlslab::report {

// A flight is the messages of one arrow: TLS 1.2's ServerHello to ServerHelloDone is 4 to 7, a
// TLS 1.3 server's first flight 5 to 7, its tickets a few. 64 is far past any real one.
inline constexpr std::size_t max_flight_messages = 64;
// A fact is a name, a digest, a certificate or an OCSP response: 256 KiB of hex is a 128 KiB DER,
// past any certificate libssl accepts (its limit is 100 KiB for the whole chain).
inline constexpr std::size_t max_fact_chars = 256u << 10;
// transcript_hashes, checks and secrets: a handful each in a real handshake.
inline constexpr std::size_t max_fact_list = 64;

// Where a line came from, for every error: "client.jsonl:7".
struct LineOrigin {
  std::string file;
  std::size_t line = 0;
  [[nodiscard]] std::string where() const { return file + ":" + std::to_string(line); }
};

struct TraceRecord {
  LineOrigin origin;
  std::string side;  // "client", "server", "ca"
  std::uint64_t connection = 0;
  bool is_outcome = false;
  std::string time;       // ISO 8601 UTC, as written
  double wall_ms = 0;     // `time` as milliseconds since the epoch
  double elapsed_ms = 0;  // since that session's first event

  // An event.
  int arrow = 0;
  std::string from, to, message, description;
  std::vector<std::pair<std::string, std::string>> fields;  // in the file's order
  std::vector<std::pair<std::string, std::string>> colors;  // name → the seed's color
  std::optional<boost::json::object> ahead_of_time;
  std::string bytes;  // the frame, hex ("" when none)
  boost::json::value spans;
  std::string plaintext;
  boost::json::value plaintext_spans;
  // Real TLS (issue 24): the flight's messages in order, each {message, bytes, spans, encrypted}
  // (an empty array when the line has none), and what the event established, typed (an object,
  // only the keys json_lines.hpp names; null when none).
  boost::json::value messages;
  boost::json::value facts;

  // An outcome.
  bool ok = false;
  std::string event, detail, alert, alert_from, alert_to;

  [[nodiscard]] const std::string* field(std::string_view name) const;
  [[nodiscard]] std::string color_of(std::string_view name) const;
  [[nodiscard]] bool is_local() const { return !is_outcome && arrow == 0; }
};

// Reads one parsed line. Throws std::runtime_error "FILE:LINE: …" naming what is wrong.
TraceRecord read_trace_record(const boost::json::value& line, LineOrigin origin);

// "2026-12-06T13:59:27.422601Z" → milliseconds since the epoch; nullopt when not that form.
std::optional<double> iso_to_ms(std::string_view iso);

// Milliseconds since the epoch → "2026-12-06T13:59:27.422601Z" (microseconds, as the programs write).
std::string ms_to_iso(double ms);

// The party's name as the diagram writes it: "Client", "Server", "CA".
std::string participant(std::string_view side);

}  // namespace tlslab::report
