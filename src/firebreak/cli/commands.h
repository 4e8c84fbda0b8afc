#pragma once
// The command line: main() builds one CLI11 app from the options every command shares and
// one add_*_command function per command (one file each). A command's callback does the
// work by calling into the modules; it throws on failure and main() maps the error to the
// exit code (see exit_codes below).
#include <string>

#include <CLI/CLI.hpp>

#include "firebreak/aws/client.h"
#include "firebreak/base/json.h"
#include "firebreak/findings/incident.h"

namespace firebreak::cli {

// Exit codes, documented in README.md.
enum ExitCode : int {
  kExitOk = 0,          // everything requested was done
  kExitFailed = 1,      // some of it failed (an AWS error, a failed step)
  kExitBadInput = 2,    // bad input or configuration given on the command line
  kExitCannotRun = 3,   // nothing could run (no credentials, no region, unreachable endpoint)
};

struct GlobalOptions {
  std::string profile;
  std::string region;
  std::string endpoint_url;
  std::string output = "table";  // table | json
  bool verbose = false;
  // Set by `respond` for the playbook command it runs: the finding the run answers. The
  // playbook may read what the finding says; the case keeps it as evidence.
  const findings::Incident* finding = nullptr;
};

// The AWS session every command uses, from the global options.
aws::SessionOptions session_options(const GlobalOptions& global);

// Prints JSON for people and scripts: indented, blobs as base64 text (as the AWS CLI does).
void print_json(const Json& value);
// Reads a --input style argument: inline JSON, @path for a file, or "-" for standard input.
// Throws InputError naming the problem when it is not a JSON object.
Json read_json_argument(const std::string& argument, const std::string& what);

// A command's callback sets this when it finished but not everything succeeded.
struct CommandResult {
  int exit_code = kExitOk;
};

void add_whoami_command(CLI::App& app, const GlobalOptions& global, CommandResult& result);
void add_aws_command(CLI::App& app, const GlobalOptions& global, CommandResult& result);
void add_hunt_command(CLI::App& app, const GlobalOptions& global, CommandResult& result);
void add_case_command(CLI::App& app, const GlobalOptions& global, CommandResult& result);
void add_findings_command(CLI::App& app, const GlobalOptions& global, CommandResult& result);
void add_respond_command(CLI::App& app, const GlobalOptions& global, CommandResult& result);
// Playbooks, one file each under cli/.
void add_ec2_command(CLI::App& app, const GlobalOptions& global, CommandResult& result);
void add_s3_command(CLI::App& app, const GlobalOptions& global, CommandResult& result);
void add_credentials_command(CLI::App& app, const GlobalOptions& global, CommandResult& result);
void add_role_command(CLI::App& app, const GlobalOptions& global, CommandResult& result);
void add_account_command(CLI::App& app, const GlobalOptions& global, CommandResult& result);
void add_baseline_command(CLI::App& app, const GlobalOptions& global, CommandResult& result);

}  // namespace firebreak::cli
