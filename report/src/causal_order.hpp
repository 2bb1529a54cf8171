#pragma once
// The merged steps in causal order: each program's own steps keep their order, an arrow both ends
// saw is one step (so it comes after what its sender did before it and before what its receiver
// did after it), and among steps that causality leaves free, the earlier on the common timeline
// first. A topological sort (Kahn's), the timeline breaking ties.
#include <cstddef>
#include <utility>
#include <vector>

namespace tlslab::report {

struct CausalOrder {
  std::vector<std::size_t> order;
  bool consistent = true;  // false: the chains contradict each other (a cycle); broken by time
};

// `chains`: each program's steps in its order (indices into `times`); `edges`: more (before, after).
CausalOrder causal_order(const std::vector<double>& times, const std::vector<std::vector<std::size_t>>& chains,
                         const std::vector<std::pair<std::size_t, std::size_t>>& edges);

}  // namespace tlslab::report
