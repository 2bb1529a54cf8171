#pragma once
// What tlslab-decrypt prints for a session: plain text for a terminal or a file. Everything that
// came from the capture (plaintext, names, reasons quoting it) passes through printable(): a
// recording is as hostile as a peer.
#include <cstddef>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include "captured_session.hpp"
#include "stolen_key.hpp"

namespace tlslab::decrypt {

struct ReportOptions {
  bool show_secrets = false;  // print PRE-MASTER's product, the SESSION MASTER KEY
};

// Where a report goes, piece by piece: a session of 60 MiB is written as it is rendered, never
// held as one string (it was: 746 MB of RSS for one session).
using ReportSink = std::function<void(std::string_view)>;
ReportSink file_sink(std::FILE* out);

// "session 1 of 2: 127.0.0.1:41234 → 127.0.0.1:4433, TLSLAB_…" then one block per thing
// revealed, then the verdict. Application data is shown as text, a line of output per line of
// the plaintext (a line ends with LF or CRLF); every other byte below 0x20, DEL and bytes that are
// not UTF-8 are escaped by printable().
void write_session(const ReportSink& out, std::size_t number, std::size_t total, const CapturedSession& session,
                   const OpenedSession& opened, const ReportOptions& options);
// The same, as one string (for tests and small sessions).
std::string render_session(std::size_t number, std::size_t total, const CapturedSession& session,
                           const OpenedSession& opened, const ReportOptions& options);

// A session whose handshake did not decode: its number, endpoints and the reason.
std::string render_undecodable(std::size_t number, std::size_t total, const TcpConnection& connection,
                               const std::string& reason);

// The plaintext as render_session shows it, each line after `indent`; a long line is escaped a
// piece at a time (cut between UTF-8 sequences, so the output is the same).
void write_plaintext(const ReportSink& out, ByteView plaintext, std::string_view indent);
std::string render_plaintext(ByteView plaintext, std::string_view indent);

}  // namespace tlslab::decrypt
