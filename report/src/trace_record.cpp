#include "trace_record.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <stdexcept>

#include "tlslab/text.hpp"

namespace tlslab::report {
namespace json = boost::json;
namespace {

[[noreturn]] void refuse(const LineOrigin& origin, const std::string& what) {
  throw std::runtime_error(origin.where() + ": " + what);
}

const json::value* member(const json::object& line, std::string_view key) {
  auto found = line.find(key);
  return found == line.end() ? nullptr : &found->value();
}

std::string text(const json::object& line, std::string_view key, const LineOrigin& origin, bool required = true) {
  const json::value* value = member(line, key);
  if (!value) {
    if (required) refuse(origin, "no \"" + std::string(key) + "\"");
    return {};
  }
  if (!value->is_string()) refuse(origin, "\"" + std::string(key) + "\" is not a string");
  return std::string(value->get_string());
}

double number(const json::object& line, std::string_view key, const LineOrigin& origin) {
  const json::value* value = member(line, key);
  if (!value || !value->is_number()) refuse(origin, "\"" + std::string(key) + "\" is not a number");
  double result = value->to_number<double>();
  if (!std::isfinite(result)) refuse(origin, "\"" + std::string(key) + "\" is not a finite number");
  return result;
}

std::uint64_t count(const json::object& line, std::string_view key, const LineOrigin& origin) {
  const json::value* value = member(line, key);
  if (value && value->is_uint64()) return value->get_uint64();
  if (value && value->is_int64() && value->get_int64() >= 0) return static_cast<std::uint64_t>(value->get_int64());
  refuse(origin, "\"" + std::string(key) + "\" is not a whole number");
}

std::vector<std::pair<std::string, std::string>> text_map(const json::object& line, std::string_view key,
                                                          const LineOrigin& origin) {
  std::vector<std::pair<std::string, std::string>> out;
  const json::value* value = member(line, key);
  if (!value) return out;
  if (!value->is_object()) refuse(origin, "\"" + std::string(key) + "\" is not an object");
  for (const auto& item : value->get_object()) {
    if (!item.value().is_string()) {
      refuse(origin, "\"" + std::string(key) + "\" holds a value that is not a string (" +
                         printable(std::string_view(item.key().data(), item.key().size())) + ")");
    }
    out.emplace_back(std::string(item.key()), std::string(item.value().get_string()));
  }
  return out;
}

std::string hex(const json::object& line, std::string_view key, const LineOrigin& origin) {
  std::string value = text(line, key, origin, false);
  if (value.size() % 2 != 0 || value.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    refuse(origin, "\"" + std::string(key) + "\" is not hex");
  }
  return value;
}

// Spans name the fields of a frame: each {offset, length, field, children?} inside the frame, to a
// bounded depth. The page draws them; one pointing past the frame, or a million deep, is refused.
void check_spans(const json::value& spans, std::size_t frame_bytes, int depth, const LineOrigin& origin,
                 std::string_view key) {
  auto wrong = [&](const std::string& what) { refuse(origin, "\"" + std::string(key) + "\": " + what); };
  if (!spans.is_array()) wrong("not a list");
  if (depth > 16) wrong("nested deeper than 16");
  for (const json::value& span : spans.get_array()) {
    if (!span.is_object()) wrong("a span is not an object");
    const json::object& object = span.get_object();
    const json::value* offset = object.if_contains("offset");
    const json::value* length = object.if_contains("length");
    const json::value* field = object.if_contains("field");
    auto whole = [](const json::value* number) -> std::optional<std::uint64_t> {
      if (number && number->is_uint64()) return number->get_uint64();
      if (number && number->is_int64() && number->get_int64() >= 0) return number->get_int64();
      return std::nullopt;
    };
    auto start = whole(offset), size = whole(length);
    if (!start || !size) wrong("a span without a whole offset and length");
    if (*start > frame_bytes || *size > frame_bytes - *start) {
      wrong("a span outside the frame's " + std::to_string(frame_bytes) + " bytes");
    }
    if (!field || !field->is_string()) wrong("a span without a field name");
    if (const json::value* children = object.if_contains("children")) {
      check_spans(*children, frame_bytes, depth + 1, origin, key);
    }
  }
}

json::value spans_of(const json::object& line, std::string_view key, std::size_t frame_bytes,
                     const LineOrigin& origin) {
  const json::value* value = member(line, key);
  if (!value) return json::array();
  check_spans(*value, frame_bytes, 0, origin, key);
  return *value;
}

// A string of a flight message or of the facts, bounded: `where` names it ("facts.suite").
std::string bounded_text(const json::value& value, const std::string& where, const LineOrigin& origin) {
  if (!value.is_string()) refuse(origin, "\"" + where + "\" is not a string");
  if (value.get_string().size() > max_fact_chars) {
    refuse(origin, "\"" + where + "\" is longer than " + std::to_string(max_fact_chars) + " characters (" +
                       std::to_string(value.get_string().size()) + ")");
  }
  return std::string(value.get_string());
}

std::string bounded_hex(const json::value& value, const std::string& where, const LineOrigin& origin) {
  std::string out = bounded_text(value, where, origin);
  if (out.size() % 2 != 0 || out.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    refuse(origin, "\"" + where + "\" is not hex");
  }
  return out;
}

bool flag(const json::object& object, std::string_view key, const std::string& where, const LineOrigin& origin) {
  const json::value* value = object.if_contains(key);
  if (!value) return false;
  if (!value->is_bool()) refuse(origin, "\"" + where + "." + std::string(key) + "\" is not true or false");
  return value->get_bool();
}

// `messages`: the flight, each message's spans inside its own bytes.
json::value messages_of(const json::object& line, const LineOrigin& origin) {
  const json::value* value = member(line, "messages");
  if (!value) return json::array();
  if (!value->is_array()) refuse(origin, "\"messages\" is not a list");
  const json::array& given = value->get_array();
  if (given.size() > max_flight_messages) {
    refuse(origin, "\"messages\" holds " + std::to_string(given.size()) + " messages, more than a flight's " +
                       std::to_string(max_flight_messages));
  }
  json::array kept;
  for (std::size_t i = 0; i < given.size(); ++i) {
    std::string where = "messages[" + std::to_string(i) + "]";
    if (!given[i].is_object()) refuse(origin, "\"" + where + "\" is not an object");
    const json::object& message = given[i].get_object();
    const json::value* name = message.if_contains("message");
    const json::value* bytes = message.if_contains("bytes");
    if (!name || !bytes) refuse(origin, "\"" + where + "\" is not {message, bytes, spans, encrypted}");
    json::object out;
    out["message"] = bounded_text(*name, where + ".message", origin);
    std::string hex_bytes = bytes->is_string() ? std::string(bytes->get_string()) : std::string("?");
    if (hex_bytes.size() % 2 != 0 || hex_bytes.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      refuse(origin, "\"" + where + ".bytes\" is not hex");
    }
    json::value spans = json::array();
    if (const json::value* given_spans = message.if_contains("spans")) {
      check_spans(*given_spans, hex_bytes.size() / 2, 0, origin, where + ".spans");
      spans = *given_spans;
    }
    out["bytes"] = std::move(hex_bytes);
    out["spans"] = std::move(spans);
    out["encrypted"] = flag(message, "encrypted", where, origin);
    kept.push_back(std::move(out));
  }
  return kept;
}

// A list of the facts: each an object of the named keys, texts or hex (the others are dropped).
json::array fact_list(const json::value& value, const std::string& where, const LineOrigin& origin,
                      std::initializer_list<std::string_view> texts, std::initializer_list<std::string_view> hexes,
                      std::initializer_list<std::string_view> flags) {
  if (!value.is_array()) refuse(origin, "\"" + where + "\" is not a list");
  const json::array& given = value.get_array();
  if (given.size() > max_fact_list) {
    refuse(origin, "\"" + where + "\" holds " + std::to_string(given.size()) + " entries, more than " +
                       std::to_string(max_fact_list));
  }
  json::array kept;
  for (std::size_t i = 0; i < given.size(); ++i) {
    std::string at = where + "[" + std::to_string(i) + "]";
    if (!given[i].is_object()) refuse(origin, "\"" + at + "\" is not an object");
    const json::object& entry = given[i].get_object();
    json::object out;
    for (std::string_view key : texts) {
      if (const json::value* item = entry.if_contains(key))
        out[key] = bounded_text(*item, at + "." + std::string(key), origin);
    }
    for (std::string_view key : hexes) {
      if (const json::value* item = entry.if_contains(key))
        out[key] = bounded_hex(*item, at + "." + std::string(key), origin);
    }
    for (std::string_view key : flags) {
      if (entry.if_contains(key)) out[key] = flag(entry, key, at, origin);
    }
    kept.push_back(std::move(out));
  }
  return kept;
}

// `facts`: the keys json_lines.hpp names, each checked and bounded; any other key is dropped.
json::value facts_of(const json::object& line, const LineOrigin& origin) {
  const json::value* value = member(line, "facts");
  if (!value) return nullptr;
  if (!value->is_object()) refuse(origin, "\"facts\" is not an object");
  const json::object& given = value->get_object();
  json::object kept;
  for (std::string_view key : {"protocol", "suite", "group", "status_verdict"}) {
    if (const json::value* item = given.if_contains(key)) {
      kept[key] = bounded_text(*item, "facts." + std::string(key), origin);
    }
  }
  for (std::string_view key : {"client_random", "server_random", "certificate", "status"}) {
    if (const json::value* item = given.if_contains(key)) {
      kept[key] = bounded_hex(*item, "facts." + std::string(key), origin);
    }
  }
  if (const json::value* item = given.if_contains("transcript_hashes")) {
    kept["transcript_hashes"] = fact_list(*item, "facts.transcript_hashes", origin, {"name"}, {"hash"}, {});
  }
  if (const json::value* item = given.if_contains("checks")) {
    kept["checks"] = fact_list(*item, "facts.checks", origin, {"check", "expected", "actual"}, {}, {"ok"});
  }
  if (const json::value* item = given.if_contains("secrets")) {
    kept["secrets"] =
        fact_list(*item, "facts.secrets", origin, {"name", "computation", "command"}, {"value"}, {"secret"});
  }
  return kept;
}

}  // namespace

const std::string* TraceRecord::field(std::string_view name) const {
  for (const auto& [key, value] : fields) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::string TraceRecord::color_of(std::string_view name) const {
  for (const auto& [key, value] : colors) {
    if (key == name) return value;
  }
  return {};
}

std::string participant(std::string_view side) {
  if (side == "client") return "Client";
  if (side == "server") return "Server";
  return "CA";
}

std::optional<double> iso_to_ms(std::string_view iso) {
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z, as iso_now() writes it.
  auto digits = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    if (at + n > iso.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (iso[i] < '0' || iso[i] > '9') return std::nullopt;
      value = value * 10 + (iso[i] - '0');
    }
    return value;
  };
  auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  auto hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || iso.size() < 20 || iso[4] != '-' || iso[7] != '-' ||
      iso[10] != 'T' || iso[13] != ':' || iso[16] != ':' || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                                   std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  double fraction = 0;
  std::size_t at = 19;
  if (iso[at] == '.') {
    double scale = 0.1;
    for (++at; at < iso.size() && iso[at] >= '0' && iso[at] <= '9' && at < 30; ++at) {
      fraction += (iso[at] - '0') * scale;
      scale /= 10;
    }
  }
  if (at + 1 != iso.size() || iso[at] != 'Z') return std::nullopt;
  auto days = static_cast<double>(std::chrono::sys_days(date).time_since_epoch().count());
  return ((days * 86400 + *hour * 3600 + *minute * 60 + *second) + fraction) * 1000;
}

std::string ms_to_iso(double ms) {
  auto micros = static_cast<long long>(std::llround(ms * 1000));
  long long seconds = micros / 1000000, fraction = micros % 1000000;
  if (fraction < 0) {
    fraction += 1000000;
    --seconds;
  }
  long long days = seconds / 86400, in_day = seconds % 86400;
  if (in_day < 0) {
    in_day += 86400;
    --days;
  }
  std::chrono::year_month_day date{std::chrono::sys_days(std::chrono::days(days))};
  char text[48];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()), in_day / 3600, in_day / 60 % 60,
                in_day % 60, fraction);
  return text;
}

