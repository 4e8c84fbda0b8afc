// Step 9, optional (--disassociate-profile): take the instance profile off the instances, so
// they get no new credentials for its role. It runs after the revocation step (whether that
// one runs, is skipped or fails), which finds the role through the profile. Undo associates
// the profile again.
#include <fmt/format.h>

#include "firebreak/playbooks/ec2/steps.h"

namespace firebreak::playbooks::ec2 {
namespace {

class DisassociateProfileStep : public Ec2Step {
 public:
  explicit DisassociateProfileStep(const Ec2Options& options)
      : Ec2Step(options, "disassociate-profile", "Revoke the instance role's stolen credentials",
                {"capture-metadata"}) {
    spec_.after = {"revoke-role-sessions"};
    spec_.reads = {{"ec2", "DescribeIamInstanceProfileAssociations"}};
    spec_.changes = {{"ec2", "DisassociateIamInstanceProfile"}, {"ec2", "AssociateIamInstanceProfile"}};
    spec_.reversible = true;
  }

  // {"associations": [{"id", "instance_id", "profile_arn"}]}
  Json observe(engine::StepContext& ctx) const override {
    Json out = ctx.paginate_all("ec2", "DescribeIamInstanceProfileAssociations",
                                {{"Filters", {filter("instance-id", options_.instance_ids),
                                              filter("state", {"associating", "associated"})}}});
    Json associations = Json::array();
    for (const auto& a : out["IamInstanceProfileAssociations"]) {
      associations.push_back({{"id", a["AssociationId"]},
                              {"instance_id", a["InstanceId"]},
                              {"profile_arn", a["IamInstanceProfile"]["Arn"]}});
    }
    return {{"associations", associations}};
  }

  engine::Plan plan(const Json& observed) const override {
    engine::Plan plan;
    for (const auto& a : observed["associations"]) {
      plan.changes.push_back(fmt::format("disassociate instance profile {} from {}", a["profile_arn"].get<std::string>(),
                                         a["instance_id"].get<std::string>()));
    }
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    const Json& associations = observed["associations"];
    for_each_parallel(associations.size(), [&](size_t i) {
      ctx.call("ec2", "DisassociateIamInstanceProfile", {{"AssociationId", associations[i]["id"]}});
    }, kMaxConcurrentCalls);
    return {{"associations", Json::array()}};
  }

  std::vector<engine::AwsCall> undo(const Json& before, const Json& after) const override {
    std::vector<engine::AwsCall> calls;
    for (const auto& a : before["associations"]) {
      calls.push_back(aws_call("ec2", "AssociateIamInstanceProfile",
                               {{"IamInstanceProfile", {{"Arn", a["profile_arn"]}}}, {"InstanceId", a["instance_id"]}}));
    }
    return calls;
  }
};

}  // namespace

std::unique_ptr<engine::Step> make_disassociate_profile_step(const Ec2Options& options) {
  return std::make_unique<DisassociateProfileStep>(options);
}

}  // namespace firebreak::playbooks::ec2
