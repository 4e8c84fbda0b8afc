// IMDSv2 and the ECS container endpoint, played by a loopback peer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>

#include "../support/http_peer.h"
#include "../support/test_env.h"
#include "firebreak/aws/auth/providers.h"
#include "firebreak/base/error.h"
#include "firebreak/base/time.h"

namespace firebreak::aws {
namespace {

constexpr const char* kImdsToken = "fake-imds-session-token";
constexpr const char* kRoleCredentials = R"({
  "Code": "Success",
  "LastUpdated": "2029-12-31T23:00:00Z",
  "Type": "AWS-HMAC",
  "AccessKeyId": "ASIAIMDS",
  "SecretAccessKey": "imds-fake-secret",
  "Token": "imds-fake-token",
  "Expiration": "2030-01-01T00:00:00Z"
})";

// A metadata service with IMDSv2 required, one role attached.
HttpResponse imds(const HttpRequest& request) {
  if (request.path == "/latest/api/token") {
    if (request.method != "PUT") return {405, {}, ""};
    if (request.header("x-aws-ec2-metadata-token-ttl-seconds").empty()) return {400, {}, ""};
    return {200, {{"Content-Type", "text/plain"}}, kImdsToken};
  }
  if (request.header("X-aws-ec2-metadata-token") != kImdsToken) return {401, {}, ""};
  if (request.path == "/latest/meta-data/iam/security-credentials/") {
    return {200, {}, "responder-role\n"};
  }
  if (request.path == "/latest/meta-data/iam/security-credentials/responder-role") {
    return {200, {}, kRoleCredentials};
  }
  return {404, {}, ""};
}

class MetadataProvidersTest : public ::testing::Test {
 protected:
  void SetUp() override { env_.clear_aws(); }

  std::shared_ptr<const SharedConfig> config(std::string_view text = "") {
    return std::make_shared<const SharedConfig>(SharedConfig::parse(text, ""));
  }

  // A port nothing listens on: bound, then released.
  static std::string closed_endpoint() {
    HttpPeer peer([](const HttpRequest&) { return HttpResponse{}; });
    std::string url = peer.url();
    peer.stop();
    return url;
  }

  ScopedEnv env_;
  TempDir dir_;
};

TEST_F(MetadataProvidersTest, ImdsV2TokenFirstThenRoleThenCredentials) {
  HttpPeer peer(imds);
  env_.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", peer.url() + "/");
  auto credentials = InstanceMetadataProvider(config(), "default").load();
  ASSERT_TRUE(credentials.has_value());
  EXPECT_EQ(credentials->access_key_id, "ASIAIMDS");
  EXPECT_TRUE(credentials->secret_access_key == "imds-fake-secret");
  EXPECT_TRUE(credentials->session_token == "imds-fake-token");
  EXPECT_EQ(credentials->provider, "iam-role");
  EXPECT_EQ(format_iso8601(*credentials->expiration), "2030-01-01T00:00:00Z");

  auto requests = peer.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].path, "/latest/api/token");
  EXPECT_EQ(requests[0].header("X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  for (size_t i = 1; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].method, "GET");
    EXPECT_TRUE(requests[i].header("x-aws-ec2-metadata-token") == kImdsToken);
  }
  EXPECT_EQ(requests[2].path, "/latest/meta-data/iam/security-credentials/responder-role");
}

TEST_F(MetadataProvidersTest, ImdsEndpointFromTheProfile) {
  HttpPeer peer(imds);
  auto provider = InstanceMetadataProvider(
      config("[default]\nec2_metadata_service_endpoint = " + peer.url() + "\n"), "default");
  EXPECT_EQ(provider.load()->access_key_id, "ASIAIMDS");
}

TEST_F(MetadataProvidersTest, ImdsDisabled) {
  HttpPeer peer(imds);
  env_.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", peer.url());
  env_.set("AWS_EC2_METADATA_DISABLED", "TRUE");
  EXPECT_FALSE(InstanceMetadataProvider(config(), "default").load().has_value());
  EXPECT_EQ(peer.request_count(), 0u);
}

