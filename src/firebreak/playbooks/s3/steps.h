#pragma once
// The S3 playbook's steps (internal to the playbook) and what they share.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/base/json.h"
#include "firebreak/engine/step.h"
#include "firebreak/engine/step_context.h"
#include "firebreak/playbooks/common/playbook_step.h"
#include "firebreak/playbooks/identity/trail_review.h"
#include "firebreak/playbooks/s3/s3_playbook.h"

namespace firebreak::playbooks::s3 {

// Error codes S3 answers when a setting was never made: the setting is absent, not unreadable.
inline constexpr const char* kNoPolicy = "NoSuchBucketPolicy";
inline constexpr const char* kNoPublicAccessBlock = "NoSuchPublicAccessBlockConfiguration";
inline constexpr const char* kNoOwnershipControls = "OwnershipControlsNotFoundError";

// "arn:aws:s3:::bucket"
std::string bucket_arn(std::string_view bucket);
// The read's answer without ResponseMetadata, null when AWS answers `absent_code` (a setting
// never made; empty: every error is thrown).
Json read_setting(const std::function<Json()>& read, std::string_view absent_code);
engine::AwsCall s3_call(const S3Options& options, std::string operation, Json input,
                        std::vector<std::string> ok_errors = {});

// The principals the finding and the responder name as the source: ARNs as the finding or
// --deny-principal give them (the finding's only when it is a valid principal ARN).
std::vector<std::string> offending_principals(const S3Options& options);
// What aws:PrincipalArn holds for requests made by the principal: a role session acts as its
// role (whose path the session ARN does not show, so any path matches).
std::vector<std::string> principal_arn_patterns(std::string_view arn);

// The IAM action of a CloudTrail S3 event name ("ListObjectsV2" -> "s3:ListBucket").
std::string iam_action_for(std::string_view event_name);
// Whether the action is on objects (arn:aws:s3:::bucket/*) rather than on the bucket.
bool is_object_action(std::string_view action);

using S3Step = PlaybookStep<S3Options>;

// What the CloudTrail check found, shared with the authorization step of the same run.
using SharedTrailFindings = std::shared_ptr<TrailFindings>;
// The bucket's access settings as record-bucket observed them (null until it has), so that the
// authorization step judges the calls against the bucket as it was, not as it is being locked
// down. The engine runs the authorization step after record-bucket has finished.
using SharedSettings = std::shared_ptr<Json>;

// Reads the bucket's access settings: {"policy": {"text", "document"|"invalid"} or null, "acl",
// "ownership_controls", "public_access_block", "account_public_access_block", "versioning",
// "access_points": [...], "location", "policy_status"}. A part that cannot be read holds
// {"error": {...}} (see read_part); a setting never made is null.
Json read_bucket_settings(engine::StepContext& ctx, const S3Options& options);
inline const std::vector<engine::AwsOperation> kSettingsReads = {
    {"s3", "GetBucketLocation"},       {"s3", "GetBucketPolicy"},          {"s3", "GetBucketPolicyStatus"},
    {"s3", "GetBucketAcl"},            {"s3", "GetBucketOwnershipControls"}, {"s3", "GetPublicAccessBlock"},
    {"s3", "GetBucketVersioning"},     {"s3control", "GetPublicAccessBlock"}, {"s3control", "ListAccessPoints"},
    {"s3control", "GetAccessPoint"},   {"s3control", "GetAccessPointPolicy"}, {"s3control", "GetAccessPointPolicyStatus"}};

std::unique_ptr<engine::Step> make_identify_bucket_step(const aws::Session& session, const S3Options& options);
std::unique_ptr<engine::Step> make_identify_source_step(const S3Options& options);
std::unique_ptr<engine::Step> make_record_bucket_step(const S3Options& options, SharedSettings settings);
std::unique_ptr<engine::Step> make_authorization_step(const S3Options& options, SharedTrailFindings trail,
                                                      SharedSettings settings);
std::unique_ptr<engine::Step> make_bucket_policy_step(const S3Options& options);
std::unique_ptr<engine::Step> make_disable_acls_step(const S3Options& options);
std::unique_ptr<engine::Step> make_versioning_step(const S3Options& options);
std::unique_ptr<engine::Step> make_block_public_access_step(const S3Options& options);
std::unique_ptr<engine::Step> make_account_block_public_access_step(const S3Options& options);

}  // namespace firebreak::playbooks::s3
