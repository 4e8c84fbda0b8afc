// firebreak s3 BUCKET: the compromised S3 bucket playbook (issue 6).
#include <memory>

#include <fmt/format.h>

#include "firebreak/aws/errors.h"
#include "firebreak/aws/s3.h"
#include "firebreak/base/error.h"
#include "firebreak/cli/commands.h"
#include "firebreak/cli/playbook_command.h"
#include "firebreak/playbooks/identity/options.h"
#include "firebreak/playbooks/s3/s3_playbook.h"

namespace firebreak::cli {
namespace {

struct S3Args {
  playbooks::S3Options s3;
  playbooks::IdentityOptions trail;  // --trail-logs and --since
  PlaybookOptions playbook;
};

// The bucket's region, said before a case opens: a bucket that does not exist (or that the
// responder may not see) is a clear error, and one in another region is followed there.
std::string locate_bucket(const aws::Session& session, const std::string& bucket) {
  try {
    return aws::bucket_region(session.client("s3").call("GetBucketLocation", {{"Bucket", bucket}}));
  } catch (const aws::AwsError& e) {
    if (e.code() == "NoSuchBucket") throw InputError(fmt::format("bucket {} does not exist", bucket));
    if (e.code() == "AccessDenied") {
      throw InputError(fmt::format("bucket {}: GetBucketLocation was refused ({}); is it in another account?", bucket,
                                   e.message()));
    }
    throw;
  }
}

void run(S3Args& args, const GlobalOptions& global, CommandResult& result) {
  playbooks::validate_s3_options(args.s3);
  if (global.finding != nullptr) args.s3.finding = *global.finding;
  GlobalOptions options = global;
  aws::Session located(session_options(options));
  args.s3.region = locate_bucket(located, args.s3.bucket);
  if (args.s3.region != located.region()) {
    fmt::print(stderr, "firebreak: bucket {} is in {}: the case is opened there (undo it with --region {})\n",
               args.s3.bucket, args.s3.region, args.s3.region);
    options.region = args.s3.region;
  }
  aws::Session session(session_options(options));
  args.s3.trail = playbooks::make_trail_scope(args.trail, {}, std::nullopt);
  const engine::Playbook playbook = playbooks::make_s3_playbook(session, args.s3);

  engine::Incident incident;
  incident.resources = {args.s3.bucket};
  incident.region = session.region();
  if (args.s3.finding) incident.principal = args.s3.finding->actor.arn;
  result.exit_code = run_playbook(options, session, playbook, incident, args.playbook);
}

}  // namespace

void add_s3_command(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  auto args = std::make_shared<S3Args>();
  CLI::App* cmd = app.add_subcommand("s3", "Contain a compromised S3 bucket (plan; --apply to act)");
  cmd->add_option("BUCKET", args->s3.bucket, "The bucket's name")->required();
  add_playbook_options(*cmd, args->playbook);
  cmd->add_option("--deny-principal", args->s3.deny_principals,
                  "Deny this principal (user, role or role session ARN) in the bucket policy (repeatable)");
  cmd->add_flag("--lockdown", args->s3.lockdown,
                "Deny everyone in the bucket policy but the responder, the --responder-role roles and the --vpce endpoint");
  cmd->add_option("--responder-role", args->s3.responder_roles, "With --lockdown: a role ARN still allowed (repeatable)");
  cmd->add_option("--vpce", args->s3.vpc_endpoint, "With --lockdown: a VPC endpoint (vpce-...) still allowed");
  cmd->add_flag("--deny-presigned", args->s3.deny_presigned, "Deny every presigned URL request (s3:authType REST-QUERY-STRING)");
  cmd->add_flag("--access-points", args->s3.block_access_points, "Deny every request made through an access point");
  add_decision_flag(*cmd, args->playbook, std::string(playbooks::kAccountBpa),
                    "Also turn on Block Public Access for the whole account");
  playbooks::add_trail_options(*cmd, args->trail);
  cmd->callback([args, &global, &result] { run(*args, global, result); });
}

}  // namespace firebreak::cli
