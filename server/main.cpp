// tlslab-server: the Server of the diagram. Answers ClientHello with its CERTIFICATE and PUBLIC
// KEY, decrypts the PRE-MASTER, checks the client's test message, answers the ACK, then serves
// encrypted HTTP requests.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>

#include "server_session.hpp"
#include "tlslab/cli.hpp"
#include "tlslab/logging.hpp"
#include "tlslab/net/endpoint.hpp"
#include "tlslab/net/service.hpp"

int main(int argc, char** argv) {
  using namespace tlslab;
  CLI::App app{"tlslab-server: the Server side of the handshake, then encrypted HTTP/1.1"};
  app.set_version_flag("--version", "tlslab-server 1.0.0 (protocol tlslab/1.0)");
  std::string cert_path, key_path, listen = "127.0.0.1:4433", suites = default_suite_names(), groups = "x25519,p256";
  std::string www, keylog, log_level = "info";
  cli::TraceArguments trace_arguments;
  unsigned threads = 0;
  int handshake_timeout_ms = 10000, idle_timeout_ms = 30000;
  std::size_t max_connections = 4096;
  std::uint64_t max_generated_bytes = std::uint64_t{256} << 20;
  app.add_option("--cert", cert_path, "server certificate (PEM), e.g. from 'tlslab-ca issue'")->required();
  app.add_option("--key", key_path, "server private key (PEM, RSA >= 2048)")->required();
  app.add_option("--listen", listen, "ADDR:PORT to listen on (port 0: any free port)")->capture_default_str();
  app.add_option("--www", www, "serve files from this directory (default: a built-in session page at /)");
  app.add_option("--suites", suites, "accepted cipher suites in preference order (the ecdhe- ones: forward secrecy)")
      ->capture_default_str();
  app.add_option("--groups", groups, "groups for the ECDHE suites, in preference order: x25519, p256")
      ->capture_default_str();
  app.add_option("--threads", threads, "worker threads (0: one per core)")->capture_default_str();
  cli::add_keylog_option(app, keylog);
  cli::add_trace_options(app, trace_arguments);
  app.add_option("--handshake-timeout-ms", handshake_timeout_ms, "deadline for a whole handshake")
      ->capture_default_str()
      ->check(CLI::Range(100, 600000));
  app.add_option("--idle-timeout-ms", idle_timeout_ms, "idle time allowed after the handshake, and for a whole request")
      ->capture_default_str()
      ->check(CLI::Range(100, 3600000));
  app.add_option("--max-connections", max_connections,
                 "concurrent connections before refusing (each holds about 90 KiB while busy)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  app.add_option("--max-generated-bytes", max_generated_bytes, "largest N that GET /bytes/N serves")
      ->capture_default_str();
  cli::add_log_level_option(app, log_level);
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
    auto group_list = parse_group_list(groups, suite_error);
    if (!group_list) throw std::runtime_error("--groups: " + suite_error);
    settings.groups = *group_list;
    if (!www.empty()) {
      if (!std::filesystem::is_directory(www)) throw std::runtime_error("--www '" + www + "' is not a directory");
      settings.www = std::filesystem::canonical(www);  // targets are checked against the real path
    }
    settings.max_generated_bytes = max_generated_bytes;
    settings.timeouts = {std::chrono::milliseconds(handshake_timeout_ms), std::chrono::milliseconds(idle_timeout_ms)};
    settings.keylog = cli::keylog_path(keylog);
    auto identity = server::ServerIdentity::load(cert_path, key_path);
    Trace trace(cli::trace_options(trace_arguments, stdout, "server"));
    server::ServerContext context{identity, settings, trace, log, {}};
    net::ServiceRun run{threads, max_connections, log, [&](std::span<const tcp::endpoint> bound) {
                          std::printf("tlslab-server: listening on %s\n", net::endpoint_text(bound[0]).c_str());
                          std::printf("tlslab-server: CERTIFICATE %s, serial %s\n", identity.subject.c_str(),
                                      identity.serial.c_str());
                          if (settings.keylog) std::printf("tlslab-server: key log %s\n", settings.keylog->c_str());
                          std::fflush(stdout);
                        }};
    return net::serve(
        {{endpoint, [&](tcp::socket socket,
                        std::uint64_t id) { return server::serve_connection(std::move(socket), id, context); }}},
        run);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlslab-server: %s\n", e.what());
    return 1;
  }
}
