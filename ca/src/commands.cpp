#include "commands.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <thread>

#include "authority.hpp"
#include "crl_publisher.hpp"
#include "database.hpp"
#include "ocsp_http.hpp"
#include "responder.hpp"
#include "status_service.hpp"
#include "tlslab/cli.hpp"
#include "tlslab/crypto/crl.hpp"
#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/net/endpoint.hpp"
#include "tlslab/net/service.hpp"
#include "tlslab/private_file.hpp"
#include "tlslab/time.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::ca {
namespace fs = std::filesystem;

namespace {

int failure(const std::string& message) {
  std::fprintf(stderr, "tlslab-ca: %s\n", message.c_str());
  return 1;
}

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// The CA directory holds everything the CA trusts: its key, its certificate, its database. Whoever
// can write the directory can replace any of them (the key with theirs, ca.db with a list of their
// own), whatever the files' own modes; so it must be ours, and writable by us only.
void require_directory(const std::string& dir) {
  struct stat status {};
  if (::stat(dir.c_str(), &status) != 0 || !S_ISDIR(status.st_mode)) {
    throw std::runtime_error("no directory '" + dir + "' (create it, or run 'tlslab-ca init --dir " + dir + "')");
  }
  if (status.st_uid != ::geteuid()) {
    throw std::runtime_error(
        "CA directory '" + dir + "' belongs to another user (uid " + std::to_string(status.st_uid) +
        "), who can replace the CA's key and certificate: run 'chown " + std::to_string(::geteuid()) + " " + dir +
        "' if it is yours, or use a directory of your own");
  }
  if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    throw std::runtime_error("CA directory '" + dir + "' can be written by others (mode " + mode_text(status.st_mode) +
                             "), who could replace ca.key, ca.crt or ca.db: run 'chmod 700 " + dir + "'");
  }
}

// ca.key, read only if it is a regular file of ours that nobody else can read: a key another user
// owns may be theirs, put there to sign with; a key others can read is no longer the CA's alone.
ossl::PKey load_ca_key(const std::string& dir) {
  std::string path = ca_key_path(dir);
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP) {
      throw std::runtime_error("CA key '" + path + "' is a symbolic link: replace it with the key file itself");
    }
    throw std::runtime_error("cannot read the CA key '" + path + "': " + std::strerror(errno));
  }
  std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* descriptor) { ::close(*descriptor); });
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    throw std::runtime_error("CA key '" + path + "' is not a regular file");
  }
  if (status.st_uid != ::geteuid()) {
    throw std::runtime_error("CA key '" + path + "' belongs to another user (uid " + std::to_string(status.st_uid) +
                             "): run 'chown " + std::to_string(::geteuid()) + " " + path +
                             "' if the key is yours, or make a new CA with 'tlslab-ca init --dir " + dir + " --force'");
  }
  if ((status.st_mode & 077) != 0) {
    throw std::runtime_error("CA key '" + path + "' can be read by others (mode " + mode_text(status.st_mode) +
                             "): run 'chmod 600 " + path + "', and make a new CA if someone may have copied it");
  }
  // Read through the descriptor checked, into memory that is wiped when freed.
  ossl::Bio pem(BIO_new(BIO_s_secmem()));
  ossl::check(pem != nullptr, "BIO_new");
  char chunk[4096];
  for (;;) {
    ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw std::runtime_error("cannot read the CA key '" + path + "': " + std::strerror(errno));
    if (got == 0) break;
    ossl::check(BIO_write(pem.get(), chunk, static_cast<int>(got)) == got, "BIO_write");
  }
  OPENSSL_cleanse(chunk, sizeof chunk);
  ossl::PKey key(PEM_read_bio_PrivateKey(pem.get(), nullptr, nullptr, nullptr));
  if (!key) {
    ERR_clear_error();
    throw std::runtime_error("'" + path + "' holds no unencrypted PEM private key");
  }
  return key;
}

