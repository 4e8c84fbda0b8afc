#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "firebreak/base/error.h"
#include "firebreak/base/json.h"
#include "firebreak/cloudtrail/hunt.h"
#include "support.h"

namespace firebreak::cloudtrail::testing {
namespace {

namespace fs = std::filesystem;

class Quiet final : public HuntDiagnostics {
 public:
  void malformed(std::string_view, uint64_t, uint64_t, std::string_view) override { ++problems; }
  void unreadable(std::string_view, std::string_view) override { ++problems; }
  int problems = 0;
};

struct HuntRun {
  HuntStats stats;
  std::string out;
  int problems;
};

HuntRun hunt(std::vector<std::unique_ptr<Source>> sources, FilterOptions options, Answer answer, bool json = false,
             const SigmaRules* rules = nullptr, HuntOptions hunt_options = {}) {
  Filter filter(options);
  auto sink = make_sink(answer, json);
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  Quiet quiet;
  HuntStats stats = run_hunt(sources, filter, rules, *sink, out, quiet, hunt_options);
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return {stats, text, quiet.problems};
}

HuntRun hunt(const std::vector<std::string>& paths, FilterOptions options, Answer answer, bool json = false,
             const SigmaRules* rules = nullptr, HuntOptions hunt_options = {}) {
  std::vector<std::unique_ptr<Source>> sources;
  for (const auto& p : paths) sources.push_back(make_file_source(p));
  return hunt(std::move(sources), std::move(options), answer, json, rules, hunt_options);
}

// The files of a directory as if downloaded: each fetch waits (the earlier objects longer, so
// downloads finish out of order) and one object's fetch fails.
class SlowNetworkSource final : public Source {
 public:
  SlowNetworkSource(std::string path, size_t failing) : files_(make_file_source(std::move(path))), failing_(failing) {}
  std::vector<SourceObject> list(const Scope& scope) override {
    listed_ = files_->list(scope);
    return listed_;
  }
  void fetch(const SourceObject& object, Buffer& out) override {
    size_t position = static_cast<size_t>(
        std::find_if(listed_.begin(), listed_.end(), [&](const SourceObject& o) { return o.name == object.name; }) -
        listed_.begin());
    std::this_thread::sleep_for(std::chrono::milliseconds((listed_.size() - position) % 7));
    if (position == failing_) throw Error("the connection was reset");
    files_->fetch(object, out);
  }
  unsigned concurrent_fetches() const override { return 16; }

