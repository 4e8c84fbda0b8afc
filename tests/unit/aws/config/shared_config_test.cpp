#include "firebreak/aws/config/shared_config.h"

#include <gtest/gtest.h>

#include <string>

#include "../support/test_env.h"
#include "firebreak/base/error.h"

namespace firebreak::aws {
namespace {

class SharedConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { env_.clear_aws(); }
  ScopedEnv env_;
};

constexpr std::string_view kConfig = R"(# a comment
; another comment
[default]
region = us-east-1
output=json

[profile dev]
region = eu-west-1
role_arn = arn:aws:iam::123456789012:role/Dev
credential_process = /opt/get-creds --format=json --filter=a=b
Max_Attempts: 5
s3 =
  addressing_style = path
  use_accelerate_endpoint = false

[profile  spaced ]
region = ap-south-1

[profilex]
region = nowhere

[sso-session corp]
sso_region = us-east-1

[services local]
ec2 =
  endpoint_url = http://localhost:4000
sso_admin =
  endpoint_url = http://localhost:4001
)";

constexpr std::string_view kCredentials = "[default]\r\n"
                                          "aws_access_key_id = AKIDEXAMPLEDEFAULT\r\n"
                                          "aws_secret_access_key = fake/secret+with=equals\r\n"
                                          "[dev]\r\n"
                                          "region = us-west-2\r\n"
                                          "[ci]\r\n"
                                          "aws_access_key_id = AKIDEXAMPLECI\r\n";

TEST_F(SharedConfigTest, ReadsProfilesFromBothFiles) {
  SharedConfig config = SharedConfig::parse(kConfig, kCredentials);
  EXPECT_TRUE(config.has_profile("default"));
  EXPECT_TRUE(config.has_profile("dev"));
  EXPECT_TRUE(config.has_profile("spaced"));
  EXPECT_TRUE(config.has_profile("ci"));  // only in the credentials file
  EXPECT_FALSE(config.has_profile("profilex"));
  EXPECT_FALSE(config.has_profile("corp"));
  EXPECT_FALSE(config.has_profile("sso-session corp"));

  EXPECT_EQ(config.get("default", "output"), "json");
  EXPECT_EQ(config.get("spaced", "region"), "ap-south-1");
  // '=' and ':' inside values, ':' as a delimiter, names case-insensitive.
  EXPECT_EQ(config.get("dev", "credential_process"), "/opt/get-creds --format=json --filter=a=b");
  EXPECT_EQ(config.get("dev", "role_arn"), "arn:aws:iam::123456789012:role/Dev");
  EXPECT_EQ(config.get("dev", "max_attempts"), "5");
  EXPECT_TRUE(config.get("default", "aws_secret_access_key") == "fake/secret+with=equals");
  EXPECT_EQ(config.get("dev", "missing"), std::nullopt);
  EXPECT_EQ(config.get("nobody", "region"), std::nullopt);
}

TEST_F(SharedConfigTest, CredentialsFileWinsInTheMergedProfile) {
  SharedConfig config = SharedConfig::parse(kConfig, kCredentials);
  EXPECT_EQ(config.get("dev", "region"), "us-west-2");
  ConfigSection merged = config.profile("dev");
  EXPECT_EQ(merged.get("region"), "us-west-2");
  EXPECT_EQ(merged.get("role_arn"), "arn:aws:iam::123456789012:role/Dev");
  ASSERT_NE(config.config_profile("dev"), nullptr);
  EXPECT_EQ(config.config_profile("dev")->get("region"), "eu-west-1");
  EXPECT_EQ(config.credentials_profile("spaced"), nullptr);
}

TEST_F(SharedConfigTest, NestedSubsections) {
  SharedConfig config = SharedConfig::parse(kConfig, "");
  const ConfigSection* dev = config.config_profile("dev");
  ASSERT_NE(dev, nullptr);
  ASSERT_TRUE(dev->subsections.contains("s3"));
  EXPECT_EQ(dev->subsections.at("s3").at("addressing_style"), "path");
  EXPECT_EQ(dev->subsections.at("s3").at("use_accelerate_endpoint"), "false");
  const ConfigSection* services = config.services("local");
  ASSERT_NE(services, nullptr);
  EXPECT_EQ(services->subsections.at("ec2").at("endpoint_url"), "http://localhost:4000");
}

