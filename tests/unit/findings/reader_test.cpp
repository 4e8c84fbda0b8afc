// Reading findings in every form they arrive in: the real samples in ../shared/data by path,
// and hand-written fixtures for the forms and failures the samples lack.
#include "firebreak/findings/reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "firebreak/base/error.h"
#include "test_data.h"

namespace firebreak::findings {
namespace {

using testing::fixture;
using testing::read_json;
using testing::read_text;
using testing::shared_data;

FindingSet read_one_file(const std::string& path) { return read_findings_file(path); }

Incident only_incident(const FindingSet& set) {
  EXPECT_TRUE(set.problems.empty()) << (set.problems.empty() ? "" : set.problems[0].text());
  EXPECT_EQ(set.incidents.size(), 1u);
  return set.incidents.at(0);
}

std::string problems_text(const FindingSet& set) {
  std::string out;
  for (const auto& p : set.problems) out += p.text() + "\n";
  return out;
}

// Recursively PascalCases every key, as GuardDuty's API and boto3 name the same members.
Json pascal_case(const Json& value) {
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& item : value) out.push_back(pascal_case(item));
    return out;
  }
  if (!value.is_object()) return value;
  Json out = Json::object();
  for (auto it = value.begin(); it != value.end(); ++it) {
    std::string key = it.key();
    key[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(key[0])));
    out[key] = pascal_case(it.value());
  }
  return out;
}

TEST(ReaderTest, RawGuardDutyFindingsInExportForm) {
  const std::string dir = shared_data("guardduty-automated-response-sample/");
  const Incident ec2 = only_incident(read_one_file(dir + "guardduty_ec2_event.json"));
  EXPECT_EQ(ec2.type, "Canary:EC2/Stateless.IntegTest");
  EXPECT_EQ(ec2.finding_id, "16afba5c5c43e07c9e3e5e2e544e95df");
  EXPECT_EQ(ec2.resource_type, ResourceType::kInstance);
  EXPECT_EQ(ec2.resources.instance_id, "i-05746eb48123455e0");
  EXPECT_EQ(ec2.account_id, "123456789012");
  EXPECT_EQ(ec2.region, "us-east-1");
  EXPECT_EQ(ec2.severity, 5);
  EXPECT_EQ(ec2.severity_label, "MEDIUM");
  EXPECT_EQ(ec2.actor.remote_ip, "0.0.0.0");
  EXPECT_EQ(ec2.format, FindingFormat::kGuardDuty);
  EXPECT_EQ(ec2.raw["type"], "Canary:EC2/Stateless.IntegTest");  // kept whole as evidence
  EXPECT_NE(ec2.origin.find("guardduty_ec2_event.json"), std::string::npos);

  const Incident iam = only_incident(read_one_file(dir + "guardduty_iam_event.json"));
  EXPECT_EQ(iam.type, "Recon:IAMUser/MaliciousIPCaller.Custom");
  EXPECT_EQ(iam.resource_type, ResourceType::kAccessKey);
  EXPECT_EQ(iam.actor.user_type, UserType::kIamUser);
  EXPECT_EQ(iam.actor.user_name, "GeneratedFindingUserName");
  EXPECT_EQ(iam.actor.access_key_id, "GeneratedFindingAccessKeyId");
  EXPECT_EQ(iam.actor.arn, "arn:aws:iam::123456789012:user/GeneratedFindingUserName");
  EXPECT_EQ(iam.actor.api, "GeneratedFindingAPIName");
  EXPECT_EQ(iam.actor.remote_ip, "198.51.100.0");
  EXPECT_TRUE(iam.sample);
  EXPECT_TRUE(iam.archived);

  const Incident s3 = only_incident(read_one_file(dir + "guardduty_s3_event.json"));
  EXPECT_EQ(s3.type, "PenTest:S3/ParrotLinux");
  EXPECT_EQ(s3.resource_type, ResourceType::kS3Bucket);
  EXPECT_EQ(s3.resources.bucket_names, std::vector<std::string>{"bucketName"});
}

