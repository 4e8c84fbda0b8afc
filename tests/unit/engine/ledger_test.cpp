#include "firebreak/engine/ledger.h"

#include <gtest/gtest.h>

#include "firebreak/base/crypto.h"
#include "firebreak/base/error.h"

namespace firebreak::engine {
namespace {

LedgerEntry entry(const std::string& step, RowAction action, Json result = nullptr) {
  LedgerEntry e;
  e.time = "2024-05-30T03:00:00Z";
  e.actor = "arn:aws:iam::111122223333:user/responder";
  e.step = step;
  e.action = action;
  e.result = std::move(result);
  return e;
}

std::vector<LedgerRow> chain_of(size_t count) {
  std::vector<LedgerRow> rows;
  std::string prev(kGenesisHash);
  for (size_t i = 0; i < count; ++i) {
    rows.push_back(chain_row(entry("step-" + std::to_string(i), RowAction::Note, {{"n", i}}), i + 1, prev));
    prev = rows.back().hash;
  }
  return rows;
}

TEST(LedgerChain, IntactChainVerifiesAndReportsItsHead) {
  auto rows = chain_of(5);
  Verification v = verify_chain(rows, ChainHead{5, rows.back().hash});
  EXPECT_TRUE(v.intact());
  EXPECT_EQ(v.rows, 5u);
  EXPECT_EQ(v.head_hash, rows.back().hash);
  EXPECT_EQ(rows.front().prev_hash, kGenesisHash);
  EXPECT_EQ(rows[1].prev_hash, rows[0].hash);
}

TEST(LedgerChain, HashCoversEveryField) {
  LedgerRow row = chain_of(1).front();
  auto changed = [&](auto mutate) {
    LedgerRow copy = row;
    mutate(copy);
    return compute_hash(copy) != row.hash;
  };
  EXPECT_TRUE(changed([](LedgerRow& r) { r.seq = 2; }));
  EXPECT_TRUE(changed([](LedgerRow& r) { r.entry.time = "2024-05-30T03:00:01Z"; }));
  EXPECT_TRUE(changed([](LedgerRow& r) { r.entry.actor = "someone-else"; }));
  EXPECT_TRUE(changed([](LedgerRow& r) { r.entry.step = "other"; }));
  EXPECT_TRUE(changed([](LedgerRow& r) { r.entry.action = RowAction::Applied; }));
  EXPECT_TRUE(changed([](LedgerRow& r) { r.entry.operation = "ec2:X"; }));
  EXPECT_TRUE(changed([](LedgerRow& r) { r.entry.region = "eu-west-1"; }));
  EXPECT_TRUE(changed([](LedgerRow& r) { r.entry.parameters = {{"a", 1}}; }));
  EXPECT_TRUE(changed([](LedgerRow& r) { r.entry.before = {{"a", 1}}; }));
  EXPECT_TRUE(changed([](LedgerRow& r) { r.entry.after = {{"a", 1}}; }));
  EXPECT_TRUE(changed([](LedgerRow& r) { r.entry.result = {{"n", 1}}; }));
  EXPECT_TRUE(changed([](LedgerRow& r) { r.entry.error = {{"code", "X"}}; }));
  EXPECT_TRUE(changed([](LedgerRow& r) { r.prev_hash = std::string(64, '1'); }));
}

TEST(LedgerChain, CanonicalFormIgnoresKeyOrder) {
  LedgerRow a = chain_row(entry("s", RowAction::Note, Json{{"x", 1}, {"y", 2}}), 1, kGenesisHash);
  LedgerRow b = chain_row(entry("s", RowAction::Note, Json{{"y", 2}, {"x", 1}}), 1, kGenesisHash);
  EXPECT_EQ(a.hash, b.hash);
}

TEST(LedgerChain, RoundTripThroughJsonKeepsTheHash) {
  LedgerRow row = chain_row(entry("s", RowAction::Call, Json{{"pi", 3.14159}, {"big", 18446744073709551615ull},
                                                                 {"neg", -5}, {"text", "h\u00e9"}}),
                            1, kGenesisHash);
  LedgerRow back = LedgerRow::from_json(Json::parse(row.to_json().dump()));
  EXPECT_EQ(compute_hash(back), row.hash);
}

TEST(LedgerChain, NormalizeMakesInvalidUtf8AndBinaryStorable) {
  Json value{{"console", std::string("ok \xff\xfe bytes")}, {"blob", Json::binary({1, 2, 3})}};
  Json normal = normalize(value);
  EXPECT_NO_THROW(normal.dump());
  EXPECT_EQ(normal["blob"]["binary_size"], 3);
  EXPECT_EQ(normal["blob"]["binary_sha256"], sha256_hex(std::string("\x01\x02\x03", 3)));
  LedgerRow row = chain_row(entry("s", RowAction::Note, value), 1, kGenesisHash);
  EXPECT_EQ(compute_hash(LedgerRow::from_json(Json::parse(row.to_json().dump()))), row.hash);
}

TEST(LedgerChain, EditedRowIsNamed) {
  auto rows = chain_of(6);
  rows[3].entry.result = {{"n", 99}};
  Verification v = verify_chain(rows, ChainHead{6, rows.back().hash});
  ASSERT_FALSE(v.intact());
  EXPECT_EQ(v.first_break->row, 4u);
  EXPECT_NE(v.first_break->reason.find("changed"), std::string::npos) << v.first_break->reason;
}

TEST(LedgerChain, EditedAndRehashedRowBreaksTheNextLink) {
  auto rows = chain_of(6);
  rows[2].entry.result = {{"n", 99}};
  rows[2].hash = compute_hash(rows[2]);  // a careful forger
  Verification v = verify_chain(rows, ChainHead{6, rows.back().hash});
  ASSERT_FALSE(v.intact());
  EXPECT_EQ(v.first_break->row, 4u);
  EXPECT_NE(v.first_break->reason.find("does not follow row 3"), std::string::npos) << v.first_break->reason;
}

TEST(LedgerChain, DeletedRowIsNamed) {
  auto rows = chain_of(6);
  rows.erase(rows.begin() + 2);
  Verification v = verify_chain(rows, ChainHead{6, rows.back().hash});
  ASSERT_FALSE(v.intact());
  EXPECT_EQ(v.first_break->row, 3u);
  EXPECT_NE(v.first_break->reason.find("missing"), std::string::npos) << v.first_break->reason;
}

TEST(LedgerChain, ReorderedRowsAreNamed) {
  auto rows = chain_of(6);
  std::swap(rows[1], rows[2]);
  std::swap(rows[1].seq, rows[2].seq);  // renumbered in place, as an UPDATE of seq would
  Verification v = verify_chain(rows, ChainHead{6, rows.back().hash});
  ASSERT_FALSE(v.intact());
  EXPECT_EQ(v.first_break->row, 2u);
}

TEST(LedgerChain, RowsCutFromTheEndAreNoticedThroughTheHead) {
  auto rows = chain_of(6);
  std::string head = rows.back().hash;
  rows.pop_back();
  Verification v = verify_chain(rows, ChainHead{6, head});
  ASSERT_FALSE(v.intact());
  EXPECT_EQ(v.first_break->row, 6u);
  EXPECT_NE(v.first_break->reason.find("removed from the end"), std::string::npos);
  EXPECT_TRUE(verify_chain(rows, std::nullopt).intact()) << "without a head, truncation is invisible";
}

TEST(LedgerChain, ReplacedLastRowIsNoticedThroughTheHead) {
  auto rows = chain_of(3);
  std::string head = rows.back().hash;
  rows.back() = chain_row(entry("forged", RowAction::Note), 3, rows[1].hash);
  Verification v = verify_chain(rows, ChainHead{3, head});
  ASSERT_FALSE(v.intact());
  EXPECT_EQ(v.first_break->row, 3u);
}

TEST(LedgerChain, DefectReadByAStoreIsABreak) {
  auto rows = chain_of(3);
  rows[1].defect = "its action \"hacked\" is not one firebreak writes";
  Verification v = verify_chain(rows, std::nullopt);
  ASSERT_FALSE(v.intact());
  EXPECT_EQ(v.first_break->row, 2u);
}

TEST(LedgerRow, FromJsonRejectsWhatIsNotARow) {
  EXPECT_THROW(LedgerRow::from_json(Json::array()), InputError);
  Json row = chain_of(1).front().to_json();
  row["action"] = "launch-missiles";
  EXPECT_THROW(LedgerRow::from_json(row), InputError);
}

TEST(RowAction, NamesRoundTrip) {
  for (auto action : {RowAction::CaseOpened, RowAction::RunStarted, RowAction::RunFinished, RowAction::Observed,
                      RowAction::Planned, RowAction::ApplyStarted, RowAction::Call, RowAction::Applied,
                      RowAction::AlreadyDone, RowAction::Verified, RowAction::Failed, RowAction::Skipped,
                      RowAction::Evidence, RowAction::UndoStarted, RowAction::Undone, RowAction::UndoFailed,
                      RowAction::Note}) {
    EXPECT_EQ(parse_row_action(to_string(action)), action);
  }
  EXPECT_FALSE(parse_row_action("nope"));
}

}  // namespace
}  // namespace firebreak::engine
