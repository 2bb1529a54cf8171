#include "explain_run.hpp"

#include <map>
#include <memory>
#include <stdexcept>

#include "captured_tls.hpp"
#include "explained_connection.hpp"
#include "frame_stream.hpp"
#include "index_page.hpp"
#include "key_log.hpp"
#include "lab_session.hpp"
#include "tcp_capture.hpp"
#include "tlslab/private_file.hpp"
#include "tlslab/text.hpp"
#include "tlslab/trace.hpp"
#include "tlslab/trace/plantuml.hpp"
#include "tlslab/trace/report.hpp"

namespace tlslab::explain {
namespace {

// A connection worth listing: a TLS ClientHello record or a tlslab ClientHello frame first.
std::optional<bool> tls_or_tlslab(ByteView first_bytes) {
  auto tls = looks_like_tls_client_hello(first_bytes);
  auto lab = decrypt::looks_like_client_hello(first_bytes);
  if ((tls && *tls) || (lab && *lab)) return true;
  if (tls && lab) return false;
  return std::nullopt;
}

bool is_tlslab(const decrypt::TcpConnection& connection) {
  auto lab = decrypt::looks_like_client_hello(connection.client_bytes);
  return lab && *lab;
}

std::string list_line(const decrypt::TcpConnection& connection, const Summary& summary) {
  return "stream " + std::to_string(connection.number) + ": " + connection.client + " → " + connection.server + "  " +
         summary.protocol + "  " + summary.sni + "  " + summary.suite + "  " + summary.outcome;
}

// "out.html" → "out-stream-7.html", beside it.
std::string page_path(const std::string& index, std::uint64_t stream) {
  std::string base = index;
  std::size_t slash = base.find_last_of('/');
  std::size_t dot = base.find_last_of('.');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash) &&
      dot > (slash == std::string::npos ? 0 : slash + 1)) {
    return base.substr(0, dot) + "-stream-" + std::to_string(stream) + base.substr(dot);
  }
  return base + "-stream-" + std::to_string(stream) + ".html";
}

struct Outputs {
  std::string report;
  std::string plantuml;
  std::string trace_json;
};

// The connection's page, diagram and trace, through the same renderers as a live run; with none
// asked for, its terminal trace on `out`.
void render(const Explained& explained, const Outputs& outputs, bool show_secrets, std::FILE* out) {
  bool quiet = !outputs.report.empty() || !outputs.plantuml.empty() || !outputs.trace_json.empty();
  TraceOptions options;
  options.text = !quiet;
  options.color = !quiet && wants_color(out);
  options.show_secrets = show_secrets;
  options.out = out;
  options.side = "capture";
  if (!outputs.trace_json.empty()) options.json_path = outputs.trace_json;
  Trace trace(options);
  if (!outputs.report.empty()) trace.add(std::make_unique<ReportRenderer>(outputs.report, show_secrets, "capture"));
  if (!outputs.plantuml.empty()) trace.add(std::make_unique<PlantUmlRenderer>(outputs.plantuml, show_secrets));
  for (const auto& event : explained.events) trace.emit(event);
  trace.emit(explained.outcome);
  trace.finish();
}

}  // namespace