TEST(ReaderTest, EventBridgeGuardDutyEvents) {
  const Incident ec2 = only_incident(read_one_file(shared_data("cloud-custodian-cwe/ec2-duty-event.json")));
  EXPECT_EQ(ec2.type, "Backdoor:EC2/C&CActivity.B!DNS");
  EXPECT_EQ(ec2.resources.instance_id, "i-99999999");
  EXPECT_EQ(ec2.account_id, "883606788610");  // the finding's account, not the event's
  EXPECT_TRUE(ec2.sample);
  EXPECT_NE(ec2.origin.find(": detail"), std::string::npos) << ec2.origin;

  const Incident iam = only_incident(read_one_file(shared_data("cloud-custodian-cwe/iam-duty-event.json")));
  EXPECT_EQ(iam.type, "UnauthorizedAccess:IAMUser/TorIPCaller");
  EXPECT_EQ(iam.actor.user_name, "GeneratedFindingUserName");
  EXPECT_EQ(iam.actor.remote_ip, "198.51.100.0");
}

TEST(ReaderTest, SnsToLambdaRecordsCarryTheSameFindingAsTheEvent) {
  const std::string dir = shared_data("hmrc-platsec-compliance-alerting/");
  const Incident wrapped = only_incident(read_one_file(dir + "guardduty_event.json"));
  const Incident event = only_incident(read_one_file(dir + "guardduty_message.json"));
  EXPECT_EQ(wrapped.type, "Policy:S3/BucketBlockPublicAccessDisabled");
  EXPECT_EQ(wrapped.resources.bucket_names, std::vector<std::string>{"test-gd-324237984731208478901374"});
  EXPECT_EQ(wrapped.actor.user_type, UserType::kAssumedRole);
  EXPECT_EQ(wrapped.actor.role_name, "RoleSandboxAccess");
  EXPECT_EQ(wrapped.actor.role_arn, "arn:aws:iam::987654321098:role/RoleSandboxAccess");
  EXPECT_EQ(wrapped.actor.arn, "arn:aws:sts::987654321098:assumed-role/RoleSandboxAccess/1646143845616685103");
  EXPECT_EQ(wrapped.actor.api, "PutBucketPublicAccessBlock");
  EXPECT_NE(wrapped.origin.find("Records[0].Sns.Message.detail"), std::string::npos) << wrapped.origin;
  EXPECT_EQ(to_json(wrapped, false).erase("origin"), to_json(event, false).erase("origin"));
}

TEST(ReaderTest, SqsRecordsCarryingSnsNotifications) {
  // EventBridge -> SNS -> SQS -> Lambda: the SQS body is the SNS notification, whose Message is the event.
  const std::string sns = read_text(fixture("sns_notification.json"));
  const Json event = {{"Records", {{{"messageId", "059f36b4-87a3-44ab-83d2-661975830a7d"},
                                   {"body", sns},
                                   {"eventSource", "aws:sqs"},
                                   {"awsRegion", "eu-west-1"}}}}};
  FindingSet set = read_findings_document(event, "sqs-event");
  const Incident ecs = only_incident(set);
  EXPECT_EQ(ecs.type, "Execution:Runtime/ReverseShell");
  EXPECT_EQ(ecs.origin, "sqs-event: Records[0].body.Message.detail");
}

TEST(ReaderTest, PascalCaseFromTheApiReadsLikeCamelCase) {
  const Json event = read_json(shared_data("hmrc-platsec-compliance-alerting/guardduty_message.json"));
  Incident camel = incident_from_guardduty(event["detail"]);
  Incident pascal = incident_from_guardduty(pascal_case(event["detail"]));
  EXPECT_EQ(pascal.type, "Policy:S3/BucketBlockPublicAccessDisabled");
  Json a = to_json(camel, false), b = to_json(pascal, false);
  EXPECT_EQ(a, b);
}

TEST(ReaderTest, SnsNotificationAsHttpsSubscribersGetIt) {
  const Incident ecs = only_incident(read_one_file(fixture("sns_notification.json")));
  EXPECT_EQ(ecs.type, "Execution:Runtime/ReverseShell");
  EXPECT_EQ(ecs.resource_type, ResourceType::kEcsCluster);
  EXPECT_EQ(ecs.resources.ecs_cluster, "arn:aws:ecs:eu-west-1:111122223333:cluster/payments");
  EXPECT_EQ(ecs.resources.ecs_task_arn, "arn:aws:ecs:eu-west-1:111122223333:task/payments/4f2c6d8e0a1b3c5d7e9f1a2b3c4d5e6f");
  EXPECT_EQ(ecs.resources.container_name, "api");
  EXPECT_FALSE(ecs.sample);
  EXPECT_NE(ecs.origin.find("Message.detail"), std::string::npos);
}

