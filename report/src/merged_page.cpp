#include "merged_page.hpp"

#include <algorithm>
#include <cmath>

#include "tlslab/trace.hpp"

namespace tlslab::report {
namespace json = boost::json;
namespace {

// Microseconds are what the traces hold; the digits past them are the arithmetic's.
double rounded(double ms) {
  return std::round(ms * 1000) / 1000;
}

json::array seen_by(const MergedStep& step) {
  json::array sides;
  for (const TraceRecord* record : step.records) {
    if (std::find(sides.begin(), sides.end(), json::value(record->side)) == sides.end())
      sides.emplace_back(record->side);
  }
  return sides;
}

json::object provenance(const MergedStep& step) {
  json::object out;
  out["seen_by"] = seen_by(step);
  json::object at, connections;
  for (const auto& [side, ms] : step.seen_at) at[side] = rounded(ms);
  for (const TraceRecord* record : step.records) connections[record->side] = record->connection;
  out["seen_at"] = std::move(at);
  json::object times;  // each program's own wall clock, as its trace says
  for (const TraceRecord* record : step.records) {
    if (!record->ahead_of_time) times[record->side] = record->time;
  }
  out["times"] = std::move(times);
  out["connections"] = std::move(connections);
  if (step.bytes_differ) {
    out["bytes_differ"] = true;
    json::object received;
    for (const TraceRecord* record : step.records) {
      if (!record->bytes.empty()) received[record->side] = record->bytes;
    }
    out["bytes_by_side"] = std::move(received);
    json::object flights;  // real TLS: each side's messages, where one of them differs
    for (const TraceRecord* record : step.records) {
      if (record->messages.is_array() && !record->messages.get_array().empty()) {
        flights[record->side] = record->messages;
      }
    }
    if (!flights.empty()) out["messages_by_side"] = std::move(flights);
  }
  return out;
}

// `time` on the client's wall clock: the one timeline (each program's own in `times`).
std::string client_clock(const MergedRun& run, const MergedStep& step) {
  const TraceRecord& first = step.first();
  if (first.side == "client" && !first.ahead_of_time) return first.time;
  if (step.seen_at.empty()) return first.time;  // the client's word of a stapled arrow: when it learned of it
  return ms_to_iso(run.client_origin_ms + step.elapsed_ms);
}

json::object event_json(const MergedRun& run, const MergedStep& step) {
  const TraceRecord& first = step.first();
  json::object event;
  event["connection"] = 0;
  event["arrow"] = first.arrow;
  event["from"] = first.from;
  event["to"] = first.to;
  event["message"] = first.message;
  event["description"] = first.description;
  event["time"] = client_clock(run, step);
  event["elapsed_ms"] = rounded(step.elapsed_ms);
  json::array fields;
  for (const MergedField& field : merged_fields(step)) {
    fields.push_back(
        json::object{{"name", field.name}, {"value", field.value}, {"color", field.color}, {"secret", field.secret}});
  }
  event["fields"] = std::move(fields);
  for (const TraceRecord* record : step.records) {
    if (record->ahead_of_time) event["ahead_of_time"] = *record->ahead_of_time;
  }
  for (const TraceRecord* record : step.records) {
    if (record->bytes.empty()) continue;
    event["bytes"] = record->bytes;
    event["spans"] = record->spans;
    break;
  }
  // A flight (real TLS): every message as the sender traced it; its facts, the sender's first.
  for (const TraceRecord* record : step.records) {
    if (!record->messages.is_array() || record->messages.get_array().empty()) continue;
    event["messages"] = record->messages;
    break;
  }
  for (const TraceRecord* record : step.records) {
    if (!record->facts.is_object()) continue;
    event["facts"] = record->facts;
    break;
  }
  for (const TraceRecord* record : step.records) {
    if (record->plaintext.empty()) continue;
    event["plaintext"] = record->plaintext;
    event["plaintext_spans"] = record->plaintext_spans;
    break;
  }
  for (auto& item : provenance(step)) event[item.key()] = item.value();
  return event;
}

json::object outcome_json(const MergedRun& run, const MergedStep& step) {
  const TraceRecord& first = step.first();
  json::object outcome{{"connection", 0},
                       {"ok", first.ok},
                       {"event", first.event},
                       {"detail", first.detail},
                       {"time", client_clock(run, step)},
                       {"elapsed_ms", rounded(step.elapsed_ms)},
                       {"alert", first.alert},
                       {"alert_from", first.alert_from},
                       {"alert_to", first.alert_to}};
  if (!first.bytes.empty()) {
    outcome["bytes"] = first.bytes;
    outcome["spans"] = first.spans;
  }
  json::array also;
  for (std::size_t i = 1; i < step.records.size(); ++i) {
    const TraceRecord& other = *step.records[i];
    also.push_back(
        json::object{{"side", other.side}, {"ok", other.ok}, {"event", other.event}, {"detail", other.detail}});
  }
  if (!also.empty()) outcome["also"] = std::move(also);
  for (auto& item : provenance(step)) outcome[item.key()] = item.value();
  return outcome;
}

json::value master_key_of(const MergedRun& run, std::string_view side) {
  for (const MergedStep& step : run.events) {
    const TraceRecord& first = step.first();
    if (first.side == side && first.arrow == 0 && first.message == "SESSION MASTER KEY") {
      const std::string* value = first.field("SESSION MASTER KEY");
      return value ? json::value(*value) : json::value("");
    }
  }
  return nullptr;
}

}  // namespace

std::vector<MergedField> merged_fields(const MergedStep& step) {
  std::vector<MergedField> out;
  for (const TraceRecord* record : step.records) {
    for (const auto& [name, value] : record->fields) {
      bool same_name = false, same_value = false;
      for (const MergedField& field : out) {
        if (field.name == name) {
          same_name = true;
          same_value = field.value == value;
        }
      }
      if (same_value) continue;
      MergedField field{name, value, record->color_of(name), is_secret_field(*record, name, value)};
      if (same_name) field.name += " (" + participant(record->side) + ")";
      out.push_back(std::move(field));
    }
  }
  return out;
}

std::string merged_page_data(const MergedRun& run, const std::vector<std::string>& inputs) {
  json::object data;
  data["side"] = "merged";
  data["generated"] = iso_now();
  data["show_secrets"] = run.show_secrets;
  json::array events, outcomes;
  for (const MergedStep& step : run.events) events.push_back(event_json(run, step));
  for (const MergedStep& step : run.outcomes) outcomes.push_back(outcome_json(run, step));
  data["events"] = std::move(events);
  data["outcomes"] = std::move(outcomes);
  json::object clocks{{"client", json::object{{"offset_ms", 0}, {"reference", true}}}};
  for (const auto& [side, estimate] : run.clocks) {
    json::object clock{
        {"offset_ms", rounded(estimate.offset_ms)}, {"arrows", estimate.arrows}, {"consistent", estimate.consistent}};
    clock["low_ms"] = estimate.low_ms ? json::value(rounded(*estimate.low_ms)) : json::value(nullptr);
    clock["high_ms"] = estimate.high_ms ? json::value(rounded(*estimate.high_ms)) : json::value(nullptr);
    clocks[side] = std::move(clock);
  }
  data["clocks"] = std::move(clocks);
  json::value client_key = master_key_of(run, "client"), server_key = master_key_of(run, "server");
  json::value equal = nullptr;
  if (client_key.is_string() && server_key.is_string() && !client_key.get_string().empty() &&
      !server_key.get_string().empty()) {
    equal = client_key == server_key;
  }
  data["session_master_key"] = json::object{{"client", client_key}, {"server", server_key}, {"equal", equal}};
  json::array files, notes;
  for (const std::string& input : inputs) files.emplace_back(input);
  for (const std::string& note : run.notes) notes.emplace_back(note);
  data["inputs"] = std::move(files);
  data["notes"] = std::move(notes);
  return json::serialize(data);
}

}  // namespace tlslab::report
