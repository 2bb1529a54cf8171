#include "tlslab/trace/plantuml.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>
#include <span>
#include <stdexcept>
#include <string_view>

#include "tlslab/handshake_flow.hpp"
#include "tlslab/private_file.hpp"
#include "tlslab/text.hpp"
#include "tlslab/trace/terminal.hpp"

namespace tlslab {
namespace {

// The seed's colors by their PlantUML names, as the seed's note writes them; but CERTIFICATE's cyan
// cannot be read on a white page, so the diagram paints it the darker DarkCyan (said in its legend).
std::string_view plantuml_color(TraceColor color) {
  switch (color) {
    case TraceColor::rand_client: return "orange";
    case TraceColor::rand_server: return "purple";
    case TraceColor::cipher_suites: return "Salmon";
    case TraceColor::certificate: return "DarkCyan";
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

// The words the seed's sentences paint, each in its color ("cipher suites" before "cipher suite").
struct SeedWord {
  std::string_view word;
  TraceColor color;
};
constexpr SeedWord seed_words[] = {
    {"RAND-CLIENT", TraceColor::rand_client},     {"RAND-SERVER", TraceColor::rand_server},
    {"cipher suites", TraceColor::cipher_suites}, {"cipher suite", TraceColor::cipher_suites},
    {"CERTIFICATE", TraceColor::certificate},     {"SERVER'S PUBLIC KEY", TraceColor::public_key},
    {"CA'S PRIVATE KEY", TraceColor::ca_key},     {"CA'S PUBLIC KEY", TraceColor::ca_key},
    {"PRE-MASTER", TraceColor::pre_master},       {"SESSION MASTER KEY", TraceColor::master_key},
};

constexpr std::size_t sentence_width = 64;  // a sentence's line, before it is broken at a space
constexpr std::size_t sentence_lines = 6;   // a longer sentence ends with "…"

// A sentence as the seed writes one: on lines of about sentence_width characters, broken at spaces
// but never inside one of the seed's words.
std::vector<std::string> sentence_lines_of(const std::string& sentence) {
  std::vector<bool> joined(sentence.size(), false);  // a space inside a seed word
  for (const SeedWord& seed : seed_words) {
    for (auto at = sentence.find(seed.word); at != std::string::npos; at = sentence.find(seed.word, at + 1)) {
      for (std::size_t i = at; i < at + seed.word.size(); ++i) joined[i] = sentence[i] == ' ';
    }
  }
  auto breakable = [&](std::size_t i) { return sentence[i] == ' ' && !joined[i]; };
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < sentence.size()) {
    if (lines.size() == sentence_lines) {
      lines.back() += "…";
      break;
    }
    if (sentence.size() - start <= sentence_width) {
      lines.push_back(sentence.substr(start));
      break;
    }
    std::size_t cut = std::string::npos;
    for (std::size_t i = start + sentence_width; i > start && cut == std::string::npos; --i) {
      if (breakable(i)) cut = i;
    }
    for (std::size_t i = start + sentence_width; i < sentence.size() && cut == std::string::npos; ++i) {
      if (breakable(i)) cut = i;
    }
    if (cut == std::string::npos) cut = sentence.size();
    lines.push_back(sentence.substr(start, cut - start));
    start = cut + 1;
  }
  return lines;
}

// An escaped line with the seed's words in their colors. The words are matched in their escaped
// form (SERVER<U+0027>S PUBLIC KEY), so the markup added is ours and the text around it stays inert.
std::string painted(const std::string& escaped) {
  static const auto escaped_words = [] {
    std::vector<std::pair<std::string, TraceColor>> words;
    for (const SeedWord& seed : seed_words) words.emplace_back(plantuml_text(std::string(seed.word), 60), seed.color);
    return words;
  }();
  std::string out;
  for (std::size_t at = 0; at < escaped.size();) {
    auto word = std::find_if(escaped_words.begin(), escaped_words.end(), [&](const auto& candidate) {
      return escaped.compare(at, candidate.first.size(), candidate.first) == 0;
    });
    if (word == escaped_words.end()) {
      out += escaped[at++];
    } else {
      out += colored(word->second, word->first);
      at += word->first.size();
    }
  }
  return out;
}

// A "\\n" before each line of the sentence, escaped, the seed's words painted.
std::string sentence_label(const std::string& sentence) {
  std::string label;
  for (const std::string& line : sentence_lines_of(sentence))
    label += "\\n" + painted(plantuml_text(line, 2 * sentence_width));
  return label;
}

// A field's value: hex is shortened by meaning (its first bytes, then …; the page and the JSON
// Lines hold it whole); any other value is wrapped at its spaces, never cut inside a name or a
// date ("www.example.org is not in DNS:localhost, IP:127.0.0.1" stays whole).
std::string value_label(const std::string& value) {
  constexpr std::size_t hex_run = 24;
  bool hex = value.size() >= hex_run && std::all_of(value.begin(), value.begin() + hex_run, [](char c) {
               return std::isxdigit(static_cast<unsigned char>(c));
             });
  if (hex) return plantuml_text(value);
  std::string label;
  for (const std::string& line : sentence_lines_of(value))
    label += (label.empty() ? "" : "\\n    ") + plantuml_text(line, 2 * sentence_width);
  return label;
}

std::string fields_label(const std::vector<TraceField>& fields, bool show_secrets) {
  std::string label;
  for (const TraceField& field : fields) {
    if (field.secret && !show_secrets) continue;
    label += "\\n- " + colored(field.color, plantuml_text(field.name, 30)) + " " + value_label(field.value);
  }
  return label;
}

// "+0.42 ms": a local run's arrows are often less than a millisecond apart.
std::string elapsed_words(double elapsed_ms) {
  char text[40];
  std::snprintf(text, sizeof text, "+%.2f ms", elapsed_ms);
  return text;
}

// The arrow of `from`'s `message` in the seed's flow (0 when it has none): the numbers every variant keeps.
int seed_arrow(Party from, HandshakeType message) {
  for (const FlowStep& step : seed_flow().steps) {
    if (step.from == from && step.message == message) return step.arrow;
  }
  return 0;
}

bool sent_by(const HandshakeEvent& event, Party from, HandshakeType message) {
  return event.arrow != 0 && event.arrow == seed_arrow(from, message) && event.from == to_string(from);
}

bool local_step(const HandshakeEvent& event) {
  return event.arrow == 0 && event.from == event.to;
}

// A local check that failed: a step on its party with a value painted `bad`.
bool failed_check(const HandshakeEvent& event) {
  return local_step(event) && std::any_of(event.fields.begin(), event.fields.end(),
                                          [](const TraceField& field) { return field.color == TraceColor::bad; });
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
  const bool failed = failed_check(event);
  std::string label = event.arrow ? "(" + std::to_string(event.arrow) + ") " : "";
  label += "**" + plantuml_text(event.message, 60) + "**";
  if (failed) label = "<color:red>" + label + "</color>";
  // A flight (real TLS): its messages, one per line, under the arrow's name; a message name came
  // from the trace of a peer's bytes, so it is escaped like any value.
  const bool named_by_message = event.flight.size() == 1 && event.flight.front().name == event.message;
  for (const FlightMessage& part : named_by_message ? std::span<const FlightMessage>() : event.flight) {
    label += "\\n· " + plantuml_text(part.name, 60) + (part.encrypted ? " [encrypted]" : "");
  }
  label += sentence_label(event.description) + fields_label(event.fields.empty() && !event.facts.empty()
                                                                ? fields_of_facts(event.facts, show_secrets_)
                                                                : event.fields,
                                                            show_secrets_);
  if (event.ahead_of_time) {
    label += "\\n<size:9>" + plantuml_text(ahead_of_time_words(*event.ahead_of_time), 120) + "</size>";
  } else {
    label += "\\n<size:9>" + elapsed_words(event.elapsed_ms) + "</size>";
  }
  std::string line = event.from + (failed ? " -[#red]> " : " -> ") + event.to + " : " + label;
  std::lock_guard lock(mutex_);
  Session& session = sessions_[event.connection];
  if (event.ahead_of_time && session.first_line) {
    // Where it happened: before the session's first arrow, after what came before it.
    insert_line(*session.first_line, std::move(line));  // which moves the first line down
    return;
  }
  if (!session.first_line) session.first_line = lines_.size();
  if (local_step(event) && event.from == to_string(Party::client)) {
    // The client's SESSION MASTER KEY and write keys: the server derives the same ones.
    for (const TraceField& field : event.fields) {
      if (field.color == TraceColor::master_key && field.secret) session.master_key_fields.push_back(field);
    }
  }
  if (sent_by(event, Party::client, HandshakeType::finished)) session.test_message_line = lines_.size();
  // TLS 1.3's arrow 7 is the server's tickets, after its Finished went in arrow 2: no ACK to draw a key by.
  if (sent_by(event, Party::server, HandshakeType::finished) && event.facts.protocol != "TLS 1.3") {
    // The ACK decrypted and verified under the SESSION MASTER KEY: the server made the same key from
    // the same RAND-CLIENT, PRE-MASTER and RAND-SERVER. Drawn where the seed draws it, before the
    // test message the server decrypted with it.
    std::string step(to_string(Party::server));
    std::string server_key = step + " -> " + step + " : **SESSION MASTER KEY**" +
                             sentence_label(
                                 "creates SESSION MASTER KEY using RAND-CLIENT, PRE-MASTER and RAND-SERVER: "
                                 "the same key as the client's, known because the ACK (" +
                                 std::to_string(event.arrow) + ") decrypted and verified under it") +
                             fields_label(session.master_key_fields, show_secrets_);
    insert_line(session.test_message_line.value_or(lines_.size()), std::move(server_key));
  }
  lines_.push_back(std::move(line));
  if (sent_by(event, Party::client, HandshakeType::client_key_exchange) &&
      std::any_of(event.fields.begin(), event.fields.end(),
                  [](const TraceField& field) { return field.color == TraceColor::certificate; })) {
    // The client sent a CERTIFICATE of its own (mutual authentication, §9.2): the server asks the CA
    // about it after this arrow, on a connection the client never sees (finish() says so).
    session.client_certificate_line = lines_.size();
  }
  const std::set<std::string> server_and_ca{std::string(to_string(Party::server)), std::string(to_string(Party::ca))};
  if (!event.ahead_of_time && event.from != event.to && server_and_ca.contains(event.from) &&
      server_and_ca.contains(event.to)) {
    session.server_asked_ca = true;  // a merged run (tlslab-report) draws the server's own arrows 3–4
  }
}

void PlantUmlRenderer::insert_line(std::size_t at, std::string line) {
  lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(at), std::move(line));
  for (auto& [connection, session] : sessions_) {
    for (std::optional<std::size_t>* index :
         {&session.first_line, &session.test_message_line, &session.client_certificate_line}) {
      if (*index && **index >= at) ++**index;
    }
  }
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
  for (auto& [connection, session] : sessions_) {
    if (!session.client_certificate_line || session.server_asked_ca) continue;
    insert_line(*session.client_certificate_line,
                "note over Server, CA : " +
                    sentence_label("out of the client's sight, the server checks the client's CERTIFICATE with the "
                                   "CA (its own arrows 3–4): tlslab-report client.jsonl server.jsonl ca.jsonl "
                                   "draws them")
                        .substr(2));
  }
  std::string text =
      "@startuml\n' This run of tlslab, in the seed's syntax and colors (docs/PROTOCOL.md for every field)\n"
      "' CERTIFICATE is DarkCyan here, not the seed's cyan: cyan text cannot be read on white\n"
      "participant Client\nparticipant Server\nparticipant CA\n";
  for (const auto& line : lines_) text += line + "\n";
  text += "legend right\nThe seed's colors:";
  for (const SeedWord& seed : seed_words) {
    if (seed.word == "cipher suite") continue;
    text += "\n" + colored(seed.color, plantuml_text(std::string(seed.word), 60));
    if (seed.color == TraceColor::certificate) text += " in DarkCyan: the seed<U+0027>s cyan cannot be read on white";
  }
  text += "\nendlegend\n@enduml\n";
  write_output_file(path_, text, "--plantuml file", kind());
}

}  // namespace tlslab
