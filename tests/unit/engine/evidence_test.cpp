#include "firebreak/engine/evidence.h"

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "engine_test_support.h"
#include "firebreak/base/error.h"
#include "firebreak/engine/config.h"
#include "sample_steps.h"

namespace firebreak::engine::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST_F(EngineTest, EvidenceIsSavedWithItsHashAndNeverOverwritten) {
  EvidenceRecord first = evidence_->save_local("case-1", "capture", "metadata.json", "{\"a\":1}", "application/json");
  EXPECT_EQ(first.name, "metadata.json");
  EXPECT_EQ(first.sha256, sha256_hex("{\"a\":1}"));
  EXPECT_EQ(first.size, 7u);
  EXPECT_EQ(slurp(first.path), "{\"a\":1}");
  auto perms = std::filesystem::status(first.path).permissions();
  EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);

  EvidenceRecord same = evidence_->save_local("case-1", "capture", "metadata.json", "{\"a\":1}", "application/json");
  EXPECT_EQ(same.path, first.path) << "the same bytes are the same artifact";
  EvidenceRecord other = evidence_->save_local("case-1", "capture", "metadata.json", "{\"a\":2}", "application/json");
  EXPECT_EQ(other.name, "metadata.2.json");
  EXPECT_EQ(slurp(first.path), "{\"a\":1}") << "never overwritten";

  EXPECT_TRUE(check_local_evidence({first, other}).empty());
  {
    std::ofstream out(first.path, std::ios::trunc);
    out << "tampered";
  }
  auto problems = check_local_evidence({first, other});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("metadata.json"), std::string::npos);
}

TEST_F(EngineTest, EvidenceNamesCannotEscapeTheCaseFolder) {
  EXPECT_THROW(evidence_->save_local("case-1", "step", "../../x", "a", "text/plain"), InputError);
  EXPECT_THROW(evidence_->save_local("..", "step", "x", "a", "text/plain"), InputError);
  EXPECT_THROW(evidence_->save_local("case-1", "a/b", "x", "a", "text/plain"), InputError);
  EXPECT_THROW(evidence_->save_local("case-1", "step", ".hidden", "a", "text/plain"), InputError);
}

TEST_F(EngineTest, EvidenceIsUploadedWithItsChecksumAndVersion) {
  EvidenceStore uploading(home_ / "cases", S3Location::parse("s3://evidence-bucket/ir/2024"), aws_.get());
  EvidenceRecord record = uploading.save_local("case-1", "capture", "metadata.json", "content", "application/json");
  uploading.upload("case-1", record, "content");
  EXPECT_EQ(record.s3_uri, "s3://evidence-bucket/ir/2024/case-1/capture/metadata.json");
  EXPECT_EQ(record.s3_version_id, "v1");
  Json objects = aws_->objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0]["Key"], "ir/2024/case-1/capture/metadata.json");
  EXPECT_EQ(objects[0]["ChecksumSHA256"], base64_encode(sha256("content")));
}

TEST_F(EngineTest, EvidenceSavedDuringARunIsInTheCase) {
  EvidenceStore uploading(home_ / "cases", S3Location::parse("s3://evidence-bucket"), aws_.get());
  Engine engine(*aws_, *store_, uploading, reporter_);
  RunOptions options;
  options.apply = true;
  RunResult result = engine.run(sample_playbook({"i-1"}, {}), incident(), "case-1", options);
  ASSERT_TRUE(result.ok());
  CaseView v = view("case-1");
  ASSERT_EQ(v.evidence.size(), 1u);
  EXPECT_EQ(v.evidence[0].s3_uri, "s3://evidence-bucket/case-1/capture-i-1/metadata.json");
  EXPECT_EQ(v.evidence[0].s3_version_id, "v1");
  ASSERT_EQ(outcome(result, "capture-i-1").evidence.size(), 1u);
}

TEST_F(EngineTest, FailedUploadKeepsTheLocalCopyAndFailsTheStep) {
  aws_->before_call = [](const std::string& op) {
    if (op == "s3:PutObject") throw FakeAws::error(op, "AccessDenied");
  };
  EvidenceStore uploading(home_ / "cases", S3Location::parse("s3://evidence-bucket"), aws_.get());
  Engine engine(*aws_, *store_, uploading, reporter_);
  RunOptions options;
  options.apply = true;
  RunResult result = engine.run(sample_playbook({"i-1"}, {}), incident(), "case-1", options);
  const auto& capture = outcome(result, "capture-i-1");
  EXPECT_EQ(capture.state, StepState::Failed);
  EXPECT_NE(capture.detail.find("not uploaded"), std::string::npos) << capture.detail;
  CaseView v = view("case-1");
  ASSERT_EQ(v.evidence.size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(v.evidence[0].path));
  EXPECT_NE(v.evidence[0].upload_error.find("AccessDenied"), std::string::npos);
}

