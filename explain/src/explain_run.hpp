#pragma once
// One run of tlslab-explain: read the capture, list its TLS (and tlslab) connections or explain the
// chosen one(s) with the same renderers as a live run, and decide the exit code.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace tlslab::explain {

enum class ExitCode : int {
  ok = 0,
  local_error = 1,    // the capture or key log cannot be read, an output cannot be written
  usage = 2,          // bad command line, or several connections and none chosen
  not_explained = 3,  // the chosen stream is not a TLS connection this explains
  no_connection = 4,  // the capture holds no TLS connection
};

struct RunSettings {
  std::string capture_path;
  std::optional<std::string> keylog_path;
  bool list = false;
  std::optional<std::uint64_t> stream;
  bool all = false;
  std::string report;      // --report FILE (with --all: the index page; each connection's beside it)
  std::string plantuml;    // --plantuml FILE
  std::string trace_json;  // --trace-json FILE
  bool show_secrets = false;
  bool stats = false;
};

// Writes the listing or the terminal trace to `out`, one-line problems to `err`. Never throws.
ExitCode run(const RunSettings& settings, std::FILE* out, std::FILE* err);

}  // namespace tlslab::explain
