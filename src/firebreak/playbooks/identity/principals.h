#pragma once
// Who the identity playbooks act on, checked before any call: access key ids, user and role
// names by IAM's own rules, and the principals that must never be disabled (the responder and
// the break-glass allow-list).
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/aws/client.h"

namespace firebreak::playbooks {

// Throw InputError naming the rule broken.
void validate_access_key_id(std::string_view id);  // AKIA/ASIA + 16 of [A-Z0-9]
void validate_user_name(std::string_view name);    // 1-64 of [\w+=,.@-]
void validate_role_name(std::string_view name);
bool is_access_key_id(std::string_view text);

// Roles AWS services own: their sessions cannot be revoked by the account.
bool is_service_linked_role_path(std::string_view path);
// Roles IAM Identity Center made for a permission set: handled through Identity Center.
bool is_identity_center_role(std::string_view name);

// The principals no playbook disables.
class Guard {
 public:
  Guard() = default;
  // `caller_arn`: STS GetCallerIdentity's Arn; `caller_key`: the access key in use; `keep`:
  // user names, role names and access key ids from --keep and the configuration.
  Guard(std::string caller_arn, std::string caller_key, std::vector<std::string> keep);

  // Why the principal may not be touched, or empty when it may.
  std::string protects_user(std::string_view name) const;
  std::string protects_role(std::string_view name) const;
  std::string protects_key(std::string_view user, std::string_view key_id) const;

  const std::string& responder_arn() const { return caller_arn_; }

 private:
  std::string caller_arn_;
  std::string caller_user_;  // the responder's IAM user, when it is one
  std::string caller_role_;  // the role behind the responder's assumed-role session
  std::string caller_key_;
  std::set<std::string, std::less<>> keep_;
};

// Asks STS who the responder is. `keep` as above.
Guard make_guard(const aws::Session& session, std::vector<std::string> keep);

// The IAM user that owns the access key; InputError when it belongs to no user of the account.
std::string find_key_owner(const aws::Session& session, std::string_view key_id);
// When the user's key (or, with an empty id, its oldest key) was made, in seconds since the
// epoch: where the hunt for what it did starts.
std::optional<int64_t> key_created(const aws::Session& session, std::string_view user, std::string_view key_id);
// InputError when the user does not exist.
void require_user(const aws::Session& session, std::string_view name);

}  // namespace firebreak::playbooks
