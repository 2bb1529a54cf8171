#pragma once
// Certificate Revocation Lists (RFC 5280 §5): the third way arrows 3–4 can go (PROTOCOL.md §9.3).
// The CA signs the whole list of revoked serials now and then; the client fetches it from the
// certificate's CRL distribution point, checks it with the CA'S PUBLIC KEY and looks the serial
// up itself, so the CA learns only that someone fetched the list. Every ASN.1 structure is
// OpenSSL's.
#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <openssl/x509.h>

#include "tlslab/bytes.hpp"
#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/result.hpp"

namespace tlslab::crypto {

using CrlPtr = std::unique_ptr<X509_CRL, ossl::Deleter<&X509_CRL_free>>;

// A fetched CRL is attacker-controlled bytes: no more than this is read or parsed. 100,000 revoked
// serials with reason codes come to about 4 MiB.
inline constexpr std::size_t max_crl_size = 8 * 1024 * 1024;
// The longest thisUpdate..nextUpdate a client accepts: the CA/Browser Forum's Baseline Requirements
// (§4.9.7) let a CRL for subscriber certificates live at most 10 days. A longer one is refused as
// "nextUpdate too far in the future": a list that would be replayable for months.
inline constexpr std::chrono::seconds max_crl_lifetime{10 * 86400};

// One revoked certificate, as the CA's database knows it.
struct RevokedSerial {
  std::string serial;  // lower-case hex, as serial_hex prints it
  std::time_t revocation_time = 0;
  int reason = 0;  // RFC 5280 CRLReason; 0 (unspecified) is written without the extension (§5.3.1)
};

struct CrlContents {
  std::uint64_t number = 1;  // cRLNumber (§5.2.3): grows with every list the CA signs
  std::time_t this_update = 0;
  std::time_t next_update = 0;
  std::vector<RevokedSerial> revoked;
};

// CA side: a v2 CRL signed with SHA-256 by the CA, with cRLNumber and authorityKeyIdentifier, the
// entries sorted by serial. DER. Throws ossl::Error, or std::invalid_argument on a bad serial.
Bytes build_crl(X509* ca_certificate, EVP_PKEY* ca_key, const CrlContents& contents);
// The same list as PEM (-----BEGIN X509 CRL-----), as `openssl crl` reads it.
std::string crl_pem(ByteView der);

// A CRL that passed every check of verify_crl, kept (in memory or in the cache) until nextUpdate.
struct VerifiedCrl {
  std::shared_ptr<X509_CRL> crl;
  std::uint64_t number = 0;
  std::time_t this_update = 0;
  std::time_t next_update = 0;
  std::string issuer;               // the CA's subject
  std::string signature_algorithm;  // "ecdsa-with-SHA256", "sha256WithRSAEncryption"
  std::size_t revoked_count = 0;
  std::size_t size = 0;  // DER bytes
};

// What a client checks before it uses a CRL (PROTOCOL.md §9.3), each failure one
// bad_certificate_status_response with a reason that says which:
//   - at most max_crl_size bytes, one DER CertificateList and nothing after it;
//   - v2, issued by the certificate's issuer (by name), that issuer a trust anchor, and the
//     signature verified with its key;
//   - a cRLNumber, not below `last_number` (the highest one this client saw: a lower one is an old
//     list replayed);
//   - not a delta CRL, not a partitioned or indirect list (an issuingDistributionPoint), and no
//     critical extension (of the list or of an entry) the client does not know;
//   - thisUpdate not in the future (beyond ocsp_clock_skew), nextUpdate present and not passed,
//     and nextUpdate − thisUpdate at most max_crl_lifetime.
Result<VerifiedCrl> verify_crl(ByteView der, const TrustStore& trust, X509* certificate,
                               std::optional<std::uint64_t> last_number = std::nullopt,
                               std::optional<std::time_t> at = std::nullopt);

// Only the time checks of verify_crl, for a list verified earlier and kept in a cache.
Result<void> check_crl_times(const VerifiedCrl& crl, std::time_t now);

// The certificate's status in a verified list: revoked (with its date and reason) when its serial
// is there, good otherwise. A binary search in OpenSSL's sorted entries.
StatusAnswer look_up(const VerifiedCrl& crl, X509* certificate);

// The certificate's CRL distribution point: the first http:// URI of its first DistributionPoint
// with a fullName (RFC 5280 §4.2.1.13); nullopt when there is none.
std::optional<std::string> crl_distribution_point(X509* certificate);

}  // namespace tlslab::crypto
