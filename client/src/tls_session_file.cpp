#include "tls_session_file.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "tlslab/private_file.hpp"

namespace tlslab::client {
namespace {

// A session file is a few KiB (the server's certificate and a ticket); anything larger is not one.
constexpr std::size_t max_session_file = 64 * 1024;

bool names(X509* certificate, const std::string& server_name) {
  if (certificate == nullptr) return false;
  // The same rule as the handshake's (RFC 6125): subjectAltNames only, no partial wildcards.
  unsigned flags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
  if (X509_check_ip_asc(certificate, server_name.c_str(), 0) == 1) return true;
  return X509_check_host(certificate, server_name.data(), server_name.size(), flags, nullptr) == 1;
}

}  // namespace

TlsSessionLoad load_tls_session(const std::string& path, const std::string& server_name, std::int64_t now) {
  TlsSessionLoad load;
  struct stat status {};
  if (lstat(path.c_str(), &status) != 0) return load;  // no file yet: the first run writes it
  if (!S_ISREG(status.st_mode)) {
    load.why_not = "is not a regular file";
    return load;
  }
  if (static_cast<std::size_t>(status.st_size) > max_session_file) {
    load.why_not = "is larger than a TLS session (" + std::to_string(max_session_file / 1024) + " KiB)";
    return load;
  }
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    load.why_not = "cannot be read";
    return load;
  }
  text.resize(std::min(text.size(), max_session_file));
  std::unique_ptr<BIO, ossl::Deleter<&BIO_free>> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  TlsSessionPtr session(bio ? PEM_read_bio_SSL_SESSION(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();
  if (!session) {
    load.why_not = "holds no TLS session (PEM \"SSL SESSION PARAMETERS\"; a lab session is not one)";
    return load;
  }
  if (SSL_SESSION_is_resumable(session.get()) != 1) {
    load.why_not = "holds a session the server gave no ticket or ID for";
    return load;
  }
  std::int64_t ends = static_cast<std::int64_t>(SSL_SESSION_get_time(session.get())) +
                      static_cast<std::int64_t>(SSL_SESSION_get_timeout(session.get()));
  if (ends <= now) {
    load.why_not = "holds a session that expired " + std::to_string(now - ends) + " s ago";
    return load;
  }
  if (!names(SSL_SESSION_get0_peer(session.get()), server_name)) {
    load.why_not = "holds a session with another server (its certificate does not name the server now asked for)";
    return load;
  }
  load.session = std::move(session);
  return load;
}

void save_tls_session(const std::string& path, SSL_SESSION* session, std::int64_t not_after) {
  // The server's word on the ticket's life (RFC 5077 §3.3's lifetime hint, RFC 8446 §4.6.1's
  // ticket_lifetime) bounds it too: libssl keeps its own session timeout otherwise.
  if (unsigned long hint = SSL_SESSION_get_ticket_lifetime_hint(session); hint > 0) {
    std::int64_t by_hint = static_cast<std::int64_t>(SSL_SESSION_get_time(session)) + static_cast<std::int64_t>(hint);
    if (not_after == 0 || by_hint < not_after) not_after = by_hint;
  }
  if (not_after > 0) {
    std::int64_t started = SSL_SESSION_get_time(session);
    std::int64_t ends = started + static_cast<std::int64_t>(SSL_SESSION_get_timeout(session));
    // Resuming skips the CA check: never past the nextUpdate of the answer the certificate passed with.
    if (not_after < ends)
      SSL_SESSION_set_timeout(session, static_cast<long>(std::max<std::int64_t>(not_after - started, 0)));
  }
  std::unique_ptr<BIO, ossl::Deleter<&BIO_free>> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_SSL_SESSION(bio.get(), session) != 1) {
    ERR_clear_error();
    throw std::runtime_error("--session-file: libssl could not write the session");
  }
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  write_private_file(path, std::string_view(data, static_cast<std::size_t>(length)), "--session-file");
}

}  // namespace tlslab::client