TEST(ReaderTest, SecurityHubImportedEventWithGuardDutyFindings) {
  FindingSet set = read_one_file(fixture("securityhub_imported_event.json"));
  ASSERT_TRUE(set.problems.empty()) << problems_text(set);
  ASSERT_EQ(set.incidents.size(), 2u);
  const Incident& ec2 = set.incidents[0];
  EXPECT_EQ(ec2.format, FindingFormat::kSecurityHub);
  EXPECT_EQ(ec2.product, "GuardDuty");
  EXPECT_EQ(ec2.type, "Backdoor:EC2/C&CActivity.B!DNS");
  EXPECT_EQ(ec2.finding_id, "7ac4b0f5d9e2a1b3c8d6e4f2a0b1c3d5");
  EXPECT_EQ(ec2.finding_arn.rfind("arn:aws:guardduty:eu-west-1:111122223333:detector/", 0), 0u);
  EXPECT_EQ(ec2.severity, 8);  // GuardDuty's number, not Security Hub's normalized 60
  EXPECT_EQ(ec2.severity_label, "HIGH");
  EXPECT_EQ(ec2.resource_type, ResourceType::kInstance);
  EXPECT_EQ(ec2.resources.instance_id, "i-0a1b2c3d4e5f60718");
  EXPECT_EQ(ec2.resources.instance_profile_arn, "arn:aws:iam::111122223333:instance-profile/web");
  EXPECT_EQ(ec2.region, "eu-west-1");
  EXPECT_EQ(ec2.account_id, "111122223333");

  const Incident& exfil = set.incidents[1];
  EXPECT_EQ(exfil.type, "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS");
  EXPECT_EQ(exfil.resource_type, ResourceType::kInstance);
  EXPECT_EQ(exfil.actor.user_type, UserType::kAssumedRole);
  EXPECT_EQ(exfil.actor.role_name, "web-role");
  EXPECT_EQ(exfil.actor.access_key_id, "ASIAQEXAMPLE7KEY1234");
  EXPECT_EQ(exfil.actor.api, "ListBuckets");
  EXPECT_EQ(exfil.actor.remote_ip, "198.51.100.7");
  EXPECT_EQ(exfil.region, "eu-west-1");  // from the ProductArn: this finding has no Region field
}

TEST(ReaderTest, SecurityHubCustomActionEvents) {
  const Incident key = only_incident(read_one_file(shared_data("cloud-custodian-cwe/event-securityhub-iamkey-finding-action.json")));
  EXPECT_EQ(key.product, "GuardDuty");
  EXPECT_EQ(key.type, "UnauthorizedAccess:IAMUser/ConsoleLogin");  // from "Unusual Behaviors/User/...-ConsoleLogin"
  EXPECT_EQ(key.severity, 5);
  EXPECT_EQ(key.severity_label, "MEDIUM");
  EXPECT_EQ(key.actor.user_name, "kapil");
  EXPECT_EQ(key.actor.access_key_id, "");  // "AWS::IAM::AccessKey:null"
  EXPECT_EQ(key.actor.api, "ConsoleLogin");
  EXPECT_EQ(key.actor.remote_ip, "208.115.85.104");

  const Incident cis = only_incident(read_one_file(shared_data("cloud-custodian-cwe/event-securityhub-cloudtrail-finding-action.json")));
  EXPECT_EQ(cis.product, "Security Hub");
  EXPECT_EQ(cis.type, "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark");
  EXPECT_EQ(cis.severity_label, "INFORMATIONAL");

  const Incident custodian = only_incident(read_one_file(shared_data("cloud-custodian-cwe/event-securityhub-lambda-cross.json")));
  EXPECT_EQ(custodian.product, "Default");
  EXPECT_EQ(custodian.resource_type, ResourceType::kOther);
  EXPECT_EQ(custodian.resource_type_name, "Other");
}

