#pragma once
// The sessions in the traces: a program's records grouped by connection, in the order written. A
// client's trace has connection 0 only, a server's a connection per client and 0 for its staple
// fetches, the CA's one per request; a file written twice holds a new session from each arrow 1
// (or, for the staple fetches, each new arrow 3).
#include <cstdint>
#include <string>
#include <vector>

#include "trace_record.hpp"

namespace tlslab::report {

struct Session {
  std::string side;
  std::uint64_t connection = 0;
  std::vector<const TraceRecord*> records;  // events and outcomes, in the file's order

  // The n-th event of this arrow between these parties (nullptr if none).
  [[nodiscard]] const TraceRecord* arrow(int number, std::string_view from, std::string_view to,
                                         bool ahead_of_time = false) const;
  // A field of the first event of `number` (nullptr if none).
  [[nodiscard]] const std::string* field(int number, std::string_view name) const;
  // "server.jsonl:12" (where the session starts).
  [[nodiscard]] std::string where() const;
};

// `records` must outlive the sessions.
std::vector<Session> split_sessions(const std::vector<TraceRecord>& records);

}  // namespace tlslab::report