 private:
  std::unique_ptr<Source> files_;
  size_t failing_;
  std::vector<SourceObject> listed_;
};

const std::string kStratus = kSharedData + "/stratus-red-team-detonation-logs";

TEST(Hunt, PrintsObjectsInListingOrderOnManyThreads) {
  HuntOptions one, many;
  one.threads = 1;
  many.threads = 8;
  HuntRun a = hunt({kStratus}, {}, Answer::kJsonLines, false, nullptr, one);
  HuntRun b = hunt({kStratus}, {}, Answer::kJsonLines, false, nullptr, many);
  EXPECT_EQ(a.stats.records, 310u);
  EXPECT_EQ(std::count(a.out.begin(), a.out.end(), '\n'), 310);
  EXPECT_EQ(a.out, b.out);
}

TEST(Hunt, DownloadsAheadInListingOrderAndAFailedDownloadSkipsOnlyItsObject) {
  const HuntRun local = hunt({kStratus}, {}, Answer::kJsonLines);
  HuntOptions roomy, tight;
  tight.memory_budget = 1;  // one download at a time: the ordered admission must not deadlock
  const HuntRun failed = hunt({make_file_source(kStratus)->list({})[2].name}, {}, Answer::kJsonLines);
  ASSERT_FALSE(failed.out.empty());
  std::string expected = local.out;
  expected.erase(expected.find(failed.out), failed.out.size());
  for (const HuntOptions& options : {roomy, tight}) {
    std::vector<std::unique_ptr<Source>> sources;
    sources.push_back(std::make_unique<SlowNetworkSource>(kStratus, 2));
    const HuntRun remote = hunt(std::move(sources), {}, Answer::kJsonLines, false, nullptr, options);
    EXPECT_EQ(remote.out, expected);
    EXPECT_EQ(remote.stats.unreadable, 1u);
    EXPECT_EQ(remote.problems, 1);
  }
}

TEST(Hunt, JsonLinesAreTheRecordsOnOneLine) {
  HuntRun r = hunt({kStratus + "/aws.defense-evasion.cloudtrail-stop.json"}, {}, Answer::kJsonLines);
  ASSERT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
  Json event = Json::parse(r.out);
  EXPECT_EQ(event["eventName"], "StopLogging");
  EXPECT_EQ(event["userIdentity"]["userName"], "christophe");
}

TEST(Hunt, NamesTheSigmaRuleAndLevel) {
  SigmaRules rules = SigmaRules::load({kSharedData + "/sigma-cloudtrail"});
  HuntRun r = hunt({kStratus + "/aws.defense-evasion.cloudtrail-stop.json"}, {}, Answer::kJsonLines, false, &rules);
  Json event = Json::parse(r.out);
  EXPECT_EQ(event["sigma"][0]["title"], "AWS CloudTrail Important Change");
  EXPECT_EQ(event["sigma"][0]["level"], "medium");
}

TEST(Hunt, SkipsObjectsWithoutTheAccessKeyUnparsed) {
  FilterOptions key;
  key.access_keys = {"AKIAW9X2Q2U25SK79UCX"};
  HuntRun r = hunt({kStratus}, key, Answer::kCsv);
  EXPECT_EQ(r.stats.matched, 56u);
  EXPECT_GT(r.stats.objects_skipped_by_literal, 20u);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 57);  // the header, then the events
}

TEST(Hunt, SummarisesPerPrincipal) {
  FilterOptions account;
  account.principals = {"056392974792"};
  HuntRun r = hunt({kStratus}, account, Answer::kSummary, true);
  Json summary = Json::parse(r.out);
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0]["principal"], "arn:aws:iam::056392974792:user/christophe");
  EXPECT_EQ(summary[0]["calls"], 56);
  EXPECT_EQ(summary[0]["accessKeys"]["AKIAW9X2Q2U25SK79UCX"], 56);
  EXPECT_LE(summary[0]["firstSeen"].get<std::string>(), summary[0]["lastSeen"].get<std::string>());
}

TEST(Hunt, TimelineIsInTimeOrder) {
  HuntRun r = hunt({kStratus}, {}, Answer::kTimeline, true);
  std::string last;
  size_t lines = 0, at = 0;
  while (at < r.out.size()) {
    size_t nl = r.out.find('\n', at);
    std::string time = Json::parse(r.out.substr(at, nl - at))["eventTime"];
    EXPECT_LE(last, time);
    last = time;
    ++lines;
    at = nl + 1;
  }
  EXPECT_EQ(lines, 310u);
}

TEST(Hunt, ListsTheResourcesThatWereChanged) {
  HuntRun r = hunt({kStratus + "/aws.defense-evasion.cloudtrail-delete.json",
                kStratus + "/aws.exfiltration.ec2-share-ebs-snapshot.json"},
               {}, Answer::kResources, true);
  Json resources = Json::parse(r.out);
  std::set<std::string> ids;
  for (const Json& res : resources) ids.insert(res["resource"]);
  EXPECT_TRUE(ids.count("stratus-red-team-cloudtraild-trail-kvrwohmiai"));
  bool snapshot = false;
  for (const std::string& id : ids) snapshot |= id.starts_with("snap-");
  EXPECT_TRUE(snapshot);
}

TEST(Hunt, CountsWhatItSkips) {
  HuntRun r = hunt({kSharedData + "/cado-cloudgrep", kSharedData + "/aws-cloudtrail-processing-library"}, {},
               Answer::kJsonLines);
  EXPECT_EQ(r.stats.malformed, 2u);       // bad_cloudtrail.json, SerializerTestFileBadJsonFormat.json
  EXPECT_EQ(r.stats.not_cloudtrail, 2u);  // records with only unknown keys
  EXPECT_EQ(r.problems, 4);
}

// Regression: with a budget smaller than one object, objects still run (one at a time).
TEST(Hunt, BudgetSmallerThanAnObjectStillFinishes) {
  HuntOptions tight;
  tight.memory_budget = 1;
  tight.threads = 4;
  HuntRun r = hunt({kStratus}, {}, Answer::kSummary, true, nullptr, tight);
  EXPECT_EQ(r.stats.records, 310u);
}

}  // namespace
}  // namespace firebreak::cloudtrail::testing