TEST_F(MetadataProvidersTest, ImdsUnreachableIsNotConfiguredAndFast) {
  env_.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", closed_endpoint());
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(InstanceMetadataProvider(config(), "default").load().has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(MetadataProvidersTest, ImdsWithoutRoleIsNotConfigured) {
  HttpPeer peer([](const HttpRequest& request) {
    if (request.path == "/latest/api/token") return HttpResponse{200, {}, kImdsToken};
    return HttpResponse{404, {}, ""};
  });
  env_.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", peer.url());
  EXPECT_FALSE(InstanceMetadataProvider(config(), "default").load().has_value());
}

TEST_F(MetadataProvidersTest, ImdsRetriesOnceAfterAServerError) {
  std::atomic<int> token_calls{0};
  HttpPeer peer([&](const HttpRequest& request) {
    if (request.path == "/latest/api/token" && token_calls++ == 0) return HttpResponse{503, {}, ""};
    return imds(request);
  });
  env_.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", peer.url());
  EXPECT_EQ(InstanceMetadataProvider(config(), "default").load()->access_key_id, "ASIAIMDS");
  EXPECT_EQ(token_calls.load(), 2);
}

TEST_F(MetadataProvidersTest, ImdsV1FallbackOnlyWhenAllowed) {
  HttpPeer peer([](const HttpRequest& request) {
    if (request.path == "/latest/api/token") return HttpResponse{404, {}, ""};
    if (request.has_header("x-aws-ec2-metadata-token")) return HttpResponse{400, {}, ""};
    if (request.path == "/latest/meta-data/iam/security-credentials/") {
      return HttpResponse{200, {}, "old-role"};
    }
    if (request.path == "/latest/meta-data/iam/security-credentials/old-role") {
      return HttpResponse{200, {}, kRoleCredentials};
    }
    return HttpResponse{404, {}, ""};
  });
  env_.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", peer.url());
  EXPECT_EQ(InstanceMetadataProvider(config(), "default").load()->access_key_id, "ASIAIMDS");
  env_.set("AWS_EC2_METADATA_V1_DISABLED", "true");
  EXPECT_FALSE(InstanceMetadataProvider(config(), "default").load().has_value());
}

TEST_F(MetadataProvidersTest, ImdsFailureCodeIsAnError) {
  HttpPeer peer([](const HttpRequest& request) {
    if (request.path == "/latest/api/token") return HttpResponse{200, {}, kImdsToken};
    if (request.path.ends_with("/security-credentials/")) return HttpResponse{200, {}, "r"};
    return HttpResponse{200, {}, R"({"Code": "AssumeRoleUnauthorizedAccess"})"};
  });
  env_.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", peer.url());
  try {
    InstanceMetadataProvider(config(), "default").load();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("AssumeRoleUnauthorizedAccess"), std::string::npos);
  }
}

TEST_F(MetadataProvidersTest, ImdsBadSettingsAreErrors) {
  env_.set("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv5");
  EXPECT_THROW(InstanceMetadataProvider(config(), "default").load(), ConfigError);
  env_.unset("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
  env_.set("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "lots");
  EXPECT_THROW(InstanceMetadataProvider(config(), "default").load(), ConfigError);
}

constexpr const char* kContainerCredentials = R"({
  "AccessKeyId": "ASIAECS",
  "SecretAccessKey": "ecs-fake-secret",
  "Token": "ecs-fake-token",
  "Expiration": "2030-02-03T04:05:06Z",
  "RoleArn": "arn:aws:iam::1:role/task"
})";

TEST_F(MetadataProvidersTest, ContainerNotConfigured) {
  EXPECT_FALSE(ContainerProvider().load().has_value());
}

TEST_F(MetadataProvidersTest, ContainerFullUriWithAuthorizationToken) {
  HttpPeer peer([](const HttpRequest& request) {
    if (request.path != "/v2/credentials/abc" || request.header("Authorization") != "fake-auth") {
      return HttpResponse{403, {}, R"({"code": "Denied", "message": "bad token"})"};
    }
    return HttpResponse{200, {{"Content-Type", "application/json"}}, kContainerCredentials};
  });
  env_.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", peer.url() + "/v2/credentials/abc?x=1");
  env_.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "fake-auth");
  auto credentials = ContainerProvider().load();
  ASSERT_TRUE(credentials.has_value());
  EXPECT_EQ(credentials->access_key_id, "ASIAECS");
  EXPECT_TRUE(credentials->session_token == "ecs-fake-token");
  EXPECT_EQ(credentials->provider, "container-role");
  EXPECT_EQ(format_iso8601(*credentials->expiration), "2030-02-03T04:05:06Z");
  auto requests = peer.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].query, (HeaderList{{"x", "1"}}));
  EXPECT_EQ(requests[0].header("Accept"), "application/json");
}

TEST_F(MetadataProvidersTest, ContainerTokenFileWinsOverTokenVariable) {
  HttpPeer peer([](const HttpRequest& request) {
    if (request.header("Authorization") != "from-file") return HttpResponse{403, {}, ""};
    return HttpResponse{200, {}, kContainerCredentials};
  });
  env_.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", peer.url() + "/creds");
  env_.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "from-variable");
  env_.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir_.write("token", "from-file\n").string());
  EXPECT_EQ(ContainerProvider().load()->access_key_id, "ASIAECS");
}

