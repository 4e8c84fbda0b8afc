// firebreak: AWS incident response playbooks. See README.md.
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "firebreak/aws/errors.h"
#include "firebreak/aws/http/http.h"
#include "firebreak/base/error.h"
#include "firebreak/cli/commands.h"

namespace firebreak::cli {
namespace {

int run(int argc, char** argv) {
  CLI::App app{"firebreak: AWS incident response playbooks", "firebreak"};
  app.set_version_flag("--version", "firebreak 0.1.0");
  app.require_subcommand(1);
  GlobalOptions global;
  app.add_option("--profile", global.profile, "AWS profile (default: AWS_PROFILE, then default)");
  app.add_option("--region", global.region, "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, profile)");
  app.add_option("--endpoint-url", global.endpoint_url, "Send every AWS call to this endpoint");
  app.add_option("--output", global.output, "Output format")->check(CLI::IsMember({"table", "json"}));
  app.add_flag("-v,--verbose", global.verbose, "Say more about what is happening");

  CommandResult result;
  add_whoami_command(app, global, result);
  add_aws_command(app, global, result);
  add_hunt_command(app, global, result);
  add_case_command(app, global, result);
  add_ec2_command(app, global, result);
  add_s3_command(app, global, result);
  add_credentials_command(app, global, result);
  add_role_command(app, global, result);
  add_account_command(app, global, result);
  add_baseline_command(app, global, result);
  add_findings_command(app, global, result);
  add_respond_command(app, global, result);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  return result.exit_code;
}

}  // namespace
}  // namespace firebreak::cli

int main(int argc, char** argv) {
  using namespace firebreak;
  try {
    return cli::run(argc, argv);
  } catch (const InputError& e) {
    fmt::print(stderr, "firebreak: {}\n", e.what());
    return cli::kExitBadInput;
  } catch (const ConfigError& e) {
    fmt::print(stderr, "firebreak: {}\n", e.what());
    return cli::kExitCannotRun;
  } catch (const aws::AwsError& e) {
    fmt::print(stderr, "firebreak: {}\n", e.what());
    // No response at all (unreachable endpoint) means nothing could run.
    return e.http_status() == 0 ? cli::kExitCannotRun : cli::kExitFailed;
  } catch (const aws::TransportError& e) {
    fmt::print(stderr, "firebreak: {}\n", e.what());
    return cli::kExitCannotRun;
  } catch (const std::exception& e) {
    fmt::print(stderr, "firebreak: {}\n", e.what());
    return cli::kExitFailed;
  }
}
