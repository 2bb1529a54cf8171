#include "causal_order.hpp"

#include <set>
#include <tuple>

namespace tlslab::report {

CausalOrder causal_order(const std::vector<double>& times, const std::vector<std::vector<std::size_t>>& chains,
                         const std::vector<std::pair<std::size_t, std::size_t>>& edges) {
  std::size_t n = times.size();
  std::vector<std::set<std::size_t>> after(n);
  std::vector<std::size_t> waiting(n, 0);
  auto add = [&](std::size_t before, std::size_t later) {
    if (before != later && after[before].insert(later).second) ++waiting[later];
  };
  for (const auto& chain : chains) {
    for (std::size_t i = 1; i < chain.size(); ++i) add(chain[i - 1], chain[i]);
  }
  for (const auto& [before, later] : edges) add(before, later);

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
