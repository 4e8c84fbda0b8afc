#pragma once
// The access key steps the credentials and account playbooks share: record the users, then
// deactivate (never delete first), replace into Secrets Manager, and delete on request.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "firebreak/engine/step.h"
#include "firebreak/playbooks/identity/principals.h"

namespace firebreak::playbooks {

// Which keys a step touches.
struct KeyScope {
  std::vector<std::string> users;  // empty: every user of the account
  std::string key_id;              // only this key (of the one user); empty: every key of the users
  Guard guard;                     // the responder's and the allow-list's keys are never touched
  // With a value: only users named here. The account playbook passes its baseline's users, since
  // the users outside it lose every credential to their own step, at the same time as this one.
  std::optional<std::vector<std::string>> within;
};

// "Identify the IAM user": each user's identity and credentials saved as evidence.
std::unique_ptr<engine::Step> make_capture_users_step(std::vector<std::string> users);

// Deactivates the scope's active keys (replacement keys this case made are left alone).
// Reversible: undo makes them active again.
std::unique_ptr<engine::Step> make_deactivate_keys_step(std::string line, KeyScope scope,
                                                        std::vector<std::string> depends_on);

// With the decision `decision`: deletes the scope's keys, only once they are inactive.
std::unique_ptr<engine::Step> make_delete_keys_step(std::string line, std::string decision, KeyScope scope,
                                                    std::vector<std::string> depends_on);

// With the decision "replace": a new key for each user whose key was deactivated, stored in
// Secrets Manager as firebreak/CASE/USER. The secret's ARN is shown; the secret never leaves
// Secrets Manager (the ledger holds the redacted calls only).
std::unique_ptr<engine::Step> make_replace_keys_step(std::string line, KeyScope scope,
                                                     std::vector<std::string> depends_on);

inline constexpr const char* kReplaceDecision = "replace";
// Tags on each replacement secret: the case, and the key it holds (so reruns leave it alone).
inline constexpr const char* kCaseTag = "firebreak:case";
inline constexpr const char* kKeyTag = "firebreak:access-key-id";

}  // namespace firebreak::playbooks
