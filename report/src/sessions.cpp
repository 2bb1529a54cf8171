#include "sessions.hpp"

#include <map>
#include <tuple>

namespace tlslab::report {

const TraceRecord* Session::arrow(int number, std::string_view from, std::string_view to, bool ahead_of_time) const {
  for (const TraceRecord* record : records) {
    if (!record->is_outcome && record->arrow == number && record->from == from && record->to == to &&
        record->ahead_of_time.has_value() == ahead_of_time) {
      return record;
    }
  }
  return nullptr;
}

const std::string* Session::field(int number, std::string_view name) const {
  for (const TraceRecord* record : records) {
    if (!record->is_outcome && record->arrow == number) return record->field(name);
  }
  return nullptr;
}

std::string Session::where() const {
  return records.empty() ? std::string() : records.front()->origin.where();
}

std::vector<Session> split_sessions(const std::vector<TraceRecord>& records) {
  std::vector<Session> sessions;
  // The session each (file, side, connection) is writing into now.
  std::map<std::tuple<std::string, std::string, std::uint64_t>, std::size_t> open;
  for (const TraceRecord& record : records) {
    auto key = std::make_tuple(record.origin.file, record.side, record.connection);
    auto found = open.find(key);
    bool starts = found == open.end();
    if (!starts && !record.is_outcome && !record.ahead_of_time && (record.arrow == 1 || record.arrow == 3)) {
      // A second arrow 1 is the next run; a second arrow 3 without an arrow 1 is the next staple fetch.
      const Session& current = sessions[found->second];
      bool has_hello = current.arrow(1, "Client", "Server") != nullptr;
      starts = record.arrow == 1 ? has_hello || !current.records.empty()
                                 : !has_hello && current.arrow(3, record.from, record.to) != nullptr;
    }
    if (starts) {
      sessions.push_back(Session{record.side, record.connection, {}});
      open[key] = sessions.size() - 1;
    }
    sessions[open[key]].records.push_back(&record);
  }
  return sessions;
}

}  // namespace tlslab::report
