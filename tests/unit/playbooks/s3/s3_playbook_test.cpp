// The S3 playbook's input checks, step order, the plans and undo calls its steps derive from
// observed state, and the bucket's GuardDuty findings decoded from recorded GuardDuty answers
// (moto has neither ListFindings nor GetFindings). Observe and apply run against moto in
// tests/e2e/playbooks/test_s3.py.
#include <functional>
#include <memory>
#include <mutex>

#include <gtest/gtest.h>

#include "firebreak/aws/client.h"
#include "firebreak/base/error.h"
#include "firebreak/cloudtrail/filter.h"
#include "firebreak/findings/listing.h"
#include "firebreak/playbooks/s3/s3_playbook.h"
#include "firebreak/playbooks/s3/steps.h"
#include "../../aws/support/test_env.h"
#include "../../findings/test_data.h"

namespace firebreak::playbooks {
namespace {

const std::string kBucket = "victim-data";
const std::string kResponder = "arn:aws:iam::111122223333:user/responder";
const std::string kIntruder = "arn:aws:iam::111122223333:user/intruder";

const std::string kOwnerPolicy =
    R"({"Version": "2012-10-17", "Statement": [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",)"
    R"( "Action": "s3:GetObject", "Resource": "arn:aws:s3:::victim-data/*"}]})";

class S3PlaybookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.use_test_credentials();
    env_.set("AWS_MAX_ATTEMPTS", "1");
  }

  engine::Playbook playbook(S3Options options = {}) {
    if (options.bucket.empty()) options.bucket = kBucket;
    options.region = "us-east-1";
    return make_s3_playbook(session_, options);
  }

  static const engine::Step& step(const engine::Playbook& playbook, std::string_view name) {
    int index = playbook.index_of(name);
    EXPECT_GE(index, 0) << name;
    return *playbook.steps()[static_cast<size_t>(index)];
  }

  aws::ScopedEnv env_;
  aws::Session session_{aws::SessionOptions{.region = "us-east-1"}};
};

TEST(S3Names, FollowS3sBucketNamingRules) {
  for (const std::string& good : std::vector<std::string>{"abc", "victim-data", "logs.example.com", "a1-b2.c3",
                                                          std::string(63, 'a')}) {
    EXPECT_NO_THROW(validate_bucket_name(good)) << good;
  }
  for (const std::string& bad : std::vector<std::string>{"", "ab", std::string(64, 'a'), "Bad", "bad_bucket", "-lead", "trail-", "a..b",
                          "192.168.1.1", "xn--abc", "sthree-x", "x-s3alias", "abc--ol-s3", "a b", "a/b", "a\"b"}) {
    EXPECT_THROW(validate_bucket_name(bad), InputError) << bad;
  }
}

TEST(S3Names, PrincipalsAreUserRoleSessionOrRootArns) {
  for (const char* good : {"arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/ops/alice",
                           "arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:root",
                           "arn:aws:sts::111122223333:assumed-role/Admin/session@x"}) {
    EXPECT_NO_THROW(validate_principal_arn(good)) << good;
  }
  for (const char* bad : {"alice", "arn:aws:iam::1111:user/alice", "arn:aws:s3:::bucket", "*",
                          "arn:aws:iam::111122223333:user/al\"ice", "arn:aws:sts::111122223333:assumed-role/Admin"}) {
    EXPECT_THROW(validate_principal_arn(bad), InputError) << bad;
  }
}

TEST(S3Names, DetectiveLinks) {
  EXPECT_EQ(detective_finding_url("eu-west-1", "abc123"),
            "https://console.aws.amazon.com/detective/home?region=eu-west-1#findings/GuardDuty/abc123");
}

TEST(S3Names, PrincipalArnPatternsNameTheRoleBehindASession) {
  EXPECT_EQ(s3::principal_arn_patterns("arn:aws:sts::111122223333:assumed-role/Admin/jane"),
            (std::vector<std::string>{"arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:role/*/Admin"}));
  EXPECT_EQ(s3::principal_arn_patterns("arn:aws:iam::111122223333:role/ops/Admin"),
            (std::vector<std::string>{"arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:role/*/Admin"}));
  EXPECT_EQ(s3::principal_arn_patterns(kIntruder), (std::vector<std::string>{kIntruder}));
}

TEST(S3Names, EventNamesBecomeIamActions) {
  EXPECT_EQ(s3::iam_action_for("GetObject"), "s3:GetObject");
  EXPECT_EQ(s3::iam_action_for("ListObjectsV2"), "s3:ListBucket");
  EXPECT_EQ(s3::iam_action_for("HeadObject"), "s3:GetObject");
  EXPECT_EQ(s3::iam_action_for("PutBucketPolicy"), "s3:PutBucketPolicy");
  EXPECT_TRUE(s3::is_object_action("s3:PutObject"));
  EXPECT_TRUE(s3::is_object_action("s3:AbortMultipartUpload"));
  EXPECT_FALSE(s3::is_object_action("s3:ListBucket"));
  EXPECT_FALSE(s3::is_object_action("s3:PutBucketPolicy"));
}

