#pragma once
// tlslab-bench's workers: each drives the real protocol the way tlslab-client does (the same
// handshake code, CA check included), in a loop, and records one latency sample per operation.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "client_config.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/net/asio.hpp"

namespace tlslab::bench {

enum class Mode { handshake, requests, bulk, status, ocsp_http, hold };

struct LoadOptions {
  Mode mode = Mode::handshake;
  unsigned connections = 8;
  std::chrono::milliseconds duration{5000};
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
  std::vector<double> latencies_ms;
  std::string first_error;
};

struct Shared {
  const client::ClientSettings& settings;
  const crypto::TrustStore& trust;
  const LoadOptions& options;
  std::chrono::steady_clock::time_point deadline;
  std::atomic<std::uint64_t> started{0};
  std::atomic<unsigned> handshakes_in_flight{0};  // hold mode ramps up: at most 64 at a time

  // Claims the next operation; false when the run is over (by count or by time).
  bool claim();
};

awaitable<void> run_worker(Shared& shared, WorkerStats& stats);

}  // namespace tlslab::bench
