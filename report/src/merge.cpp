#include "merge.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "causal_order.hpp"
#include "tlslab/text.hpp"

namespace tlslab::report {
namespace {

constexpr double contradiction_ms = 50;

// Each message of a flight (real TLS), as hex, in order; empty for a lab frame.
std::vector<std::string> flight_bytes(const TraceRecord& record) {
  std::vector<std::string> out;
  if (!record.messages.is_array()) return out;
  for (const boost::json::value& message : record.messages.get_array()) {
    const boost::json::value* bytes = message.is_object() ? message.get_object().if_contains("bytes") : nullptr;
    out.emplace_back(bytes && bytes->is_string() ? std::string(bytes->get_string()) : std::string());
  }
  return out;
}

// Whether the facts hold a secret's value (a trace written under --show-secrets). A value computed
// on the way that is no secret (a transcript hash: "secret": false) is always written.
bool facts_show_secrets(const TraceRecord& record) {
  if (!record.facts.is_object()) return false;
  const boost::json::value* secrets = record.facts.get_object().if_contains("secrets");
  if (!secrets || !secrets->is_array()) return false;
  for (const boost::json::value& secret : secrets->get_array()) {
    if (!secret.is_object()) continue;
    const boost::json::value* flag = secret.get_object().if_contains("secret");
    bool is_secret = !flag || !flag->is_bool() || flag->get_bool();
    if (is_secret && secret.get_object().contains("value")) return true;
  }
  return false;
}

bool is_hex_value(std::string_view value) {
  return value.size() >= 16 && value.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

class Merger {
 public:
  explicit Merger(const Handshake& handshake) : handshake_(handshake) {}

  MergedRun run() {
    for (const Session* session : {handshake_.staple, handshake_.client, handshake_.server}) {
      if (session) sessions_.push_back(session);
    }
    for (const Session* session : handshake_.ca) {
      if (std::find(sessions_.begin(), sessions_.end(), session) == sessions_.end()) sessions_.push_back(session);
    }
    for (const Session* session : sessions_) {
      for (const TraceRecord* record : session->records) {
        if (!record->is_outcome) node_of(record);
      }
    }
    link_client_and_server();
    link_status_requests();
    link_staple();
    MergedRun run;
    run.notes = handshake_.notes;
    run.client_origin_ms = client_origin();
    estimate_clocks(run);
    order_events(run);
    merge_outcomes(run);
    for (const Session* session : sessions_) {
      for (const TraceRecord* record : session->records) {
        if (!record->plaintext.empty() || facts_show_secrets(*record)) run.show_secrets = true;
        for (const auto& [name, value] : record->fields) {
          if (is_secret_field(*record, name, value)) run.show_secrets = true;
        }
      }
    }
    return run;
  }

 private:
  std::size_t node_of(const TraceRecord* record) {
    auto found = node_.find(record);
    if (found != node_.end()) return found->second;
    nodes_.push_back({record});
    return node_[record] = nodes_.size() - 1;
  }
  // The two records are the same step: one node.
  void link(const TraceRecord* a, const TraceRecord* b) {
    std::size_t keep = node_of(a), gone = node_of(b);
    if (keep == gone) return;
    for (const TraceRecord* record : nodes_[gone]) {
      nodes_[keep].push_back(record);
      node_[record] = keep;
    }
    nodes_[gone].clear();
  }

  // Arrows between client and server: the n-th of each (arrow, from, to) in both.
  void link_client_and_server() {
    if (!handshake_.server) return;
    std::map<std::tuple<int, std::string, std::string>, int> seen;
    for (const TraceRecord* record : handshake_.client->records) {
      if (record->is_outcome || record->arrow == 0 || record->ahead_of_time) continue;
      if (record->from == "CA" || record->to == "CA") continue;
      int nth = seen[{record->arrow, record->from, record->to}]++;
      for (const TraceRecord* other : handshake_.server->records) {
        if (other->is_outcome || other->arrow != record->arrow || other->from != record->from ||
            other->to != record->to || other->ahead_of_time) {
          continue;
        }
        if (nth-- == 0) {
          link(record, other);
          break;
        }
      }
    }
  }

  // Each StatusRequest and its answer, as the requester and the CA saw them.
  void link_status_requests() {
    for (const auto& [request, ca] : handshake_.asked) {
      // A CA draws whoever fetches its CRL (PROTOCOL.md §9.3) or asks over HTTP as the Client.
      std::string asker = asker_in_ca_trace(*request);
      if (const TraceRecord* received = ca->arrow(3, asker, "CA")) link(request, received);
      const TraceRecord* answer_sent = ca->arrow(4, "CA", asker);
      // The requester's answer: its first arrow 4 from the CA after this request.
      for (const Session* session : sessions_) {
        auto at = std::find(session->records.begin(), session->records.end(), request);
        if (at == session->records.end()) continue;
        for (auto next = at + 1; next != session->records.end(); ++next) {
          if (!(*next)->is_outcome && (*next)->arrow == 4 && (*next)->from == "CA" && !(*next)->ahead_of_time) {
            if (answer_sent) link(answer_sent, *next);
            break;
          }
        }
      }
    }
  }

  // The client's word of the stapled arrows 3–4 (learned at arrow 2) and the server's fetch.
  void link_staple() {
    for (const TraceRecord* record : handshake_.client->records) {
      if (record->is_outcome || !record->ahead_of_time) continue;
      ahead_.push_back(record);
      const Session* fetch = handshake_.staple ? handshake_.staple : handshake_.staple_ca;
      if (!fetch) continue;
      if (const TraceRecord* real = fetch->arrow(record->arrow, record->from, record->to)) link(real, record);
    }
  }

  double client_origin() const {
    const TraceRecord* first = handshake_.client->records.front();
    return first->wall_ms - first->elapsed_ms;
  }

  void estimate_clocks(MergedRun& run) {
    double origin = client_origin();
    auto times_between = [&](const std::string& other, bool via_server) {
      std::vector<ArrowTimes> arrows;
      std::string reference = via_server ? "server" : "client";
      for (const auto& node : nodes_) {
        const TraceRecord *mine = nullptr, *theirs = nullptr;
        for (const TraceRecord* record : node) {
          if (record->ahead_of_time) continue;
          if (record->side == reference) mine = record;
          if (record->side == other) theirs = record;
        }
        if (!mine || !theirs) continue;
        double reference_ms = via_server ? mine->wall_ms + offset_["server"] - origin : mine->wall_ms - origin;
        arrows.push_back({participant(reference) == mine->from, reference_ms, theirs->wall_ms - origin});
      }
      return arrows;
    };
    offset_["client"] = 0;
    for (const std::string side : {"server", "ca"}) {
      auto arrows = times_between(side, false);
      bool via_server = arrows.empty() && side == "ca";  // the stapled run's CA spoke to the server only
      if (via_server) arrows = times_between(side, true);
      if (arrows.empty()) {
        // No arrow bounds it (a stapled run without the server's trace): its clock as it is.
        bool present =
            std::any_of(sessions_.begin(), sessions_.end(), [&](const Session* s) { return s->side == side; });
        if (present) run.clocks[side] = ClockEstimate{};
        continue;
      }
      ClockEstimate estimate = estimate_offset(arrows);
      // A program writes its record of a frame a moment after it sent or read it: records a
      // millisecond apart may cross. Only a real contradiction is worth a word.
      if (!estimate.consistent && *estimate.low_ms - *estimate.high_ms > contradiction_ms) {
        run.notes.push_back(
            "the " + participant(side) + "'s trace and the " + (via_server ? "Server" : "Client") + "'s disagree by " +
            std::to_string(static_cast<long long>(*estimate.low_ms - *estimate.high_ms)) +
            " ms on which frame came first (edited times?): the order follows each program's own order");
      }
      offset_[side] = estimate.offset_ms;
      run.clocks[side] = estimate;
    }
  }

  double timeline_ms(const TraceRecord& record) {
    if (record.side == "client") return record.elapsed_ms;
    return record.wall_ms + offset_[record.side] - client_origin();
  }

  void order_events(MergedRun& run) {
    std::vector<std::size_t> live;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (!nodes_[i].empty()) live.push_back(i);
    }
    std::vector<MergedStep> steps;
    std::map<std::size_t, std::size_t> step_of;  // node → step
    for (std::size_t node : live) {
      MergedStep step;
      step.records = nodes_[node];
      // The sender's record first, then the others as client, server, CA.
      std::stable_sort(step.records.begin(), step.records.end(), [](const TraceRecord* a, const TraceRecord* b) {
        auto rank = [](const TraceRecord* r) {
          if (participant(r->side) == r->from && !r->ahead_of_time) return 0;
          if (r->ahead_of_time) return 5;
          return r->side == "client" ? 1 : r->side == "server" ? 2 : 3;
        };
        return rank(a) < rank(b);
      });
      const TraceRecord& first = step.first();
      for (const TraceRecord* record : step.records) {
        if (!record->ahead_of_time) step.seen_at.emplace(record->side, timeline_ms(*record));
      }
      // Received after it was sent, on the one timeline: a receiver's record that the estimated
      // clocks put a moment before the sender's is read as received when sent.
      if (auto sent = step.seen_at.find(first.side); sent != step.seen_at.end() && !first.ahead_of_time) {
        for (auto& [side, ms] : step.seen_at) ms = std::max(ms, sent->second);
      }
      if (!first.ahead_of_time) {
        step.elapsed_ms = timeline_ms(first);
      } else {
        // Only the client's word of it: when the CA answered, from the staple's age at arrow 2.
        const TraceRecord* hello = handshake_.client->arrow(2, "Server", "Client");
        const boost::json::value* age = first.ahead_of_time->if_contains("age_s");
        double at_hello = hello ? hello->elapsed_ms : first.elapsed_ms;
        step.elapsed_ms = at_hello - (age && age->is_number() ? age->to_number<double>() * 1000 : 0) - 0.001;
        if (first.arrow == 3) step.elapsed_ms -= 0.001;
      }
      std::vector<std::string> flight = flight_bytes(first);
      for (const TraceRecord* other : step.records) {
        if (!other->bytes.empty() && !first.bytes.empty() && other->bytes != first.bytes) step.bytes_differ = true;
        std::vector<std::string> others = flight_bytes(*other);
        if (!flight.empty() && !others.empty() && others != flight) step.bytes_differ = true;
      }
      if (step.bytes_differ) {
        run.notes.push_back("arrow " + std::to_string(first.arrow) + " " + printable(first.message) + ": the bytes " +
                            first.from + " sent (" + first.origin.where() + ") are not the bytes " + first.to +
                            " received: the wire was changed between them");
      }
      step_of[node] = steps.size();
      steps.push_back(std::move(step));
    }
    std::vector<double> times;
    for (const MergedStep& step : steps) times.push_back(step.elapsed_ms);
    // What each side's order proves: whatever it saw before it sent a message (or took a local step)
    // came before that. A message it received after sending another proves nothing about when that
    // message was sent (messages cross): that order is kept where nothing contradicts it.
    std::vector<std::pair<std::size_t, std::size_t>> edges, kept_if_possible;
    for (const Session* session : sessions_) {
      const std::string me = participant(session->side);
      std::vector<std::size_t> since_last_own;  // the side's last own step, then what it received since
      for (const TraceRecord* record : session->records) {
        if (record->is_outcome || record->ahead_of_time) continue;
        std::size_t step = step_of[node_[record]];
        if (record->to == me && record->from != me) {
          if (!since_last_own.empty()) kept_if_possible.emplace_back(since_last_own.back(), step);
          since_last_own.push_back(step);
          continue;
        }
        for (std::size_t before : since_last_own) edges.emplace_back(before, step);
        since_last_own.assign(1, step);
      }
    }
    // The stapled arrows happened before the handshake: before arrow 1.
    if (const TraceRecord* hello = handshake_.client->arrow(1, "Client", "Server")) {
      for (const TraceRecord* record : ahead_) edges.emplace_back(step_of[node_[record]], step_of[node_[hello]]);
    }
    CausalOrder order = causal_order(times, edges, kept_if_possible);
    if (!order.consistent) run.notes.push_back("the traces disagree on the order of some steps: drawn by time there");
    for (std::size_t index : order.order) run.events.push_back(std::move(steps[index]));
  }

  void merge_outcomes(MergedRun& run) {
    std::vector<MergedStep> outcomes;
    for (const Session* session : sessions_) {
      for (const TraceRecord* record : session->records) {
        if (!record->is_outcome) continue;
        MergedStep* same = nullptr;
        if (!record->alert.empty()) {
          for (MergedStep& step : outcomes) {
            const TraceRecord& other = step.first();
            if (other.alert == record->alert && other.alert_from == record->alert_from &&
                other.alert_to == record->alert_to && !step.of(record->side)) {
              same = &step;
            }
          }
        }
        if (!same) {
          outcomes.emplace_back();
          same = &outcomes.back();
        }
        same->records.push_back(record);
        same->seen_at[record->side] = timeline_ms(*record);
      }
    }
    for (MergedStep& step : outcomes) {
      // The alert's sender first: its words say why.
      std::stable_sort(step.records.begin(), step.records.end(), [](const TraceRecord* a, const TraceRecord* b) {
        return (participant(a->side) == a->alert_from) > (participant(b->side) == b->alert_from);
      });
      step.elapsed_ms = step.seen_at[step.first().side];
      for (const TraceRecord* other : step.records) {
        if (!other->bytes.empty() && !step.first().bytes.empty() && other->bytes != step.first().bytes) {
          step.bytes_differ = true;
        }
      }
    }
    std::stable_sort(outcomes.begin(), outcomes.end(),
                     [](const MergedStep& a, const MergedStep& b) { return a.elapsed_ms < b.elapsed_ms; });
    run.outcomes = std::move(outcomes);
  }

  const Handshake& handshake_;
  std::vector<const Session*> sessions_;
  std::vector<std::vector<const TraceRecord*>> nodes_;
  std::map<const TraceRecord*, std::size_t> node_;
  std::vector<const TraceRecord*> ahead_;  // the client's ahead-of-time arrows
  std::map<std::string, double> offset_;
};

}  // namespace

const TraceRecord* MergedStep::of(std::string_view side) const {
  for (const TraceRecord* record : records) {
    if (record->side == side) return record;
  }
  return nullptr;
}

bool is_secret_field(const TraceRecord& record, std::string_view name, std::string_view value) {
  std::string color = record.color_of(name);
  if (color != "crimson" && color != "forestgreen") return false;
  // verify_data (12 bytes, arrows 6–7) is a MAC, not a secret; every secret is 16 bytes or more,
  // except the write IVs, which are shown with the keys on the SESSION MASTER KEY step.
  return is_hex_value(value) && (value.size() >= 32 || record.arrow == 0) &&
         record.bytes.find(value) == std::string::npos;
}

MergedRun merge_handshake(const Handshake& handshake) {
  return Merger(handshake).run();
}

}  // namespace tlslab::report
