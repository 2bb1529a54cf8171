#include "tlslab/trace.hpp"

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <string_view>

#include "tlslab/private_file.hpp"

namespace tlslab {
namespace {

// 24-bit ANSI colors for the seed's names: the seed's hues at a middle lightness, so that each
// reads on a light and on a dark terminal (pure cyan or orange vanish on white, dark green on
// black); the two greens are pulled apart (blue-green and yellow-green) to tell them apart.
std::string_view ansi(TraceColor color) {
  switch (color) {
    case TraceColor::rand_client: return "\x1b[38;2;215;120;0m";    // orange
    case TraceColor::rand_server: return "\x1b[38;2;150;70;220m";   // purple
    case TraceColor::cipher_suites: return "\x1b[38;2;225;105;85m";  // salmon
    case TraceColor::certificate: return "\x1b[38;2;0;155;175m";    // cyan
    case TraceColor::public_key: return "\x1b[38;2;170;95;45m";     // brown
    case TraceColor::ca_key: return "\x1b[38;2;0;140;95m";          // dark green
    case TraceColor::pre_master: return "\x1b[38;2;220;20;60m";     // crimson
    case TraceColor::master_key: return "\x1b[38;2;75;160;35m";     // forest green
    case TraceColor::good: return "\x1b[1;32m";
    case TraceColor::bad: return "\x1b[1;31m";
    case TraceColor::plain: return "";
  }
  return "";
}

std::string_view color_name(TraceColor color) {
  switch (color) {
    case TraceColor::rand_client: return "orange";
    case TraceColor::rand_server: return "purple";
    case TraceColor::cipher_suites: return "salmon";
    case TraceColor::certificate: return "cyan";
    case TraceColor::public_key: return "brown";
    case TraceColor::ca_key: return "darkgreen";
    case TraceColor::pre_master: return "crimson";
    case TraceColor::master_key: return "forestgreen";
    case TraceColor::good: return "green";
    case TraceColor::bad: return "red";
    case TraceColor::plain: return "";
  }
  return "";
}

std::string iso_now() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[48];
  std::size_t used = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + used, sizeof text - used, ".%06lldZ", static_cast<long long>(micros));
  return text;
}

constexpr std::string_view hidden = "(secret: add --show-secrets to see it)";
constexpr std::size_t name_width = 22;  // the column where field values start

}  // namespace

std::string hex_field(ByteView bytes, std::size_t show) {
  if (show == 0 || bytes.size() <= show) return to_hex(bytes);
  return to_hex(bytes.first(show)) + "… (" + std::to_string(bytes.size()) + " bytes)";
}

TraceField secret_field(const Trace& trace, std::string name, ByteView secret, TraceColor color) {
  return {std::move(name), trace.shows_secrets() ? to_hex(secret) : std::string(), color, true};
}

bool wants_color(std::FILE* file) { return ::isatty(::fileno(file)) == 1 && std::getenv("NO_COLOR") == nullptr; }

Trace::Trace(TraceOptions options) : options_(std::move(options)) {
  if (options_.json_path) {
    // Under --show-secrets the JSON holds secrets: a private file (private_file.hpp).
    json_ = options_.show_secrets ? open_private_output(*options_.json_path, "--trace-json file")
                                  : std::fopen(options_.json_path->c_str(), "w");
    if (json_ == nullptr) throw std::runtime_error("cannot write --trace-json file '" + *options_.json_path + "'");
    json_out_.emplace(json_);
  }
  if (options_.text) text_out_.emplace(options_.out);
}

Trace::~Trace() {
  text_out_.reset();  // writes what is queued
  json_out_.reset();
  if (json_ != nullptr) std::fclose(json_);
}

void Trace::flush() {
  if (text_out_) text_out_->flush();
  if (json_out_) json_out_->flush();
}

std::string Trace::paint(TraceColor color, const std::string& text) const {
  if (!options_.color || color == TraceColor::plain) return text;
  return std::string(ansi(color)) + text + "\x1b[0m";
}

void Trace::step(std::uint64_t connection, const TraceStep& step) {
  double elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  if (text_out_) {
    std::string prefix = connection ? "[conn " + std::to_string(connection) + "] " : "";
    std::string head = step.arrow ? "(" + std::to_string(step.arrow) + ") " + step.from + " → " + step.to + ": "
                                  : "    " + step.from + ": ";
    std::string message = printable(step.message);
    std::string text = prefix + head + (options_.color ? "\x1b[1m" + message + "\x1b[0m" : message) + "\n";
    if (!step.description.empty()) text += prefix + "      " + printable(step.description) + "\n";
    for (const auto& field : step.fields) {
      std::string value = field.secret && !options_.show_secrets ? std::string(hidden) : printable(field.value);
      // Pad first, then color: escape codes have no width on the screen.
      std::string name = field.name;
      if (name.size() < name_width) name.append(name_width - name.size(), ' ');
      text += prefix + "      " + paint(field.color, name) + " " + paint(field.color, value) + "\n";
    }
    text_out_->write(std::move(text));
  }
  if (json_out_) {
    std::string line = "{\"side\":" + json_string(options_.side) + ",\"connection\":" + std::to_string(connection) +
                       ",\"arrow\":" + std::to_string(step.arrow) + ",\"from\":" + json_string(step.from) +
                       ",\"to\":" + json_string(step.to) + ",\"message\":" + json_string(step.message) +
                       ",\"description\":" + json_string(step.description) + ",\"time\":" + json_string(iso_now()) +
                       ",\"elapsed_ms\":" + std::to_string(elapsed_ms) + ",\"fields\":{";
    bool first = true;
    for (const auto& field : step.fields) {
      if (field.secret && !options_.show_secrets) continue;
      line += (first ? "" : ",") + json_string(field.name) + ":" + json_string(field.value);
      first = false;
    }
    line += "},\"colors\":{";
    first = true;
    for (const auto& field : step.fields) {
      if (field.color == TraceColor::plain || (field.secret && !options_.show_secrets)) continue;
      line += (first ? "" : ",") + json_string(field.name) + ":" + json_string(std::string(color_name(field.color)));
      first = false;
    }
    json_out_->write(line + "}}\n");
  }
}

void Trace::outcome(std::uint64_t connection, bool ok, const std::string& event, const std::string& detail) {
  if (text_out_) {
    std::string prefix = connection ? "[conn " + std::to_string(connection) + "] " : "";
    std::string line = printable(event + (detail.empty() ? "" : ": " + detail));
    text_out_->write(prefix + paint(ok ? TraceColor::good : TraceColor::bad, line) + "\n");
  }
  if (json_out_) {
    json_out_->write("{\"side\":" + json_string(options_.side) + ",\"connection\":" + std::to_string(connection) +
                     ",\"outcome\":" + json_string(ok ? "ok" : "failed") + ",\"event\":" + json_string(event) +
                     ",\"detail\":" + json_string(detail) + ",\"time\":" + json_string(iso_now()) + "}\n");
  }
}

}  // namespace tlslab