CaMaterial load_ca(const std::string& dir) {
  require_directory(dir);
  if (!fs::exists(ca_certificate_path(dir))) {
    throw std::runtime_error("'" + dir + "' holds no CA: run 'tlslab-ca init --dir " + dir + "' first");
  }
  CaMaterial ca{load_ca_key(dir), crypto::load_certificate_pem(ca_certificate_path(dir))};
  // A key that is not the certificate's signs certificates that no client can verify (and may be
  // someone else's key): refused before it signs anything.
  if (X509_check_private_key(ca.certificate.get(), ca.key.get()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("CA key '" + ca_key_path(dir) + "' does not match the CA certificate '" +
                             ca_certificate_path(dir) +
                             "' (ca.crt): put back the ca.key made with this ca.crt, or "
                             "make a new CA with 'tlslab-ca init --dir " +
                             dir + " --force'");
  }
  return ca;
}

// ISO 8601 UTC date or date-time, or a relative "-30d" / "+2d".
std::time_t parse_time(const std::string& text) {
  if (!text.empty() && (text[0] == '-' || text[0] == '+') && text.back() == 'd') {
    int days = std::stoi(text.substr(0, text.size() - 1));
    return std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
  }
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) {
    tm = {};
    end = strptime(text.c_str(), "%Y-%m-%d", &tm);
  }
  if (end == nullptr || (*end != '\0' && std::string(end) != "Z")) {
    throw std::runtime_error("--not-before '" + text + "' is not 2024-01-31, 2024-01-31T12:00:00Z or -30d");
  }
  return timegm(&tm);
}

}  // namespace

std::string ca_key_path(const std::string& dir) {
  return (fs::path(dir) / "ca.key").string();
}
std::string ca_certificate_path(const std::string& dir) {
  return (fs::path(dir) / "ca.crt").string();
}
std::string ca_database_path(const std::string& dir) {
  return (fs::path(dir) / "ca.db").string();
}

int run_init(const InitOptions& options) try {
  auto key_type = key_type_from(options.key_type);
  if (!key_type || *key_type == KeyType::rsa4096) {
    return failure("--key-type '" + options.key_type + "' is not one of ec-p256, rsa2048, rsa3072");
  }
  if (options.days < 1) return failure("--days must be at least 1");
  // As `git init DIR` does: a missing directory is made, private (it will hold ca.key).
  if (!fs::exists(options.dir)) {
    fs::create_directories(options.dir);
    fs::permissions(options.dir, fs::perms::owner_all, fs::perm_options::replace);
  }
  require_directory(options.dir);  // an existing directory too: ours, and written by us only
  if (fs::exists(ca_certificate_path(options.dir)) && !options.force) {
    return failure("a CA already exists in '" + options.dir +
                   "' (ca.crt); use --force to replace it and forget every certificate it issued");
  }
  if (options.force) {
    for (const char* file : {"ca.db", "ca.db-wal", "ca.db-shm"}) fs::remove(fs::path(options.dir) / file);
  }
  // Two CAs of one name are easy to confuse, for a user and for software that finds an issuer by
  // name: by default each lab's CA gets a name of its own.
  std::string common_name =
      options.common_name.empty() ? "tlslab CA " + to_hex(crypto::random_bytes(3)) : options.common_name;
  CaMaterial ca = make_ca(*key_type, common_name, validity_from_now(options.days));
  write_private_key_pem(ca_key_path(options.dir), ca.key.get());
  write_certificate_pem(ca_certificate_path(options.dir), ca.certificate.get());
  Database database(ca_database_path(options.dir), Database::Mode::create);
  std::printf(
      "CA created in %s\n  certificate  %s  (give this to clients: --trust)\n  private key  %s  (mode 0600)\n"
      "  database     %s\n  subject      %s\n  serial       %s\n  valid until  %s\n",
      options.dir.c_str(), ca_certificate_path(options.dir).c_str(), ca_key_path(options.dir).c_str(),
      ca_database_path(options.dir).c_str(), crypto::subject_of(ca.certificate.get()).c_str(),
      crypto::serial_hex(ca.certificate.get()).c_str(), crypto::not_after_of(ca.certificate.get()).c_str());
  return 0;
} catch (const std::exception& e) {
  return failure(e.what());
}