TEST(S3Trail, TheHuntKeepsOnlyEventsAboutTheBucket) {
  EXPECT_EQ(cloudtrail::bucket_name_of(R"({"bucketName":"victim-data","key":"a"})"), "victim-data");
  EXPECT_EQ(cloudtrail::bucket_name_of(R"({ "Host": "x", "bucketName" : "victim-data" })"), "victim-data");
  EXPECT_EQ(cloudtrail::bucket_name_of(R"({"bucketPolicy":{}})"), "");
  EXPECT_EQ(cloudtrail::bucket_name_of(""), "");
  cloudtrail::FilterOptions options;
  options.buckets = {"victim-data"};
  cloudtrail::Filter filter(options);
  EXPECT_TRUE(filter.needs_nested_members());
  EXPECT_EQ(filter.required_literals(), std::vector<std::string>{"victim-data"});
  cloudtrail::Event event;
  event.request_parameters = R"({"bucketName": "victim-data"})";
  EXPECT_TRUE(filter.matches(event));
  event.request_parameters = R"({"bucketName": "victim-data-2"})";
  EXPECT_FALSE(filter.matches(event));
  event.request_parameters = "";
  EXPECT_FALSE(filter.matches(event));
}

TEST(S3Source, TheFindingsPrincipalIsDeniedOnlyWhenItIsAValidArn) {
  S3Options options;
  options.deny_principals = {kIntruder};
  findings::Incident finding;
  finding.actor.arn = "arn:aws:sts::111122223333:assumed-role/Admin/x";
  finding.actor.role_arn = "arn:aws:iam::111122223333:role/Admin";
  options.finding = finding;
  EXPECT_EQ(s3::offending_principals(options), (std::vector<std::string>{kIntruder, "arn:aws:iam::111122223333:role/Admin"}));
  options.finding->actor.role_arn = "";
  options.finding->actor.arn = "GeneratedFindingUserName\"}";
  EXPECT_EQ(s3::offending_principals(options), (std::vector<std::string>{kIntruder}));
}

TEST_F(S3PlaybookTest, RefusesBadOptionsBeforeAnyCall) {
  EXPECT_THROW(playbook({.bucket = "Bad_Bucket"}), InputError);
  EXPECT_THROW(playbook({.deny_principals = {"alice"}}), InputError);
  EXPECT_THROW(playbook({.lockdown = true, .responder_roles = {kIntruder}}), InputError);  // a user, not a role
  EXPECT_THROW(playbook({.vpc_endpoint = "vpce-0123abcd"}), InputError);                 // without --lockdown
  EXPECT_THROW(playbook({.lockdown = true, .vpc_endpoint = "vpce-xyz"}), InputError);
}

TEST_F(S3PlaybookTest, RecordsFirstAndBlocksPublicAccessAfterThePolicyAndAcls) {
  auto p = playbook();
  std::vector<std::string> names;
  for (const auto& s : p.steps()) names.push_back(s->spec().name);
  EXPECT_EQ(names, (std::vector<std::string>{"identify-bucket", "identify-source", "check-cloudtrail", "record-bucket",
                                             "authorization", "bucket-policy", "disable-acls", "enable-versioning",
                                             "block-public-access", "account-block-public-access"}));
  for (const char* name : {"bucket-policy", "disable-acls", "enable-versioning", "block-public-access"}) {
    EXPECT_EQ(step(p, name).spec().depends_on, std::vector<std::string>{"record-bucket"}) << name;
    EXPECT_TRUE(step(p, name).spec().reversible) << name;
  }
  // An order, not a need: a policy that cannot be written must not keep the bucket public.
  EXPECT_EQ(step(p, "block-public-access").spec().after, (std::vector<std::string>{"bucket-policy", "disable-acls"}));
  EXPECT_EQ(step(p, "authorization").spec().after, (std::vector<std::string>{"check-cloudtrail", "record-bucket"}));
  EXPECT_EQ(step(p, "account-block-public-access").spec().decision, "account-bpa");
  for (const auto& op : p.operations()) EXPECT_NE(op.operation, "DeleteBucket");
}

