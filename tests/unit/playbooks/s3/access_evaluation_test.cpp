// The S3 access evaluator: AWS's evaluation logic for bucket policies, ACLs, Block Public Access
// and identity policies, on policies from AWS's documentation (S3 User Guide bucket policy
// examples, "Blocking public access", the IAM policy reference), each rule allowing and denying.
#include <ostream>

#include <gtest/gtest.h>

#include "firebreak/base/error.h"
#include "firebreak/playbooks/s3/access_evaluation.h"

namespace firebreak::playbooks::s3 {

void PrintTo(Decision decision, std::ostream* out) { *out << decision_name(decision); }

namespace {

constexpr const char* kOwner = "111122223333";
constexpr const char* kAlice = "arn:aws:iam::111122223333:user/alice";
constexpr const char* kBob = "arn:aws:iam::444455556666:user/bob";  // another account
constexpr const char* kMallory = "arn:aws:iam::999988887777:user/mallory";
constexpr const char* kBucket = "arn:aws:s3:::amzn-s3-demo-bucket";
constexpr const char* kObject = "arn:aws:s3:::amzn-s3-demo-bucket/photos/cat.jpg";

BucketAccessState state_with(Json policy) {
  BucketAccessState state;
  state.bucket = "amzn-s3-demo-bucket";
  state.owner_account = kOwner;
  state.bucket_policy = std::move(policy);
  state.identity_policies = std::vector<Json>{};
  return state;
}

Json policy_of(Json statement) { return {{"Version", "2012-10-17"}, {"Statement", Json::array({statement})}}; }

Verdict judge(const BucketAccessState& state, std::string principal, std::string action, std::string resource,
              Json context = Json::object()) {
  return evaluate_access({.principal_arn = std::move(principal),
                          .action = std::move(action),
                          .resource_arn = std::move(resource),
                          .context = std::move(context)},
                         state);
}

// S3 User Guide, "Granting read-only permission to a public anonymous user".
Json public_read_policy() {
  return Json::parse(R"({"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow",
    "Principal":"*","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":["arn:aws:s3:::amzn-s3-demo-bucket/*"]}]})");
}

// An identity policy granting everything on S3, named as GetUserPolicy names it.
Json s3_full_access() {
  return {{"PolicyName", "S3Full"},
          {"PolicyDocument", policy_of({{"Effect", "Allow"}, {"Action", "s3:*"}, {"Resource", "*"}})}};
}

// --- Public reads through the bucket policy, and RestrictPublicBuckets -----------------------

TEST(S3AccessPolicy, PublicReadIsPublicForAnyone) {
  BucketAccessState state = state_with(public_read_policy());
  Verdict anonymous = judge(state, "", "s3:GetObject", kObject);
  EXPECT_EQ(anonymous.decision, Decision::kPublic);
  EXPECT_EQ(anonymous.decided_by, "bucket policy Statement[0] (Sid PublicRead)");
  // Another account's principal also needs its own identity policy, even for a public grant.
  EXPECT_EQ(judge(state, kBob, "s3:GetObject", kObject).decision, Decision::kDenied);
  state.identity_policies = std::vector<Json>{s3_full_access()};
  EXPECT_EQ(judge(state, kBob, "s3:GetObject", kObject).decision, Decision::kPublic);
  EXPECT_EQ(anonymous.to_json(),
            Json({{"decision", "public"}, {"decided_by", anonymous.decided_by}, {"explanation", anonymous.explanation}}));

  Verdict write = judge(state, "", "s3:PutObject", kObject);
  EXPECT_EQ(write.decision, Decision::kDenied);
  EXPECT_EQ(write.decided_by, "no statement allows it (implicit deny)");
  EXPECT_EQ(judge(state, "", "s3:GetObject", "arn:aws:s3:::other-bucket/photos/cat.jpg").decision,
            Decision::kDenied);
}

TEST(S3AccessPolicy, RestrictPublicBucketsLeavesOnlyTheOwnerAccount) {
  BucketAccessState state = state_with(public_read_policy());
  state.public_access_block = {{"RestrictPublicBuckets", true}};
  state.identity_policies = std::vector<Json>{s3_full_access()};
  Verdict other = judge(state, kBob, "s3:GetObject", kObject);
  EXPECT_EQ(other.decision, Decision::kDenied);
  EXPECT_EQ(other.decided_by, "Block Public Access (RestrictPublicBuckets)");
  EXPECT_NE(other.explanation.find("set on the bucket"), std::string::npos) << other.explanation;
  EXPECT_EQ(judge(state, "", "s3:GetObject", kObject).decision, Decision::kDenied);

  state.identity_policies = std::vector<Json>{};  // alice is allowed by the bucket policy alone
  Verdict owner = judge(state, kAlice, "s3:GetObject", kObject);
  EXPECT_EQ(owner.decision, Decision::kAllowed);
  EXPECT_EQ(owner.decided_by, "bucket policy Statement[0] (Sid PublicRead)");
  EXPECT_NE(owner.explanation.find("RestrictPublicBuckets"), std::string::npos) << owner.explanation;
}

TEST(S3AccessPolicy, AccountBlockPublicAccessCombinesWithTheBucketsOwn) {
  BucketAccessState state = state_with(public_read_policy());
  state.public_access_block = {{"PublicAccessBlockConfiguration", {{"RestrictPublicBuckets", false}}}};
  state.account_public_access_block = {{"RestrictPublicBuckets", true}};
  state.identity_policies = std::vector<Json>{s3_full_access()};
  Verdict other = judge(state, kBob, "s3:GetObject", kObject);
  EXPECT_EQ(other.decision, Decision::kDenied);
  EXPECT_NE(other.explanation.find("set on the account"), std::string::npos) << other.explanation;
  state.account_public_access_block = {{"RestrictPublicBuckets", false}};
  EXPECT_EQ(judge(state, kBob, "s3:GetObject", kObject).decision, Decision::kPublic);
}

