#pragma once
// X.509 loading and local verification against a trust store (PROTOCOL.md §5 step 4).
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tlslab/alert.hpp"
#include "tlslab/bytes.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/result.hpp"

namespace tlslab::crypto {

// Throw std::runtime_error with a message that names the file and what to do.
ossl::X509Ptr load_certificate_pem(const std::string& path);
std::vector<ossl::X509Ptr> load_certificates_pem(const std::string& path);
ossl::PKey load_private_key_pem(const std::string& path);

Result<ossl::X509Ptr> parse_certificate_der(ByteView der);
Bytes certificate_der(X509* certificate);
Bytes public_key_der(EVP_PKEY* key);  // SubjectPublicKeyInfo
Result<ossl::PKey> parse_public_key_der(ByteView spki);

std::string subject_of(X509* certificate);
std::string issuer_of(X509* certificate);
std::string serial_hex(X509* certificate);  // lower-case hex, no separators
std::string not_before_of(X509* certificate);  // ISO 8601 UTC
std::string not_after_of(X509* certificate);
std::string fingerprint_sha256(X509* certificate);
int rsa_bits(EVP_PKEY* key);  // 0 when not RSA

// The client's trust anchors, parsed once per process.
class TrustStore {
 public:
  static TrustStore from_pem_file(const std::string& path);
  explicit TrustStore(std::vector<ossl::X509Ptr> anchors);

  [[nodiscard]] X509_STORE* store() const noexcept { return store_.get(); }
  [[nodiscard]] STACK_OF(X509) * anchors() const noexcept { return anchors_.get(); }
  // The anchor that issued `certificate` (by name and signature), or nullptr.
  [[nodiscard]] X509* issuer_of(X509* certificate) const;

 private:
  ossl::X509Store store_;
  ossl::X509Stack anchors_;
};

// Path validation, validity period, serverAuth EKU and host name (DNS SAN or IP SAN).
// Failures map to unknown_ca, certificate_expired or bad_certificate with a reason.
// `at` overrides the current time (tests).
Result<bool> verify_server_certificate(const TrustStore& trust, X509* certificate,
                                       const std::string& host_name,
                                       std::optional<std::time_t> at = std::nullopt);

}  // namespace tlslab::crypto