ExitCode run(const RunSettings& settings, std::FILE* out, std::FILE* err) {
  try {
    KeyLog keys;
    if (settings.keylog_path) {
      keys = KeyLog::read(*settings.keylog_path);
      if (keys.empty()) {
        std::fprintf(err,
                     "tlslab-explain: the key log '%s' has no key log line (NSS format: LABEL <client random hex> "
                     "<secret hex>)%s%s: explaining without it\n",
                     printable(*settings.keylog_path).c_str(), keys.ignored() > 0 ? "; first line: " : "",
                     keys.first_ignored().c_str());
      } else if (keys.ignored() > 0) {
        std::fprintf(err, "tlslab-explain: %zu line(s) of the key log are not key log lines (first: %s): skipped\n",
                     keys.ignored(), keys.first_ignored().c_str());
      }
    }
    for (const std::string* path : {&settings.report, &settings.plantuml, &settings.trace_json}) {
      if (!path->empty()) {
        require_output_or_absent(*path, "output", settings.show_secrets ? FileKind::secret : FileKind::document);
      }
    }
    decrypt::CaptureLimits limits;
    limits.tool = "tlslab-explain";
    // A listing needs each connection's handshake, not its bulk: a 100 MB capture lists in little
    // memory. Without a choice, the capture is listed first: explained when it holds one TLS
    // connection (read again for that one only), said how many otherwise.
    bool listing = settings.list || (!settings.stream && !settings.all);
    if (listing) {
      limits.max_connection_bytes = std::size_t{64} << 10;
      limits.max_sessions = 1'000'000;
    } else {
      // A page shows the handshake and the first records each way: a download's bulk is counted up
      // to here, not held.
      limits.max_connection_bytes = std::size_t{8} << 20;
    }
    if (settings.stream && !settings.list) limits.only_connection = settings.stream;
    // A listing takes each connection as it ends, keeping only its line: what is held at once is the
    // connections still open, however long the capture.
    std::map<std::uint64_t, std::string> listed;
    KeyLog none;
    auto list = [&listed, &none](decrypt::TcpConnection&& connection) {
      Summary summary = is_tlslab(connection) ? summarize_lab(connection) : summarize(read_tls(connection, none));
      listed.emplace(connection.number, list_line(connection, summary));
    };
    decrypt::Capture capture = listing ? decrypt::read_capture(settings.capture_path, limits, &tls_or_tlslab, list)
                                       : decrypt::read_capture(settings.capture_path, limits, &tls_or_tlslab);
    std::size_t found = listing ? listed.size() : capture.connections.size();
    std::string name = printable(settings.capture_path);
    if (!capture.truncated.empty()) {
      std::fprintf(err, "tlslab-explain: %s is cut short (%s): its last connections may be incomplete\n", name.c_str(),
                   printable(capture.truncated).c_str());
    }
    if (settings.stats) {
      std::fprintf(err, "tlslab-explain: stats: packets=%llu connections=%llu kept=%zu not_kept=%llu kept_bytes=%zu\n",
                   static_cast<unsigned long long>(capture.packets),
                   static_cast<unsigned long long>(capture.stats.connections), found,
                   static_cast<unsigned long long>(capture.stats.sessions_not_kept), capture.stats.kept_bytes);
    }
    if (capture.stats.sessions_not_kept > 0 && (settings.list || settings.all)) {
      std::fprintf(err, "tlslab-explain: %llu more connection(s) not kept (over %zu connections or %zu MiB)\n",
                   static_cast<unsigned long long>(capture.stats.sessions_not_kept), limits.max_sessions,
                   limits.max_capture_bytes >> 20);
    }
    if (found == 0 && settings.stream && !settings.list) {
      std::fprintf(err, "tlslab-explain: no TLS connection is stream %llu in %s (%llu TCP connections): see --list\n",
                   static_cast<unsigned long long>(*settings.stream), name.c_str(),
                   static_cast<unsigned long long>(capture.stats.connections));
      return ExitCode::not_explained;
    }
    if (found == 0) {
      std::fprintf(err,
                   "tlslab-explain: %s holds no TLS connection (%llu packets, %llu TCP connections with their SYN): "
                   "capture with the handshake in it, from before the client connects\n",
                   name.c_str(), static_cast<unsigned long long>(capture.packets),
                   static_cast<unsigned long long>(capture.stats.connections));
      return ExitCode::no_connection;
    }

    if (settings.list) {
      for (const auto& [number, line] : listed) std::fprintf(out, "%s\n", line.c_str());
      return ExitCode::ok;
    }

    std::vector<const decrypt::TcpConnection*> chosen;
    std::size_t tls_count = found;
    if (settings.stream) {
      for (const auto& connection : capture.connections) {
        if (connection.number == *settings.stream) chosen.push_back(&connection);
      }
      if (chosen.empty()) {
        std::fprintf(err, "tlslab-explain: no TLS connection is stream %llu in %s: see --list\n",
                     static_cast<unsigned long long>(*settings.stream), name.c_str());
        return ExitCode::not_explained;
      }
    } else {
      for (const auto& connection : capture.connections) chosen.push_back(&connection);
      if (listing && tls_count > 1) {
        std::fprintf(err,
                     "tlslab-explain: %s holds %zu TLS connections: choose one with --stream N (see --list), or "
                     "--all\n",
                     name.c_str(), tls_count);
        return ExitCode::usage;
      }
      if (listing) {
        // The one TLS connection, read again whole.
        decrypt::CaptureLimits whole;
        whole.tool = limits.tool;
        whole.max_connection_bytes = std::size_t{8} << 20;
        whole.only_connection = listed.begin()->first;
        capture = decrypt::read_capture(settings.capture_path, whole, &tls_or_tlslab);
        chosen.clear();
        for (const auto& connection : capture.connections) chosen.push_back(&connection);
        if (chosen.empty()) throw std::runtime_error(name + " changed while it was read");
      }
    }

    std::vector<IndexEntry> index;
    for (const auto* connection : chosen) {
      Explained explained = is_tlslab(*connection)
                                ? explain_lab(*connection)
                                : explain_connection(read_tls(*connection, keys), keys, settings.show_secrets);
      Outputs outputs;
      if (settings.all) {
        if (!settings.report.empty()) outputs.report = page_path(settings.report, connection->number);
      } else {
        outputs = Outputs{settings.report, settings.plantuml, settings.trace_json};
      }
      if (settings.all && settings.report.empty()) {
        std::fprintf(out, "%s\n", list_line(*connection, explained.summary).c_str());
      }
      render(explained, outputs, settings.show_secrets, out);
      index.push_back(
          IndexEntry{connection->number, connection->client, connection->server, explained.summary, outputs.report});
      if (!outputs.report.empty()) std::fprintf(out, "tlslab-explain: wrote %s\n", printable(outputs.report).c_str());
    }
    if (settings.all && !settings.report.empty()) {
      write_output_file(settings.report, index_page(name, index), "--report index",
                        settings.show_secrets ? FileKind::secret : FileKind::document);
      std::fprintf(out, "tlslab-explain: wrote %s (index of %zu connections)\n", printable(settings.report).c_str(),
                   index.size());
    }
    if (!settings.all) {
      for (const std::string* path : {&settings.plantuml, &settings.trace_json}) {
        if (!path->empty()) std::fprintf(out, "tlslab-explain: wrote %s\n", printable(*path).c_str());
      }
    }
    return ExitCode::ok;
  } catch (const std::exception& error) {
    std::fprintf(err, "tlslab-explain: %s\n", error.what());
    return ExitCode::local_error;
  }
}

}  // namespace tlslab::explain
