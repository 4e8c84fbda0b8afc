// Step 6: snapshot every EBS volume of the instances, tagged so that a rerun finds them, and
// wait until they are complete; their ids are evidence.
#include <algorithm>

#include <fmt/format.h>

#include "firebreak/playbooks/ec2/steps.h"

namespace firebreak::playbooks::ec2 {
namespace {

class SnapshotStep : public Ec2Step {
 public:
  explicit SnapshotStep(const Ec2Options& options)
      : Ec2Step(options, "snapshot-volumes", "Snapshot every EBS volume", {"capture-metadata"}) {
    spec_.reads = {{"ec2", "DescribeVolumes"}, {"ec2", "DescribeSnapshots"}};
    spec_.changes = {{"ec2", "CreateSnapshot"}};
  }

  // {"volumes": [{"volume_id", "instance_id", "device", "snapshot_id" (null: none yet)}]}
  Json observe(engine::StepContext& ctx) const override {
    Json volumes, snapshots;
    for_each_parallel(2, [&](size_t i) {
      if (i == 0) {
        volumes = ctx.paginate_all("ec2", "DescribeVolumes",
                                   {{"Filters", {filter("attachment.instance-id", options_.instance_ids)}}});
      } else {
        snapshots = ctx.paginate_all("ec2", "DescribeSnapshots",
                                     {{"Filters", {filter(std::string("tag:") + kCaseTag, {ctx.case_id()})}}});
      }
    }, kMaxConcurrentCalls);
    Json out = Json::array();
    for (const auto& volume : volumes["Volumes"]) {
      for (const auto& attachment : volume.value("Attachments", Json::array())) {
        const std::string& instance = attachment["InstanceId"];
        if (std::find(options_.instance_ids.begin(), options_.instance_ids.end(), instance) ==
            options_.instance_ids.end()) {
          continue;
        }
        Json snapshot_id = nullptr;
        for (const auto& snapshot : snapshots["Snapshots"]) {
          if (snapshot["VolumeId"] == volume["VolumeId"]) snapshot_id = snapshot["SnapshotId"];
        }
        out.push_back({{"volume_id", volume["VolumeId"]},
                       {"instance_id", instance},
                       {"device", attachment.value("Device", "")},
                       {"snapshot_id", snapshot_id}});
      }
    }
    return {{"volumes", out}};
  }

  engine::Plan plan(const Json& observed) const override {
    engine::Plan plan;
    for (const auto& v : observed["volumes"]) {
      if (v["snapshot_id"].is_null()) {
        plan.changes.push_back(fmt::format("snapshot {} ({} of {}) and wait until it is complete",
                                           v["volume_id"].get<std::string>(), v["device"].get<std::string>(),
                                           v["instance_id"].get<std::string>()));
      }
    }
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    Json after = observed;
    auto& volumes = after["volumes"];
    std::vector<size_t> missing;
    for (size_t i = 0; i < volumes.size(); ++i) {
      if (volumes[i]["snapshot_id"].is_null()) missing.push_back(i);
    }
    for_each_parallel(missing.size(), [&](size_t n) {
      Json& v = volumes[missing[n]];
      Json tags = case_tags(ctx);
      for (Json tag : {Json{{"Key", "firebreak:instance"}, {"Value", v["instance_id"]}},
                               Json{{"Key", "firebreak:device"}, {"Value", v["device"]}},
                       Json{{"Key", "firebreak:volume"}, {"Value", v["volume_id"]}}}) {
        tags.push_back(std::move(tag));
      }
      Json out = ctx.call("ec2", "CreateSnapshot",
                          {{"VolumeId", v["volume_id"]},
                           {"Description", fmt::format("firebreak case {}: {} {} of {}", ctx.case_id(),
                                                       v["volume_id"].get<std::string>(), v["device"].get<std::string>(),
                                                       v["instance_id"].get<std::string>())},
                           {"TagSpecifications", {{{"ResourceType", "snapshot"}, {"Tags", tags}}}}});
      v["snapshot_id"] = out["SnapshotId"];
    }, kMaxConcurrentCalls);
    std::vector<std::string> ids;
    for (const auto& v : volumes) ids.push_back(v["snapshot_id"]);
    if (!ids.empty()) {
      ctx.wait("ec2", "SnapshotCompleted", {{"SnapshotIds", ids}}, {}, [](const Json& response) {
        std::vector<std::string> parts;
        for (const auto& s : response.value("Snapshots", Json::array())) {
          parts.push_back(fmt::format("{} {}", s.value("SnapshotId", ""), s.value("Progress", "")));
        }
        return fmt::format("{}", fmt::join(parts, ", "));
      });
    }
    ctx.save_evidence("snapshots.json", volumes.dump(2));
    return after;
  }
};

}  // namespace

std::unique_ptr<engine::Step> make_snapshot_step(const Ec2Options& options) {
  return std::make_unique<SnapshotStep>(options);
}

}  // namespace firebreak::playbooks::ec2
