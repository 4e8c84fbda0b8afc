// The client's request pipeline with a scripted transport: validation before sending,
// endpoint and signing headers, retries, errors, pagination and waiters.
#include "firebreak/aws/client.h"

#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <mutex>

#include "firebreak/base/error.h"
#include "support/test_env.h"

namespace firebreak::aws {
namespace {

class ScriptedTransport : public HttpTransport {
 public:
  HttpResponse send(const HttpRequest& request) override {
    std::lock_guard lock(mutex_);
    requests.push_back(request);
    if (responses.empty()) throw TransportError("no scripted response left", false);
    HttpResponse response = responses.front();
    responses.pop_front();
    if (response.status == 0) throw TransportError("connection reset", true);
    return response;
  }
  void add(int status, std::string body, HeaderList headers = {}) {
    responses.push_back({status, std::move(headers), std::move(body)});
  }

  std::deque<HttpResponse> responses;
  std::vector<HttpRequest> requests;
  std::mutex mutex_;
};

// Environment for each test: fixed fake keys, no config files, fast retries.
class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.use_test_credentials();
    env_.set("AWS_REGION", "eu-west-1");
    env_.set("AWS_MAX_ATTEMPTS", "3");
    transport = std::make_shared<ScriptedTransport>();
  }

  Session session(std::string endpoint_url = "") {
    SessionOptions options;
    options.transport = transport;
    options.endpoint_url = std::move(endpoint_url);
    return Session(options);
  }

  ScopedEnv env_;
  std::shared_ptr<ScriptedTransport> transport;
};

const char* kCallerIdentity = R"(<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/responder</Arn>
  <UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>)";

TEST_F(ClientTest, SignsAndSendsToThePartitionEndpoint) {
  transport->add(200, kCallerIdentity);
  Json out = session().client("sts").call("GetCallerIdentity");
  EXPECT_EQ(out["Account"], "123456789012");
  EXPECT_EQ(out["ResponseMetadata"]["RetryAttempts"], 0);
  ASSERT_EQ(transport->requests.size(), 1u);
  const HttpRequest& sent = transport->requests[0];
  EXPECT_EQ(sent.url(), "https://sts.eu-west-1.amazonaws.com/");
  EXPECT_NE(sent.header("Authorization").find("Credential=AKIDEXAMPLE/"), std::string::npos);
  EXPECT_NE(sent.header("Authorization").find("/eu-west-1/sts/aws4_request"), std::string::npos);
  EXPECT_EQ(sent.header("User-Agent").rfind("firebreak/", 0), 0u);
}

TEST_F(ClientTest, GlobalServicesSignForUsEast1) {
  transport->add(200, R"(<ListUsersResponse><ListUsersResult><Users/><IsTruncated>false</IsTruncated></ListUsersResult></ListUsersResponse>)");
  session().client("iam").call("ListUsers");
  EXPECT_EQ(transport->requests[0].host, "iam.amazonaws.com");
  EXPECT_NE(transport->requests[0].header("Authorization").find("/us-east-1/iam/aws4_request"), std::string::npos);
}

TEST_F(ClientTest, UnknownOperationsAndParametersFailBeforeAnyRequest) {
  auto s = session();
  EXPECT_THROW(s.client("ec2").call("DescribeInstancez"), InputError);
  EXPECT_THROW(s.client("ec2").call("DescribeInstances", {{"InstanceIdz", Json::array()}}), InputError);
  EXPECT_THROW(s.client("ec2").call("DescribeInstances", {{"InstanceIds", "i-1"}}), InputError);
  EXPECT_THROW(s.client("not-a-service"), InputError);
  EXPECT_TRUE(transport->requests.empty());
}

TEST_F(ClientTest, ThrottlingIsRetriedThenSucceeds) {
  env_.set("AWS_MAX_ATTEMPTS", "3");
  const char* throttled = R"(<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r1</RequestID></Response>)";
  transport->add(503, throttled);
  transport->add(200, R"(<DescribeInstancesResponse><requestId>r2</requestId><reservationSet/></DescribeInstancesResponse>)");
  Json out = session().client("ec2").call("DescribeInstances");
  EXPECT_EQ(out["ResponseMetadata"]["RetryAttempts"], 1);
  EXPECT_EQ(transport->requests.size(), 2u);
}

TEST_F(ClientTest, ErrorsCarryServiceOperationCodeMessageStatusAndRequestId) {
  transport->add(400, R"(<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID 'i-0123456789abcdef0' does not exist</Message></Error></Errors><RequestID>req-42</RequestID></Response>)");
  try {
    session().client("ec2").call("StopInstances", {{"InstanceIds", {"i-0123456789abcdef0"}}});
    FAIL();
  } catch (const AwsError& e) {
    EXPECT_EQ(e.service(), "ec2");
    EXPECT_EQ(e.operation(), "StopInstances");
    EXPECT_EQ(e.code(), "InvalidInstanceID.NotFound");
    EXPECT_EQ(e.http_status(), 400);
    EXPECT_EQ(e.request_id(), "req-42");
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos);
  }
  EXPECT_EQ(transport->requests.size(), 1u) << "client errors are not retried";
}

TEST_F(ClientTest, NonIdempotentCallIsNotRepeatedAfterTheRequestMayHaveArrived) {
  transport->add(0, "");  // connection reset after sending
  EXPECT_THROW(session().client("ec2").call("TerminateInstances", {{"InstanceIds", {"i-1"}}}), AwsError);
  EXPECT_EQ(transport->requests.size(), 1u);
}

