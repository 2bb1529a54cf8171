#pragma once
// tlslab-bench's workers: each drives the real protocol the way tlslab-client does (the same
// handshake code, CA check included), in a loop, and records one latency sample per operation.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "client_config.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/net/asio.hpp"

namespace tlslab::bench {

enum class Mode { handshake, requests, bulk, status, ocsp_http, hold };

struct LoadOptions {
  Mode mode = Mode::handshake;
  unsigned connections = 8;
  std::chrono::milliseconds duration{5000};
  // --resume (handshake mode): each worker's first handshake is a full one that takes a session
  // ticket, kept in memory; every counted handshake after it offers the ticket (PROTOCOL.md §7.8).
  bool resume = false;
  std::uint64_t operations = 0;  // --handshakes K: stop after K operations in all (0: by duration)
  std::uint64_t bulk_bytes = std::uint64_t{256} << 20;  // the server's default --max-generated-bytes
  std::string path = "/";
  std::string status_certificate;  // --mode status / ocsp-http: the certificate to ask the CA about
  std::string issuer_certificate;  // --mode ocsp-http: its issuer (for the CertID)
  std::string ocsp_url;            // --mode ocsp-http: HOST:PORT of an OCSP responder
};

struct WorkerStats {
  std::uint64_t operations = 0;
  std::uint64_t bytes = 0;
  std::uint64_t errors = 0;
  // --resume: the counted handshakes the server resumed, and those it did not (a full handshake
  // instead: the row would measure full handshakes if these were not counted apart).
  std::uint64_t resumed = 0;
  std::uint64_t not_resumed = 0;
  std::vector<double> latencies_ms;
  std::string first_error;
};

// --mode status verifies every answer on threads of its own, so that the next request is sent as
// soon as the answer is in: the row measures the CA, not this client's signature checks (which ran
// on the same thread as the requests before). Every answer is still verified, and one that fails
// is an error. Thread-safe.
class AnswerChecks {
 public:
  // At most this many answers wait for their check: a worker pauses while the checks lag behind.
  static constexpr unsigned max_waiting = 256;
  void start(unsigned threads) { pool_.emplace(threads); }
  // Runs `check` (which throws on a bad answer) on a check thread.
  void post(std::function<void()> check);
  [[nodiscard]] bool lagging() const { return waiting_.load() >= max_waiting; }
  // Waits for every check posted, then adds their outcome to `total`.
  void finish(WorkerStats& total);

 private:
  std::optional<boost::asio::thread_pool> pool_;
  std::atomic<unsigned> waiting_{0};
  std::mutex mutex_;  // guards verified_ and failed_
  WorkerStats verified_;
};

struct Shared {
  const client::ClientSettings& settings;
  const crypto::TrustStore& trust;
  const LoadOptions& options;
  std::chrono::steady_clock::time_point deadline;
  std::atomic<std::uint64_t> started{0};
  std::atomic<unsigned> handshakes_in_flight{0};  // hold mode ramps up: at most 64 at a time
  AnswerChecks checks{};                          // status mode: where answers are verified

  // Claims the next operation; false when the run is over (by count or by time).
  bool claim();
};

awaitable<void> run_worker(Shared& shared, WorkerStats& stats);

}  // namespace tlslab::bench
