#pragma once
// The CA's Certificate Revocation List (RFC 5280 §5, PROTOCOL.md §9.3): signed from the database
// by `tlslab-ca crl`, and kept by `serve` to publish at GET /crl. The list is signed once and
// kept; it is signed again, with the next CRL number, when a certificate was revoked since (the
// database's revision moved, whichever process revoked it) or when less than a quarter of its
// validity is left before nextUpdate, so a client that fetches it always gets a list it may cache.
#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "authority.hpp"
#include "database.hpp"
#include "tlslab/bytes.hpp"

namespace tlslab::ca {

// How long a list is valid (thisUpdate..nextUpdate): "90s", "30m", "1h", "2d", more than 0 and at
// most 10 days (crypto::max_crl_lifetime: clients refuse a longer one). Throws
// std::invalid_argument with one line that names `option`.
std::chrono::seconds parse_crl_lifetime(std::string_view text, std::string_view option);

// One signed list and what it says, for the command's line, the HTTP headers and the trace.
struct SignedCrl {
  Bytes der;
  std::uint64_t number = 0;  // cRLNumber
  std::time_t this_update = 0;
  std::time_t next_update = 0;
  std::size_t revoked_count = 0;
  std::string signature_algorithm;  // "ecdsa-with-SHA256"
  std::uint64_t revision = 0;       // the database's revision the list was signed from
};

// Signs the list of every revoked certificate now: the next CRL number, thisUpdate `now`,
// nextUpdate `now + lifetime`. Throws std::runtime_error (database) or ossl::Error (signature).
SignedCrl sign_crl(const CaMaterial& ca, Database& database, std::chrono::seconds lifetime, std::time_t now);

class CrlPublisher {
 public:
  CrlPublisher(const CaMaterial& ca, Database& database, std::chrono::seconds lifetime)
      : ca_(ca), database_(database), lifetime_(lifetime) {}

  struct Published {
    std::shared_ptr<const SignedCrl> crl;
    std::string signed_because;  // empty when the kept list is still current
  };
  // The list to serve at `now`: the one kept, or a new one when it is stale (see above). One read
  // of the database's revision per call. Thread-safe. Throws as sign_crl does.
  [[nodiscard]] Published current(std::time_t now);

  [[nodiscard]] std::chrono::seconds lifetime() const noexcept { return lifetime_; }

 private:
  const CaMaterial& ca_;
  Database& database_;
  std::chrono::seconds lifetime_;
  std::mutex mutex_;
  std::shared_ptr<const SignedCrl> kept_;
};

// Why `crl` must be replaced at `now`, the database being at `revision`; empty when it need not.
std::string why_stale(const SignedCrl& crl, std::uint64_t revision, std::time_t now);

}  // namespace tlslab::ca
