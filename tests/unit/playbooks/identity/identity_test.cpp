// The identity playbooks' parts that need no AWS: validation, the guard, names, the baseline
// comparison, and the CloudTrail check over real logs and over recorded LookupEvents answers.
#include <cstdlib>
#include <memory>

#include <gtest/gtest.h>

#include "firebreak/aws/client.h"
#include "firebreak/base/error.h"
#include "firebreak/base/time.h"
#include "firebreak/cloudtrail/aws_sources.h"
#include "firebreak/playbooks/identity/account_info.h"
#include "firebreak/playbooks/identity/identity_center.h"
#include "firebreak/playbooks/identity/principals.h"
#include "firebreak/playbooks/identity/trail_review.h"

namespace firebreak::playbooks {
namespace {

TEST(IdentityValidation, AccessKeyIdsAreStrict) {
  EXPECT_NO_THROW(validate_access_key_id("AKIAIOSFODNN7EXAMPLE"));
  EXPECT_NO_THROW(validate_access_key_id("ASIAZ49AHUAJ9OEK73O5"));
  EXPECT_THROW(validate_access_key_id("AKIAIOSFODNN7EXAMPL"), InputError);   // 19
  EXPECT_THROW(validate_access_key_id("AIDAIOSFODNN7EXAMPLE"), InputError);  // a user id
  EXPECT_THROW(validate_access_key_id("AKIAiosfodnn7example"), InputError);
  EXPECT_THROW(validate_access_key_id("AKIAIOSFODNN7EXAMP\"E"), InputError);
}

TEST(IdentityValidation, NamesFollowIamRules) {
  EXPECT_NO_THROW(validate_user_name("alice.smith+ops@example.com"));
  EXPECT_NO_THROW(validate_role_name(std::string(64, 'r')));
  EXPECT_THROW(validate_role_name(std::string(65, 'r')), InputError);
  EXPECT_THROW(validate_user_name(""), InputError);
  EXPECT_THROW(validate_user_name("a/b"), InputError);
  EXPECT_THROW(validate_user_name("a b"), InputError);
  EXPECT_THROW(validate_user_name("a\"}"), InputError);
}

TEST(IdentityGuard, ProtectsTheRespondingUserItsKeyAndTheAllowList) {
  Guard guard("arn:aws:iam::111122223333:user/ops/responder", "AKIAAAAAAAAAAAAAAAAA", {"breakglass", "AKIABBBBBBBBBBBBBBBB"});
  EXPECT_NE(guard.protects_user("responder"), "");
  EXPECT_NE(guard.protects_user("breakglass"), "");
  EXPECT_EQ(guard.protects_user("alice"), "");
  EXPECT_NE(guard.protects_key("alice", "AKIAAAAAAAAAAAAAAAAA"), "");
  EXPECT_NE(guard.protects_key("alice", "AKIABBBBBBBBBBBBBBBB"), "");
  EXPECT_NE(guard.protects_key("responder", "AKIACCCCCCCCCCCCCCCC"), "");
  EXPECT_EQ(guard.protects_key("alice", "AKIACCCCCCCCCCCCCCCC"), "");
  EXPECT_EQ(guard.protects_role("responder"), "");
}

TEST(IdentityGuard, ProtectsTheRoleBehindAnAssumedRoleSession) {
  Guard guard("arn:aws:sts::111122223333:assumed-role/IncidentResponder/jane", "ASIAAAAAAAAAAAAAAAAA", {});
  EXPECT_NE(guard.protects_role("IncidentResponder"), "");
  EXPECT_EQ(guard.protects_role("jane"), "");
  EXPECT_EQ(guard.protects_user("IncidentResponder"), "");
}

TEST(IdentityNames, RoleKinds) {
  EXPECT_TRUE(is_service_linked_role_path("/aws-service-role/elasticbeanstalk.amazonaws.com/"));
  EXPECT_FALSE(is_service_linked_role_path("/"));
  EXPECT_EQ(permission_set_of_role("AWSReservedSSO_ReadOnly_0123456789abcdef"), "ReadOnly");
  EXPECT_EQ(permission_set_of_role("AWSReservedSSO_Power_User_0123456789abcdef"), "Power_User");
  EXPECT_EQ(permission_set_of_role("Admin"), "");
}

TEST(IdentityNames, PrincipalArns) {
  std::vector<std::string> names{"alice", "Deployer"};
  EXPECT_TRUE(principal_is_one_of("arn:aws:iam::1:user/alice", names));
  EXPECT_TRUE(principal_is_one_of("arn:aws:iam::1:user/team/alice", names));
  EXPECT_TRUE(principal_is_one_of("arn:aws:sts::1:assumed-role/Deployer/session", names));
  EXPECT_TRUE(principal_is_one_of("arn:aws:iam::1:role/Deployer", names));
  EXPECT_FALSE(principal_is_one_of("arn:aws:iam::1:user/alice2", names));
  EXPECT_FALSE(principal_is_one_of("arn:aws:sts::1:assumed-role/Other/alice", names));
}

TEST(AccountCheck, ComparesEachItemWithTheBaseline) {
  Json baseline{{"alternate-contact:SECURITY", {{"Name", "Sec"}}}, {"root-mfa", true}, {"trails", Json::array({"t"})},
                {"password-policy", {{"MinimumPasswordLength", 14}}}};
  Json current{{"alternate-contact:SECURITY", {{"Name", "Evil"}}}, {"root-mfa", true}, {"trails", nullptr},
               {"password-policy", {{"error", {{"code", "InternalFailure"}}}}}, {"organization", nullptr}};
  Json out = compare_with_baseline(current, baseline);
  EXPECT_EQ(out["alternate-contact:SECURITY"]["status"], "changed");
  EXPECT_EQ(out["root-mfa"]["status"], "ok");
  EXPECT_EQ(out["trails"]["status"], "missing");
  EXPECT_EQ(out["password-policy"]["status"], "unreadable");
  EXPECT_EQ(out["organization"]["status"], "new");
  EXPECT_EQ(compare_with_baseline(current, Json())["root-mfa"]["status"], "no baseline");
}

TEST(CloudTrailCheck, SummarisesRealLogsForThePrincipal) {
  std::vector<std::unique_ptr<cloudtrail::Source>> sources;
  sources.push_back(cloudtrail::make_file_source(FIREBREAK_SHARED_DATA
                                                 "/stratus-red-team-detonation-logs/aws.persistence.iam-create-admin-user.json"));
  TrailScope scope;
  scope.principals = {"christophe"};
  TrailFindings found = hunt_trail(sources, scope);
  ASSERT_EQ(found.summary.size(), 1u);
  EXPECT_EQ(found.summary[0]["principal"], "arn:aws:iam::229654561268:user/christophe");
  EXPECT_EQ(found.summary[0]["calls"], 3);
  EXPECT_TRUE(found.summary[0]["eventNames"].contains("CreateUser"));
  EXPECT_FALSE(found.resources.empty());

  // The same logs for the account as a whole, christophe being known-good: nothing left.
  sources.clear();
  sources.push_back(cloudtrail::make_file_source(FIREBREAK_SHARED_DATA
                                                 "/stratus-red-team-detonation-logs/aws.persistence.iam-create-admin-user.json"));
  TrailScope account;
  account.known_principals = {"christophe"};
  TrailFindings rest = hunt_trail(sources, account);
  EXPECT_TRUE(rest.summary.empty());
  EXPECT_TRUE(rest.resources.empty());
}

// LookupEvents answers as CloudTrail sends them (recorded), served to a real session.
class RecordedTransport : public aws::HttpTransport {
 public:
  explicit RecordedTransport(int status, std::string body) : status_(status), body_(std::move(body)) {}
  aws::HttpResponse send(const aws::HttpRequest& request) override {
    aws::HttpResponse response;
    response.status = status_;
    response.body = body_;
    response.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
    return response;
  }