TEST_F(SharedConfigTest, ProfileDefaultSectionIsTheDefaultProfile) {
  SharedConfig config = SharedConfig::parse("[profile default]\nregion = sa-east-1\n", "");
  EXPECT_EQ(config.get("default", "region"), "sa-east-1");
}

TEST_F(SharedConfigTest, IndentedLinesContinueAValue) {
  SharedConfig config = SharedConfig::parse("[default]\nnote = first\n  second\nregion = x\n", "");
  EXPECT_EQ(config.get("default", "note"), "first\nsecond");
  EXPECT_EQ(config.get("default", "region"), "x");
}

TEST_F(SharedConfigTest, MalformedLineIsAnErrorThatDoesNotQuoteTheLine) {
  try {
    SharedConfig::parse("", "[default]\naws_access_key_id = AKIDEXAMPLE\nSECRETNOTQUOTED\n",
                        "config", "/tmp/creds");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("line 3"), std::string::npos) << message;
    EXPECT_NE(message.find("/tmp/creds"), std::string::npos) << message;
    EXPECT_EQ(message.find("SECRETNOTQUOTED"), std::string::npos);
  }
}

TEST_F(SharedConfigTest, SettingBeforeAnySectionIsAnError) {
  EXPECT_THROW(SharedConfig::parse("region = us-east-1\n", ""), ConfigError);
}

TEST_F(SharedConfigTest, NestedValueWithoutEqualsIsAnError) {
  EXPECT_THROW(SharedConfig::parse("[default]\ns3 =\n  nonsense\n", ""), ConfigError);
}

TEST_F(SharedConfigTest, LoadReadsTheFilesNamedByTheEnvironment) {
  TempDir dir;
  env_.set("AWS_CONFIG_FILE", dir.write("config", "[profile a]\nregion = eu-north-1\n").string());
  env_.set("AWS_SHARED_CREDENTIALS_FILE",
           dir.write("creds", "[b]\nregion = eu-south-1\n").string());
  SharedConfig config = SharedConfig::load();
  EXPECT_EQ(config.get("a", "region"), "eu-north-1");
  EXPECT_EQ(config.get("b", "region"), "eu-south-1");
  EXPECT_EQ(config.config_path(), (dir.path() / "config").string());
}

TEST_F(SharedConfigTest, LoadDefaultsToTheHomeDirectoryAndToleratesMissingFiles) {
  TempDir dir;
  env_.set("HOME", dir.path().string());
  SharedConfig empty = SharedConfig::load();
  EXPECT_FALSE(empty.has_profile("default"));
  dir.write(".aws/config", "[default]\nregion = me-south-1\n");
  EXPECT_EQ(SharedConfig::load().get("default", "region"), "me-south-1");
  env_.set("AWS_CONFIG_FILE", "~/elsewhere");
  dir.write("elsewhere", "[default]\nregion = af-south-1\n");
  EXPECT_EQ(SharedConfig::load().get("default", "region"), "af-south-1");
}

TEST_F(SharedConfigTest, ActiveProfile) {
  SharedConfig config = SharedConfig::parse(kConfig, kCredentials);
  EXPECT_EQ(active_profile(config, ""), "default");
  env_.set("AWS_PROFILE", "ci");
  EXPECT_EQ(active_profile(config, ""), "ci");
  EXPECT_EQ(active_profile(config, "dev"), "dev");
  try {
    active_profile(config, "nonexistent");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("\"nonexistent\""), std::string::npos) << e.what();
  }
  env_.set("AWS_PROFILE", "ghost");
  EXPECT_THROW(active_profile(config, ""), ConfigError);
  // "default" may be absent.
  EXPECT_EQ(active_profile(SharedConfig::parse("", ""), "default"), "default");
}

TEST_F(SharedConfigTest, RegionPrecedence) {
  SharedConfig config = SharedConfig::parse(kConfig, kCredentials);
  EXPECT_EQ(resolve_region(config, "spaced"), "ap-south-1");
  EXPECT_EQ(resolve_region(config, "ci"), "");
  env_.set("AWS_DEFAULT_REGION", "ca-central-1");
  EXPECT_EQ(resolve_region(config, "spaced"), "ca-central-1");
  env_.set("AWS_REGION", "eu-central-1");
  EXPECT_EQ(resolve_region(config, "spaced"), "eu-central-1");
  EXPECT_EQ(resolve_region(config, "spaced", "us-gov-west-1"), "us-gov-west-1");
}

