#pragma once
// The three programs' records of one handshake as one run: each arrow once (the sender's record
// and the receiver's of the same frame are one step, their bytes compared), every program's local
// steps (both SESSION MASTER KEY derivations, the CA's database lookup, the server's check of a
// client certificate), on the client's timeline, in causal order; the stapled arrows 3–4, which
// the server made before the handshake, before arrow 1.
#include <map>
#include <string>
#include <vector>

#include "clock_offsets.hpp"
#include "handshake_match.hpp"

namespace tlslab::report {

struct MergedStep {
  std::vector<const TraceRecord*> records;  // the sender's first (for an outcome: the alert's sender)
  double elapsed_ms = 0;                    // on the client's timeline
  std::map<std::string, double> seen_at;    // each program's own record, on the client's timeline
  bool bytes_differ = false;                // the sender's and the receiver's frames are not the same bytes
  [[nodiscard]] const TraceRecord& first() const { return *records.front(); }
  [[nodiscard]] const TraceRecord* of(std::string_view side) const;
};

struct MergedRun {
  std::vector<MergedStep> events;               // in causal order
  std::vector<MergedStep> outcomes;             // each alert once
  std::map<std::string, ClockEstimate> clocks;  // "server", "ca": against the client's clock
  double client_origin_ms = 0;                  // the client's first event, on its wall clock
  bool show_secrets = false;                    // some input holds a secret
  std::vector<std::string> notes;               // warnings for the user
};

MergedRun merge_handshake(const Handshake& handshake);

// Whether a field of `record` is one of the secrets --show-secrets adds. The JSON trace does not
// say so; a secret is the hex of a PRE-MASTER or SESSION MASTER KEY color that is not on the wire
// (an encrypted PRE-MASTER is).
bool is_secret_field(const TraceRecord& record, std::string_view name, std::string_view value);

}  // namespace tlslab::report
