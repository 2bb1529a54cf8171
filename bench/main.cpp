// tlslab-bench: a load generator that drives a running tlslab-server and tlslab-ca the way real
// clients do (full handshake with the CA check, each connection new), and reports throughput,
// latency percentiles and errors, as text or JSON. Bounded in time and count; loopback use.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <thread>

#include "crl_cache.hpp"
#include "load.hpp"
#include "tlslab/failure_reason.hpp"
#include "tlslab/net/listener.hpp"
#include "tlslab/net/status_client.hpp"
#include "tlslab/trace.hpp"

namespace {

using namespace tlslab;

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto index = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size()))) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tlslab-bench: load generator for tlslab-server and tlslab-ca (loopback)"};
  std::string connect = "127.0.0.1:4433", ca_service = "127.0.0.1:4434", trust, server_name = "localhost";
  std::string suites = "aes128gcm", groups = "x25519", mode_name = "handshake";
  double duration_s = 5;
  unsigned threads = 1;
  bool json = false;
  bench::LoadOptions options;
  app.add_option("--connect", connect, "server HOST:PORT")->capture_default_str();
  app.add_option("--ca-service", ca_service, "CA service HOST:PORT")->capture_default_str();
  app.add_option("--trust", trust, "trusted CA certificate (PEM)")->required();
  app.add_option("--server-name", server_name, "name expected in the server certificate")->capture_default_str();
  app.add_option("--suites", suites, "offered cipher suites")->capture_default_str();
  app.add_option("--groups", groups, "offered groups for the ECDHE suites")->capture_default_str();
  std::string ca_check = "direct";
  app.add_option("--ca-check", ca_check,
                 "how each handshake learns the certificate's status: direct (asks the CA), stapled (the server's "
                 "staple, no CA round trip), auto, crl (the CA's list, PROTOCOL.md §9.3)")
      ->capture_default_str();
  std::string crl_from, crl_cache;
  app.add_option("--crl-from", crl_from,
                 "with --ca-check crl: fetch the list from this http:// URL instead of the certificate's CRL "
                 "distribution point");
  app.add_option("--crl-cache", crl_cache,
                 "with --ca-check crl: keep the list in DIR as tlslab-client does (fetched once, then read from the "
                 "cache, verified again and looked up at each handshake until its nextUpdate)");
  app.add_option("--mode", mode_name, "handshake | requests | bulk | status | ocsp-http | hold")
      ->check(CLI::IsMember({"handshake", "requests", "bulk", "status", "ocsp-http", "hold"}))
      ->capture_default_str();
  app.add_option("--connections", options.connections, "concurrent workers")
      ->check(CLI::Range(1u, 10000u))
      ->capture_default_str();
  app.add_option("--duration", duration_s, "seconds to run (ignored with --handshakes)")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app.add_option("--handshakes,--operations", options.operations, "stop after this many operations in all");
  app.add_flag("--resume", options.resume,
               "handshake mode: each worker makes one full handshake that takes a session ticket (kept in memory), "
               "then every counted handshake offers it (PROTOCOL.md §7.8); those not resumed are counted apart");
  app.add_option("--bytes", options.bulk_bytes, "bulk: bytes per GET /bytes/N")->capture_default_str();
  app.add_option("--path", options.path, "requests: the path to GET")->capture_default_str();
  app.add_option("--certificate", options.status_certificate, "status, ocsp-http: the certificate to ask about");
  app.add_option("--issuer", options.issuer_certificate, "ocsp-http: the certificate's issuer (PEM)");
  app.add_option("--ocsp-url", options.ocsp_url, "ocsp-http: HOST:PORT of the OCSP responder");
  int handshake_timeout_ms = 10000, idle_timeout_ms = 30000;
  app.add_option("--handshake-timeout-ms", handshake_timeout_ms,
                 "deadline for a whole handshake (a stalled server is an error after this)")
      ->capture_default_str()
      ->check(CLI::Range(100, 600'000));
  app.add_option("--idle-timeout-ms", idle_timeout_ms, "deadline for each read after the handshake")
      ->capture_default_str()
      ->check(CLI::Range(100, 600'000));
  app.add_option("--threads", threads, "client threads")->check(CLI::Range(1u, 64u))->capture_default_str();
  app.add_flag("--json", json, "one JSON object instead of text");
  CLI11_PARSE(app, argc, argv);

  try {
    if (mode_name == "handshake") options.mode = bench::Mode::handshake;
    if (mode_name == "requests") options.mode = bench::Mode::requests;
    if (mode_name == "bulk") options.mode = bench::Mode::bulk;
    if (mode_name == "status") options.mode = bench::Mode::status;
    if (mode_name == "ocsp-http") options.mode = bench::Mode::ocsp_http;
    if (mode_name == "hold") options.mode = bench::Mode::hold;
    if (options.mode == bench::Mode::ocsp_http &&
        (options.status_certificate.empty() || options.issuer_certificate.empty() || options.ocsp_url.empty())) {
      throw std::runtime_error("--mode ocsp-http needs --certificate, --issuer and --ocsp-url");
    }
    if (options.resume && options.mode != bench::Mode::handshake)
      throw std::runtime_error("--resume is used only with --mode handshake");
    if (options.mode == bench::Mode::hold) options.operations = 0;  // one session per worker, for --duration
    net::raise_open_file_limit();
    if (options.mode == bench::Mode::status && options.status_certificate.empty()) {
      throw std::runtime_error("--mode status needs --certificate FILE (the server certificate to ask about)");
    }
    options.duration = std::chrono::milliseconds(static_cast<long long>(duration_s * 1000));
    client::ClientSettings settings;
    settings.server = net::parse_endpoint(connect);
    settings.ca_service = net::parse_endpoint(ca_service);
    settings.server_name = server_name;
    settings.trust_path = trust;
    settings.timeouts = {std::chrono::milliseconds(handshake_timeout_ms), std::chrono::milliseconds(idle_timeout_ms)};
    std::string suite_error;
    auto suite_list = parse_suite_list(suites, suite_error);
    if (!suite_list) throw std::runtime_error("--suites: " + suite_error);
    settings.suites = *suite_list;
    auto group_list = parse_group_list(groups, suite_error);
    if (!group_list) throw std::runtime_error("--groups: " + suite_error);
    settings.groups = *group_list;
    auto check = ca_check_from(ca_check);
    if (!check) throw std::runtime_error("--ca-check '" + ca_check + "' is not one of direct, stapled, auto, crl");
    settings.ca_check = *check;
    if ((!crl_from.empty() || !crl_cache.empty()) && settings.ca_check != CaCheck::crl) {
      throw std::runtime_error("--crl-from and --crl-cache are used only with --ca-check crl");
    }
    if (!crl_from.empty()) settings.crl_from = crl_from;
    if (!crl_cache.empty()) settings.crl_cache = std::make_shared<const client::CrlCache>(crl_cache);
    auto trust_store = crypto::TrustStore::from_pem_file(trust);

    asio::io_context io(static_cast<int>(threads));
    bench::Shared shared{settings, trust_store, options, {}, {}};
    std::vector<bench::WorkerStats> stats(options.connections);
    // The answers' checks: as many threads as send requests, so that checking keeps up.
    if (options.mode == bench::Mode::status) shared.checks.start(threads);
    auto started = std::chrono::steady_clock::now();
    shared.deadline = started + options.duration;
    for (auto& worker : stats) {
      // A worker that ends on an exception is counted and named in the result, never lost.
      asio::co_spawn(io, bench::run_worker(shared, worker), [&worker](const std::exception_ptr& error) {
        if (!error) return;
        ++worker.errors;
        if (worker.first_error.empty()) worker.first_error = failure_reason(error);
      });
    }
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& thread : pool) thread.join();
    bench::WorkerStats checked;
    shared.checks.finish(checked);
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    bench::WorkerStats total = std::move(checked);
    for (auto& worker : stats) {
      total.operations += worker.operations;
      total.bytes += worker.bytes;
      total.errors += worker.errors;
      total.resumed += worker.resumed;
      total.not_resumed += worker.not_resumed;
      total.latencies_ms.insert(total.latencies_ms.end(), worker.latencies_ms.begin(), worker.latencies_ms.end());
      if (total.first_error.empty()) total.first_error = worker.first_error;
    }
    std::sort(total.latencies_ms.begin(), total.latencies_ms.end());
    double rate = static_cast<double>(total.operations) / elapsed;
    double mib_s = static_cast<double>(total.bytes) / elapsed / (1024.0 * 1024.0);
    double p50 = percentile(total.latencies_ms, 50), p90 = percentile(total.latencies_ms, 90),
           p99 = percentile(total.latencies_ms, 99);
    // --resume: how many counted handshakes were resumed, and how many were full ones instead.
    std::string resumption;
    if (options.resume) {
      resumption =
          ",\"resumed\":" + std::to_string(total.resumed) + ",\"not_resumed\":" + std::to_string(total.not_resumed);
    }
    if (json) {
      std::printf(
          "{\"mode\":%s,\"connections\":%u,\"seconds\":%.3f,\"operations\":%llu,\"errors\":%llu%s,"
          "\"per_second\":%.1f,\"mib_per_second\":%.1f,\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f},"
          "\"first_error\":%s}\n",
          json_string(mode_name).c_str(), options.connections, elapsed,
          static_cast<unsigned long long>(total.operations), static_cast<unsigned long long>(total.errors),
          resumption.c_str(), rate, mib_s, p50, p90, p99, json_string(total.first_error).c_str());
    } else {
      const char* unit = options.mode == bench::Mode::handshake || options.mode == bench::Mode::hold ? "handshakes"
                         : options.mode == bench::Mode::status || options.mode == bench::Mode::ocsp_http
                             ? "status responses"
                             : "requests";
      std::printf("tlslab-bench: mode %s, %u connection(s), %.2f s\n", mode_name.c_str(), options.connections, elapsed);
      std::printf("  %-18s %llu (%.1f/s)\n", unit, static_cast<unsigned long long>(total.operations), rate);
      if (options.resume) {
        std::printf("  %-18s %llu resumed, %llu not resumed (full handshakes instead)\n", "resumption",
                    static_cast<unsigned long long>(total.resumed), static_cast<unsigned long long>(total.not_resumed));
      }
      if (total.bytes) std::printf("  %-18s %.1f MiB/s\n", "throughput", mib_s);
      std::printf("  %-18s p50 %.3f ms, p90 %.3f ms, p99 %.3f ms\n", "latency", p50, p90, p99);
      std::printf("  %-18s %llu%s%s\n", "errors", static_cast<unsigned long long>(total.errors),
                  total.first_error.empty() ? "" : ", first: ", total.first_error.c_str());
    }
    return total.errors == 0 && total.operations > 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlslab-bench: %s\n", e.what());
    return 1;
  }
}
