#include "tlslab/trace.hpp"

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <string_view>

#include "tlslab/private_file.hpp"
#include "tlslab/trace/json_lines.hpp"
#include "tlslab/trace/terminal.hpp"

namespace tlslab {

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

std::string ahead_of_time_words(const AheadOfTime& when) {
  std::string arrow = "arrow " + std::to_string(when.learned_at_arrow);
  if (when.this_update.empty() || !when.age_s) {
    return "ahead of time, before arrow 1: when, the answer does not say (it does not verify); seen in " + arrow;
  }
  if (when.source == AheadOfTime::Source::cache) {
    return "ahead of time, before arrow 1: fetched from the CA at " + when.this_update + " and kept in the cache, " +
           std::to_string(*when.age_s) + " s before " + arrow;
  }
  return "ahead of time, before arrow 1: the CA answered at " + when.this_update + " (thisUpdate), " +
         std::to_string(*when.age_s) + " s before " + arrow;
}

std::string iso_now() {
  return iso_time(std::chrono::system_clock::now());
}

std::string iso_time(std::chrono::system_clock::time_point now) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[48];
  std::size_t used = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + used, sizeof text - used, ".%06lldZ", static_cast<long long>(micros));
  return text;
}

std::string hex_field(ByteView bytes, std::size_t show) {
  if (show == 0 || bytes.size() <= show) return to_hex(bytes);
  return to_hex(bytes.first(show)) + "… (" + std::to_string(bytes.size()) + " bytes)";
}

TraceField secret_field(bool shown, std::string name, ByteView secret, TraceColor color) {
  return {std::move(name), shown ? to_hex(secret) : std::string(), color, true};
}

bool wants_color(std::FILE* file) {
  return ::isatty(::fileno(file)) == 1 && std::getenv("NO_COLOR") == nullptr;
}

// The two line renderers the options ask for, and the JSON file they own.
class Trace::LineRenderers {
 public:
  TerminalRenderer* terminal = nullptr;
  JsonLinesRenderer* json = nullptr;
  std::FILE* json_file = nullptr;
};

Trace::Trace(TraceOptions options) : options_(std::move(options)), lines_(std::make_unique<LineRenderers>()) {
  if (options_.json_path) {
    // Under --show-secrets the JSON holds secrets: a private file (private_file.hpp).
    std::FILE* file = open_output(*options_.json_path, "--trace-json file",
                                  options_.show_secrets ? FileKind::secret : FileKind::document);
    lines_->json_file = file;
    auto json = std::make_unique<JsonLinesRenderer>(file, options_.side, options_.show_secrets);
    lines_->json = json.get();
    renderers_.push_back(std::move(json));
  }
  if (options_.text) {
    auto terminal = std::make_unique<TerminalRenderer>(options_.out, options_.color, options_.show_secrets);
    lines_->terminal = terminal.get();
    renderers_.push_back(std::move(terminal));
  }
}

Trace::~Trace() {
  finish();
  renderers_.clear();  // each writes what it queued
  if (lines_->json_file != nullptr) std::fclose(lines_->json_file);
}

void Trace::add(std::unique_ptr<Renderer> renderer) {
  renderers_.push_back(std::move(renderer));
}

void Trace::emit(const HandshakeEvent& event) {
  for (auto& renderer : renderers_) renderer->on_event(event);
}

void Trace::emit(const OutcomeEvent& outcome) {
  for (auto& renderer : renderers_) renderer->on_outcome(outcome);
}

void Trace::finish() {
  for (auto& renderer : renderers_) renderer->finish();
}

void Trace::flush() {
  if (lines_->terminal) lines_->terminal->flush();
  if (lines_->json) lines_->json->flush();
}

double SessionTrace::elapsed_ms() {
  auto now = std::chrono::steady_clock::now();
  if (!start_) start_ = now;
  return std::chrono::duration<double, std::milli>(now - *start_).count();
}

void SessionTrace::emit(HandshakeEvent event) {
  event.connection = connection_;
  event.elapsed_ms = elapsed_ms();
  event.time = iso_now();
  trace_.emit(event);
}

void SessionTrace::line(int arrow, Party from, Party to, std::string message, std::string description,
                        std::optional<WireFrame> frame) {
  if (!enabled()) return;
  HandshakeEvent event;
  event.arrow = arrow;
  event.from = to_string(from);
  event.to = to_string(to);
  event.message = std::move(message);
  event.description = std::move(description);
  event.frame = std::move(frame);
  emit(std::move(event));
}

void SessionTrace::outcome(bool ok, std::string event, std::string detail, std::optional<AlertSeen> alert) {
  if (!enabled()) return;
  OutcomeEvent outcome;
  outcome.connection = connection_;
  outcome.ok = ok;
  outcome.event = std::move(event);
  outcome.detail = std::move(detail);
  if (alert) {
    outcome.alert = to_string(alert->description);
    outcome.alert_from = to_string(alert->from);
    outcome.alert_to = to_string(alert->to);
    outcome.alert_frame = std::move(alert->frame);
  }
  outcome.elapsed_ms = elapsed_ms();
  outcome.time = iso_now();
  trace_.emit(outcome);
}

}  // namespace tlslab
