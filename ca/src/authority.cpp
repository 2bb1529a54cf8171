#include "authority.hpp"

#include <algorithm>

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>

#include "tlslab/net/http_get.hpp"
#include "tlslab/private_file.hpp"
#include "tlslab/text.hpp"

namespace tlslab::ca {
namespace {

void add_extension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, certificate, nullptr, nullptr, 0);
  ossl::X509Extension extension(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!extension) throw std::invalid_argument(ossl::error_string(std::string("extension value '") + value + "'"));
  ossl::check(X509_add_ext(certificate, extension.get(), -1) == 1, "X509_add_ext");
}

void set_name(X509_NAME* name, const std::string& common_name) {
  ossl::check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("tlslab"), -1,
                                         -1, 0) == 1,
              "subject O");
  ossl::check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                         reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) == 1,
              "subject CN (at most 64 characters)");
}

void set_random_serial(X509* certificate) {
  // 16 random bytes (126 bits of entropy): top bit cleared so the INTEGER stays positive
  // (RFC 5280 §4.1.2.2), next bit set so it is always 16 bytes and its hex never starts with 0.
  unsigned char bytes[16];
  ossl::check(RAND_bytes(bytes, sizeof bytes) == 1, "RAND_bytes");
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);
  ossl::BigNum number(BN_bin2bn(bytes, sizeof bytes, nullptr));
  ossl::check(number != nullptr, "BN_bin2bn");
  ossl::check(BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(certificate)) != nullptr, "serial");
}

void set_validity(X509* certificate, Validity validity) {
  ossl::check(ASN1_TIME_set(X509_getm_notBefore(certificate), validity.not_before) != nullptr, "notBefore");
  ossl::check(ASN1_TIME_set(X509_getm_notAfter(certificate), validity.not_after) != nullptr, "notAfter");
}

// A certificate is public: a document (0644 under the usual umask), written through the one path
// for outputs (private_file.hpp): never through a planted symlink, never into another user's file.
void write_public_file(const std::string& path, const std::function<void(BIO*)>& write) {
  ossl::Bio bio(BIO_new(BIO_s_mem()));
  if (!bio) throw std::runtime_error("cannot write '" + path + "': out of memory");
  write(bio.get());
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  write_output_file(path, std::string_view(data, static_cast<std::size_t>(length)), "certificate", FileKind::document);
}

}  // namespace

std::optional<KeyType> key_type_from(std::string_view name) {
  if (name == "ec-p256") return KeyType::ec_p256;
  if (name == "rsa2048") return KeyType::rsa2048;
  if (name == "rsa3072") return KeyType::rsa3072;
  if (name == "rsa4096") return KeyType::rsa4096;
  return std::nullopt;
}

std::string_view to_string(KeyType type) {
  switch (type) {
    case KeyType::ec_p256: return "ec-p256";
    case KeyType::rsa2048: return "rsa2048";
    case KeyType::rsa3072: return "rsa3072";
    case KeyType::rsa4096: return "rsa4096";
  }
  return "?";
}

ossl::PKey generate_key(KeyType type) {
  EVP_PKEY* key = nullptr;
  switch (type) {
    case KeyType::ec_p256: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case KeyType::rsa2048: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)); break;
    case KeyType::rsa3072: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(3072)); break;
    case KeyType::rsa4096: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(4096)); break;
  }
  ossl::check(key != nullptr, "key generation");
  return ossl::PKey(key);
}

Validity validity_from_now(int days) {
  std::time_t now = std::time(nullptr);
  return {now - 60, now + static_cast<std::time_t>(days) * 86400};
}

