// AssumeRole (source_profile chains, credential_source) and AssumeRoleWithWebIdentity against a
// fake STS.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "../support/test_env.h"
#include "firebreak/aws/auth/providers.h"
#include "firebreak/base/error.h"
#include "firebreak/base/time.h"

namespace firebreak::aws {
namespace {

struct StsRecord {
  std::string operation;
  Json input;
  std::optional<Credentials> credentials;
};

// Answers every call with credentials named after the role ("ASIA" + role name), so a test can
// see which role's credentials signed the next call.
class FakeSts {
 public:
  StsCall call() {
    return [this](std::string_view operation, const Json& input,
                  const std::optional<Credentials>& credentials) -> Json {
      std::lock_guard lock(mutex_);
      records_.push_back({std::string(operation), input, credentials});
      if (fail_with_) throw Error(*fail_with_);
      std::string arn = input.at("RoleArn").get<std::string>();
      std::string role = arn.substr(arn.rfind('/') + 1);
      return {{"Credentials",
               {{"AccessKeyId", "ASIA" + role},
                {"SecretAccessKey", "fake-secret-" + role},
                {"SessionToken", "fake-token-" + role},
                {"Expiration", "2030-01-01T00:00:00+00:00"}}},
              {"AssumedRoleUser", {{"Arn", arn}}}};
    };
  }
  std::vector<StsRecord> records() const {
    std::lock_guard lock(mutex_);
    return records_;
  }
  void fail_with(std::string message) { fail_with_ = std::move(message); }

 private:
  mutable std::mutex mutex_;
  std::vector<StsRecord> records_;
  std::optional<std::string> fail_with_;
};

class RoleProvidersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.clear_aws();
    env_.set("AWS_EC2_METADATA_DISABLED", "true");
  }

  ProviderContext context(std::string_view config, std::string_view credentials = "") {
    return ProviderContext{
        std::make_shared<const SharedConfig>(SharedConfig::parse(config, credentials)),
        sts_.call(), nullptr};
  }

  std::string error_of(CredentialProvider& provider) {
    try {
      provider.load();
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "expected ConfigError";
    return {};
  }

  ScopedEnv env_;
  TempDir dir_;
  FakeSts sts_;
};

constexpr std::string_view kBaseCredentials =
    "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n";

TEST_F(RoleProvidersTest, NotConfiguredWithoutRoleArn) {
  AssumeRoleProvider provider(context("[profile plain]\nregion = us-east-1\n"), "plain");
  EXPECT_FALSE(provider.load().has_value());
  EXPECT_TRUE(sts_.records().empty());
}

TEST_F(RoleProvidersTest, AssumesRoleWithSourceProfileKeys) {
  AssumeRoleProvider provider(
      context("[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/Admin\n"
              "source_profile = base\nexternal_id = ext-123\nduration_seconds = 1800\n"
              "role_session_name = responder\n",
              kBaseCredentials),
      "admin");
  auto credentials = provider.load();
  ASSERT_TRUE(credentials.has_value());
  EXPECT_EQ(credentials->access_key_id, "ASIAAdmin");
  EXPECT_TRUE(credentials->session_token == "fake-token-Admin");
  EXPECT_EQ(credentials->provider, "assume-role");
  ASSERT_TRUE(credentials->expiration.has_value());
  EXPECT_EQ(format_iso8601(*credentials->expiration), "2030-01-01T00:00:00Z");

  auto records = sts_.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].operation, "AssumeRole");
  EXPECT_EQ(records[0].input.at("RoleArn"), "arn:aws:iam::123456789012:role/Admin");
  EXPECT_EQ(records[0].input.at("RoleSessionName"), "responder");
  EXPECT_EQ(records[0].input.at("ExternalId"), "ext-123");
  EXPECT_EQ(records[0].input.at("DurationSeconds"), 1800);
  ASSERT_TRUE(records[0].credentials.has_value());
  EXPECT_EQ(records[0].credentials->access_key_id, "AKIDBASE");
}

TEST_F(RoleProvidersTest, DefaultSessionNameNamesFirebreak) {
  AssumeRoleProvider provider(
      context("[profile admin]\nrole_arn = arn:aws:iam::1:role/Admin\nsource_profile = base\n",
              kBaseCredentials),
      "admin");
  provider.load();
  EXPECT_TRUE(sts_.records().at(0).input.at("RoleSessionName").get<std::string>().starts_with(
      "firebreak-"));
  EXPECT_FALSE(sts_.records().at(0).input.contains("ExternalId"));
  EXPECT_FALSE(sts_.records().at(0).input.contains("DurationSeconds"));
}

TEST_F(RoleProvidersTest, FollowsSourceProfileChains) {
  AssumeRoleProvider provider(
      context("[profile first]\nrole_arn = arn:aws:iam::1:role/First\nsource_profile = base\n"
              "[profile second]\nrole_arn = arn:aws:iam::2:role/Second\nsource_profile = first\n"
              "[profile third]\nrole_arn = arn:aws:iam::3:role/Third\nsource_profile = second\n",
              kBaseCredentials),
      "third");
  EXPECT_EQ(provider.load()->access_key_id, "ASIAThird");
  auto records = sts_.records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].input.at("RoleArn"), "arn:aws:iam::1:role/First");
  EXPECT_EQ(records[0].credentials->access_key_id, "AKIDBASE");
  EXPECT_EQ(records[1].credentials->access_key_id, "ASIAFirst");
  EXPECT_EQ(records[2].credentials->access_key_id, "ASIASecond");
}

