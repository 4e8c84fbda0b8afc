// firebreak account: the compromised account playbook (issue 5).
#include <memory>

#include "firebreak/cli/commands.h"
#include "firebreak/cli/playbook_command.h"
#include "firebreak/playbooks/account/account_playbook.h"
#include "firebreak/playbooks/identity/access_keys.h"
#include "firebreak/playbooks/identity/options.h"

namespace firebreak::cli {
namespace {

struct AccountArgs {
  playbooks::IdentityOptions identity;
  PlaybookOptions playbook;
};

void run(const AccountArgs& args, const GlobalOptions& global, CommandResult& result) {
  Json baseline = playbooks::read_baseline_option(args.identity);
  aws::Session session(session_options(global));
  playbooks::AccountTarget target;
  target.guard = playbooks::make_identity_guard(session, args.identity);
  target.trail = playbooks::make_trail_scope(args.identity, {}, std::nullopt);
  target.baseline = std::move(baseline);
  engine::Playbook playbook = playbooks::account_playbook(session, std::move(target));
  engine::Incident incident;
  incident.resources = {"account"};
  result.exit_code = run_playbook(global, session, playbook, incident, args.playbook);
}

}  // namespace

void add_account_command(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  auto args = std::make_shared<AccountArgs>();
  CLI::App* cmd = app.add_subcommand("account", "Compromised account: every key, unauthorized users, key pairs, settings");
  add_playbook_options(*cmd, args->playbook);
  add_decision_flag(*cmd, args->playbook, playbooks::kReplaceDecision,
                    "Create replacement keys, stored in Secrets Manager (their ARNs are shown, never the secrets)");
  add_decision_flag(*cmd, args->playbook, "delete", "Delete the deactivated keys");
  playbooks::add_identity_options(*cmd, args->identity);
  cmd->callback([args, &global, &result] { run(*args, global, result); });
}

}  // namespace firebreak::cli
