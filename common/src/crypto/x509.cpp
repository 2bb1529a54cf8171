#include "tlslab/crypto/x509.hpp"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <limits>
#include <stdexcept>

#include "tlslab/crypto/algorithms.hpp"

namespace tlslab::crypto {
namespace {

ossl::Bio open_file(const std::string& path, const char* what) {
  ossl::Bio bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    ERR_clear_error();
    throw std::runtime_error(std::string("cannot read ") + what + " '" + path +
                             "': no such file or not readable (check the path)");
  }
  return bio;
}

std::string iso_time(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return "?";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

bool is_ip_address(const std::string& host) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 || inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

}  // namespace

ossl::X509Ptr load_certificate_pem(const std::string& path) {
  auto certificates = load_certificates_pem(path);
  return std::move(certificates.front());
}

std::vector<ossl::X509Ptr> load_certificates_pem(const std::string& path) {
  auto bio = open_file(path, "certificate");
  std::vector<ossl::X509Ptr> certificates;
  while (X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certificates.emplace_back(certificate);
  }
  ERR_clear_error();  // the end of the file reads as an error
  if (certificates.empty()) {
    throw std::runtime_error("'" + path + "' holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)");
  }
  return certificates;
}

ossl::PKey load_private_key_pem(const std::string& path) {
  auto bio = open_file(path, "private key");
  ossl::PKey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    ERR_clear_error();
    throw std::runtime_error("'" + path + "' holds no unencrypted PEM private key");
  }
  return key;
}

Result<ossl::X509Ptr> parse_certificate_der(ByteView der) {
  const unsigned char* cursor = der.data();
  ossl::X509Ptr certificate(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  if (!certificate || cursor != der.data() + der.size()) {
    ERR_clear_error();
    return fail(AlertDescription::bad_certificate, "CERTIFICATE is not one DER X.509 certificate");
  }
  return certificate;
}

std::optional<std::time_t> to_time_t(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return std::nullopt;
  return timegm(&tm);
}

Bytes certificate_der(X509* certificate) {
  return ossl::to_der<i2d_X509>(certificate, "i2d_X509");
}

Bytes public_key_der(EVP_PKEY* key) {
  return ossl::to_der<i2d_PUBKEY>(key, "i2d_PUBKEY");
}

Bytes certificate_public_key_der(X509* certificate) {
  return ossl::to_der<i2d_X509_PUBKEY>(X509_get_X509_PUBKEY(certificate), "i2d_X509_PUBKEY");
}

Result<ossl::PKey> parse_public_key_der(ByteView spki) {
  const unsigned char* cursor = spki.data();
  ossl::PKey key(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(spki.size())));
  if (!key || cursor != spki.data() + spki.size()) {
    ERR_clear_error();
    return fail(AlertDescription::bad_certificate, "SERVER'S PUBLIC KEY is not a DER SubjectPublicKeyInfo");
  }
  return key;
}

std::string subject_of(X509* certificate) {
  char text[512];
  X509_NAME_oneline(X509_get_subject_name(certificate), text, sizeof text);
  return text;
}

std::string issuer_of(X509* certificate) {
  char text[512];
  X509_NAME_oneline(X509_get_issuer_name(certificate), text, sizeof text);
  return text;
}

std::string serial_hex(X509* certificate) {
  ossl::BigNum serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr));
  if (!serial) return "?";
  char* hex = BN_bn2hex(serial.get());
  std::string out(hex);
  OPENSSL_free(hex);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string not_before_of(X509* certificate) {
  return iso_time(X509_get0_notBefore(certificate));
}
std::string not_after_of(X509* certificate) {
  return iso_time(X509_get0_notAfter(certificate));
}

std::string fingerprint_sha256(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  ossl::check(X509_digest(certificate, sha256(), digest, &length) == 1, "X509_digest");
  return to_hex(ByteView(digest, length));
}

std::string subject_alt_names(X509* certificate) {
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) {
    ERR_clear_error();
    return "(none)";
  }
  std::string out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    std::string entry;
    if (name->type == GEN_DNS) {
      // A dNSName is an IA5String of LDH labels (IDNs as xn-- A-labels): any byte outside
      // printable ASCII is shown as \xNN, never as a character that could imitate another
      // (a Cyrillic 'а') or reorder the text (U+202E).
      const ASN1_IA5STRING* dns = name->d.dNSName;
      const unsigned char* bytes = ASN1_STRING_get0_data(dns);
      entry = "DNS:";
      for (int at = 0; at < ASN1_STRING_length(dns); ++at) {
        if (bytes[at] > 0x20 && bytes[at] < 0x7f && bytes[at] != '\\') {
          entry += static_cast<char>(bytes[at]);
        } else {
          char escaped[5];
          std::snprintf(escaped, sizeof escaped, "\\x%02x", bytes[at]);
          entry += escaped;
        }
      }
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      char text[64] = "?";
      int family = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
      if (ASN1_STRING_length(ip) == 4 || ASN1_STRING_length(ip) == 16) {
        inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof text);
      }
      entry = std::string("IP:") + text;
    } else {
      entry = "other:" + std::to_string(name->type);
    }
    out += (out.empty() ? "" : ", ") + entry;
  }
  GENERAL_NAMES_free(names);
  return out.empty() ? "(none)" : out;
}