TEST_F(RoleProvidersTest, DetectsCycles) {
  AssumeRoleProvider provider(
      context("[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n"
              "[profile b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = a\n"),
      "a");
  std::string message = error_of(provider);
  EXPECT_NE(message.find("loop"), std::string::npos) << message;
  EXPECT_NE(message.find("\"a\" -> \"b\" -> \"a\""), std::string::npos) << message;
  EXPECT_TRUE(sts_.records().empty());
}

TEST_F(RoleProvidersTest, SelfReferenceWithoutKeysIsACycle) {
  AssumeRoleProvider provider(
      context("[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = a\n"), "a");
  EXPECT_NE(error_of(provider).find("loop"), std::string::npos);
}

TEST_F(RoleProvidersTest, SelfReferenceTakesTheProfilesOwnKeys) {
  AssumeRoleProvider provider(
      context("[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = a\n",
              "[a]\naws_access_key_id = AKIDSELF\naws_secret_access_key = self-secret\n"),
      "a");
  EXPECT_EQ(provider.load()->access_key_id, "ASIAA");
  EXPECT_EQ(sts_.records().at(0).credentials->access_key_id, "AKIDSELF");
}

TEST_F(RoleProvidersTest, SourceProfileMayUseCredentialProcess) {
  std::string script = dir_.write("creds.sh",
                                  "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": "
                                  "\"AKIDPROCESS\", \"SecretAccessKey\": \"process-secret\"}'\n",
                                  true)
                           .string();
  AssumeRoleProvider provider(
      context("[profile role]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = proc\n"
              "[profile proc]\ncredential_process = " +
              script + "\n"),
      "role");
  EXPECT_EQ(provider.load()->access_key_id, "ASIAR");
  EXPECT_EQ(sts_.records().at(0).credentials->access_key_id, "AKIDPROCESS");
}

TEST_F(RoleProvidersTest, SourceProfileWithoutCredentialsIsAnError) {
  AssumeRoleProvider provider(
      context("[profile role]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = empty\n"
              "[profile empty]\nregion = us-east-1\n"),
      "role");
  std::string message = error_of(provider);
  EXPECT_NE(message.find("\"empty\" has no credentials"), std::string::npos) << message;
}

TEST_F(RoleProvidersTest, MissingSourceProfileIsAnError) {
  AssumeRoleProvider provider(
      context("[profile role]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = ghost\n"),
      "role");
  std::string message = error_of(provider);
  EXPECT_NE(message.find("\"ghost\""), std::string::npos) << message;
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
}

TEST_F(RoleProvidersTest, NeedsExactlyOneSource) {
  AssumeRoleProvider both(
      context("[profile role]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = base\n"
              "credential_source = Environment\n",
              kBaseCredentials),
      "role");
  EXPECT_NE(error_of(both).find("both source_profile and credential_source"), std::string::npos);
  AssumeRoleProvider neither(context("[profile role]\nrole_arn = arn:aws:iam::1:role/R\n"),
                             "role");
  EXPECT_NE(error_of(neither).find("neither source_profile nor credential_source"),
            std::string::npos);
}

TEST_F(RoleProvidersTest, CredentialSourceEnvironment) {
  env_.set("AWS_ACCESS_KEY_ID", "AKIDENV");
  env_.set("AWS_SECRET_ACCESS_KEY", "env-secret");
  AssumeRoleProvider provider(
      context("[profile role]\nrole_arn = arn:aws:iam::1:role/R\n"
              "credential_source = environment\n"),
      "role");
  EXPECT_EQ(provider.load()->access_key_id, "ASIAR");
  EXPECT_EQ(sts_.records().at(0).credentials->access_key_id, "AKIDENV");
}

TEST_F(RoleProvidersTest, CredentialSourceWithNothingThereIsAnError) {
  AssumeRoleProvider imds(
      context("[profile role]\nrole_arn = arn:aws:iam::1:role/R\n"
              "credential_source = Ec2InstanceMetadata\n"),
      "role");
  EXPECT_NE(error_of(imds).find("no credentials found in credential_source"), std::string::npos);
  AssumeRoleProvider unknown(
      context("[profile role]\nrole_arn = arn:aws:iam::1:role/R\ncredential_source = Laptop\n"),
      "role");
  EXPECT_NE(error_of(unknown).find("\"Laptop\""), std::string::npos);
}

TEST_F(RoleProvidersTest, RefusesMfa) {
  AssumeRoleProvider provider(
      context("[profile role]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = base\n"
              "mfa_serial = arn:aws:iam::1:mfa/me\n",
              kBaseCredentials),
      "role");
  std::string message = error_of(provider);
  EXPECT_NE(message.find("mfa_serial"), std::string::npos) << message;
  EXPECT_NE(message.find("does not prompt"), std::string::npos) << message;
  EXPECT_TRUE(sts_.records().empty());
}

