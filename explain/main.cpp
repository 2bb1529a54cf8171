// tlslab-explain: the illustrated report of any TLS connection in a capture (issue 25). It reads a
// pcap or pcapng (libtins), finds every TLS connection whatever the port, and draws the chosen one
// on the seed's arrows with every byte of every handshake message annotated, as a live run does;
// with the key log (SSLKEYLOGFILE) TLS 1.3's encrypted handshake and the first application data
// are opened and both Finished recomputed.
//
// Exit codes: 0 done, 1 a local error (capture, key log or output file), 2 bad command line (or
// several connections and none chosen), 3 the chosen stream is not one this explains, 4 no TLS
// connection in the capture.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "explain_run.hpp"

int main(int argc, char** argv) {
  using tlslab::explain::ExitCode;
  CLI::App app{
      "tlslab-explain: the illustrated report of a TLS connection in a capture (pcap or pcapng), on the seed's "
      "arrows, every byte explained; with --keylog, TLS 1.3's encrypted handshake and the first request opened"};
  app.set_version_flag("--version", "tlslab-explain 1.0.0");
  tlslab::explain::RunSettings settings;
  std::string keylog;
  std::uint64_t stream = 0;
  app.add_option("capture", settings.capture_path, "the capture: pcap or pcapng (tshark, Wireshark, tcpdump)")
      ->required();
  app.add_option("--keylog", keylog, "the NSS key log the client wrote (SSLKEYLOGFILE)");
  app.add_flag("--list", settings.list,
               "list the capture's TLS and tlslab connections: stream, endpoints, protocol, server name, suite, "
               "outcome");
  auto* stream_option = app.add_option("--stream", stream, "explain this connection (its number in --list)");
  auto* all_option = app.add_flag("--all", settings.all,
                                  "explain every TLS connection: --report FILE becomes an index page, each "
                                  "connection's page written beside it (FILE-stream-N.html)");
  stream_option->excludes(all_option);
  app.add_option("--report", settings.report, "write the illustrated report (self-contained HTML) to FILE");
  app.add_option("--plantuml", settings.plantuml, "write the sequence diagram (PlantUML) to FILE");
  app.add_option("--trace-json", settings.trace_json, "write the trace's events as JSON Lines to FILE");
  app.add_flag("--show-secrets", settings.show_secrets,
               "also show the secrets the key log gives (traffic secrets, master secret); outputs written 0600");
  app.add_flag("--stats", settings.stats, "print to stderr one line of what reading the capture kept");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }
  if (!keylog.empty()) settings.keylog_path = keylog;
  if (stream_option->count() > 0) settings.stream = stream;
  if (settings.all && (!settings.plantuml.empty() || !settings.trace_json.empty())) {
    std::fprintf(stderr,
                 "tlslab-explain: --all writes pages (--report); --plantuml and --trace-json take one --stream\n");
    return static_cast<int>(ExitCode::usage);
  }
  return static_cast<int>(tlslab::explain::run(settings, stdout, stderr));
}
