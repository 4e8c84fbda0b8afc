// One suite for every ledger store. The SQLite store runs always; the DynamoDB store runs
// when FIREBREAK_TEST_DYNAMODB_TABLE names a table (the end-to-end tests create one in moto
// and run this binary with that variable and the AWS_* settings pointing at moto).
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "firebreak/aws/client.h"
#include "firebreak/base/crypto.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"
#include "firebreak/engine/aws_api.h"
#include "firebreak/engine/dynamodb_store.h"
#include "firebreak/engine/sqlite_store.h"

namespace firebreak::engine {
namespace {

LedgerEntry note(const std::string& step, int n, std::string time = "2024-05-30T03:00:00.123Z") {
  LedgerEntry e;
  e.time = std::move(time);
  e.actor = "arn:aws:iam::111122223333:user/responder";
  e.step = step;
  e.action = RowAction::Note;
  e.result = {{"n", n}, {"text", "caf\u00e9"}};
  return e;
}

Json summary(const std::string& created) {
  return {{"playbook", "sample"}, {"resources", {"i-1"}}, {"created", created}};
}

// Makes stores of one kind; several stores from one factory share the same ledger, as
// separate processes would.
class StoreFactory {
 public:
  virtual ~StoreFactory() = default;
  virtual std::unique_ptr<LedgerStore> make() = 0;
};

class SqliteFactory : public StoreFactory {
 public:
  SqliteFactory() {
    dir_ = std::filesystem::temp_directory_path() / ("fb-store-" + to_hex(random_bytes(6)));
  }
  ~SqliteFactory() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<LedgerStore> make() override {
    return std::make_unique<SqliteStore>(dir_ / "ledger.db", SqliteStore::Mode::ReadWrite);
  }

 private:
  std::filesystem::path dir_;
};

class DynamoFactory : public StoreFactory {
 public:
  explicit DynamoFactory(std::string table) : table_(std::move(table)), api_(session_) {}
  std::unique_ptr<LedgerStore> make() override {
    return std::make_unique<DynamoDbStore>(api_, table_, session_.region());
  }

 private:
  std::string table_;
  aws::Session session_;
  SessionApi api_;
};

class LedgerStoreSuite : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      factory_ = std::make_unique<SqliteFactory>();
    } else {
      const char* table = std::getenv("FIREBREAK_TEST_DYNAMODB_TABLE");
      if (!table) GTEST_SKIP() << "FIREBREAK_TEST_DYNAMODB_TABLE is not set (the e2e tests set it against moto)";
      factory_ = std::make_unique<DynamoFactory>(table);
    }
    store_ = factory_->make();
    // Case ids unique per test so that a shared DynamoDB table needs no cleaning.
    case_id_ = "case-" + to_hex(random_bytes(6));
  }

  std::unique_ptr<StoreFactory> factory_;
  std::unique_ptr<LedgerStore> store_;
  std::string case_id_;
};

TEST_P(LedgerStoreSuite, UnknownCaseHasNoRowsAndNoHead) {
  EXPECT_TRUE(store_->rows(case_id_).empty());
  EXPECT_FALSE(store_->head(case_id_));
  EXPECT_THROW(store_->append(case_id_, note("s", 1)), Error);
}

TEST_P(LedgerStoreSuite, CreateAppendReadBack) {
  auto first = store_->create(case_id_, note("", 0), summary("2024-05-30T03:00:00Z"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->seq, 1u);
  EXPECT_EQ(first->prev_hash, kGenesisHash);
  for (int i = 1; i <= 4; ++i) {
    LedgerRow row = store_->append(case_id_, note("step", i));
    EXPECT_EQ(row.seq, static_cast<std::uint64_t>(i + 1));
  }
  auto rows = store_->rows(case_id_);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[3].entry.result["n"], 3);
  EXPECT_EQ(rows[3].entry.result["text"], "caf\u00e9");
  auto head = store_->head(case_id_);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->chain.rows, 5u);
  EXPECT_EQ(head->chain.hash, rows.back().hash);
  EXPECT_EQ(head->summary["playbook"], "sample");
  EXPECT_TRUE(verify_chain(rows, head->chain).intact());
}

TEST_P(LedgerStoreSuite, CreatingAnExistingCaseWritesNothing) {
  ASSERT_TRUE(store_->create(case_id_, note("", 0), summary("2024-05-30T03:00:00Z")));
  EXPECT_FALSE(store_->create(case_id_, note("", 7), summary("2024-05-30T03:00:00Z")));
  auto rows = store_->rows(case_id_);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].entry.result["n"], 0);
}

TEST_P(LedgerStoreSuite, CasesAreListedNewestFirst) {
  std::string older = case_id_ + "-a";
  std::string newer = case_id_ + "-b";
  ASSERT_TRUE(store_->create(older, note("", 0, "2024-05-30T03:00:00Z"), summary("2024-05-30T03:00:00Z")));
  ASSERT_TRUE(store_->create(newer, note("", 0, "2024-05-31T03:00:00Z"), summary("2024-05-31T03:00:00Z")));
  store_->append(older, note("s", 1));
  std::vector<std::string> ids;
  for (const auto& head : store_->cases()) {
    if (head.case_id == older || head.case_id == newer) ids.push_back(head.case_id);
    if (head.case_id == older) EXPECT_EQ(head.created, "2024-05-30T03:00:00Z");
  }
  EXPECT_EQ(ids, (std::vector<std::string>{newer, older}));
}

TEST_P(LedgerStoreSuite, ConcurrentWritersKeepOneChain) {
  ASSERT_TRUE(store_->create(case_id_, note("", 0), summary("2024-05-30T03:00:00Z")));
  constexpr int kWriters = 4;
  constexpr int kRowsEach = 15;
  {
    std::vector<std::jthread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        auto own = factory_->make();  // its own connection, as another process has
        for (int i = 0; i < kRowsEach; ++i) own->append(case_id_, note("writer-" + std::to_string(w), i));
      });
    }
  }
  auto rows = store_->rows(case_id_);
  ASSERT_EQ(rows.size(), 1u + kWriters * kRowsEach);
  Verification v = verify_chain(rows, store_->head(case_id_)->chain);
  EXPECT_TRUE(v.intact()) << v.first_break->reason;
}

TEST_P(LedgerStoreSuite, ConcurrentCreatorsMakeOneCase) {
  std::atomic<int> created = 0;
  {
    std::vector<std::jthread> creators;
    for (int w = 0; w < 4; ++w) {
      creators.emplace_back([&, w] {
        auto own = factory_->make();
        if (own->create(case_id_, note("", w), summary("2024-05-30T03:00:00Z"))) ++created;
      });
    }
  }
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(store_->rows(case_id_).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Stores, LedgerStoreSuite, ::testing::Values("sqlite", "dynamodb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace firebreak::engine
