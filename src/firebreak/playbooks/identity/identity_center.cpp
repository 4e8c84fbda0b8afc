#include "firebreak/playbooks/identity/identity_center.h"

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/engine/step_context.h"
#include "firebreak/playbooks/identity/principals.h"

namespace firebreak::playbooks {

std::string permission_set_of_role(std::string_view role_name) {
  if (!is_identity_center_role(role_name)) return {};
  std::string_view rest = role_name.substr(std::string_view("AWSReservedSSO_").size());
  size_t suffix = rest.rfind('_');
  return std::string(suffix == std::string_view::npos ? rest : rest.substr(0, suffix));
}

namespace {

using engine::AwsCall;
using engine::Plan;
using engine::StepContext;

AwsCall assignment_call(std::string_view operation, const Json& assignment) {
  AwsCall call;
  call.service = "sso-admin";
  call.operation = std::string(operation);
  call.input = {{"InstanceArn", assignment["InstanceArn"]}, {"TargetId", assignment["AccountId"]},
                {"TargetType", "AWS_ACCOUNT"}, {"PermissionSetArn", assignment["PermissionSetArn"]},
                {"PrincipalType", "USER"}, {"PrincipalId", assignment["PrincipalId"]}};
  return call;
}

class IdentityCenterStep final : public engine::Step {
 public:
  IdentityCenterStep(std::string role_name, std::vector<std::string> users, std::vector<std::string> depends_on)
      : role_name_(std::move(role_name)), users_(std::move(users)) {
    spec_.name = "identity-center";
    spec_.line = "Revoke access for the identity in the linked directory";
    spec_.depends_on = std::move(depends_on);
    spec_.reads = {{"sts", "GetCallerIdentity"},        {"sso-admin", "ListInstances"},
                   {"sso-admin", "ListPermissionSets"}, {"sso-admin", "DescribePermissionSet"},
                   {"sso-admin", "ListAccountAssignments"}, {"identitystore", "GetUserId"},
                   {"identitystore", "DescribeUser"}};
    spec_.changes = {{"sso-admin", "DeleteAccountAssignment"}, {"sso-admin", "CreateAccountAssignment"}};
    spec_.reversible = true;
  }
  const engine::StepSpec& spec() const override { return spec_; }

  // {"assignments": [{InstanceArn, AccountId, PermissionSetArn, PrincipalId, UserName}],
  //  "groups": [group ids assigned the permission set: not removed, named for the responder]}
  Json observe(StepContext& ctx) const override {
    const std::string account = ctx.call("sts", "GetCallerIdentity").value("Account", "");
    const std::string wanted = permission_set_of_role(role_name_);
    Json assignments = Json::array(), groups = Json::array();
    for (const Json& instance : ctx.paginate_all("sso-admin", "ListInstances").value("Instances", Json::array())) {
      const std::string instance_arn = instance.value("InstanceArn", "");
      const std::string store = instance.value("IdentityStoreId", "");
      std::vector<std::string> wanted_ids;
      for (const auto& user : users_) {
        Json id = ctx.call("identitystore", "GetUserId",
                           {{"IdentityStoreId", store},
                            {"AlternateIdentifier", {{"UniqueAttribute", {{"AttributePath", "userName"}, {"AttributeValue", user}}}}}});
        wanted_ids.push_back(id.value("UserId", ""));
      }
      for (const Json& set_arn : ctx.paginate_all("sso-admin", "ListPermissionSets", {{"InstanceArn", instance_arn}})
                                     .value("PermissionSets", Json::array())) {
        Json set = ctx.call("sso-admin", "DescribePermissionSet", {{"InstanceArn", instance_arn}, {"PermissionSetArn", set_arn}});
        if (set["PermissionSet"].value("Name", "") != wanted) continue;
        for (const Json& a : ctx.paginate_all("sso-admin", "ListAccountAssignments",
                                              {{"InstanceArn", instance_arn}, {"AccountId", account}, {"PermissionSetArn", set_arn}})
                                 .value("AccountAssignments", Json::array())) {
          const std::string principal = a.value("PrincipalId", "");
          if (a.value("PrincipalType", "") == "GROUP") {
            groups.push_back(principal);
            continue;
          }
          if (!users_.empty() && std::find(wanted_ids.begin(), wanted_ids.end(), principal) == wanted_ids.end()) continue;
          Json user = ctx.call("identitystore", "DescribeUser", {{"IdentityStoreId", store}, {"UserId", principal}});
          assignments.push_back({{"InstanceArn", instance_arn}, {"AccountId", account}, {"PermissionSetArn", set_arn},
                                 {"PrincipalId", principal}, {"UserName", user.value("UserName", "")}});
        }
      }
    }
    return {{"permission_set", wanted}, {"assignments", assignments}, {"groups", groups}};
  }
  Plan plan(const Json& observed) const override {
    Plan plan;
    for (const Json& a : observed["assignments"]) {
      plan.changes.push_back(fmt::format("remove the assignment of permission set {} on account {} from {}",
                                         observed["permission_set"].get<std::string>(), a["AccountId"].get<std::string>(),
                                         a["UserName"].get<std::string>()));
    }
    return plan;
  }
  Json apply(StepContext& ctx, const Json& observed) const override {
    for (const Json& a : observed["assignments"]) {
      const AwsCall call = assignment_call("DeleteAccountAssignment", a);
      ctx.call(call.service, call.operation, call.input);
    }
    if (!observed["groups"].empty()) {
      ctx.note("groups are also assigned the permission set: remove the users from them in the directory",
               observed["groups"]);
    }
    // Identity Center cannot reach an external directory (Active Directory, an external IdP).
    ctx.note("if the identity source is an external directory, disable the user there too and end its IdP sessions",
             observed["assignments"]);
    Json after = observed;
    after["assignments"] = Json::array();
    return after;
  }
  std::vector<AwsCall> undo(const Json& before, const Json& after) const override {
    std::vector<AwsCall> calls;
    for (const Json& a : before["assignments"]) calls.push_back(assignment_call("CreateAccountAssignment", a));
    return calls;
  }

 private:
  std::string role_name_;
  std::vector<std::string> users_;
  engine::StepSpec spec_;
};

}  // namespace

std::unique_ptr<engine::Step> make_identity_center_step(std::string role_name, std::vector<std::string> users,
                                                        std::vector<std::string> depends_on) {
  return std::make_unique<IdentityCenterStep>(std::move(role_name), std::move(users), std::move(depends_on));
}

}  // namespace firebreak::playbooks