int run_issue(const IssueOptions& options) try {
  auto key_type = key_type_from(options.key_type);
  if (!key_type) {
    return failure("--key-type '" + options.key_type +
                   "' is not one of rsa2048, rsa3072, rsa4096, ec-p256 (RSA serves every suite, EC P-256 the ECDHE "
                   "ones only: it signs, it cannot decrypt a PRE-MASTER)");
  }
  if (options.days < 1) return failure("--days must be at least 1");
  CaMaterial ca = load_ca(options.dir);
  Database database(ca_database_path(options.dir), Database::Mode::open_existing);
  IssueRequest request{options.common_name, options.subject_alt_names, {}, options.client ? Role::client : Role::server,
                       options.crl_url,     options.ocsp_url};
  // A server is found by name (§5); a client is not: its certificate names it by subject only, unless
  // --san says otherwise.
  if (request.subject_alt_names.empty() && !options.client) {
    request.subject_alt_names.push_back("DNS:" + options.common_name);
  }
  std::time_t not_before = options.not_before ? parse_time(*options.not_before) : std::time(nullptr) - 60;
  request.validity = {not_before, not_before + static_cast<std::time_t>(options.days) * 86400};
  ossl::PKey key = generate_key(*key_type);
  ossl::X509Ptr certificate = issue_certificate(ca, key.get(), request);
  std::string sans;
  for (const auto& san : request.subject_alt_names) sans += (sans.empty() ? "" : ",") + san;
  write_private_key_pem(options.out_key, key.get());
  write_certificate_pem(options.out_cert, certificate.get());
  database.record_issued(certificate.get(), sans);
  std::printf(
      "issued %s\n  serial       %s\n  for          %s\n  names        %s\n  valid        %s .. %s\n"
      "  certificate  %s\n  private key  %s  (mode 0600)\n",
      crypto::subject_of(certificate.get()).c_str(), crypto::serial_hex(certificate.get()).c_str(),
      options.client ? "a client (extendedKeyUsage clientAuth: --cert of tlslab-client)"
                     : "a server (extendedKeyUsage serverAuth: --cert of tlslab-server)",
      sans.empty() ? "(none)" : sans.c_str(), crypto::not_before_of(certificate.get()).c_str(),
      crypto::not_after_of(certificate.get()).c_str(), options.out_cert.c_str(), options.out_key.c_str());
  return 0;
} catch (const std::exception& e) {
  return failure(e.what());
}

int run_revoke(const RevokeOptions& options) try {
  auto reason = crypto::revocation_reason_from(options.reason);
  if (!reason) {
    return failure("--reason '" + options.reason +
                   "' is not an RFC 5280 reason: unspecified, keyCompromise, cACompromise, affiliationChanged, "
                   "superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, aACompromise");
  }
  std::string serial = Database::normalize_serial(options.serial);
  if (serial.empty()) return failure("--serial '" + options.serial + "' is not hexadecimal");
  require_directory(options.dir);
  Database database(ca_database_path(options.dir), Database::Mode::open_existing);
  std::time_t now = std::time(nullptr);
  switch (database.revoke(serial, *reason, now)) {
    case Database::RevokeOutcome::revoked:
      std::printf("revoked %s at %s (%s)\n", serial.c_str(), utc_time(now).c_str(), options.reason.c_str());
      return 0;
    case Database::RevokeOutcome::already_revoked:
      return failure("serial " + serial + " is already revoked (see 'tlslab-ca list')");
    case Database::RevokeOutcome::not_found:
      return failure("no certificate with serial " + serial + " in this CA (see 'tlslab-ca list')");
  }
  return 1;
} catch (const std::exception& e) {
  return failure(e.what());
}

int run_list(const ListOptions& options) try {
  require_directory(options.dir);
  Database database(ca_database_path(options.dir), Database::Mode::open_existing);
  auto records = database.list();
  if (options.json) {
    std::cout << "[";
    for (std::size_t i = 0; i < records.size(); ++i) {
      const auto& r = records[i];
      std::cout << (i ? ",\n " : "\n ") << "{\"serial\":\"" << r.serial << "\",\"subject\":" << json_string(r.subject)
                << ",\"subject_alt_names\":" << json_string(r.subject_alt_names) << ",\"not_before\":\"" << r.not_before
                << "\",\"not_after\":\"" << r.not_after << "\",\"status\":\"" << (r.revoked ? "revoked" : "good")
                << "\"";
      if (r.revoked) {
        std::cout << ",\"revoked_at\":\"" << utc_time(r.revoked_at) << "\",\"revocation_reason\":\""
                  << crypto::revocation_reason_name(r.revocation_reason) << "\"";
      }
      std::cout << ",\"fingerprint_sha256\":\"" << r.fingerprint_sha256 << "\"}";
    }
    std::cout << (records.empty() ? "]\n" : "\n]\n");
    return 0;
  }
  std::printf("%-32s  %-8s  %-20s  %-20s  %s\n", "SERIAL", "STATUS", "NOT BEFORE", "NOT AFTER", "SUBJECT");
  for (const auto& r : records) {
    std::string status = r.revoked ? "revoked" : "good";
    std::printf("%-32s  %-8s  %-20s  %-20s  %s", r.serial.c_str(), status.c_str(), r.not_before.c_str(),
                r.not_after.c_str(), r.subject.c_str());
    if (r.revoked) {
      std::printf("  (revoked %s, %s)", utc_time(r.revoked_at).c_str(),
                  std::string(crypto::revocation_reason_name(r.revocation_reason)).c_str());
    }
    std::printf("\n");
  }
  std::printf("%zu certificate(s)\n", records.size());
  return 0;
} catch (const std::exception& e) {
  return failure(e.what());
}

