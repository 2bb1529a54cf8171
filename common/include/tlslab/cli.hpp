#pragma once
// The command-line options the programs share, defined once: the trace (--quiet,
// --show-secrets, --trace-json, --log-level) and the key log (--keylog, or $SSLKEYLOGFILE).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>

#include "tlslab/trace.hpp"

namespace tlslab::cli {

struct TraceArguments {
  bool quiet = false;
  bool show_secrets = false;
  std::string trace_json;
};
void add_trace_options(CLI::App& app, TraceArguments& arguments);
// The trace's options for a program whose trace goes to `out` (color when it is a terminal).
TraceOptions trace_options(const TraceArguments& arguments, std::FILE* out, std::string side);

// --keylog FILE (default: $SSLKEYLOGFILE).
void add_keylog_option(CLI::App& app, std::string& keylog);
// The key log to write, if any: --keylog, else $SSLKEYLOGFILE. Checked now (private or absent,
// private_file.hpp) so that a mistake stops the program before its first session.
std::optional<std::string> keylog_path(const std::string& keylog);

void add_log_level_option(CLI::App& app, std::string& level);

}  // namespace tlslab::cli
