#pragma once
// `firebreak credentials`: the compromised AWS credentials playbook.
#include <string>

#include "firebreak/aws/client.h"
#include "firebreak/base/json.h"
#include "firebreak/engine/playbook.h"
#include "firebreak/playbooks/identity/principals.h"
#include "firebreak/playbooks/identity/trail_review.h"

namespace firebreak::playbooks {

struct CredentialsTarget {
  std::string user;    // the key's owner, already found
  std::string key_id;  // the exposed key; empty with all_keys
  bool all_keys = false;
  Guard guard;
  TrailScope trail;
  Json baseline;       // null without --baseline
};

// Throws InputError when the user is one the guard protects.
engine::Playbook credentials_playbook(const aws::Session& session, CredentialsTarget target);

}  // namespace firebreak::playbooks
