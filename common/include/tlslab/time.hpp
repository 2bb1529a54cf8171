#pragma once
// Times as every tlslab program prints them: ISO 8601, UTC, to the second.
#include <ctime>
#include <string>

namespace tlslab {

std::string utc_time(std::time_t when);  // 2026-11-29T08:06:35Z

}  // namespace tlslab
