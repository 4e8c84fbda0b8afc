#pragma once
// The default ledger store: one SQLite file (FIREBREAK_HOME/ledger.db) in WAL mode, each
// append one IMMEDIATE transaction, so concurrent runs in several processes keep every chain
// whole. Triggers refuse UPDATE and DELETE on rows, against accidents (not against someone
// who edits the file: that is what `case verify` is for).
#include <filesystem>
#include <memory>
#include <mutex>

#include "firebreak/engine/ledger_store.h"

struct sqlite3;

namespace firebreak::engine {

class SqliteStore : public LedgerStore {
 public:
  enum class Mode {
    ReadWrite,  // the file and its folder are created when absent
    ReadOnly,   // an absent file reads as a ledger with no cases; nothing is created
  };

  // Throws InputError when the file exists but is not a firebreak ledger (corrupted, or some
  // other database), before anything is written to it.
  SqliteStore(std::filesystem::path path, Mode mode);
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  std::string location() const override;
  std::optional<LedgerRow> create(const std::string& case_id, const LedgerEntry& first,
                                  const Json& summary) override;
  LedgerRow append(const std::string& case_id, const LedgerEntry& entry) override;
  std::vector<LedgerRow> rows(const std::string& case_id) const override;
  std::optional<CaseHead> head(const std::string& case_id) const override;
  std::vector<CaseHead> cases() const override;

 private:
  void check_format();
  void create_schema();
  std::optional<CaseHead> head_locked(const std::string& case_id) const;

  std::filesystem::path path_;
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  std::unique_ptr<sqlite3, Closer> db_;  // null: read-only view of a ledger not created yet
  // One connection per store; SQLite serialises across processes, this across threads.
  mutable std::mutex mutex_;
};

}  // namespace firebreak::engine
