#include "status_book.hpp"

namespace tlslab::ca {

std::shared_ptr<const StatusBook::Snapshot> StatusBook::current() {
  // Looked at first: a commit after this look moves the header for the next answer; a commit
  // before it is seen by the question to SQLite below (asked after), or already in the snapshot.
  auto header = database_.wal_index_header();
  {
    std::lock_guard lock(mutex_);
    if (snapshot_ && header && header == checked_header_) return snapshot_;
  }
  auto signal = database_.change_signal();
  {
    std::lock_guard lock(mutex_);
    if (snapshot_ && snapshot_->signal == signal) {
      checked_header_ = header;  // current as of `signal`, asked after `header` was read
      return snapshot_;
    }
  }
  std::lock_guard reload(reload_mutex_);
  {
    // Another thread may have read the book while this one waited.
    std::lock_guard lock(mutex_);
    if (snapshot_ && snapshot_->signal == signal) {
      checked_header_ = header;
      return snapshot_;
    }
  }
  Database::Statuses rows = database_.statuses();
  auto fresh = std::make_shared<Snapshot>();
  fresh->signal = rows.signal;
  fresh->statuses.reserve(rows.rows.size());
  for (auto& row : rows.rows) {
    crypto::StatusAnswer answer;
    answer.status = row.revoked ? crypto::CertStatus::revoked : crypto::CertStatus::good;
    answer.revocation_time = row.revoked_at;
    answer.revocation_reason = row.revocation_reason;
    fresh->statuses.emplace(std::move(row.serial), answer);
  }
  // The rows were read at rows.signal, which is `signal` or later: never older than the question.
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(fresh);
  checked_header_ = header;
  ++reads_;
  return snapshot_;
}

crypto::StatusAnswer StatusBook::status_of(const std::string& serial) {
  auto snapshot = current();
  auto found = snapshot->statuses.find(serial);
  return found == snapshot->statuses.end() ? crypto::StatusAnswer{} : found->second;
}

std::uint64_t StatusBook::reads() const {
  std::lock_guard lock(mutex_);
  return reads_;
}

}  // namespace tlslab::ca