TEST_F(S3PlaybookTest, PolicyMergesADenyAndUndoPutsBackTheOriginalText) {
  auto p = playbook({.deny_principals = {kIntruder, "arn:aws:sts::111122223333:assumed-role/Admin/x", kResponder}});
  const auto& policy = step(p, "bucket-policy");
  Json observed{{"policy", kOwnerPolicy}, {"responder", kResponder}};
  auto plan = policy.plan(observed);
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_NE(plan.changes[0].find("FirebreakDenySource"), std::string::npos);
  EXPECT_NE(plan.changes[0].find(kIntruder), std::string::npos);
  EXPECT_NE(plan.changes[0].find("role/*/Admin"), std::string::npos);
  EXPECT_EQ(plan.changes[0].find(kResponder), std::string::npos) << "the responder is never denied";

  auto undo = policy.undo(observed, observed);
  ASSERT_EQ(undo.size(), 1u);
  EXPECT_EQ(undo[0].operation, "PutBucketPolicy");
  EXPECT_EQ(undo[0].input["Policy"], kOwnerPolicy);
  EXPECT_EQ(undo[0].input["Bucket"], kBucket);
  EXPECT_EQ(undo[0].region, "us-east-1");
  auto none = policy.undo({{"policy", nullptr}, {"responder", kResponder}}, observed);
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0].operation, "DeleteBucketPolicy");

  // The owner's statement and firebreak's: already done.
  Json merged = Json::parse(kOwnerPolicy);
  merged["Statement"].push_back(
      {{"Sid", "FirebreakDenySource"}, {"Effect", "Deny"}, {"Principal", "*"}, {"Action", "s3:*"},
       {"Resource", {"arn:aws:s3:::victim-data", "arn:aws:s3:::victim-data/*"}},
       {"Condition", {{"ArnLike", {{"aws:PrincipalArn", {kIntruder, "arn:aws:iam::111122223333:role/Admin",
                                                          "arn:aws:iam::111122223333:role/*/Admin"}}}}}}});
  EXPECT_TRUE(policy.plan({{"policy", merged.dump()}, {"responder", kResponder}}).already_done());

  // Not JSON: nothing is merged into it.
  EXPECT_THROW(policy.plan({{"policy", "{not json"}, {"responder", kResponder}}), Error);
}

TEST_F(S3PlaybookTest, LockdownSparesTheResponderAndTheNamedRoles) {
  const std::string role = "arn:aws:iam::111122223333:role/IR";
  auto p = playbook({.lockdown = true, .responder_roles = {role}, .vpc_endpoint = "vpce-0123abcd",
                     .deny_presigned = true, .block_access_points = true});
  auto plan = step(p, "bucket-policy").plan({{"policy", nullptr}, {"responder", kResponder}});
  ASSERT_EQ(plan.changes.size(), 3u);
  EXPECT_NE(plan.changes[0].find(kResponder), std::string::npos);
  EXPECT_NE(plan.changes[0].find(role), std::string::npos);
  EXPECT_NE(plan.changes[0].find("vpce-0123abcd"), std::string::npos);
  EXPECT_NE(plan.changes[1].find("presigned"), std::string::npos);
  EXPECT_NE(plan.changes[2].find("access point"), std::string::npos);
}

TEST_F(S3PlaybookTest, AclsAreResetBeforeOwnershipAndRestoredAfterIt) {
  auto p = playbook();
  const auto& acls = step(p, "disable-acls");
  Json owner{{"ID", "owner-id"}};
  Json observed{{"ownership", nullptr},
                {"acl", {{"Owner", owner},
                         {"Grants", {{{"Grantee", {{"Type", "CanonicalUser"}, {"ID", "owner-id"}}}, {"Permission", "FULL_CONTROL"}},
                                     {{"Grantee", {{"Type", "Group"}, {"URI", "http://acs.amazonaws.com/groups/global/AllUsers"}}},
                                      {"Permission", "READ"}}}}}}};
  auto plan = acls.plan(observed);
  ASSERT_EQ(plan.changes.size(), 2u);
  EXPECT_NE(plan.changes[0].find("READ to AllUsers"), std::string::npos);
  EXPECT_NE(plan.changes[1].find("BucketOwnerEnforced"), std::string::npos);
  auto undo = acls.undo(observed, observed);
  ASSERT_EQ(undo.size(), 2u);
  EXPECT_EQ(undo[0].operation, "DeleteBucketOwnershipControls");  // ACL writes fail while ACLs are disabled
  EXPECT_EQ(undo[1].operation, "PutBucketAcl");
  EXPECT_EQ(undo[1].input["AccessControlPolicy"], observed["acl"]);

  Json enforced = observed;
  enforced["ownership"] = Json::array({{{"ObjectOwnership", "BucketOwnerEnforced"}}});
  EXPECT_TRUE(acls.plan(enforced).already_done());
}

