#pragma once
// The header of SQLite's WAL index (the "-shm" file beside a WAL database), read from memory with no
// system call and no lock: the cheapest way to learn that nothing was committed since a moment. Any
// commit, by any connection in any process, writes a new header (its frame count, change counter
// or salts move), so an unchanged header means no commit since it was read. Read as SQLite's own
// readers do (https://www.sqlite.org/walformat.html, "The WAL-Index Header"): two copies, the first
// then the second, each 48 bytes; a header is trusted only when both agree and say they are
// initialized. Anything else (no file, another version, a write under way) reads as "unknown", and
// the caller asks SQLite itself (PRAGMA data_version).
//
// The file stays mapped while the database is open: SQLite never truncates or removes it while a
// connection of this process holds it (the "DMS" lock), so the mapping cannot outlive its bytes.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace tlslab::ca {

class WalIndex {
 public:
  using Header = std::array<std::uint32_t, 12>;  // one copy of the 48-byte WalIndexHdr
  // Maps `shm_path` read-only; an index that cannot be mapped reads as unknown.
  explicit WalIndex(const std::string& shm_path);
  ~WalIndex();
  WalIndex(const WalIndex&) = delete;
  WalIndex& operator=(const WalIndex&) = delete;

  // The header now, when both copies agree and it is initialized; nullopt otherwise.
  [[nodiscard]] std::optional<Header> header() const;

 private:
  const volatile std::uint32_t* words_ = nullptr;
  void* mapping_ = nullptr;
  std::size_t length_ = 0;
};

}  // namespace tlslab::ca