TEST(ReaderTest, GetFindingsResponseInApiForm) {
  FindingSet set = read_one_file(fixture("getfindings_response.json"));
  ASSERT_TRUE(set.problems.empty()) << problems_text(set);
  ASSERT_EQ(set.incidents.size(), 4u);
  const Incident& eks = set.incidents[0];
  EXPECT_EQ(eks.resource_type, ResourceType::kEksCluster);
  EXPECT_EQ(eks.resources.eks_cluster, "prod-eks");
  EXPECT_EQ(eks.resources.kubernetes_workload, "default/miner-7d9f");
  EXPECT_EQ(eks.resources.instance_id, "i-0fedcba9876543210");
  EXPECT_EQ(eks.origin, fixture("getfindings_response.json") + ": Findings[0]");
  const Incident& rds = set.incidents[1];
  EXPECT_EQ(rds.resources.rds_instance, "orders-db");
  EXPECT_EQ(rds.resources.rds_cluster, "orders");
  EXPECT_EQ(rds.resources.rds_user, "app_rw");
  EXPECT_EQ(rds.actor.remote_ip, "203.0.113.9");
  const Incident& lambda = set.incidents[2];
  EXPECT_EQ(lambda.resources.lambda_function, "resize-images");
  EXPECT_EQ(lambda.resources.lambda_role_arn, "arn:aws:iam::111122223333:role/resize-images-role");
  const Incident& container = set.incidents[3];
  EXPECT_EQ(container.resource_type, ResourceType::kContainer);
  EXPECT_EQ(container.resources.container_name, "legacy-app");
  EXPECT_EQ(container.resources.instance_id, "i-0123456789abcdef0");
}

TEST(ReaderTest, PantherGuardDutyTestLogs) {
  int read = 0, samples = 0;
  std::set<std::string> types;
  for (const auto& file : testing::panther_rule_files()) {
    for (const Json& log : testing::panther_logs(file)) {
      FindingSet set = read_findings_document(log, file);
      ASSERT_TRUE(set.problems.empty()) << problems_text(set);
      ASSERT_EQ(set.incidents.size(), 1u);
      types.insert(set.incidents[0].type);
      samples += set.incidents[0].sample;
      ++read;
    }
  }
  EXPECT_EQ(read, 8);
  EXPECT_EQ(samples, 4);  // each rule has one "As Sample Data" case
  EXPECT_TRUE(types.count("AttackSequence:S3/CompromisedData"));
  EXPECT_TRUE(types.count("AttackSequence:IAM/CompromisedCredentials"));
  EXPECT_TRUE(types.count("PrivilegeEscalation:IAMUser/AdministrativePermissions"));
}

TEST(ReaderTest, AttackSequenceNamesItsResourcesAndActors) {
  const Json finding = Json::parse(R"({
    "schemaVersion": "2.0", "accountId": "111122223333", "region": "us-east-1", "id": "abc",
    "type": "AttackSequence:S3/CompromisedData", "severity": 9,
    "resource": {"resourceType": "AttackSequence"},
    "service": {"detection": {"sequence": {
      "actors": [{"id": "a1", "user": {"name": "john_doe", "uid": "AIDA3UBBJ2K3TVEXAMPLE", "type": "IAMUser",
                                       "credentialUid": "AKIAIOSFODNN7EXAMPLE"}}],
      "resources": [{"uid": "arn:aws:s3:::customer-data", "name": "customer-data", "resourceType": "S3_BUCKET"},
                    {"uid": "AKIAIOSFODNN7EXAMPLE", "resourceType": "ACCESS_KEY"}]}}}})");
  Incident incident = incident_from_guardduty(finding);
  EXPECT_EQ(incident.resource_type, ResourceType::kAttackSequence);
  EXPECT_EQ(incident.resources.bucket_names, std::vector<std::string>{"customer-data"});
  EXPECT_EQ(incident.actor.user_name, "john_doe");
  EXPECT_EQ(incident.actor.user_type, UserType::kIamUser);
  EXPECT_EQ(incident.actor.access_key_id, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(incident.severity_label, "CRITICAL");
}

