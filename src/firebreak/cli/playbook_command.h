#pragma once
// What every playbook command (ec2, s3, credentials, role, account, ...) shares: the options
// that name the case and allow changes, and running the playbook through the engine with the
// live view and the final summary.
#include <set>
#include <string>

#include <CLI/CLI.hpp>

#include "firebreak/aws/client.h"
#include "firebreak/cli/commands.h"
#include "firebreak/engine/case.h"
#include "firebreak/engine/playbook.h"

namespace firebreak::cli {

struct PlaybookOptions {
  std::string case_id;              // --case: resume or create this case; empty: a new id
  bool apply = false;               // --apply: without it nothing changes (the plan is shown)
  std::string evidence;             // --evidence s3://bucket/prefix
  std::set<std::string> decisions;  // human decisions given as flags ("delete-old")
};

// Adds --case, --apply and --evidence to a playbook's subcommand.
void add_playbook_options(CLI::App& command, PlaybookOptions& options);

// Adds a flag for a human decision: given, its name goes into options.decisions and the steps
// that need it run. The flag is "--" + decision.
void add_decision_flag(CLI::App& command, PlaybookOptions& options, const std::string& decision,
                       const std::string& description);

// Runs (or plans) the playbook for the incident and prints the run: a live view on standard
// error while it runs, then the summary table (or JSON with --output json) on standard output.
// Returns the exit code: 0 when every requested step is done, 1 when some failed.
int run_playbook(const GlobalOptions& global, aws::Session& session, const engine::Playbook& playbook,
                 const engine::Incident& incident, const PlaybookOptions& options);

}  // namespace firebreak::cli
