#include "merged_plantuml.hpp"

#include "merged_page.hpp"
#include "tlslab/bytes.hpp"
#include "tlslab/trace/plantuml.hpp"

namespace tlslab::report {
namespace json = boost::json;
namespace {

TraceColor color_named(std::string_view name) {
  for (TraceColor color : {TraceColor::rand_client, TraceColor::rand_server, TraceColor::cipher_suites,
                           TraceColor::certificate, TraceColor::public_key, TraceColor::ca_key, TraceColor::pre_master,
                           TraceColor::master_key, TraceColor::good, TraceColor::bad}) {
    if (color_name(color) == name) return color;
  }
  return TraceColor::plain;
}

std::string text_of(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

Bytes bytes_of(const json::object& object, std::string_view key) {
  return from_hex(text_of(object, key)).value_or(Bytes{});
}

// The facts as the reader kept them (trace_record.cpp), back into the renderer's types.
EventFacts facts_of(const json::value& value) {
  EventFacts facts;
  if (!value.is_object()) return facts;
  const json::object& given = value.get_object();
  facts.protocol = text_of(given, "protocol");
  facts.client_random = bytes_of(given, "client_random");
  facts.server_random = bytes_of(given, "server_random");
  facts.suite = text_of(given, "suite");
  facts.group = text_of(given, "group");
  facts.certificate = bytes_of(given, "certificate");
  facts.status = bytes_of(given, "status");
  facts.status_verdict = text_of(given, "status_verdict");
  auto each = [&](std::string_view key, auto&& add) {
    const json::value* list = given.if_contains(key);
    if (!list || !list->is_array()) return;
    for (const json::value& item : list->get_array()) {
      if (item.is_object()) add(item.get_object());
    }
  };
  each("transcript_hashes", [&](const json::object& item) {
    facts.transcript_hashes.emplace_back(text_of(item, "name"), bytes_of(item, "hash"));
  });
  each("checks", [&](const json::object& item) {
    const json::value* ok = item.if_contains("ok");
    CheckFact check;
    check.check = text_of(item, "check");
    check.ok = ok && ok->is_bool() && ok->get_bool();
    check.expected = text_of(item, "expected");
    check.actual = text_of(item, "actual");
    facts.checks.push_back(std::move(check));
  });
  each("secrets", [&](const json::object& item) {
    SecretFact secret;
    secret.name = text_of(item, "name");
    secret.value = bytes_of(item, "value");
    secret.computation = text_of(item, "computation");
    facts.secrets.push_back(std::move(secret));
  });
  return facts;
}

HandshakeEvent event_of(const MergedStep& step) {
  const TraceRecord& first = step.first();
  HandshakeEvent event;
  event.arrow = first.arrow;
  event.from = first.from;
  event.to = first.to;
  event.message = first.message;
  event.description = first.description;
  event.elapsed_ms = step.elapsed_ms;
  event.time = first.time;
  for (const MergedField& field : merged_fields(step)) {
    event.fields.push_back({field.name, field.value, color_named(field.color), field.secret});
  }
  // A flight (real TLS): each message by its name, as the sender traced it; the sender's facts.
  for (const TraceRecord* record : step.records) {
    if (!record->messages.is_array() || record->messages.get_array().empty()) continue;
    for (const json::value& message : record->messages.get_array()) {
      if (!message.is_object()) continue;
      const json::value* encrypted = message.get_object().if_contains("encrypted");
      FlightMessage part;
      part.name = text_of(message.get_object(), "message");
      part.frame.bytes = bytes_of(message.get_object(), "bytes");
      part.encrypted = encrypted && encrypted->is_bool() && encrypted->get_bool();
      event.flight.push_back(std::move(part));
    }
    break;
  }
  for (const TraceRecord* record : step.records) {
    if (!record->facts.is_object()) continue;
    event.facts = facts_of(record->facts);
    break;
  }
  for (const TraceRecord* record : step.records) {
    if (!record->ahead_of_time) continue;
    AheadOfTime when;
    const auto& ahead = *record->ahead_of_time;
    if (const auto* value = ahead.if_contains("this_update"); value && value->is_string()) {
      when.this_update = std::string(value->get_string());
    }
    if (const auto* value = ahead.if_contains("age_s"); value && value->is_int64()) when.age_s = value->get_int64();
    if (const auto* value = ahead.if_contains("source");
        value && value->is_string() && value->get_string() == "cache") {
      when.source = AheadOfTime::Source::cache;
    }
    event.ahead_of_time = std::move(when);
  }
  return event;
}

}  // namespace

void write_merged_plantuml(const MergedRun& run, const std::string& path) {
  PlantUmlRenderer renderer(path, run.show_secrets);
  // The renderer draws an ahead-of-time arrow before its session's first arrow once it has one:
  // so the first arrow goes first, then those that came before it.
  std::vector<HandshakeEvent> ahead;
  bool started = false;
  for (const MergedStep& step : run.events) {
    const TraceRecord& first = step.first();
    // The renderer draws the server's SESSION MASTER KEY itself, where the ACK shows the server
    // made it (a client's trace has no other word of it): the server's own step would be a second.
    if (first.is_local() && first.side == "server" && first.message == "SESSION MASTER KEY") continue;
    HandshakeEvent event = event_of(step);
    if (!started && event.ahead_of_time) {
      ahead.push_back(std::move(event));
      continue;
    }
    renderer.on_event(event);
    if (!started) {
      started = true;
      for (const HandshakeEvent& before : ahead) renderer.on_event(before);
    }
  }
  if (!started) {
    for (const HandshakeEvent& before : ahead) renderer.on_event(before);
  }
  for (const MergedStep& step : run.outcomes) {
    const TraceRecord& first = step.first();
    OutcomeEvent outcome;
    outcome.connection = first.side == "server" ? 1 : 0;  // the renderer's note goes over Server, else Client
    outcome.ok = first.ok;
    outcome.event = first.event;
    outcome.detail = first.detail;
    outcome.alert = first.alert;
    outcome.alert_from = first.alert_from;
    outcome.alert_to = first.alert_to;
    outcome.elapsed_ms = step.elapsed_ms;
    outcome.time = first.time;
    renderer.on_outcome(outcome);
  }
  renderer.finish();
}

}  // namespace tlslab::report
