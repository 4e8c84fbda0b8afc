// firebreak ec2 INSTANCE_ID...: the compromised EC2 instance playbook (issue 4).
#include <fmt/format.h>

#include "firebreak/aws/errors.h"
#include "firebreak/base/error.h"
#include "firebreak/cli/commands.h"
#include "firebreak/cli/playbook_command.h"
#include "firebreak/playbooks/ec2/ec2_playbook.h"

namespace firebreak::cli {
namespace {

// Says, before a case is opened, why an instance cannot be contained here: it is not in this
// region (or does not exist), or it is terminated.
void check_instances(aws::Session& session, const std::vector<std::string>& ids) {
  Json out;
  try {
    out = session.client("ec2").call("DescribeInstances", {{"InstanceIds", ids}});
  } catch (const aws::AwsError& e) {
    if (e.code() != "InvalidInstanceID.NotFound") throw;
    throw InputError(fmt::format("{} (region {}; is the instance in another region? use --region)", e.message(),
                                 session.region()));
  }
  for (const auto& reservation : out["Reservations"]) {
    for (const auto& instance : reservation["Instances"]) {
      if (instance["State"].value("Name", "") == "terminated") {
        throw InputError(fmt::format("instance {} is terminated: there is nothing left to contain",
                                     instance.value("InstanceId", "")));
      }
    }
  }
}

}  // namespace

void add_ec2_command(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  auto* command = app.add_subcommand("ec2", "Contain compromised EC2 instances (plan; --apply to act)");
  struct State {
    playbooks::Ec2Options ec2;
    PlaybookOptions playbook;
    std::string region;
  };
  auto state = std::make_shared<State>();
  command->add_option("instance_ids", state->ec2.instance_ids, "Instance ids (i-...)")->required();
  command->add_option("--region", state->region, "AWS region of the instances");
  add_playbook_options(*command, state->playbook);
  command->add_option("--forensic-cidr", state->ec2.forensic_cidr,
                      "Let this IPv4 CIDR in to the isolated instances (forensic access)");
  command->add_flag("--decrement-capacity", state->ec2.decrement_capacity,
                    "Lower the Auto Scaling group's desired capacity (default: keep it, so it launches a replacement)");
  add_decision_flag(*command, state->playbook, std::string(playbooks::kRevokeRoleSessions),
                    "Deny the instance role's sessions issued before now (used from these instances)");
  command->add_flag("--whole-role", state->ec2.whole_role,
                    "With --revoke-role-sessions: deny every session of the role, from anywhere");
  command->add_flag("--disassociate-profile", state->ec2.disassociate_profile,
                    "Disassociate the instance profile (after the revocation, with --revoke-role-sessions)");
  command->add_option("--conntrack-timeout", state->ec2.conntrack_timeout,
                      "Shorten each ENI's TCP established timeout to SECONDS (60-432000) and wait it out "
                      "between the two group swaps");
  command->add_flag("--nacl", state->ec2.nacl,
                    "Hard cut: a deny-all network ACL on the instances' subnets (cuts EVERY instance in them)");
  command->add_option("--forensic-subnet", state->ec2.forensic_subnet,
                      "Launch a forensic workstation in this (isolated) subnet, with --forensic-ami");
  command->add_option("--forensic-ami", state->ec2.forensic_ami, "Image of the forensic workstation");
  command->add_option("--forensic-instance", state->ec2.forensic_instance,
                      "Attach the snapshot copies to this existing forensic workstation instead");
  command->add_option("--forensic-instance-type", state->ec2.forensic_instance_type,
                      "Instance type of a launched forensic workstation")
      ->capture_default_str();
  command->callback([&global, &result, state] {
    // Every id is checked before anything reaches AWS.
    const engine::Playbook playbook = playbooks::make_ec2_playbook(state->ec2);
    if (state->ec2.whole_role && !state->playbook.decisions.contains(std::string(playbooks::kRevokeRoleSessions))) {
      throw InputError("--whole-role only applies with --revoke-role-sessions");
    }
    if (state->ec2.nacl) {
      fmt::print(stderr,
                 "warning: --nacl replaces the network ACL of the instances' subnets: every instance in those "
                 "subnets loses its traffic, not only {}\n",
                 fmt::join(state->ec2.instance_ids, ", "));
    }
    GlobalOptions options = global;
    if (!state->region.empty()) options.region = state->region;
    aws::Session session(session_options(options));
    check_instances(session, state->ec2.instance_ids);
    engine::Incident incident;
    incident.resources = state->ec2.instance_ids;
    incident.region = session.region();
    result.exit_code = run_playbook(options, session, playbook, incident, state->playbook);
  });
}

}  // namespace firebreak::cli