TraceRecord read_trace_record(const json::value& value, LineOrigin origin) {
  if (!value.is_object()) refuse(origin, "not a JSON object");
  const json::object& line = value.get_object();
  TraceRecord record;
  record.origin = std::move(origin);
  record.side = text(line, "side", record.origin);
  if (record.side != "client" && record.side != "server" && record.side != "ca") {
    refuse(record.origin, "\"side\" is '" + printable(record.side) + "', not client, server or ca");
  }
  record.connection = count(line, "connection", record.origin);
  record.time = text(line, "time", record.origin);
  auto wall = iso_to_ms(record.time);
  if (!wall) refuse(record.origin, "\"time\" is not an ISO 8601 UTC time: '" + printable(record.time) + "'");
  record.wall_ms = *wall;
  record.elapsed_ms = number(line, "elapsed_ms", record.origin);
  // A session lasts seconds; a year of milliseconds is already no trace of one.
  if (std::fabs(record.elapsed_ms) > 365.0 * 86400 * 1000) refuse(record.origin, "\"elapsed_ms\" is out of range");
  if (member(line, "outcome")) {
    record.is_outcome = true;
    std::string outcome = text(line, "outcome", record.origin);
    if (outcome != "ok" && outcome != "failed") refuse(record.origin, "\"outcome\" is neither ok nor failed");
    record.ok = outcome == "ok";
    record.event = text(line, "event", record.origin);
    record.detail = text(line, "detail", record.origin, false);
    record.alert = text(line, "alert", record.origin, false);
    record.alert_from = text(line, "alert_from", record.origin, false);
    record.alert_to = text(line, "alert_to", record.origin, false);
    record.bytes = hex(line, "alert_bytes", record.origin);
    record.spans = spans_of(line, "alert_spans", record.bytes.size() / 2, record.origin);
    return record;
  }
  double arrow = number(line, "arrow", record.origin);
  if (arrow < 0 || arrow > 8 || arrow != std::floor(arrow)) refuse(record.origin, "\"arrow\" is not 0 to 8");
  record.arrow = static_cast<int>(arrow);
  record.from = text(line, "from", record.origin);
  record.to = text(line, "to", record.origin);
  for (const std::string* party : {&record.from, &record.to}) {
    if (*party != "Client" && *party != "Server" && *party != "CA") {
      refuse(record.origin, "\"from\"/\"to\" is '" + printable(*party) + "', not Client, Server or CA");
    }
  }
  record.message = text(line, "message", record.origin);
  record.description = text(line, "description", record.origin, false);
  record.fields = text_map(line, "fields", record.origin);
  record.colors = text_map(line, "colors", record.origin);
  if (const json::value* ahead = member(line, "ahead_of_time")) {
    // Kept as the programs write it (json_lines.hpp), nothing else: the page reads these three.
    if (!ahead->is_object()) refuse(record.origin, "\"ahead_of_time\" is not an object");
    const json::object& given = ahead->get_object();
    json::object kept;
    const json::value* this_update = given.if_contains("this_update");
    const json::value* age = given.if_contains("age_s");
    const json::value* learned = given.if_contains("learned_at_arrow");
    if (!this_update || !this_update->is_string() || (age && !age->is_null() && !age->is_int64()) ||
        (learned && !learned->is_int64())) {
      refuse(record.origin, "\"ahead_of_time\" is not {this_update, age_s, learned_at_arrow}");
    }
    kept["this_update"] = *this_update;
    kept["age_s"] = age ? *age : json::value(nullptr);
    kept["learned_at_arrow"] = learned ? *learned : json::value(2);
    record.ahead_of_time = std::move(kept);
  }
  record.bytes = hex(line, "bytes", record.origin);
  record.spans = spans_of(line, "spans", record.bytes.size() / 2, record.origin);
  record.plaintext = hex(line, "plaintext", record.origin);
  record.plaintext_spans = spans_of(line, "plaintext_spans", record.plaintext.size() / 2, record.origin);
  record.messages = messages_of(line, record.origin);
  record.facts = facts_of(line, record.origin);
  return record;
}

}  // namespace tlslab::report
