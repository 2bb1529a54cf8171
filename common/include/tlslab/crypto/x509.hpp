#pragma once
// X.509 loading and local verification against a trust store (PROTOCOL.md §5 step 4).
#include <chrono>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tlslab/alert.hpp"
#include "tlslab/bytes.hpp"
#include "tlslab/crypto/certificate_memo.hpp"
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
// The certificate's SubjectPublicKeyInfo as the certificate encodes it: no trip through OpenSSL 3's
// key encoders, which cost more than the rest of a ServerHello check.
Bytes certificate_public_key_der(X509* certificate);
Result<ossl::PKey> parse_public_key_der(ByteView spki);

std::string subject_of(X509* certificate);
std::string issuer_of(X509* certificate);
std::string serial_hex(X509* certificate);     // lower-case hex, no separators
std::string not_before_of(X509* certificate);  // ISO 8601 UTC
std::string not_after_of(X509* certificate);
std::string fingerprint_sha256(X509* certificate);
std::optional<std::time_t> to_time_t(const ASN1_TIME* time);  // nullopt when absent or malformed
int rsa_bits(EVP_PKEY* key);                                  // 0 when not RSA
// "DNS:localhost, IP:127.0.0.1" ("(none)" without the extension)
std::string subject_alt_names(X509* certificate);
// "RSA 2048 bits", "EC P-256"
std::string key_description(EVP_PKEY* key);
// Each check of verify_server_certificate on its own, for the trace to show which one failed and
// the values it compared: whether `host_name` (a DNS name or an IP address) is among the
// certificate's subjectAltNames, with the rules verify_server_certificate applies (no CN fallback,
// no partial wildcards), and where `now` stands in the validity period (<0 before, 0 within, >0
// after; nullopt when a date is malformed).
bool matches_host_name(X509* certificate, const std::string& host_name);
std::optional<int> validity_position(X509* certificate, std::time_t now);

// The client's trust anchors, parsed once per process, and the server certificates verified
// against them so far.
class TrustStore {
 public:
  static TrustStore from_pem_file(const std::string& path);
  explicit TrustStore(std::vector<ossl::X509Ptr> anchors);

  [[nodiscard]] X509_STORE* store() const noexcept { return store_.get(); }
  [[nodiscard]] STACK_OF(X509) * anchors() const noexcept { return anchors_.get(); }
  // The anchor that issued `certificate` (by name and signature), or nullptr.
  [[nodiscard]] X509* issuer_of(X509* certificate) const;
  // Server certificates met by this process: parse CERTIFICATEs with memo().parse() so that
  // verify_server_certificate can recall an earlier verification.
  [[nodiscard]] CertificateMemo& memo() const noexcept { return *memo_; }

 private:
  ossl::X509Store store_;
  ossl::X509Stack anchors_;
  std::unique_ptr<CertificateMemo> memo_ = std::make_unique<CertificateMemo>();
};

// Path validation, validity period, serverAuth EKU and host name (DNS SAN or IP SAN).
// Failures map to unknown_ca, certificate_expired or bad_certificate with a reason.
// `at` overrides the current time (tests). A certificate from trust.memo().parse() that passed
// for the same host name before is not validated again while the whole chain is within its
// validity period.
Result<bool> verify_server_certificate(const TrustStore& trust, X509* certificate, const std::string& host_name,
                                       std::optional<std::time_t> at = std::nullopt);
// The same for a client's certificate (PROTOCOL.md §7.7): path, validity period, clientAuth EKU
// (when the certificate has an extendedKeyUsage), not a CA; no name.
Result<bool> verify_client_certificate(const TrustStore& trust, X509* certificate,
                                       std::optional<std::time_t> at = std::nullopt);

}  // namespace tlslab::crypto
