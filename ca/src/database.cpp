#include "database.hpp"

#include <filesystem>
#include <stdexcept>

#include "tlslab/crypto/x509.hpp"

namespace tlslab::ca {
namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS certificates (
  serial             TEXT PRIMARY KEY,   -- lower-case hex, no separators
  subject            TEXT NOT NULL,
  subject_alt_names  TEXT NOT NULL,
  not_before         TEXT NOT NULL,      -- ISO 8601 UTC
  not_after          TEXT NOT NULL,
  fingerprint_sha256 TEXT NOT NULL,
  der                BLOB NOT NULL,
  issued_at          INTEGER NOT NULL,   -- Unix time
  revoked_at         INTEGER,            -- Unix time; NULL while good
  revocation_reason  INTEGER             -- RFC 5280 CRLReason code; NULL while good
);
-- One row: what the CA's CRLs (RFC 5280 §5) need to outlive a restart. Created on open, so a
-- database made before CRLs gains it.
CREATE TABLE IF NOT EXISTS crl_state (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  last_crl_number INTEGER NOT NULL DEFAULT 0,  -- cRLNumber of the last list signed (§5.2.3): never goes back
  revocations     INTEGER NOT NULL DEFAULT 0   -- grows with every revocation: a published list older is stale
);
INSERT OR IGNORE INTO crl_state (id) VALUES (1);
-- Counted by the database itself, whoever revokes (`tlslab-ca revoke` in another process).
CREATE TRIGGER IF NOT EXISTS count_revocations AFTER UPDATE OF revoked_at ON certificates
  WHEN NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL
  BEGIN UPDATE crl_state SET revocations = revocations + 1 WHERE id = 1; END;
)sql";

constexpr const char* find_sql =
    "SELECT serial, subject, subject_alt_names, not_before, not_after, fingerprint_sha256, issued_at, "
    "revoked_at, revocation_reason FROM certificates WHERE serial = ?1";

std::string column_text(sqlite3_stmt* statement, int column) {
  const unsigned char* text = sqlite3_column_text(statement, column);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text));
}

CertificateRecord read_record(sqlite3_stmt* statement) {
  CertificateRecord record;
  record.serial = column_text(statement, 0);
  record.subject = column_text(statement, 1);
  record.subject_alt_names = column_text(statement, 2);
  record.not_before = column_text(statement, 3);
  record.not_after = column_text(statement, 4);
  record.fingerprint_sha256 = column_text(statement, 5);
  record.issued_at = sqlite3_column_int64(statement, 6);
  record.revoked = sqlite3_column_type(statement, 7) != SQLITE_NULL;
  if (record.revoked) {
    record.revoked_at = sqlite3_column_int64(statement, 7);
    record.revocation_reason = sqlite3_column_int(statement, 8);
  }
  return record;
}

struct Statement {
  sqlite3_stmt* handle = nullptr;
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &handle, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("database: ") + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(handle); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
};

}  // namespace

Database::Database(const std::string& path, Mode mode) {
  if (mode == Mode::open_existing && !std::filesystem::exists(path)) {
    throw std::runtime_error("no CA database at '" + path + "': run 'tlslab-ca init --dir DIR' first");
  }
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (mode == Mode::create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string reason = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error("cannot open CA database '" + path + "': " + reason);
  }
  sqlite3_busy_timeout(db_, 5000);  // a concurrent revoke waits instead of failing
  execute("PRAGMA journal_mode=WAL");
  execute("PRAGMA synchronous=FULL");
  execute(schema);
  if (sqlite3_prepare_v2(db_, find_sql, -1, &find_statement_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_, "SELECT revocations FROM crl_state WHERE id = 1", -1, &revision_statement_, nullptr) !=
          SQLITE_OK ||
      sqlite3_prepare_v2(db_, "PRAGMA data_version", -1, &data_version_statement_, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string("database: ") + sqlite3_errmsg(db_));
  }
  // The schema's transaction made the WAL index, which this connection now holds open.
  if (path != ":memory:" && !path.empty()) wal_index_ = std::make_unique<WalIndex>(path + "-shm");
}

Database::~Database() {
  sqlite3_finalize(find_statement_);
  sqlite3_finalize(revision_statement_);
  sqlite3_finalize(data_version_statement_);
  sqlite3_close(db_);
}

void Database::execute(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string reason = error ? error : "unknown error";
    sqlite3_free(error);
    throw std::runtime_error("database: " + reason);
  }
}

