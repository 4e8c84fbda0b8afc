// Step 1: capture instance metadata, one evidence JSON per instance.
#include <array>
#include <functional>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "firebreak/aws/errors.h"
#include "firebreak/playbooks/ec2/steps.h"

namespace firebreak::playbooks::ec2 {
namespace {

// What DescribeInstances does not say; the rest of the attributes are in its record.
constexpr std::array<const char*, 4> kAttributes = {"userData", "disableApiTermination", "disableApiStop",
                                                    "instanceInitiatedShutdownBehavior"};

// A part of the record that could not be read is recorded as its error, not a failed capture:
// a responder without elb:Describe* still gets everything else.
Json read_or_error(const std::function<Json()>& read) {
  try {
    Json out = read();
    out.erase("ResponseMetadata");
    return out;
  } catch (const aws::AwsError& e) {
    return {{"error", {{"code", e.code()}, {"message", e.message()}}}};
  }
}

std::vector<std::string> strings(const Json& values, const char* member) {
  std::vector<std::string> out;
  for (const auto& value : values) out.push_back(value.value(member, ""));
  return out;
}

class CaptureMetadataStep : public Ec2Step {
 public:
  CaptureMetadataStep(const Ec2Options& options, std::shared_ptr<AttributeReads> attribute_reads)
      : Ec2Step(options, "capture-metadata", "Capture instance metadata", {}),
        attribute_reads_(std::move(attribute_reads)) {
    spec_.reads = {{"ec2", "DescribeInstances"},       {"ec2", "DescribeInstanceAttribute"},
                   {"ec2", "GetConsoleOutput"},        {"ec2", "DescribeNetworkInterfaces"},
                   {"ec2", "DescribeAddresses"},       {"ec2", "DescribeSecurityGroups"},
                   {"ec2", "DescribeVolumes"},         {"ec2", "DescribeSubnets"},
                   {"ec2", "DescribeVpcs"},            {"iam", "GetInstanceProfile"},
                   {"iam", "ListRolePolicies"},        {"iam", "GetRolePolicy"},
                   {"iam", "ListAttachedRolePolicies"}, {"autoscaling", "DescribeAutoScalingInstances"},
                   {"elb", "DescribeLoadBalancers"},   {"elbv2", "DescribeTargetGroups"},
                   {"elbv2", "DescribeTargetHealth"}};
  }

