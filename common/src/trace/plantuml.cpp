#include "tlslab/trace/plantuml.hpp"

#include <cctype>
#include <cstdio>
#include <stdexcept>
#include <string_view>

#include "tlslab/private_file.hpp"
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
  // printable() turns control bytes (a newline would end the arrow's line) and bidi controls into
  // visible escapes. Then every ASCII character PlantUML may give meaning to is written as its
  // Unicode escape <U+00NN>, which it reads back as the character only after everything else: the
  // preprocessor's %functions and $variables (evaluated on the reader's machine: %getenv,
  // %load_json), [[links]], <tags> and <&icons>, {{ }}, the creole escape ~, the label's \n. Creole's
  // doubled markers (** // "" -- __ ==) are broken by escaping the first of a pair; a single one, as
  // in bad_record_mac or RAND-CLIENT, means nothing and stays as it is.
  std::string safe = printable(value);
  std::string out;
  std::size_t shown = 0;
  for (std::size_t i = 0; i < safe.size(); ++i) {
    char c = safe[i];
    if (shown == limit) {
      out += "…";
      break;
    }
    auto byte = static_cast<unsigned char>(c);
    bool doubled = i + 1 < safe.size() && safe[i + 1] == c;
    bool inert = byte >= 0x80 || std::isalnum(byte) ||
                 std::string_view(" .,:;()+?").find(c) != std::string_view::npos ||
                 (std::string_view("*/\"-_=").find(c) != std::string_view::npos && !doubled);
    if (inert) {
      out += c;
    } else {
      char escaped[10];
      std::snprintf(escaped, sizeof escaped, "<U+%04X>", byte);
      out += escaped;
    }
    // Count characters, not the bytes of a UTF-8 sequence.
    if ((byte & 0xc0) != 0x80) ++shown;
  }
  return out;
}

PlantUmlRenderer::PlantUmlRenderer(std::string path, bool show_secrets)
    : path_(std::move(path)), show_secrets_(show_secrets) {
  // A mistake in the path shows now, not after the run. Under --show-secrets the diagram holds the
  // secrets: a private file.
  require_output_or_absent(path_, "--plantuml file", kind());
}

void PlantUmlRenderer::on_event(const HandshakeEvent& event) {
  std::string label = event.arrow ? "(" + std::to_string(event.arrow) + ") " : "";
  label += "**" + plantuml_text(event.message, 60) + "**";
  for (const TraceField& field : event.fields) {
    if (field.secret && !show_secrets_) continue;
    label += "\\n- " + colored(field.color, plantuml_text(field.name, 30)) + " " + plantuml_text(field.value);
  }
  if (event.ahead_of_time) {
    label += "\\n<size:9>" + plantuml_text(ahead_of_time_words(*event.ahead_of_time), 120) + "</size>";
  } else {
    label += "\\n<size:9>+" + std::to_string(static_cast<long long>(event.elapsed_ms)) + " ms</size>";
  }
  std::string line = event.from + " -> " + event.to + " : " + label;
  std::lock_guard lock(mutex_);
  auto first = first_line_.find(event.connection);
  if (event.ahead_of_time && first != first_line_.end()) {
    // Where it happened: before the session's first arrow, after what came before it.
    std::size_t at = first->second++;
    lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(at), std::move(line));
    for (auto& [connection, index] : first_line_) {
      if (connection != event.connection && index >= at) ++index;
    }
    return;
  }
  first_line_.try_emplace(event.connection, lines_.size());
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
  std::string text =
      "@startuml\n' This run of tlslab, in the seed's syntax and colors (docs/PROTOCOL.md for every field)\n"
      "participant Client\nparticipant Server\nparticipant CA\n";
  for (const auto& line : lines_) text += line + "\n";
  text += "@enduml\n";
  write_output_file(path_, text, "--plantuml file", kind());
}

}  // namespace tlslab
