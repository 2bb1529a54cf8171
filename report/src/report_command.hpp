#pragma once
// What `tlslab-report TRACES… --report FILE [--plantuml FILE]` does, apart from its command line:
// read the traces (within limits), find the one handshake they share, merge it, write the outputs
// through the programs' output path (a secret file when any trace holds a secret).
#include <optional>
#include <string>
#include <vector>

namespace tlslab::report {

struct ReportCommand {
  std::vector<std::string> traces;
  std::string report_path;    // "" for none
  std::string plantuml_path;  // "" for none
  std::optional<std::string> rand_client;
};

// Prints notes to stderr and what it wrote to stdout. Throws std::runtime_error (one line) when an
// input is refused or an output cannot be written.
void run_report(const ReportCommand& command);

}  // namespace tlslab::report
