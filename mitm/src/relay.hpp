#pragma once
// One relayed connection: frames read whole from each side, handed to the attack, and what it
// returns written on. Ends when either side closes.
#include <spdlog/logger.h>

#include <memory>

#include "attacks.hpp"
#include "tlslab/net/asio.hpp"

namespace tlslab::mitm {

awaitable<void> relay_connection(tcp::socket downstream, std::uint64_t id, tcp::endpoint upstream,
                                 const AttackInfo& info, const AttackOptions& options,
                                 std::shared_ptr<spdlog::logger> log);

}  // namespace tlslab::mitm
