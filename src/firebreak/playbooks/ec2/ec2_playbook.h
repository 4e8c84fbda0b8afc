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
  // Between the two group swaps, each ENI's TCP established timeout is shortened to this and
  // waited out, so tracked connections end too. 0: no change, no wait.
  int conntrack_timeout = 0;
  // A hard cut: the instances' subnets get a deny-all network ACL (every instance in them!).
  bool nacl = false;
  // Offline investigation: a forensic workstation launched from forensic_ami in
  // forensic_subnet, or the existing forensic_instance, gets a copy of every snapshot attached.
  std::string forensic_subnet;
  std::string forensic_ami;
  std::string forensic_instance;
  std::string forensic_instance_type = "t3.large";
  // Disassociate the instance profile (undo re-associates it).
  bool disassociate_profile = false;

  bool offline_investigation() const { return !forensic_instance.empty() || !forensic_subnet.empty(); }
};

// What AWS accepts for an ENI's TCP established timeout, in seconds.
inline constexpr int kMinConntrackTimeout = 60;
inline constexpr int kMaxConntrackTimeout = 432000;

// The decision flag that runs the credential revocation step.
inline constexpr std::string_view kRevokeRoleSessions = "revoke-role-sessions";

// Throws InputError when an id, the CIDR or the timeout is malformed, or the forensic options
// do not name either a subnet and an AMI or an instance.
engine::Playbook make_ec2_playbook(const Ec2Options& options);

// Strict id checks (nothing from input reaches AWS unvalidated). Each throws InputError naming
// the value and the expected form.
void validate_instance_id(std::string_view id);
void validate_resource_id(std::string_view prefix, std::string_view id);  // "sg", "subnet", "ami", "vpc"
void validate_ipv4_cidr(std::string_view cidr);

}  // namespace firebreak::playbooks