TEST_F(SharedConfigTest, EndpointUrlPrecedence) {
  SharedConfig config = SharedConfig::parse(
      "[profile p]\nservices = local\nendpoint_url = http://profile-wide\n"
      "[services local]\nec2 =\n  endpoint_url = http://from-services\n"
      "sso_admin =\n  endpoint_url = http://sso-admin-services\n",
      "");
  EXPECT_EQ(resolve_endpoint_url(config, "p", "EC2"), "http://from-services");
  EXPECT_EQ(resolve_endpoint_url(config, "p", "SSO Admin"), "http://sso-admin-services");
  EXPECT_EQ(resolve_endpoint_url(config, "p", "IAM"), "http://profile-wide");
  EXPECT_EQ(resolve_endpoint_url(config, "other", "IAM"), "");

  env_.set("AWS_ENDPOINT_URL", "http://global-env");
  EXPECT_EQ(resolve_endpoint_url(config, "p", "EC2"), "http://global-env");
  env_.set("AWS_ENDPOINT_URL_SSO_ADMIN", "http://sso-admin-env");
  EXPECT_EQ(resolve_endpoint_url(config, "p", "SSO Admin"), "http://sso-admin-env");
  env_.set("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", "http://elbv2-env");
  EXPECT_EQ(resolve_endpoint_url(config, "p", "Elastic Load Balancing v2"), "http://elbv2-env");
  env_.set("AWS_ENDPOINT_URL_CLOUDTRAIL_DATA", "http://ctd");
  EXPECT_EQ(resolve_endpoint_url(config, "p", "CloudTrail-Data"), "http://ctd");

  env_.set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE");
  EXPECT_EQ(resolve_endpoint_url(config, "p", "EC2"), "");
  env_.set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "maybe");
  EXPECT_THROW(resolve_endpoint_url(config, "p", "EC2"), ConfigError);
}

TEST_F(SharedConfigTest, ProfileCanIgnoreConfiguredEndpoints) {
  SharedConfig config = SharedConfig::parse(
      "[profile p]\nendpoint_url = http://x\nignore_configured_endpoint_urls = true\n", "");
  env_.set("AWS_ENDPOINT_URL", "http://env");
  EXPECT_EQ(resolve_endpoint_url(config, "p", "EC2"), "");
  // The variable, when set, decides over the profile.
  env_.set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false");
  EXPECT_EQ(resolve_endpoint_url(config, "p", "EC2"), "http://env");
}

TEST_F(SharedConfigTest, RetrySettings) {
  SharedConfig config = SharedConfig::parse(
      "[profile p]\nmax_attempts = 7\nretry_mode = Adaptive\n[profile bad]\nretry_mode = "
      "turbo\n[profile zero]\nmax_attempts = 0\n",
      "");
  RetrySettings defaults = resolve_retry(config, "default");
  EXPECT_EQ(defaults.max_attempts, 3);
  EXPECT_EQ(defaults.mode, RetryMode::standard);

  RetrySettings profile = resolve_retry(config, "p");
  EXPECT_EQ(profile.max_attempts, 7);
  EXPECT_EQ(profile.mode, RetryMode::adaptive);
  EXPECT_EQ(to_string(profile.mode), "adaptive");

  env_.set("AWS_MAX_ATTEMPTS", "2");
  env_.set("AWS_RETRY_MODE", "legacy");
  RetrySettings from_env = resolve_retry(config, "p");
  EXPECT_EQ(from_env.max_attempts, 2);
  EXPECT_EQ(from_env.mode, RetryMode::legacy);
  env_.unset("AWS_MAX_ATTEMPTS");
  env_.unset("AWS_RETRY_MODE");

  try {
    resolve_retry(config, "bad");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("turbo"), std::string::npos) << e.what();
  }
  EXPECT_THROW(resolve_retry(config, "zero"), ConfigError);
  env_.set("AWS_MAX_ATTEMPTS", "three");
  try {
    resolve_retry(config, "default");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("three"), std::string::npos) << e.what();
  }
}

TEST_F(SharedConfigTest, CaBundle) {
  SharedConfig config = SharedConfig::parse("[profile p]\nca_bundle = /etc/corp.pem\n", "");
  EXPECT_EQ(resolve_ca_bundle(config, "p"), "/etc/corp.pem");
  EXPECT_EQ(resolve_ca_bundle(config, "default"), "");
  env_.set("AWS_CA_BUNDLE", "/etc/env.pem");
  EXPECT_EQ(resolve_ca_bundle(config, "p"), "/etc/env.pem");
}

}  // namespace
}  // namespace firebreak::aws
