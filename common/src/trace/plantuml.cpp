#include "tlslab/trace/plantuml.hpp"

#include <fstream>
#include <stdexcept>

#include "tlslab/text.hpp"

namespace tlslab {
namespace {

// The seed's colors by their PlantUML names, as the seed's note writes them.
std::string_view plantuml_color(TraceColor color) {
  switch (color) {
    case TraceColor::rand_client: return "orange";
    case TraceColor::rand_server: return "purple";
    case TraceColor::cipher_suites: return "Salmon";
    case TraceColor::certificate: return "cyan";
    case TraceColor::public_key: return "brown";
    case TraceColor::ca_key: return "DarkGreen";
    case TraceColor::pre_master: return "Crimson";
    case TraceColor::master_key: return "ForestGreen";
    case TraceColor::good: return "Green";
    case TraceColor::bad: return "Red";
    case TraceColor::plain: return "";
  }
  return "";
}

std::string colored(TraceColor color, const std::string& text) {
  std::string_view name = plantuml_color(color);
  if (name.empty()) return text;
  return "<color:" + std::string(name) + ">" + text + "</color>";
}

}  // namespace

std::string plantuml_text(const std::string& value, std::size_t limit) {
  // printable() turns control bytes (a newline would end the arrow's line) into \xNN; then what
  // PlantUML reads as markup or escapes: creole's < > ~ and the label's backslash.
  std::string safe = printable(value);
  std::string out;
  std::size_t shown = 0;
  for (char c : safe) {
    if (shown == limit) {
      out += "…";
      break;
    }
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\\': out += "\\\\"; break;
      case '~': out += "~~"; break;
      default: out += c;
    }
    // Count characters, not the bytes of a UTF-8 sequence.
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++shown;
  }
  return out;
}

PlantUmlRenderer::PlantUmlRenderer(std::string path, bool show_secrets)
    : path_(std::move(path)), show_secrets_(show_secrets) {
  std::ofstream probe(path_, std::ios::app);
  if (!probe) throw std::runtime_error("cannot write --plantuml file '" + path_ + "'");
}

void PlantUmlRenderer::on_event(const HandshakeEvent& event) {
  std::string label = event.arrow ? "(" + std::to_string(event.arrow) + ") " : "";
  label += "**" + plantuml_text(event.message, 60) + "**";
  for (const TraceField& field : event.fields) {
    if (field.secret && !show_secrets_) continue;
    label += "\\n- " + colored(field.color, plantuml_text(field.name, 30)) + " " + plantuml_text(field.value);
  }
  label += "\\n<size:9>+" + std::to_string(static_cast<long long>(event.elapsed_ms)) + " ms</size>";
  std::string line = event.from + " -> " + event.to + " : " + label;
  std::lock_guard lock(mutex_);
  lines_.push_back(std::move(line));
}

void PlantUmlRenderer::on_outcome(const OutcomeEvent& outcome) {
  std::string line;
  if (!outcome.alert.empty()) {
    line = outcome.alert_from + " -[#red]> " + outcome.alert_to + " : <color:red>**alert " +
           plantuml_text(outcome.alert) + "**</color>\\n" + plantuml_text(outcome.event, 80);
  } else {
    std::string party = outcome.connection ? "Server" : "Client";
    line = "note over " + party + " : " +
           colored(outcome.ok ? TraceColor::good : TraceColor::bad, plantuml_text(outcome.event, 80));
  }
  std::lock_guard lock(mutex_);
  lines_.push_back(std::move(line));
}

void PlantUmlRenderer::finish() {
  std::lock_guard lock(mutex_);
  if (written_) return;
  written_ = true;
  std::ofstream out(path_, std::ios::trunc);
  out << "@startuml\n"
      << "' This run of tlslab, in the seed's syntax and colors (docs/PROTOCOL.md for every field)\n"
      << "participant Client\nparticipant Server\nparticipant CA\n";
  for (const auto& line : lines_) out << line << "\n";
  out << "@enduml\n";
  if (!out.flush()) throw std::runtime_error("cannot write --plantuml file '" + path_ + "'");
}

}  // namespace tlslab
