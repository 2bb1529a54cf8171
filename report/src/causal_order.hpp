#pragma once
// The merged steps in causal order: an arrow both ends saw is one step, so it comes after what its
// sender saw or did before sending it, and before what its receiver did after receiving it; each
// program's own order is kept too, except where messages crossed (one side read a message only after
// it had sent another that the sender of the first received later: TLS 1.3's tickets and the client's
// request). Among steps left free, the earlier on the common timeline first. A topological sort
// (Kahn's), the timeline breaking ties.
#include <cstddef>
#include <utility>
#include <vector>

namespace tlslab::report {

struct CausalOrder {
  std::vector<std::size_t> order;
  bool consistent = true;  // false: the edges contradict each other (a cycle); broken by time
};

// `causal`: (before, after) pairs that must hold, indices into `times`; when they contradict each other
// the order is not consistent (a cycle, broken by time). `kept_if_possible`: each program's own order of
// what it received, added one by one unless it would contradict what is already there.
CausalOrder causal_order(const std::vector<double>& times,
                         const std::vector<std::pair<std::size_t, std::size_t>>& causal,
                         const std::vector<std::pair<std::size_t, std::size_t>>& kept_if_possible);

}  // namespace tlslab::report
