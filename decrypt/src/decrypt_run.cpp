#include "decrypt_run.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <vector>

#include "captured_session.hpp"
#include "stolen_key.hpp"
#include "stolen_ticket_key.hpp"
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

// "the key K", "the ticket key file T", or both.
std::string keys_used(const RunSettings& settings) {
  std::string words;
  if (!settings.key_path.empty()) words = "the key " + printable(settings.key_path);
  if (!settings.ticket_key_path.empty()) {
    words += (words.empty() ? "" : " and ") + std::string("the ticket key file ") + printable(settings.ticket_key_path);
  }
  return words;
}

// §7.8: the tickets offered in the clear (a ClientHello's session_ticket), opened with the stolen
// ticket key: the master secret of each, by the session that offered it.
struct OpenedTicket {
  std::size_t offered_in;  // the session whose ClientHello carried it
  crypto::TicketOpening opening;
};

// The tickets tried on one full handshake at most: each try is a key derivation and one AEAD open.
constexpr std::size_t max_ticket_tries = 256;

// A full handshake that announced a ticket (new_ticket): the ticket later offered whose master
// secret opens its client's Finished. That ticket's state came from this very session.
std::optional<OpenedSession> open_with_tickets(const CapturedSession& session, const std::vector<OpenedTicket>& tickets,
                                               std::size_t& ticket_sessions_ecdhe) {
  std::size_t tries = 0;
  for (const auto& ticket : tickets) {
    const auto& state = ticket.opening.state;
    if (!state || state->cipher_suite != session.server_hello->cipher_suite) continue;
    if (++tries > max_ticket_tries) break;
    OpenedSession opened = open_with_master_secret(session, Secret(state->master_secret.view()), false);
    if (opened.verdict == Verdict::opened) {
      if (is_ecdhe_suite(opened.cipher_suite)) ++ticket_sessions_ecdhe;
      return opened;
    }
  }
  return std::nullopt;
}

}  // namespace

ExitCode run(const RunSettings& settings, std::FILE* out, std::FILE* err) {
  try {
    // Everything that can fail locally is checked before the first line of the report.
    std::optional<StolenKey> stolen_key;
    if (!settings.key_path.empty()) stolen_key.emplace(crypto::load_private_key_pem(settings.key_path));
    std::optional<StolenTicketKey> ticket_key;
    if (!settings.ticket_key_path.empty()) ticket_key.emplace(settings.ticket_key_path);
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
    std::fprintf(out, "tlslab-decrypt: %s: %s in %llu packets, opened with %s\n", capture_name.c_str(),
                 plural(total, "tlslab session").c_str(), static_cast<unsigned long long>(capture.packets),
                 keys_used(settings).c_str());
    if (capture.skipped_packets > 0) {
      std::fprintf(out, "tlslab-decrypt: %s could not be followed by libtins and were skipped\n",
                   plural(static_cast<std::size_t>(capture.skipped_packets), "packet").c_str());
    }

    print_not_kept(capture.stats, settings.limits, out);

    std::size_t opened_count = 0, nothing_encrypted = 0, not_opened = 0, keylog_lines = 0;
    std::size_t by_ticket_resumed = 0, by_ticket_full = 0, by_ticket_ecdhe = 0;
    std::map<std::string, std::size_t> why_not;
    ReportSink sink = file_sink(out);
    std::vector<Result<CapturedSession>> sessions;
    sessions.reserve(total);
    for (const auto& connection : capture.connections) sessions.push_back(read_session(connection));
    // Every ticket in the clear, opened first: a ticket offered in session n opens session n and
    // the earlier full handshake it was issued on.
    std::vector<OpenedTicket> tickets;
    if (ticket_key) {
      for (std::size_t i = 0; i < total; ++i) {
        if (!sessions[i]) continue;
        auto offered = sessions[i]->client_hello.session_ticket();
        if (offered && !offered->empty()) tickets.push_back({i, ticket_key->open(*offered)});
      }
    }
    for (std::size_t i = 0; i < total; ++i) {
      const TcpConnection& connection = capture.connections[i];
      std::fputs("\n", out);
      auto& session = sessions[i];
      if (!session) {
        std::fputs(render_undecodable(i + 1, total, connection, session.failure().reason).c_str(), out);
        ++not_opened;
        ++why_not[std::string(to_string(Verdict::undecodable))];
        continue;
      }
      std::optional<OpenedSession> by_ticket;
      const auto& hello = session->server_hello;
      if (ticket_key && hello && hello->resumed()) {
        auto ticket =
            std::find_if(tickets.begin(), tickets.end(), [&](const OpenedTicket& t) { return t.offered_in == i; });
        if (ticket != tickets.end() && ticket->opening.state) {
          by_ticket =
              open_with_master_secret(session.value(), Secret(ticket->opening.state->master_secret.view()), true);
          if (by_ticket->verdict == Verdict::opened) ++by_ticket_resumed;
          if (by_ticket->verdict == Verdict::opened && is_ecdhe_suite(by_ticket->cipher_suite)) ++by_ticket_ecdhe;
        } else {
          by_ticket = OpenedSession{};
          by_ticket->verdict = Verdict::resumed;
          by_ticket->cipher_suite = hello->cipher_suite;
          by_ticket->reason = "a resumed session (§7.8), but its ticket does not open with this ticket key file (" +
                              (ticket == tickets.end() ? std::string("no ticket") : ticket->opening.why_not) + ")";
        }
      } else if (ticket_key && hello && hello->ticket_mode() == TicketMode::new_ticket) {
        by_ticket = open_with_tickets(session.value(), tickets, by_ticket_ecdhe);
        if (by_ticket) ++by_ticket_full;
      }
      OpenedSession opened;
      if (by_ticket) {
        opened = std::move(*by_ticket);
      } else if (stolen_key) {
        opened = stolen_key->open(session.value());
      } else {
        opened.cipher_suite = hello ? hello->cipher_suite : 0;
        if (!hello || (!hello->resumed() && !session->client_key_exchange_message)) {
          opened.verdict = Verdict::nothing_encrypted;
          opened.reason = "the handshake stopped before the key exchange: nothing was encrypted";
        } else if (hello->resumed()) {
          opened.verdict = Verdict::resumed;
          opened.reason = "a resumed session (§7.8) whose ticket was not in the capture";
        } else {
          opened.verdict = Verdict::no_ticket;
          opened.reason =
              "no ticket in the capture holds this session's master secret (the server gave it none, or "
              "the client never offered it again); the server's key (--key) opens it unless it used ECDHE";
        }
      }
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
    if (ticket_key) {
      std::size_t by_ticket = by_ticket_resumed + by_ticket_full;
      if (by_ticket > 0) {
        std::fprintf(out,
                     "tlslab-decrypt: the ticket key opened %s (%zu resumed, %zu full %s, %zu of them ECDHE) from %s "
                     "in the clear: whoever holds the ticket key opens every session resumed under it, and the full "
                     "handshake that began it, forward secrecy or not\n",
                     plural(by_ticket, "session").c_str(), by_ticket_resumed, by_ticket_full,
                     by_ticket_full == 1 ? "handshake" : "handshakes", by_ticket_ecdhe,
                     plural(tickets.size(), "ticket").c_str());
      } else if (!tickets.empty()) {
        std::fprintf(out,
                     "tlslab-decrypt: the ticket key file opened none of the %s in the capture: it is not the key "
                     "that sealed them\n",
                     plural(tickets.size(), "ticket").c_str());
      } else {
        std::fprintf(out,
                     "tlslab-decrypt: no ClientHello in the capture offers a ticket: the ticket key has nothing "
                     "to open\n");
      }
    }
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
