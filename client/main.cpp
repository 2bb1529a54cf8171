// tlslab-client: the Client of the diagram. Says hello, checks the server's CERTIFICATE locally
// and with the CA, sends the PRE-MASTER, proves the SESSION MASTER KEY with a test message, then
// sends encrypted HTTP requests. The trace goes to stderr, response bodies to stdout (or
// --output), so `tlslab-client … > page.html` works.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdlib>

#include "client_session.hpp"
#include "crl_cache.hpp"
#include "exit_codes.hpp"
#include "session_file.hpp"
#include "tls_session.hpp"
#include "tlslab/cli.hpp"
#include "tlslab/failure_reason.hpp"
#include "tlslab/logging.hpp"
#include "tlslab/net/endpoint.hpp"
#include "tlslab/net/http_get.hpp"
#include "tlslab/private_file.hpp"
#include "tlslab/text.hpp"
#include "tlslab/tls/context.hpp"
#include "tlslab/trace/plantuml.hpp"
#include "tlslab/trace/report.hpp"

namespace {

using namespace tlslab;
using client::ExitCode;
using client::Outcome;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tlslab-client: the Client side of the handshake (CA check included), then encrypted HTTP/1.1"};
  app.set_version_flag("--version", "tlslab-client 1.0.0 (protocol tlslab/1.0)");
  std::string connect = "127.0.0.1:4433", ca_service = "127.0.0.1:4434", trust_path, server_name;
  std::string groups = "x25519,p256", ca_check = "auto", cert_path, key_path, crl_from, crl_cache;
  std::string session_file;
  long long max_staple_age = crypto::default_max_staple_age.count();
  std::string suites = default_suite_names(), output, keylog, report, plantuml;
  std::vector<std::string> paths;
  int handshake_timeout_ms = 10000, idle_timeout_ms = 30000;
  bool use_tls = false;
  std::string tls_versions = "1.2,1.3", tls_ciphers, tls_ciphersuites;
  cli::TraceArguments trace_arguments;
  app.add_option("--connect", connect, "server HOST:PORT")->capture_default_str();
  app.add_option("--ca-service", ca_service, "CA validation service HOST:PORT")->capture_default_str();
  app.add_option("--trust", trust_path,
                 "trusted CA certificate(s), PEM (the CA's PUBLIC KEY); with --tls, 'system' for the OS store")
      ->required();
  app.add_option("--server-name", server_name, "name expected in the certificate (default: the --connect host)");
  app.add_option("--suites", suites, "offered cipher suites in preference order (the ecdhe- ones: forward secrecy)")
      ->capture_default_str();
  app.add_option("--groups", groups, "groups offered for the ECDHE suites, in preference order: x25519, p256")
      ->capture_default_str();
  app.add_option("--ca-check", ca_check,
                 "how the server's certificate status is checked: direct (ask the CA), stapled (require the "
                 "server's staple), auto (a usable staple, else ask the CA), crl (fetch the CA's list of revoked "
                 "certificates and look the serial up). With --tls: direct POSTs an OCSP request to the responder "
                 "the certificate names (Authority Information Access), stapled asks the server for a staple "
                 "(status_request), auto takes a usable staple, else asks the responder, else the CRL the "
                 "certificate names; a certificate that names neither an OCSP responder nor a CRL is refused by "
                 "direct, stapled and crl, and accepted by auto with one warning line (no revocation check is "
                 "possible); a refused certificate ends the handshake with libssl's alert (certificate_revoked)")
      ->capture_default_str();
  app.add_option("--crl-from", crl_from,
                 "with --ca-check crl: fetch the list from this http:// URL instead of the certificate's CRL "
                 "distribution point");
  app.add_option("--crl-cache", crl_cache,
                 "with --ca-check crl: keep each verified list in DIR (created 0700; one file per URL, mode 0600) "
                 "and use it without fetching until its nextUpdate");
  app.add_option("--max-staple-age", max_staple_age, "seconds: the oldest staple accepted (its thisUpdate)")
      ->capture_default_str()
      ->check(CLI::Range(1LL, 7LL * 86400));
  app.add_option("--cert", cert_path,
                 "this client's certificate (PEM), for servers that ask (tlslab-ca issue --client)");
  app.add_option("--key", key_path, "this client's private key (PEM) for --cert");
  app.add_option("--get", paths, "request PATH after the handshake (repeatable; default /)");
  app.add_option("--output", output, "write response bodies to FILE instead of stdout");
  app.add_option("--session-file", session_file,
                 "keep the server's session ticket in FILE (mode 0600) and offer it next time to the same server "
                 "name: a resumed handshake skips the CERTIFICATE, the CA and the PRE-MASTER (PROTOCOL.md §7.8)");
  app.add_flag("--tls", use_tls,
               "speak standard TLS 1.2/1.3 (libssl) instead of the lab's protocol, to any TLS server "
               "(tlslab-server --tls, openssl s_server, gnutls-serv): the chain from --trust, the dates, the host "
               "name from the subjectAltNames only (SNI sent), the CA check of --ca-check inside the handshake");
  app.add_option("--tls-versions", tls_versions, "with --tls: the TLS versions offered: 1.2, 1.3 or 1.2,1.3")
      ->capture_default_str();
  app.add_option("--tls-ciphers", tls_ciphers,
                 "with --tls: TLS 1.2 cipher suites in OpenSSL's syntax (AES128-GCM-SHA256 is RSA key transport, "
                 "ECDHE-RSA-AES128-GCM-SHA256 ECDHE); default: libssl's (--suites is the lab's)");
  app.add_option("--tls-ciphersuites", tls_ciphersuites,
                 "with --tls: TLS 1.3 cipher suites (TLS_AES_128_GCM_SHA256:…); default: libssl's");
  cli::add_keylog_option(app, keylog);
  cli::add_trace_options(app, trace_arguments);
  app.add_option("--report", report, "write this run as one self-contained HTML page (diagram, bytes, computations)");
  app.add_option("--plantuml", plantuml, "write this run as a PlantUML sequence diagram in the seed's colors");
  app.add_option("--timeout-ms", handshake_timeout_ms, "deadline for connecting, the handshake and the CA check")
      ->capture_default_str()
      ->check(CLI::Range(100, 600000));
  app.add_option("--idle-timeout-ms", idle_timeout_ms, "deadline for each read after the handshake")
      ->capture_default_str()
      ->check(CLI::Range(100, 3600000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }
  ProgramLog program_log("tlslab-client", spdlog::level::info, LogStream::err);

  std::FILE* body_out = stdout;
  try {
    client::ClientSettings settings;
    try {
      settings.server = net::parse_endpoint(connect);
      settings.ca_service = net::parse_endpoint(ca_service);
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "tlslab-client: %s\n", e.what());
      return static_cast<int>(ExitCode::usage);
    }
    settings.server_name = server_name.empty() ? connect.substr(0, connect.rfind(':')) : server_name;
    if (settings.server_name.size() > 2 && settings.server_name.front() == '[') {
      settings.server_name = settings.server_name.substr(1, settings.server_name.size() - 2);
    }
    if (!is_host_name(settings.server_name)) {
      std::fprintf(stderr,
                   "tlslab-client: --server-name '%s' is not a host name (letters, digits, hyphens and dots, "
                   "or an IP address)\n",
                   printable(settings.server_name).c_str());
      return static_cast<int>(ExitCode::usage);
    }
    std::string suite_error;
    auto suite_list = parse_suite_list(suites, suite_error);
    if (!suite_list) {
      std::fprintf(stderr, "tlslab-client: --suites: %s\n", suite_error.c_str());
      return static_cast<int>(ExitCode::usage);
    }
    settings.suites = *suite_list;
    auto group_list = parse_group_list(groups, suite_error);
    if (!group_list) {
      std::fprintf(stderr, "tlslab-client: --groups: %s\n", suite_error.c_str());
      return static_cast<int>(ExitCode::usage);
    }
    settings.groups = *group_list;
    auto check = ca_check_from(ca_check);
    if (!check) {
      std::fprintf(stderr, "tlslab-client: --ca-check '%s' is not one of direct, stapled, auto, crl\n",
                   printable(ca_check).c_str());
      return static_cast<int>(ExitCode::usage);
    }
    settings.ca_check = *check;
    if ((!crl_from.empty() || !crl_cache.empty()) && settings.ca_check != CaCheck::crl) {
      std::fprintf(stderr, "tlslab-client: --crl-from and --crl-cache are used only with --ca-check crl\n");
      return static_cast<int>(ExitCode::usage);
    }
    if (!crl_from.empty()) {
      try {
        (void)net::parse_http_url(crl_from);
      } catch (const net::HttpGetError& e) {
        std::fprintf(stderr, "tlslab-client: --crl-from %s\n", e.what());
        return static_cast<int>(ExitCode::usage);
      }
      settings.crl_from = crl_from;
    }
    if (!crl_cache.empty()) {
      try {
        settings.crl_cache = std::make_shared<client::CrlCache>(crl_cache);
      } catch (const client::CrlCacheError& e) {
        std::fprintf(stderr, "tlslab-client: %s\n", e.what());
        return static_cast<int>(ExitCode::usage);
      }
    }
    settings.max_staple_age = std::chrono::seconds(max_staple_age);
    if (cert_path.empty() != key_path.empty()) {
      std::fprintf(stderr, "tlslab-client: --cert and --key go together (a certificate and its private key)\n");
      return static_cast<int>(ExitCode::usage);
    }
    settings.paths = paths.empty() ? std::vector<std::string>{"/"} : paths;
    for (const auto& path : settings.paths) {
      if (path.empty() || path[0] != '/') {
        std::fprintf(stderr, "tlslab-client: --get '%s' must start with /\n", path.c_str());
        return static_cast<int>(ExitCode::usage);
      }
    }
    settings.trust_path = trust_path;
    if (!use_tls && (tls_versions != "1.2,1.3" || !tls_ciphers.empty() || !tls_ciphersuites.empty())) {
      std::fprintf(stderr, "tlslab-client: --tls-versions, --tls-ciphers and --tls-ciphersuites go with --tls\n");
      return static_cast<int>(ExitCode::usage);
    }
    if (use_tls && (app.count("--suites") > 0 || app.count("--groups") > 0 || app.count("--ca-service") > 0)) {
      std::fprintf(stderr,
                   "tlslab-client: --suites, --groups and --ca-service are the lab protocol's; with --tls, libssl "
                   "offers its suites and groups (--tls-ciphers, --tls-ciphersuites) and the CA is found in the "
                   "certificate\n");
      return static_cast<int>(ExitCode::usage);
    }
    if (use_tls) {
      try {
        (void)tls::parse_versions(tls_versions);
      } catch (const std::runtime_error& e) {
        std::fprintf(stderr, "tlslab-client: %s\n", e.what());
        return static_cast<int>(ExitCode::usage);
      }
      settings.tls = client::TlsClientOptions{tls_versions,           tls_ciphers, tls_ciphersuites,
                                              trust_path == "system", cert_path,   key_path};
    }
    settings.timeouts = {std::chrono::milliseconds(handshake_timeout_ms), std::chrono::milliseconds(idle_timeout_ms)};
    settings.keylog = cli::keylog_path(keylog);  // checked before any connection
    if (!session_file.empty()) {
      // A link planted at the path, or another user's file, is refused before any connection.
      require_private_or_absent(session_file, "--session-file");
      settings.session_file = session_file;
    }
    // With --tls the file holds libssl's session, read where the handshake starts (tls_session.cpp).
    if (!session_file.empty() && !settings.tls) {
      client::SessionLoad loaded =
          client::load_session(session_file, settings.server_name, static_cast<std::int64_t>(std::time(nullptr)));
      if (loaded.session) {
        settings.resume = std::make_shared<const client::StoredSession>(std::move(*loaded.session));
      } else if (!loaded.why_not.empty()) {
        std::fprintf(stderr, "tlslab-client: --session-file %s %s: a full handshake\n", session_file.c_str(),
                     loaded.why_not.c_str());
      }
    }
    std::optional<crypto::TrustStore> trust;
    if (!settings.tls) trust.emplace(crypto::TrustStore::from_pem_file(trust_path));
    if (!cert_path.empty()) settings.identity = client::ClientIdentity::load(cert_path, key_path);
    if (!output.empty()) {
      body_out = open_output(output, "--output file", FileKind::document);
    }
    Trace trace(cli::trace_options(trace_arguments, stderr, "client"));
    if (!report.empty()) trace.add(std::make_unique<ReportRenderer>(report, trace_arguments.show_secrets, "client"));
    if (!plantuml.empty()) trace.add(std::make_unique<PlantUmlRenderer>(plantuml, trace_arguments.show_secrets));

    asio::io_context io;
    Outcome outcome;
    asio::co_spawn(
        io,
        settings.tls ? client::run_tls_session(settings, trace, body_out)
                     : client::run_session(settings, *trust, trace, body_out),
        [&](std::exception_ptr error, Outcome result) {
          if (!error) {
            outcome = std::move(result);
            return;
          }
          outcome = {ExitCode::local_error, "handshake failed: internal_error (" + failure_reason(error) + ")"};
        });
    io.run();
    trace.finish();  // the trace's last lines before ours
    if (body_out != stdout) std::fclose(body_out);
    if (outcome.code != ExitCode::ok) {
      if (trace_arguments.quiet) std::fprintf(stderr, "tlslab-client: %s\n", outcome.line.c_str());
    } else if (settings.keylog && !trace_arguments.quiet) {
      std::fprintf(stderr, "tlslab-client: key log appended to %s\n", settings.keylog->c_str());
    }
    if (!report.empty() && !trace_arguments.quiet)
      std::fprintf(stderr, "tlslab-client: report written to %s\n", report.c_str());
    if (!plantuml.empty() && !trace_arguments.quiet) {
      std::fprintf(stderr, "tlslab-client: diagram written to %s (plantuml -tsvg %s)\n", plantuml.c_str(),
                   plantuml.c_str());
    }
    return static_cast<int>(outcome.code);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tlslab-client: %s\n", e.what());
    return static_cast<int>(ExitCode::local_error);
  }
}
