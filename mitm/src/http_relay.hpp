#pragma once
// The client's CRL fetch relayed (PROTOCOL.md §9.3, Link::crl): one HTTP/1.1 request per
// connection, read whole from the client (GET or HEAD, a head of at most 8 KiB, no body), then
// relayed to the CA's HTTP listener with `Connection: close`, or answered by the attack itself;
// the CA's answer relayed back as it comes, at most max_crl_size plus 16 KiB of head. The whole
// exchange has one deadline (`deadline`): a stalled or trickling side costs a bounded wait and one
// log line. Anything else the client sends is answered 400 and closed, with a one-line reason.
#include <spdlog/logger.h>

#include <chrono>
#include <memory>

#include "attacks.hpp"
#include "tlslab/net/asio.hpp"

namespace tlslab::mitm {

inline constexpr std::size_t max_http_request_head = 8 * 1024;

awaitable<void> relay_http_connection(tcp::socket downstream, std::uint64_t id, tcp::endpoint upstream,
                                      const AttackInfo& info, const AttackOptions& options,
                                      std::shared_ptr<spdlog::logger> log,
                                      std::chrono::milliseconds deadline = std::chrono::seconds(60));

}  // namespace tlslab::mitm
