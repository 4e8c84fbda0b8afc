// Step 7: offline investigation. A forensic workstation (launched in the subnet the responder
// names, or one they already have) gets a volume made from every snapshot of the case, in its
// availability zone, attached as a secondary device; the case says how to mount them read-only.
// The workstation and the copies are found again by the case tag, so a rerun makes nothing
// twice. Undo leaves them: they are evidence handling, not a change to the victim, and
// detaching a disk under an analyst's feet is no restore (the step is recorded as one that
// cannot be undone; delete them by hand when the case is closed).
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/playbooks/ec2/steps.h"

namespace firebreak::playbooks::ec2 {
namespace {

constexpr const char* kRoleTag = "firebreak:role";
constexpr const char* kWorkstationRole = "forensic-workstation";
constexpr const char* kCopyRole = "forensic-copy";

Json tag_value(const Json& tags, const std::string& key) {
  for (const auto& tag : tags) {
    if (tag.value("Key", "") == key) return tag["Value"];
  }
  return nullptr;
}

// The secondary devices a workstation gets, in order: /dev/sdf ... /dev/sdp.
std::vector<std::string> free_devices(const Json& used) {
  std::vector<std::string> out;
  for (char letter = 'f'; letter <= 'p'; ++letter) {
    std::string device = fmt::format("/dev/sd{}", letter);
    bool taken = false;
    for (const auto& d : used) taken |= d.get<std::string>() == device || d.get<std::string>() == fmt::format("/dev/xvd{}", letter);
    if (!taken) out.push_back(device);
  }
  return out;
}

std::string mount_instructions(const Json& copies, const std::string& workstation) {
  std::string out = fmt::format(
      "On {}, mount every copy read-only and without replaying its journal (the copy must not change): "
      "ext4: mount -o ro,noload DEVICE /mnt/DIR; xfs: mount -o ro,norecovery DEVICE /mnt/DIR. "
      "On Nitro instances the device is /dev/nvmeXn1, not /dev/sdX: lsblk -o NAME,SERIAL shows the volume id "
      "(without its dash) as the serial; the partition is usually ...p1.",
      workstation);
  for (const auto& copy : copies) {
    out += fmt::format(" {} (copy of {} {} of {}) at {}.", copy["volume_id"].get<std::string>(),
                       copy["source_volume"].get<std::string>(), copy["source_device"].get<std::string>(),
                       copy["source_instance"].get<std::string>(), copy.value("device", "?"));
  }
  return out;
}

class ForensicWorkstationStep : public Ec2Step {
 public:
  explicit ForensicWorkstationStep(const Ec2Options& options)
      : Ec2Step(options, "forensic-workstation", "Offline investigation", {"snapshot-volumes"}) {
    spec_.reads = {{"ec2", "DescribeInstances"}, {"ec2", "DescribeSnapshots"}, {"ec2", "DescribeSubnets"},
                   {"ec2", "DescribeVolumes"}};
    spec_.changes = {{"ec2", "RunInstances"}, {"ec2", "CreateVolume"}, {"ec2", "AttachVolume"}};
  }

