#pragma once
// `firebreak account`: the compromised account playbook.
#include "firebreak/aws/client.h"
#include "firebreak/base/json.h"
#include "firebreak/engine/playbook.h"
#include "firebreak/playbooks/identity/principals.h"
#include "firebreak/playbooks/identity/trail_review.h"

namespace firebreak::playbooks {

struct AccountTarget {
  Guard guard;
  TrailScope trail;  // its known principals are filled from the baseline
  Json baseline;     // null without --baseline: unauthorized users cannot be told apart then
};

engine::Playbook account_playbook(const aws::Session& session, AccountTarget target);

}  // namespace firebreak::playbooks
