#include "firebreak/engine/sqlite_store.h"

#include <sqlite3.h>

#include <chrono>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "firebreak/base/error.h"

namespace firebreak::engine {
namespace {

constexpr std::string_view kFormat = "firebreak-ledger";
constexpr std::string_view kVersion = "1";
// Long enough for another run's append (milliseconds), short enough to report a stuck lock.
constexpr int kBusyTimeoutMs = 30'000;

constexpr const char* kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE cases(
  id TEXT PRIMARY KEY,
  created TEXT NOT NULL,
  rows INTEGER NOT NULL,
  head_hash TEXT NOT NULL,
  summary TEXT NOT NULL);
CREATE TABLE ledger(
  case_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  step TEXT NOT NULL,
  action TEXT NOT NULL,
  operation TEXT NOT NULL,
  region TEXT NOT NULL,
  parameters TEXT NOT NULL,
  before_state TEXT NOT NULL,
  after_state TEXT NOT NULL,
  result TEXT NOT NULL,
  error TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY(case_id, seq)) WITHOUT ROWID;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
  BEGIN SELECT RAISE(ABORT, 'the case ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
  BEGIN SELECT RAISE(ABORT, 'the case ledger is append-only'); END;
)sql";

constexpr const char* kRowColumns =
    "seq, time, actor, step, action, operation, region, parameters, before_state, after_state, "
    "result, error, prev_hash, hash";

std::string dump(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

[[noreturn]] void fail(sqlite3* db, const std::filesystem::path& path, std::string_view what) {
  int code = sqlite3_errcode(db);
  std::string message = fmt::format("ledger {}: {}: {}", path.string(), what, sqlite3_errmsg(db));
  if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
    throw InputError(fmt::format("ledger {} is damaged or not a firebreak ledger ({})", path.string(),
                                 sqlite3_errmsg(db)));
  }
  throw Error(message);
}

class Statement {
 public:
  Statement(sqlite3* db, const std::filesystem::path& path, std::string_view sql) : db_(db), path_(path) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK) {
      fail(db_, path_, "preparing a statement");
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  // True when a row is ready to read, false when the statement is finished.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, path_, "running a statement");
  }
  std::string text(int column) const {
    const unsigned char* value = sqlite3_column_text(stmt_, column);
    return value ? std::string(reinterpret_cast<const char*>(value),
                               static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
                 : std::string();
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }

 private:
  sqlite3* db_;
  const std::filesystem::path& path_;
  sqlite3_stmt* stmt_ = nullptr;
};

void exec(sqlite3* db, const std::filesystem::path& path, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, path, sql);
}

// BEGIN IMMEDIATE takes the write lock up front, so two appenders never both read the same
// head: the second waits (busy timeout) and then reads the first one's row.
class Transaction {
 public:
  Transaction(sqlite3* db, const std::filesystem::path& path) : db_(db), path_(path) {
    exec(db_, path_, "BEGIN IMMEDIATE");
  }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    exec(db_, path_, "COMMIT");
    done_ = true;
  }

 private:
  sqlite3* db_;
  const std::filesystem::path& path_;
  bool done_ = false;
};

// A member read back from the file; something that is not JSON was put there by hand.
Json parse_member(const std::string& text, const char* column, std::string& defect) {
  Json value = Json::parse(text, nullptr, false);
  if (value.is_discarded()) {
    if (defect.empty()) defect = fmt::format("its {} is not JSON", column);
    return Json(text);
  }
  return value;
}