TEST_F(RoleProvidersTest, BadDurationIsAnError) {
  AssumeRoleProvider provider(
      context("[profile role]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = base\n"
              "duration_seconds = an hour\n",
              kBaseCredentials),
      "role");
  EXPECT_NE(error_of(provider).find("an hour"), std::string::npos);
}

TEST_F(RoleProvidersTest, StsFailureBecomesAConfigErrorWithItsCause) {
  sts_.fail_with("sts AssumeRole: AccessDenied: not authorized");
  AssumeRoleProvider provider(
      context("[profile role]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = base\n",
              kBaseCredentials),
      "role");
  std::string message = error_of(provider);
  EXPECT_NE(message.find("assuming arn:aws:iam::1:role/R for profile \"role\" failed <- sts "
                         "AssumeRole: AccessDenied"),
            std::string::npos)
      << message;
}

TEST_F(RoleProvidersTest, WebIdentityFromProfile) {
  std::string token_file = dir_.write("token", "fake.jwt.token\n").string();
  WebIdentityProvider provider(
      context("[profile web]\nrole_arn = arn:aws:iam::1:role/Web\nweb_identity_token_file = " +
              token_file + "\nrole_session_name = pod\n"),
      "web", true);
  auto credentials = provider.load();
  ASSERT_TRUE(credentials.has_value());
  EXPECT_EQ(credentials->access_key_id, "ASIAWeb");
  EXPECT_EQ(credentials->provider, "assume-role-with-web-identity");
  auto records = sts_.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].operation, "AssumeRoleWithWebIdentity");
  EXPECT_FALSE(records[0].credentials.has_value());  // unsigned
  EXPECT_TRUE(records[0].input.at("WebIdentityToken") == "fake.jwt.token");
  EXPECT_EQ(records[0].input.at("RoleSessionName"), "pod");
}

TEST_F(RoleProvidersTest, WebIdentityFromEnvironment) {
  env_.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir_.write("token", "env.jwt").string());
  env_.set("AWS_ROLE_ARN", "arn:aws:iam::1:role/EnvWeb");
  env_.set("AWS_ROLE_SESSION_NAME", "env-session");
  WebIdentityProvider provider(context(""), "default", true);
  EXPECT_EQ(provider.load()->access_key_id, "ASIAEnvWeb");
  EXPECT_EQ(sts_.records().at(0).input.at("RoleSessionName"), "env-session");

  // A profile named by the caller ignores the environment (botocore's disable_env_vars).
  WebIdentityProvider explicit_profile(context(""), "default", false);
  EXPECT_FALSE(explicit_profile.load().has_value());
}

TEST_F(RoleProvidersTest, WebIdentityErrors) {
  env_.set("AWS_WEB_IDENTITY_TOKEN_FILE", (dir_.path() / "absent").string());
  WebIdentityProvider no_role(context(""), "default", true);
  EXPECT_NE(error_of(no_role).find("AWS_ROLE_ARN"), std::string::npos);
  env_.set("AWS_ROLE_ARN", "arn:aws:iam::1:role/EnvWeb");
  WebIdentityProvider unreadable(context(""), "default", true);
  EXPECT_NE(error_of(unreadable).find("cannot read the web identity token file"),
            std::string::npos);
}

TEST_F(RoleProvidersTest, WebIdentityProfileIsNotTakenByAssumeRole) {
  std::string token_file = dir_.write("token", "t").string();
  auto ctx = context(
      "[profile web]\nrole_arn = arn:aws:iam::1:role/Web\nweb_identity_token_file = " +
      token_file + "\n");
  EXPECT_FALSE(AssumeRoleProvider(ctx, "web").load().has_value());
}

TEST_F(RoleProvidersTest, RoleWithWebIdentitySourceProfile) {
  std::string token_file = dir_.write("token", "t").string();
  AssumeRoleProvider provider(
      context("[profile web]\nrole_arn = arn:aws:iam::1:role/Web\nweb_identity_token_file = " +
              token_file +
              "\n[profile target]\nrole_arn = arn:aws:iam::2:role/Target\nsource_profile = web\n"),
      "target");
  EXPECT_EQ(provider.load()->access_key_id, "ASIATarget");
  auto records = sts_.records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].operation, "AssumeRoleWithWebIdentity");
  EXPECT_EQ(records[1].credentials->access_key_id, "ASIAWeb");
}

TEST_F(RoleProvidersTest, DefaultChainAssumesTheProfilesRole) {
  // A profile with both keys and a role assumes the role (botocore's order).
  SharedConfig config = SharedConfig::parse(
      "[profile admin]\nrole_arn = arn:aws:iam::1:role/Admin\nsource_profile = base\n",
      std::string(kBaseCredentials) +
          "[admin]\naws_access_key_id = AKIDADMIN\naws_secret_access_key = s\n");
  auto chain = default_credential_chain(config, "admin", sts_.call());
  EXPECT_EQ(chain->load()->access_key_id, "ASIAAdmin");
}

}  // namespace
}  // namespace firebreak::aws
