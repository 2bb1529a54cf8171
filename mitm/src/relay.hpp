#pragma once
// One relayed connection: frames read whole from each side, handed to the attack, and what it
// returns written on. Ends when either side closes, or when neither side has completed a frame
// for `idle` (a stalled or trickling peer, on either side, costs a bounded wait and one log line).
#include <spdlog/logger.h>

#include <chrono>
#include <memory>

#include "attacks.hpp"
#include "tlslab/net/asio.hpp"

namespace tlslab::mitm {

awaitable<void> relay_connection(tcp::socket downstream, std::uint64_t id, tcp::endpoint upstream,
                                 const AttackInfo& info, const AttackOptions& options,
                                 std::shared_ptr<spdlog::logger> log,
                                 std::chrono::milliseconds idle = std::chrono::seconds(60));

}  // namespace tlslab::mitm
