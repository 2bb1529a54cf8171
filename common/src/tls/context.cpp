#include "tlslab/tls/context.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <mutex>
#include <stdexcept>

#include "tlslab/crypto/ossl.hpp"
#include "tlslab/private_file.hpp"
#include "tlslab/tls/computations.hpp"
#include "tlslab/tls/tap.hpp"

namespace tlslab::tls {
namespace {

std::string trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return std::string(text);
}

// The Context behind an SSL_CTX, for libssl's callbacks (which carry only the SSL).
int context_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// libssl's ticket cipher and MAC (RFC 5077 §4: AES-CBC and HMAC-SHA256) set up with keys made from a
// ticket key of the keyring: two HKDF expansions (SHA-256), one per use, so that no key serves two.
bool set_ticket_keys(const crypto::TicketKey& key, bool sealing, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                     EVP_MAC_CTX* mac) {
  static const std::unique_ptr<EVP_CIPHER, ossl::Deleter<&EVP_CIPHER_free>> aes(
      EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr));
  constexpr std::uint16_t sha256_suite = 0x1301;  // TLS_AES_128_GCM_SHA256: its hash names SHA-256
  Bytes aes_key = hkdf_expand_label(sha256_suite, key.key.view(), "tlslab libssl ticket aes", 32);
  Bytes mac_key = hkdf_expand_label(sha256_suite, key.key.view(), "tlslab libssl ticket hmac", 32);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, mac_key.data(), mac_key.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  bool ok = aes != nullptr && EVP_MAC_CTX_set_params(mac, params) == 1 &&
            (sealing ? EVP_EncryptInit_ex(cipher, aes.get(), nullptr, aes_key.data(), iv)
                     : EVP_DecryptInit_ex(cipher, aes.get(), nullptr, aes_key.data(), iv)) == 1;
  OPENSSL_cleanse(aes_key.data(), aes_key.size());
  OPENSSL_cleanse(mac_key.data(), mac_key.size());
  return ok;
}

[[noreturn]] void fail(const std::string& what) {
  std::string reason = last_failure("");
  throw std::runtime_error(reason.empty() ? what : what + ": " + reason);
}

}  // namespace

// The key log file, opened once (0600, never through a symlink) and written one whole line per
// write(2): O_APPEND keeps lines of several processes whole.
struct Context::KeyLog {
  int fd = -1;
  std::mutex mutex;
  explicit KeyLog(const std::string& path) : fd(open_private_append(path, "key log")) {}
  ~KeyLog() {
    if (fd >= 0) ::close(fd);
  }
  KeyLog(const KeyLog&) = delete;
  KeyLog& operator=(const KeyLog&) = delete;
  void write(const char* line) {
    std::string text = std::string(line) + "\n";
    std::lock_guard lock(mutex);
    // A key log that cannot be written loses lines, not the connection (the file said so at start).
    [[maybe_unused]] ssize_t written = ::write(fd, text.data(), text.size());
    OPENSSL_cleanse(text.data(), text.size());
  }
};

