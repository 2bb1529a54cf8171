#pragma once
// One run of tlslab-decrypt: read the capture, open each tlslab session with the stolen key,
// print what it reveals, append the key log lines, and decide the exit code.
#include <cstdio>
#include <optional>
#include <string>

#include "exit_codes.hpp"
#include "session_report.hpp"
#include "tcp_capture.hpp"

namespace tlslab::decrypt {

struct RunSettings {
  std::string key_path;                   // the stolen server key, PEM (empty: none)
  std::string ticket_key_path;            // the stolen ticket key file (§7.8; empty: none)
  std::string capture_path;               // pcap or pcapng
  std::optional<std::string> keylog_out;  // NSS key log lines for the sessions opened (0600)
  ReportOptions report;
  CaptureLimits limits;
  bool stats = false;  // one line on `err` of what reading the capture kept (CaptureStats)
};

// Writes the report to `out` and problems with files to `err`. Never throws.
ExitCode run(const RunSettings& settings, std::FILE* out, std::FILE* err);

}  // namespace tlslab::decrypt
