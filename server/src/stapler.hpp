#pragma once
// Stapling on the server (PROTOCOL.md §9.1): arrows 3–4 between the server and the CA, ahead of
// time. The server asks the CA about its own certificate at start, keeps the signed answer (the
// staple), and refreshes it in the background: at half of its validity, at the latest one refresh
// interval after the last answer, and at once takes an answer whose status changed. When the CA is
// down it keeps the staple it has while that is valid, then stops stapling, and says so in its log.
// current() is called by every session, on any thread.
#include <spdlog/logger.h>

#include <chrono>
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

// §9.1 step 2: when to ask again after an answer: at half of its validity, and no later than
// `refresh` (at least 100 ms from now).
std::chrono::milliseconds refresh_delay(const crypto::VerifiedStatus& answer, std::time_t now,
                                        std::chrono::milliseconds refresh);
// §9.1 step 3: when to ask again after the `failures`-th failure in a row: 1 s, 2 s, 4 s, …, at
// most `refresh`.
std::chrono::milliseconds retry_delay(unsigned failures, std::chrono::milliseconds refresh);

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
  void keep(Staple staple, std::time_t now);

  const ServerIdentity& identity_;
  std::shared_ptr<const crypto::TrustStore> trust_;
  StaplerOptions options_;
  Trace& trace_;
  std::shared_ptr<spdlog::logger> log_;
  std::size_t max_staple_size_;  // what still fits a ServerHello frame (§2)

  mutable std::mutex mutex_;
  std::shared_ptr<const Staple> staple_;  // guarded by mutex_
  unsigned failures_ = 0;                 // in a row; used by the refresher only
  std::string last_failure_;
  std::chrono::milliseconds next_delay_{0};
};

}  // namespace tlslab::server