VersionRange parse_versions(std::string_view list) {
  VersionRange range;
  std::string_view rest = list;
  while (true) {
    auto comma = rest.find(',');
    std::string item = trim(rest.substr(0, comma));
    int version = 0;
    if (item == "1.2") {
      version = TLS1_2_VERSION;
    } else if (item == "1.3") {
      version = TLS1_3_VERSION;
    } else {
      throw std::runtime_error("--tls-versions '" + std::string(list) + "': '" + item +
                               "' is not a TLS version tlslab speaks (1.2, 1.3)");
    }
    range.min = range.min == 0 ? version : std::min(range.min, version);
    range.max = std::max(range.max, version);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return range;
}

Context::Context(ContextOptions options)
    : options_(std::move(options)),
      context_(options_.role == Role::server ? ssl::context::tls_server : ssl::context::tls_client) {
  SSL_CTX* ctx = context_.native_handle();
  SSL_CTX_set_ex_data(ctx, context_index(), this);
  VersionRange versions = parse_versions(options_.versions);
  if (SSL_CTX_set_min_proto_version(ctx, versions.min) != 1 || SSL_CTX_set_max_proto_version(ctx, versions.max) != 1) {
    fail("cannot set the TLS versions " + options_.versions);
  }
  if (!options_.tls12_ciphers.empty() && SSL_CTX_set_cipher_list(ctx, options_.tls12_ciphers.c_str()) != 1) {
    fail("no TLS 1.2 cipher suite in '" + options_.tls12_ciphers + "'");
  }

  if (!options_.certificate_path.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, options_.certificate_path.c_str()) != 1) {
      ERR_clear_error();
      throw std::runtime_error("cannot read the certificate '" + options_.certificate_path + "' (PEM)");
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, options_.key_path.c_str(), SSL_FILETYPE_PEM) != 1) {
      std::string reason = last_failure("");
      // libssl reads the key, then compares it with the certificate: both end here.
      if (reason.find("values mismatch") != std::string::npos || reason.find("mismatch") != std::string::npos) {
        throw std::runtime_error("the key in '" + options_.key_path + "' does not belong to the certificate '" +
                                 options_.certificate_path + "'");
      }
      throw std::runtime_error("cannot read the private key '" + options_.key_path + "' (PEM)" +
                               (reason.empty() ? "" : ": " + reason));
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      ERR_clear_error();
      throw std::runtime_error("the key in '" + options_.key_path + "' does not belong to the certificate '" +
                               options_.certificate_path + "'");
    }
  } else if (options_.role == Role::server) {
    throw std::runtime_error("a TLS server needs a certificate and its key");
  }

  auto load_trust = [&] {
    if (options_.trust_path.empty()) return;
    if (SSL_CTX_load_verify_locations(ctx, options_.trust_path.c_str(), nullptr) != 1) {
      ERR_clear_error();
      throw std::runtime_error("cannot read trusted CA certificates from '" + options_.trust_path + "' (PEM)");
    }
  };
  if (options_.role == Role::client) {
    if (options_.trust_path.empty()) throw std::runtime_error("a TLS client needs the CA certificate it trusts");
    load_trust();
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (options_.request_status) SSL_CTX_set_tlsext_status_type(ctx, TLSEXT_STATUSTYPE_ocsp);
  } else {
    // Resumed sessions must belong to this server's configuration (and libssl refuses to resume a
    // session with a verified client without one).
    static const unsigned char session_context[] = "tlslab-server";
    SSL_CTX_set_session_id_context(ctx, session_context, sizeof session_context - 1);
    if (options_.session_lifetime.count() > 0) {
      SSL_CTX_set_timeout(ctx, static_cast<long>(options_.session_lifetime.count()));
      if (options_.ticket_keys) {
        // Called by libssl to seal a ticket (enc 1) and to open one (enc 0): 1 opened, 2 opened under
        // the previous key (libssl then issues a fresh ticket), 0 a key this server does not have (a full
        // handshake), -1 a failure.
        SSL_CTX_set_tlsext_ticket_key_evp_cb(
            ctx,
            +[](SSL* ssl, unsigned char* key_name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
                int enc) -> int {
              auto* self = static_cast<Context*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), context_index()));
              if (self == nullptr || !self->options_.ticket_keys) return -1;
              auto now = static_cast<std::int64_t>(std::time(nullptr));
              int result = -1;
              if (enc == 1) {
                if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) return -1;
                self->options_.ticket_keys->with_sealing_key(now, [&](const crypto::TicketKey& key) {
                  std::memcpy(key_name, key.name.data(), key.name.size());
                  result = set_ticket_keys(key, true, iv, cipher, mac) ? 1 : -1;
                });
                return result;
              }
              bool known = self->options_.ticket_keys->with_key_named(
                  ByteView(key_name, crypto::ticket_key_name_size), now,
                  [&](const crypto::TicketKey& key, bool current) {
                    result = set_ticket_keys(key, false, iv, cipher, mac) ? (current ? 1 : 2) : -1;
                  });
              return known ? result : 0;
            });
      }
    } else {
      SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
      SSL_CTX_set_num_tickets(ctx, 0);
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }
    if (options_.client_certificates != ClientCertificates::none) {
      if (options_.trust_path.empty()) {
        throw std::runtime_error("client certificates need the CA certificate that issues them");
      }
      load_trust();
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options_.trust_path.c_str());
      if (names == nullptr) {
        ERR_clear_error();
        throw std::runtime_error("no CA certificate in '" + options_.trust_path + "'");
      }
      SSL_CTX_set_client_CA_list(ctx, names);  // sent in CertificateRequest: the CAs we accept
      int mode = SSL_VERIFY_PEER;
      if (options_.client_certificates == ClientCertificates::require) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      SSL_CTX_set_verify(ctx, mode, nullptr);
    }
    if (options_.staple) {
      // Called only for a ClientHello with status_request: a client that did not ask gets nothing.
      SSL_CTX_set_tlsext_status_cb(
          ctx, +[](SSL* ssl, void*) -> int {
            auto* self = static_cast<Context*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), context_index()));
            std::optional<Bytes> staple = self->options_.staple();
            if (!staple || staple->empty()) return SSL_TLSEXT_ERR_NOACK;
            // libssl takes ownership of an OPENSSL_malloc'd copy.
            auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(staple->size()));
            if (copy == nullptr) return SSL_TLSEXT_ERR_NOACK;
            std::memcpy(copy, staple->data(), staple->size());
            if (SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(staple->size())) != 1) {
              OPENSSL_free(copy);
              return SSL_TLSEXT_ERR_NOACK;
            }
            return SSL_TLSEXT_ERR_OK;
          });
    }
  }

  if (options_.keylog_path) keylog_ = std::make_unique<KeyLog>(*options_.keylog_path);
  // Only when someone reads the lines: libssl formats none otherwise.
  if (options_.keylog_path || options_.trace) {
    SSL_CTX_set_keylog_callback(
        ctx, +[](const SSL* ssl, const char* line) {
          auto* self = static_cast<Context*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), context_index()));
          if (self != nullptr && self->keylog_) self->keylog_->write(line);
          if (Tap* tap = Tap::of(ssl)) tap->on_keylog(line);
        });
  }
}

Context::~Context() = default;

void expect_server_name(SSL* ssl, const std::string& host) {
  // SNI carries host names only (RFC 6066 §3), not addresses.
  boost::system::error_code not_address;
  (void)boost::asio::ip::make_address(host, not_address);
  if (not_address && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    throw std::runtime_error("cannot send the server name '" + host + "'");
  }
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  int ok = not_address ? X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size())
                       : X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  if (ok != 1) {
    ERR_clear_error();
    throw std::runtime_error("cannot verify the server name '" + host + "'");
  }
}

std::string protocol_name(const SSL* ssl) {
  switch (SSL_version(ssl)) {
    case TLS1_2_VERSION: return "TLS 1.2";
    case TLS1_3_VERSION: return "TLS 1.3";
    default: return "";
  }
}

std::string last_failure(std::string_view fallback) {
  std::string reason;
  while (unsigned long code = ERR_get_error()) {
    if (!reason.empty()) continue;  // the first error is the cause; the rest is how it travelled up
    const char* text = ERR_reason_error_string(code);
    reason = text != nullptr ? text : "error " + std::to_string(ERR_GET_REASON(code));
  }
  return reason.empty() ? std::string(fallback) : reason;
}

}  // namespace tlslab::tls