LedgerRow read_row(const Statement& s) {
  LedgerRow row;
  row.seq = static_cast<std::uint64_t>(s.integer(0));
  row.entry.time = s.text(1);
  row.entry.actor = s.text(2);
  row.entry.step = s.text(3);
  std::string action = s.text(4);
  if (auto parsed = parse_row_action(action)) {
    row.entry.action = *parsed;
  } else {
    row.defect = fmt::format("its action \"{}\" is not one firebreak writes", action);
  }
  row.entry.operation = s.text(5);
  row.entry.region = s.text(6);
  row.entry.parameters = parse_member(s.text(7), "parameters", row.defect);
  row.entry.before = parse_member(s.text(8), "before", row.defect);
  row.entry.after = parse_member(s.text(9), "after", row.defect);
  row.entry.result = parse_member(s.text(10), "result", row.defect);
  row.entry.error = parse_member(s.text(11), "error", row.defect);
  row.prev_hash = s.text(12);
  row.hash = s.text(13);
  return row;
}

// From a row of SELECT id, rows, head_hash, created, summary.
CaseHead read_head(const Statement& s) {
  CaseHead head;
  head.case_id = s.text(0);
  head.chain.rows = static_cast<std::uint64_t>(s.integer(1));
  head.chain.hash = s.text(2);
  head.created = s.text(3);
  head.summary = Json::parse(s.text(4), nullptr, false);
  if (head.summary.is_discarded()) head.summary = Json::object();
  return head;
}

void insert_row(sqlite3* db, const std::filesystem::path& path, const std::string& case_id,
                const LedgerRow& row) {
  Statement insert(db, path,
                   fmt::format("INSERT INTO ledger(case_id, {}) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               kRowColumns));
  insert.bind(1, case_id)
      .bind(2, static_cast<std::int64_t>(row.seq))
      .bind(3, row.entry.time)
      .bind(4, row.entry.actor)
      .bind(5, row.entry.step)
      .bind(6, to_string(row.entry.action))
      .bind(7, row.entry.operation)
      .bind(8, row.entry.region)
      .bind(9, dump(row.entry.parameters))
      .bind(10, dump(row.entry.before))
      .bind(11, dump(row.entry.after))
      .bind(12, dump(row.entry.result))
      .bind(13, dump(row.entry.error))
      .bind(14, row.prev_hash)
      .bind(15, row.hash);
  insert.step();
}

}  // namespace

void SqliteStore::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

SqliteStore::SqliteStore(std::filesystem::path path, Mode mode) : path_(std::move(path)) {
  std::error_code ec;
  bool exists = std::filesystem::exists(path_, ec);
  if (!exists && mode == Mode::ReadOnly) return;
  if (!exists) {
    auto folder = path_.parent_path();
    if (!folder.empty() && !std::filesystem::exists(folder)) {
      std::filesystem::create_directories(folder);
      // Ledgers name incidents, accounts and principals: readable by their owner only.
      std::filesystem::permissions(folder, std::filesystem::perms::owner_all);
    }
  }
  int flags = mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path_.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK) fail(raw, path_, "opening");
  sqlite3_busy_timeout(db_.get(), kBusyTimeoutMs);
  sqlite3_extended_result_codes(db_.get(), 0);
  check_format();
  if (mode == Mode::ReadWrite) {
    // Only after the file is known to be a ledger: these write to its header.
    exec(db_.get(), path_, "PRAGMA journal_mode=WAL");
    exec(db_.get(), path_, "PRAGMA synchronous=FULL");
  }
}

void SqliteStore::check_format() {
  Statement tables(db_.get(), path_, "SELECT count(*) FROM sqlite_master");
  tables.step();
  if (tables.integer(0) == 0) {
    if (sqlite3_db_readonly(db_.get(), "main") == 1) {
      throw InputError(fmt::format("ledger {} is empty: it is not a firebreak ledger", path_.string()));
    }
    create_schema();
    return;
  }
  Statement has_meta(db_.get(), path_,
                     "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'");
  has_meta.step();
  std::string format;
  std::string version;
  if (has_meta.integer(0) == 1) {
    Statement meta(db_.get(), path_, "SELECT key, value FROM meta");
    while (meta.step()) {
      if (meta.text(0) == "format") format = meta.text(1);
      if (meta.text(0) == "version") version = meta.text(1);
    }
  }
  if (format != kFormat) {
    throw InputError(fmt::format("{} is an SQLite database but not a firebreak ledger", path_.string()));
  }
  if (version != kVersion) {
    throw InputError(fmt::format("ledger {} has format version {}; this firebreak reads version {}",
                                 path_.string(), version, kVersion));
  }
}