  // {"instances": {id: record}}: each record is the evidence saved for that instance.
  Json observe(engine::StepContext& ctx) const override {
    const auto& ids = options_.instance_ids;
    const std::vector<Json> instances = describe_instances(ctx, ids);
    std::set<std::string> groups, subnets, vpcs;
    for (const auto& instance : instances) {
      for (const auto& eni : instance.value("NetworkInterfaces", Json::array())) {
        for (const auto& id : strings(eni.value("Groups", Json::array()), "GroupId")) groups.insert(id);
      }
      for (const auto& id : strings(instance.value("SecurityGroups", Json::array()), "GroupId")) groups.insert(id);
      if (instance.contains("SubnetId")) subnets.insert(instance["SubnetId"].get<std::string>());
      if (instance.contains("VpcId")) vpcs.insert(instance["VpcId"].get<std::string>());
    }

    // Everything below is independent: one round trip for all instances, except the reads that
    // follow from an earlier answer (target health, role policies), which go out first.
    std::vector<Json> per_instance(ids.size(), Json::object());
    Json shared = Json::object();
    std::mutex mutex;
    std::vector<std::function<void()>> reads;
    auto put = [&](Json& slot, const std::string& key, std::function<Json()> read) {
      reads.push_back([&slot, key, read = std::move(read), &mutex] {
        Json value = read_or_error(read);
        std::lock_guard lock(mutex);
        slot[key] = std::move(value);
      });
    };
    put(shared, "network_interfaces", [&] {
      return ctx.paginate_all("ec2", "DescribeNetworkInterfaces", {{"Filters", {filter("attachment.instance-id", ids)}}});
    });
    put(shared, "addresses", [&] {
      return ctx.call("ec2", "DescribeAddresses", {{"Filters", {filter("instance-id", ids)}}});
    });
    put(shared, "security_groups", [&] {
      return ctx.paginate_all("ec2", "DescribeSecurityGroups", {{"GroupIds", groups}});
    });
    put(shared, "volumes", [&] {
      return ctx.paginate_all("ec2", "DescribeVolumes", {{"Filters", {filter("attachment.instance-id", ids)}}});
    });
    put(shared, "subnets", [&] { return ctx.call("ec2", "DescribeSubnets", {{"SubnetIds", subnets}}); });
    put(shared, "vpcs", [&] { return ctx.call("ec2", "DescribeVpcs", {{"VpcIds", vpcs}}); });
    put(shared, "auto_scaling", [&] {
      return ctx.paginate_all("autoscaling", "DescribeAutoScalingInstances", {{"InstanceIds", ids}});
    });
    put(shared, "classic_load_balancers", [&] { return ctx.paginate_all("elb", "DescribeLoadBalancers"); });
    put(shared, "target_groups", [&] { return read_target_groups(ctx); });
    // Instances of one Auto Scaling group share their profile: each profile is read once.
    Json profiles = Json::object();
    for (const auto& instance : instances) {
      if (const std::string profile = instance_profile_name(instance); !profile.empty() && !profiles.contains(profile)) {
        profiles[profile] = nullptr;
        put(profiles, profile, [&ctx, profile] { return read_instance_profile(ctx, profile); });
      }
    }
    // The single calls last: with many instances they queue for a thread, and a chain queued
    // behind them would make the capture as long as the queue plus the chain.
    for (size_t i = 0; i < ids.size(); ++i) {
      const std::string id = ids[i];
      for (const char* attribute : kAttributes) {
        put(per_instance[i], std::string("attribute:") + attribute, [this, &ctx, id, attribute] {
          return attribute_reads_->read(ctx, id, attribute);
        });
      }
      put(per_instance[i], "console_output", [&ctx, id] {
        return ctx.call("ec2", "GetConsoleOutput", {{"InstanceId", id}});
      });
    }
    for_each_parallel(reads.size(), [&](size_t i) { reads[i](); }, kMaxConcurrentCalls);

    Json out = Json::object();
    for (size_t i = 0; i < ids.size(); ++i) {
      Json record = per_instance[i];
      record["instance"] = instances[i];
      if (const std::string profile = instance_profile_name(instances[i]); !profile.empty()) record["iam"] = profiles[profile];
      for (const auto& [key, value] : shared.items()) record[key] = mine(key, value, ids[i], instances[i]);
      out[ids[i]] = std::move(record);
    }
    return {{"instances", out}};
  }

  engine::Plan plan(const Json& observed) const override {
    engine::Plan plan;
    for (const auto& [id, record] : observed["instances"].items()) {
      plan.changes.push_back(fmt::format("save the metadata of {} as evidence (metadata-{}.json)", id, id));
    }
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    Json after = Json::object();
    for (const auto& [id, record] : observed["instances"].items()) {
      auto saved = ctx.save_evidence(fmt::format("metadata-{}.json", id), record.dump(2));
      after[id] = {{"evidence", saved.name}, {"sha256", saved.sha256}};
    }
    return {{"instances", after}};
  }

 private:
  static Json read_instance_profile(engine::StepContext& ctx, const std::string& name) {
    Json profile = ctx.call("iam", "GetInstanceProfile", {{"InstanceProfileName", name}});
    Json roles = Json::array();
    for (const auto& role : profile["InstanceProfile"]["Roles"]) {
      const std::string role_name = role["RoleName"];
      Json inline_policies = Json::object();
      for (const auto& policy : ctx.paginate_all("iam", "ListRolePolicies", {{"RoleName", role_name}})["PolicyNames"]) {
        inline_policies[policy.get<std::string>()] =
            ctx.call("iam", "GetRolePolicy", {{"RoleName", role_name}, {"PolicyName", policy}})["PolicyDocument"];
      }
      Json attached = ctx.paginate_all("iam", "ListAttachedRolePolicies", {{"RoleName", role_name}});
      roles.push_back({{"role", role},
                       {"inline_policies", inline_policies},
                       {"attached_policies", attached["AttachedPolicies"]}});
    }
    return {{"instance_profile", profile["InstanceProfile"]}, {"roles", roles}};
  }

