// tlslab-ca: the CA of the diagram. Tooling over a certificate database (init, issue, revoke,
// list, crl) and `serve`, the online validation service the client asks in arrows 3 and 4.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "tlslab/logging.hpp"

int main(int argc, char** argv) {
  using namespace tlslab::ca;
  CLI::App app{"tlslab-ca: certificate authority and online validation service (arrows 3-4 of the handshake)"};
  app.set_version_flag("--version", "tlslab-ca 1.0.0 (protocol tlslab/1.0)");
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")->capture_default_str();

  InitOptions init;
  auto* init_cmd = app.add_subcommand("init", "create a CA key, self-signed certificate and database in DIR");
  init_cmd->add_option("--dir", init.dir, "CA directory (created, mode 0700, if missing)")->required();
  init_cmd->add_option("--key-type", init.key_type, "ec-p256, rsa2048 or rsa3072")->capture_default_str();
  init_cmd->add_option("--cn", init.common_name, "CA common name (default: tlslab CA and 6 random hex digits)");
  init_cmd->add_option("--days", init.days, "validity in days")->capture_default_str();
  init_cmd->add_flag("--force", init.force, "replace an existing CA (its database is emptied)");

  IssueOptions issue;
  auto* issue_cmd = app.add_subcommand("issue", "issue a server (or, with --client, a client) key and certificate");
  issue_cmd->add_option("--dir", issue.dir, "CA directory")->required();
  issue_cmd->add_option("--cn", issue.common_name, "subject common name, e.g. localhost")->required();
  issue_cmd->add_option("--san", issue.subject_alt_names, "DNS:name or IP:address, comma-separated or repeated")
      ->delimiter(',');
  issue_cmd->add_option("--key-type", issue.key_type, "rsa2048, rsa3072, rsa4096 or ec-p256 (ECDHE suites only)")
      ->capture_default_str();
  issue_cmd->add_option("--days", issue.days, "validity in days from --not-before")->capture_default_str();
  issue_cmd->add_option("--not-before", issue.not_before, "start of validity: 2024-01-31[T12:00:00Z] or -30d");
  issue_cmd->add_option("--out-cert", issue.out_cert, "where to write the certificate (PEM)")->required();
  issue_cmd->add_option("--out-key", issue.out_key, "where to write the private key (PEM, mode 0600)")->required();
  issue_cmd->add_flag("--client", issue.client,
                      "a client certificate (extendedKeyUsage clientAuth, for mutual authentication), not a server's");
  issue_cmd->add_option("--crl-url", issue.crl_url,
                        "http:// URL of the CA's CRL, written as the certificate's CRL distribution point "
                        "(serve publishes it at /crl of --ocsp-http)");
  issue_cmd->add_option("--ocsp-url", issue.ocsp_url,
                        "http://HOST:PORT[/PATH] of the CA's OCSP responder (serve --ocsp-http), written in the "
                        "certificate's Authority Information Access: where a TLS client POSTs its OCSP request "
                        "(tlslab-client --tls --ca-check direct, openssl ocsp -url)");

  RevokeOptions revoke;
  auto* revoke_cmd =
      app.add_subcommand("revoke", "revoke a certificate; the running service answers 'revoked' at once");
  revoke_cmd->add_option("--dir", revoke.dir, "CA directory")->required();
  revoke_cmd->add_option("--serial", revoke.serial, "serial in hex, as 'list' shows it")->required();
  revoke_cmd->add_option("--reason", revoke.reason, "keyCompromise, superseded, cessationOfOperation, …")
      ->capture_default_str();

  ListOptions list;
  auto* list_cmd = app.add_subcommand("list", "list every issued certificate and its status");
  list_cmd->add_option("--dir", list.dir, "CA directory")->required();
  list_cmd->add_flag("--json", list.json, "machine-readable output");

  CrlOptions crl;
  auto* crl_cmd = app.add_subcommand(
      "crl", "sign a Certificate Revocation List (RFC 5280 v2) of every revoked certificate, with the next CRL number");
  crl_cmd->add_option("--dir", crl.dir, "CA directory")->required();
  crl_cmd->add_option("--out", crl.out, "where to write the CRL (PEM; default: standard output)");
  crl_cmd
      ->add_option("--next-update", crl.next_update,
                   "validity from thisUpdate to nextUpdate: 90s, 30m, 1h, 2d (at most 10d)")
      ->capture_default_str();

  ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "run the online validation service (framed, and OCSP over HTTP)");
  serve_cmd->add_option("--dir", serve.dir, "CA directory")->required();
  serve_cmd->add_option("--listen", serve.listen, "ADDR:PORT of the framed status service (port 0: any)")
      ->capture_default_str();
  serve_cmd->add_option("--ocsp-http", serve.ocsp_http, "ADDR:PORT for standard OCSP over HTTP (RFC 6960 A.1)");
  serve_cmd
      ->add_option("--crl-next-update", serve.crl_next_update,
                   "validity of the CRL published at GET /crl of --ocsp-http: 90s, 30m, 1h, 2d (at most 10d)")
      ->capture_default_str();
  serve_cmd->add_option("--threads", serve.threads, "worker threads (0: one per core)")->capture_default_str();
  serve_cmd
      ->add_option("--validity", serve.validity_seconds,
                   "seconds from thisUpdate to nextUpdate (short ones show how stapling ages)")
      ->capture_default_str()
      ->check(CLI::Range(2, 7 * 86400));
  serve_cmd->add_option("--request-timeout-ms", serve.request_timeout_ms, "deadline for a whole request")
      ->capture_default_str()
      ->check(CLI::Range(100, 600000));
  serve_cmd->add_option("--idle-timeout-ms", serve.idle_timeout_ms, "idle time allowed between requests")
      ->capture_default_str()
      ->check(CLI::Range(100, 3600000));
  serve_cmd->add_option("--max-connections", serve.max_connections, "concurrent connections before refusing")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  serve_cmd
      ->add_option("--max-requests-per-connection", serve.max_requests_per_connection,
                   "status requests answered on one connection before it is closed (each costs a signature)")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 32));

  tlslab::cli::add_trace_options(*serve_cmd, serve.trace);
  CLI11_PARSE(app, argc, argv);
  tlslab::ProgramLog program_log("tlslab-ca", spdlog::level::from_str(log_level));

  if (*init_cmd) return run_init(init);
  if (*issue_cmd) return run_issue(issue);
  if (*revoke_cmd) return run_revoke(revoke);
  if (*list_cmd) return run_list(list);
  if (*crl_cmd) return run_crl(crl);
  return run_serve(serve);
}