void SqliteStore::create_schema() {
  Transaction tx(db_.get(), path_);
  // Another process may have created it between our check and our lock.
  Statement tables(db_.get(), path_, "SELECT count(*) FROM sqlite_master");
  tables.step();
  if (tables.integer(0) != 0) return;
  exec(db_.get(), path_, kSchema);
  Statement meta(db_.get(), path_, "INSERT INTO meta(key, value) VALUES(?, ?), (?, ?)");
  meta.bind(1, "format").bind(2, kFormat).bind(3, "version").bind(4, kVersion);
  meta.step();
  tx.commit();
}

std::string SqliteStore::location() const { return "sqlite:" + path_.string(); }

std::optional<LedgerRow> SqliteStore::create(const std::string& case_id, const LedgerEntry& first,
                                             const Json& summary) {
  std::lock_guard lock(mutex_);
  if (!db_) throw Error(fmt::format("ledger {} was opened read-only", path_.string()));
  Transaction tx(db_.get(), path_);
  if (head_locked(case_id)) return std::nullopt;
  LedgerRow row = chain_row(first, 1, kGenesisHash);
  insert_row(db_.get(), path_, case_id, row);
  Statement index(db_.get(), path_,
                  "INSERT INTO cases(id, created, rows, head_hash, summary) VALUES(?, ?, 1, ?, ?)");
  index.bind(1, case_id).bind(2, row.entry.time).bind(3, row.hash).bind(4, dump(normalize(summary)));
  index.step();
  tx.commit();
  return row;
}

LedgerRow SqliteStore::append(const std::string& case_id, const LedgerEntry& entry) {
  std::lock_guard lock(mutex_);
  if (!db_) throw Error(fmt::format("ledger {} was opened read-only", path_.string()));
  Transaction tx(db_.get(), path_);
  auto head = head_locked(case_id);
  if (!head) throw Error(fmt::format("no case {} in {}", case_id, location()));
  LedgerRow row = chain_row(entry, head->chain.rows + 1, head->chain.hash);
  insert_row(db_.get(), path_, case_id, row);
  Statement update(db_.get(), path_, "UPDATE cases SET rows = ?, head_hash = ? WHERE id = ?");
  update.bind(1, static_cast<std::int64_t>(row.seq)).bind(2, row.hash).bind(3, case_id);
  update.step();
  tx.commit();
  return row;
}

std::vector<LedgerRow> SqliteStore::rows(const std::string& case_id) const {
  std::lock_guard lock(mutex_);
  std::vector<LedgerRow> out;
  if (!db_) return out;
  Statement select(db_.get(), path_,
                   fmt::format("SELECT {} FROM ledger WHERE case_id = ? ORDER BY seq", kRowColumns));
  select.bind(1, case_id);
  while (select.step()) out.push_back(read_row(select));
  return out;
}

std::optional<CaseHead> SqliteStore::head_locked(const std::string& case_id) const {
  Statement select(db_.get(), path_, "SELECT id, rows, head_hash, created, summary FROM cases WHERE id = ?");
  select.bind(1, case_id);
  if (!select.step()) return std::nullopt;
  return read_head(select);
}

std::optional<CaseHead> SqliteStore::head(const std::string& case_id) const {
  std::lock_guard lock(mutex_);
  if (!db_) return std::nullopt;
  return head_locked(case_id);
}

std::vector<CaseHead> SqliteStore::cases() const {
  std::lock_guard lock(mutex_);
  std::vector<CaseHead> out;
  if (!db_) return out;
  Statement select(db_.get(), path_,
                   "SELECT id, rows, head_hash, created, summary FROM cases ORDER BY created DESC, id");
  while (select.step()) out.push_back(read_head(select));
  return out;
}

}  // namespace firebreak::engine