  static Json read_target_groups(engine::StepContext& ctx) {
    Json groups = ctx.paginate_all("elbv2", "DescribeTargetGroups")["TargetGroups"];
    for_each_parallel(groups.size(), [&](size_t i) {
      Json health = ctx.call("elbv2", "DescribeTargetHealth", {{"TargetGroupArn", groups[i]["TargetGroupArn"]}});
      groups[i]["Targets"] = health["TargetHealthDescriptions"];
    }, kMaxConcurrentCalls);
    return {{"TargetGroups", groups}};
  }

  // The part of a read shared by all instances that concerns this one.
  static Json mine(const std::string& key, const Json& value, const std::string& id, const Json& instance) {
    if (value.contains("error")) return value;
    const auto own_addresses = instance_addresses(instance);
    const std::set<std::string> addresses(own_addresses.begin(), own_addresses.end());
    auto keep = [&](const Json& items, const std::function<bool(const Json&)>& wanted) {
      Json out = Json::array();
      for (const auto& item : items) {
        if (wanted(item)) out.push_back(item);
      }
      return out;
    };
    if (key == "network_interfaces") {
      return keep(value["NetworkInterfaces"], [&](const Json& eni) {
        return eni.contains("Attachment") && eni["Attachment"].value("InstanceId", "") == id;
      });
    }
    if (key == "addresses") {
      return keep(value["Addresses"], [&](const Json& a) { return a.value("InstanceId", "") == id; });
    }
    if (key == "security_groups") {
      std::set<std::string> own;
      for (const auto& eni : instance.value("NetworkInterfaces", Json::array())) {
        for (const auto& g : strings(eni.value("Groups", Json::array()), "GroupId")) own.insert(g);
      }
      for (const auto& g : strings(instance.value("SecurityGroups", Json::array()), "GroupId")) own.insert(g);
      return keep(value["SecurityGroups"], [&](const Json& g) { return own.contains(g.value("GroupId", "")); });
    }
    if (key == "volumes") {
      return keep(value["Volumes"], [&](const Json& v) {
        for (const auto& a : v.value("Attachments", Json::array())) {
          if (a.value("InstanceId", "") == id) return true;
        }
        return false;
      });
    }
    if (key == "subnets") {
      return keep(value["Subnets"], [&](const Json& s) { return s["SubnetId"] == instance.value("SubnetId", ""); });
    }
    if (key == "vpcs") {
      return keep(value["Vpcs"], [&](const Json& v) { return v["VpcId"] == instance.value("VpcId", ""); });
    }
    if (key == "auto_scaling") {
      return keep(value["AutoScalingInstances"], [&](const Json& a) { return a.value("InstanceId", "") == id; });
    }
    if (key == "classic_load_balancers") {
      return keep(value["LoadBalancerDescriptions"], [&](const Json& lb) {
        for (const auto& member : lb.value("Instances", Json::array())) {
          if (member.value("InstanceId", "") == id) return true;
        }
        return false;
      });
    }
    // target_groups: those with this instance as a target, by id or by one of its addresses.
    return keep(value["TargetGroups"], [&](const Json& group) {
      for (const auto& target : group["Targets"]) {
        if (addresses.contains(target["Target"].value("Id", ""))) return true;
      }
      return false;
    });
  }

  std::shared_ptr<AttributeReads> attribute_reads_;
};

}  // namespace

std::unique_ptr<engine::Step> make_capture_metadata_step(const Ec2Options& options,
                                                         std::shared_ptr<AttributeReads> reads) {
  return std::make_unique<CaptureMetadataStep>(options, std::move(reads));
}

}  // namespace firebreak::playbooks::ec2
