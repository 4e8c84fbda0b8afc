#pragma once
// The compromised EC2 instance playbook (issue 4): preserve, protect, isolate, take it out of
// service, snapshot, tag and revoke its role's stolen credentials, for one or many instances
// in one run. Each line of the playbook is one step handling every instance, so that 20
// instances cost about the round trips of one (calls for different instances go out together).
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/engine/playbook.h"

namespace firebreak::playbooks {

struct Ec2Options {
  std::vector<std::string> instance_ids;  // validated: i-[0-9a-f]{8} or i-[0-9a-f]{17}
  std::string forensic_cidr;              // allowed in (all ports) on the isolated ENIs; empty: none
  bool decrement_capacity = false;        // detaching from the ASG lowers its desired capacity
  bool whole_role = false;                // revoke every session of the role, not only this instance's
};

// The decision flag that runs the credential revocation step.
inline constexpr std::string_view kRevokeRoleSessions = "revoke-role-sessions";

// Throws InputError when an id or the CIDR is malformed.
engine::Playbook make_ec2_playbook(const Ec2Options& options);

// Strict id checks (nothing from input reaches AWS unvalidated). Each throws InputError naming
// the value and the expected form.
void validate_instance_id(std::string_view id);
void validate_resource_id(std::string_view prefix, std::string_view id);  // "sg", "subnet", "ami", "vpc"
void validate_ipv4_cidr(std::string_view cidr);

}  // namespace firebreak::playbooks
