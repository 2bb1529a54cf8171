#include "clock_offsets.hpp"

#include <algorithm>

namespace tlslab::report {

ClockEstimate estimate_offset(const std::vector<ArrowTimes>& arrows) {
  ClockEstimate estimate;
  for (const ArrowTimes& arrow : arrows) {
    // other + offset >= reference when the reference sent it; <= when the other program did.
    double bound = arrow.reference_ms - arrow.other_ms;
    if (arrow.sent_by_reference) {
      estimate.low_ms = estimate.low_ms ? std::max(*estimate.low_ms, bound) : bound;
    } else {
      estimate.high_ms = estimate.high_ms ? std::min(*estimate.high_ms, bound) : bound;
    }
    ++estimate.arrows;
  }
  double low = estimate.low_ms.value_or(-1e300), high = estimate.high_ms.value_or(1e300);
  if (low > high) estimate.consistent = false;
  if (low <= 0 && 0 <= high) {
    estimate.offset_ms = 0;
  } else if (estimate.low_ms && estimate.high_ms) {
    estimate.offset_ms = (low + high) / 2;
  } else {
    estimate.offset_ms = estimate.low_ms ? low : high;
  }
  return estimate;
}

}  // namespace tlslab::report
