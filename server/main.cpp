// tlslab-server: the Server of the diagram. Answers ClientHello with its CERTIFICATE and PUBLIC
// KEY, decrypts the PRE-MASTER, checks the client's test message, answers the ACK, then serves
// encrypted HTTP requests.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <thread>

#include <unistd.h>

#include "server_session.hpp"
#include "tlslab/logging.hpp"
#include "tlslab/private_file.hpp"
#include "tlslab/net/listener.hpp"
#include "tlslab/net/status_client.hpp"

int main(int argc, char** argv) {
  using namespace tlslab;
  CLI::App app{"tlslab-server: the Server side of the handshake, then encrypted HTTP/1.1"};
  app.set_version_flag("--version", "tlslab-server 1.0.0 (protocol tlslab/1.0)");
  std::string cert_path, key_path, listen = "127.0.0.1:4433", suites = "aes128gcm,chacha20,aes256gcm";
  std::string www, keylog, trace_json, log_level = "info";
  unsigned threads = 0;
  int handshake_timeout_ms = 10000, idle_timeout_ms = 30000;
  std::size_t max_connections = 4096;
  std::uint64_t max_generated_bytes = std::uint64_t{256} << 20;
  bool quiet = false, show_secrets = false;
  app.add_option("--cert", cert_path, "server certificate (PEM), e.g. from 'tlslab-ca issue'")->required();
  app.add_option("--key", key_path, "server private key (PEM, RSA >= 2048)")->required();
  app.add_option("--listen", listen, "ADDR:PORT to listen on (port 0: any free port)")->capture_default_str();
  app.add_option("--www", www, "serve files from this directory (default: a built-in session page at /)");
  app.add_option("--suites", suites, "accepted cipher suites in preference order: aes128gcm, chacha20, aes256gcm")
      ->capture_default_str();
  app.add_option("--threads", threads, "worker threads (0: one per core)")->capture_default_str();
  app.add_option("--keylog", keylog, "append NSS key-log lines here (default: $SSLKEYLOGFILE)");
  app.add_option("--trace-json", trace_json, "write the trace as JSON Lines to this file");
  app.add_flag("--quiet", quiet, "no step-by-step trace");
  app.add_flag("--show-secrets", show_secrets, "show PRE-MASTER, SESSION MASTER KEY and record keys in the trace");
  app.add_option("--handshake-timeout-ms", handshake_timeout_ms, "deadline for a whole handshake")
      ->capture_default_str()
      ->check(CLI::Range(100, 600000));
  app.add_option("--idle-timeout-ms", idle_timeout_ms, "idle time allowed after the handshake")
      ->capture_default_str()
      ->check(CLI::Range(100, 3600000));
  app.add_option("--max-connections", max_connections,
                 "concurrent connections before refusing (each holds about 90 KiB while busy)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  app.add_option("--max-generated-bytes", max_generated_bytes, "largest N that GET /bytes/N serves")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  ProgramLog program_log("tlslab-server", spdlog::level::from_str(log_level));
  const auto& log = program_log.logger();
  try {
    auto endpoint = net::parse_endpoint(listen);
    server::ServerSettings settings;
    std::string suite_error;
    auto suite_list = parse_suite_list(suites, suite_error);
    if (!suite_list) throw std::runtime_error("--suites: " + suite_error);
    settings.suites = *suite_list;
    if (!www.empty()) {
      if (!std::filesystem::is_directory(www)) throw std::runtime_error("--www '" + www + "' is not a directory");
      settings.www = std::filesystem::canonical(www);  // targets are checked against the real path
    }
    settings.max_generated_bytes = max_generated_bytes;
    settings.timeouts = {std::chrono::milliseconds(handshake_timeout_ms), std::chrono::milliseconds(idle_timeout_ms)};
    if (!keylog.empty()) {
      settings.keylog = keylog;
    } else if (const char* env = std::getenv("SSLKEYLOGFILE"); env && *env) {
      settings.keylog = env;
    }
    if (settings.keylog) ::close(open_private_append(*settings.keylog, "key log"));  // refused now, not per session
    auto identity = server::ServerIdentity::load(cert_path, key_path);
    TraceOptions trace_options;
    trace_options.text = !quiet;
    trace_options.color = wants_color(stdout);
    trace_options.show_secrets = show_secrets;
    trace_options.side = "server";
    if (!trace_json.empty()) trace_options.json_path = trace_json;
    Trace trace(trace_options);
    net::raise_open_file_limit();

    unsigned worker_threads = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
    net::IoPool pool(worker_threads);
    tcp::acceptor acceptor = net::bind_acceptor(pool.main(), endpoint);
    auto next_id = std::make_shared<std::atomic<std::uint64_t>>(0);
    server::ServerContext context{identity, settings, trace, log, {}};
    asio::co_spawn(pool.main(),
                   net::accept_loop(
                       acceptor, pool,
                       [&](tcp::socket socket, std::uint64_t id) {
                         return server::serve_connection(std::move(socket), id, context);
                       },
                       log, net::ListenerOptions{max_connections}, next_id),
                   asio::detached);
    auto bound = acceptor.local_endpoint();
    std::printf("tlslab-server: listening on %s:%u\n", bound.address().to_string().c_str(), bound.port());
    std::printf("tlslab-server: CERTIFICATE %s, serial %s\n", identity.subject.c_str(), identity.serial.c_str());
    if (settings.keylog) std::printf("tlslab-server: key log %s\n", settings.keylog->c_str());
    std::fflush(stdout);
    pool.run_until_signal([&] {
      boost::system::error_code ignored;
      acceptor.close(ignored);
      log->info("stopping: signal received");
    });
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlslab-server: %s\n", e.what());
    return 1;
  }
}
