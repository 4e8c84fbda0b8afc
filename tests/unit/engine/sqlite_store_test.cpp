// The SQLite ledger against someone who edits the file, and against files that are not ledgers.
#include "firebreak/engine/sqlite_store.h"

#include <sqlite3.h>

#include <fstream>

#include <gtest/gtest.h>

#include "firebreak/base/crypto.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"

namespace firebreak::engine {
namespace {

class SqliteLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("fb-sqlite-" + to_hex(random_bytes(6)));
    path_ = dir_ / "ledger.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void make_case(int rows) {
    SqliteStore store(path_, SqliteStore::Mode::ReadWrite);
    LedgerEntry e;
    e.time = "2024-05-30T03:00:00Z";
    e.actor = "arn:aws:iam::111122223333:user/responder";
    e.action = RowAction::CaseOpened;
    e.result = {{"id", "c1"}};
    ASSERT_TRUE(store.create("c1", e, {{"created", e.time}}));
    for (int i = 2; i <= rows; ++i) {
      e.action = RowAction::Note;
      e.step = "step";
      e.result = {{"n", i}};
      store.append("c1", e);
    }
  }

  // What a tamperer does with the sqlite3 shell: drop the guards, then edit.
  void tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* message = nullptr;
    std::string script = "DROP TRIGGER IF EXISTS ledger_no_update; DROP TRIGGER IF EXISTS ledger_no_delete; " + sql;
    int rc = sqlite3_exec(db, script.c_str(), nullptr, nullptr, &message);
    std::string error = message ? message : "";
    sqlite3_free(message);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << error;
  }

  Verification verify() {
    SqliteStore store(path_, SqliteStore::Mode::ReadOnly);
    auto head = store.head("c1");
    return verify_chain(store.rows("c1"), head ? std::optional<ChainHead>(head->chain) : std::nullopt);
  }

  std::filesystem::path dir_;
  std::filesystem::path path_;
};

TEST_F(SqliteLedgerTest, FreshLedgerVerifies) {
  make_case(6);
  Verification v = verify();
  EXPECT_TRUE(v.intact());
  EXPECT_EQ(v.rows, 6u);
}

TEST_F(SqliteLedgerTest, EditedRowIsNamed) {
  make_case(6);
  tamper("UPDATE ledger SET result = '{\"n\":40}' WHERE case_id = 'c1' AND seq = 4;");
  Verification v = verify();
  ASSERT_FALSE(v.intact());
  EXPECT_EQ(v.first_break->row, 4u);
  EXPECT_NE(v.first_break->reason.find("changed"), std::string::npos) << v.first_break->reason;
}

TEST_F(SqliteLedgerTest, RowEditedIntoSomethingNotJsonIsNamed) {
  make_case(6);
  tamper("UPDATE ledger SET after_state = 'not json' WHERE case_id = 'c1' AND seq = 5;");
  Verification v = verify();
  ASSERT_FALSE(v.intact());
  EXPECT_EQ(v.first_break->row, 5u);
}

TEST_F(SqliteLedgerTest, UnknownActionIsNamed) {
  make_case(6);
  tamper("UPDATE ledger SET action = 'nothing-to-see' WHERE case_id = 'c1' AND seq = 2;");
  Verification v = verify();
  ASSERT_FALSE(v.intact());
  EXPECT_EQ(v.first_break->row, 2u);
}

TEST_F(SqliteLedgerTest, DeletedRowIsNamed) {
  make_case(6);
  tamper("DELETE FROM ledger WHERE case_id = 'c1' AND seq = 3;");
  Verification v = verify();
  ASSERT_FALSE(v.intact());
  EXPECT_EQ(v.first_break->row, 3u);
  EXPECT_NE(v.first_break->reason.find("missing"), std::string::npos) << v.first_break->reason;
}

TEST_F(SqliteLedgerTest, DeletedAndRenumberedRowsAreNamed) {
  make_case(6);
  tamper("DELETE FROM ledger WHERE case_id = 'c1' AND seq = 3;"
         "UPDATE ledger SET seq = seq - 1 WHERE case_id = 'c1' AND seq > 3;"
         "UPDATE cases SET rows = 5;");
  Verification v = verify();
  ASSERT_FALSE(v.intact());
  EXPECT_EQ(v.first_break->row, 3u);
}

TEST_F(SqliteLedgerTest, ReorderedRowsAreNamed) {
  make_case(6);
  tamper("UPDATE ledger SET seq = -1 WHERE case_id = 'c1' AND seq = 4;"
         "UPDATE ledger SET seq = 4 WHERE case_id = 'c1' AND seq = 5;"
         "UPDATE ledger SET seq = 5 WHERE case_id = 'c1' AND seq = -1;");
  Verification v = verify();
  ASSERT_FALSE(v.intact());
  EXPECT_EQ(v.first_break->row, 4u);
}

TEST_F(SqliteLedgerTest, LastRowDeletedIsNoticed) {
  make_case(6);
  tamper("DELETE FROM ledger WHERE case_id = 'c1' AND seq = 6;");
  Verification v = verify();
  ASSERT_FALSE(v.intact());
  EXPECT_EQ(v.first_break->row, 6u);
}

TEST_F(SqliteLedgerTest, TriggersRefuseUpdateAndDelete) {
  make_case(3);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "UPDATE ledger SET step = 'x'", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM ledger", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_TRUE(verify().intact());
}

TEST_F(SqliteLedgerTest, UsesWriteAheadLogging) {
  make_case(2);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  std::string mode;
  sqlite3_exec(
      db, "PRAGMA journal_mode",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) = values[0];
        return 0;
      },
      &mode, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(mode, "wal");
}

TEST_F(SqliteLedgerTest, ReadOnlyOpenOfAMissingLedgerCreatesNothing) {
  SqliteStore store(path_, SqliteStore::Mode::ReadOnly);
  EXPECT_TRUE(store.cases().empty());
  EXPECT_TRUE(store.rows("c1").empty());
  EXPECT_FALSE(std::filesystem::exists(dir_));
}

TEST_F(SqliteLedgerTest, CorruptedFileIsRefusedAndLeftAlone) {
  std::filesystem::create_directories(dir_);
  std::string garbage(8192, '\x5a');
  {
    std::ofstream out(path_, std::ios::binary);
    out << garbage;
  }
  for (auto mode : {SqliteStore::Mode::ReadOnly, SqliteStore::Mode::ReadWrite}) {
    try {
      SqliteStore store(path_, mode);
      FAIL() << "a corrupted ledger was opened";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(path_.string()), std::string::npos) << e.what();
    }
  }
  std::ifstream in(path_, std::ios::binary);
  std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(after, garbage);
  EXPECT_FALSE(std::filesystem::exists(path_.string() + "-wal"));
}

TEST_F(SqliteLedgerTest, OtherDatabaseIsRefused) {
  std::filesystem::create_directories(dir_);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "CREATE TABLE songs(title TEXT)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_THROW(SqliteStore(path_, SqliteStore::Mode::ReadWrite), InputError);
}

TEST_F(SqliteLedgerTest, LedgerFolderIsPrivate) {
  make_case(1);
  auto perms = std::filesystem::status(dir_).permissions();
  EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
}

}  // namespace
}  // namespace firebreak::engine
