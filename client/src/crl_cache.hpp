#pragma once
// The client's CRL cache (--crl-cache DIR, PROTOCOL.md §9.3): one file per URL, named by the hex
// SHA-256 of the URL, mode 0600, holding the verified list, when it was fetched, and the highest
// cRLNumber seen for the URL. A list is used without fetching until its nextUpdate; its number is
// remembered after that, so a later list with a lower number is refused as a replay. A directory or
// an entry another user owns or that group or others can write is refused, never read; a corrupt
// entry is ignored with a note and fetched again.
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "tlslab/bytes.hpp"
#include "tlslab/net/crl_fetcher.hpp"

namespace tlslab::client {

// A directory or an entry that is not this user's alone: one line that says what to do.
class CrlCacheError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CrlCache {
 public:
  // Creates `directory` (0700) when absent. Throws CrlCacheError when it is not a directory, or
  // another user owns it, or group or others can write it.
  explicit CrlCache(std::filesystem::path directory);

  // What an entry holds.
  struct Entry {
    std::string url;
    Bytes der;  // the list, as fetched and verified
    std::time_t fetched_at = 0;
    std::uint64_t highest_number = 0;  // the highest cRLNumber seen for the URL
  };
  // DIR/<hex SHA-256 of the URL>.crl
  [[nodiscard]] std::filesystem::path path_for(std::string_view url) const;
  // The entry for `url`; nullopt when there is none, or when it is corrupt (then `note` says so).
  // Throws CrlCacheError for an entry that is not a regular file of this user's that only this user
  // can write.
  std::optional<Entry> read(std::string_view url, std::string& note) const;
  // Replaces the entry (mode 0600, written beside it and renamed). Throws std::runtime_error.
  void write(const Entry& entry) const;

  // What the cache offers a check at `now`: a usable list (`usable.cached`, verified again against
  // the trust store and `certificate`, within its time window), or else the highest number to
  // require of a fetched one. `note` says why an entry was not used (corrupt, stale, another issuer).
  struct Offer {
    std::optional<net::CrlCheck> usable;
    std::optional<std::uint64_t> highest_number;
    std::string note;
  };
  Offer offer(const std::string& url, const crypto::TrustStore& trust, X509* certificate, std::time_t now) const;
  // Keeps a list just fetched and verified (`check.crl`), with the highest number seen.
  void keep(const net::CrlCheck& check) const;

 private:
  std::filesystem::path directory_;
};

}  // namespace tlslab::client
