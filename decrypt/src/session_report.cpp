#include "session_report.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "tlslab/cipher_suite.hpp"
#include "tlslab/text.hpp"

namespace tlslab::decrypt {
namespace {

std::string session_line(std::size_t number, std::size_t total, const std::string& client, const std::string& server) {
  return "session " + std::to_string(number) + " of " + std::to_string(total) + ": client " + printable(client) +
         " → server " + printable(server);
}

// The suite's name; an ECDHE value this version's registry does not name yet is still called ECDHE.
std::string suite_label(std::uint16_t suite) {
  if (!suite_info(suite) && is_ecdhe_suite(suite)) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%04X", suite);
    return std::string("ECDHE suite ") + hex + " (PROTOCOL.md §7.6)";
  }
  return suite_name(suite);
}

std::string record_label(const Revealed& revealed) {
  std::string label(to_string(revealed.from));
  if (revealed.record) label += ", record " + std::to_string(*revealed.record);
  return label;
}

}  // namespace

ReportSink file_sink(std::FILE* out) {
  return [out](std::string_view piece) { std::fwrite(piece.data(), 1, piece.size(), out); };
}

void write_plaintext(const ReportSink& out, ByteView plaintext, std::string_view indent) {
  // printable() escapes a UTF-8 sequence at a time: a piece that ends between sequences is
  // escaped as it would be inside the whole line.
  constexpr std::size_t piece_size = std::size_t{64} << 10;
  std::string_view text(reinterpret_cast<const char*>(plaintext.data()), plaintext.size());
  auto write_escaped = [&](std::string_view line) {
    while (!line.empty()) {
      std::size_t cut = std::min(line.size(), piece_size);
      if (cut < line.size()) {
        // Back to the start of the sequence the cut falls in (a sequence is 4 bytes at most).
        std::size_t lead = cut;
        while (lead > cut - 3 && (static_cast<std::uint8_t>(line[lead]) & 0xC0) == 0x80) --lead;
        if ((static_cast<std::uint8_t>(line[lead]) & 0xC0) != 0x80) cut = lead;
      }
      out(printable(line.substr(0, cut)));
      line.remove_prefix(cut);
    }
  };
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t newline = text.find('\n', start);
    std::size_t end = newline == std::string_view::npos ? text.size() : newline;
    std::size_t line_end = end;
    // CRLF and LF both end a line of output; a CR anywhere else is escaped like any control byte.
    if (newline != std::string_view::npos && line_end > start && text[line_end - 1] == '\r') --line_end;
    out(indent);
    write_escaped(text.substr(start, line_end - start));
    out("\n");
    start = newline == std::string_view::npos ? text.size() : newline + 1;
  }
}

std::string render_plaintext(ByteView plaintext, std::string_view indent) {
  std::string out;
  write_plaintext([&out](std::string_view piece) { out += piece; }, plaintext, indent);
  return out;
}

void write_session(const ReportSink& out, std::size_t number, std::size_t total, const CapturedSession& session,
                   const OpenedSession& opened, const ReportOptions& options) {
  std::string head = session_line(number, total, session.client, session.server);
  if (session.server_hello) head += ", " + suite_label(session.server_hello->cipher_suite);
  head += "\n";
  head += "  RAND-CLIENT         " + to_hex(session.client_hello.random) + "  (arrow 1, in the clear)\n";
  if (session.server_hello) {
    head += "  RAND-SERVER         " + to_hex(session.server_hello->random) + "  (arrow 2, in the clear)\n";
  }
  for (const auto& note : session.notes) head += "  note: " + printable(note) + "\n";
  if (opened.verdict == Verdict::opened) {
    head += opened.master_from.empty()
                ? std::string(
                      "  PRE-MASTER          decrypted from arrow 5 with the stolen key (RSA-OAEP, PROTOCOL.md §7.1)\n")
                : "  TICKET              " + opened.master_from + "\n";
    head += "  SESSION MASTER KEY  ";
    head += options.show_secrets && opened.master_secret ? to_hex(opened.master_secret->view())
                                                         : std::string("derived (--show-secrets prints it)");
    head += "\n";
  }
  out(head);

  std::size_t application_records = 0;
  for (const auto& revealed : opened.revealed) {
    switch (revealed.kind) {
      case Revealed::Kind::finished: out("  " + printable(revealed.text) + "\n"); break;
      case Revealed::Kind::application_data:
        ++application_records;
        out("  (8) " + record_label(revealed) + ", " + std::to_string(revealed.content.size()) + " bytes:\n");
        if (revealed.content.empty()) {
          out("        (empty)\n");
        } else {
          write_plaintext(out, revealed.content, "        ");
        }
        break;
      case Revealed::Kind::alert: out("  " + record_label(revealed) + ": " + printable(revealed.text) + "\n"); break;
      case Revealed::Kind::stop: out("  " + record_label(revealed) + ": " + printable(revealed.text) + "\n"); break;
    }
  }

  switch (opened.verdict) {
    case Verdict::opened:
      out("  opened: " + std::to_string(application_records) + " record" + (application_records == 1 ? "" : "s") +
          " of application data decrypted\n");
      break;
    case Verdict::nothing_encrypted: out("  nothing to open: " + printable(opened.reason) + "\n"); break;
    default: out("  cannot open: " + printable(opened.reason) + "\n"); break;
  }
}

std::string render_session(std::size_t number, std::size_t total, const CapturedSession& session,
                           const OpenedSession& opened, const ReportOptions& options) {
  std::string out;
  write_session([&out](std::string_view piece) { out += piece; }, number, total, session, opened, options);
  return out;
}

std::string render_undecodable(std::size_t number, std::size_t total, const TcpConnection& connection,
                               const std::string& reason) {
  return session_line(number, total, connection.client, connection.server) + "\n  cannot open: " + printable(reason) +
         "\n";
}

}  // namespace tlslab::decrypt
