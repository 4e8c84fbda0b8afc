// Step 3, the hard cut (--nacl): the instances' subnets get a network ACL that denies all
// traffic in and out (and allows the forensic CIDR when one is given). Network ACLs are
// stateless, so nothing survives; but they apply to the whole subnet, every instance in it,
// which the plan and the case say in so many words. Undo puts the original ACL back.
#include <algorithm>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "firebreak/playbooks/ec2/steps.h"

namespace firebreak::playbooks::ec2 {
namespace {

// Below AWS's "*" deny rule, above nothing else: the ACL holds only this rule per direction.
constexpr int kForensicRuleNumber = 100;

std::string warning(const std::string& subnet) {
  return fmt::format("WARNING: this cuts every instance in subnet {}, not only the contained ones", subnet);
}

class IsolateSubnetsStep : public Ec2Step {
 public:
  explicit IsolateSubnetsStep(const Ec2Options& options)
      : Ec2Step(options, "isolate-subnets", "Isolate the instance (no traffic outbound)", {"capture-metadata"}) {
    spec_.reads = {{"ec2", "DescribeInstances"}, {"ec2", "DescribeNetworkAcls"}};
    spec_.changes = {{"ec2", "CreateNetworkAcl"}, {"ec2", "CreateNetworkAclEntry"},
                     {"ec2", "ReplaceNetworkAclAssociation"}};
    spec_.reversible = true;
    tag_ = options.forensic_cidr.empty() ? "nacl" : "nacl:" + options.forensic_cidr;
    name_ = options.forensic_cidr.empty() ? "firebreak-isolation" : "firebreak-forensic-" + options.forensic_cidr;
  }

  // {"subnets": {subnet: {"vpc", "acl", "association"}},
  //  "acls": {vpc: {"id", "forensic_rules": number of directions allowing the forensic CIDR}}}
  Json observe(engine::StepContext& ctx) const override {
    Json subnets = Json::object();
    for (const auto& instance : describe_instances(ctx, options_.instance_ids)) {
      for (const auto& eni : instance.value("NetworkInterfaces", Json::array())) {
        subnets[eni["SubnetId"].get<std::string>()] = {{"vpc", eni["VpcId"]}};
      }
      if (instance.contains("SubnetId")) subnets[instance["SubnetId"].get<std::string>()] = {{"vpc", instance["VpcId"]}};
    }
    std::vector<std::string> subnet_ids;
    std::set<std::string> vpcs;
    for (const auto& [id, subnet] : subnets.items()) {
      subnet_ids.push_back(id);
      vpcs.insert(subnet["vpc"].get<std::string>());
    }
    Json associated, ours;
    for_each_parallel(2, [&](size_t i) {
      if (i == 0) {
        associated = ctx.paginate_all("ec2", "DescribeNetworkAcls", {{"Filters", {filter("association.subnet-id", subnet_ids)}}});
      } else {
        ours = ctx.paginate_all("ec2", "DescribeNetworkAcls",
                                {{"Filters", {filter(std::string("tag:") + kIsolationTag, {tag_})}}});
      }
    }, kMaxConcurrentCalls);
    for (const auto& acl : associated["NetworkAcls"]) {
      for (const auto& association : acl.value("Associations", Json::array())) {
        const std::string subnet = association.value("SubnetId", "");
        if (subnets.contains(subnet)) {
          subnets[subnet]["acl"] = acl["NetworkAclId"];
          subnets[subnet]["association"] = association["NetworkAclAssociationId"];
        }
      }
    }
    Json acls = Json::object();
    for (const auto& acl : ours["NetworkAcls"]) {
      const std::string vpc = acl.value("VpcId", "");
      if (!vpcs.contains(vpc) || acls.contains(vpc)) continue;
      int forensic_rules = 0;
      for (const auto& entry : acl.value("Entries", Json::array())) {
        forensic_rules += entry.value("RuleNumber", 0) == kForensicRuleNumber && entry.value("RuleAction", "") == "allow" &&
                          entry.value("CidrBlock", "") == options_.forensic_cidr;
      }
      acls[vpc] = {{"id", acl["NetworkAclId"]}, {"forensic_rules", forensic_rules}};
    }
    return {{"subnets", subnets}, {"acls", acls}};
  }

