// The environment and shared-file providers, and the order of the default chain.
#include <gtest/gtest.h>

#include <string>

#include "../support/test_env.h"
#include "firebreak/aws/auth/providers.h"
#include "firebreak/base/error.h"
#include "firebreak/base/time.h"

namespace firebreak::aws {
namespace {

// Obviously fake values; secrets are compared with EXPECT_TRUE so a failure never prints them.
constexpr const char* kEnvKeyId = "AKIDENVEXAMPLE";
constexpr const char* kEnvSecret = "env-fake-secret";

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.clear_aws();
    // Nothing on this machine may answer: no IMDS, no files outside the test's directory.
    env_.set("AWS_EC2_METADATA_DISABLED", "true");
    env_.set("AWS_CONFIG_FILE", (dir_.path() / "config").string());
    env_.set("AWS_SHARED_CREDENTIALS_FILE", (dir_.path() / "credentials").string());
  }

  SharedConfig write_config(std::string_view config, std::string_view credentials) {
    dir_.write("config", config);
    dir_.write("credentials", credentials);
    return SharedConfig::load();
  }

  static StsCall no_sts() {
    return [](std::string_view, const Json&, const std::optional<Credentials>&) -> Json {
      throw Error("STS must not be called in this test");
    };
  }

  ScopedEnv env_;
  TempDir dir_;
};