TEST_F(ClientTest, UnreachableEndpointIsAnErrorWithNoStatusAfterEveryAttempt) {
  env_.set("AWS_MAX_ATTEMPTS", "2");
  try {
    session().client("ec2").call("DescribeRegions");
    FAIL();
  } catch (const AwsError& e) {
    EXPECT_EQ(e.code(), "EndpointConnectionError");
    EXPECT_EQ(e.http_status(), 0);
  }
  EXPECT_EQ(transport->requests.size(), 2u);
}

TEST_F(ClientTest, EndpointOverrideKeepsS3PathStyleAndDropsHostPrefixOnLoopback) {
  transport->add(200, "", {{"x-amz-request-id", "r"}});
  transport->add(200, R"(<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlockConfiguration>)");
  auto s = session("http://127.0.0.1:5000");
  s.client("s3").call("PutObject", {{"Bucket", "evidence"}, {"Key", "a b/c.json"}, {"Body", "{}"}});
  EXPECT_EQ(transport->requests[0].url(), "http://127.0.0.1:5000/evidence/a%20b/c.json");
  EXPECT_FALSE(transport->requests[0].header("x-amz-content-sha256").empty());
  s.client("s3control").call("GetPublicAccessBlock", {{"AccountId", "123456789012"}});
  EXPECT_EQ(transport->requests[1].host, "127.0.0.1:5000");
  EXPECT_EQ(transport->requests[1].header("x-amz-account-id"), "123456789012");
}

TEST_F(ClientTest, RealS3UsesVirtualHostsAndS3ControlItsAccountPrefix) {
  transport->add(200, "");
  transport->add(200, R"(<PublicAccessBlockConfiguration/>)");
  auto s = session();
  s.client("s3").call("PutObject", {{"Bucket", "evidence-bucket"}, {"Key", "k"}, {"Body", "x"}});
  EXPECT_EQ(transport->requests[0].url(), "https://evidence-bucket.s3.eu-west-1.amazonaws.com/k");
  EXPECT_EQ(transport->requests[0].header("x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  s.client("s3control").call("GetPublicAccessBlock", {{"AccountId", "123456789012"}});
  EXPECT_EQ(transport->requests[1].host, "123456789012.s3-control.eu-west-1.amazonaws.com");
}

TEST_F(ClientTest, PaginatesUntilTheLastPageAndMergesResultKeys) {
  transport->add(200, R"(<ListUsersResponse><ListUsersResult><Users><member><UserName>a</UserName><UserId>1</UserId><Arn>x</Arn><Path>/</Path><CreateDate>2020-01-01T00:00:00Z</CreateDate></member></Users><IsTruncated>true</IsTruncated><Marker>m1</Marker></ListUsersResult></ListUsersResponse>)");
  transport->add(200, R"(<ListUsersResponse><ListUsersResult><Users><member><UserName>b</UserName><UserId>2</UserId><Arn>y</Arn><Path>/</Path><CreateDate>2020-01-01T00:00:00Z</CreateDate></member></Users><IsTruncated>false</IsTruncated></ListUsersResult></ListUsersResponse>)");
  Json all = session().client("iam").paginate("ListUsers").all();
  ASSERT_EQ(all["Users"].size(), 2u);
  EXPECT_EQ(all["Users"][1]["UserName"], "b");
  ASSERT_EQ(transport->requests.size(), 2u);
  EXPECT_NE(transport->requests[1].body.find("Marker=m1"), std::string::npos);
  EXPECT_THROW(session().client("sts").paginate("GetCallerIdentity"), InputError);
}

TEST_F(ClientTest, WaiterPollsUntilSuccessAndReportsProgress) {
  const char* pending = R"(<DescribeSnapshotsResponse><snapshotSet><item><snapshotId>snap-1</snapshotId><status>pending</status><progress>40%</progress></item></snapshotSet></DescribeSnapshotsResponse>)";
  const char* done = R"(<DescribeSnapshotsResponse><snapshotSet><item><snapshotId>snap-1</snapshotId><status>completed</status><progress>100%</progress></item></snapshotSet></DescribeSnapshotsResponse>)";
  transport->add(200, pending);
  transport->add(200, done);
  int progress_calls = 0;
  WaitOptions options;
  options.delay = std::chrono::seconds(0);
  options.progress = [&](int attempt, int max, const Json& response) {
    ++progress_calls;
    EXPECT_EQ(response["Snapshots"][0]["Progress"], "40%");
  };
  Json out = session().client("ec2").wait("SnapshotCompleted", {{"SnapshotIds", {"snap-1"}}}, options);
  EXPECT_EQ(out["Snapshots"][0]["State"], "completed");
  EXPECT_EQ(progress_calls, 1);
}

TEST_F(ClientTest, WaiterStopsOnItsFailureState) {
  transport->add(200, R"(<DescribeSnapshotsResponse><snapshotSet><item><snapshotId>snap-1</snapshotId><status>error</status></item></snapshotSet></DescribeSnapshotsResponse>)");
  WaitOptions options;
  options.delay = std::chrono::seconds(0);
  EXPECT_THROW(session().client("ec2").wait("SnapshotCompleted", {{"SnapshotIds", {"snap-1"}}}, options), Error);
}

}  // namespace
}  // namespace firebreak::aws