TEST(S3AccessPolicy, RestrictPublicBucketsStillLetsServicePrincipalsIn) {
  BucketAccessState state = state_with(public_read_policy());
  state.public_access_block = {{"RestrictPublicBuckets", true}};
  EXPECT_EQ(judge(state, "cloudfront.amazonaws.com", "s3:GetObject", kObject).decision, Decision::kAllowed);
}

// --- ACLs, IgnorePublicAcls, BucketOwnerEnforced ----------------------------------------------

Json public_read_acl() {
  return Json::parse(R"({"Owner":{"ID":"owner-canonical-id"},"Grants":[
    {"Grantee":{"Type":"CanonicalUser","ID":"owner-canonical-id"},"Permission":"FULL_CONTROL"},
    {"Grantee":{"Type":"Group","URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"}]})");
}

// A bucket with no policy and the public-read canned ACL.
BucketAccessState public_acl_state() {
  BucketAccessState state = state_with(nullptr);
  state.acl = public_read_acl();
  return state;
}

TEST(S3AccessAcl, PublicReadAclListsTheBucketToAnyone) {
  BucketAccessState state = public_acl_state();
  Verdict list = judge(state, "", "s3:ListBucket", kBucket);
  EXPECT_EQ(list.decision, Decision::kPublic);
  EXPECT_EQ(list.decided_by, "ACL grant READ to AllUsers");
  // Bucket READ is listing only: objects and the ACL itself are not granted.
  EXPECT_EQ(judge(state, "", "s3:GetObject", kObject).decision, Decision::kDenied);
  EXPECT_EQ(judge(state, "", "s3:GetBucketAcl", kBucket).decision, Decision::kDenied);
}

TEST(S3AccessAcl, IgnorePublicAclsMakesPublicGrantsIneffective) {
  BucketAccessState state = public_acl_state();
  state.public_access_block = {{"IgnorePublicAcls", true}};
  Verdict list = judge(state, "", "s3:ListBucket", kBucket);
  EXPECT_EQ(list.decision, Decision::kDenied);
  EXPECT_EQ(list.decided_by, "Block Public Access (IgnorePublicAcls)");
}

TEST(S3AccessAcl, ObjectAclReadAndFullControlMapToObjectActions) {
  BucketAccessState state = state_with(nullptr);
  state.object_acl = public_read_acl();
  EXPECT_EQ(judge(state, "", "s3:GetObject", kObject).decision, Decision::kPublic);
  EXPECT_EQ(judge(state, "", "s3:PutObjectAcl", kObject).decision, Decision::kDenied);
  state.object_acl["Grants"][1]["Permission"] = "FULL_CONTROL";
  Verdict acl_write = judge(state, "", "s3:PutObjectAcl", kObject);
  EXPECT_EQ(acl_write.decision, Decision::kPublic);
  EXPECT_EQ(acl_write.decided_by, "object ACL grant FULL_CONTROL to AllUsers");
}

TEST(S3AccessAcl, BucketOwnerEnforcedIgnoresAcls) {
  BucketAccessState state = public_acl_state();
  state.object_ownership = "BucketOwnerEnforced";
  Verdict list = judge(state, "", "s3:ListBucket", kBucket);
  EXPECT_EQ(list.decision, Decision::kDenied);
  EXPECT_NE(list.explanation.find("BucketOwnerEnforced"), std::string::npos) << list.explanation;
  state.object_ownership = "ObjectWriter";
  EXPECT_EQ(judge(state, "", "s3:ListBucket", kBucket).decision, Decision::kPublic);
}

TEST(S3AccessAcl, AuthenticatedUsersMeansAnyAwsPrincipalNotAnonymous) {
  BucketAccessState state = public_acl_state();
  state.acl["Grants"][1]["Grantee"]["URI"] = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
  state.acl["Grants"][1]["Permission"] = "WRITE";
  EXPECT_EQ(judge(state, "", "s3:PutObject", kObject).decision, Decision::kDenied);
  // Another account's user still needs its own identity policy.
  EXPECT_EQ(judge(state, kBob, "s3:PutObject", kObject).decision, Decision::kDenied);
  state.identity_policies = std::vector<Json>{s3_full_access()};
  Verdict bob = judge(state, kBob, "s3:PutObject", kObject);
  EXPECT_EQ(bob.decision, Decision::kPublic);
  EXPECT_EQ(bob.decided_by, "ACL grant WRITE to AuthenticatedUsers");
}

TEST(S3AccessAcl, GrantToTheOwnerAccountStillNeedsAnIdentityPolicy) {
  BucketAccessState state = public_acl_state();
  Verdict alice = judge(state, kAlice, "s3:GetBucketAcl", kBucket);
  EXPECT_EQ(alice.decision, Decision::kDenied);
  EXPECT_NE(alice.explanation.find("still needs an identity policy"), std::string::npos) << alice.explanation;
}

TEST(S3AccessAcl, AclIsPublicFindsAllUsersAndAuthenticatedUsers) {
  EXPECT_TRUE(acl_is_public(public_read_acl()));
  Json authenticated = public_read_acl();
  authenticated["Grants"][1]["Grantee"]["URI"] = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
  EXPECT_TRUE(acl_is_public(authenticated));
  Json private_acl = public_read_acl();
  private_acl["Grants"].erase(1);
  EXPECT_FALSE(acl_is_public(private_acl));
  EXPECT_FALSE(acl_is_public(nullptr));
}

// --- Cross-account and same-account ----------------------------------------------------------

