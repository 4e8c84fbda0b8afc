// firebreak credentials: the compromised AWS credentials playbook (issue 5).
#include <memory>

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/cli/commands.h"
#include "firebreak/cli/playbook_command.h"
#include "firebreak/playbooks/credentials/credentials_playbook.h"
#include "firebreak/playbooks/identity/access_keys.h"
#include "firebreak/playbooks/identity/options.h"

namespace firebreak::cli {
namespace {

struct CredentialsArgs {
  std::string key_id;
  std::string user;
  bool all_keys = false;
  playbooks::IdentityOptions identity;
  PlaybookOptions playbook;
};

void run(const CredentialsArgs& args, const GlobalOptions& global, CommandResult& result) {
  if (args.key_id.empty() && args.user.empty()) throw InputError("credentials: give the exposed ACCESS_KEY_ID or --user NAME");
  if (args.key_id.empty() && !args.all_keys)
    throw InputError("credentials --user: give the exposed ACCESS_KEY_ID too, or --all-keys to rotate every key of the user");
  if (!args.key_id.empty()) playbooks::validate_access_key_id(args.key_id);
  if (!args.user.empty()) playbooks::validate_user_name(args.user);
  Json baseline = playbooks::read_baseline_option(args.identity);

  aws::Session session(session_options(global));
  std::string user = args.user;
  if (!args.key_id.empty()) {
    std::string owner = playbooks::find_key_owner(session, args.key_id);
    if (!user.empty() && owner != user)
      throw InputError(fmt::format("access key {} belongs to {}, not {}", args.key_id, owner, user));
    user = owner;
  } else {
    playbooks::require_user(session, user);
  }
  playbooks::CredentialsTarget target;
  target.user = user;
  target.key_id = args.key_id;
  target.all_keys = args.all_keys;
  target.guard = playbooks::make_identity_guard(session, args.identity);
  target.trail = playbooks::make_trail_scope(args.identity, {user}, playbooks::key_created(session, user, target.all_keys ? "" : args.key_id));
  target.baseline = std::move(baseline);
  engine::Playbook playbook = playbooks::credentials_playbook(session, std::move(target));

  engine::Incident incident;
  incident.principal = user;
  if (!args.key_id.empty()) incident.resources.push_back(args.key_id);
  incident.resources.push_back(user);
  result.exit_code = run_playbook(global, session, playbook, incident, args.playbook);
}

}  // namespace

void add_credentials_command(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  auto args = std::make_shared<CredentialsArgs>();
  CLI::App* cmd = app.add_subcommand("credentials", "Compromised AWS credentials: an access key or an IAM user");
  cmd->add_option("ACCESS_KEY_ID", args->key_id, "The exposed access key (AKIA... or ASIA...)");
  cmd->add_option("--user", args->user, "The IAM user (found from the key when not given)");
  cmd->add_flag("--all-keys", args->all_keys, "Rotate every key of the user, not only the exposed one");
  add_playbook_options(*cmd, args->playbook);
  add_decision_flag(*cmd, args->playbook, playbooks::kReplaceDecision,
                    "Create a replacement key, stored in Secrets Manager (its ARN is shown, never the secret)");
  add_decision_flag(*cmd, args->playbook, "delete-old", "Delete the exposed key once it is inactive");
  playbooks::add_identity_options(*cmd, args->identity);
  cmd->callback([args, &global, &result] { run(*args, global, result); });
}

}  // namespace firebreak::cli
