#pragma once
// Arrows 3–4 as a CRL fetch (PROTOCOL.md §9.3), shared by the client (about the server's
// certificate) and the server (about a client's): the URL, one HTTP GET of the list, verify_crl
// against the local trust store, the serial looked up; and the server's lists kept in memory until
// their nextUpdate. What the CA learns: only that this address fetched the list.
#include <chrono>
#include <cstdint>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tlslab/crypto/crl.hpp"
#include "tlslab/net/asio.hpp"
#include "tlslab/result.hpp"
#include "tlslab/trace/event.hpp"

namespace tlslab::net {

// Where the list is: `given` (--crl-from URL) when set, else the certificate's distribution point;
// none → bad_certificate_status_response "the certificate names no CRL distribution point; give
// OPTION URL".
Result<std::string> crl_url(X509* certificate, const std::optional<std::string>& given, std::string_view option);

// One GET of the list, as the trace shows it.
struct CrlFetch {
  unsigned status = 0;
  std::size_t size = 0;
  std::string content_type;
  std::string etag;
  std::string peer;
  double elapsed_ms = 0;
};

// Arrows 3–4 as a CRL: where the list came from, and the list (or why there is none to use).
struct CrlCheck {
  std::string url;
  std::optional<CrlFetch> fetch;                // the GET, when it was answered 200 (none: from a cache)
  std::time_t fetched_at = 0;                   // when the list in use was fetched
  std::optional<crypto::VerifiedCrl> crl;       // verified and within its time window
  std::string refused;                          // why there is no list to use; empty when `crl`
  std::optional<std::uint64_t> highest_before;  // the highest cRLNumber seen for this URL before
  bool cached = false;                          // the list came from a cache, fetched before this session

  [[nodiscard]] bool usable() const { return crl.has_value(); }
};

// GETs `url` (the deadline for all of it; no redirect; at most crypto::max_crl_size bytes) and
// checks the body with verify_crl (`last_number`: a lower cRLNumber is a replay). Never throws for
// what the network or the list does: the reason is in `refused`.
awaitable<CrlCheck> fetch_crl(std::string url, const crypto::TrustStore& trust, X509* certificate,
                              std::optional<std::uint64_t> last_number, std::chrono::milliseconds deadline);

// The status the list gives `certificate` (the caller's require_good maps revoked to
// certificate_revoked), or bad_certificate_status_response with `refused`.
Result<crypto::VerifiedStatus> crl_status(const CrlCheck& check, X509* certificate);

// The trace's fields for arrow 3 (the GET), arrow 4 (the list, or why it is refused, in red) and
// the local look-up step.
std::vector<TraceField> crl_request_fields(const CrlCheck& check);
std::vector<TraceField> crl_response_fields(const CrlCheck& check);
std::vector<TraceField> crl_look_up_fields(X509* certificate, const Result<crypto::VerifiedStatus>& status);
// Arrow 4's words when the list came from a cache: "from the cache, fetched at …, valid until …".
std::string crl_cached_words(const CrlCheck& check);

// The server's lists, one per URL, kept in memory and shared by every connection (thread-safe):
// used until their nextUpdate, then fetched again; the highest cRLNumber seen per URL stays, so a
// list going back is refused as a replay.
class CrlMemo {
 public:
  awaitable<CrlCheck> check(const std::string& url, const crypto::TrustStore& trust, X509* certificate,
                            std::chrono::milliseconds deadline);

 private:
  struct Kept {
    crypto::VerifiedCrl crl;
    std::time_t fetched_at = 0;
  };
  std::mutex mutex_;
  std::map<std::string, Kept> lists_;
  std::map<std::string, std::uint64_t> highest_;
};

}  // namespace tlslab::net
