#pragma once
// Certificates met before, by their exact DER bytes: parsed once, with what has been established
// about them ("verified for host localhost until T", "issued by this CA"). In OpenSSL 3.0,
// d2i_X509 decodes the public key through the provider decoders and X509_verify_cert checks a
// signature: together about two thirds of a client's handshake CPU, and the same work each time
// the same CERTIFICATE comes back. Browsers keep such a memo; so does the CA service. What can
// change is never memoized: the online status is asked every time, and a fact carries the time
// window in which it holds. Bounded in entries and in what they cost, and safe from any thread.
//
// What it costs is not the DER size: OpenSSL's parse of a certificate takes far more memory than
// its encoding. A bound on DER bytes let 70 self-signed certificates of 13.5 KB (560 RDNs each)
// take the server from 12.8 to 39.9 MB; the bound is on estimated_cost() instead.
//
// What is remembered is the caller's choice: the client parses (and remembers) the server it chose
// to talk to; the server remembers a client's certificate only once it verified it; the CA only
// the certificates it issued. A stranger's certificate is parsed, refused and freed (find, then
// remember): it costs no lasting memory and cannot push out the entries of those who passed.
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
  // The memory one entry of `der_size` bytes of DER is counted for: 29 × DER is what 70 certificates
  // of 13.5 KB added to the server's RSS (27.1 MB: the parsed X509 is 12 × DER of heap, mallinfo2,
  // then the DER key and the allocator's pages); 4 KiB covers a small one's fixed part (a P-256
  // certificate of 331 bytes parses into 5 KB).
  static constexpr std::size_t estimated_cost(std::size_t der_size) noexcept { return 4096 + 29 * der_size; }

  // 8 MiB: some 250 certificates of 1 KB, or 20 of 13.5 KB.
  explicit CertificateMemo(std::size_t capacity = 256, std::size_t max_cost = std::size_t{8} << 20)
      : capacity_(capacity), max_cost_(max_cost) {}

  // The certificate `der` encodes, as parse_certificate_der gives it; the same object (another
  // reference) for the same bytes while they stay in the memo. Failures are not remembered.
  Result<ossl::X509Ptr> parse(ByteView der);
  // The certificate remembered for exactly these bytes, or nullptr; never parses.
  [[nodiscard]] ossl::X509Ptr find(ByteView der) const;
  // Remembers `certificate` (which `der` encodes) and returns the object the memo holds for `der`.
  ossl::X509Ptr remember(ByteView der, ossl::X509Ptr certificate);
  // How many certificates the memo holds, and their estimated_cost() summed.
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::size_t cost() const;
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
  std::size_t max_cost_;
  std::size_t cost_ = 0;  // estimated_cost() of the keys' sizes, summed
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> by_der_;
  std::unordered_map<X509*, Entry*> by_object_;  // the entries hold a reference: no address reuse
};

}  // namespace tlslab::crypto
