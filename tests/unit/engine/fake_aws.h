#pragma once
// A small AWS world for engine tests: instances with termination protection, volumes and
// their snapshots, an S3 bucket, IAM keys. It answers in the shapes the real services use, so
// the sample steps run unchanged against it and against moto. Its state can live in a file,
// so that a test can crash a process mid-apply and look at the world afterwards.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "firebreak/aws/errors.h"
#include "firebreak/engine/aws_api.h"

namespace firebreak::engine::testing {

class FakeAws : public AwsApi {
 public:
  explicit FakeAws(std::filesystem::path backing = {}) : backing_(std::move(backing)) {
    std::lock_guard lock(mutex_);
    load();
    if (!state_.contains("instances")) {
      state_ = Json{{"instances", Json::object()}, {"snapshots", Json::array()}, {"objects", Json::array()},
                    {"next", 1}};
      save();
    }
  }

  std::string account = "111122223333";
  std::string arn = "arn:aws:iam::111122223333:user/responder";
  std::string region = "us-east-1";
  // Called with "service:Operation" before each call; may throw (an AwsError) to fail it.
  std::function<void(const std::string&)> before_call;

  void add_instance(const std::string& id, bool protection = false) {
    std::lock_guard lock(mutex_);
    load();
    state_["instances"][id] = {{"DisableApiTermination", protection}};
    save();
  }
  bool protection(const std::string& id) {
    std::lock_guard lock(mutex_);
    load();
    return state_["instances"][id]["DisableApiTermination"].get<bool>();
  }
  size_t snapshots_of(const std::string& volume) {
    std::lock_guard lock(mutex_);
    load();
    size_t n = 0;
    for (const auto& s : state_["snapshots"]) n += s["VolumeId"] == volume;
    return n;
  }
  Json objects() {
    std::lock_guard lock(mutex_);
    load();
    return state_["objects"];
  }
  // Every call made, in order, as "service:Operation".
  std::vector<std::string> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  size_t count(const std::string& qualified) {
    std::lock_guard lock(mutex_);
    return static_cast<size_t>(std::count(calls_.begin(), calls_.end(), qualified));
  }

  std::string default_region() const override { return region; }

  Json call(std::string_view service, std::string_view call_region, std::string_view operation,
            const Json& input) override {
    std::string qualified = fmt::format("{}:{}", service, operation);
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(qualified);
    }
    if (before_call) before_call(qualified);
    std::lock_guard lock(mutex_);
    load();
    Json out = answer(qualified, input);
    save();
    out["ResponseMetadata"] = {{"RequestId", fmt::format("req-{}", calls_.size())}, {"HTTPStatusCode", 200}};
    return out;
  }

  Json paginate_all(std::string_view service, std::string_view call_region, std::string_view operation,
                    const Json& input) override {
    return call(service, call_region, operation, input);
  }

  Json wait(std::string_view service, std::string_view call_region, std::string_view waiter, const Json& input,
            const aws::WaitOptions& options) override {
    if (options.progress) options.progress(1, 2, Json::object());
    return Json::object();
  }

  static aws::AwsError error(const std::string& qualified, const std::string& code) {
    auto colon = qualified.find(':');
    return aws::AwsError(qualified.substr(0, colon), qualified.substr(colon + 1),
                         aws::ErrorDetails{code, code + " (fake)", "req-failed"}, 400);
  }

 private:
  void load() {
    if (backing_.empty() || !std::filesystem::exists(backing_)) return;
    std::ifstream in(backing_);
    state_ = Json::parse(in);
  }
  void save() {
    if (backing_.empty()) return;
    auto temporary = backing_;
    temporary += ".tmp";
    {
      std::ofstream out(temporary);
      out << state_.dump();
    }
    std::filesystem::rename(temporary, backing_);
  }

  Json& instance(const std::string& qualified, const Json& input) {
    std::string id = input.value("InstanceId", "");
    if (!state_["instances"].contains(id)) throw error(qualified, "InvalidInstanceID.NotFound");
    return state_["instances"][id];
  }

