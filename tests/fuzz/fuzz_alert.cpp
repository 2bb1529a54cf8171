// Alerts (PROTOCOL.md §8), as either peer reads them: the 2-byte fragment of an `alert` frame or
// the content of a protected frame of inner type alert. An alert that decodes must encode back to
// the same two bytes (unknown descriptions are kept as they are, and treated as fatal).
// Seeds: tests/fuzz/corpus/fuzz_alert/ (make_corpus.py).
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tlslab;
  ByteView fragment(data, size);
  auto alert = Alert::decode(fragment);
  if (!alert) {
    fuzz::require(alert.failure().alert == AlertDescription::decode_error ||
                      alert.failure().alert == AlertDescription::illegal_parameter,
                  "a bad alert is decode_error or illegal_parameter");
    return 0;
  }
  fuzz::require(size == 2, "a decoded alert is 2 bytes");
  fuzz::require(alert->level == AlertLevel::warning || alert->level == AlertLevel::fatal, "level is 1 or 2");
  if (!fuzz::same_bytes(alert->encode(), fragment)) fuzz::violated("re-encoding an alert does not reproduce its bytes");
  // What the receiver logs: the name, or "unknown_alert" for a code this version does not define.
  auto known = alert_description_from(data[1]);
  fuzz::require(known.has_value() == (to_string(alert->description) != "unknown_alert"),
                "to_string and alert_description_from disagree on which codes are known");
  return 0;
}
