// The identity playbooks' parts that need no AWS: validation, the guard, names, the baseline
// comparison, and the CloudTrail check over real logs and over recorded LookupEvents answers.
#include <algorithm>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "firebreak/aws/client.h"
#include "firebreak/base/error.h"
#include "firebreak/base/time.h"
#include "firebreak/cloudtrail/aws_sources.h"
#include "firebreak/playbooks/identity/account_info.h"
#include "firebreak/playbooks/identity/identity_center.h"
#include "firebreak/playbooks/identity/principals.h"
#include "firebreak/playbooks/identity/reader.h"
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

// Answers as AWS sends them (recorded), served to a real session: each request gets the first
// answer whose needles all occur in it (method, host, path, query, signing scope and body).
struct Recorded {
  std::vector<std::string> needles;
  int status;
  std::string body;
  std::string content_type = "text/xml";
};

class RecordedTransport : public aws::HttpTransport {
 public:
  explicit RecordedTransport(std::vector<Recorded> answers) : answers_(std::move(answers)) {}
  aws::HttpResponse send(const aws::HttpRequest& request) override {
    const std::string seen = request.method + " " + request.host + request.path + "?" + request.query_string() + " " +
                             request.header("Authorization") + " " + request.body;
    for (const auto& answer : answers_) {
      if (std::all_of(answer.needles.begin(), answer.needles.end(),
                      [&](const std::string& needle) { return seen.find(needle) != std::string::npos; })) {
        aws::HttpResponse response;
        response.status = answer.status;
        response.body = answer.body;
        response.headers.emplace_back("Content-Type", answer.content_type);
        return response;
      }
    }
    ADD_FAILURE() << "no recorded answer for " << seen;
    aws::HttpResponse none;
    none.status = 599;
    return none;
  }

 private:
  std::vector<Recorded> answers_;
};

std::unique_ptr<aws::Session> recorded_session(std::vector<Recorded> answers) {
  setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "example", 1);
  setenv("AWS_MAX_ATTEMPTS", "1", 1);
  aws::SessionOptions options;
  options.region = "us-east-1";
  options.endpoint_url = "http://127.0.0.1:9";
  options.transport = std::make_shared<RecordedTransport>(std::move(answers));
  return std::make_unique<aws::Session>(options);
}

