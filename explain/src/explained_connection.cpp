#include "explained_connection.hpp"

#include <algorithm>

#include "client_hello_words.hpp"
#include "tlslab/handshake_flow.hpp"
#include "tlslab/text.hpp"
#include "tlslab/tls/names.hpp"
#include "tlslab/tls/negotiated.hpp"
#include "tlslab/tls/record_view.hpp"

namespace tlslab::explain {
namespace {

using tls::TappedMessage;

const TappedMessage* last_from(const CapturedTls& captured, Party from, std::string_view name) {
  const TappedMessage* found = nullptr;
  for (const auto& message : captured.messages) {
    if (message.from == from && message.name == name) found = &message;
  }
  return found;
}

std::optional<tls::HandshakeView> client_hello_of(const CapturedTls& captured) {
  for (const auto& message : captured.messages) {
    if (message.name != "ClientHello" || message.bytes.empty()) continue;
    auto view = tls::view_handshake(message.bytes, tls::ViewContext{});
    if (view) return std::move(view.value());
    return std::nullopt;
  }
  return std::nullopt;
}

std::string party_name(Party party) {
  return std::string(to_string(party));
}

// The plaintext of an application record, field by field: HTTP/1.1's start line, header fields and
// body; HTTP/2's connection preface (RFC 9113 §3.4) and its binary frames; anything else in one leaf.
std::vector<FieldSpan> application_spans(ByteView text, bool from_client) {
  static constexpr std::string_view preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  std::string_view view(reinterpret_cast<const char*>(text.data()), text.size());
  if (text.empty()) return {};
  if (view.starts_with(preface)) {
    std::vector<FieldSpan> spans{{0, preface.size(), "HTTP/2 connection preface", {}}};
    if (text.size() > preface.size())
      spans.push_back({preface.size(), text.size() - preface.size(), "HTTP/2 frames", {}});
    return spans;
  }
  bool http1 = from_client ? view.find(" HTTP/1.") != std::string_view::npos && view.find(' ') < 16
                           : view.starts_with("HTTP/1.");
  std::size_t first_end = view.find("\r\n");
  if (!http1 || first_end == std::string_view::npos) return {{0, text.size(), "application data", {}}};
  std::vector<FieldSpan> spans{{0, first_end + 2, from_client ? "request line" : "status line", {}}};
  std::size_t at = first_end + 2;
  while (at < view.size()) {
    std::size_t end = view.find("\r\n", at);
    if (end == std::string_view::npos) break;
    if (end == at) {
      spans.push_back({at, 2, "end of the header fields", {}});
      at += 2;
      break;
    }
    spans.push_back({at, end + 2 - at, "header field", {}});
    at = end + 2;
  }
  if (at < view.size()) spans.push_back({at, view.size() - at, at == first_end + 2 ? "rest" : "body", {}});
  return spans;
}

// The words of an application record: its start line, or what it is.
std::string application_words(const ApplicationRecord& record) {
  if (!record.opened) return "application data (encrypted, " + std::to_string(record.size) + " bytes)";
  std::string_view text(reinterpret_cast<const char*>(record.plaintext.data()), record.plaintext.size());
  if (text.starts_with("PRI * HTTP/2.0")) return "HTTP/2 (connection preface, then binary frames)";
  std::size_t end = text.find("\r\n");
  if (end != std::string_view::npos && end <= 200 && (text.find(" HTTP/1.") < end || text.starts_with("HTTP/1."))) {
    return printable(text.substr(0, end));
  }
  if (!text.empty() && static_cast<std::uint8_t>(text[0]) <= 0x0f && text.size() >= 9) {
    return "HTTP/2 frames (binary, " + std::to_string(text.size()) + " bytes)";
  }
  return "application data (" + std::to_string(record.plaintext.size()) + " bytes)";
}

HandshakeEvent application_event(const ApplicationRecord& record) {
  HandshakeEvent event;
  event.arrow = 8;
  event.from = party_name(record.from);
  event.to = party_name(record.from == Party::client ? Party::server : Party::client);
  event.message = application_words(record);
  event.description = std::string(application_data_description) +
                      (record.opened ? " (opened with the key log)" : " (not opened: no key log for it)");
  event.time = record.time;
  event.elapsed_ms = record.elapsed_ms;
  WireFrame frame;
  frame.bytes = record.record;
  if (auto viewed = tls::view_record(record.record); viewed) frame.spans = viewed->spans;
  if (record.opened) {
    frame.plaintext = record.plaintext;
    frame.plaintext_spans = application_spans(record.plaintext, record.from == Party::client);
  }
  event.frame = std::move(frame);
  event.fields.push_back({"record", std::to_string(record.size) + " bytes on the wire", TraceColor::plain, false});
  return event;
}

HandshakeEvent* find_event(std::vector<HandshakeEvent>& events, int arrow, std::string_view from) {
  for (auto& event : events) {
    if (event.arrow == arrow && event.from == from) return &event;
  }
  return nullptr;
}

std::size_t encrypted_records(const CapturedTls& captured, Party from) {
  std::size_t count = 0;
  for (const auto& message : captured.messages) {
    count += message.from == from && message.type == tls::TappedType::application_data ? 1 : 0;
  }
  return count;
}

// What an observer of the wire sees of the server's flight, and what stays hidden.
void add_observer_words(std::vector<HandshakeEvent>& events, const CapturedTls& captured,
                        const tls::NegotiatedSession& session) {
  HandshakeEvent* server = find_event(events, 2, "Server");
  if (server == nullptr) return;
  std::string words;
  if (!session.tls13) {
    words =
        "the CERTIFICATE crosses in the clear (TLS 1.2): any observer sees which certificate, so which site, this "
        "is; only the Finished messages and the application data are encrypted";
  } else if (captured.handshake_opened) {
    words =
        "opened with the key log's SERVER_HANDSHAKE_TRAFFIC_SECRET: an observer without it sees the ServerHello, "
        "then only encrypted records; the certificate is hidden from the wire (TLS 1.3)";
  } else {
    words = "after the ServerHello, " + std::to_string(encrypted_records(captured, Party::server)) +
            " encrypted record(s): EncryptedExtensions, the Certificate, CertificateVerify and Finished are inside, "
            "hidden from an observer (TLS 1.3 encrypts the certificate); --keylog with this connection's key log "
            "lines opens them";
  }
  server->fields.push_back({"what an observer sees", std::move(words), TraceColor::plain, false});
}

void add_client_hello_words(std::vector<HandshakeEvent>& events, const CapturedTls& captured) {
  HandshakeEvent* client = find_event(events, 1, "Client");
  auto hello = client_hello_of(captured);
  if (client == nullptr || !hello) return;
  for (auto& field : client_hello_words(*hello)) client->fields.push_back(std::move(field));
}

}  // namespace

Summary summarize(const CapturedTls& captured) {
  Summary summary;
  tls::NegotiatedSession session = tls::negotiated_from(captured.messages);
  auto hello = client_hello_of(captured);
  summary.sni = hello && hello->server_name ? printable(*hello->server_name) : "-";
  bool server_hello = !session.server_random.empty();
  summary.protocol = server_hello ? session.protocol : "TLS (no ServerHello)";
  summary.suite = server_hello ? session.suite : "-";
  bool client_finished = last_from(captured, Party::client, "Finished") != nullptr;
  bool server_finished = last_from(captured, Party::server, "Finished") != nullptr;
  bool data = captured.application_records[0] + captured.application_records[1] > 0;
  if (captured.alert && captured.alert->level == 2) {
    summary.outcome = "alert " + captured.alert->name + " from " + party_name(captured.alert->from);
    return summary;
  }
  if (session.finished || (!session.tls13 && client_finished && server_finished)) {
    summary.complete = true;
    summary.outcome = "handshake complete";
  } else if (session.tls13 && client_finished && data) {
    summary.complete = true;
    summary.outcome = "handshake complete (the client's Finished crossed and application data followed)";
  } else if (captured.messages.empty()) {
    summary.outcome = "incomplete: no whole TLS message in the capture";
  } else {
    const TappedMessage& last = captured.messages.back();
    summary.outcome = "incomplete: the capture ends after " + party_name(last.from) + "'s " + last.name;
  }
  // The earlier session taken again: what a browser's second connection usually is (arrows 3–5 skipped).
  if (summary.complete && session.resumed) summary.outcome += ", session resumed";
  if (captured.alert) summary.outcome += " (then alert " + captured.alert->name + ")";
  return summary;
}

Explained explain_connection(CapturedTls captured, const KeyLog& keys, bool show_secrets) {
  Explained out;
  out.summary = summarize(captured);
  tls::NegotiatedSession session = tls::negotiated_from(captured.messages);
  std::vector<std::string> lines = keys.lines_of(session.client_random);
  tls::EventProgress progress;
  auto start = std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(captured.first_at));
  out.events = tls::events_of(captured.messages, session, tls::TapOptions{Party::client, show_secrets, true}, lines,
                              start, progress);
  for (auto& line : lines) std::fill(line.begin(), line.end(), '\0');
  add_client_hello_words(out.events, captured);
  add_observer_words(out.events, captured, session);
  for (const auto& record : captured.application) out.events.push_back(application_event(record));
  std::size_t shown[2] = {0, 0};
  for (const auto& record : captured.application) ++shown[record.from == Party::client ? 0 : 1];
  for (Party from : {Party::client, Party::server}) {
    std::size_t i = from == Party::client ? 0 : 1;
    if (captured.application_records[i] > shown[i]) {
      captured.notes.push_back(party_name(from) + " sent " + std::to_string(captured.application_records[i]) +
                               " application records (" + std::to_string(captured.application_bytes[i]) +
                               " bytes); the first " + std::to_string(shown[i]) + " are shown");
    }
  }

  OutcomeEvent& outcome = out.outcome;
  outcome.ok = out.summary.complete && !(captured.alert && captured.alert->level == 2);
  outcome.event = out.summary.complete ? "handshake complete" : out.summary.outcome;
  if (captured.alert) {
    outcome.alert = captured.alert->name;
    outcome.alert_from = party_name(captured.alert->from);
    outcome.alert_to = party_name(captured.alert->from == Party::client ? Party::server : Party::client);
    outcome.alert_frame = tls::alert_frame(*captured.alert);
    if (!out.summary.complete) outcome.event = "handshake failed: alert " + captured.alert->name;
  }
  for (const auto& note : captured.notes) outcome.detail += (outcome.detail.empty() ? "" : "; ") + note;
  if (!captured.messages.empty()) {
    outcome.time = captured.messages.back().time;
    outcome.elapsed_ms = std::chrono::duration<double, std::milli>(captured.messages.back().at - start).count();
  }
  return out;
}

}  // namespace tlslab::explain
