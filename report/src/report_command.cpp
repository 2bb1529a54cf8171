#include "report_command.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "handshake_match.hpp"
#include "merge.hpp"
#include "merged_page.hpp"
#include "merged_plantuml.hpp"
#include "sessions.hpp"
#include "tlslab/private_file.hpp"
#include "tlslab/text.hpp"
#include "tlslab/trace/report.hpp"
#include "trace_file.hpp"

namespace tlslab::report {
namespace {

// An output written over one of the traces would lose the trace: refused before anything is read.
void refuse_output_over_input(const std::string& output, std::string_view what,
                              const std::vector<std::string>& traces) {
  struct stat written {};
  if (output.empty() || ::stat(output.c_str(), &written) != 0) return;
  for (const std::string& trace : traces) {
    struct stat read {};
    if (::stat(trace.c_str(), &read) == 0 && read.st_dev == written.st_dev && read.st_ino == written.st_ino) {
      throw std::runtime_error(std::string(what) + " '" + printable(output) +
                               "' is one of the traces given: choose another path");
    }
  }
}

}  // namespace

void run_report(const ReportCommand& command) {
  refuse_output_over_input(command.report_path, "--report file", command.traces);
  refuse_output_over_input(command.plantuml_path, "--plantuml file", command.traces);
  // Every record of every file, in one vector that no longer grows: the sessions point into it.
  std::vector<TraceRecord> records;
  MatchOptions options;
  options.rand_client = command.rand_client;
  std::vector<std::pair<dev_t, ino_t>> seen;
  std::size_t total = 0;
  for (const std::string& path : command.traces) {
    // The same file twice would be two of each session, and read as two runs.
    struct stat file_status {};
    if (::stat(path.c_str(), &file_status) == 0) {
      std::pair<dev_t, ino_t> id{file_status.st_dev, file_status.st_ino};
      if (std::find(seen.begin(), seen.end(), id) != seen.end()) {
        throw std::runtime_error(printable(path) + ": given twice");
      }
      seen.push_back(id);
    }
    std::vector<TraceRecord> file = read_trace_file(path, {}, &total);

    if (file.empty()) std::fprintf(stderr, "tlslab-report: note: %s holds no trace lines\n", printable(path).c_str());
    for (TraceRecord& record : file) {
      options.have_server_trace |= record.side == "server";
      options.have_ca_trace |= record.side == "ca";
      records.push_back(std::move(record));
    }
  }
  std::vector<Session> sessions = split_sessions(records);
  Handshake handshake = find_handshake(sessions, options);
  MergedRun run = merge_handshake(handshake);
  for (const std::string& note : run.notes) std::fprintf(stderr, "tlslab-report: note: %s\n", note.c_str());

  FileKind kind = run.show_secrets ? FileKind::secret : FileKind::document;
  if (!command.report_path.empty()) {
    require_output_or_absent(command.report_path, "--report file", kind);
    write_output_file(command.report_path, report_page(merged_page_data(run, command.traces)), "--report file", kind);
    std::printf("tlslab-report: wrote %s (%zu steps, %zu outcomes%s)\n", printable(command.report_path).c_str(),
                run.events.size(), run.outcomes.size(), run.show_secrets ? "; it holds secrets: mode 0600" : "");
  }
  if (!command.plantuml_path.empty()) {
    write_merged_plantuml(run, command.plantuml_path);
    std::printf("tlslab-report: wrote %s\n", printable(command.plantuml_path).c_str());
  }
}

}  // namespace tlslab::report
