// Step 9: revoke the instance role's stolen credentials, with the shared revoke-sessions step:
// the role is whatever the instance profile holds when the step observes.
#include "firebreak/playbooks/common/revoke_sessions.h"
#include "firebreak/playbooks/ec2/steps.h"

namespace firebreak::playbooks::ec2 {

std::unique_ptr<engine::Step> make_revoke_role_step(const Ec2Options& options) {
  RevokeSessionsOptions revoke;
  revoke.name = "revoke-role-sessions";
  revoke.line = "Revoke the instance role's stolen credentials";
  revoke.depends_on = {"capture-metadata"};
  revoke.decision = std::string(kRevokeRoleSessions);
  revoke.resolve_reads = {{"ec2", "DescribeInstances"}, {"iam", "GetInstanceProfile"}};
  revoke.resolve = [ids = options.instance_ids, whole_role = options.whole_role](engine::StepContext& ctx) {
    const std::vector<Json> instances = describe_instances(ctx, ids);
    std::vector<RevokeSessionsTarget> targets;
    for (size_t i = 0; i < ids.size(); ++i) {
      const std::string name = instance_profile_name(instances[i]);
      if (name.empty()) continue;
      Json profile = ctx.call("iam", "GetInstanceProfile", {{"InstanceProfileName", name}});
      for (const auto& role : profile["InstanceProfile"]["Roles"]) {
        targets.push_back({RevokeSessionsTarget::Kind::Role, role["RoleName"],
                           whole_role ? std::string() : instance_arn(ctx, ids[i])});
      }
    }
    return targets;
  };
  return make_revoke_sessions_step(std::move(revoke));
}

}  // namespace firebreak::playbooks::ec2
