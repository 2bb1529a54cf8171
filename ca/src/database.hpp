#pragma once
// The CA's certificate database (SQLite, WAL): every issued certificate and its status. Schema
// in docs/CA.md. One connection, serialized by a mutex. A revocation is committed with
// synchronous=FULL, so it is durable when revoke() returns, and the next change_signal() on any
// connection, in any process, differs from the one before it (status_book.hpp).
#include <sqlite3.h>

#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <openssl/x509.h>

#include "wal_index.hpp"

namespace tlslab::ca {

struct CertificateRecord {
  std::string serial;  // lower-case hex, no separators
  std::string subject;
  std::string subject_alt_names;
  std::string not_before;  // ISO 8601 UTC
  std::string not_after;
  std::string fingerprint_sha256;
  std::time_t issued_at = 0;
  bool revoked = false;
  std::time_t revoked_at = 0;
  int revocation_reason = -1;
};

// A revoked certificate as a CRL lists it (RFC 5280 §5.3).
struct RevokedRecord {
  std::string serial;
  std::time_t revoked_at = 0;
  int reason = 0;  // CRLReason
};

class Database {
 public:
  enum class Mode { create, open_existing };
  // Throws std::runtime_error with the path and what to do.
  Database(const std::string& path, Mode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void record_issued(X509* certificate, const std::string& subject_alt_names);
  [[nodiscard]] std::optional<CertificateRecord> find(const std::string& serial);

  enum class RevokeOutcome { revoked, already_revoked, not_found };
  RevokeOutcome revoke(const std::string& serial, int reason, std::time_t when);
  [[nodiscard]] std::vector<CertificateRecord> list();
  // Every revoked certificate, by serial.
  [[nodiscard]] std::vector<RevokedRecord> revoked();
  // Grows with every revocation, made by this process or another: one indexed read, cheap enough
  // to ask before every CRL served (a list signed at an older revision is stale).
  [[nodiscard]] std::uint64_t revision();
  // The cRLNumber for the next list to sign: one more than the last, committed before it returns,
  // so it never goes back, across restarts and processes (RFC 5280 §5.2.3).
  [[nodiscard]] std::uint64_t next_crl_number();
  [[nodiscard]] std::uint64_t last_crl_number();
  // What the responder needs of every certificate, and the change signal it was read at, in one
  // read transaction (so a revocation committed meanwhile is either in it or moves the signal).
  struct StatusRow {
    std::string serial;
    bool revoked = false;
    std::time_t revoked_at = 0;
    int revocation_reason = -1;
  };
  struct Statuses {
    std::vector<StatusRow> rows;
    std::pair<std::uint64_t, std::uint64_t> signal;
  };
  [[nodiscard]] Statuses statuses();
  // Differs from a value it returned before when anything was committed since, by another
  // connection (PRAGMA data_version: one read transaction on the WAL index, no row read) or by this
  // one (its own count of writes: data_version moves only for other connections' commits).
  [[nodiscard]] std::pair<std::uint64_t, std::uint64_t> change_signal();
  // Cheaper still, and lock-free: the WAL index header (wal_index.hpp), which any commit, by any
  // connection, rewrites. nullopt when it cannot be read (then ask change_signal()).
  [[nodiscard]] std::optional<WalIndex::Header> wal_index_header() const {
    return wal_index_ ? wal_index_->header() : std::nullopt;
  }
  // PRAGMA integrity_check: "ok" when the file is sound.
  [[nodiscard]] std::string integrity_check();

  // "3F:A0…" or "0x3fa0…" → "3fa0…" (as serial_hex prints it); empty when not hex.
  static std::string normalize_serial(const std::string& text);

 private:
  void execute(const char* sql);
  sqlite3* db_ = nullptr;
  sqlite3_stmt* find_statement_ = nullptr;
  sqlite3_stmt* revision_statement_ = nullptr;
  sqlite3_stmt* data_version_statement_ = nullptr;
  std::uint64_t own_writes_ = 0;         // commits made through this connection (under mutex_)
  std::unique_ptr<WalIndex> wal_index_;  // none for ":memory:"
  [[nodiscard]] std::uint64_t data_version_locked();
  std::mutex mutex_;
};

}  // namespace tlslab::ca
