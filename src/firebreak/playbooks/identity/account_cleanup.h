#pragma once
// The account playbook's own steps: credentials of users outside the baseline, and EC2 key pairs
// in every enabled region.
#include <memory>
#include <string>
#include <vector>

#include "firebreak/base/json.h"
#include "firebreak/engine/step.h"
#include "firebreak/playbooks/identity/principals.h"

namespace firebreak::playbooks {

// Users not in the baseline lose login profile, access keys, SSH keys, signing certificates,
// service-specific credentials and MFA devices, each user recorded as evidence first.
std::unique_ptr<engine::Step> make_remove_unauthorized_credentials_step(Json baseline, Guard guard,
                                                                        std::vector<std::string> depends_on);

// Every key pair of every enabled region, recorded (name, id, fingerprint, public key), then deleted.
std::unique_ptr<engine::Step> make_delete_key_pairs_step();

}  // namespace firebreak::playbooks
