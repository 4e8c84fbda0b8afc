#include "firebreak/playbooks/role/role_playbook.h"

#include <fmt/format.h>

#include "firebreak/aws/errors.h"
#include "firebreak/base/error.h"
#include "firebreak/playbooks/common/revoke_sessions.h"
#include "firebreak/playbooks/identity/account_info.h"
#include "firebreak/playbooks/identity/identity_center.h"

namespace firebreak::playbooks {
namespace {

Json read_role(const aws::Session& session, const std::string& name) {
  try {
    return session.client("iam").call("GetRole", {{"RoleName", name}}).value("Role", Json::object());
  } catch (const aws::AwsError& e) {
    if (e.code() == "NoSuchEntity") throw InputError(fmt::format("there is no IAM role {}", name));
    throw;
  }
}

}  // namespace

engine::Playbook role_playbook(const aws::Session& session, RoleTarget target) {
  validate_role_name(target.role);
  if (auto reason = target.guard.protects_role(target.role); !reason.empty()) {
    throw InputError(fmt::format("{}: firebreak never disables it (run as another principal to respond)", reason));
  }
  Json role = read_role(session, target.role);
  if (is_service_linked_role_path(role.value("Path", ""))) {
    throw InputError(fmt::format("{} is a service-linked role: an AWS service owns its sessions and its policies "
                                 "cannot be changed; respond on the service that uses it", target.role));
  }
  auto findings = std::make_shared<TrailFindings>();

  // The playbook, line by line.
  std::vector<std::unique_ptr<engine::Step>> steps;
  if (is_identity_center_role(target.role)) {
    steps.push_back(make_identity_center_step(target.role, target.sessions, {}));                       // 2
  } else {
    RevokeSessionsOptions revoke;
    revoke.targets = {{.kind = RevokeSessionsTarget::Kind::Role, .name = target.role}};
    steps.push_back(make_revoke_sessions_step(std::move(revoke)));                                       // 1
  }
  steps.push_back(make_check_cloudtrail_step(session, target.trail, findings));                         // 3
  steps.push_back(make_review_resources_step(findings));
  steps.push_back(make_verify_account_step(target.baseline));
  return engine::Playbook("role", std::move(steps));
}

}  // namespace firebreak::playbooks