TEST_F(S3PlaybookTest, BlockPublicAccessUndoesToTheSettingsFound) {
  auto p = playbook();
  const auto& block = step(p, "block-public-access");
  Json none{{"scope", {{"Bucket", kBucket}}}, {"configuration", nullptr}};
  EXPECT_EQ(block.plan(none).changes.size(), 1u);
  EXPECT_EQ(block.undo(none, none)[0].operation, "DeletePublicAccessBlock");
  Json partial{{"scope", {{"Bucket", kBucket}}},
               {"configuration", {{"BlockPublicAcls", true}, {"IgnorePublicAcls", false},
                                  {"BlockPublicPolicy", true}, {"RestrictPublicBuckets", false}}}};
  auto plan = block.plan(partial);
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_NE(plan.changes[0].find("IgnorePublicAcls, RestrictPublicBuckets"), std::string::npos);
  auto undo = block.undo(partial, partial);
  EXPECT_EQ(undo[0].operation, "PutPublicAccessBlock");
  EXPECT_EQ(undo[0].input["PublicAccessBlockConfiguration"], partial["configuration"]);
  Json all = partial;
  for (auto& [name, on] : all["configuration"].items()) on = true;
  EXPECT_TRUE(block.plan(all).already_done());

  const auto& account = step(p, "account-block-public-access");
  Json account_none{{"scope", {{"AccountId", "111122223333"}}}, {"configuration", nullptr}};
  auto account_undo = account.undo(account_none, account_none);
  EXPECT_EQ(account_undo[0].service, "s3control");
  EXPECT_EQ(account_undo[0].input, (Json{{"AccountId", "111122223333"}}));
}

// GuardDuty's answers as the API sends them, for a bucket's findings (moto has no ListFindings).
class RecordedGuardDuty : public aws::HttpTransport {
 public:
  aws::HttpResponse send(const aws::HttpRequest& request) override {
    std::lock_guard lock(mutex_);
    requests.push_back(request);
    auto json = [](const Json& body, int status = 200) {
      return aws::HttpResponse{status, {{"content-type", "application/json"}}, body.dump()};
    };
    if (request.host.starts_with("securityhub.")) return json({{"Findings", Json::array()}});
    if (request.path == "/detector") return json({{"detectorIds", {"d1"}}});
    if (request.path == "/detector/d1/findings") return json({{"findingIds", {"f1"}}});
    if (request.path == "/detector/d1/findings/get") {
      Json finding = findings::testing::read_json(
          findings::testing::shared_data("guardduty-automated-response-sample/guardduty_s3_event.json"));
      finding["service"]["archived"] = false;  // current, as the criterion asks
      return json({{"findings", {finding}}});
    }
    return json({{"message", "unexpected " + request.path}}, 400);
  }
  std::vector<aws::HttpRequest> requests;

 private:
  std::mutex mutex_;
};

TEST_F(S3PlaybookTest, ListsTheBucketsGuardDutyFindingsFromRecordedAnswers) {
  auto transport = std::make_shared<RecordedGuardDuty>();
  aws::Session session(aws::SessionOptions{.region = "us-east-1", .transport = transport});
  findings::ListOptions options;
  options.filter.bucket = "bucketName";  // the bucket the recorded sample names
  options.source = findings::Source::kBoth;
  findings::Listing listing = findings::list_findings(session, options);
  ASSERT_EQ(listing.incidents.size(), 1u) << ::testing::PrintToString(listing.errors) << " "
                                          << ::testing::PrintToString(listing.notes);
  EXPECT_EQ(listing.incidents[0].type, "PenTest:S3/ParrotLinux");
  EXPECT_EQ(listing.incidents[0].resources.bucket_names, std::vector<std::string>{"bucketName"});
  EXPECT_EQ(listing.incidents[0].actor.remote_ip, "198.51.100.0");

  bool asked_by_bucket = false, security_hub_by_bucket = false;
  for (const auto& request : transport->requests) {
    if (request.path == "/detector/d1/findings") {
      const Json criterion = Json::parse(request.body)["findingCriteria"]["criterion"];
      asked_by_bucket = criterion["resource.s3BucketDetails.name"]["equals"] == Json({"bucketName"});
    }
    if (request.host.starts_with("securityhub.")) {
      security_hub_by_bucket = Json::parse(request.body)["Filters"]["ResourceId"][0]["Value"] == ":s3:::bucketName";
    }
  }
  EXPECT_TRUE(asked_by_bucket);
  EXPECT_TRUE(security_hub_by_bucket);

  // Another bucket's finding is left out even when a service ignores the criterion.
  options.filter.bucket = "victim-data";
  EXPECT_TRUE(findings::list_findings(session, options).incidents.empty());
}

}  // namespace
}  // namespace firebreak::playbooks
