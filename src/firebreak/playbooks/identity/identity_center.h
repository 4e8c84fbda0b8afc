#pragma once
// "Revoke access for the identity in the linked directory": for a role IAM Identity Center made
// (AWSReservedSSO_<PermissionSet>_<suffix>), the users behind its sessions lose their
// assignment of that permission set on this account. Reversible: undo assigns them again.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/engine/step.h"

namespace firebreak::playbooks {

// "AWSReservedSSO_ReadOnly_0123456789abcdef" -> "ReadOnly"; empty when not such a name.
std::string permission_set_of_role(std::string_view role_name);

// `users`: Identity Center user names behind the sessions (role session names); empty: every
// user assigned the permission set on the account. `account`: the account id.
std::unique_ptr<engine::Step> make_identity_center_step(std::string role_name, std::vector<std::string> users,
                                                        std::vector<std::string> depends_on);

}  // namespace firebreak::playbooks