void Database::record_issued(X509* certificate, const std::string& subject_alt_names) {
  std::lock_guard lock(mutex_);
  Statement insert(db_,
                   "INSERT INTO certificates (serial, subject, subject_alt_names, not_before, not_after, "
                   "fingerprint_sha256, der, issued_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  Bytes der = crypto::certificate_der(certificate);
  std::string serial = crypto::serial_hex(certificate);
  std::string subject = crypto::subject_of(certificate);
  std::string not_before = crypto::not_before_of(certificate);
  std::string not_after = crypto::not_after_of(certificate);
  std::string fingerprint = crypto::fingerprint_sha256(certificate);
  sqlite3_bind_text(insert.handle, 1, serial.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(insert.handle, 2, subject.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(insert.handle, 3, subject_alt_names.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(insert.handle, 4, not_before.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(insert.handle, 5, not_after.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(insert.handle, 6, fingerprint.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob(insert.handle, 7, der.data(), static_cast<int>(der.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(insert.handle, 8, std::time(nullptr));
  if (sqlite3_step(insert.handle) != SQLITE_DONE) {
    throw std::runtime_error(std::string("database: cannot record certificate: ") + sqlite3_errmsg(db_));
  }
  ++own_writes_;
}

std::optional<CertificateRecord> Database::find(const std::string& serial) {
  std::lock_guard lock(mutex_);
  sqlite3_reset(find_statement_);
  sqlite3_bind_text(find_statement_, 1, serial.c_str(), -1, SQLITE_TRANSIENT);
  int step = sqlite3_step(find_statement_);
  if (step == SQLITE_ROW) {
    auto record = read_record(find_statement_);
    sqlite3_reset(find_statement_);
    return record;
  }
  sqlite3_reset(find_statement_);
  if (step != SQLITE_DONE) throw std::runtime_error(std::string("database: lookup failed: ") + sqlite3_errmsg(db_));
  return std::nullopt;
}

Database::RevokeOutcome Database::revoke(const std::string& serial, int reason, std::time_t when) {
  std::lock_guard lock(mutex_);
  Statement update(db_,
                   "UPDATE certificates SET revoked_at = ?2, revocation_reason = ?3 "
                   "WHERE serial = ?1 AND revoked_at IS NULL");
  sqlite3_bind_text(update.handle, 1, serial.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(update.handle, 2, when);
  sqlite3_bind_int(update.handle, 3, reason);
  if (sqlite3_step(update.handle) != SQLITE_DONE) {
    throw std::runtime_error(std::string("database: cannot revoke: ") + sqlite3_errmsg(db_));
  }
  ++own_writes_;
  if (sqlite3_changes(db_) == 1) return RevokeOutcome::revoked;
  Statement exists(db_, "SELECT 1 FROM certificates WHERE serial = ?1");
  sqlite3_bind_text(exists.handle, 1, serial.c_str(), -1, SQLITE_TRANSIENT);
  return sqlite3_step(exists.handle) == SQLITE_ROW ? RevokeOutcome::already_revoked : RevokeOutcome::not_found;
}

std::vector<CertificateRecord> Database::list() {
  std::lock_guard lock(mutex_);
  Statement select(db_,
                   "SELECT serial, subject, subject_alt_names, not_before, not_after, fingerprint_sha256, "
                   "issued_at, revoked_at, revocation_reason FROM certificates ORDER BY issued_at, serial");
  std::vector<CertificateRecord> records;
  while (sqlite3_step(select.handle) == SQLITE_ROW) records.push_back(read_record(select.handle));
  return records;
}

std::uint64_t Database::next_crl_number() {
  std::lock_guard lock(mutex_);
  // One statement, so one transaction: two processes signing at once get two numbers.
  Statement bump(db_,
                 "UPDATE crl_state SET last_crl_number = last_crl_number + 1 WHERE id = 1 RETURNING last_crl_number");
  if (sqlite3_step(bump.handle) != SQLITE_ROW) {
    throw std::runtime_error(std::string("database: cannot take a CRL number: ") + sqlite3_errmsg(db_));
  }
  auto number = static_cast<std::uint64_t>(sqlite3_column_int64(bump.handle, 0));
  sqlite3_step(bump.handle);  // finishes the statement, which commits it
  ++own_writes_;
  return number;
}

std::uint64_t Database::last_crl_number() {
  std::lock_guard lock(mutex_);
  Statement select(db_, "SELECT last_crl_number FROM crl_state WHERE id = 1");
  return sqlite3_step(select.handle) == SQLITE_ROW ? static_cast<std::uint64_t>(sqlite3_column_int64(select.handle, 0))
                                                   : 0;
}

std::uint64_t Database::revision() {
  std::lock_guard lock(mutex_);
  sqlite3_reset(revision_statement_);
  if (sqlite3_step(revision_statement_) != SQLITE_ROW) {
    sqlite3_reset(revision_statement_);
    throw std::runtime_error(std::string("database: cannot read the revocation count: ") + sqlite3_errmsg(db_));
  }
  auto revision = static_cast<std::uint64_t>(sqlite3_column_int64(revision_statement_, 0));
  sqlite3_reset(revision_statement_);
  return revision;
}

std::vector<RevokedRecord> Database::revoked() {
  std::lock_guard lock(mutex_);
  Statement select(db_,
                   "SELECT serial, revoked_at, revocation_reason FROM certificates WHERE revoked_at IS NOT NULL "
                   "ORDER BY serial");
  std::vector<RevokedRecord> records;
  while (sqlite3_step(select.handle) == SQLITE_ROW) {
    records.push_back({column_text(select.handle, 0), static_cast<std::time_t>(sqlite3_column_int64(select.handle, 1)),
                       sqlite3_column_int(select.handle, 2)});
  }
  return records;
}

std::uint64_t Database::data_version_locked() {
  sqlite3_reset(data_version_statement_);
  if (sqlite3_step(data_version_statement_) != SQLITE_ROW) {
    sqlite3_reset(data_version_statement_);
    throw std::runtime_error(std::string("database: cannot read data_version: ") + sqlite3_errmsg(db_));
  }
  auto version = static_cast<std::uint64_t>(sqlite3_column_int64(data_version_statement_, 0));
  sqlite3_reset(data_version_statement_);
  return version;
}

std::pair<std::uint64_t, std::uint64_t> Database::change_signal() {
  std::lock_guard lock(mutex_);
  return {data_version_locked(), own_writes_};
}

Database::Statuses Database::statuses() {
  std::lock_guard lock(mutex_);
  // One read transaction: the signal and the rows are of the same snapshot.
  execute("BEGIN");
  try {
    Statuses out;
    out.signal = {data_version_locked(), own_writes_};
    Statement select(db_, "SELECT serial, revoked_at, revocation_reason FROM certificates");
    int step = SQLITE_ROW;
    while ((step = sqlite3_step(select.handle)) == SQLITE_ROW) {
      StatusRow row;
      row.serial = column_text(select.handle, 0);
      row.revoked = sqlite3_column_type(select.handle, 1) != SQLITE_NULL;
      if (row.revoked) {
        row.revoked_at = sqlite3_column_int64(select.handle, 1);
        row.revocation_reason = sqlite3_column_int(select.handle, 2);
      }
      out.rows.push_back(std::move(row));
    }
    if (step != SQLITE_DONE)
      throw std::runtime_error(std::string("database: cannot read statuses: ") + sqlite3_errmsg(db_));
    execute("COMMIT");
    return out;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::string Database::integrity_check() {
  std::lock_guard lock(mutex_);
  Statement check(db_, "PRAGMA integrity_check");
  std::string result;
  while (sqlite3_step(check.handle) == SQLITE_ROW) result += column_text(check.handle, 0);
  return result;
}

std::string Database::normalize_serial(const std::string& text) {
  // Any hex spelling of the same number: 0x prefix, colons (as `openssl x509 -serial` and
  // `-text` print it), upper case, leading zero bytes (an INTEGER's sign byte: "00:c3…").
  std::string view = text;
  if (view.rfind("0x", 0) == 0 || view.rfind("0X", 0) == 0) view = view.substr(2);
  if (view.rfind("serial=", 0) == 0) view = view.substr(7);  // pasted from `openssl x509 -serial`
  std::string digits;
  for (char c : view) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
    digits.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (digits.empty()) return {};
  std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return "0";
  digits.erase(0, first);
  // As serial_hex writes it (OpenSSL's BN_bn2hex): whole bytes.
  if (digits.size() % 2 != 0) digits.insert(digits.begin(), '0');
  return digits;
}

}  // namespace tlslab::ca