TEST(ReaderTest, ManyFindingsInOneArrayOfMixedForms) {
  Json array = Json::array();
  array.push_back(read_json(shared_data("cloud-custodian-cwe/ec2-duty-event.json")));
  array.push_back(read_json(shared_data("guardduty-automated-response-sample/guardduty_s3_event.json")));
  array.push_back(read_json(fixture("securityhub_imported_event.json")));
  FindingSet set = read_findings(array.dump(), "mixed.json");
  ASSERT_TRUE(set.problems.empty()) << problems_text(set);
  ASSERT_EQ(set.incidents.size(), 4u);
  EXPECT_EQ(set.incidents[1].origin, "mixed.json: [1]");
  EXPECT_EQ(set.incidents[3].origin, "mixed.json: [2].detail.findings[1]");
}

TEST(ReaderTest, JsonLinesReadsEveryGoodLineAndNamesTheCutOne) {
  FindingSet set = read_one_file(fixture("findings.jsonl"));
  EXPECT_EQ(set.incidents.size(), 2u);
  ASSERT_EQ(set.problems.size(), 1u);
  EXPECT_EQ(set.problems[0].where.rfind(fixture("findings.jsonl") + ":3:", 0), 0u) << set.problems[0].where;
  EXPECT_NE(set.problems[0].message.find("truncated"), std::string::npos) << set.problems[0].message;
  EXPECT_EQ(set.incidents[1].origin, fixture("findings.jsonl") + ":2");
}

TEST(ReaderTest, TruncatedFileIsAnErrorNamingFileAndPosition) {
  try {
    read_one_file(fixture("truncated_finding.json"));
    FAIL() << "no error";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(fixture("truncated_finding.json") + ":16:", 0), 0u) << message;
    EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  }
}

TEST(ReaderTest, MalformedFileNamesLineAndColumn) {
  try {
    read_one_file(fixture("malformed_finding.json"));
    FAIL() << "no error";
  } catch (const InputError& e) {
    const std::string message = e.what();
    // The comma is missing at the end of line 32; the parser stops at the end of the next key.
    EXPECT_EQ(message.rfind(fixture("malformed_finding.json") + ":33:13: not valid JSON", 0), 0u) << message;
    EXPECT_EQ(message.find("truncated"), std::string::npos) << message;
  }
}

TEST(ReaderTest, MissingTypeIsAProblemNamingTheField) {
  FindingSet set = read_one_file(fixture("missing_type.json"));
  EXPECT_TRUE(set.incidents.empty());
  ASSERT_EQ(set.problems.size(), 1u);
  EXPECT_EQ(set.problems[0].text(), fixture("missing_type.json") + ": a GuardDuty finding without the field 'type'");

  Json pascal = pascal_case(read_json(fixture("missing_type.json")));
  set = read_findings_document(pascal, "api");
  ASSERT_EQ(set.problems.size(), 1u);
  EXPECT_EQ(set.problems[0].message, "a GuardDuty finding without the field 'Type'");
}

TEST(ReaderTest, FieldsOfTheWrongTypeAreNamed) {
  Json finding = read_json(fixture("missing_type.json"));
  finding["type"] = 42;
  EXPECT_THROW(
      {
        try {
          incident_from_guardduty(finding);
        } catch (const InputError& e) {
          EXPECT_NE(std::string(e.what()).find("'type' must be a non-empty string, not 42"), std::string::npos);
          throw;
        }
      },
      InputError);
  finding["type"] = "Recon:EC2/Portscan";
  finding["resource"] = "i-0123";
  EXPECT_THROW(incident_from_guardduty(finding), InputError);
  Json asff = read_json(fixture("securityhub_imported_event.json"))["detail"]["findings"][0];
  asff.erase("Resources");
  EXPECT_THROW(incident_from_asff(asff), InputError);
  asff = read_json(fixture("securityhub_imported_event.json"))["detail"]["findings"][0];
  asff["Types"] = Json::array();
  asff["FindingProviderFields"].erase("Types");
  EXPECT_THROW(incident_from_asff(asff), InputError);  // GuardDuty's, but no GuardDuty type in it
}

