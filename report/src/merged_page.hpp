#pragma once
// The merged run as the report page's data, in the shape the client's page has (report.hpp), with
// "side":"merged" and, on each event and outcome, `seen_by` (the programs whose traces hold it),
// `seen_at` (when each saw it, on the client's timeline) and `connections` (its session in each
// trace); at the top, `clocks` (each program's offset against the client's clock and its bounds),
// `session_master_key` (both derivations compared), `inputs` and `notes`.
#include <string>
#include <vector>

#include "merge.hpp"

namespace tlslab::report {

std::string merged_page_data(const MergedRun& run, const std::vector<std::string>& inputs);

// The fields of one merged step: the sender's, then what the others add; a value another program
// read differently is kept under its name and the program's ("nonce (Client)").
struct MergedField {
  std::string name, value, color;
  bool secret = false;
};
std::vector<MergedField> merged_fields(const MergedStep& step);

}  // namespace tlslab::report
