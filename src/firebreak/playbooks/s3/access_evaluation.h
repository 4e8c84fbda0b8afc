#pragma once
// "Identify whether the source was authorized": judges one S3 request against what decides
// access to the bucket (bucket policy, ACLs, Block Public Access, the principal's identity
// policies) by AWS's documented evaluation logic, without calling AWS. The S3 playbook gathers
// the state and asks this for each (principal, action) it saw:
//
//   Verdict v = evaluate_access({.principal_arn = arn, .action = "s3:GetObject",
//                                .resource_arn = "arn:aws:s3:::bucket/key",
//                                .context = {{"aws:SourceIp", "203.0.113.7"}}}, state);
//   v.decision == Decision::kPublic; v.decided_by == "bucket policy Statement[0] (Sid PublicRead)"
//
// Not evaluated (they are not in the state): service control and resource control policies,
// permissions boundaries, session policies, VPC endpoint and access point policies, and the
// Block Public Access settings that only refuse new public ACLs and policies.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/base/json.h"

namespace firebreak::playbooks::s3 {

// One request to judge: who, what, on which resource, with which request context.
struct AccessRequest {
  // arn:aws:iam::111122223333:user/alice, arn:aws:sts::111122223333:assumed-role/R/s,
  // arn:aws:iam::111122223333:role/R, arn:aws:iam::111122223333:root,
  // arn:aws:sts::111122223333:federated-user/u; an AWS service as its principal name
  // ("cloudtrail.amazonaws.com"); empty = anonymous. Anything else is an InputError.
  std::string principal_arn;
  std::string action;        // "s3:GetObject"
  std::string resource_arn;  // arn:aws:s3:::bucket or arn:aws:s3:::bucket/key
  // Condition keys and their values (a string, bool, number, or a list for multivalued keys):
  // {"aws:SourceIp": "203.0.113.7", "aws:SecureTransport": "false", "s3:authType": "REST-QUERY-STRING"}.
  // aws:PrincipalAccount, aws:PrincipalArn (not for role sessions: the role's path is not in the
  // session ARN), aws:PrincipalType, aws:username and aws:ResourceAccount are filled in from the
  // request and the state when absent. aws:CurrentTime is not: pass the event's time.
  Json context = Json::object();
  // The canonical user id of the principal's account, when known: ACL grants and CanonicalUser
  // principals name accounts this way.
  std::string canonical_user_id{};
};

// What decides access to one bucket, as read from S3/IAM (the playbook gathers it).
struct BucketAccessState {
  std::string bucket;
  std::string owner_account;  // 12 digits
  Json bucket_policy;         // parsed policy document (or GetBucketPolicy's Policy text); null = none
  Json acl;                   // GetBucketAcl output {Owner:{ID}, Grants:[...]}; null = unknown
  Json object_acl;            // GetObjectAcl output for the request's object; null = unknown
  Json public_access_block;   // the bucket's PublicAccessBlockConfiguration (bare or as GetPublicAccessBlock
                              // returns it); null = none
  Json account_public_access_block;  // the account's; null = none
  std::string object_ownership;      // "BucketOwnerEnforced" disables ACLs; "" = unknown/none
  // The principal's identity policies (inline and attached, group policies included): each a
  // policy document, or {"PolicyName"|"PolicyArn": ..., "PolicyDocument": document} to name it
  // in verdicts. nullopt = unknown (e.g. a principal of another account).
  std::optional<std::vector<Json>> identity_policies;
};

enum class Decision { kAllowed, kPublic, kDenied };  // public = allowed because the bucket is open to anyone

struct Verdict {
  Decision decision = Decision::kDenied;
  // The deciding statement: "bucket policy Statement[1] (Sid DenyOutsider)", "identity policy
  // 'S3Full' Statement[0]", "ACL grant READ to AllUsers", "Block Public Access (RestrictPublicBuckets)",
  // "no statement allows it (implicit deny)".
  std::string decided_by;
  std::string explanation;  // one line a responder reads
  Json to_json() const;     // {"decision":"allowed|public|denied","decided_by":...,"explanation":...}
};

std::string_view decision_name(Decision decision);

// Throws InputError when the principal ARN is none of the forms AccessRequest lists.
Verdict evaluate_access(const AccessRequest& request, const BucketAccessState& state);

// AWS's rules for "public" (GetBucketPolicyStatus, Access Analyzer): an Allow statement whose
// principal is a wildcard (or NotPrincipal) and that no condition pins to fixed values
// (aws:SourceIp CIDRs no wider than /8 for IPv4 and /32 for IPv6, aws:SourceVpc, aws:SourceVpce,
// aws:SourceArn, aws:SourceAccount, aws:SourceOwner, aws:PrincipalOrgID, aws:PrincipalAccount,
// aws:PrincipalArn, aws:userid ... without wildcards or policy variables). Null is not public.
bool policy_is_public(const Json& policy);
// A grant to AllUsers or AuthenticatedUsers. Null is not public.
bool acl_is_public(const Json& acl);

// Throws InputError naming the problem when the text is not a JSON policy document (bad JSON,
// no Statement, a statement without a valid Effect, ...). `what` names the text in the error:
// "bucket policy of example-bucket".
Json parse_policy_document(std::string_view text, std::string_view what);

}  // namespace firebreak::playbooks::s3
