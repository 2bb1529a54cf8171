#pragma once
// What the responder answers from: every certificate's status (good, or revoked with its time and
// reason), read from the database into memory, and read again whenever the database changed.
// Before each answer, one cheap look says whether anything was committed since the book was last
// known current: the WAL index header in shared memory (wal_index.hpp: no system call, no lock);
// when it moved, or cannot be read, SQLite is asked (Database::change_signal: PRAGMA data_version
// and this connection's own writes, a read transaction but no row), and if that moved too the book
// is read again before answering. So a `tlslab-ca revoke` run in
// another process shows in the very next answer, as before, but an answer no longer pays a row
// lookup, its text columns and its allocations (docs/CA.md, "Status answers").
//
// Thread-safe: the book is an immutable snapshot behind a shared_ptr, swapped under a mutex that is
// held only to copy or replace the pointer; answers on other threads keep the snapshot they took.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "database.hpp"
#include "tlslab/crypto/ocsp.hpp"

namespace tlslab::ca {

class StatusBook {
 public:
  explicit StatusBook(Database& database) : database_(database) {}

  // The status of `serial` (as Database::normalize_serial writes it) as of the latest commit:
  // unknown when this CA never issued it. Throws std::runtime_error when the database cannot be read.
  [[nodiscard]] crypto::StatusAnswer status_of(const std::string& serial);
  // How many times the book was read from the database (for tests).
  [[nodiscard]] std::uint64_t reads() const;

 private:
  struct Snapshot {
    std::unordered_map<std::string, crypto::StatusAnswer> statuses;
    std::pair<std::uint64_t, std::uint64_t> signal;
  };
  // The WAL index header read before snapshot_ was last found current: while it has not moved,
  // nothing was committed since, and snapshot_ is still current.
  std::optional<WalIndex::Header> checked_header_;
  [[nodiscard]] std::shared_ptr<const Snapshot> current();

  Database& database_;
  mutable std::mutex mutex_;  // guards snapshot_ and reads_
  std::shared_ptr<const Snapshot> snapshot_;
  std::uint64_t reads_ = 0;
  std::mutex reload_mutex_;  // one reader of the whole table at a time
};

}  // namespace tlslab::ca
