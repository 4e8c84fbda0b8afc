#pragma once
// `firebreak role`: the compromised IAM role playbook.
#include <string>
#include <vector>

#include "firebreak/aws/client.h"
#include "firebreak/base/json.h"
#include "firebreak/engine/playbook.h"
#include "firebreak/playbooks/identity/principals.h"
#include "firebreak/playbooks/identity/trail_review.h"

namespace firebreak::playbooks {

struct RoleTarget {
  std::string role;
  std::vector<std::string> sessions;  // Identity Center user names behind the sessions, if known
  Guard guard;
  TrailScope trail;
  Json baseline;
};

// Reads the role first: InputError for a role that does not exist, a service-linked role, or
// one the guard protects.
engine::Playbook role_playbook(const aws::Session& session, RoleTarget target);

}  // namespace firebreak::playbooks