// S3 User Guide, "Bucket owner granting cross-account bucket permissions".
Json cross_account_write_policy() {
  return Json::parse(R"({"Version":"2012-10-17","Statement":[{"Sid":"CrossAccountWrite","Effect":"Allow",
    "Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["s3:PutObject","s3:PutObjectAcl"],
    "Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})");
}

TEST(S3AccessCrossAccount, WriteNeedsTheBucketPolicyAndTheCallersIdentityPolicy) {
  BucketAccessState state = state_with(cross_account_write_policy());
  Verdict bucket_only = judge(state, kBob, "s3:PutObject", kObject);
  EXPECT_EQ(bucket_only.decision, Decision::kDenied);
  EXPECT_EQ(bucket_only.decided_by, "no identity policy of the principal allows it (implicit deny)");

  state.identity_policies = std::vector<Json>{{{"PolicyName", "UploadOnly"},
                                               {"PolicyDocument", policy_of({{"Effect", "Allow"},
                                                                             {"Action", "s3:PutObject"},
                                                                             {"Resource", std::string(kBucket) + "/*"}})}}};
  Verdict both = judge(state, kBob, "s3:PutObject", kObject);
  EXPECT_EQ(both.decision, Decision::kAllowed);
  EXPECT_EQ(both.decided_by, "bucket policy Statement[0] (Sid CrossAccountWrite)");
  EXPECT_NE(both.explanation.find("identity policy 'UploadOnly' Statement[0]"), std::string::npos) << both.explanation;

  // The identity policy alone does not reach into another account's bucket.
  EXPECT_EQ(judge(state, kBob, "s3:DeleteObject", kObject).decision, Decision::kDenied);
  state.identity_policies = std::vector<Json>{s3_full_access()};
  EXPECT_EQ(judge(state, kBob, "s3:DeleteObject", kObject).decision, Decision::kDenied);
  EXPECT_EQ(judge(state, kMallory, "s3:PutObject", kObject).decision, Decision::kDenied);
}

TEST(S3AccessCrossAccount, UnknownIdentitySideIsJudgedOnTheBucketSideAndSaidSo) {
  BucketAccessState state = state_with(cross_account_write_policy());
  state.identity_policies = std::nullopt;
  Verdict bob = judge(state, kBob, "s3:PutObject", kObject);
  EXPECT_EQ(bob.decision, Decision::kAllowed);
  EXPECT_NE(bob.explanation.find("identity side"), std::string::npos) << bob.explanation;
  EXPECT_NE(bob.explanation.find("unknown"), std::string::npos) << bob.explanation;
  EXPECT_EQ(judge(state, kMallory, "s3:PutObject", kObject).decision, Decision::kDenied);
}

TEST(S3AccessCrossAccount, AnotherAccountsRootNeedsOnlyTheBucketSide) {
  BucketAccessState state = state_with(cross_account_write_policy());
  EXPECT_EQ(judge(state, "arn:aws:iam::444455556666:root", "s3:PutObject", kObject).decision, Decision::kAllowed);
  EXPECT_EQ(judge(state, "arn:aws:iam::999988887777:root", "s3:PutObject", kObject).decision, Decision::kDenied);
}

TEST(S3AccessSameAccount, IdentityPolicyOrBucketPolicyNamingThePrincipalIsEnough) {
  BucketAccessState state = state_with(nullptr);
  EXPECT_EQ(judge(state, kAlice, "s3:GetObject", kObject).decision, Decision::kDenied);
  state.identity_policies = std::vector<Json>{s3_full_access()};
  Verdict identity = judge(state, kAlice, "s3:GetObject", kObject);
  EXPECT_EQ(identity.decision, Decision::kAllowed);
  EXPECT_EQ(identity.decided_by, "identity policy 'S3Full' Statement[0]");

  state.identity_policies = std::vector<Json>{};
  state.bucket_policy = policy_of({{"Sid", "Alice"}, {"Effect", "Allow"}, {"Principal", {{"AWS", kAlice}}},
                                   {"Action", "s3:GetObject"}, {"Resource", std::string(kBucket) + "/*"}});
  EXPECT_EQ(judge(state, kAlice, "s3:GetObject", kObject).decided_by, "bucket policy Statement[0] (Sid Alice)");
  // Naming the account delegates to its IAM: alice still needs an identity policy.
  state.bucket_policy["Statement"][0]["Principal"] = {{"AWS", kOwner}};
  Verdict account = judge(state, kAlice, "s3:GetObject", kObject);
  EXPECT_EQ(account.decision, Decision::kDenied);
  EXPECT_NE(account.explanation.find("grants to the account"), std::string::npos) << account.explanation;
}

TEST(S3AccessSameAccount, OwnerRootIsAllowedUnlessExplicitlyDenied) {
  BucketAccessState state = state_with(nullptr);
  state.identity_policies = std::nullopt;
  EXPECT_EQ(judge(state, "arn:aws:iam::111122223333:root", "s3:PutBucketPolicy", kBucket).decision,
            Decision::kAllowed);
  state.bucket_policy = policy_of({{"Effect", "Deny"}, {"Principal", "*"}, {"Action", "s3:*"}, {"Resource", "*"}});
  EXPECT_EQ(judge(state, "arn:aws:iam::111122223333:root", "s3:GetObject", kObject).decision, Decision::kDenied);
}

TEST(S3AccessSameAccount, SpecificGrantBeatsAPublicOneInTheVerdict) {
  Json policy = public_read_policy();
  policy["Statement"].push_back({{"Sid", "Alice"}, {"Effect", "Allow"}, {"Principal", {{"AWS", kAlice}}},
                                 {"Action", "s3:*"}, {"Resource", std::string(kBucket) + "/*"}});
  Verdict alice = judge(state_with(policy), kAlice, "s3:GetObject", kObject);
  EXPECT_EQ(alice.decision, Decision::kAllowed);
  EXPECT_EQ(alice.decided_by, "bucket policy Statement[1] (Sid Alice)");
}