  // {"workstation": {"id", "az", "devices": [used]} or null, "az": where the copies go,
  //  "copies": [{"snapshot_id", "source_volume", "source_device", "source_instance",
  //              "volume_id" (null: not made yet), "attached_to", "device"}]}
  Json observe(engine::StepContext& ctx) const override {
    Json snapshots, workstations, copies, subnet;
    const Json case_filter = filter(std::string("tag:") + kCaseTag, {ctx.case_id()});
    for_each_parallel(4, [&](size_t i) {
      switch (i) {
        case 0:
          snapshots = ctx.paginate_all("ec2", "DescribeSnapshots", {{"Filters", {case_filter}}})["Snapshots"];
          break;
        case 1:
          workstations = options_.forensic_instance.empty()
                             ? ctx.paginate_all("ec2", "DescribeInstances",
                                                {{"Filters", {case_filter, filter(std::string("tag:") + kRoleTag, {kWorkstationRole}),
                                                              filter("instance-state-name", {"pending", "running", "stopping", "stopped"})}}})
                             : ctx.paginate_all("ec2", "DescribeInstances", {{"InstanceIds", {options_.forensic_instance}}});
          break;
        case 2:
          copies = ctx.paginate_all("ec2", "DescribeVolumes",
                                    {{"Filters", {case_filter, filter(std::string("tag:") + kRoleTag, {kCopyRole})}}})["Volumes"];
          break;
        default:
          if (!options_.forensic_subnet.empty()) {
            subnet = ctx.call("ec2", "DescribeSubnets", {{"SubnetIds", {options_.forensic_subnet}}})["Subnets"][0];
          }
      }
    }, kMaxConcurrentCalls);
    Json workstation = nullptr;
    for (const auto& reservation : workstations["Reservations"]) {
      for (const auto& instance : reservation["Instances"]) {
        Json devices = Json::array();
        for (const auto& mapping : instance.value("BlockDeviceMappings", Json::array())) devices.push_back(mapping["DeviceName"]);
        if (instance.contains("RootDeviceName")) devices.push_back(instance["RootDeviceName"]);
        workstation = {{"id", instance["InstanceId"]}, {"az", instance["Placement"]["AvailabilityZone"]}, {"devices", devices}};
      }
    }
    if (!options_.forensic_instance.empty() && workstation.is_null()) {
      throw Error(fmt::format("forensic instance {} is not in region {}", options_.forensic_instance, ctx.region()));
    }
    Json out_copies = Json::array();
    for (const auto& snapshot : snapshots) {
      const Json& tags = snapshot.value("Tags", Json::array());
      Json copy{{"snapshot_id", snapshot["SnapshotId"]},
                {"source_volume", snapshot["VolumeId"]},
                {"source_device", tag_value(tags, "firebreak:device")},
                {"source_instance", tag_value(tags, "firebreak:instance")},
                {"volume_id", nullptr}, {"attached_to", nullptr}, {"device", nullptr}};
      for (const auto& volume : copies) {
        if (volume.value("SnapshotId", "") != snapshot["SnapshotId"]) continue;
        copy["volume_id"] = volume["VolumeId"];
        for (const auto& attachment : volume.value("Attachments", Json::array())) {
          copy["attached_to"] = attachment["InstanceId"];
          copy["device"] = attachment["Device"];
        }
      }
      out_copies.push_back(copy);
    }
    Json az = workstation.is_null() ? subnet.value("AvailabilityZone", Json()) : workstation["az"];
    return {{"workstation", workstation}, {"az", az}, {"copies", out_copies}};
  }

  engine::Plan plan(const Json& observed) const override {
    engine::Plan plan;
    const std::string where = observed["workstation"].is_null() ? "the new workstation"
                                                                : observed["workstation"]["id"].get<std::string>();
    if (observed["workstation"].is_null()) {
      plan.changes.push_back(fmt::format("launch a forensic workstation ({} from {}) in {}", options_.forensic_instance_type,
                                         options_.forensic_ami, options_.forensic_subnet));
    }
    for (const auto& copy : observed["copies"]) {
      if (copy["volume_id"].is_null()) {
        plan.changes.push_back(fmt::format("create a volume from {} (of {}) in {}", copy["snapshot_id"].get<std::string>(),
                                           copy["source_volume"].get<std::string>(), observed["az"].get<std::string>()));
      }
      if (copy["attached_to"].is_null()) {
        plan.changes.push_back(fmt::format("attach the copy of {} to {} as a secondary device, to mount read-only",
                                           copy["source_volume"].get<std::string>(), where));
      }
    }
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    Json after = observed;
    Json& copies = after["copies"];
    // The workstation and the volumes do not wait for one another.
    for_each_parallel(1 + copies.size(), [&](size_t i) {
      if (i == 0) {
        if (after["workstation"].is_null()) after["workstation"] = launch(ctx);
        return;
      }
      Json& copy = copies[i - 1];
      if (copy["volume_id"].is_null()) copy["volume_id"] = create_copy(ctx, copy, observed["az"]);
    }, kMaxConcurrentCalls);
    std::vector<std::string> created;
    for (const auto& copy : copies) {
      if (copy["attached_to"].is_null()) created.push_back(copy["volume_id"]);
    }
    if (created.empty()) return finish(ctx, after);
    ctx.wait("ec2", "VolumeAvailable", {{"VolumeIds", created}});
    const std::string workstation = after["workstation"]["id"];
    std::vector<std::string> devices = free_devices(after["workstation"]["devices"]);
    std::vector<size_t> attaching;
    for (size_t i = 0; i < copies.size(); ++i) {
      if (copies[i]["attached_to"].is_null()) attaching.push_back(i);
    }
    if (attaching.size() > devices.size()) {
      throw Error(fmt::format("{} has {} free devices for {} copies: attach the rest by hand or use another workstation",
                              workstation, devices.size(), attaching.size()));
    }
    for_each_parallel(attaching.size(), [&](size_t n) {
      Json& copy = copies[attaching[n]];
      ctx.call("ec2", "AttachVolume", {{"VolumeId", copy["volume_id"]}, {"InstanceId", workstation}, {"Device", devices[n]}});
      copy["attached_to"] = workstation;
      copy["device"] = devices[n];
    }, kMaxConcurrentCalls);
    ctx.wait("ec2", "VolumeInUse", {{"VolumeIds", created}});
    return finish(ctx, after);
  }

