// tlslab-report's reader and merge: the --trace-json lines of the client, the server and the CA,
// as one text (each line names its side), read as run_report reads them, then matched, merged and
// drawn (the page's data and the PlantUML diagram's text are made in memory, not written).
//
// Input: JSON Lines. Its error model is std::runtime_error with one line for the user (a line that
// is not a trace object, traces that are not of one handshake): that is caught; anything else
// thrown (std::out_of_range, std::bad_alloc, boost::system::system_error from a JSON accessor)
// escapes and is a finding, as is any sanitizer report.
// Seeds: tests/fuzz/corpus/fuzz_report_traces/: the three traces of a direct run, a stapled run and
// a mutual run, concatenated, as make_corpus.py writes them; tls12-run and tls13-run, those of a real
// TLS 1.2 (RSA key transport) and 1.3 handshake with the client's OCSP POST to the CA (`messages` and
// `facts` on their lines), as merged_report.py's TlsRun makes them.
#include <boost/json.hpp>

#include <stdexcept>
#include <string_view>

#include "fuzz_support.hpp"
#include "handshake_match.hpp"
#include "merge.hpp"
#include "merged_page.hpp"
#include "sessions.hpp"
#include "trace_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tlslab::report;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<TraceRecord> records;
  MatchOptions options;
  try {
    std::size_t start = 0, number = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(start, end - start);
      start = end + 1;
      LineOrigin origin{"fuzz", ++number};
      boost::system::error_code error;
      boost::json::value value = boost::json::parse(line, error);
      if (error) continue;  // read_trace_file stops here with a line; the fuzzer reads on
      TraceRecord record = read_trace_record(value, origin);
      options.have_server_trace |= record.side == "server";
      options.have_ca_trace |= record.side == "ca";
      records.push_back(std::move(record));
    }
    std::vector<Session> sessions = split_sessions(records);
    Handshake handshake = find_handshake(sessions, options);
    MergedRun run = merge_handshake(handshake);
    std::string page = merged_page_data(run, {"client.jsonl", "server.jsonl", "ca.jsonl"});
    tlslab::fuzz::require(!page.empty() && page.front() == '{', "the merged page's data is a JSON object");
    boost::system::error_code error;
    boost::json::value parsed = boost::json::parse(page, error);
    tlslab::fuzz::require(!error && parsed.is_object(), "the merged page's data parses as JSON");
  } catch (const boost::system::system_error&) {
    throw;  // a JSON accessor on a value of another kind: a finding, not the reader's error model
  } catch (const std::runtime_error&) {
    // the user is told in one line; nothing drawn
  }
  return 0;
}
