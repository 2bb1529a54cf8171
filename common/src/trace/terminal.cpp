#include "tlslab/trace/terminal.hpp"

#include <algorithm>
#include <string_view>

#include "tlslab/text.hpp"

namespace tlslab {
namespace {

// 24-bit ANSI colors for the seed's names: the seed's hues at a middle lightness, so that each
// reads on a light and on a dark terminal (pure cyan or orange vanish on white, dark green on
// black); the two greens are pulled apart (blue-green and yellow-green) to tell them apart.
std::string_view ansi(TraceColor color) {
  switch (color) {
    case TraceColor::rand_client: return "\x1b[38;2;215;120;0m";     // orange
    case TraceColor::rand_server: return "\x1b[38;2;150;70;220m";    // purple
    case TraceColor::cipher_suites: return "\x1b[38;2;225;105;85m";  // salmon
    case TraceColor::certificate: return "\x1b[38;2;0;155;175m";     // cyan
    case TraceColor::public_key: return "\x1b[38;2;170;95;45m";      // brown
    case TraceColor::ca_key: return "\x1b[38;2;0;140;95m";           // dark green
    case TraceColor::pre_master: return "\x1b[38;2;220;20;60m";      // crimson
    case TraceColor::master_key: return "\x1b[38;2;75;160;35m";      // forest green
    case TraceColor::good: return "\x1b[1;32m";
    case TraceColor::bad: return "\x1b[1;31m";
    case TraceColor::plain: return "";
  }
  return "";
}

constexpr std::string_view hidden = "(secret: add --show-secrets to see it)";
constexpr std::size_t name_width = 22;  // the column where field values start

}  // namespace

std::vector<TraceField> fields_of_facts(const EventFacts& facts, bool show_secrets) {
  std::vector<TraceField> fields;
  auto add = [&](std::string name, std::string value, TraceColor color, bool secret = false) {
    if (!value.empty() || secret) fields.push_back({std::move(name), std::move(value), color, secret});
  };
  // Not the protocol: every event of a run says the same, and the outcome line names it.
  if (!facts.client_random.empty()) add("RAND-CLIENT", to_hex(facts.client_random), TraceColor::rand_client);
  if (!facts.server_random.empty()) add("RAND-SERVER", to_hex(facts.server_random), TraceColor::rand_server);
  add("cipher suite", facts.suite, TraceColor::cipher_suites);
  add("group", facts.group, TraceColor::plain);
  if (!facts.certificate.empty()) {
    add("CERTIFICATE", std::to_string(facts.certificate.size()) + " bytes of DER", TraceColor::certificate);
  }
  if (!facts.status.empty()) {
    add("CA's answer", std::to_string(facts.status.size()) + " bytes of DER", TraceColor::ca_key);
  }
  add("status", facts.status_verdict, facts.status_verdict == "good" ? TraceColor::good : TraceColor::bad);
  for (const auto& [name, hash] : facts.transcript_hashes) add(name, to_hex(hash), TraceColor::plain);
  for (const CheckFact& check : facts.checks) {
    std::string value = check.ok ? "ok" : "FAILED";
    if (!check.expected.empty() || !check.actual.empty()) {
      value += ": expected " + check.expected + ", got " + check.actual;
    }
    add(check.check, std::move(value), check.ok ? TraceColor::good : TraceColor::bad);
  }
  for (const SecretFact& secret : facts.secrets) {
    TraceColor color =
        secret.name.find("PRE-MASTER") != std::string::npos ? TraceColor::pre_master : TraceColor::master_key;
    // Not even formatted unless shown (trace.hpp, secret_field).
    if (!secret.secret) {  // a verify_data; a transcript hash is shown above already
      bool shown = std::any_of(facts.transcript_hashes.begin(), facts.transcript_hashes.end(),
                               [&](const auto& hash) { return hash.first == secret.name; });
      if (!shown) add(secret.name, to_hex(secret.value), TraceColor::plain);
      continue;
    }
    add(secret.name, show_secrets ? to_hex(secret.value) : std::string(), color, true);
  }
  return fields;
}

TerminalRenderer::TerminalRenderer(std::FILE* out, bool color, bool show_secrets)
    : out_(out), color_(color), show_secrets_(show_secrets) {}

std::string TerminalRenderer::paint(TraceColor color, const std::string& text) const {
  if (!color_ || color == TraceColor::plain) return text;
  return std::string(ansi(color)) + text + "\x1b[0m";
}

void TerminalRenderer::on_event(const HandshakeEvent& event) {
  std::string prefix = event.connection ? "[conn " + std::to_string(event.connection) + "] " : "";
  std::string head = event.arrow ? "(" + std::to_string(event.arrow) + ") " + event.from + " → " + event.to + ": "
                                 : "    " + event.from + ": ";
  std::string message = printable(event.message);
  std::string text = prefix + head + (color_ ? "\x1b[1m" + message + "\x1b[0m" : message) + "\n";
  // A flight (real TLS): one line per message under its arrow.
  for (const FlightMessage& part : event.flight) {
    std::string name = printable(part.name);
    if (name.size() < name_width) name.append(name_width - name.size(), ' ');
    text += prefix + "      · " + name + " " + std::to_string(part.frame.bytes.size()) + " bytes" +
            (part.encrypted ? " (encrypted on the wire)" : "") + "\n";
  }
  if (!event.description.empty()) text += prefix + "      " + printable(event.description) + "\n";
  // An event that says what it knows only as facts shows them as its fields.
  const std::vector<TraceField> from_facts = event.fields.empty() && !event.facts.empty()
                                                 ? fields_of_facts(event.facts, show_secrets_)
                                                 : std::vector<TraceField>{};
  for (const auto& field : event.fields.empty() ? from_facts : event.fields) {
    std::string value = field.secret && !show_secrets_ ? std::string(hidden) : printable(field.value);
    // Pad first, then color: escape codes have no width on the screen.
    std::string name = field.name;
    if (name.size() < name_width) name.append(name_width - name.size(), ' ');
    text += prefix + "      " + paint(field.color, name) + " " + paint(field.color, value) + "\n";
  }
  out_.write(std::move(text));
}

void TerminalRenderer::on_outcome(const OutcomeEvent& outcome) {
  std::string prefix = outcome.connection ? "[conn " + std::to_string(outcome.connection) + "] " : "";
  // An outcome with an alert is drawn as the alert's arrow, like the others (the page and Wireshark
  // draw it too), on one line that names the alert once.
  std::string arrow = outcome.alert.empty() ? "" : "(alert) " + outcome.alert_from + " → " + outcome.alert_to + ": ";
  std::string line = printable(arrow + outcome.event + (outcome.detail.empty() ? "" : ": " + outcome.detail));
  out_.write(prefix + paint(outcome.ok ? TraceColor::good : TraceColor::bad, line) + "\n");
}

}  // namespace tlslab
