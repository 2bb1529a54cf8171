#include "tlslab/trace/report.hpp"

#include <cstdio>
#include <stdexcept>

#include "tlslab/private_file.hpp"
#include "tlslab/text.hpp"
#include "tlslab/trace.hpp"
#include "tlslab/trace/json_lines.hpp"

namespace tlslab {

// The page, made from common/src/trace/report.html at build time (report_template.cpp).
extern const char* const report_template;

namespace {

constexpr std::string_view data_marker = "/*TLSLAB_REPORT_DATA*/";

// JSON placed inside <script type="application/json">. The HTML tokenizer reads a script
// element's text for "</script", and also for "<!--" followed by "<script", which puts it into the
// "double-escaped" state where the real "</script>" no longer ends the element (the page's own
// script is then swallowed as data). So no '<' reaches the page as such: it, '>' and '&' are
// written as JSON's \u003c, \u003e and \u0026 (they occur only inside JSON strings, which read
// them back unchanged), and U+2028/U+2029 as \u2028/\u2029 for any reader that takes the data as
// JavaScript.
std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size() + json.size() / 8);
  for (std::size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xe2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
               (json[i + 2] == '\xa8' || json[i + 2] == '\xa9')) {
      out += json[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string frame_json(const WireFrame& frame, bool show_secrets) {
  std::string out = "\"bytes\":\"" + to_hex(frame.bytes) + "\",\"spans\":" + spans_json(frame.spans);
  if (show_secrets && !frame.plaintext.empty()) {
    out +=
        ",\"plaintext\":\"" + to_hex(frame.plaintext) + "\",\"plaintext_spans\":" + spans_json(frame.plaintext_spans);
  }
  return out;
}

}  // namespace

std::string report_event_json(const HandshakeEvent& event, bool show_secrets) {
  std::string out = "{\"connection\":" + std::to_string(event.connection) +
                    ",\"arrow\":" + std::to_string(event.arrow) + ",\"from\":" + json_string(event.from) +
                    ",\"to\":" + json_string(event.to) + ",\"message\":" + json_string(event.message) +
                    ",\"description\":" + json_string(event.description) + ",\"time\":" + json_string(event.time) +
                    ",\"elapsed_ms\":" + std::to_string(event.elapsed_ms) + ",\"fields\":[";
  for (std::size_t i = 0; i < event.fields.size(); ++i) {
    const TraceField& field = event.fields[i];
    bool hidden = field.secret && !show_secrets;
    out += (i ? ",{" : "{");
    out += "\"name\":" + json_string(field.name) + ",\"value\":" + (hidden ? "null" : json_string(field.value)) +
           ",\"color\":" + json_string(std::string(color_name(field.color))) +
           ",\"secret\":" + (field.secret ? "true" : "false") + "}";
  }
  out += "]";
  if (event.ahead_of_time) out += ",\"ahead_of_time\":" + ahead_of_time_json(*event.ahead_of_time);
  if (event.frame) out += "," + frame_json(*event.frame, show_secrets);
  // A flight (real TLS): each message with its bytes and spans; the page draws one block per message.
  if (!event.flight.empty()) out += ",\"messages\":" + flight_json(event.flight);
  if (!event.facts.empty()) out += ",\"facts\":" + facts_json(event.facts, show_secrets);
  return out + "}";
}

std::string report_page(const std::string& data) {
  std::string page = report_template;
  auto at = page.find(data_marker);
  if (at == std::string::npos) throw std::logic_error("the report template has no data marker");
  page.replace(at, data_marker.size(), script_safe(data));
  return page;
}

ReportRenderer::ReportRenderer(std::string path, bool show_secrets, std::string side)
    : path_(std::move(path)), show_secrets_(show_secrets), side_(std::move(side)) {
  // A mistake in the path shows now, not after the run.
  require_output_or_absent(path_, "--report file", show_secrets_ ? FileKind::secret : FileKind::document);
}

void ReportRenderer::on_event(const HandshakeEvent& event) {
  std::string json = report_event_json(event, show_secrets_);
  std::lock_guard lock(mutex_);
  events_.push_back(std::move(json));
}

void ReportRenderer::on_outcome(const OutcomeEvent& outcome) {
  std::string json = "{\"connection\":" + std::to_string(outcome.connection) +
                     ",\"ok\":" + (outcome.ok ? "true" : "false") + ",\"event\":" + json_string(outcome.event) +
                     ",\"detail\":" + json_string(outcome.detail) + ",\"time\":" + json_string(outcome.time) +
                     ",\"elapsed_ms\":" + std::to_string(outcome.elapsed_ms) +
                     ",\"alert\":" + json_string(outcome.alert) + ",\"alert_from\":" + json_string(outcome.alert_from) +
                     ",\"alert_to\":" + json_string(outcome.alert_to);
  if (outcome.alert_frame) json += "," + frame_json(*outcome.alert_frame, show_secrets_);
  json += "}";
  std::lock_guard lock(mutex_);
  outcomes_.push_back(std::move(json));
}

void ReportRenderer::finish() {
  std::lock_guard lock(mutex_);
  if (written_) return;
  written_ = true;
  std::string data = "{\"side\":" + json_string(side_) + ",\"generated\":" + json_string(iso_now()) +
                     ",\"show_secrets\":" + (show_secrets_ ? "true" : "false") + ",\"events\":[";
  for (std::size_t i = 0; i < events_.size(); ++i) data += (i ? "," : "") + events_[i];
  data += "],\"outcomes\":[";
  for (std::size_t i = 0; i < outcomes_.size(); ++i) data += (i ? "," : "") + outcomes_[i];
  data += "]}";
  write_output_file(path_, report_page(data), "--report file", show_secrets_ ? FileKind::secret : FileKind::document);
}

}  // namespace tlslab