TEST(ReaderTest, DocumentsThatAreNoFindingSayWhatTheyAre) {
  const std::string dir = shared_data("cloud-custodian-cwe/");
  int cloudtrail = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("event-cloud-trail")) continue;
    FindingSet set = read_one_file(entry.path().string());
    EXPECT_TRUE(set.incidents.empty()) << name;
    ASSERT_EQ(set.problems.size(), 1u) << name;
    EXPECT_NE(set.problems[0].message.find("CloudTrail"), std::string::npos) << set.problems[0].text();
    ++cloudtrail;
  }
  EXPECT_GE(cloudtrail, 20);

  FindingSet insight = read_one_file(dir + "event-securityhub-insight-2.json");
  ASSERT_EQ(insight.problems.size(), 1u);
  EXPECT_NE(insight.problems[0].message.find("Security Hub Insight Results"), std::string::npos);

  FindingSet trail = read_findings(read_text(shared_data("cado-cloudgrep/") + "cloudtrail_singleline.json"), "trail.json");
  ASSERT_EQ(trail.problems.size(), 1u);
  EXPECT_NE(trail.problems[0].message.find("CloudTrail log file"), std::string::npos) << trail.problems[0].text();

  FindingSet pattern = read_findings(R"({"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]})", "rule.json");
  ASSERT_EQ(pattern.problems.size(), 1u);
  EXPECT_NE(pattern.problems[0].message.find("event pattern"), std::string::npos);

  FindingSet other = read_findings(R"({"hello": "world"})", "x.json");
  ASSERT_EQ(other.problems.size(), 1u);
  EXPECT_EQ(other.problems[0].text(), "x.json: a JSON object with keys hello: not a finding in any form firebreak reads");

  FindingSet scalar = read_findings("42", "n.json");
  ASSERT_EQ(scalar.problems.size(), 1u);
  EXPECT_EQ(scalar.problems[0].text(), "n.json: a JSON number, not a finding");
}

TEST(ReaderTest, EmptyAndBadEmbeddedInput) {
  EXPECT_THROW(read_findings("  \n\t", "empty.json"), InputError);
  EXPECT_THROW(read_one_file("/nonexistent/findings.json"), InputError);
  EXPECT_THROW(read_one_file(FIREBREAK_TEST_DATA), InputError);  // a directory

  FindingSet bad_message = read_findings(R"({"Type": "Notification", "Message": "{\"detail-type\": \"GuardDuty Fin"})", "sns.json");
  ASSERT_EQ(bad_message.problems.size(), 1u);
  EXPECT_EQ(bad_message.problems[0].where, "sns.json: Message");
  EXPECT_NE(bad_message.problems[0].message.find("not valid JSON"), std::string::npos);

  // Wrapping beyond any real delivery path is refused, not followed until the stack runs out.
  std::string deep = R"({"detail-type": "GuardDuty Finding", "detail": {}})";
  for (int i = 0; i < 4; ++i) deep = Json({{"Type", "Notification"}, {"Message", deep}}).dump();
  FindingSet nested = read_findings(std::string(40, '[') + deep + std::string(40, ']'), "deep.json");
  ASSERT_EQ(nested.problems.size(), 1u);
  EXPECT_NE(nested.problems[0].message.find("nested too deeply"), std::string::npos);
}

TEST(ReaderTest, GuardDutyTypeFromSecurityHubTypes) {
  EXPECT_EQ(guardduty_type_from_asff("TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS"),
            "Backdoor:EC2/C&CActivity.B!DNS");
  EXPECT_EQ(guardduty_type_from_asff("Unusual Behaviors/User/UnauthorizedAccess:IAMUser-ConsoleLogin"),
            "UnauthorizedAccess:IAMUser/ConsoleLogin");
  EXPECT_EQ(guardduty_type_from_asff("Effects/Data Exfiltration/Trojan:EC2-DNSDataExfiltration"),
            "Trojan:EC2/DNSDataExfiltration");
  EXPECT_EQ(guardduty_type_from_asff("Software and Configuration Checks/Industry and Regulatory Standards"), "");
  EXPECT_EQ(guardduty_type_from_asff("TTPs/Discovery"), "");
}

}  // namespace
}  // namespace firebreak::findings
