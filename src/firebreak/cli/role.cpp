// firebreak role: the compromised IAM role playbook (issue 5).
#include <memory>

#include "firebreak/cli/commands.h"
#include "firebreak/cli/playbook_command.h"
#include "firebreak/playbooks/identity/options.h"
#include "firebreak/playbooks/role/role_playbook.h"

namespace firebreak::cli {
namespace {

struct RoleArgs {
  std::string role;
  std::vector<std::string> sessions;
  playbooks::IdentityOptions identity;
  PlaybookOptions playbook;
};

void run(const RoleArgs& args, const GlobalOptions& global, CommandResult& result) {
  playbooks::validate_role_name(args.role);
  for (const auto& user : args.sessions) playbooks::validate_user_name(user);
  Json baseline = playbooks::read_baseline_option(args.identity);
  aws::Session session(session_options(global));
  playbooks::RoleTarget target;
  target.role = args.role;
  target.sessions = args.sessions;
  target.guard = playbooks::make_identity_guard(session, args.identity);
  target.trail = playbooks::make_trail_scope(args.identity, {args.role}, std::nullopt);
  target.baseline = std::move(baseline);
  engine::Playbook playbook = playbooks::role_playbook(session, std::move(target));
  engine::Incident incident;
  incident.principal = args.role;
  incident.resources = {args.role};
  result.exit_code = run_playbook(global, session, playbook, incident, args.playbook);
}

}  // namespace

void add_role_command(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  auto args = std::make_shared<RoleArgs>();
  CLI::App* cmd = app.add_subcommand("role", "Compromised IAM role: revoke its sessions (or its Identity Center access)");
  cmd->add_option("ROLE_NAME", args->role, "The role's name")->required();
  cmd->add_option("--session", args->sessions,
                  "For an AWSReservedSSO_* role: the Identity Center user behind a session (repeatable; default: "
                  "every user assigned the permission set)");
  add_playbook_options(*cmd, args->playbook);
  playbooks::add_identity_options(*cmd, args->identity);
  cmd->callback([args, &global, &result] { run(*args, global, result); });
}

}  // namespace firebreak::cli
