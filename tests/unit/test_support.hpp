#pragma once
// Small helpers shared by the unit tests: readable alert names in GoogleTest messages, and the
// alert of a Result (nullopt when it succeeded) so that one EXPECT_EQ says both "it failed" and
// "with this alert".
#include <cstdint>
#include <optional>
#include <ostream>

#include "tlslab/alert.hpp"
#include "tlslab/cipher_suite.hpp"
#include "tlslab/result.hpp"

namespace tlslab {

// Found by GoogleTest through ADL: failures print "decode_error(50)" instead of raw bytes.
inline void PrintTo(AlertDescription alert, std::ostream* out) {
  *out << to_string(alert) << '(' << static_cast<int>(alert) << ')';
}

inline void PrintTo(CipherSuite suite, std::ostream* out) {
  *out << suite_name(static_cast<std::uint16_t>(suite));
}

namespace test {

template <class T>
std::optional<AlertDescription> alert_of(const Result<T>& result) {
  if (result.ok()) return std::nullopt;
  return result.failure().alert;
}

}  // namespace test
}  // namespace tlslab
