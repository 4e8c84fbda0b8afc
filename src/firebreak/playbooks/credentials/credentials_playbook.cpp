#include "firebreak/playbooks/credentials/credentials_playbook.h"

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/playbooks/common/revoke_sessions.h"
#include "firebreak/playbooks/identity/access_keys.h"
#include "firebreak/playbooks/identity/account_info.h"

namespace firebreak::playbooks {

engine::Playbook credentials_playbook(const aws::Session& session, CredentialsTarget target) {
  if (auto reason = target.guard.protects_user(target.user); !reason.empty()) {
    throw InputError(fmt::format("{}: firebreak never disables it (run as another principal to respond)", reason));
  }
  KeyScope keys{.users = {target.user}, .key_id = target.all_keys ? std::string() : target.key_id, .guard = target.guard};
  auto findings = std::make_shared<TrailFindings>();
  RevokeSessionsOptions revoke;
  revoke.depends_on = {"identify-user"};
  revoke.targets = {{.kind = RevokeSessionsTarget::Kind::User, .name = target.user}};

  // The playbook, line by line.
  std::vector<std::unique_ptr<engine::Step>> steps;
  steps.push_back(make_capture_users_step({target.user}));                                        // 1
  steps.push_back(make_deactivate_keys_step("Rotate the exposed AWS credentials", keys, {"identify-user"}));  // 2
  steps.push_back(make_replace_keys_step("Rotate the exposed AWS credentials: replacement key", keys,
                                         {"deactivate-keys"}));
  steps.push_back(make_delete_keys_step("Rotate the exposed AWS credentials: delete the old key", "delete-old", keys,
                                        {"deactivate-keys"}));
  steps.push_back(make_revoke_sessions_step(std::move(revoke)));                                  // 3
  steps.push_back(make_check_cloudtrail_step(session, target.trail, findings));                  // 4
  steps.push_back(make_review_resources_step(findings));                                          // 5
  steps.push_back(make_verify_account_step(target.baseline));                                     // 6
  return engine::Playbook("credentials", std::move(steps));
}

}  // namespace firebreak::playbooks
