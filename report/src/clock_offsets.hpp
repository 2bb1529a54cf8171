#pragma once
// Each program's clock against the client's. The programs' wall clocks may disagree (three
// machines, or a shifted clock); what cannot disagree is causality: a frame is received after it
// is sent. Each arrow both ends saw bounds the offset: one sent by the client gives a lower bound
// (the server's clock plus the offset is at least the client's), one sent back an upper bound,
// as NTP's round trip does. Inside the bounds the clocks are taken as they are when they already
// agree (offset 0), else the middle of the bounds.
#include <optional>
#include <vector>

namespace tlslab::report {

struct ClockEstimate {
  double offset_ms = 0;  // add to this program's wall clock to read the reference's
  std::optional<double> low_ms, high_ms;
  int arrows = 0;          // how many arrows bounded it
  bool consistent = true;  // false: the bounds cross (the traces contradict causality)
};

// One arrow both ends saw, as two wall-clock times, the reference's already on its own timeline.
struct ArrowTimes {
  bool sent_by_reference = false;
  double reference_ms = 0;  // when the reference sent (or received) it
  double other_ms = 0;      // when the other program received (or sent) it, on its own clock
};

ClockEstimate estimate_offset(const std::vector<ArrowTimes>& arrows);

}  // namespace tlslab::report
