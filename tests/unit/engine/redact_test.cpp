#include "firebreak/engine/redact.h"

#include <gtest/gtest.h>

namespace firebreak::engine {
namespace {

TEST(Redact, ModelSensitiveMembersAreRedactedInInput) {
  // rds CreateDBInstance.MasterUserPassword is a sensitive shape in the model.
  Json input{{"DBInstanceIdentifier", "db1"}, {"MasterUserPassword", "hunter2"}, {"Engine", "postgres"}};
  Json out = redact_call("rds", "CreateDBInstance", Direction::Input, input);
  EXPECT_EQ(out["MasterUserPassword"], kRedacted);
  EXPECT_EQ(out["DBInstanceIdentifier"], "db1");
  EXPECT_EQ(out["Engine"], "postgres");
}

TEST(Redact, NestedOutputSecretsAreRedacted) {
  Json output{{"AccessKey",
               {{"UserName", "alice"},
                {"AccessKeyId", "AKIAEXAMPLE"},
                {"Status", "Active"},
                {"SecretAccessKey", "wJalrXUtnFEMI"}}}};
  Json out = redact_call("iam", "CreateAccessKey", Direction::Output, output);
  EXPECT_EQ(out["AccessKey"]["SecretAccessKey"], kRedacted);
  EXPECT_EQ(out["AccessKey"]["AccessKeyId"], "AKIAEXAMPLE");
}

TEST(Redact, SecretsManagerValuesAreRedacted) {
  Json input{{"Name", "k"}, {"SecretString", "{\"password\":\"x\"}"}};
  Json out = redact_call("secretsmanager", "CreateSecret", Direction::Input, input);
  EXPECT_EQ(out["SecretString"], kRedacted);
  EXPECT_EQ(out["Name"], "k");
  Json got = redact_call("secretsmanager", "GetSecretValue", Direction::Output,
                         {{"ARN", "arn"}, {"SecretString", "x"}, {"SecretBinary", "eA=="}});
  EXPECT_EQ(got["SecretString"], kRedacted);
  EXPECT_EQ(got["SecretBinary"], kRedacted);
}

TEST(Redact, StsCredentialsAreRedactedThroughLists) {
  Json output{{"Credentials",
               {{"AccessKeyId", "ASIA"}, {"SecretAccessKey", "s"}, {"SessionToken", "t"}, {"Expiration", "x"}}}};
  Json out = redact_call("sts", "AssumeRole", Direction::Output, output);
  EXPECT_EQ(out["Credentials"], kRedacted);
}

TEST(Redact, UnknownOperationFallsBackToNames) {
  Json out = redact_call("ec2", "NoSuchOperation", Direction::Input, {{"Password", "p"}, {"InstanceId", "i-1"}});
  EXPECT_EQ(out["Password"], kRedacted);
  EXPECT_EQ(out["InstanceId"], "i-1");
}

TEST(Redact, ByNameReachesEveryDepth) {
  Json value{{"users", {{{"name", "a"}, {"LoginProfile", {{"Password", "p"}}}}}}, {"NextToken", "keep"}};
  Json out = redact_by_name(value);
  EXPECT_EQ(out["users"][0]["LoginProfile"]["Password"], kRedacted);
  EXPECT_EQ(out["users"][0]["name"], "a");
  EXPECT_EQ(out["NextToken"], "keep") << "a pagination token is not a secret";
}

TEST(Redact, SecretNames) {
  for (auto name : {"SecretAccessKey", "SessionToken", "MasterUserPassword", "NewPassword", "PrivateKey",
                    "KeyMaterial", "SecretString", "ClientSecret", "Plaintext", "token", "Credentials"}) {
    EXPECT_TRUE(is_secret_name(name)) << name;
  }
  // What responders need on the record about secrets, without the secrets.
  for (auto name : {"AccessKeyId", "NextToken", "InstanceId", "UserName", "SecretId", "PasswordPolicy",
                    "PasswordLastUsed", "PasswordResetRequired", "TokenIssueTime"}) {
    EXPECT_FALSE(is_secret_name(name)) << name;
  }
}

}  // namespace
}  // namespace firebreak::engine