int run_crl(const CrlOptions& options) try {
  std::chrono::seconds lifetime = parse_crl_lifetime(options.next_update, "--next-update");
  if (options.out) require_output_or_absent(*options.out, "--out file", FileKind::document);
  CaMaterial ca = load_ca(options.dir);
  Database database(ca_database_path(options.dir), Database::Mode::open_existing);
  SignedCrl crl = sign_crl(ca, database, lifetime, std::time(nullptr));
  std::string pem = crypto::crl_pem(crl.der);
  if (options.out) {
    write_output_file(*options.out, pem, "--out file", FileKind::document);
  } else {
    std::fwrite(pem.data(), 1, pem.size(), stdout);
    std::fflush(stdout);
  }
  std::fprintf(stderr, "CRL #%llu with %zu revoked certificate%s, valid until %s, written to %s\n",
               static_cast<unsigned long long>(crl.number), crl.revoked_count, crl.revoked_count == 1 ? "" : "s",
               utc_time(crl.next_update).c_str(), options.out ? options.out->c_str() : "standard output");
  return 0;
} catch (const std::exception& e) {
  return failure(e.what());
}

int run_serve(const ServeOptions& options) try {
  auto log = spdlog::default_logger();
  auto listen = net::parse_endpoint(options.listen);
  std::optional<tcp::endpoint> http_listen;
  if (options.ocsp_http) http_listen = net::parse_endpoint(*options.ocsp_http);
  std::chrono::seconds crl_lifetime = parse_crl_lifetime(options.crl_next_update, "--crl-next-update");
  CaMaterial ca = load_ca(options.dir);
  Database database(ca_database_path(options.dir), Database::Mode::open_existing);
  Responder responder(std::move(ca), database, std::chrono::seconds(options.validity_seconds));
  ServiceOptions service{std::chrono::milliseconds(options.request_timeout_ms),
                         std::chrono::milliseconds(options.idle_timeout_ms), options.max_requests_per_connection};
  Trace trace(cli::trace_options(options.trace, stdout, "ca"));
  StatusContext status{responder, service, trace, log, {}};
  CrlPublisher crl(responder.ca(), database, crl_lifetime);

  std::vector<net::ServiceListener> listeners{{listen, [&](tcp::socket socket, std::uint64_t id) {
                                                 return serve_status_connection(std::move(socket), id, status);
                                               }}};
  if (http_listen) {
    listeners.push_back({*http_listen, [&](tcp::socket socket, std::uint64_t id) {
                           return serve_ocsp_http_connection(std::move(socket), id, status, &crl);
                         }});
  }
  net::ServiceRun run{
      options.threads, options.max_connections, log, [&](std::span<const tcp::endpoint> bound) {
        // Scripts read these lines to learn the ports (port 0 = any free port).
        std::printf("tlslab-ca: status service listening on %s\n", net::endpoint_text(bound[0]).c_str());
        if (bound.size() > 1) {
          std::printf("tlslab-ca: OCSP over HTTP listening on http://%s/\n", net::endpoint_text(bound[1]).c_str());
          std::printf("tlslab-ca: CRL at http://%s/crl (valid %s, signed again after a revocation)\n",
                      net::endpoint_text(bound[1]).c_str(), options.crl_next_update.c_str());
        }
        std::printf("tlslab-ca: CA %s, database %s\n", crypto::subject_of(responder.ca_certificate()).c_str(),
                    ca_database_path(options.dir).c_str());
        std::fflush(stdout);
      }};
  return net::serve(std::move(listeners), run);
} catch (const std::exception& e) {
  return failure(e.what());
}

}  // namespace tlslab::ca
