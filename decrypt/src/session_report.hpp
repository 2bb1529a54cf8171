#pragma once
// What tlslab-decrypt prints for a session: plain text for a terminal or a file. Everything that
// came from the capture (plaintext, names, reasons quoting it) passes through printable(): a
// recording is as hostile as a peer.
#include <cstddef>
#include <string>

#include "captured_session.hpp"
#include "stolen_key.hpp"

namespace tlslab::decrypt {

struct ReportOptions {
  bool show_secrets = false;  // print PRE-MASTER's product, the SESSION MASTER KEY
};

// "session 1 of 2: 127.0.0.1:41234 → 127.0.0.1:4433, TLSLAB_…" then one block per thing
// revealed, then the verdict. Application data is shown as text, a line of output per line of
// the plaintext (a line ends with LF or CRLF); every other byte below 0x20, DEL and bytes that are
// not UTF-8 are escaped by printable().
std::string render_session(std::size_t number, std::size_t total, const CapturedSession& session,
                           const OpenedSession& opened, const ReportOptions& options);

// A session whose handshake did not decode: its number, endpoints and the reason.
std::string render_undecodable(std::size_t number, std::size_t total, const TcpConnection& connection,
                               const std::string& reason);

// The plaintext as render_session shows it, each line after `indent`.
std::string render_plaintext(ByteView plaintext, std::string_view indent);

}  // namespace tlslab::decrypt