  static bool snapshot_matches(const Json& snapshot, const Json& filters) {
    for (const auto& filter : filters) {
      std::string name = filter["Name"];
      const Json& values = filter["Values"];
      std::string actual;
      if (name == "volume-id") {
        actual = snapshot["VolumeId"];
      } else if (name.starts_with("tag:")) {
        for (const auto& tag : snapshot["Tags"]) {
          if (tag["Key"] == name.substr(4)) actual = tag["Value"];
        }
      }
      if (std::find(values.begin(), values.end(), actual) == values.end()) return false;
    }
    return true;
  }

  Json answer(const std::string& qualified, const Json& input) {
    if (qualified == "sts:GetCallerIdentity") {
      return {{"UserId", "AIDAFAKE"}, {"Account", account}, {"Arn", arn}};
    }
    if (qualified == "ec2:DescribeInstances") {
      Json instances = Json::array();
      for (const auto& id : input.value("InstanceIds", Json::array())) {
        if (!state_["instances"].contains(id.get<std::string>())) throw error(qualified, "InvalidInstanceID.NotFound");
        instances.push_back({{"InstanceId", id}, {"State", {{"Name", "running"}}}});
      }
      return {{"Reservations", Json::array({{{"Instances", instances}}})}};
    }
    if (qualified == "ec2:DescribeInstanceAttribute") {
      Json& found = instance(qualified, input);
      return {{"InstanceId", input["InstanceId"]}, {"DisableApiTermination", {{"Value", found["DisableApiTermination"]}}}};
    }
    if (qualified == "ec2:ModifyInstanceAttribute") {
      instance(qualified, input)["DisableApiTermination"] = input["DisableApiTermination"]["Value"];
      return Json::object();
    }
    if (qualified == "ec2:DescribeSnapshots") {
      Json found = Json::array();
      for (const auto& s : state_["snapshots"]) {
        if (snapshot_matches(s, input.value("Filters", Json::array()))) found.push_back(s);
      }
      return {{"Snapshots", found}};
    }
    if (qualified == "ec2:CreateSnapshot") {
      int next = state_["next"].get<int>();
      state_["next"] = next + 1;
      Json tags = Json::array();
      for (const auto& spec : input.value("TagSpecifications", Json::array())) {
        for (const auto& tag : spec["Tags"]) tags.push_back(tag);
      }
      Json snapshot{{"SnapshotId", fmt::format("snap-{:08d}", next)},
                    {"VolumeId", input["VolumeId"]},
                    {"State", "completed"},
                    {"Tags", tags}};
      state_["snapshots"].push_back(snapshot);
      return snapshot;
    }
    if (qualified == "s3:PutObject") {
      state_["objects"].push_back({{"Bucket", input["Bucket"]},
                                   {"Key", input["Key"]},
                                   {"ChecksumSHA256", input.value("ChecksumSHA256", "")},
                                   {"Body", input["Body"]}});
      return {{"VersionId", fmt::format("v{}", state_["objects"].size())},
              {"ChecksumSHA256", input.value("ChecksumSHA256", "")}};
    }
    if (qualified == "iam:CreateAccessKey") {
      return {{"AccessKey",
               {{"UserName", input["UserName"]},
                {"AccessKeyId", "AKIAFAKEFAKEFAKE0001"},
                {"Status", "Active"},
                {"SecretAccessKey", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY1"}}}};
    }
    if (qualified == "secretsmanager:CreateSecret") {
      return {{"ARN", "arn:aws:secretsmanager:us-east-1:111122223333:secret:k-abc"}, {"Name", input["Name"]}};
    }
    throw error(qualified, "UnsupportedOperation");
  }

  std::filesystem::path backing_;
  std::mutex mutex_;
  Json state_;
  std::vector<std::string> calls_;
};

}  // namespace firebreak::engine::testing