TEST(S3LocationTest, Parse) {
  S3Location a = S3Location::parse("s3://bucket-1/a/b/");
  EXPECT_EQ(a.bucket, "bucket-1");
  EXPECT_EQ(a.prefix, "a/b");
  EXPECT_EQ(a.key_for("x"), "a/b/x");
  EXPECT_EQ(S3Location::parse("s3://bucket-1").key_for("x"), "x");
  EXPECT_THROW(S3Location::parse("https://bucket/x"), InputError);
  EXPECT_THROW(S3Location::parse("s3://Bad_Bucket/x"), InputError);
  EXPECT_THROW(S3Location::parse("s3://"), InputError);
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = std::filesystem::temp_directory_path() / ("fb-config-" + to_hex(random_bytes(6)));
    std::filesystem::create_directories(home_);
    setenv("FIREBREAK_HOME", home_.c_str(), 1);
    unsetenv("FIREBREAK_LEDGER");
    unsetenv("FIREBREAK_EVIDENCE");
  }
  void TearDown() override {
    unsetenv("FIREBREAK_HOME");
    unsetenv("FIREBREAK_LEDGER");
    unsetenv("FIREBREAK_EVIDENCE");
    std::filesystem::remove_all(home_);
  }
  void write_config(const std::string& text) {
    std::ofstream out(home_ / "config.json");
    out << text;
  }
  std::filesystem::path home_;
};

TEST_F(ConfigTest, DefaultsToSqliteUnderHome) {
  EngineConfig config = EngineConfig::load();
  EXPECT_EQ(config.home, home_);
  auto store = open_ledger(config, StoreAccess::ReadWrite, nullptr);
  EXPECT_EQ(store->location(), "sqlite:" + (home_ / "ledger.db").string());
  EXPECT_TRUE(std::filesystem::exists(home_ / "ledger.db"));
}

TEST_F(ConfigTest, ReadOnlyDoesNotCreateTheLedger) {
  auto store = open_ledger(EngineConfig::load(), StoreAccess::ReadOnly, nullptr);
  EXPECT_TRUE(store->cases().empty());
  EXPECT_FALSE(std::filesystem::exists(home_ / "ledger.db"));
}

TEST_F(ConfigTest, FileThenEnvironment) {
  write_config(R"({"ledger": "dynamodb://team-cases?region=eu-west-1", "evidence": "s3://ev/x"})");
  EngineConfig config = EngineConfig::load();
  EXPECT_EQ(config.ledger, "dynamodb://team-cases?region=eu-west-1");
  EXPECT_EQ(config.evidence, "s3://ev/x");
  FakeAws aws;
  EXPECT_EQ(open_ledger(config, StoreAccess::ReadWrite, &aws)->location(), "dynamodb://team-cases?region=eu-west-1");
  setenv("FIREBREAK_LEDGER", ("sqlite:" + (home_ / "other.db").string()).c_str(), 1);
  EXPECT_EQ(EngineConfig::load().ledger, "sqlite:" + (home_ / "other.db").string());
  std::vector<std::string> ops;
  for (const auto& op : engine_operations(config, "")) ops.push_back(op.to_string());
  EXPECT_EQ(ops, (std::vector<std::string>{"sts:GetCallerIdentity", "dynamodb:GetItem", "dynamodb:Query",
                                           "dynamodb:Scan", "dynamodb:TransactWriteItems", "s3:PutObject"}));
}

TEST_F(ConfigTest, BadSettingsAreInputErrors) {
  write_config("{\"ledgr\": \"x\"}");
  EXPECT_THROW(EngineConfig::load(), InputError);
  write_config("not json");
  EXPECT_THROW(EngineConfig::load(), InputError);
  write_config("{}");
  EngineConfig config = EngineConfig::load();
  config.ledger = "postgres://x";
  EXPECT_THROW(open_ledger(config, StoreAccess::ReadOnly, nullptr), InputError);
  config.ledger = "dynamodb://a";
  FakeAws aws;
  EXPECT_THROW(open_ledger(config, StoreAccess::ReadOnly, &aws), InputError);
  EXPECT_THROW(open_evidence(config, "ftp://x", nullptr), InputError);
}

}  // namespace
}  // namespace firebreak::engine::testing