bool matches_host_name(X509* certificate, const std::string& host_name) {
  if (is_ip_address(host_name)) return X509_check_ip_asc(certificate, host_name.c_str(), 0) == 1;
  return X509_check_host(certificate, host_name.c_str(), host_name.size(),
                         X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr) == 1;
}

std::optional<int> validity_position(X509* certificate, std::time_t now) {
  auto not_before = to_time_t(X509_get0_notBefore(certificate));
  auto not_after = to_time_t(X509_get0_notAfter(certificate));
  if (!not_before || !not_after) return std::nullopt;
  if (now < *not_before) return -1;
  return now > *not_after ? 1 : 0;
}

std::string key_description(EVP_PKEY* key) {
  if (key == nullptr) return "(none)";
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return "RSA " + std::to_string(EVP_PKEY_get_bits(key)) + " bits";
    case EVP_PKEY_EC: {
      char group[64] = "?";
      std::size_t length = 0;
      EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &length);
      return std::string("EC ") + group;
    }
    default: return std::string(EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "?");
  }
}

int rsa_bits(EVP_PKEY* key) {
  return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ? EVP_PKEY_get_bits(key) : 0;
}

TrustStore TrustStore::from_pem_file(const std::string& path) {
  return TrustStore(load_certificates_pem(path));
}

TrustStore::TrustStore(std::vector<ossl::X509Ptr> anchors) : store_(X509_STORE_new()), anchors_(sk_X509_new_null()) {
  ossl::check(store_ && anchors_, "X509_STORE_new");
  for (auto& anchor : anchors) {
    ossl::check(X509_STORE_add_cert(store_.get(), anchor.get()) == 1, "X509_STORE_add_cert");
    ossl::check(sk_X509_push(anchors_.get(), anchor.get()) > 0, "sk_X509_push");
    anchor.release();  // now owned by the stack
  }
}

X509* TrustStore::issuer_of(X509* certificate) const {
  for (int i = 0; i < sk_X509_num(anchors_.get()); ++i) {
    X509* anchor = sk_X509_value(anchors_.get(), i);
    if (X509_check_issued(anchor, certificate) == X509_V_OK) return anchor;
  }
  return nullptr;
}

namespace {

std::string key_identifier(const ASN1_OCTET_STRING* id) {
  if (id == nullptr) return "none";
  return to_hex(ByteView(ASN1_STRING_get0_data(id), static_cast<std::size_t>(ASN1_STRING_length(id))));
}

// PROTOCOL.md §5 step 4: the issuer is the trust anchor whose subject key identifier is the
// certificate's authority key identifier (and whose name is its issuer name). A name alone is not
// enough: every lab's CA could be called the same.
std::string unknown_issuer_reason(const TrustStore& trust, X509* certificate) {
  std::string wanted = key_identifier(X509_get0_authority_key_id(certificate));
  for (int i = 0; i < sk_X509_num(trust.anchors()); ++i) {
    X509* anchor = sk_X509_value(trust.anchors(), i);
    if (X509_NAME_cmp(X509_get_subject_name(anchor), X509_get_issuer_name(certificate)) == 0) {
      return "no CA in the trust store issued this certificate: a trusted CA is named '" + issuer_of(certificate) +
             "' too, but its key is another (subject key id " + key_identifier(X509_get0_subject_key_id(anchor)) +
             ", the certificate names authority key id " + wanted + "); pass the right CA certificate with --trust";
    }
  }
  return "no CA in the trust store issued this certificate (its issuer is '" + issuer_of(certificate) +
         "', authority key id " + wanted + "); pass its CA certificate with --trust";
}

}  // namespace

