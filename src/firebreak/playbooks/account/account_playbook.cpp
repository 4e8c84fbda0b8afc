#include "firebreak/playbooks/account/account_playbook.h"

#include "firebreak/playbooks/identity/access_keys.h"
#include "firebreak/playbooks/identity/account_cleanup.h"
#include "firebreak/playbooks/identity/account_info.h"

namespace firebreak::playbooks {

engine::Playbook account_playbook(const aws::Session& session, AccountTarget target) {
  KeyScope keys{.guard = target.guard};
  if (!target.baseline.is_null()) keys.within = baseline_names(target.baseline, "users");
  target.trail.known_principals = baseline_names(target.baseline, "users");
  for (auto& role : baseline_names(target.baseline, "roles")) target.trail.known_principals.push_back(std::move(role));
  auto findings = std::make_shared<TrailFindings>();

  // The playbook, line by line.
  std::vector<std::unique_ptr<engine::Step>> steps;
  steps.push_back(make_deactivate_keys_step("Rotate and delete AWS access keys", keys, {}));              // 1
  steps.push_back(make_replace_keys_step("Rotate and delete AWS access keys: replacement keys", keys, {"deactivate-keys"}));
  steps.push_back(make_delete_keys_step("Rotate and delete AWS access keys: delete", "delete", keys, {"deactivate-keys"}));
  if (!target.baseline.is_null()) {
    steps.push_back(make_remove_unauthorized_credentials_step(target.baseline, target.guard, {}));  // 2
  }
  steps.push_back(make_delete_key_pairs_step());                                                            // 3
  steps.push_back(make_check_cloudtrail_step(session, target.trail, findings));                            // 4
  steps.push_back(make_review_resources_step(findings));
  steps.push_back(make_verify_account_step(target.baseline));                                               // 5
  return engine::Playbook("account", std::move(steps));
}

}  // namespace firebreak::playbooks
