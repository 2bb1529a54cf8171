#include "tlslab/trace/json_lines.hpp"

#include "tlslab/text.hpp"

namespace tlslab {

std::string ahead_of_time_json(const AheadOfTime& when) {
  return "{\"this_update\":" + json_string(when.this_update) +
         ",\"age_s\":" + (when.age_s ? std::to_string(*when.age_s) : std::string("null")) +
         ",\"learned_at_arrow\":" + std::to_string(when.learned_at_arrow) +
         (when.source == AheadOfTime::Source::cache ? ",\"source\":\"cache\"" : "") + "}";
}

std::string spans_json(std::span<const FieldSpan> spans) {
  std::string out = "[";
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const FieldSpan& span = spans[i];
    out += (i ? ",{" : "{");
    out += "\"offset\":" + std::to_string(span.offset) + ",\"length\":" + std::to_string(span.length) +
           ",\"field\":" + json_string(span.field);
    if (!span.children.empty()) out += ",\"children\":" + spans_json(span.children);
    out += "}";
  }
  return out + "]";
}

std::string flight_json(std::span<const FlightMessage> flight) {
  std::string out = "[";
  for (std::size_t i = 0; i < flight.size(); ++i) {
    const FlightMessage& message = flight[i];
    out += (i ? ",{" : "{");
    out += "\"message\":" + json_string(message.name) + ",\"bytes\":\"" + to_hex(message.frame.bytes) +
           "\",\"spans\":" + spans_json(message.frame.spans) +
           ",\"encrypted\":" + (message.encrypted ? "true" : "false") + "}";
  }
  return out + "]";
}

std::string facts_json(const EventFacts& facts, bool show_secrets) {
  std::string out;
  auto add = [&](std::string_view key, const std::string& json) {
    out += (out.empty() ? "{\"" : ",\"") + std::string(key) + "\":" + json;
  };
  auto text = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) add(key, json_string(value));
  };
  auto hex = [&](std::string_view key, const Bytes& value) {
    if (!value.empty()) add(key, "\"" + to_hex(value) + "\"");
  };
  text("protocol", facts.protocol);
  hex("client_random", facts.client_random);
  hex("server_random", facts.server_random);
  text("suite", facts.suite);
  text("group", facts.group);
  hex("certificate", facts.certificate);
  hex("status", facts.status);
  text("status_verdict", facts.status_verdict);
  if (!facts.transcript_hashes.empty()) {
    std::string list = "[";
    for (std::size_t i = 0; i < facts.transcript_hashes.size(); ++i) {
      const auto& [name, hash] = facts.transcript_hashes[i];
      list += (i ? ",{" : "{");
      list += "\"name\":" + json_string(name) + ",\"hash\":\"" + to_hex(hash) + "\"}";
    }
    add("transcript_hashes", list + "]");
  }
  if (!facts.checks.empty()) {
    std::string list = "[";
    for (std::size_t i = 0; i < facts.checks.size(); ++i) {
      const CheckFact& check = facts.checks[i];
      list += (i ? ",{" : "{");
      list += "\"check\":" + json_string(check.check) + ",\"ok\":" + (check.ok ? "true" : "false") +
              ",\"expected\":" + json_string(check.expected) + ",\"actual\":" + json_string(check.actual) + "}";
    }
    add("checks", list + "]");
  }
  if (!facts.secrets.empty()) {
    // A secret's name and how it was made are no secret; its value is written only when shown.
    std::string list = "[";
    for (std::size_t i = 0; i < facts.secrets.size(); ++i) {
      const SecretFact& secret = facts.secrets[i];
      list += (i ? ",{" : "{");
      list += "\"name\":" + json_string(secret.name) + ",\"computation\":" + json_string(secret.computation) +
              ",\"secret\":" + (secret.secret ? "true" : "false");
      if (!secret.command.empty()) list += ",\"command\":" + json_string(secret.command);
      if (show_secrets || !secret.secret) list += ",\"value\":\"" + to_hex(secret.value) + "\"";
      list += "}";
    }
    add("secrets", list + "]");
  }
  return out.empty() ? "{}" : out + "}";
}

