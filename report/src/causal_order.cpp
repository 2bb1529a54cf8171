#include "causal_order.hpp"

#include <set>
#include <tuple>

namespace tlslab::report {

namespace {

// Whether `to` can be reached from `from` along `after`.
bool reaches(const std::vector<std::set<std::size_t>>& after, std::size_t from, std::size_t to) {
  std::vector<bool> seen(after.size(), false);
  std::vector<std::size_t> stack{from};
  seen[from] = true;
  while (!stack.empty()) {
    std::size_t node = stack.back();
    stack.pop_back();
    if (node == to) return true;
    for (std::size_t next : after[node]) {
      if (!seen[next]) {
        seen[next] = true;
        stack.push_back(next);
      }
    }
  }
  return false;
}

}  // namespace

CausalOrder causal_order(const std::vector<double>& times,
                         const std::vector<std::pair<std::size_t, std::size_t>>& causal,
                         const std::vector<std::pair<std::size_t, std::size_t>>& kept_if_possible) {
  std::size_t n = times.size();
  std::vector<std::set<std::size_t>> after(n);
  std::vector<std::size_t> waiting(n, 0);
  auto add = [&](std::size_t before, std::size_t later) {
    if (before != later && after[before].insert(later).second) ++waiting[later];
  };
  for (const auto& [before, later] : causal) add(before, later);
  // A program's order that a crossing contradicts is left out. The search runs only for an edge not
  // there yet, over a few dozen steps a session has.
  for (const auto& [before, later] : kept_if_possible) {
    if (before == later || after[before].count(later) != 0) continue;
    if (!reaches(after, later, before)) add(before, later);
  }

  CausalOrder result;
  std::set<std::pair<double, std::size_t>> ready, pending;
  for (std::size_t i = 0; i < n; ++i) (waiting[i] == 0 ? ready : pending).insert({times[i], i});
  while (!ready.empty() || !pending.empty()) {
    if (ready.empty()) {
      // A cycle: the traces disagree. Take the earliest and go on rather than drop steps.
      result.consistent = false;
      ready.insert(*pending.begin());
      pending.erase(pending.begin());
    }
    auto [time, step] = *ready.begin();
    ready.erase(ready.begin());
    result.order.push_back(step);
    for (std::size_t later : after[step]) {
      if (waiting[later] == 0) continue;  // already released by the cycle breaker
      if (--waiting[later] == 0 && pending.erase({times[later], later})) ready.insert({times[later], later});
    }
  }
  return result;
}

}  // namespace tlslab::report