// --- Explicit denies: source IP and presigned URLs --------------------------------------------

// S3 User Guide, "Restricting access to specific IP addresses" (IPv4 and IPv6).
Json source_ip_deny_policy() {
  return Json::parse(R"({"Version":"2012-10-17","Id":"S3PolicyId1","Statement":[{"Sid":"IPAllow","Effect":"Deny",
    "Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"],
    "Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:DB8:1234:5678::/64"]}}}]})");
}

TEST(S3AccessDeny, NotIpAddressDeniesCallsFromElsewhere) {
  BucketAccessState state = state_with(source_ip_deny_policy());
  state.identity_policies = std::vector<Json>{s3_full_access()};
  Verdict outside = judge(state, kAlice, "s3:GetObject", kObject, {{"aws:SourceIp", "203.0.113.7"}});
  EXPECT_EQ(outside.decision, Decision::kDenied);
  EXPECT_EQ(outside.decided_by, "bucket policy Statement[0] (Sid IPAllow)");
  EXPECT_NE(outside.explanation.find("explicitly denies"), std::string::npos);
  EXPECT_EQ(judge(state, kAlice, "s3:GetObject", kObject, {{"aws:SourceIp", "192.0.2.10"}}).decision,
            Decision::kAllowed);
  EXPECT_EQ(judge(state, kAlice, "s3:GetObject", kObject, {{"aws:SourceIp", "2001:db8:1234:5678::1"}}).decision,
            Decision::kAllowed);
  EXPECT_EQ(judge(state, kAlice, "s3:GetObject", kObject, {{"aws:SourceIp", "2001:db8:1::1"}}).decision,
            Decision::kDenied);
  // A negated operator holds when the key is missing, so the deny applies.
  EXPECT_EQ(judge(state, kAlice, "s3:GetObject", kObject).decision, Decision::kDenied);
}

TEST(S3AccessDeny, DenyOnPresignedUrls) {
  Json policy = public_read_policy();
  policy["Statement"].push_back(Json::parse(R"({"Sid":"DenyPresigned","Effect":"Deny","Principal":"*",
    "Action":"s3:*","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*",
    "Condition":{"StringEquals":{"s3:authType":"REST-QUERY-STRING"}}})"));
  BucketAccessState state = state_with(policy);
  state.identity_policies = std::vector<Json>{s3_full_access()};
  Verdict presigned = judge(state, kBob, "s3:GetObject", kObject, {{"s3:authType", "REST-QUERY-STRING"}});
  EXPECT_EQ(presigned.decision, Decision::kDenied);
  EXPECT_EQ(presigned.decided_by, "bucket policy Statement[1] (Sid DenyPresigned)");
  EXPECT_EQ(judge(state, kBob, "s3:GetObject", kObject, {{"s3:authType", "REST-HEADER"}}).decision,
            Decision::kPublic);
}

TEST(S3AccessDeny, IdentityPolicyDenyWinsOverABucketAllow) {
  BucketAccessState state = state_with(public_read_policy());
  state.identity_policies = std::vector<Json>{
      {{"PolicyName", "NoS3"},
       {"PolicyDocument", policy_of({{"Effect", "Deny"}, {"Action", "s3:*"}, {"Resource", "*"}})}}};
  Verdict alice = judge(state, kAlice, "s3:GetObject", kObject);
  EXPECT_EQ(alice.decision, Decision::kDenied);
  EXPECT_EQ(alice.decided_by, "identity policy 'NoS3' Statement[0]");
}

// --- Principal forms ---------------------------------------------------------------------------

Verdict get_as(const Json& principal_element, const std::string& caller, std::string canonical = "") {
  BucketAccessState state = state_with(policy_of({{"Effect", "Allow"}, {"Principal", principal_element},
                                                  {"Action", "s3:GetObject"}, {"Resource", std::string(kBucket) + "/*"}}));
  state.identity_policies = std::vector<Json>{s3_full_access()};
  AccessRequest request{.principal_arn = caller, .action = "s3:GetObject", .resource_arn = kObject};
  request.canonical_user_id = std::move(canonical);
  return evaluate_access(request, state);
}

TEST(S3AccessPrincipal, WildcardForms) {
  EXPECT_EQ(get_as({{"AWS", "*"}}, "").decision, Decision::kPublic);
  EXPECT_EQ(get_as({{"AWS", Json::array({"*"})}}, kBob).decision, Decision::kPublic);
}

TEST(S3AccessPrincipal, AccountsUsersRolesAndSessions) {
  const std::string session = "arn:aws:sts::444455556666:assumed-role/Auditor/incident-42";
  EXPECT_EQ(get_as({{"AWS", "444455556666"}}, kBob).decision, Decision::kAllowed);
  EXPECT_EQ(get_as({{"AWS", Json::array({"999988887777", kBob})}}, kBob).decision, Decision::kAllowed);
  EXPECT_EQ(get_as({{"AWS", "arn:aws:iam::444455556666:user/carol"}}, kBob).decision, Decision::kDenied);
  // A role ARN (with its path) names its sessions; another role's ARN does not.
  EXPECT_EQ(get_as({{"AWS", "arn:aws:iam::444455556666:role/security/Auditor"}}, session).decision,
            Decision::kAllowed);
  EXPECT_EQ(get_as({{"AWS", "arn:aws:iam::444455556666:role/Admin"}}, session).decision, Decision::kDenied);
  EXPECT_EQ(get_as({{"AWS", session}}, session).decision, Decision::kAllowed);
  EXPECT_EQ(get_as({{"AWS", "arn:aws:sts::444455556666:assumed-role/Auditor/other"}}, session).decision,
            Decision::kDenied);
  // IAM allows no partial wildcards in principals: such an entry names nobody.
  EXPECT_EQ(get_as({{"AWS", "arn:aws:iam::444455556666:user/*"}}, kBob).decision, Decision::kDenied);
}