std::unique_ptr<aws::Session> recorded_session(int status, std::string body) {
  return recorded_session({{{}, status, std::move(body), "application/x-amz-json-1.1"}});
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

std::string ec2_error(std::string_view code) {
  return fmt::format("<Response><Errors><Error><Code>{}</Code><Message>recorded</Message></Error></Errors>"
                     "<RequestID>r</RequestID></Response>", code);
}

constexpr const char* kEc2 = "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"";
constexpr const char* kIam = "xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"";

TEST(ResourceReview, LooksUpEachTypeWhereItCanBeAndNamesWhatItCannot) {
  auto session = recorded_session({
      {{"Action=DescribeInstances", "/us-east-1/"}, 200,
       fmt::format("<DescribeInstancesResponse {}><requestId>r</requestId><reservationSet><item><reservationId>r-1"
                   "</reservationId><instancesSet><item><instanceId>i-0abc</instanceId><instanceState><code>16</code>"
                   "<name>running</name></instanceState></item></instancesSet></item></reservationSet>"
                   "</DescribeInstancesResponse>", kEc2)},
      {{"Action=DescribeInstances"}, 400, ec2_error("InvalidInstanceID.NotFound")},
      {{"Action=DescribeSecurityGroups"}, 400, ec2_error("InvalidGroup.NotFound")},
      {{"Action=DescribeKeyPairs", "/us-east-1/"}, 403, ec2_error("UnauthorizedOperation")},
      {{"Action=DescribeKeyPairs"}, 400, ec2_error("InvalidKeyPair.NotFound")},
      {{"Action=DescribeImages", "/us-east-1/"}, 200,
       fmt::format("<DescribeImagesResponse {}><requestId>r</requestId><imagesSet/></DescribeImagesResponse>", kEc2)},
      {{"GET", "/functions/", "backdoor", "/eu-west-1/"}, 200,
       R"({"FunctionName":"backdoor","FunctionArn":"arn:aws:lambda:eu-west-1:111122223333:function:backdoor","State":"Active"})",
       "application/json"},
      {{"Action=GetUser", "UserName=eve"}, 200,
       fmt::format("<GetUserResponse {}><GetUserResult><User><Path>/</Path><UserName>eve</UserName><UserId>AIDAEXAMPLE"
                   "</UserId><Arn>arn:aws:iam::111122223333:user/eve</Arn><CreateDate>2024-07-31T12:00:00Z</CreateDate>"
                   "</User></GetUserResult></GetUserResponse>", kIam)},
      {{"Action=GetAccessKeyLastUsed", "AccessKeyId=AKIAIOSFODNN7EXAMPLE"}, 200,
       fmt::format("<GetAccessKeyLastUsedResponse {}><GetAccessKeyLastUsedResult><UserName>eve</UserName>"
                   "<AccessKeyLastUsed><Region>N/A</Region><ServiceName>N/A</ServiceName></AccessKeyLastUsed>"
                   "</GetAccessKeyLastUsedResult></GetAccessKeyLastUsedResponse>", kIam)},
      {{"Action=ListAccessKeys", "UserName=eve"}, 200,
       fmt::format("<ListAccessKeysResponse {}><ListAccessKeysResult><AccessKeyMetadata><member><UserName>eve</UserName>"
                   "<AccessKeyId>AKIAIOSFODNN7EXAMPLE</AccessKeyId><Status>Inactive</Status></member></AccessKeyMetadata>"
                   "<IsTruncated>false</IsTruncated></ListAccessKeysResult></ListAccessKeysResponse>", kIam)},
      {{"GET", "loot", "location"}, 404,
       "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>"},
  });
  const std::string alice = "arn:aws:iam::111122223333:user/alice";
  auto seen = [&](std::string_view service, std::string_view kind, std::string_view id) {
    return Json{{"resource", id}, {"kind", kind}, {"service", service}, {"principals", {{alice, 1}}}};
  };
  Json resources = Json::array({
      seen("ec2", "instanceId", "i-0abc"),
      seen("ec2", "groupId", "sg-0gone"),
      seen("ec2", "keyPairId", "key-0abc"),
      seen("ec2", "ARN", "arn:aws:ec2:us-east-1::image/ami-0123"),
      seen("lambda", "functionArn", "arn:aws:lambda:eu-west-1:111122223333:function:backdoor"),
      seen("iam", "userName", "eve"),
      seen("iam", "accessKeyId", "AKIAIOSFODNN7EXAMPLE"),
      seen("s3", "ARN", "arn:aws:s3:::loot"),
      seen("ssm", "commandId", "f6887251-cdde"),
      seen("ec2", "name", "running"),
  });
  Json summary = Json::array({Json{{"principal", alice}, {"regions", {{"us-east-1", 3}, {"eu-west-1", 1}}}}});
  SessionReader aws(*session);
  Json reviewed = look_up_resources(aws, resources, summary);
  ASSERT_EQ(reviewed.size(), resources.size());
  auto state = [&](size_t i) { return reviewed[i]["state"]; };

  EXPECT_EQ(state(0)["status"], "exists");  // in us-east-1; eu-west-1 said not found
  EXPECT_EQ(state(0)["region"], "us-east-1");
  EXPECT_EQ(state(0)["type"], "EC2 instance");
  EXPECT_EQ(state(0)["detail"]["Reservations"][0]["Instances"][0]["State"]["Name"], "running");
  EXPECT_EQ(state(1)["status"], "gone");  // not found in either region alice used
  EXPECT_EQ(state(1)["region"], Json::array({"us-east-1", "eu-west-1"}));
  EXPECT_EQ(state(2)["status"], "unreadable");  // refused in one region: not called gone
  EXPECT_EQ(state(2)["detail"]["code"], "UnauthorizedOperation");
  EXPECT_EQ(state(3)["status"], "gone");  // an empty answer, in the ARN's region only
  EXPECT_EQ(state(3)["type"], "AMI");
  EXPECT_EQ(state(4)["status"], "exists");
  EXPECT_EQ(state(4)["region"], "eu-west-1");
  EXPECT_EQ(state(4)["detail"]["State"], "Active");
  EXPECT_EQ(state(5)["detail"]["User"]["UserId"], "AIDAEXAMPLE");
  EXPECT_EQ(state(6)["detail"]["UserName"], "eve");
  EXPECT_EQ(state(6)["detail"]["Status"], "Inactive");
  EXPECT_EQ(state(7)["status"], "gone");
  EXPECT_EQ(state(7)["detail"]["code"], "NoSuchBucket");
  EXPECT_EQ(state(8), (Json{{"status", "not looked up"}, {"type", "ssm commandId"}}));
  EXPECT_EQ(state(9), (Json{{"status", "not looked up"}, {"type", "ec2 name"}}));
}

}  // namespace
}  // namespace firebreak::playbooks
