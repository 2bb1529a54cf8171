#pragma once
// The CA's signed answer (PROTOCOL.md §9): building it on the CA side and checking it on the
// client side. Every ASN.1 structure is OpenSSL's.
#include <chrono>
#include <ctime>
#include <optional>
#include <span>
#include <string>

#include "tlslab/bytes.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/result.hpp"

namespace tlslab::crypto {

enum class CertStatus : std::uint8_t { good, revoked, unknown };
std::string_view to_string(CertStatus status);

// RFC 5280 CRLReason names (keyCompromise, …); nullopt for an unknown name.
std::optional<int> revocation_reason_from(std::string_view name);
std::string_view revocation_reason_name(int reason);

struct StatusAnswer {
  CertStatus status = CertStatus::unknown;
  std::time_t revocation_time = 0;  // when revoked
  int revocation_reason = -1;       // OCSP_REVOKED_STATUS_*; -1 when none
};

struct ResponderIdentity {
  X509* ca_certificate;
  EVP_PKEY* ca_key;
};

// Whether the answer carries the CA certificate in `certs`: standard OCSP clients (`openssl ocsp`)
// need it to find the signer; a tlslab client has it in its trust store, and parsing it again
// costs more than verifying the signature (OpenSSL 3.0: ~160 µs).
enum class SignerCertificate : std::uint8_t { included, omitted };

// A signed successful OCSPResponse for the certificate with `serial` issued by the CA, with
// thisUpdate = now, nextUpdate = now + validity, and the nonce extension when `nonce` is given.
Bytes build_ocsp_response(const ResponderIdentity& responder, ASN1_INTEGER* serial, const StatusAnswer& answer,
                          std::optional<ByteView> nonce, std::chrono::seconds validity, std::time_t now,
                          SignerCertificate signer_certificate = SignerCertificate::included);
// The general form: one SingleResponse per CertID (as an OCSP request over HTTP may ask several),
// the nonce given as bytes or copied from `nonce_source` (RFC 6960 §4.4.1).
struct SingleAnswer {
  OCSP_CERTID* id;
  StatusAnswer answer;
};
Bytes build_ocsp_response(const ResponderIdentity& responder, std::span<const SingleAnswer> answers,
                          std::optional<ByteView> nonce, OCSP_REQUEST* nonce_source, std::chrono::seconds validity,
                          std::time_t now, SignerCertificate signer_certificate = SignerCertificate::included);
// An unsigned OCSPResponse with only a responseStatus (malformedRequest, internalError, …).
Bytes build_ocsp_error(int response_status);

struct VerifiedStatus {
  StatusAnswer answer;
  std::time_t this_update = 0;
  std::time_t next_update = 0;
  std::string signer;  // subject of the certificate that signed it
  std::time_t produced_at = 0;
  std::string signature_algorithm;  // "ecdsa-with-SHA256", "sha256WithRSAEncryption"
};

// Client side: checks everything in §9 steps 2–6 and returns the status (step 7 is the caller's:
// it maps revoked/unknown to alerts). Every failure is bad_certificate_status_response.
Result<VerifiedStatus> verify_ocsp_response(ByteView der, const TrustStore& trust, X509* certificate, ByteView nonce,
                                            std::optional<std::time_t> at = std::nullopt);

// Client side of stapling (§9.1): the staple from ServerHello, checked by time since it cannot carry
// the client's nonce: §9 steps 2, 3 and 5, thisUpdate within `max_age` (and not in the future
// beyond the clock skew), nextUpdate not passed. Every failure is bad_certificate_status_response;
// the caller decides between refusing and asking the CA itself.
Result<VerifiedStatus> verify_staple(ByteView der, const TrustStore& trust, X509* certificate,
                                     std::chrono::seconds max_age, std::optional<std::time_t> at = std::nullopt);

inline constexpr std::chrono::seconds ocsp_clock_skew{300};
inline constexpr std::chrono::seconds default_max_staple_age{600};

}  // namespace tlslab::crypto
