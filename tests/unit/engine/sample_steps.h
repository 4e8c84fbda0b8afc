#pragma once
// Sample steps for the engine's tests, shaped like the EC2 playbook's (issue 4) so that they
// run against the fake world and against moto alike: one capture, one reversible change, one
// step that creates a resource and must never create it twice. Test-only: they are compiled
// into unit_engine, never into firebreak.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "firebreak/engine/playbook.h"
#include "firebreak/engine/step.h"
#include "firebreak/engine/step_context.h"

namespace firebreak::engine::testing {

// Called by a sample step right after its changing call, before it returns: tests crash the
// process there, or block it until it is killed.
using AfterChange = std::function<void(const std::string& step)>;

class CaptureMetadataStep : public Step {
 public:
  explicit CaptureMetadataStep(std::string instance) : instance_(std::move(instance)) {
    spec_.name = "capture-" + instance_;
    spec_.line = "Capture instance metadata";
    spec_.reads = {{"ec2", "DescribeInstances"}};
  }
  const StepSpec& spec() const override { return spec_; }
  Json observe(StepContext& ctx) const override {
    Json out = ctx.call("ec2", "DescribeInstances", {{"InstanceIds", {instance_}}});
    out.erase("ResponseMetadata");  // the state, not the exchange that read it
    return out;
  }
  Plan plan(const Json& observed) const override {
    return {{fmt::format("save the DescribeInstances record of {} as evidence", instance_)}};
  }
  Json apply(StepContext& ctx, const Json& observed) const override {
    auto saved = ctx.save_evidence("metadata.json", observed.dump(2));
    return {{"sha256", saved.sha256}};
  }

 private:
  std::string instance_;
  StepSpec spec_;
};

class TerminationProtectionStep : public Step {
 public:
  TerminationProtectionStep(std::string instance, std::vector<std::string> depends_on, AfterChange after_change = {})
      : instance_(std::move(instance)), after_change_(std::move(after_change)) {
    spec_.name = "termination-protection-" + instance_;
    spec_.line = "Enable termination protection";
    spec_.depends_on = std::move(depends_on);
    spec_.reads = {{"ec2", "DescribeInstanceAttribute"}};
    spec_.changes = {{"ec2", "ModifyInstanceAttribute"}};
    spec_.reversible = true;
  }
  const StepSpec& spec() const override { return spec_; }
  Json observe(StepContext& ctx) const override {
    Json out = ctx.call("ec2", "DescribeInstanceAttribute",
                        {{"InstanceId", instance_}, {"Attribute", "disableApiTermination"}});
    return {{"instance_id", instance_}, {"disable_api_termination", out["DisableApiTermination"]["Value"]}};
  }
  Plan plan(const Json& observed) const override {
    if (observed["disable_api_termination"].get<bool>()) return {};
    return {{fmt::format("set DisableApiTermination of {} to true", instance_)}};
  }
  Json apply(StepContext& ctx, const Json& observed) const override {
    ctx.call("ec2", "ModifyInstanceAttribute",
             {{"InstanceId", instance_}, {"DisableApiTermination", {{"Value", true}}}});
    if (after_change_) after_change_(spec_.name);
    return {{"instance_id", instance_}, {"disable_api_termination", true}};
  }
  std::vector<AwsCall> undo(const Json& before, const Json& after) const override {
    AwsCall restore;
    restore.service = "ec2";
    restore.operation = "ModifyInstanceAttribute";
    restore.input = {{"InstanceId", instance_},
                     {"DisableApiTermination", {{"Value", before["disable_api_termination"]}}}};
    return {restore};
  }

 private:
  std::string instance_;
  AfterChange after_change_;
  StepSpec spec_;
};

// Snapshots a volume, tagged with the case so that a rerun finds it instead of making another.
class SnapshotVolumeStep : public Step {
 public:
  SnapshotVolumeStep(std::string volume, std::vector<std::string> depends_on, AfterChange after_change = {})
      : volume_(std::move(volume)), after_change_(std::move(after_change)) {
    spec_.name = "snapshot-" + volume_;
    spec_.line = "Snapshot every EBS volume";
    spec_.depends_on = std::move(depends_on);
    spec_.reads = {{"ec2", "DescribeSnapshots"}};
    spec_.changes = {{"ec2", "CreateSnapshot"}};
  }
  const StepSpec& spec() const override { return spec_; }
  Json observe(StepContext& ctx) const override {
    Json by_case{{"Name", "tag:firebreak:case"}, {"Values", {ctx.case_id()}}};
    Json by_volume{{"Name", "volume-id"}, {"Values", {volume_}}};
    Json out = ctx.call("ec2", "DescribeSnapshots", {{"Filters", Json::array({by_case, by_volume})}});
    Json ids = Json::array();
    for (const auto& snapshot : out["Snapshots"]) ids.push_back(snapshot["SnapshotId"]);
    return {{"volume_id", volume_}, {"snapshots", ids}};
  }
  Plan plan(const Json& observed) const override {
    if (!observed["snapshots"].empty()) return {};
    return {{fmt::format("snapshot {}", volume_)}};
  }
  Json apply(StepContext& ctx, const Json& observed) const override {
    Json tag{{"Key", "firebreak:case"}, {"Value", ctx.case_id()}};
    Json tagging{{"ResourceType", "snapshot"}, {"Tags", Json::array({tag})}};
    Json out = ctx.call("ec2", "CreateSnapshot",
                        {{"VolumeId", volume_},
                         {"Description", fmt::format("firebreak case {}", ctx.case_id())},
                         {"TagSpecifications", Json::array({tagging})}});
    if (after_change_) after_change_(spec_.name);
    return {{"volume_id", volume_}, {"snapshots", {out["SnapshotId"]}}};
  }

 private:
  std::string volume_;
  AfterChange after_change_;
  StepSpec spec_;
};

// Per instance: capture, then termination protection and snapshots of its volumes side by side.
inline Playbook sample_playbook(const std::vector<std::string>& instances, const std::vector<std::string>& volumes,
                                const AfterChange& after_change = {}) {
  std::vector<std::unique_ptr<Step>> steps;
  for (const auto& instance : instances) {
    steps.push_back(std::make_unique<CaptureMetadataStep>(instance));
    steps.push_back(std::make_unique<TerminationProtectionStep>(
        instance, std::vector<std::string>{"capture-" + instance}, after_change));
  }
  for (const auto& volume : volumes) {
    steps.push_back(std::make_unique<SnapshotVolumeStep>(volume, std::vector<std::string>{}, after_change));
  }
  return Playbook("sample", std::move(steps));
}

}  // namespace firebreak::engine::testing