TEST(CredentialsExpiry, ExpiresWithinUsesTheClock) {
  SystemTime now = from_epoch_seconds(1'700'000'000);
  Clock::set_for_testing([now] { return now; });
  Credentials credentials;
  EXPECT_FALSE(credentials.expires_within(std::chrono::hours(100)));  // no expiration
  credentials.expiration = now + std::chrono::minutes(10);
  EXPECT_TRUE(credentials.expires_within(std::chrono::minutes(10)));
  EXPECT_FALSE(credentials.expires_within(std::chrono::minutes(9)));
  Clock::set_for_testing({});
}

TEST_F(CredentialsTest, EnvironmentProvider) {
  EnvironmentProvider provider;
  EXPECT_FALSE(provider.load().has_value());

  env_.set("AWS_ACCESS_KEY_ID", kEnvKeyId);
  env_.set("AWS_SECRET_ACCESS_KEY", kEnvSecret);
  auto credentials = provider.load();
  ASSERT_TRUE(credentials.has_value());
  EXPECT_EQ(credentials->access_key_id, kEnvKeyId);
  EXPECT_TRUE(credentials->secret_access_key == kEnvSecret);
  EXPECT_TRUE(credentials->session_token.empty());
  EXPECT_FALSE(credentials->expiration.has_value());
  EXPECT_EQ(credentials->provider, "env");

  env_.set("AWS_SECURITY_TOKEN", "legacy-fake-token");
  EXPECT_TRUE(provider.load()->session_token == "legacy-fake-token");
  env_.set("AWS_SESSION_TOKEN", "fake-token");
  EXPECT_TRUE(provider.load()->session_token == "fake-token");

  env_.set("AWS_CREDENTIAL_EXPIRATION", "2030-01-02T03:04:05Z");
  EXPECT_EQ(format_iso8601(*provider.load()->expiration), "2030-01-02T03:04:05Z");
  env_.set("AWS_CREDENTIAL_EXPIRATION", "soon");
  EXPECT_THROW(provider.load(), ConfigError);
}

TEST_F(CredentialsTest, EnvironmentKeyIdWithoutSecretIsAnError) {
  env_.set("AWS_ACCESS_KEY_ID", kEnvKeyId);
  EnvironmentProvider provider;
  try {
    provider.load();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
  }
}

TEST_F(CredentialsTest, StaticProfileProvidersReadTheirOwnFile) {
  auto config = std::make_shared<const SharedConfig>(write_config(
      "[profile dev]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = config-secret\n"
      "[profile broken]\naws_access_key_id = AKIDBROKEN\n",
      "[dev]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = creds-secret\n"
      "aws_session_token = creds-token\n"
      "[legacy]\naws_access_key_id = AKIDLEGACY\naws_secret_access_key = s\n"
      "aws_security_token = legacy-token\n"));
  using File = StaticProfileProvider::File;

  auto from_credentials = StaticProfileProvider(config, "dev", File::credentials).load();
  ASSERT_TRUE(from_credentials.has_value());
  EXPECT_EQ(from_credentials->access_key_id, "AKIDCREDS");
  EXPECT_TRUE(from_credentials->secret_access_key == "creds-secret");
  EXPECT_TRUE(from_credentials->session_token == "creds-token");
  EXPECT_EQ(from_credentials->provider, "shared-credentials-file");

  auto from_config = StaticProfileProvider(config, "dev", File::config).load();
  ASSERT_TRUE(from_config.has_value());
  EXPECT_EQ(from_config->access_key_id, "AKIDCONFIG");
  EXPECT_EQ(from_config->provider, "config-file");

  EXPECT_TRUE(StaticProfileProvider(config, "legacy", File::credentials).load()->session_token ==
              "legacy-token");
  EXPECT_FALSE(StaticProfileProvider(config, "nobody", File::credentials).load().has_value());
  EXPECT_FALSE(StaticProfileProvider(config, "legacy", File::config).load().has_value());
  try {
    StaticProfileProvider(config, "broken", File::config).load();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("\"broken\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("aws_secret_access_key"), std::string::npos);
  }
}

TEST_F(CredentialsTest, ChainPrefersTheEnvironment) {
  SharedConfig config = write_config(
      "", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n");
  env_.set("AWS_ACCESS_KEY_ID", kEnvKeyId);
  env_.set("AWS_SECRET_ACCESS_KEY", kEnvSecret);
  auto chain = default_credential_chain(config, "", no_sts());
  EXPECT_EQ(chain->load()->access_key_id, kEnvKeyId);
}

TEST_F(CredentialsTest, AwsProfileDoesNotOverrideEnvironmentKeys) {
  SharedConfig config = write_config(
      "", "[dev]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n");
  env_.set("AWS_ACCESS_KEY_ID", kEnvKeyId);
  env_.set("AWS_SECRET_ACCESS_KEY", kEnvSecret);
  env_.set("AWS_PROFILE", "dev");
  EXPECT_EQ(default_credential_chain(config, "", no_sts())->load()->access_key_id, kEnvKeyId);
}

TEST_F(CredentialsTest, ExplicitProfileSkipsEnvironmentKeys) {
  SharedConfig config = write_config(
      "", "[dev]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n");
  env_.set("AWS_ACCESS_KEY_ID", kEnvKeyId);
  env_.set("AWS_SECRET_ACCESS_KEY", kEnvSecret);
  auto credentials = default_credential_chain(config, "dev", no_sts())->load();
  EXPECT_EQ(credentials->access_key_id, "AKIDFILE");
  EXPECT_EQ(credentials->provider, "shared-credentials-file");
}

TEST_F(CredentialsTest, CredentialsFileBeforeConfigFile) {
  SharedConfig config = write_config(
      "[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = c\n",
      "[default]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = s\n");
  EXPECT_EQ(default_credential_chain(config, "", no_sts())->load()->access_key_id, "AKIDCREDS");

  SharedConfig config_only = write_config(
      "[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = c\n", "");
  EXPECT_EQ(default_credential_chain(config_only, "", no_sts())->load()->access_key_id,
            "AKIDCONFIG");
}

TEST_F(CredentialsTest, MissingNamedProfileIsAnError) {
  SharedConfig config = write_config("", "");
  try {
    default_credential_chain(config, "ghost", no_sts());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("\"ghost\""), std::string::npos) << e.what();
  }
}

TEST_F(CredentialsTest, NothingFoundListsWhereItLooked) {
  SharedConfig config = write_config("", "");
  auto chain = default_credential_chain(config, "", no_sts());
  try {
    chain->load();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("no AWS credentials found for profile \"default\""), std::string::npos)
        << message;
    for (const char* place :
         {"environment", "assume role", "web identity", "shared credentials file",
          "credential_process", "shared config file", "container endpoint",
          "EC2 instance metadata"}) {
      EXPECT_NE(message.find(place), std::string::npos) << place << " missing from: " << message;
    }
  }
}

TEST_F(CredentialsTest, ExplicitProfileChainDoesNotListTheEnvironment) {
  SharedConfig config = write_config("[profile empty]\nregion = us-east-1\n", "");
  try {
    default_credential_chain(config, "empty", no_sts())->load();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).find("environment"), std::string::npos) << e.what();
  }
}

TEST_F(CredentialsTest, BrokenSourceStopsTheChain) {
  // A configured-but-wrong source is an error, not a reason to try the next provider.
  SharedConfig config = write_config(
      "[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = c\n",
      "[default]\naws_access_key_id = AKIDNOSECRET\n");
  EXPECT_THROW(default_credential_chain(config, "", no_sts())->load(), ConfigError);
}

}  // namespace
}  // namespace firebreak::aws