 private:
  Json finish(engine::StepContext& ctx, const Json& after) const {
    const std::string instructions = mount_instructions(after["copies"], after["workstation"]["id"]);
    ctx.note(instructions, {{"workstation", after["workstation"]}, {"copies", after["copies"]}});
    ctx.save_evidence("forensic-volumes.json",
                      Json{{"workstation", after["workstation"]}, {"copies", after["copies"]}, {"mount", instructions}}.dump(2));
    return after;
  }

  Json launch(engine::StepContext& ctx) const {
    Json tags = case_tags(ctx);
    tags.push_back({{"Key", kRoleTag}, {"Value", kWorkstationRole}});
    tags.push_back({{"Key", "Name"}, {"Value", fmt::format("firebreak forensic workstation {}", ctx.case_id())}});
    Json out = ctx.call("ec2", "RunInstances",
                        {{"ImageId", options_.forensic_ami},
                         {"InstanceType", options_.forensic_instance_type},
                         {"SubnetId", options_.forensic_subnet},
                         {"MinCount", 1},
                         {"MaxCount", 1},
                         {"ClientToken", ctx.client_token("workstation")},
                         {"TagSpecifications", {{{"ResourceType", "instance"}, {"Tags", tags}}}}});
    const Json& instance = out["Instances"][0];
    ctx.wait("ec2", "InstanceRunning", {{"InstanceIds", {instance["InstanceId"]}}});
    Json devices = Json::array();
    if (instance.contains("RootDeviceName")) devices.push_back(instance["RootDeviceName"]);
    return {{"id", instance["InstanceId"]}, {"az", instance["Placement"]["AvailabilityZone"]}, {"devices", devices}};
  }

  static Json create_copy(engine::StepContext& ctx, const Json& copy, const Json& az) {
    Json tags = case_tags(ctx);
    for (const auto& [key, member] : {std::pair{"firebreak:snapshot", "snapshot_id"}, {"firebreak:volume", "source_volume"},
                                      {"firebreak:device", "source_device"}, {"firebreak:instance", "source_instance"}}) {
      if (copy[member].is_string()) tags.push_back({{"Key", key}, {"Value", copy[member]}});
    }
    tags.push_back({{"Key", kRoleTag}, {"Value", kCopyRole}});
    Json out = ctx.call("ec2", "CreateVolume",
                        {{"SnapshotId", copy["snapshot_id"]},
                         {"AvailabilityZone", az},
                         {"ClientToken", ctx.client_token("copy/" + copy["snapshot_id"].get<std::string>())},
                         {"TagSpecifications", {{{"ResourceType", "volume"}, {"Tags", tags}}}}});
    return out["VolumeId"];
  }
};

}  // namespace

std::unique_ptr<engine::Step> make_forensic_workstation_step(const Ec2Options& options) {
  return std::make_unique<ForensicWorkstationStep>(options);
}

}  // namespace firebreak::playbooks::ec2
