// firebreak respond FINDING_FILE|-: from a GuardDuty or Security Hub finding to its playbook.
// Each finding is routed (findings/routing.h) and answered by the same playbook command a
// responder would type, given the ids the finding names: respond adds no second way to run a
// playbook. The command sees the finding through GlobalOptions::finding and the case keeps it
// as evidence.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/cli/commands.h"
#include "firebreak/findings/routing.h"

namespace firebreak::cli {
namespace {

using AddCommand = void (*)(CLI::App&, const GlobalOptions&, CommandResult&);

// The playbooks built so far, by command name. A route to any other is planned as "not built
// yet" rather than failing, so a file of mixed findings is still answered where it can be.
const std::map<findings::Playbook, AddCommand>& built_playbooks() {
  static const std::map<findings::Playbook, AddCommand> commands{
      {findings::Playbook::kEc2, add_ec2_command},
      {findings::Playbook::kS3, add_s3_command},
      {findings::Playbook::kCredentials, add_credentials_command},
      {findings::Playbook::kRole, add_role_command},
      {findings::Playbook::kAccount, add_account_command},
  };
  return commands;
}

struct RespondArgs {
  std::string file;
  std::string case_id;
  bool apply = false;
  std::string evidence;
  std::vector<std::string> playbook_args;  // after "--": passed to the playbook command
};

// The playbook command's arguments for this finding: its targets in the form the command
// takes them, then the responder's own flags.
std::vector<std::string> command_line(const findings::RoutedFinding& routed, const RespondArgs& args) {
  const findings::Incident& incident = routed.incident;
  const findings::Playbook playbook = *routed.route.playbook;
  std::vector<std::string> line{std::string(findings::playbook_name(playbook))};
  switch (playbook) {
    case findings::Playbook::kCredentials: {
      // The exposed long-term key when the finding names one; a session's key (ASIA...) cannot be
      // deactivated, so the user's keys are rotated and its sessions denied instead.
      const std::string& key = incident.actor.access_key_id;
      const bool long_term_key = key.starts_with("AKIA");
      if (long_term_key) line.push_back(key);
      if (!incident.actor.user_name.empty()) line.insert(line.end(), {"--user", incident.actor.user_name});
      if (!long_term_key) line.push_back("--all-keys");
      break;
    }
    case findings::Playbook::kAccount:
      break;
    case findings::Playbook::kS3:
      // The s3 playbook takes one bucket: the first named; the others are said (print_finding).
      line.push_back(routed.route.targets.front());
      break;
    default:
      line.insert(line.end(), routed.route.targets.begin(), routed.route.targets.end());
  }
  if (!args.case_id.empty()) line.insert(line.end(), {"--case", args.case_id});
  if (!args.evidence.empty()) line.insert(line.end(), {"--evidence", args.evidence});
  if (args.apply) line.push_back("--apply");
  line.insert(line.end(), args.playbook_args.begin(), args.playbook_args.end());
  return line;
}

void print_finding(const findings::RoutedFinding& routed) {
  const findings::Incident& incident = routed.incident;
  fmt::print("Finding {} ({}{})\n", incident.finding_id, incident.product, incident.sample ? ", a sample" : "");
  fmt::print("  type      {}\n", incident.type);
  fmt::print("  severity  {} {}\n", incident.severity, incident.severity_label);
  fmt::print("  where     account {}, region {}\n", incident.account_id, incident.region);
  fmt::print("  resource  {}\n", findings::describe_resource(incident));
  if (!incident.actor.arn.empty() || !incident.actor.remote_ip.empty()) {
    fmt::print("  actor     {}{}\n", incident.actor.arn,
               incident.actor.remote_ip.empty() ? "" : fmt::format(" from {}", incident.actor.remote_ip));
  }
  fmt::print("  playbook  {} ({})\n", routed.route.summary(), routed.route.reason);
  if (routed.route.playbook == findings::Playbook::kS3 && routed.route.targets.size() > 1) {
    fmt::print("  also      {}: answer each with firebreak s3 BUCKET\n",
               fmt::join(routed.route.targets.begin() + 1, routed.route.targets.end(), ", "));
  }
  fmt::print("\n");
}

// Why this finding cannot be acted on here, or empty when it can.
std::string refusal(const findings::RoutedFinding& routed, const std::string& caller_account, bool apply) {
  const findings::Incident& incident = routed.incident;
  if (!routed.route.routed()) return "unrouted: " + routed.route.reason;
  if (!built_playbooks().contains(*routed.route.playbook)) {
    return fmt::format("the {} playbook is not built yet; nothing was done",
                       findings::playbook_name(*routed.route.playbook));
  }
  if (routed.route.targets.empty()) return routed.route.reason;
  if (apply && incident.sample) return "a GuardDuty sample finding (CreateSampleFindings) names no real resource";
  if (!incident.account_id.empty() && incident.account_id != caller_account) {
    return fmt::format("the finding is about account {}, but the credentials in use are for account {}",
                       incident.account_id, caller_account);
  }
  return "";
}

int answer(const findings::RoutedFinding& routed, const RespondArgs& args, const GlobalOptions& global,
           const std::string& caller_account) {
  const bool json = global.output == "json";
  if (!json) print_finding(routed);
  if (const std::string why = refusal(routed, caller_account, args.apply); !why.empty()) {
    if (json) {
      print_json({{"finding", findings::to_json(routed.incident, false)},
                  {"route", {{"playbook", routed.route.routed() ? Json(findings::playbook_name(*routed.route.playbook))
                                                                : Json(nullptr)},
                             {"reason", routed.route.reason}}},
                  {"refused", why}});
    } else {
      fmt::print("Nothing to run: {}\n", why);
    }
    // Showing a plan that cannot run is not a failure; being asked to act and not acting is.
    return args.apply ? kExitFailed : kExitOk;
  }

  GlobalOptions options = global;
  options.finding = &routed.incident;
  if (!routed.incident.region.empty()) options.region = routed.incident.region;
  CLI::App app{"", "firebreak"};
  CommandResult result;
  built_playbooks().at(*routed.route.playbook)(app, options, result);
  std::vector<std::string> line = command_line(routed, args);
  if (!json) {
    fmt::print("Running: firebreak --region {} {}\n\n", options.region, fmt::join(line, " "));
    std::fflush(stdout);  // before the playbook's live view on standard error
  }
  std::reverse(line.begin(), line.end());  // CLI11 takes a vector of arguments last first
  try {
    app.parse(line);
  } catch (const CLI::ParseError& e) {
    throw InputError(fmt::format("respond: the {} playbook's arguments: {}", line.back(), e.what()));
  }
  return result.exit_code;
}

void run(const RespondArgs& args, const GlobalOptions& global, CommandResult& result) {
  findings::RoutedFindings routed = findings::route_file(args.file);
  for (const auto& problem : routed.problems) fmt::print(stderr, "firebreak: skipped {}\n", problem.text());
  if (routed.findings.empty()) throw InputError(fmt::format("{}: no finding to respond to", args.file));
  if (routed.findings.size() > 1 && !args.case_id.empty()) {
    throw InputError(fmt::format("--case names one case, but {} holds {} findings", args.file, routed.findings.size()));
  }
  aws::Session session(session_options(global));
  const std::string caller_account = session.client("sts").call("GetCallerIdentity").value("Account", "");

  int exit_code = routed.problems.empty() ? kExitOk : kExitFailed;
  if (routed.findings.size() == 1) {
    result.exit_code = std::max(exit_code, answer(routed.findings.front(), args, global, caller_account));
    return;
  }
  // One finding's failure must not keep the others from being answered.
  for (const auto& finding : routed.findings) {
    try {
      exit_code = std::max(exit_code, answer(finding, args, global, caller_account));
    } catch (const std::exception& e) {
      fmt::print(stderr, "firebreak: finding {}: {}\n", finding.incident.finding_id, e.what());
      exit_code = kExitFailed;
    }
    std::fflush(stdout);
  }
  result.exit_code = exit_code;
}

}  // namespace

void add_respond_command(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  auto args = std::make_shared<RespondArgs>();
  CLI::App* cmd = app.add_subcommand(
      "respond", "Answer GuardDuty / Security Hub findings with their playbook (plan; --apply to act)");
  cmd->add_option("FINDING_FILE", args->file, "A finding file in any form GuardDuty or Security Hub writes, or - for standard input")
      ->required();
  cmd->add_option("--case", args->case_id, "Case id: resumes the case, or creates it with this id (one finding only)");
  cmd->add_flag("--apply", args->apply, "Make the changes (without it firebreak only shows the plan)");
  cmd->add_option("--evidence", args->evidence, "Also upload evidence to s3://bucket/prefix");
  cmd->add_option("playbook_args", args->playbook_args,
                  "After --: flags for the playbook command (e.g. -- --revoke-role-sessions)");
  cmd->footer("Example: firebreak respond finding.json --apply -- --trail-logs s3://trail-bucket/AWSLogs/");
  cmd->callback([args, &global, &result] { run(*args, global, result); });
}

}  // namespace firebreak::cli
