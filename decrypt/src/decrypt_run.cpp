#include "decrypt_run.hpp"

#include <map>
#include <stdexcept>

#include "captured_session.hpp"
#include "stolen_key.hpp"
#include "tlslab/crypto/keylog.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/private_file.hpp"
#include "tlslab/text.hpp"

namespace tlslab::decrypt {
namespace {

std::string plural(std::size_t count, const std::string& word) {
  return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

void print_stats(const Capture& capture, std::FILE* err) {
  const CaptureStats& stats = capture.stats;
  std::fprintf(err,
               "tlslab-decrypt: stats: packets=%llu connections=%llu tlslab=%zu other=%llu silent=%llu evicted=%llu "
               "sessions_not_kept=%llu peak_followed=%zu peak_undecided=%zu kept_bytes=%zu\n",
               static_cast<unsigned long long>(capture.packets), static_cast<unsigned long long>(stats.connections),
               capture.connections.size(), static_cast<unsigned long long>(stats.other),
               static_cast<unsigned long long>(stats.silent), static_cast<unsigned long long>(stats.evicted),
               static_cast<unsigned long long>(stats.sessions_not_kept), stats.peak_followed, stats.peak_undecided,
               stats.kept_bytes);
}

// What the bounds of CaptureLimits left out, when they did: one line each.
void print_not_kept(const CaptureStats& stats, const CaptureLimits& limits, std::FILE* out) {
  if (stats.evicted > 0) {
    std::fprintf(out,
                 "tlslab-decrypt: %s sent nothing after their SYN while %zu others were waiting, and were "
                 "forgotten (a limit of tlslab-decrypt: a tlslab client speaks first)\n",
                 plural(static_cast<std::size_t>(stats.evicted), "connection").c_str(), limits.max_undecided);
  }
  if (stats.sessions_not_kept > 0) {
    std::fprintf(out,
                 "tlslab-decrypt: %s more not shown: the capture holds more than %zu sessions or %zu MiB of them "
                 "(limits of tlslab-decrypt: --max-sessions, --max-capture-mib)\n",
                 plural(static_cast<std::size_t>(stats.sessions_not_kept), "tlslab session").c_str(),
                 limits.max_sessions, limits.max_capture_bytes >> 20);
  }
}

}  // namespace

ExitCode run(const RunSettings& settings, std::FILE* out, std::FILE* err) {
  try {
    // Everything that can fail locally is checked before the first line of the report.
    StolenKey stolen_key(crypto::load_private_key_pem(settings.key_path));
    if (settings.keylog_out) require_private_or_absent(*settings.keylog_out, "key log");
    Capture capture = read_capture(settings.capture_path, settings.limits);
    if (settings.stats) print_stats(capture, err);

    std::string capture_name = printable(settings.capture_path);
    // Said first, and to both outputs: whatever follows is short of what the file was meant to hold.
    std::string truncated;
    if (!capture.truncated.empty()) {
      truncated = "tlslab-decrypt: " + capture_name + " is cut short (" + printable(capture.truncated) +
                  "): it is read up to its last whole packet; a session still open there is shown up to it\n";
      std::fputs(truncated.c_str(), err);
    }
    if (capture.connections.empty()) {
      std::fprintf(err,
                   "tlslab-decrypt: no tlslab session in %s (%llu packets): no TCP connection in it starts with a "
                   "ClientHello frame (16 01 00 ... 01) after its SYN\n",
                   capture_name.c_str(), static_cast<unsigned long long>(capture.packets));
      return ExitCode::no_session;
    }
    if (!truncated.empty()) std::fputs(truncated.c_str(), out);
    std::size_t total = capture.connections.size();
    std::fprintf(out, "tlslab-decrypt: %s: %s in %llu packets, opened with the key %s\n", capture_name.c_str(),
                 plural(total, "tlslab session").c_str(), static_cast<unsigned long long>(capture.packets),
                 printable(settings.key_path).c_str());
    if (capture.skipped_packets > 0) {
      std::fprintf(out, "tlslab-decrypt: %s could not be followed by libtins and were skipped\n",
                   plural(static_cast<std::size_t>(capture.skipped_packets), "packet").c_str());
    }

    print_not_kept(capture.stats, settings.limits, out);

    std::size_t opened_count = 0, nothing_encrypted = 0, not_opened = 0, keylog_lines = 0;
    std::map<std::string, std::size_t> why_not;
    ReportSink sink = file_sink(out);
    for (std::size_t i = 0; i < total; ++i) {
      const TcpConnection& connection = capture.connections[i];
      std::fputs("\n", out);
      auto session = read_session(connection);
      if (!session) {
        std::fputs(render_undecodable(i + 1, total, connection, session.failure().reason).c_str(), out);
        ++not_opened;
        ++why_not[std::string(to_string(Verdict::undecodable))];
        continue;
      }
      OpenedSession opened = stolen_key.open(session.value());
      write_session(sink, i + 1, total, session.value(), opened, settings.report);
      if (opened.verdict == Verdict::opened) {
        ++opened_count;
      } else if (opened.verdict == Verdict::nothing_encrypted) {
        ++nothing_encrypted;
      } else {
        ++not_opened;
        ++why_not[std::string(to_string(opened.verdict))];
      }
      // Only a session whose client Finished opened gets a line: the keys are proven.
      if (opened.verdict == Verdict::opened && opened.master_secret && settings.keylog_out) {
        crypto::append_keylog(*settings.keylog_out, session->client_hello.random, *opened.master_secret);
        ++keylog_lines;
      }
    }

    std::string summary = "\ntlslab-decrypt: " + plural(total, "session") + ": " + std::to_string(opened_count) +
                          " opened, " + std::to_string(nothing_encrypted) + " with nothing encrypted, " +
                          std::to_string(not_opened) + " could not be opened";
    if (!why_not.empty()) {
      summary += " (";
      bool first = true;
      for (const auto& [why, count] : why_not) {
        summary += (first ? "" : ", ") + why + ": " + std::to_string(count);
        first = false;
      }
      summary += ")";
    }
    std::fprintf(out, "%s\n", summary.c_str());
    if (settings.keylog_out) {
      std::fprintf(out, "tlslab-decrypt: %s appended to %s (mode 0600: master secrets)\n",
                   plural(keylog_lines, "key log line").c_str(), printable(*settings.keylog_out).c_str());
    }
    return not_opened > 0 ? ExitCode::session_not_opened : ExitCode::ok;
  } catch (const std::exception& e) {
    std::fflush(out);
    std::fprintf(err, "tlslab-decrypt: %s\n", printable(e.what()).c_str());
    return ExitCode::local_error;
  }
}

}  // namespace tlslab::decrypt