CaMaterial make_ca(KeyType type, const std::string& common_name, Validity validity) {
  CaMaterial ca{generate_key(type), ossl::X509Ptr(X509_new())};
  X509* certificate = ca.certificate.get();
  ossl::check(certificate != nullptr && X509_set_version(certificate, X509_VERSION_3) == 1, "X509_new");
  set_random_serial(certificate);
  set_validity(certificate, validity);
  set_name(X509_get_subject_name(certificate), common_name);
  ossl::check(X509_set_issuer_name(certificate, X509_get_subject_name(certificate)) == 1, "issuer");
  ossl::check(X509_set_pubkey(certificate, ca.key.get()) == 1, "X509_set_pubkey");
  add_extension(certificate, certificate, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(certificate, certificate, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(certificate, certificate, NID_subject_key_identifier, "hash");
  add_extension(certificate, certificate, NID_authority_key_identifier, "keyid:always");
  ossl::check(X509_sign(certificate, ca.key.get(), EVP_sha256()) > 0, "X509_sign");
  return ca;
}

ossl::X509Ptr issue_certificate(const CaMaterial& ca, EVP_PKEY* subject_key, const IssueRequest& request) {
  ossl::X509Ptr owned(X509_new());
  X509* certificate = owned.get();
  ossl::check(certificate != nullptr && X509_set_version(certificate, X509_VERSION_3) == 1, "X509_new");
  set_random_serial(certificate);
  set_validity(certificate, request.validity);
  set_name(X509_get_subject_name(certificate), request.common_name);
  ossl::check(X509_set_issuer_name(certificate, X509_get_subject_name(ca.certificate.get())) == 1, "issuer");
  ossl::check(X509_set_pubkey(certificate, subject_key) == 1, "X509_set_pubkey");
  add_extension(certificate, ca.certificate.get(), NID_basic_constraints, "critical,CA:FALSE");
  // A server's RSA key transports the PRE-MASTER and signs key shares; an EC key only signs (§5,
  // §7.6). A client's key only signs its CertificateVerify (§7.7).
  bool transports = request.role == Role::server && EVP_PKEY_get_base_id(subject_key) == EVP_PKEY_RSA;
  add_extension(certificate, ca.certificate.get(), NID_key_usage,
                transports ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature");
  add_extension(certificate, ca.certificate.get(), NID_ext_key_usage,
                request.role == Role::server ? "serverAuth" : "clientAuth");
  add_extension(certificate, ca.certificate.get(), NID_subject_key_identifier, "hash");
  add_extension(certificate, ca.certificate.get(), NID_authority_key_identifier, "keyid:always");
  if (!request.subject_alt_names.empty()) {
    std::string sans;
    for (const auto& san : request.subject_alt_names) {
      if (san.rfind("DNS:", 0) != 0 && san.rfind("IP:", 0) != 0) {
        throw std::invalid_argument("subject alternative name '" + san + "' must start with DNS: or IP:");
      }
      sans += (sans.empty() ? "" : ",") + san;
    }
    add_extension(certificate, ca.certificate.get(), NID_subject_alt_name, sans.c_str());
  }
  if (request.crl_url) {
    const std::string& url = *request.crl_url;
    bool plain = std::all_of(url.begin(), url.end(), [](char c) { return c > ' ' && c < 0x7f && c != ','; });
    if (url.rfind("http://", 0) != 0 || url.size() <= 7 || url.size() > 512 || !plain) {
      // The URL as typed may hold escape sequences: shown escaped, and cut.
      std::string shown = printable(url.substr(0, 80)) + (url.size() > 80 ? "…" : "");
      throw std::invalid_argument("--crl-url '" + shown +
                                  "' must be an http:// URL of printable characters without commas or spaces, "
                                  "at most 512 of them");
    }
    add_extension(certificate, ca.certificate.get(), NID_crl_distribution_points, ("URI:" + url).c_str());
  }
  if (request.ocsp_url) {
    const std::string& url = *request.ocsp_url;
    bool plain = std::all_of(url.begin(), url.end(), [](char c) { return c > ' ' && c < 0x7f && c != ','; });
    bool http = false;
    try {
      http = net::parse_http_url(url).host.size() > 0;
    } catch (const net::HttpGetError&) {
      http = false;
    }
    if (!http || url.size() > 512 || !plain) {
      // The URL as typed may hold escape sequences: shown escaped, and cut.
      std::string shown = printable(url.substr(0, 80)) + (url.size() > 80 ? "…" : "");
      throw std::invalid_argument("--ocsp-url '" + shown +
                                  "' must be an http://HOST:PORT[/PATH] URL of printable characters without commas "
                                  "or spaces, at most 512 of them");
    }
    add_extension(certificate, ca.certificate.get(), NID_info_access, ("OCSP;URI:" + url).c_str());
  }
  ossl::check(X509_sign(certificate, ca.key.get(), EVP_sha256()) > 0, "X509_sign");
  return owned;
}

void write_private_key_pem(const std::string& path, EVP_PKEY* key) {
  // Encoded in memory that is wiped when freed (a "secure" memory BIO), then written as a new
  // 0600 file renamed into place: never through a file someone else prepared (private_file.hpp).
  ossl::Bio pem(BIO_new(BIO_s_secmem()));
  ossl::check(pem != nullptr, "BIO_new");
  ossl::check(PEM_write_bio_PrivateKey(pem.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "write key");
  char* data = nullptr;
  long length = BIO_get_mem_data(pem.get(), &data);
  ossl::check(length > 0 && data != nullptr, "write key");
  write_private_file(path, std::string_view(data, static_cast<std::size_t>(length)), "private key");
}

void write_certificate_pem(const std::string& path, X509* certificate) {
  write_public_file(path,
                    [&](BIO* bio) { ossl::check(PEM_write_bio_X509(bio, certificate) == 1, "write certificate"); });
}

}  // namespace tlslab::ca
