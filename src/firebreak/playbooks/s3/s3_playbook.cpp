#include "firebreak/playbooks/s3/s3_playbook.h"

#include <regex>

#include <fmt/format.h>

#include "firebreak/aws/errors.h"
#include "firebreak/base/error.h"
#include "firebreak/playbooks/s3/steps.h"

namespace firebreak::playbooks {

void validate_bucket_name(std::string_view name) {
  auto refuse = [&](std::string_view rule) {
    throw InputError(fmt::format("'{}' is not a valid S3 bucket name: {}", name, rule));
  };
  static const std::regex allowed("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
  static const std::regex ipv4(R"(\d{1,3}(\.\d{1,3}){3})");
  if (!std::regex_match(name.begin(), name.end(), allowed)) {
    refuse("3 to 63 of a-z, 0-9, '.' and '-', starting and ending with a letter or digit");
  }
  if (name.find("..") != std::string_view::npos) refuse("two periods in a row");
  if (std::regex_match(name.begin(), name.end(), ipv4)) refuse("it looks like an IP address");
  for (std::string_view prefix : {"xn--", "sthree-", "amzn-s3-demo-"}) {
    if (name.starts_with(prefix)) refuse(fmt::format("the prefix {} is reserved", prefix));
  }
  for (std::string_view suffix : {"-s3alias", "--ol-s3", "--x-s3", "--table-s3", ".mrap"}) {
    if (name.ends_with(suffix)) refuse(fmt::format("the suffix {} is reserved", suffix));
  }
}

void validate_principal_arn(std::string_view arn) {
  static const std::regex pattern(
      R"(arn:aws(-cn|-us-gov)?:(iam::\d{12}:(root|(user|role)(/[\w+=,.@-]+)+)|sts::\d{12}:assumed-role/[\w+=,.@-]+/[\w+=,.@-]+))");
  if (!std::regex_match(arn.begin(), arn.end(), pattern)) {
    throw InputError(fmt::format("'{}' is not the ARN of an IAM user, role, role session or account root", arn));
  }
}

std::string detective_finding_url(std::string_view region, std::string_view finding_id) {
  return fmt::format("https://console.aws.amazon.com/detective/home?region={}#findings/GuardDuty/{}", region,
                     finding_id);
}

void validate_s3_options(const S3Options& options) {
  validate_bucket_name(options.bucket);
  for (const auto& arn : options.deny_principals) validate_principal_arn(arn);
  for (const auto& arn : options.responder_roles) {
    validate_principal_arn(arn);
    if (arn.find(":role/") == std::string::npos) throw InputError(fmt::format("--responder-role {}: not a role ARN", arn));
  }
  if (!options.vpc_endpoint.empty()) {
    static const std::regex vpce("vpce-([0-9a-f]{8}|[0-9a-f]{17})");
    if (!std::regex_match(options.vpc_endpoint, vpce)) {
      throw InputError(fmt::format("--vpce {}: expected vpce- and 8 or 17 lowercase hex digits", options.vpc_endpoint));
    }
  }
  if (!options.lockdown && (!options.responder_roles.empty() || !options.vpc_endpoint.empty())) {
    throw InputError("--responder-role and --vpce only apply with --lockdown");
  }
}

engine::Playbook make_s3_playbook(const aws::Session& session, S3Options options) {
  validate_s3_options(options);
  options.trail.buckets = {options.bucket};

  auto trail = std::make_shared<TrailFindings>();
  auto settings = std::make_shared<Json>();
  // The issue's playbook, line by line. Block Public Access comes last although the issue
  // names it first: once it is on, S3 refuses to write a policy or ACL that is public, both
  // the merged policy (the owner's public statements stay) and, on undo, the original ones.
  std::vector<std::unique_ptr<engine::Step>> steps;
  steps.push_back(s3::make_identify_bucket_step(session, options));              // 1
  steps.push_back(s3::make_identify_source_step(options));                       // 2
  steps.push_back(make_check_cloudtrail_step(session, options.trail, trail));
  steps.push_back(s3::make_record_bucket_step(options, settings));               // 4: evidence first
  steps.push_back(s3::make_authorization_step(options, trail, settings));        // 3
  steps.push_back(s3::make_bucket_policy_step(options));                         // 4
  steps.push_back(s3::make_disable_acls_step(options));
  steps.push_back(s3::make_versioning_step(options));
  steps.push_back(s3::make_block_public_access_step(options));
  steps.push_back(s3::make_account_block_public_access_step(options));
  return engine::Playbook("s3", std::move(steps));
}

namespace s3 {

std::string bucket_arn(std::string_view bucket) { return fmt::format("arn:aws:s3:::{}", bucket); }

Json read_setting(const std::function<Json()>& read, std::string_view absent_code) {
  try {
    Json out = read();
    out.erase("ResponseMetadata");
    return out;
  } catch (const aws::AwsError& e) {
    if (e.code() == absent_code) return nullptr;
    throw;
  }
}

engine::AwsCall s3_call(const S3Options& options, std::string operation, Json input,
                        std::vector<std::string> ok_errors) {
  engine::AwsCall call;
  call.service = "s3";
  call.region = options.region;
  call.operation = std::move(operation);
  input["Bucket"] = options.bucket;
  call.input = std::move(input);
  call.ok_errors = std::move(ok_errors);
  return call;
}

std::vector<std::string> offending_principals(const S3Options& options) {
  std::vector<std::string> out = options.deny_principals;
  if (options.finding) {
    const auto& actor = options.finding->actor;
    const std::string& arn = actor.role_arn.empty() ? actor.arn : actor.role_arn;
    // Nothing from a finding reaches a policy unchecked: a principal that is no user, role or
    // session ARN (a sample finding's placeholder) is left to --deny-principal.
    try {
      validate_principal_arn(arn);
      if (std::find(out.begin(), out.end(), arn) == out.end()) out.push_back(arn);
    } catch (const InputError&) {
    }
  }
  return out;
}

std::vector<std::string> principal_arn_patterns(std::string_view arn) {
  static const std::regex session(R"(arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/.*)");
  static const std::regex role(R"(arn:([\w-]+):iam::(\d{12}):role/(.*/)?([^/]+))");
  std::match_results<std::string_view::const_iterator> m;
  std::string partition, account, name;
  if (std::regex_match(arn.begin(), arn.end(), m, session)) {
    partition = m[1], account = m[2], name = m[3];
  } else if (std::regex_match(arn.begin(), arn.end(), m, role)) {
    partition = m[1], account = m[2], name = m[4];
  } else {
    return {std::string(arn)};
  }
  return {fmt::format("arn:{}:iam::{}:role/{}", partition, account, name),
          fmt::format("arn:{}:iam::{}:role/*/{}", partition, account, name)};
}

}  // namespace s3
}  // namespace firebreak::playbooks
