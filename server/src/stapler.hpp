#pragma once
// Stapling on the server (PROTOCOL.md §9.1): arrows 3–4 between the server and the CA, ahead of
// time. The server asks the CA about its own certificate at start, keeps the signed answer (the
// staple), and refreshes it in the background: at half of its validity, at the latest one refresh
// interval after the last answer, and at once takes an answer whose status changed. When the CA is
// down it keeps the staple it has while that is valid, then stops stapling, and says so in its log.
// current() is called by every session, on any thread.
#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "server_config.hpp"
#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/net/channel.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::server {

// A staple: the CA's answer as it came, and what the server found in it.
struct Staple {
  Bytes ocsp_response;
  crypto::VerifiedStatus status;
};

struct StaplerOptions {
  tcp::endpoint ca_service;                                    // --staple-from
  std::chrono::milliseconds refresh{std::chrono::minutes(5)};  // --staple-refresh-ms: the longest between answers
  net::Timeouts timeouts;                                      // for each request to the CA
};

// Every delay the stapler waits lies within these bounds. The times in an answer are the CA's to
// choose (or an attacker's who holds its key): a nextUpdate in 9999 is 253 billion seconds away,
// and a steady_clock time point that far overflows its 64-bit nanoseconds (undefined behaviour; in
// practice a time in the past, and a timer that fired at once, for ever: 7.5 s of CPU in 10 s).
// --staple-refresh-ms allows at most a day.
inline constexpr std::chrono::milliseconds shortest_delay{100};
inline constexpr std::chrono::milliseconds longest_delay = std::chrono::hours(24);

// What an answer's times say on arrival: before half of its validity, past it, or past nextUpdate
// (the CA's verification allows 300 s of clock skew, so such an answer still checks).
enum class AnswerAge : std::uint8_t { fresh, late, stale };
AnswerAge answer_age(const crypto::VerifiedStatus& answer, std::time_t now);

// What the stapler does after an answer that checked.
struct RefreshPlan {
  AnswerAge age;
  std::chrono::milliseconds delay;  // until the next question
  unsigned setbacks;                // refreshes in a row that brought no fresh answer, this one included
};
// §9.1 step 2, given the `setbacks` before this answer (failures, answers stale or late on arrival):
// - fresh: at half of its validity, no later than `refresh`; the setbacks end;
// - late (past half, still valid): stapled, and asked again once after 100 ms (the CA may have
//   had an old answer at hand), then as after a failure: the CA's next answer is likely no better
//   (its clock is behind, or it hands out answers signed ahead of time);
// - stale (nextUpdate already passed): not stapled; a failed fetch.
// Asking sooner would gain nothing: it spun at 100 ms (99 questions and 201 log lines in 10 s).
RefreshPlan plan_refresh(const crypto::VerifiedStatus& answer, std::time_t now, unsigned setbacks,
                         std::chrono::milliseconds refresh);
// The delay of plan_refresh for a first answer (no setbacks before it).
std::chrono::milliseconds refresh_delay(const crypto::VerifiedStatus& answer, std::time_t now,
                                        std::chrono::milliseconds refresh);
// §9.1 step 3: when to ask again after the `failures`-th setback in a row: 1 s, 2 s, 4 s, …, at
// most `refresh`.
std::chrono::milliseconds retry_delay(unsigned failures, std::chrono::milliseconds refresh);

// When to wake to drop a held staple whose nextUpdate is `next_update` (a second after it): never
// before `steady_now`, never more than longest_delay after it.
net::Clock::time_point expiry_wake(net::Clock::time_point steady_now, std::time_t next_update, std::time_t now);

class Stapler {
 public:
  // `trust`: the CA certificate that signs the answers (--staple-trust).
  Stapler(const ServerIdentity& identity, std::shared_ptr<const crypto::TrustStore> trust, StaplerOptions options,
          Trace& trace, std::shared_ptr<spdlog::logger> log);

  // The staple to put in a ServerHello now: nullptr when none is held or it has expired.
  [[nodiscard]] std::shared_ptr<const Staple> current(std::time_t now = std::time(nullptr)) const;

  // Asks the CA once, in this thread, within the request deadline (at start, before listening).
  void start();
  // The background refresh, for ever (until its io_context stops). Never throws for a CA failure.
  awaitable<void> run();

 private:
  // One question to the CA; true when it answered something worth stapling.
  awaitable<bool> refresh_once();
  // Drops a held staple whose nextUpdate has passed, saying why (once).
  void expire(std::time_t now);
  void keep(Staple staple);
  // One line, once until a fresh answer comes, when the CA's answers arrive stale or late.
  void explain(const crypto::VerifiedStatus& answer, AnswerAge age, std::time_t now);

  const ServerIdentity& identity_;
  std::shared_ptr<const crypto::TrustStore> trust_;
  StaplerOptions options_;
  Trace& trace_;
  std::shared_ptr<spdlog::logger> log_;
  std::size_t max_staple_size_;  // what still fits a ServerHello frame (§2)

  mutable std::mutex mutex_;
  std::shared_ptr<const Staple> staple_;  // guarded by mutex_
  unsigned setbacks_ = 0;                 // refreshes in a row that brought no fresh answer; used by the refresher only
  bool explained_ = false;                // the stale or late answers were explained (until a fresh one)
  std::string last_failure_;
  std::chrono::milliseconds next_delay_{0};
};

}  // namespace tlslab::server
