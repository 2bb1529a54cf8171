// tlslab-server: the Server of the diagram. Answers ClientHello with its CERTIFICATE and PUBLIC
// KEY, decrypts the PRE-MASTER, checks the client's test message, answers the ACK, then serves
// encrypted HTTP requests.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>

#include "server_session.hpp"
#include "stapler.hpp"
#include "tls_session.hpp"
#include "tlslab/cli.hpp"
#include "tlslab/logging.hpp"
#include "tlslab/net/endpoint.hpp"
#include "tlslab/net/http_get.hpp"
#include "tlslab/net/service.hpp"

int main(int argc, char** argv) {
  using namespace tlslab;
  CLI::App app{"tlslab-server: the Server side of the handshake, then encrypted HTTP/1.1"};
  app.set_version_flag("--version", "tlslab-server 1.0.0 (protocol tlslab/1.0)");
  std::string cert_path, key_path, listen = "127.0.0.1:4433", suites = default_suite_names(), groups = "x25519,p256";
  std::string www, keylog, log_level = "info";
  std::string staple_from, staple_trust, client_auth = "none", client_trust, ca_service;
  std::string client_ca_check = "direct", client_crl_from;
  int staple_refresh_ms = 300000;
  cli::TraceArguments trace_arguments;
  unsigned threads = 0;
  int handshake_timeout_ms = 10000, idle_timeout_ms = 30000;
  std::size_t max_connections = 4096;
  bool tls = false;
  std::string tls_versions = "1.2,1.3";
  std::uint64_t max_generated_bytes = std::uint64_t{256} << 20;
  long long ticket_lifetime = crypto::default_ticket_lifetime.count();
  std::string ticket_key_file;
  app.add_option("--cert", cert_path, "server certificate (PEM), e.g. from 'tlslab-ca issue'")->required();
  app.add_option("--key", key_path,
                 "server private key (PEM): RSA >= 2048 (every suite) or EC P-256 (the ecdhe- suites only)")
      ->required();
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
  app.add_option("--staple-from", staple_from,
                 "the CA service HOST:PORT: ask it about this certificate ahead of time and staple its answer into "
                 "ServerHellos that ask (PROTOCOL.md §9.1)");
  app.add_option(
      "--staple-trust", staple_trust,
      "the CA certificate (PEM) that signs those answers, checked before stapling (default: --client-trust)");
  app.add_option("--staple-refresh-ms", staple_refresh_ms,
                 "ask the CA again at half of the staple's validity, and at the latest after this long")
      ->capture_default_str()
      ->check(CLI::Range(100, 86400000));
  app.add_option("--client-auth", client_auth,
                 "ask clients for a certificate: none, optional (ask those that offer one), require")
      ->capture_default_str();
  app.add_option("--client-trust", client_trust, "the CA certificate(s) (PEM) trusted to issue client certificates");
  app.add_option("--ca-service", ca_service,
                 "the CA service HOST:PORT asked about client certificates (default: --staple-from)");
  app.add_option("--client-ca-check", client_ca_check,
                 "how a client certificate's status is checked: direct (ask the CA service), crl (fetch the CA's "
                 "list of revoked certificates, kept in memory until its nextUpdate, and look the serial up)")
      ->capture_default_str();
  app.add_option("--client-crl-from", client_crl_from,
                 "with --client-ca-check crl: fetch the list from this http:// URL instead of the client "
                 "certificate's CRL distribution point");
  app.add_option("--ticket-lifetime", ticket_lifetime,
                 "seconds a session ticket resumes for (PROTOCOL.md §7.8), and how often the ticket key rotates; "
                 "0: issue no tickets")
      ->capture_default_str();
  app.add_option("--ticket-key-file", ticket_key_file,
                 "keep the session-ticket keys in this file (created 0600 when absent; a group- or world-readable "
                 "one is refused), so that tickets still resume after a restart");
  app.add_flag("--tls", tls,
               "speak real TLS (OpenSSL's libssl) on the port instead of the lab's protocol: the same certificate, "
               "key, HTTP service and trace, each handshake on the seed's arrows");
  auto* versions_option =
      app.add_option("--tls-versions", tls_versions, "with --tls: the TLS versions accepted, from 1.2,1.3")
          ->capture_default_str();
  cli::add_log_level_option(app, log_level);
  CLI11_PARSE(app, argc, argv);
  if (versions_option->count() > 0 && !tls) {
    std::fprintf(stderr, "tlslab-server: --tls-versions is only used with --tls\n");
    return 2;
  }

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
    auto policy = client_auth_from(client_auth);
    if (!policy) throw std::runtime_error("--client-auth '" + client_auth + "' is not one of none, optional, require");
    settings.client_auth = *policy;
    if (!client_trust.empty()) {
      if (settings.client_auth == ClientAuth::none) {
        throw std::runtime_error("--client-trust is only used with --client-auth optional or require");
      }
      settings.client_trust = std::make_shared<crypto::TrustStore>(crypto::TrustStore::from_pem_file(client_trust));
    }
    if (client_ca_check != "direct" && client_ca_check != "crl") {
      throw std::runtime_error("--client-ca-check '" + client_ca_check + "' is not one of direct, crl");
    }
    settings.client_ca_check = client_ca_check == "crl" ? CaCheck::crl : CaCheck::direct;
    if (settings.client_ca_check == CaCheck::crl && settings.client_auth == ClientAuth::none) {
      throw std::runtime_error("--client-ca-check crl is only used with --client-auth optional or require");
    }
    if (!client_crl_from.empty()) {
      if (settings.client_ca_check != CaCheck::crl) {
        throw std::runtime_error("--client-crl-from is only used with --client-ca-check crl");
      }
      try {
        (void)net::parse_http_url(client_crl_from);
      } catch (const net::HttpGetError& e) {
        throw std::runtime_error("--client-crl-from " + std::string(e.what()));
      }
      settings.client_crl_from = client_crl_from;
    }
    if (settings.client_ca_check == CaCheck::crl) settings.client_crls = std::make_shared<net::CrlMemo>();
    if (!ca_service.empty() || !staple_from.empty()) {
      settings.ca_service = net::parse_endpoint(ca_service.empty() ? staple_from : ca_service);
    }
    if (settings.client_auth != ClientAuth::none) {
      if (!settings.client_trust) {
        throw std::runtime_error("--client-auth " + client_auth +
                                 " needs --client-trust FILE: the CA certificate that issues client certificates");
      }
      // Over TLS, libssl verifies the client's chain against --client-trust; the CA service is optional.
      if (!tls && !settings.ca_service && settings.client_ca_check == CaCheck::direct) {
        throw std::runtime_error("--client-auth " + client_auth +
                                 " needs the CA service to ask about client certificates: --ca-service HOST:PORT");
      }
    }
    if (staple_from.empty() && !staple_trust.empty()) throw std::runtime_error("--staple-trust needs --staple-from");
    if (ticket_lifetime < 0 || ticket_lifetime > 7 * 24 * 3600) {
      throw std::runtime_error(
          "--ticket-lifetime must be between 0 and 604800 seconds (7 days, the most RFC 8446 §4.6.1 allows a ticket)");
    }
    if (ticket_lifetime == 0 && !ticket_key_file.empty()) {
      throw std::runtime_error("--ticket-key-file is not used with --ticket-lifetime 0 (no tickets)");
    }
    // Session tickets (§7.8): only a client that offers the extension ever sees one. With --tls, libssl
    // makes its own tickets: under its own random keys, or under keys made from --ticket-key-file's.
    if (ticket_lifetime > 0 && (!tls || !ticket_key_file.empty())) {
      settings.tickets = std::make_shared<crypto::TicketKeyring>(
          std::chrono::seconds(ticket_lifetime), static_cast<std::int64_t>(std::time(nullptr)),
          ticket_key_file.empty() ? std::nullopt : std::optional<std::string>(ticket_key_file));
    }
    auto identity = server::ServerIdentity::load(cert_path, key_path);
    Trace trace(cli::trace_options(trace_arguments, stdout, "server"));
    std::shared_ptr<server::Stapler> stapler;
    if (!staple_from.empty()) {
      std::shared_ptr<const crypto::TrustStore> trust = settings.client_trust;
      if (!staple_trust.empty()) {
        trust = std::make_shared<crypto::TrustStore>(crypto::TrustStore::from_pem_file(staple_trust));
      }
      if (!trust) {
        throw std::runtime_error("--staple-from needs --staple-trust FILE: the CA certificate that signs the answers");
      }
      server::StaplerOptions staple_options{net::parse_endpoint(staple_from),
                                            std::chrono::milliseconds(staple_refresh_ms), settings.timeouts};
      stapler = std::make_shared<server::Stapler>(identity, trust, staple_options, trace, log);
      stapler->start();  // the first answer before the first client
      settings.stapler = stapler;
    }
    server::ServerContext context{identity, settings, trace, log, {}};
    std::unique_ptr<tls::Context> tls_context;
    if (tls) {
      tls::ContextOptions options;
      options.role = tls::Role::server;
      options.certificate_path = cert_path;
      options.key_path = key_path;
      options.versions = tls_versions;
      options.keylog_path = settings.keylog;
      options.trace = trace.enabled();
      options.session_lifetime = std::chrono::seconds(ticket_lifetime);  // libssl's tickets (RFC 5077, 8446)
      options.ticket_keys = settings.tickets;  // --ticket-key-file: tickets that outlive a restart
      if (settings.client_auth != ClientAuth::none) {
        options.client_certificates = settings.client_auth == ClientAuth::require ? tls::ClientCertificates::require
                                                                                  : tls::ClientCertificates::optional;
        options.trust_path = client_trust;
      }
      if (stapler) {
        // The same OCSP answer the lab staples, for each ClientHello that asks (status_request).
        options.staple = [stapler]() -> std::optional<Bytes> {
          auto staple = stapler->current();
          if (!staple) return std::nullopt;
          return staple->ocsp_response;
        };
      }
      tls_context = std::make_unique<tls::Context>(std::move(options));
    }
    std::optional<server::TlsServerContext> tls_server;
    if (tls_context) tls_server.emplace(server::TlsServerContext{context, *tls_context});
    net::ServiceRun run{threads, max_connections, log, [&](std::span<const tcp::endpoint> bound) {
                          std::printf("tlslab-server: listening on %s\n", net::endpoint_text(bound[0]).c_str());
                          std::printf("tlslab-server: CERTIFICATE %s, serial %s\n", identity.subject.c_str(),
                                      identity.serial.c_str());
                          if (tls_server) std::printf("tlslab-server: real TLS %s\n", tls_versions.c_str());
                          if (settings.keylog) std::printf("tlslab-server: key log %s\n", settings.keylog->c_str());
                          if (stapler) std::printf("tlslab-server: stapling the answers of %s\n", staple_from.c_str());
                          if (settings.client_auth != ClientAuth::none) {
                            std::printf("tlslab-server: client certificates %s\n", client_auth.c_str());
                          }
                          std::fflush(stdout);
                        }};
    if (stapler) run.background.push_back([stapler] { return stapler->run(); });
    return net::serve({{endpoint,
                        [&](tcp::socket socket, std::uint64_t id) {
                          if (tls_server) return server::serve_tls_connection(std::move(socket), id, *tls_server);
                          return server::serve_connection(std::move(socket), id, context);
                        }}},
                      run);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlslab-server: %s\n", e.what());
    return 1;
  }
}