TEST_F(MetadataProvidersTest, ContainerRejectsOtherHostsOverHttp) {
  env_.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://attacker.example.com/creds");
  try {
    ContainerProvider().load();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("attacker.example.com"), std::string::npos);
  }
  env_.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "ftp://127.0.0.1/creds");
  EXPECT_THROW(ContainerProvider().load(), ConfigError);
}

// Records the request instead of sending it.
class RecordingTransport : public HttpTransport {
 public:
  explicit RecordingTransport(HttpResponse response) : response_(std::move(response)) {}
  HttpResponse send(const HttpRequest& request) override {
    requests.push_back(request);
    return response_;
  }
  std::vector<HttpRequest> requests;

 private:
  HttpResponse response_;
};

TEST_F(MetadataProvidersTest, ContainerAllowsAnyHostOverHttpsAndTheEcsAddress) {
  auto transport =
      std::make_shared<RecordingTransport>(HttpResponse{200, {}, kContainerCredentials});
  env_.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "https://creds.example.com:8443/v1");
  EXPECT_EQ(ContainerProvider(transport).load()->access_key_id, "ASIAECS");
  EXPECT_EQ(transport->requests.at(0).url(), "https://creds.example.com:8443/v1");

  env_.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://[fd00:ec2::23]/v1");
  EXPECT_EQ(ContainerProvider(transport).load()->access_key_id, "ASIAECS");
  EXPECT_EQ(transport->requests.at(1).host, "[fd00:ec2::23]");

  // The relative form goes to the ECS agent's address and wins over the full form.
  env_.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/task-id");
  EXPECT_EQ(ContainerProvider(transport).load()->access_key_id, "ASIAECS");
  EXPECT_EQ(transport->requests.at(2).url(), "http://169.254.170.2/v2/credentials/task-id");
}

TEST_F(MetadataProvidersTest, ContainerFailuresAreErrors) {
  std::atomic<int> calls{0};
  HttpPeer peer([&](const HttpRequest&) {
    ++calls;
    return HttpResponse{500, {}, R"({"message": "agent restarting"})"};
  });
  env_.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", peer.url() + "/creds");
  try {
    ContainerProvider().load();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 500: agent restarting"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(calls.load(), 3);

  calls = 0;
  peer.set_handler([&](const HttpRequest&) {
    ++calls;
    return HttpResponse{403, {}, ""};
  });
  EXPECT_THROW(ContainerProvider().load(), ConfigError);
  EXPECT_EQ(calls.load(), 1) << "a refusal is not retried";
}

TEST_F(MetadataProvidersTest, ChainFallsThroughToImds) {
  HttpPeer peer(imds);
  env_.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", peer.url());
  env_.set("AWS_CONFIG_FILE", (dir_.path() / "none").string());
  env_.set("AWS_SHARED_CREDENTIALS_FILE", (dir_.path() / "none").string());
  auto chain = default_credential_chain(SharedConfig::load(), "", nullptr);
  EXPECT_EQ(chain->load()->provider, "iam-role");
}

TEST_F(MetadataProvidersTest, ChainMovesOnWhenImdsIsUnreachable) {
  env_.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", closed_endpoint());
  auto chain = default_credential_chain(SharedConfig::parse("", ""), "", nullptr);
  try {
    chain->load();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no AWS credentials found"), std::string::npos);
  }
}

TEST_F(MetadataProvidersTest, RoleWithImdsCredentialSource) {
  HttpPeer peer(imds);
  env_.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", peer.url());
  std::optional<Credentials> signer;
  StsCall sts = [&](std::string_view, const Json&, const std::optional<Credentials>& credentials) {
    signer = credentials;
    return Json{{"Credentials",
                 {{"AccessKeyId", "ASIAROLE"},
                  {"SecretAccessKey", "s"},
                  {"SessionToken", "t"},
                  {"Expiration", "2030-01-01T00:00:00+00:00"}}}};
  };
  ProviderContext context{
      config("[profile r]\nrole_arn = arn:aws:iam::1:role/R\ncredential_source = "
             "Ec2InstanceMetadata\n"),
      sts, nullptr};
  EXPECT_EQ(AssumeRoleProvider(context, "r").load()->access_key_id, "ASIAROLE");
  ASSERT_TRUE(signer.has_value());
  EXPECT_EQ(signer->access_key_id, "ASIAIMDS");
}

}  // namespace
}  // namespace firebreak::aws
