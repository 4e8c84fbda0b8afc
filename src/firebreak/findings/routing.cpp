#include "firebreak/findings/routing.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <regex>

namespace firebreak::findings {
namespace {

// How a family's playbook is chosen.
enum class Choice {
  kPlaybook,     // always the row's playbook
  kByPrincipal,  // by whose credentials acted: kPrincipals
  kByResource,   // by the resource the activity ran on or was found in: kResources
  kUnrouted,     // no playbook; the row says why
};

struct FamilyRule {
  std::string_view pattern;  // glob over the finding type, case-insensitive
  Choice choice;
  std::optional<Playbook> playbook;  // for kPlaybook
  std::string_view why;
};

using enum Choice;
using enum Playbook;

constexpr std::string_view kEc2Why = "an EC2 finding: the instance";
constexpr std::string_view kIamWhy = "an IAM finding: the credentials that acted";
constexpr std::string_view kS3Why = "an S3 finding: the bucket";
constexpr std::string_view kRuntimeWhy = "a Runtime Monitoring finding: where the process ran";
constexpr std::string_view kKubernetesWhy = "an EKS audit log finding";
constexpr std::string_view kMalwareWhy = "a Malware Protection finding: the resource scanned";
constexpr std::string_view kLambdaWhy = "a Lambda network activity finding";
constexpr std::string_view kRdsWhy = "an RDS login activity finding: the database";

// The routing table: every GuardDuty finding type family, first match wins. Types that
// differ from their family come first.
//
// InstanceCredentialExfiltration goes to the role playbook, not ec2: the stolen thing is the
// instance role's session credentials, which stay valid wherever they are used until they
// expire, whatever is done to the instance. Revoking the role's sessions (deny for tokens
// issued before now) is what stops them; the reason names the instance for the ec2 playbook.
constexpr FamilyRule kFamilies[] = {
    {"Canary:*", kUnrouted, {}, "GuardDuty's own integration-test finding, not a threat"},
    {"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration*", kPlaybook, kRole,
     "an EC2 instance role's session credentials were used outside the instance: revoking the role's "
     "sessions stops them"},
    {"Policy:IAMUser/RootCredentialUsage", kPlaybook, kAccount, "the root user's credentials were used"},
    {"Policy:S3/AccountBlockPublicAccessDisabled", kPlaybook, kS3,
     "account-level S3 Block Public Access was turned off: the s3 playbook turns it back on (--account-bpa)"},

    {"Backdoor:EC2/*", kPlaybook, kEc2, kEc2Why},
    {"Behavior:EC2/*", kPlaybook, kEc2, kEc2Why},
    {"CryptoCurrency:EC2/*", kPlaybook, kEc2, kEc2Why},
    {"DefenseEvasion:EC2/*", kPlaybook, kEc2, kEc2Why},
    {"Impact:EC2/*", kPlaybook, kEc2, kEc2Why},
    {"Recon:EC2/*", kPlaybook, kEc2, kEc2Why},
    {"Trojan:EC2/*", kPlaybook, kEc2, kEc2Why},
    {"UnauthorizedAccess:EC2/*", kPlaybook, kEc2, kEc2Why},
    // Malware Protection for EC2 scans an instance's volumes, or a snapshot, AMI or backup.
    {"Execution:EC2/*", kByResource, {}, kMalwareWhy},
    {"AttackSequence:EC2/*", kPlaybook, kEc2, "an attack sequence on EC2 instances"},

    {"CredentialAccess:IAMUser/*", kByPrincipal, {}, kIamWhy},
    {"DefenseEvasion:IAMUser/*", kByPrincipal, {}, kIamWhy},
    {"Discovery:IAMUser/*", kByPrincipal, {}, kIamWhy},
    {"Exfiltration:IAMUser/*", kByPrincipal, {}, kIamWhy},
    {"Impact:IAMUser/*", kByPrincipal, {}, kIamWhy},
    {"InitialAccess:IAMUser/*", kByPrincipal, {}, kIamWhy},
    {"PenTest:IAMUser/*", kByPrincipal, {}, kIamWhy},
    {"Persistence:IAMUser/*", kByPrincipal, {}, kIamWhy},
    {"Policy:IAMUser/*", kByPrincipal, {}, kIamWhy},
    {"PrivilegeEscalation:IAMUser/*", kByPrincipal, {}, kIamWhy},
    {"Recon:IAMUser/*", kByPrincipal, {}, kIamWhy},
    {"Stealth:IAMUser/*", kByPrincipal, {}, kIamWhy},
    {"UnauthorizedAccess:IAMUser/*", kByPrincipal, {}, kIamWhy},
    {"AttackSequence:IAM/*", kByPrincipal, {}, "an attack sequence by one set of credentials"},

    {"Discovery:S3/*", kPlaybook, kS3, kS3Why},
    {"Exfiltration:S3/*", kPlaybook, kS3, kS3Why},
    {"Impact:S3/*", kPlaybook, kS3, kS3Why},
    {"PenTest:S3/*", kPlaybook, kS3, kS3Why},
    {"Policy:S3/*", kPlaybook, kS3, kS3Why},
    {"Stealth:S3/*", kPlaybook, kS3, kS3Why},
    {"UnauthorizedAccess:S3/*", kPlaybook, kS3, kS3Why},
    {"Object:S3/*", kPlaybook, kS3, "Malware Protection for S3: the bucket holding the object"},
    {"AttackSequence:S3/*", kPlaybook, kS3, "an attack sequence on S3 data"},

    {"Backdoor:Runtime/*", kByResource, {}, kRuntimeWhy},
    {"CryptoCurrency:Runtime/*", kByResource, {}, kRuntimeWhy},
    {"DefenseEvasion:Runtime/*", kByResource, {}, kRuntimeWhy},
    {"Discovery:Runtime/*", kByResource, {}, kRuntimeWhy},
    {"Execution:Runtime/*", kByResource, {}, kRuntimeWhy},
    {"Impact:Runtime/*", kByResource, {}, kRuntimeWhy},
    {"Persistence:Runtime/*", kByResource, {}, kRuntimeWhy},
    {"PrivilegeEscalation:Runtime/*", kByResource, {}, kRuntimeWhy},
    {"Trojan:Runtime/*", kByResource, {}, kRuntimeWhy},

    {"Execution:ECS/*", kByResource, {}, kMalwareWhy},
    {"Execution:Container/*", kByResource, {}, kMalwareWhy},
    {"AttackSequence:ECS/*", kPlaybook, kEcs, "an attack sequence in an ECS cluster"},

    {"CredentialAccess:Kubernetes/*", kByResource, {}, kKubernetesWhy},
    {"DefenseEvasion:Kubernetes/*", kByResource, {}, kKubernetesWhy},
    {"Discovery:Kubernetes/*", kByResource, {}, kKubernetesWhy},
    {"Execution:Kubernetes/*", kByResource, {}, kKubernetesWhy},
    {"Impact:Kubernetes/*", kByResource, {}, kKubernetesWhy},
    {"Persistence:Kubernetes/*", kByResource, {}, kKubernetesWhy},
    {"Policy:Kubernetes/*", kByResource, {}, kKubernetesWhy},
    {"PrivilegeEscalation:Kubernetes/*", kByResource, {}, kKubernetesWhy},
    {"AttackSequence:EKS/*", kUnrouted, {}, "an attack sequence in an EKS cluster: firebreak has no EKS playbook"},

    {"CredentialAccess:RDS/*", kPlaybook, kRds, kRdsWhy},
    {"Discovery:RDS/*", kPlaybook, kRds, kRdsWhy},

    {"Backdoor:Lambda/*", kByResource, {}, kLambdaWhy},
    {"CryptoCurrency:Lambda/*", kByResource, {}, kLambdaWhy},
    {"Trojan:Lambda/*", kByResource, {}, kLambdaWhy},
    {"UnauthorizedAccess:Lambda/*", kByResource, {}, kLambdaWhy},
};

struct PrincipalRule {
  UserType user;
  std::optional<Playbook> playbook;
  std::string_view why;
};

constexpr PrincipalRule kPrincipals[] = {
    {UserType::kIamUser, kCredentials, "an IAM user's credentials"},
    {UserType::kFederatedUser, kCredentials, "an IAM user's federation token"},
    {UserType::kAssumedRole, kRole, "a role session's temporary credentials"},
    {UserType::kRoot, kAccount, "the root user's credentials"},
    // The family names IAMUser; without a user type that is what the credentials are.
    {UserType::kUnknown, kCredentials, "an IAM user's credentials (the finding gives no user type)"},
    {UserType::kAwsService, {}, "an AWS service acted: there are no credentials of the account's to disable"},
    {UserType::kAwsAccount, {}, "a principal of another AWS account acted: nothing in this account to disable"},
    {UserType::kOther, {}, "a user type firebreak does not know"},
};

struct ResourceRule {
  ResourceType resource;
  std::optional<Playbook> playbook;
  std::string_view why;
};

constexpr ResourceRule kResources[] = {
    {ResourceType::kInstance, kEc2, "on an EC2 instance"},
    {ResourceType::kEcsCluster, kEcs, "in an ECS task"},
    {ResourceType::kContainer, kContainer, "in a container outside ECS and EKS"},
    {ResourceType::kS3Bucket, kS3, "in an S3 bucket"},
    {ResourceType::kS3Object, kS3, "in an S3 object"},
    {ResourceType::kRdsDbInstance, kRds, "on an RDS database"},
    {ResourceType::kRdsLimitlessDb, kRds, "on an RDS database"},
    {ResourceType::kEksCluster, {}, "in an EKS cluster: firebreak has no EKS playbook"},
    {ResourceType::kLambda, {}, "in a Lambda function: firebreak has no Lambda playbook"},
    {ResourceType::kEbsSnapshot, {}, "in an EBS snapshot, not a running resource: no playbook contains it"},
    {ResourceType::kEc2Image, {}, "in an AMI, not a running resource: no playbook contains it"},
    {ResourceType::kRecoveryPoint, {}, "in an AWS Backup recovery point, not a running resource: no playbook contains it"},
};

constexpr std::pair<Playbook, std::string_view> kPlaybookNames[] = {
    {kEc2, "ec2"},   {kS3, "s3"},           {kEcs, "ecs"},   {kContainer, "container"},
    {kRds, "rds"},   {kCredentials, "credentials"}, {kRole, "role"}, {kAccount, "account"},
};

std::string_view choice_name(Choice choice) {
  switch (choice) {
    case kPlaybook: return "playbook";
    case kByPrincipal: return "by principal";
    case kByResource: return "by resource";
    case kUnrouted: return "unrouted";
  }
  return "";
}

bool glob_matches(std::string_view pattern, const std::string& text) {
  return fnmatch(std::string(pattern).c_str(), text.c_str(), FNM_CASEFOLD) == 0;
}

// ThreatPurpose:ResourceTypeAffected/ThreatFamilyName...
bool is_guardduty_type(const std::string& type) {
  static const std::regex kShape(R"(^[A-Za-z]+:[A-Za-z0-9]+/\S+$)");
  return std::regex_match(type, kShape);
}

// The ids a playbook may be given. Anything else in a finding is text, not a target.
bool valid(std::string_view what, const std::string& id) {
  static const std::regex kInstance(R"(^i-[0-9a-f]{8}([0-9a-f]{9})?$)");
  static const std::regex kBucket(R"(^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$)");
  static const std::regex kIamName(R"(^[\w+=,.@-]{1,64}$)");
  static const std::regex kAccessKey(R"(^[A-Z0-9]{16,128}$)");
  static const std::regex kAccount(R"(^\d{12}$)");
  static const std::regex kEcsCluster(R"(^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/)?[A-Za-z0-9_-]{1,255}$)");
  static const std::regex kContainer(R"(^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$)");
  static const std::regex kDatabase(R"(^[A-Za-z][A-Za-z0-9-]{0,62}$)");
  const std::pair<std::string_view, const std::regex*> patterns[] = {
      {"instance", &kInstance}, {"bucket", &kBucket},       {"iam", &kIamName},
      {"key", &kAccessKey},     {"account", &kAccount},     {"ecs", &kEcsCluster},
      {"container", &kContainer}, {"database", &kDatabase},
  };
  for (const auto& [name, pattern] : patterns) {
    if (name == what) return std::regex_match(id, *pattern);
  }
  return false;
}

// The playbook's targets from the Incident, and what is missing when there are none.
std::pair<std::vector<std::string>, std::string> targets_for(Playbook playbook, const Incident& incident) {
  const Resources& r = incident.resources;
  const Actor& a = incident.actor;
  std::vector<std::string> targets;
  auto add = [&](std::string_view what, const std::string& id) {
    if (!id.empty() && valid(what, id)) targets.push_back(id);
    return !targets.empty();
  };
  switch (playbook) {
    case kEc2:
      add("instance", r.instance_id);
      return {targets, "instance id"};
    case kS3:
      for (const auto& bucket : r.bucket_names) add("bucket", bucket);
      return {targets, "bucket"};
    case kCredentials:
      if (!add("iam", a.user_name)) add("key", a.access_key_id);
      return {targets, "IAM user or access key"};
    case kRole:
      add("iam", a.role_name);
      return {targets, "role"};
    case kAccount:
      add("account", incident.account_id);
      return {targets, "account id"};
    case kEcs:
      add("ecs", r.ecs_cluster);
      return {targets, "ECS cluster"};
    case kContainer:
      if (!add("container", r.container_id)) add("container", r.container_name);
      return {targets, "container"};
    case kRds:
      if (!add("database", r.rds_instance)) add("database", r.rds_cluster);
      return {targets, "DB instance or cluster"};
  }
  return {targets, ""};
}

Route unrouted(std::string reason, std::string family = "") {
  Route route;
  route.reason = std::move(reason);
  route.family = std::move(family);
  return route;
}

Route by_resource(const FamilyRule& rule, const Incident& incident) {
  for (const auto& row : kResources) {
    if (row.resource != incident.resource_type) continue;
    Route route;
    route.family = std::string(rule.pattern);
    route.playbook = row.playbook;
    route.reason = fmt::format("{}, {}", rule.why, row.why);
    if (row.playbook) return route;
    const Resources& r = incident.resources;
    // The EKS node the activity ran on is compute the ec2 playbook contains.
    if (row.resource == ResourceType::kEksCluster && valid("instance", r.instance_id)) {
      route.playbook = kEc2;
      route.reason += fmt::format("; it ran on node instance {}, which the ec2 playbook contains", r.instance_id);
    }
    if (row.resource == ResourceType::kLambda && !r.lambda_role_arn.empty()) {
      route.reason += fmt::format(" (its execution role {} is the role playbook's to revoke)", r.lambda_role_arn);
    }
    return route;
  }
  const std::string named = incident.resource_type_name.empty() ? "no resource type" : "resource type '" + incident.resource_type_name + "'";
  return unrouted(fmt::format("{}, but the finding has {}: it does not say where to act", rule.why, named),
                  std::string(rule.pattern));
}

Route by_principal(const FamilyRule& rule, const Incident& incident) {
  const Actor& a = incident.actor;
  for (const auto& row : kPrincipals) {
    if (row.user != a.user_type) continue;
    Route route;
    route.family = std::string(rule.pattern);
    route.playbook = row.playbook;
    route.reason = fmt::format("{}: {}", rule.why, row.why);
    return route;
  }
  return unrouted(fmt::format("{}, by a user type firebreak does not know", rule.why), std::string(rule.pattern));
}

}  // namespace

std::string_view playbook_name(Playbook playbook) {
  for (const auto& [value, name] : kPlaybookNames) {
    if (value == playbook) return name;
  }
  return "";
}

std::optional<Playbook> parse_playbook(std::string_view name) {
  for (const auto& [value, known] : kPlaybookNames) {
    if (known == name) return value;
  }
  return {};
}

std::string Route::summary() const {
  return playbook ? std::string(playbook_name(*playbook)) : "unrouted: " + reason;
}

Route route(const Incident& incident) {
  if (incident.product != "GuardDuty") {
    return unrouted(fmt::format("a {} finding, not GuardDuty's: the routing table is for GuardDuty finding types",
                                incident.product.empty() ? "Security Hub" : incident.product));
  }
  if (!is_guardduty_type(incident.type)) {
    return unrouted(fmt::format("'{}' is not a GuardDuty finding type (ThreatPurpose:Resource/Family)", incident.type));
  }
  const FamilyRule* rule = nullptr;
  for (const auto& row : kFamilies) {
    if (glob_matches(row.pattern, incident.type)) {
      rule = &row;
      break;
    }
  }
  if (!rule) {
    return unrouted(fmt::format("no routing for finding type '{}': its family is not in the routing table", incident.type));
  }
  Route route;
  switch (rule->choice) {
    case kPlaybook:
      route.family = std::string(rule->pattern);
      route.playbook = rule->playbook;
      route.reason = std::string(rule->why);
      break;
    case kByPrincipal:
      route = by_principal(*rule, incident);
      break;
    case kByResource:
      route = by_resource(*rule, incident);
      break;
    case kUnrouted:
      return unrouted(std::string(rule->why), std::string(rule->pattern));
  }
  if (!route.playbook) return route;
  auto [targets, wanted] = targets_for(*route.playbook, incident);
  route.targets = std::move(targets);
  if (route.targets.empty()) route.reason += fmt::format("; the finding names no valid {} to act on", wanted);
  if (*route.playbook == kRole && valid("instance", incident.resources.instance_id)) {
    route.reason += fmt::format("; investigate instance {} with the ec2 playbook", incident.resources.instance_id);
  }
  return route;
}

RoutedFindings route_findings(FindingSet set) {
  RoutedFindings out;
  out.problems = std::move(set.problems);
  out.findings.reserve(set.incidents.size());
  for (auto& incident : set.incidents) {
    Route r = route(incident);
    out.findings.push_back({std::move(incident), std::move(r)});
  }
  return out;
}

RoutedFindings route_document(const Json& document, std::string_view source) {
  return route_findings(read_findings_document(document, source));
}

RoutedFindings route_file(const std::string& path) { return route_findings(read_findings_file(path)); }

Json routing_table() {
  Json rows = Json::array();
  for (const auto& row : kFamilies) {
    rows.push_back({{"family", row.pattern},
                    {"how", choice_name(row.choice)},
                    {"playbook", row.playbook ? Json(playbook_name(*row.playbook)) : Json()},
                    {"why", row.why}});
  }
  return rows;
}

}  // namespace firebreak::findings
