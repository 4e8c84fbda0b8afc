// credential_process, with small scripts written for each test.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "../support/test_env.h"
#include "firebreak/aws/auth/providers.h"
#include "firebreak/base/error.h"
#include "firebreak/base/time.h"

namespace firebreak::aws {
namespace {

class ProcessProviderTest : public ::testing::Test {
 protected:
  void SetUp() override { env_.clear_aws(); }

  // A profile "p" whose credential_process runs `script` (a /bin/sh script body).
  ProcessProvider provider_for(const std::string& script,
                               std::chrono::seconds timeout = std::chrono::seconds(60)) {
    std::string path = dir_.write("helper.sh", "#!/bin/sh\n" + script, true).string();
    auto config = std::make_shared<const SharedConfig>(
        SharedConfig::parse("[profile p]\ncredential_process = " + path + " --flag=x\n", ""));
    return ProcessProvider(config, "p", timeout);
  }

  std::string error_of(ProcessProvider provider) {
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
};

TEST_F(ProcessProviderTest, NotConfigured) {
  auto config = std::make_shared<const SharedConfig>(SharedConfig::parse("[profile p]\n", ""));
  EXPECT_FALSE(ProcessProvider(config, "p").load().has_value());
}

TEST_F(ProcessProviderTest, ReadsLongTermKeys) {
  auto credentials = provider_for(
                         "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROCESS\", "
                         "\"SecretAccessKey\": \"process-fake-secret\"}'\n")
                         .load();
  ASSERT_TRUE(credentials.has_value());
  EXPECT_EQ(credentials->access_key_id, "AKIDPROCESS");
  EXPECT_TRUE(credentials->secret_access_key == "process-fake-secret");
  EXPECT_TRUE(credentials->session_token.empty());
  EXPECT_FALSE(credentials->expiration.has_value());
  EXPECT_EQ(credentials->provider, "custom-process");
}

TEST_F(ProcessProviderTest, ReadsTemporaryCredentialsAndPassesArguments) {
  // The arguments reach the script as the shell split them.
  auto credentials =
      provider_for(
          "[ \"$1\" = \"--flag=x\" ] || exit 9\n"
          "cat <<'JSON'\n"
          "{\"Version\": 1, \"AccessKeyId\": \"ASIAPROCESS\", \"SecretAccessKey\": \"s\",\n"
          " \"SessionToken\": \"process-fake-token\", \"Expiration\": \"2030-05-06T07:08:09Z\"}\n"
          "JSON\n")
          .load();
  ASSERT_TRUE(credentials.has_value());
  EXPECT_TRUE(credentials->session_token == "process-fake-token");
  ASSERT_TRUE(credentials->expiration.has_value());
  EXPECT_EQ(format_iso8601(*credentials->expiration), "2030-05-06T07:08:09Z");
}

TEST_F(ProcessProviderTest, FailureReportsStderrButNeverStdout) {
  std::string message = error_of(provider_for(
      "echo '{\"SecretAccessKey\": \"LEAKED-IF-SHOWN\"}'\n"
      "echo 'token expired: run sso login' >&2\necho 'second line' >&2\nexit 3\n"));
  EXPECT_NE(message.find("profile \"p\""), std::string::npos) << message;
  EXPECT_NE(message.find("exited with status 3: token expired: run sso login"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("second line"), std::string::npos) << message;
  EXPECT_EQ(message.find("LEAKED-IF-SHOWN"), std::string::npos);
  EXPECT_EQ(message.find("--flag"), std::string::npos) << "the command is not quoted";
}

TEST_F(ProcessProviderTest, BadJsonIsAnErrorThatDoesNotQuoteTheOutput) {
  std::string message = error_of(provider_for("echo 'AccessKeyId=AKID Secret=LEAKED-IF-SHOWN'\n"));
  EXPECT_NE(message.find("other than a JSON object"), std::string::npos) << message;
  EXPECT_EQ(message.find("LEAKED-IF-SHOWN"), std::string::npos);
}

TEST_F(ProcessProviderTest, WrongVersionOrMissingKeysAreErrors) {
  EXPECT_NE(error_of(provider_for("echo '{\"Version\": 2, \"AccessKeyId\": \"A\", "
                                  "\"SecretAccessKey\": \"LEAKED-IF-SHOWN\"}'\n"))
                .find("\"Version\": 1"),
            std::string::npos);
  std::string missing = error_of(provider_for("echo '{\"Version\": 1, \"AccessKeyId\": \"A\"}'\n"));
  EXPECT_NE(missing.find("did not return SecretAccessKey"), std::string::npos) << missing;
  std::string expiration = error_of(provider_for(
      "echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"LEAKED-IF-SHOWN\", "
      "\"Expiration\": \"tomorrow\"}'\n"));
  EXPECT_NE(expiration.find("Expiration"), std::string::npos) << expiration;
  EXPECT_EQ(expiration.find("LEAKED-IF-SHOWN"), std::string::npos);
}

TEST_F(ProcessProviderTest, SlowProcessIsStopped) {
  auto start = std::chrono::steady_clock::now();
  std::string message = error_of(provider_for("sleep 30\n", std::chrono::seconds(1)));
  EXPECT_NE(message.find("did not finish within 1 seconds"), std::string::npos) << message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(ProcessProviderTest, MissingCommandReportsTheShellsComplaint) {
  auto config = std::make_shared<const SharedConfig>(SharedConfig::parse(
      "[profile p]\ncredential_process = " + (dir_.path() / "absent-helper").string() + "\n", ""));
  std::string message = error_of(ProcessProvider(config, "p"));
  EXPECT_NE(message.find("exited with status 127"), std::string::npos) << message;
  EXPECT_NE(message.find("absent-helper"), std::string::npos) << message;
}

TEST_F(ProcessProviderTest, ChainUsesTheProcessBeforeTheConfigFileKeys) {
  std::string path = dir_.write("helper.sh",
                                "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": "
                                "\"AKIDPROCESS\", \"SecretAccessKey\": \"s\"}'\n",
                                true)
                         .string();
  env_.set("AWS_EC2_METADATA_DISABLED", "true");
  SharedConfig config = SharedConfig::parse(
      "[default]\ncredential_process = " + path +
          "\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = s\n",
      "");
  auto chain = default_credential_chain(
      config, "", [](std::string_view, const Json&, const std::optional<Credentials>&) -> Json {
        throw Error("no STS here");
      });
  EXPECT_EQ(chain->load()->access_key_id, "AKIDPROCESS");
}

}  // namespace
}  // namespace firebreak::aws
