#pragma once
// Certificates met before, by their exact DER bytes: parsed once, with what has been established
// about them ("verified for host localhost until T", "issued by this CA"). In OpenSSL 3.0,
// d2i_X509 decodes the public key through the provider decoders and X509_verify_cert checks a
// signature: together about two thirds of a client's handshake CPU, and the same work each time
// the same CERTIFICATE comes back. Browsers keep such a memo; so does the CA service. What can
// change is never memoized: the online status is asked every time, and a fact carries the time
// window in which it holds. Bounded in entries and in DER bytes (a parsed certificate takes a few
// times its DER size: one of 15.6 KB with 640 RDNs took 200 KB), and safe from any thread.
//
// What is remembered is the caller's choice: the client parses (and remembers) the server it
// talks to; the CA remembers only certificates it has checked it issued, so that a stranger's
// certificates cost it no lasting memory (find, then remember).
#include <cstddef>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tlslab/bytes.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/result.hpp"

namespace tlslab::crypto {

class CertificateMemo {
 public:
  explicit CertificateMemo(std::size_t capacity = 256, std::size_t max_der_bytes = std::size_t{1} << 20)
      : capacity_(capacity), max_der_bytes_(max_der_bytes) {}

  // The certificate `der` encodes, as parse_certificate_der gives it; the same object (another
  // reference) for the same bytes while they stay in the memo. Failures are not remembered.
  Result<ossl::X509Ptr> parse(ByteView der);
  // The certificate remembered for exactly these bytes, or nullptr; never parses.
  [[nodiscard]] ossl::X509Ptr find(ByteView der) const;
  // Remembers `certificate` (which `der` encodes) and returns the object the memo holds for `der`.
  ossl::X509Ptr remember(ByteView der, ossl::X509Ptr certificate);
  // How many certificates, and how many DER bytes, the memo holds.
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::size_t der_bytes() const;
  // Whether `fact` was learned about `certificate` (an object parse() returned) and holds at `now`.
  [[nodiscard]] bool knows(X509* certificate, std::string_view fact, std::time_t now) const;
  // Records a fact holding from `valid_from` to `valid_until`; ignored for a certificate the memo
  // no longer holds.
  void learn(X509* certificate, std::string fact, std::time_t valid_from, std::time_t valid_until);

 private:
  struct Fact {
    std::string name;
    std::time_t valid_from;
    std::time_t valid_until;
  };
  struct Entry {
    ossl::X509Ptr certificate;
    std::vector<Fact> facts;
  };

  std::size_t capacity_;
  std::size_t max_der_bytes_;
  std::size_t der_bytes_ = 0;  // the keys' sizes, summed
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> by_der_;
  std::unordered_map<X509*, Entry*> by_object_;  // the entries hold a reference: no address reuse
};

}  // namespace tlslab::crypto
