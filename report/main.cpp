// tlslab-report: one picture of all three parties. Each program traces its own side of the
// handshake (--trace-json); this merges the client's, the server's and the CA's traces of one run
// into one page, as the seed draws it: each arrow once, both SESSION MASTER KEY derivations, the
// CA's database lookup, the server's own checks, in causal order on the client's timeline.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "handshake_match.hpp"
#include "merge.hpp"
#include "merged_page.hpp"
#include "merged_plantuml.hpp"
#include "sessions.hpp"
#include "tlslab/private_file.hpp"
#include "tlslab/text.hpp"
#include "tlslab/trace/report.hpp"
#include "trace_file.hpp"

namespace {

enum ExitCode : int { ok = 0, refused = 1, usage = 2 };

}  // namespace

int main(int argc, char** argv) {
  using namespace tlslab;
  using namespace tlslab::report;
  CLI::App app{
      "tlslab-report: merges the --trace-json files of one handshake (the client's, the server's, the CA's) into one "
      "page of all three parties"};
  app.set_version_flag("--version", "tlslab-report 1.0.0 (protocol tlslab/1.0)");
  std::vector<std::string> inputs;
  std::string report_path, plantuml_path, rand_client;
  app.add_option("traces", inputs, "the programs' --trace-json files (any order; the client's is required)")
      ->required()
      ->expected(1, 16);
  app.add_option("--report", report_path, "write the merged run as one self-contained HTML page");
  app.add_option("--plantuml", plantuml_path, "write the merged run as a PlantUML sequence diagram");
  app.add_option("--rand-client", rand_client,
                 "the client session to draw, by the first hex digits of its RAND-CLIENT (when a client trace "
                 "holds several)");
  try {
    app.parse(argc, argv);
    if (report_path.empty() && plantuml_path.empty()) {
      throw CLI::ValidationError("--report or --plantuml: say where the merged run goes");
    }
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? ExitCode::ok : ExitCode::usage;
  }

  try {
    // Every record of every file, in one vector that no longer grows: the sessions point into it.
    std::vector<TraceRecord> records;
    MatchOptions options;
    for (const std::string& input : inputs) {
      std::vector<TraceRecord> file = read_trace_file(input);
      if (file.empty())
        std::fprintf(stderr, "tlslab-report: note: %s holds no trace lines\n", printable(input).c_str());
      for (TraceRecord& record : file) {
        options.have_server_trace |= record.side == "server";
        options.have_ca_trace |= record.side == "ca";
        records.push_back(std::move(record));
      }
    }
    if (!rand_client.empty()) options.rand_client = rand_client;
    std::vector<Session> sessions = split_sessions(records);
    Handshake handshake = find_handshake(sessions, options);
    MergedRun run = merge_handshake(handshake);
    for (const std::string& note : run.notes) std::fprintf(stderr, "tlslab-report: note: %s\n", note.c_str());
    FileKind kind = run.show_secrets ? FileKind::secret : FileKind::document;
    if (!report_path.empty()) {
      require_output_or_absent(report_path, "--report file", kind);
      write_output_file(report_path, report_page(merged_page_data(run, inputs)), "--report file", kind);
      std::printf("tlslab-report: wrote %s (%zu steps, %zu outcomes%s)\n", printable(report_path).c_str(),
                  run.events.size(), run.outcomes.size(), run.show_secrets ? ", with secrets: mode 0600" : "");
    }
    if (!plantuml_path.empty()) {
      write_merged_plantuml(run, plantuml_path);
      std::printf("tlslab-report: wrote %s\n", printable(plantuml_path).c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlslab-report: %s\n", e.what());
    return ExitCode::refused;
  }
  return ExitCode::ok;
}