namespace {

// The role a certificate is checked for: the purpose OpenSSL checks its extendedKeyUsage against.
struct Role {
  int purpose;        // X509_PURPOSE_SSL_SERVER or X509_PURPOSE_SSL_CLIENT
  const char* usage;  // "serverAuth" / "clientAuth"
  const char* whose;  // "a server's" / "a client's"
};
constexpr Role server_role{X509_PURPOSE_SSL_SERVER, "serverAuth", "a server's"};
constexpr Role client_role{X509_PURPOSE_SSL_CLIENT, "clientAuth", "a client's"};

// RFC 5280 path validation of `certificate` for `role` (and `host_name`, when given), the failures
// mapped onto the alerts of PROTOCOL.md §5 step 4 (§7.7 for a client). What passed is remembered in
// the memo as `fact` while the whole chain is within its validity period.
Result<bool> verify_certificate(const TrustStore& trust, X509* certificate, const Role& role,
                                const std::string* host_name, std::string fact, std::optional<std::time_t> at) {
  std::time_t now = at.value_or(std::time(nullptr));
  if (trust.memo().knows(certificate, fact, now)) return true;
  ossl::X509StoreCtx ctx(X509_STORE_CTX_new());
  ossl::check(ctx && X509_STORE_CTX_init(ctx.get(), trust.store(), certificate, nullptr) == 1, "X509_STORE_CTX_init");
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  // Requires the role's extendedKeyUsage when the certificate has one (RFC 5280 §4.2.1.12).
  ossl::check(X509_STORE_CTX_set_purpose(ctx.get(), role.purpose) == 1, "X509_STORE_CTX_set_purpose");
  if (at) X509_VERIFY_PARAM_set_time(param, *at);
  if (host_name != nullptr) {
    // PROTOCOL.md §5 step 4: subjectAltName only. Without NEVER_CHECK_SUBJECT, OpenSSL falls back
    // to the subject's CN when the certificate has no DNS name (an IP-only SAN, say): a certificate
    // "CN=victim.example, IP:10.9.9.9" would pass for victim.example.
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    bool name_set = is_ip_address(*host_name)
                        ? X509_VERIFY_PARAM_set1_ip_asc(param, host_name->c_str()) == 1
                        : X509_VERIFY_PARAM_set1_host(param, host_name->c_str(), host_name->size()) == 1;
    if (!name_set) {
      ERR_clear_error();
      return fail(AlertDescription::bad_certificate,
                  "'" + *host_name + "' cannot be checked as a host name or address");
    }
  }
  if (X509_verify_cert(ctx.get()) == 1) {
    // A CA certificate is not a server's (nor a client's), whatever its extended key usage says
    // (OpenSSL's SSL purposes do not look at the leaf's basicConstraints).
    if ((X509_get_extension_flags(certificate) & EXFLAG_CA) != 0) {
      return fail(AlertDescription::bad_certificate,
                  "the CERTIFICATE is a CA certificate (basicConstraints CA:TRUE), not " + std::string(role.whose));
    }
    // The verification holds while every certificate of the chain is within its validity period.
    std::time_t valid_from = std::numeric_limits<std::time_t>::min();
    std::time_t valid_until = std::numeric_limits<std::time_t>::max();
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      X509* link = sk_X509_value(chain, i);
      auto not_before = to_time_t(X509_get0_notBefore(link));
      auto not_after = to_time_t(X509_get0_notAfter(link));
      if (!not_before || !not_after) return true;  // holds now; just not worth remembering
      valid_from = std::max(valid_from, *not_before);
      valid_until = std::min(valid_until, *not_after);
    }
    trust.memo().learn(certificate, std::move(fact), valid_from, valid_until);
    return true;
  }
  ERR_clear_error();
  int error = X509_STORE_CTX_get_error(ctx.get());
  std::string reason = X509_verify_cert_error_string(error);
  std::string subject = subject_of(certificate);
  switch (error) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return fail(AlertDescription::unknown_ca, unknown_issuer_reason(trust, certificate));
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return fail(AlertDescription::certificate_expired,
                  "certificate expired at " + not_after_of(certificate) + " (" + subject + ")");
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return fail(AlertDescription::certificate_expired,
                  "certificate not valid before " + not_before_of(certificate) + " (" + subject + ")");
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return fail(AlertDescription::bad_certificate, "certificate is not for '" + (host_name ? *host_name : "") +
                                                         "': its subjectAltName is " + subject_alt_names(certificate) +
                                                         " (" + subject + "); check --server-name");
    case X509_V_ERR_INVALID_PURPOSE:
      return fail(AlertDescription::bad_certificate, "the certificate's extendedKeyUsage lacks " +
                                                         std::string(role.usage) + ": it is not " + role.whose + " (" +
                                                         subject + ")");
    default: return fail(AlertDescription::bad_certificate, "certificate rejected: " + reason + " (" + subject + ")");
  }
}

}  // namespace

Result<bool> verify_server_certificate(const TrustStore& trust, X509* certificate, const std::string& host_name,
                                       std::optional<std::time_t> at) {
  return verify_certificate(trust, certificate, server_role, &host_name, "server certificate for " + host_name, at);
}

Result<bool> verify_client_certificate(const TrustStore& trust, X509* certificate, std::optional<std::time_t> at) {
  return verify_certificate(trust, certificate, client_role, nullptr, "client certificate", at);
}

}  // namespace tlslab::crypto