TEST(S3AccessPrincipal, CanonicalUserNamesAnAccount) {
  EXPECT_EQ(get_as({{"CanonicalUser", "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}}, kBob,
                   "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be")
                .decision,
            Decision::kAllowed);
  EXPECT_EQ(get_as({{"CanonicalUser", "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}}, kBob)
                .decision,
            Decision::kDenied);
}

// CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail".
TEST(S3AccessPrincipal, ServicePrincipalWithSourceArn) {
  BucketAccessState state = state_with(Json::parse(R"({"Version":"2012-10-17","Statement":[{
    "Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
    "Action":"s3:PutObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/AWSLogs/111122223333/*",
    "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control",
                                 "aws:SourceArn":"arn:aws:cloudtrail:us-east-2:111122223333:trail/myTrail"}}}]})"));
  const std::string log = "arn:aws:s3:::amzn-s3-demo-bucket/AWSLogs/111122223333/CloudTrail/x.json.gz";
  Json context = {{"s3:x-amz-acl", "bucket-owner-full-control"},
                  {"aws:SourceArn", "arn:aws:cloudtrail:us-east-2:111122223333:trail/myTrail"}};
  Verdict trail = judge(state, "cloudtrail.amazonaws.com", "s3:PutObject", log, context);
  EXPECT_EQ(trail.decision, Decision::kAllowed);
  EXPECT_EQ(trail.decided_by, "bucket policy Statement[0] (Sid AWSCloudTrailWrite)");
  context["aws:SourceArn"] = "arn:aws:cloudtrail:us-east-2:999988887777:trail/theirs";
  EXPECT_EQ(judge(state, "cloudtrail.amazonaws.com", "s3:PutObject", log, context).decision, Decision::kDenied);
  EXPECT_EQ(judge(state, "config.amazonaws.com", "s3:PutObject", log, context).decision, Decision::kDenied);
}

// IAM User Guide, NotPrincipal with Deny: the user and its account must both be listed.
TEST(S3AccessPrincipal, NotPrincipalDenyExcludesOnlyWhatItFullyLists) {
  Json deny_all_but = {{"Effect", "Deny"},
                       {"NotPrincipal", {{"AWS", Json::array({kBob, "arn:aws:iam::444455556666:root"})}}},
                       {"Action", "s3:*"},
                       {"Resource", std::string(kBucket) + "/*"}};
  Json allow_all = {{"Effect", "Allow"}, {"Principal", {{"AWS", "444455556666"}}}, {"Action", "s3:*"},
                    {"Resource", std::string(kBucket) + "/*"}};
  BucketAccessState state = state_with({{"Version", "2012-10-17"}, {"Statement", Json::array({deny_all_but, allow_all})}});
  state.identity_policies = std::vector<Json>{s3_full_access()};
  EXPECT_EQ(judge(state, kBob, "s3:GetObject", kObject).decision, Decision::kAllowed);
  EXPECT_EQ(judge(state, "arn:aws:iam::444455556666:user/carol", "s3:GetObject", kObject).decision,
            Decision::kDenied);
  // Listing only the user leaves the account denied, and so the user.
  state.bucket_policy["Statement"][0]["NotPrincipal"] = {{"AWS", kBob}};
  EXPECT_EQ(judge(state, kBob, "s3:GetObject", kObject).decision, Decision::kDenied);
}

TEST(S3AccessPrincipal, MalformedPrincipalArnIsAnInputError) {
  BucketAccessState state = state_with(nullptr);
  EXPECT_THROW(judge(state, "alice", "s3:GetObject", kObject), InputError);
  EXPECT_THROW(judge(state, "arn:aws:iam::1234:user/alice", "s3:GetObject", kObject), InputError);
  EXPECT_THROW(judge(state, "arn:aws:ec2:us-east-1:111122223333:instance/i-1", "s3:GetObject", kObject), InputError);
}

// --- Action and Resource ------------------------------------------------------------------------

Verdict alice_with(const Json& statement, const std::string& action, const std::string& resource,
                   Json context = Json::object()) {
  BucketAccessState state = state_with(nullptr);
  state.identity_policies = std::vector<Json>{policy_of(statement)};
  return judge(state, kAlice, action, resource, std::move(context));
}

TEST(S3AccessElements, ActionsMatchWildcardsIgnoringCase) {
  Json statement = {{"Effect", "Allow"}, {"Action", Json::array({"S3:Get*", "s3:List?ucket"})}, {"Resource", "*"}};
  EXPECT_EQ(alice_with(statement, "s3:GetObject", kObject).decision, Decision::kAllowed);
  EXPECT_EQ(alice_with(statement, "s3:ListBucket", kBucket).decision, Decision::kAllowed);
  EXPECT_EQ(alice_with(statement, "s3:ListBuckets", kBucket).decision, Decision::kDenied);
  EXPECT_EQ(alice_with(statement, "s3:PutObject", kObject).decision, Decision::kDenied);
  Json not_action = {{"Effect", "Allow"}, {"NotAction", "s3:Delete*"}, {"Resource", "*"}};
  EXPECT_EQ(alice_with(not_action, "s3:PutObject", kObject).decision, Decision::kAllowed);
  EXPECT_EQ(alice_with(not_action, "s3:DeleteObject", kObject).decision, Decision::kDenied);
}

TEST(S3AccessElements, ResourcesMatchWildcardsRespectingCase) {
  Json statement = {{"Effect", "Allow"}, {"Action", "s3:GetObject"}, {"Resource", "arn:aws:s3:::amzn-s3-demo-bucket/photos/*.jpg"}};
  EXPECT_EQ(alice_with(statement, "s3:GetObject", kObject).decision, Decision::kAllowed);
  EXPECT_EQ(alice_with(statement, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/Photos/cat.jpg").decision,
            Decision::kDenied);
  // Object keys may hold colons: the resource part of the ARN is matched whole.
  EXPECT_EQ(alice_with(statement, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/photos/a:b.jpg").decision,
            Decision::kAllowed);
  Json not_resource = {{"Effect", "Allow"}, {"Action", "s3:GetObject"}, {"NotResource", "arn:aws:s3:::amzn-s3-demo-bucket/secret/*"}};
  EXPECT_EQ(alice_with(not_resource, "s3:GetObject", kObject).decision, Decision::kAllowed);
  EXPECT_EQ(alice_with(not_resource, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/secret/k").decision,
            Decision::kDenied);
}

// IAM User Guide, policy variables: each user's home folder.
TEST(S3AccessElements, PolicyVariablesInResources) {
  Json statement = {{"Effect", "Allow"}, {"Action", "s3:*"}, {"Resource", "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"}};
  EXPECT_EQ(alice_with(statement, "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/alice/notes.txt").decision,
            Decision::kAllowed);
  EXPECT_EQ(alice_with(statement, "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/bob/notes.txt").decision,
            Decision::kDenied);
}

TEST(S3AccessElements, SingleStatementObjectAndPolicyText) {
  BucketAccessState state = state_with(R"({"Version":"2012-10-17","Statement":{"Sid":"One","Effect":"Allow",
    "Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}})");
  EXPECT_EQ(judge(state, "", "s3:GetObject", kObject).decided_by, "bucket policy Statement[0] (Sid One)");
}

// --- Conditions ----------------------------------------------------------------------------------

// Whether alice's identity policy allows s3:GetObject under `condition` with `context`.
bool holds(const Json& condition, const Json& context) {
  Json statement = {{"Effect", "Allow"}, {"Action", "s3:GetObject"}, {"Resource", "*"}, {"Condition", condition}};
  return alice_with(statement, "s3:GetObject", kObject, context).decision == Decision::kAllowed;
}

TEST(S3AccessCondition, StringOperators) {
  EXPECT_TRUE(holds({{"StringEquals", {{"s3:prefix", Json::array({"home/", "docs/"})}}}}, {{"s3:prefix", "docs/"}}));
  EXPECT_FALSE(holds({{"StringEquals", {{"s3:prefix", "docs/"}}}}, {{"s3:prefix", "Docs/"}}));
  EXPECT_TRUE(holds({{"StringEqualsIgnoreCase", {{"s3:prefix", "docs/"}}}}, {{"s3:prefix", "Docs/"}}));
  EXPECT_FALSE(holds({{"StringNotEqualsIgnoreCase", {{"s3:prefix", "docs/"}}}}, {{"s3:prefix", "Docs/"}}));
  // Negated operators with several values hold only when the value matches none of them.
  EXPECT_FALSE(holds({{"StringNotEquals", {{"s3:prefix", Json::array({"home/", "docs/"})}}}}, {{"s3:prefix", "docs/"}}));
  EXPECT_TRUE(holds({{"StringNotEquals", {{"s3:prefix", Json::array({"home/", "docs/"})}}}}, {{"s3:prefix", "tmp/"}}));
  EXPECT_TRUE(holds({{"StringLike", {{"s3:prefix", "home/*/p?"}}}}, {{"s3:prefix", "home/alice/pq"}}));
  EXPECT_FALSE(holds({{"StringLike", {{"s3:prefix", "home/*"}}}}, {{"s3:prefix", "HOME/alice"}}));
  EXPECT_FALSE(holds({{"StringNotLike", {{"s3:prefix", "home/*"}}}}, {{"s3:prefix", "home/alice"}}));
  // Condition key names ignore case.
  EXPECT_TRUE(holds({{"StringEquals", {{"S3:Prefix", "docs/"}}}}, {{"s3:prefix", "docs/"}}));
}

TEST(S3AccessCondition, MissingKeys) {
  EXPECT_FALSE(holds({{"StringEquals", {{"aws:SourceVpce", "vpce-1a2b3c4d"}}}}, Json::object()));
  EXPECT_TRUE(holds({{"StringNotEquals", {{"aws:SourceVpce", "vpce-1a2b3c4d"}}}}, Json::object()));
  EXPECT_TRUE(holds({{"StringEqualsIfExists", {{"aws:SourceVpce", "vpce-1a2b3c4d"}}}}, Json::object()));
  EXPECT_FALSE(holds({{"StringEqualsIfExists", {{"aws:SourceVpce", "vpce-1a2b3c4d"}}}}, {{"aws:SourceVpce", "vpce-9"}}));
  EXPECT_TRUE(holds({{"Null", {{"aws:TokenIssueTime", "true"}}}}, Json::object()));
  EXPECT_FALSE(holds({{"Null", {{"aws:TokenIssueTime", "true"}}}}, {{"aws:TokenIssueTime", "2024-01-01T00:00:00Z"}}));
  EXPECT_TRUE(holds({{"Null", {{"aws:TokenIssueTime", "false"}}}}, {{"aws:TokenIssueTime", "2024-01-01T00:00:00Z"}}));
}

TEST(S3AccessCondition, BoolNumericAndDate) {
  EXPECT_TRUE(holds({{"Bool", {{"aws:SecureTransport", "true"}}}}, {{"aws:SecureTransport", true}}));
  EXPECT_FALSE(holds({{"Bool", {{"aws:SecureTransport", "true"}}}}, {{"aws:SecureTransport", "false"}}));
  EXPECT_TRUE(holds({{"NumericLessThanEquals", {{"s3:max-keys", "10"}}}}, {{"s3:max-keys", 10}}));
  EXPECT_FALSE(holds({{"NumericLessThan", {{"s3:max-keys", "10"}}}}, {{"s3:max-keys", "10"}}));
  EXPECT_TRUE(holds({{"NumericGreaterThan", {{"s3:max-keys", "10"}}}}, {{"s3:max-keys", "11"}}));
  EXPECT_FALSE(holds({{"NumericEquals", {{"s3:max-keys", "10"}}}}, {{"s3:max-keys", "ten"}}));
  Json before = {{"DateLessThan", {{"aws:CurrentTime", "2024-07-01T00:00:00Z"}}}};
  EXPECT_TRUE(holds(before, {{"aws:CurrentTime", "2024-06-30T23:59:59Z"}}));
  EXPECT_FALSE(holds(before, {{"aws:CurrentTime", "2024-07-01T00:00:01Z"}}));
  EXPECT_TRUE(holds({{"DateGreaterThanEquals", {{"aws:EpochTime", "1719792000"}}}}, {{"aws:EpochTime", "2024-07-01T00:00:00Z"}}));
}

TEST(S3AccessCondition, IpAndArn) {
  EXPECT_TRUE(holds({{"IpAddress", {{"aws:SourceIp", "203.0.113.0/24"}}}}, {{"aws:SourceIp", "203.0.113.7"}}));
  EXPECT_FALSE(holds({{"IpAddress", {{"aws:SourceIp", "203.0.113.0/24"}}}}, {{"aws:SourceIp", "198.51.100.1"}}));
  EXPECT_TRUE(holds({{"IpAddress", {{"aws:SourceIp", "2001:db8::/32"}}}}, {{"aws:SourceIp", "2001:db8:ffff::1"}}));
  EXPECT_TRUE(holds({{"ArnLike", {{"aws:SourceArn", "arn:aws:cloudtrail:*:111122223333:trail/*"}}}},
                    {{"aws:SourceArn", "arn:aws:cloudtrail:us-east-2:111122223333:trail/main"}}));
  // A wildcard stays inside its part of the ARN.
  EXPECT_FALSE(holds({{"ArnLike", {{"aws:SourceArn", "arn:aws:cloudtrail:*:trail/main"}}}},
                     {{"aws:SourceArn", "arn:aws:cloudtrail:us-east-2:111122223333:trail/main"}}));
  EXPECT_FALSE(holds({{"ArnNotEquals", {{"aws:PrincipalArn", kAlice}}}}, Json::object()));  // filled in from the caller
  EXPECT_TRUE(holds({{"StringEquals", {{"aws:PrincipalAccount", kOwner}, {"aws:username", "alice"}}}}, Json::object()));
}

TEST(S3AccessCondition, SetOperators) {
  Json any = {{"ForAnyValue:StringEquals", {{"aws:TagKeys", Json::array({"team", "cost-center"})}}}};
  EXPECT_TRUE(holds(any, {{"aws:TagKeys", Json::array({"owner", "team"})}}));
  EXPECT_FALSE(holds(any, {{"aws:TagKeys", Json::array({"owner"})}}));
  EXPECT_FALSE(holds(any, Json::object()));
  Json all = {{"ForAllValues:StringLike", {{"aws:TagKeys", Json::array({"team", "cost-*"})}}}};
  EXPECT_TRUE(holds(all, {{"aws:TagKeys", Json::array({"team", "cost-center"})}}));
  EXPECT_FALSE(holds(all, {{"aws:TagKeys", Json::array({"team", "owner"})}}));
  EXPECT_TRUE(holds(all, Json::object()));  // an empty set is within anything
}

TEST(S3AccessCondition, UnknownOperatorNeverMatchesAndIsExplained) {
  Json condition = {{"StringEqualz", {{"s3:prefix", "docs/"}}}};
  Json statement = {{"Effect", "Allow"}, {"Action", "s3:GetObject"}, {"Resource", "*"}, {"Condition", condition}};
  Verdict allow = alice_with(statement, "s3:GetObject", kObject, {{"s3:prefix", "docs/"}});
  EXPECT_EQ(allow.decision, Decision::kDenied);
  EXPECT_NE(allow.explanation.find("unknown condition operator \"StringEqualz\""), std::string::npos)
      << allow.explanation;
  // In a Deny the statement does not apply either, and the verdict says so rather than staying silent.
  BucketAccessState state = state_with(policy_of({{"Sid", "Typo"}, {"Effect", "Deny"}, {"Principal", "*"},
                                                  {"Action", "s3:*"}, {"Resource", "*"}, {"Condition", condition}}));
  state.identity_policies = std::vector<Json>{s3_full_access()};
  Verdict deny = judge(state, kAlice, "s3:GetObject", kObject, {{"s3:prefix", "docs/"}});
  EXPECT_EQ(deny.decision, Decision::kAllowed);
  EXPECT_NE(deny.explanation.find("bucket policy Statement[0] (Sid Typo) does not apply: unknown condition operator"),
            std::string::npos)
      << deny.explanation;
}

// --- policy_is_public, on the S3 User Guide's examples ("The meaning of public") -------------------

Json allow_everyone(Json condition) {
  Json statement = {{"Effect", "Allow"}, {"Principal", "*"}, {"Action", "s3:PutObject"}, {"Resource", "*"}};
  if (!condition.is_null()) statement["Condition"] = std::move(condition);
  return policy_of(statement);
}

TEST(S3AccessPublic, WildcardPrincipalsArePublicUnlessPinnedToFixedValues) {
  EXPECT_TRUE(policy_is_public(public_read_policy()));
  EXPECT_TRUE(policy_is_public(allow_everyone(nullptr)));
  EXPECT_TRUE(policy_is_public(allow_everyone({{"StringLike", {{"aws:SourceVpc", "vpc-*"}}}})));
  EXPECT_FALSE(policy_is_public(allow_everyone({{"StringEquals", {{"aws:SourceVpc", "vpc-91237329"}}}})));
  EXPECT_FALSE(policy_is_public(allow_everyone({{"StringEquals", {{"aws:SourceVpce", "vpce-1a2b3c4d"}}}})));
  EXPECT_FALSE(policy_is_public(allow_everyone({{"StringEquals", {{"aws:PrincipalOrgID", "o-exampleorgid"}}}})));
  EXPECT_FALSE(policy_is_public(allow_everyone({{"StringEquals", {{"aws:SourceAccount", kOwner}}}})));
  EXPECT_FALSE(policy_is_public(
      allow_everyone({{"ArnEquals", {{"aws:SourceArn", "arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE"}}}})));
  // Conditions that pin nothing: a key anyone can satisfy, a negated operator, IfExists, a variable.
  EXPECT_TRUE(policy_is_public(allow_everyone({{"Bool", {{"aws:SecureTransport", "true"}}}})));
  EXPECT_TRUE(policy_is_public(allow_everyone({{"StringNotEquals", {{"aws:SourceVpce", "vpce-1a2b3c4d"}}}})));
  EXPECT_TRUE(policy_is_public(allow_everyone({{"StringEqualsIfExists", {{"aws:SourceVpce", "vpce-1a2b3c4d"}}}})));
  EXPECT_TRUE(policy_is_public(allow_everyone({{"StringEquals", {{"aws:SourceAccount", "${aws:PrincipalAccount}"}}}})));
}

TEST(S3AccessPublic, SourceIpPinsOnlyNarrowRanges) {
  EXPECT_FALSE(policy_is_public(allow_everyone({{"IpAddress", {{"aws:SourceIp", "192.0.2.0/24"}}}})));
  EXPECT_FALSE(policy_is_public(allow_everyone({{"IpAddress", {{"aws:SourceIp", "2001:DB8:1234:5678::/64"}}}})));
  EXPECT_TRUE(policy_is_public(allow_everyone({{"IpAddress", {{"aws:SourceIp", "0.0.0.0/0"}}}})));
  EXPECT_TRUE(policy_is_public(allow_everyone({{"IpAddress", {{"aws:SourceIp", "0.0.0.0/1"}}}})));
  EXPECT_TRUE(policy_is_public(allow_everyone({{"IpAddress", {{"aws:SourceIp", "::/0"}}}})));
  EXPECT_TRUE(policy_is_public(allow_everyone({{"IpAddress", {{"aws:SourceIp", Json::array({"192.0.2.0/24", "0.0.0.0/0"})}}}})));
  EXPECT_TRUE(policy_is_public(allow_everyone({{"NotIpAddress", {{"aws:SourceIp", "192.0.2.0/24"}}}})));
}

TEST(S3AccessPublic, NamedPrincipalsDeniesAndNotPrincipal) {
  EXPECT_FALSE(policy_is_public(cross_account_write_policy()));
  EXPECT_FALSE(policy_is_public(source_ip_deny_policy()));
  EXPECT_FALSE(policy_is_public(nullptr));
  EXPECT_TRUE(policy_is_public(policy_of({{"Effect", "Allow"}, {"NotPrincipal", {{"AWS", kBob}}},
                                          {"Action", "s3:GetObject"}, {"Resource", "*"}})));
}

TEST(S3AccessPublic, PinnedWildcardGrantIsAllowedNotPublic) {
  BucketAccessState state = state_with(allow_everyone({{"StringEquals", {{"aws:SourceVpce", "vpce-1a2b3c4d"}}}}));
  EXPECT_EQ(judge(state, "", "s3:PutObject", kObject, {{"aws:SourceVpce", "vpce-1a2b3c4d"}}).decision,
            Decision::kAllowed);
  EXPECT_EQ(judge(state, "", "s3:PutObject", kObject, {{"aws:SourceVpce", "vpce-0000"}}).decision, Decision::kDenied);
}

// --- parse_policy_document and names -----------------------------------------------------------------

TEST(S3AccessParse, PolicyDocuments) {
  Json policy = parse_policy_document(public_read_policy().dump(), "bucket policy of b");
  EXPECT_EQ(policy, public_read_policy());
  auto message = [](std::string_view text) {
    try {
      parse_policy_document(text, "bucket policy of b");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_TRUE(message("{\"Statement\": [").starts_with("bucket policy of b is not valid JSON: parse error"));
  EXPECT_EQ(message(R"({"Version":"2012-10-17"})"), "bucket policy of b has no Statement");
  EXPECT_EQ(message("[]"), "bucket policy of b is not a JSON object");
  EXPECT_EQ(message(R"({"Statement":[]})"), "bucket policy of b has an empty Statement list");
  EXPECT_EQ(message(R"({"Statement":[{"Effect":"Permit","Action":"s3:*"}]})"),
            "bucket policy of b: Statement[0] has no Effect Allow or Deny");
  EXPECT_EQ(message(R"({"Statement":{"Effect":"Allow"}})"), "bucket policy of b: Statement[0] has no Action or NotAction");
}

TEST(S3AccessParse, DecisionNames) {
  EXPECT_EQ(decision_name(Decision::kAllowed), "allowed");
  EXPECT_EQ(decision_name(Decision::kPublic), "public");
  EXPECT_EQ(decision_name(Decision::kDenied), "denied");
}

}  // namespace
}  // namespace firebreak::playbooks::s3
