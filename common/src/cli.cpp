#include "tlslab/cli.hpp"

#include <cstdlib>

#include "tlslab/private_file.hpp"

namespace tlslab::cli {

void add_trace_options(CLI::App& app, TraceArguments& arguments) {
  app.add_flag("--quiet", arguments.quiet, "no step-by-step trace");
  app.add_flag("--show-secrets", arguments.show_secrets,
               "show PRE-MASTER, SESSION MASTER KEY and record keys in the trace");
  app.add_option("--trace-json", arguments.trace_json, "write the trace as JSON Lines to this file");
}

TraceOptions trace_options(const TraceArguments& arguments, std::FILE* out, std::string side) {
  TraceOptions options;
  options.text = !arguments.quiet;
  options.out = out;
  options.color = wants_color(out);
  options.show_secrets = arguments.show_secrets;
  options.side = std::move(side);
  if (!arguments.trace_json.empty()) options.json_path = arguments.trace_json;
  return options;
}

void add_keylog_option(CLI::App& app, std::string& keylog) {
  app.add_option("--keylog", keylog, "append NSS key-log lines here (default: $SSLKEYLOGFILE)");
}

std::optional<std::string> keylog_path(const std::string& keylog) {
  std::optional<std::string> path;
  if (!keylog.empty()) {
    path = keylog;
  } else if (const char* env = std::getenv("SSLKEYLOGFILE"); env && *env) {
    path = env;
  }
  if (path) require_private_or_absent(*path, "key log");
  return path;
}

void add_log_level_option(CLI::App& app, std::string& level) {
  app.add_option("--log-level", level, "trace, debug, info, warn, error, off")->capture_default_str();
}

}  // namespace tlslab::cli
