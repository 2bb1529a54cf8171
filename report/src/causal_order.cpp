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

// The edges of `causal`, and of `kept_if_possible` (each unless `checked` and it would close a cycle).
struct Graph {
  std::vector<std::set<std::size_t>> after;
  std::vector<std::size_t> waiting;
};
Graph graph_of(std::size_t n, const std::vector<std::pair<std::size_t, std::size_t>>& causal,
               const std::vector<std::pair<std::size_t, std::size_t>>& kept_if_possible, bool checked) {
  Graph graph{std::vector<std::set<std::size_t>>(n), std::vector<std::size_t>(n, 0)};
  auto add = [&](std::size_t before, std::size_t later) {
    if (before != later && graph.after[before].insert(later).second) ++graph.waiting[later];
  };
  for (const auto& [before, later] : causal) add(before, later);
  for (const auto& [before, later] : kept_if_possible) {
    if (before == later || graph.after[before].count(later) != 0) continue;
    if (!checked || !reaches(graph.after, later, before)) add(before, later);
  }
  return graph;
}

// Kahn's sort, the earlier time first among the ready; a cycle is broken by time.
CausalOrder sorted(const std::vector<double>& times, Graph graph) {
  CausalOrder result;
  std::set<std::pair<double, std::size_t>> ready, pending;
  for (std::size_t i = 0; i < times.size(); ++i) (graph.waiting[i] == 0 ? ready : pending).insert({times[i], i});
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
    for (std::size_t later : graph.after[step]) {
      if (graph.waiting[later] == 0) continue;  // already released by the cycle breaker
      if (--graph.waiting[later] == 0 && pending.erase({times[later], later})) ready.insert({times[later], later});
    }
  }
  return result;
}

// Past this many steps a crossing is not looked for (each check searches the graph): the order is
// then drawn by time where the traces disagree, and said so.
constexpr std::size_t max_steps_for_crossings = 4096;

}  // namespace

CausalOrder causal_order(const std::vector<double>& times,
                         const std::vector<std::pair<std::size_t, std::size_t>>& causal,
                         const std::vector<std::pair<std::size_t, std::size_t>>& kept_if_possible) {
  // Every program's whole order first (linear); only when that contradicts itself are the orders
  // that messages crossing explain left out, one search per edge.
  CausalOrder strict = sorted(times, graph_of(times.size(), causal, kept_if_possible, false));
  if (strict.consistent || times.size() > max_steps_for_crossings) return strict;
  return sorted(times, graph_of(times.size(), causal, kept_if_possible, true));
}

}  // namespace tlslab::report