  engine::Plan plan(const Json& observed) const override {
    engine::Plan plan;
    std::set<std::string> vpcs;
    for (const auto& [id, subnet] : observed["subnets"].items()) vpcs.insert(subnet["vpc"].get<std::string>());
    for (const auto& vpc : vpcs) {
      if (!observed["acls"].contains(vpc)) {
        plan.changes.push_back(fmt::format("create network ACL {} in {}: deny all in and out{}", name_, vpc,
                                           options_.forensic_cidr.empty() ? "" : ", allow " + options_.forensic_cidr));
      } else if (missing_forensic_rules(observed["acls"][vpc])) {
        plan.changes.push_back(fmt::format("allow {} in and out in network ACL {}", options_.forensic_cidr, name_));
      }
    }
    for (const auto& [id, subnet] : observed["subnets"].items()) {
      if (!cut(observed, subnet)) {
        plan.changes.push_back(fmt::format("replace the network ACL of subnet {} ({}) with {}. {}", id,
                                           subnet.value("acl", "none"), name_, warning(id)));
      }
    }
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    Json after = observed;
    std::vector<std::string> vpcs;
    for (const auto& [id, subnet] : observed["subnets"].items()) {
      const std::string vpc = subnet["vpc"];
      if (std::find(vpcs.begin(), vpcs.end(), vpc) == vpcs.end()) vpcs.push_back(vpc);
    }
    std::mutex mutex;
    for_each_parallel(vpcs.size(), [&](size_t i) {
      Json acl = observed["acls"].value(vpcs[i], Json());
      if (acl.is_null()) {
        Json tags = Json::array({Json{{"Key", kIsolationTag}, {"Value", tag_}}, Json{{"Key", "Name"}, {"Value", name_}}});
        Json out = ctx.call("ec2", "CreateNetworkAcl",
                            {{"VpcId", vpcs[i]}, {"TagSpecifications", {{{"ResourceType", "network-acl"}, {"Tags", tags}}}}});
        acl = {{"id", out["NetworkAcl"]["NetworkAclId"]}, {"forensic_rules", 0}};
      }
      if (missing_forensic_rules(acl)) {
        for_each_parallel(2, [&](size_t egress) {
          ctx.call("ec2", "CreateNetworkAclEntry",
                   {{"NetworkAclId", acl["id"]}, {"RuleNumber", kForensicRuleNumber}, {"Protocol", "-1"},
                    {"RuleAction", "allow"}, {"Egress", egress == 1}, {"CidrBlock", options_.forensic_cidr}});
        }, kMaxConcurrentCalls);
        acl["forensic_rules"] = 2;
      }
      std::lock_guard lock(mutex);
      after["acls"][vpcs[i]] = acl;
    }, kMaxConcurrentCalls);
    std::vector<std::string> cutting;
    for (const auto& [id, subnet] : observed["subnets"].items()) {
      if (!cut(after, subnet)) cutting.push_back(id);
    }
    for_each_parallel(cutting.size(), [&](size_t i) {
      Json& subnet = after["subnets"][cutting[i]];
      ctx.note(warning(cutting[i]), {{"subnet", cutting[i]}, {"previous_acl", subnet["acl"]}});
      Json out = ctx.call("ec2", "ReplaceNetworkAclAssociation",
                          {{"AssociationId", subnet["association"]},
                           {"NetworkAclId", after["acls"][subnet["vpc"].get<std::string>()]["id"]}});
      std::lock_guard lock(mutex);
      subnet["acl"] = after["acls"][subnet["vpc"].get<std::string>()]["id"];
      subnet["association"] = out["NewAssociationId"];
    }, kMaxConcurrentCalls);
    return after;
  }

  // Each subnet back to the ACL it had, through the association the cut made.
  std::vector<engine::AwsCall> undo(const Json& before, const Json& after) const override {
    std::vector<engine::AwsCall> calls;
    for (const auto& [id, subnet] : before["subnets"].items()) {
      const Json& now = after["subnets"].value(id, Json::object());
      if (now.value("acl", Json()) == subnet.value("acl", Json()) || !subnet.contains("acl")) continue;
      calls.push_back(aws_call("ec2", "ReplaceNetworkAclAssociation",
                               {{"AssociationId", now["association"]}, {"NetworkAclId", subnet["acl"]}}));
    }
    return calls;
  }

 private:
  bool missing_forensic_rules(const Json& acl) const {
    return !options_.forensic_cidr.empty() && acl.value("forensic_rules", 0) < 2;
  }

  static bool cut(const Json& state, const Json& subnet) {
    const Json& acls = state["acls"];
    const std::string vpc = subnet["vpc"];
    return acls.contains(vpc) && subnet.value("acl", Json()) == acls[vpc]["id"];
  }

  std::string tag_;   // value of firebreak:isolation on the ACL
  std::string name_;
};

}  // namespace

std::unique_ptr<engine::Step> make_isolate_subnets_step(const Ec2Options& options) {
  return std::make_unique<IsolateSubnetsStep>(options);
}

}  // namespace firebreak::playbooks::ec2
