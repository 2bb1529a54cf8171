// tlslab-report: one picture of all three parties. Each program traces its own side of the
// handshake (--trace-json); this merges the client's, the server's and the CA's traces of one run
// into one page, as the seed draws it: each arrow once, both SESSION MASTER KEY derivations, the
// CA's database lookup, the server's own checks, in causal order on the client's timeline. A real
// TLS run (--tls) merges too: each flight with all its messages, its OCSP POST to the CA.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "report_command.hpp"

namespace {

enum ExitCode : int { ok = 0, refused = 1, usage = 2 };

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "tlslab-report: merges the --trace-json files of one handshake (the client's, the server's, the CA's) into one "
      "page of all three parties: a run of the lab's protocol or of real TLS 1.2/1.3 (--tls, the client asking the "
      "CA's OCSP responder over HTTP)"};
  app.set_version_flag("--version", "tlslab-report 1.0.0 (protocol tlslab/1.0)");
  tlslab::report::ReportCommand command;
  std::string rand_client;
  app.add_option("traces", command.traces, "the programs' --trace-json files (any order; the client's is required)")
      ->required()
      ->type_name("FILE")
      ->expected(-1);  // one or more (their size together is bounded: trace_file.hpp)
  app.add_option("--report", command.report_path, "write the merged run as one self-contained HTML page");
  app.add_option("--plantuml", command.plantuml_path, "write the merged run as a PlantUML sequence diagram");
  app.add_option("--rand-client", rand_client,
                 "the client session to draw, by the first hex digits of its RAND-CLIENT (when a client trace "
                 "holds several)");
  try {
    app.parse(argc, argv);
    if (command.report_path.empty() && command.plantuml_path.empty()) {
      throw CLI::ValidationError("--report or --plantuml: say where the merged run goes");
    }
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? ExitCode::ok : ExitCode::usage;
  }
  if (!rand_client.empty()) command.rand_client = rand_client;
  try {
    tlslab::report::run_report(command);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlslab-report: %s\n", e.what());
    return ExitCode::refused;
  }
  return ExitCode::ok;
}
