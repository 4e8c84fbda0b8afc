#pragma once
// The compromised S3 bucket playbook (issue 6): identify the bucket and its findings, the
// source and its API calls, whether each call was authorized, then record the bucket's access
// settings and lock it down (Block Public Access, a deny in the bucket policy, ACLs disabled,
// versioning on). Every change records the calls that restore the setting it found.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/aws/client.h"
#include "firebreak/engine/playbook.h"
#include "firebreak/findings/incident.h"
#include "firebreak/playbooks/identity/trail_review.h"

namespace firebreak::playbooks {

struct S3Options {
  std::string bucket;  // validated by validate_bucket_name
  std::string region;  // the bucket's region: every S3 call of the playbook goes there
  // The finding being answered (`respond`): its principal, key, source IP and API call are the
  // source; without one, the bucket's current GuardDuty and Security Hub findings are listed.
  std::optional<findings::Incident> finding;
  // Principals to deny in the bucket policy (ARNs of users, roles or role sessions), besides the
  // finding's. Validated by validate_principal_arn.
  std::vector<std::string> deny_principals;
  bool lockdown = false;                     // deny everyone but the responder roles (and the VPC endpoint)
  std::vector<std::string> responder_roles;  // role ARNs still allowed under lockdown
  std::string vpc_endpoint;                  // vpce-...: still allowed under lockdown
  bool deny_presigned = false;               // deny every presigned (query-string authenticated) request
  bool block_access_points = false;          // deny every request made through an access point
  TrailScope trail;                          // the CloudTrail hunt; its buckets are set to the bucket
};

// The decision flag that turns on Block Public Access for the whole account.
inline constexpr std::string_view kAccountBpa = "account-bpa";

// Throws InputError for a malformed bucket name, principal, role or endpoint, or --vpce /
// --responder-role without --lockdown: every value is checked before anything reaches AWS.
void validate_s3_options(const S3Options& options);
// Validates the options as above.
engine::Playbook make_s3_playbook(const aws::Session& session, S3Options options);

// S3's naming rules for general purpose buckets: 3-63 of [a-z0-9.-], starting and ending
// with a letter or digit, no "..", not an IPv4 address, none of the reserved prefixes and
// suffixes. Throws InputError naming the rule broken.
void validate_bucket_name(std::string_view name);
// arn:PARTITION:iam::ACCOUNT:user/..., role/..., root, or arn:PARTITION:sts::ACCOUNT:assumed-role/R/S.
void validate_principal_arn(std::string_view arn);

// The Amazon Detective console page of a GuardDuty finding.
std::string detective_finding_url(std::string_view region, std::string_view finding_id);

}  // namespace firebreak::playbooks