 private:
  int status_;
  std::string body_;
};

std::unique_ptr<aws::Session> recorded_session(int status, std::string body) {
  setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "example", 1);
  setenv("AWS_MAX_ATTEMPTS", "1", 1);
  aws::SessionOptions options;
  options.region = "us-east-1";
  options.endpoint_url = "http://127.0.0.1:9";
  options.transport = std::make_shared<RecordedTransport>(status, std::move(body));
  return std::make_unique<aws::Session>(options);
}

int64_t an_hour_ago() {
  return static_cast<int64_t>(to_epoch_seconds(Clock::now() - std::chrono::hours(1)));
}

TEST(CloudTrailCheck, DecodesRecordedLookupEventsAnswers) {
  const std::string record =
      R"({"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice",)"
      R"("accountId":"111122223333","accessKeyId":"AKIAIOSFODNN7EXAMPLE","userName":"alice"},)"
      R"("eventTime":")" + format_iso8601(Clock::now() - std::chrono::minutes(30)) + R"(","eventSource":"ec2.amazonaws.com","eventName":"RunInstances",)"
      R"("awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2","readOnly":false,)"
      R"("requestParameters":{},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-0abc"}]}},)"
      R"("eventID":"e1","eventType":"AwsApiCall","recipientAccountId":"111122223333"})";
  Json page{{"Events", Json::array({Json{{"EventId", "e1"}, {"EventName", "RunInstances"}, {"CloudTrailEvent", record}}})}};
  auto session = recorded_session(200, page.dump());
  TrailScope scope;
  scope.principals = {"alice"};
  scope.since = an_hour_ago();  // one day of LookupEvents
  std::vector<std::unique_ptr<cloudtrail::Source>> sources;
  sources.push_back(cloudtrail::make_lookup_events_source(*session, "us-east-1", {}));
  TrailFindings found = hunt_trail(sources, scope);
  ASSERT_EQ(found.summary.size(), 1u);
  EXPECT_EQ(found.summary[0]["sourceIPs"].begin().key(), "203.0.113.7");
  ASSERT_EQ(found.resources.size(), 1u);
  EXPECT_EQ(found.resources[0]["resource"], "i-0abc");
}

TEST(CloudTrailCheck, AnUnimplementedLookupEventsIsAnErrorNotAnEmptyAnswer) {
  // moto's answer to an operation it does not implement.
  auto session = recorded_session(500, R"({"__type":"InternalFailure","message":"not implemented"})");
  TrailScope scope;
  std::vector<std::unique_ptr<cloudtrail::Source>> sources;
  sources.push_back(cloudtrail::make_lookup_events_source(*session, "us-east-1", {}));
  scope.since = an_hour_ago();
  EXPECT_THROW(hunt_trail(sources, scope), Error);
}

}  // namespace
}  // namespace firebreak::playbooks
