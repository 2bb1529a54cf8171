#pragma once
// The tlslab-ca subcommands. Each returns the process exit code and prints one clear line on
// failure; main.cpp only parses arguments into these structs.
#include <optional>
#include <string>
#include <vector>

#include "tlslab/cli.hpp"

namespace tlslab::ca {

struct InitOptions {
  std::string dir;
  std::string key_type = "ec-p256";
  std::string common_name;  // default: "tlslab CA " and 6 random hex digits, so no two labs' CAs share a name
  int days = 3650;
  bool force = false;
};

struct IssueOptions {
  std::string dir;
  std::string common_name;
  std::vector<std::string> subject_alt_names;
  std::string key_type = "rsa2048";
  int days = 365;
  std::optional<std::string> not_before;  // ISO 8601 (2024-01-31 or 2024-01-31T12:00:00Z) or -30d / +2d
  std::string out_cert;
  std::string out_key;
  bool client = false;                  // --client: a client certificate (clientAuth), for mutual authentication
  std::optional<std::string> crl_url;   // --crl-url: the CRL distribution point (PROTOCOL.md §9.3)
  std::optional<std::string> ocsp_url;  // --ocsp-url: the OCSP responder (Authority Information Access)
};

struct RevokeOptions {
  std::string dir;
  std::string serial;
  std::string reason = "unspecified";
};

struct ListOptions {
  std::string dir;
  bool json = false;
};

struct CrlOptions {
  std::string dir;
  std::optional<std::string> out;  // PEM file; standard output when absent
  std::string next_update = "1h";  // 90s, 30m, 1h, 2d; at most 10d
};

struct ServeOptions {
  std::string dir;
  std::string listen = "127.0.0.1:4434";
  std::optional<std::string> ocsp_http;
  unsigned threads = 0;  // 0 = one per core
  int validity_seconds = 3600;
  int request_timeout_ms = 5000;
  int idle_timeout_ms = 30000;
  std::size_t max_connections = 4096;
  std::uint64_t max_requests_per_connection = 100;
  std::string crl_next_update = "1h";  // the published CRL's validity (GET /crl)
  cli::TraceArguments trace;
};

int run_init(const InitOptions& options);
int run_issue(const IssueOptions& options);
int run_revoke(const RevokeOptions& options);
int run_list(const ListOptions& options);
int run_crl(const CrlOptions& options);
int run_serve(const ServeOptions& options);

// The files of a CA directory.
std::string ca_key_path(const std::string& dir);
std::string ca_certificate_path(const std::string& dir);
std::string ca_database_path(const std::string& dir);

}  // namespace tlslab::ca