JsonLinesRenderer::JsonLinesRenderer(std::FILE* out, std::string side, bool show_secrets)
    : out_(out), side_(std::move(side)), show_secrets_(show_secrets) {}

void JsonLinesRenderer::on_event(const HandshakeEvent& event) {
  std::string line = "{\"side\":" + json_string(side_) + ",\"connection\":" + std::to_string(event.connection) +
                     ",\"arrow\":" + std::to_string(event.arrow) + ",\"from\":" + json_string(event.from) +
                     ",\"to\":" + json_string(event.to) + ",\"message\":" + json_string(event.message) +
                     ",\"description\":" + json_string(event.description) + ",\"time\":" + json_string(event.time) +
                     ",\"elapsed_ms\":" + std::to_string(event.elapsed_ms) + ",\"fields\":{";
  bool first = true;
  for (const auto& field : event.fields) {
    if (field.secret && !show_secrets_) continue;
    line += (first ? "" : ",") + json_string(field.name) + ":" + json_string(field.value);
    first = false;
  }
  line += "},\"colors\":{";
  first = true;
  for (const auto& field : event.fields) {
    if (field.color == TraceColor::plain || (field.secret && !show_secrets_)) continue;
    line += (first ? "" : ",") + json_string(field.name) + ":" + json_string(std::string(color_name(field.color)));
    first = false;
  }
  line += "}";
  if (show_secrets_) {
    // Which of the fields above are secrets (a value to keep private), for a script to know.
    std::string names;
    for (const auto& field : event.fields) {
      if (field.secret) names += (names.empty() ? "" : ",") + json_string(field.name);
    }
    if (!names.empty()) line += ",\"secret_fields\":[" + names + "]";
  }
  if (event.ahead_of_time) line += ",\"ahead_of_time\":" + ahead_of_time_json(*event.ahead_of_time);
  if (!event.flight.empty() && !event.frame) {
    // Old readers find the flight's first message where a lab frame would be.
    line += ",\"bytes\":\"" + to_hex(event.flight.front().frame.bytes) +
            "\",\"spans\":" + spans_json(event.flight.front().frame.spans);
  }
  if (!event.flight.empty()) line += ",\"messages\":" + flight_json(event.flight);
  if (!event.facts.empty()) line += ",\"facts\":" + facts_json(event.facts, show_secrets_);
  if (event.frame) {
    line += ",\"bytes\":\"" + to_hex(event.frame->bytes) + "\",\"spans\":" + spans_json(event.frame->spans);
    if (show_secrets_ && !event.frame->plaintext.empty()) {
      line += ",\"plaintext\":\"" + to_hex(event.frame->plaintext) +
              "\",\"plaintext_spans\":" + spans_json(event.frame->plaintext_spans);
    }
  }
  out_.write(line + "}\n");
}

void JsonLinesRenderer::on_outcome(const OutcomeEvent& outcome) {
  std::string line = "{\"side\":" + json_string(side_) + ",\"connection\":" + std::to_string(outcome.connection) +
                     ",\"outcome\":" + json_string(outcome.ok ? "ok" : "failed") +
                     ",\"event\":" + json_string(outcome.event) + ",\"detail\":" + json_string(outcome.detail) +
                     ",\"time\":" + json_string(outcome.time) + ",\"elapsed_ms\":" + std::to_string(outcome.elapsed_ms);
  if (!outcome.alert.empty()) {
    line += ",\"alert\":" + json_string(outcome.alert) + ",\"alert_from\":" + json_string(outcome.alert_from) +
            ",\"alert_to\":" + json_string(outcome.alert_to);
  }
  if (outcome.alert_frame) {
    line += ",\"alert_bytes\":\"" + to_hex(outcome.alert_frame->bytes) +
            "\",\"alert_spans\":" + spans_json(outcome.alert_frame->spans);
  }
  out_.write(line + "}\n");
}

}  // namespace tlslab
