#include "tlslab/trace.hpp"

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <string_view>

namespace tlslab {
namespace {

// 24-bit ANSI colors for the seed's names.
std::string_view ansi(TraceColor color) {
  switch (color) {
    case TraceColor::rand_client: return "\x1b[38;2;255;165;0m";    // orange
    case TraceColor::rand_server: return "\x1b[38;2;160;32;240m";   // purple
    case TraceColor::cipher_suites: return "\x1b[38;2;250;128;114m";  // salmon
    case TraceColor::certificate: return "\x1b[38;2;0;255;255m";     // cyan
    case TraceColor::public_key: return "\x1b[38;2;165;42;42m";      // brown
    case TraceColor::ca_key: return "\x1b[38;2;0;100;0m";            // dark green
    case TraceColor::pre_master: return "\x1b[38;2;220;20;60m";      // crimson
    case TraceColor::master_key: return "\x1b[38;2;34;139;34m";      // forest green
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

}  // namespace

std::string hex_field(ByteView bytes, std::size_t show) {
  if (show == 0 || bytes.size() <= show) return to_hex(bytes);
  return to_hex(bytes.first(show)) + "… (" + std::to_string(bytes.size()) + " bytes)";
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

bool wants_color(std::FILE* file) { return ::isatty(::fileno(file)) == 1 && std::getenv("NO_COLOR") == nullptr; }

Trace::Trace(TraceOptions options) : options_(std::move(options)) {
  if (options_.json_path) {
    json_ = std::fopen(options_.json_path->c_str(), "w");
    if (json_ == nullptr) throw std::runtime_error("cannot write --trace-json file '" + *options_.json_path + "'");
  }
}

Trace::~Trace() {
  if (json_ != nullptr) std::fclose(json_);
}

std::string Trace::paint(TraceColor color, const std::string& text) const {
  if (!options_.color || color == TraceColor::plain) return text;
  return std::string(ansi(color)) + text + "\x1b[0m";
}

void Trace::write_json(const std::string& line) {
  if (json_ == nullptr) return;
  std::fputs(line.c_str(), json_);
  std::fputc('\n', json_);
  std::fflush(json_);  // a script may read it while we run, or after we are killed
}

void Trace::step(std::uint64_t connection, const TraceStep& step) {
  std::lock_guard lock(mutex_);
  double elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  if (options_.text) {
    std::string prefix = connection ? "[conn " + std::to_string(connection) + "] " : "";
    std::string head = step.arrow ? "(" + std::to_string(step.arrow) + ") " + step.from + " → " + step.to + ": "
                                  : "    " + step.from + ": ";
    std::string title = options_.color ? "\x1b[1m" + step.message + "\x1b[0m" : step.message;
    std::fprintf(options_.out, "%s%s%s\n", prefix.c_str(), head.c_str(), title.c_str());
    if (!step.description.empty()) std::fprintf(options_.out, "%s      %s\n", prefix.c_str(), step.description.c_str());
    for (const auto& field : step.fields) {
      std::string value = field.secret && !options_.show_secrets ? std::string(hidden) : field.value;
      std::fprintf(options_.out, "%s      %-22s %s\n", prefix.c_str(), paint(field.color, field.name).c_str(),
                   paint(field.color, value).c_str());
    }
    std::fflush(options_.out);
  }
  if (json_ != nullptr) {
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
    write_json(line + "}}");
  }
}

void Trace::outcome(std::uint64_t connection, bool ok, const std::string& event, const std::string& detail) {
  std::lock_guard lock(mutex_);
  if (options_.text) {
    std::string prefix = connection ? "[conn " + std::to_string(connection) + "] " : "";
    std::string line = event + (detail.empty() ? "" : ": " + detail);
    std::fprintf(options_.out, "%s%s\n", prefix.c_str(), paint(ok ? TraceColor::good : TraceColor::bad, line).c_str());
    std::fflush(options_.out);
  }
  write_json("{\"side\":" + json_string(options_.side) + ",\"connection\":" + std::to_string(connection) +
             ",\"outcome\":" + json_string(ok ? "ok" : "failed") + ",\"event\":" + json_string(event) +
             ",\"detail\":" + json_string(detail) + ",\"time\":" + json_string(iso_now()) + "}");
}

}  // namespace tlslab
