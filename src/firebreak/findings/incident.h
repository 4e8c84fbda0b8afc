#pragma once
// An Incident: what one finding says happened, to which resource, and by whom. It is what a
// playbook starts from. The reader (reader.h) builds it from any form a finding arrives in;
// the finding itself rides along unchanged as evidence for the case.
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/base/json.h"

namespace firebreak::findings {

// The kind of resource a finding is about, as GuardDuty's Resource.ResourceType names it
// (Security Hub's resource types are mapped onto these).
enum class ResourceType {
  kUnknown,  // the finding does not say
  kInstance,
  kAccessKey,
  kS3Bucket,
  kS3Object,
  kEksCluster,
  kEcsCluster,
  kContainer,
  kRdsDbInstance,
  kRdsLimitlessDb,
  kLambda,
  kEbsSnapshot,
  kEc2Image,
  kRecoveryPoint,
  kAttackSequence,
  kOther,  // named, but not one firebreak knows
};

// "Instance", "EKSCluster", ...; "" for kUnknown and kOther.
std::string_view resource_type_name(ResourceType type);
// Case-insensitive; a name firebreak does not know is kOther, an empty one kUnknown.
ResourceType parse_resource_type(std::string_view name);

// Whose credentials acted, as GuardDuty's accessKeyDetails.userType names it.
enum class UserType { kUnknown, kIamUser, kAssumedRole, kRoot, kFederatedUser, kAwsService, kAwsAccount, kOther };

std::string_view user_type_name(UserType type);
UserType parse_user_type(std::string_view name);

enum class FindingFormat { kGuardDuty, kSecurityHub };

// GuardDuty's labels for its 1-10 scale: LOW below 4, MEDIUM below 7, HIGH below 9, CRITICAL.
std::string severity_label(double severity);

struct Actor {
  UserType user_type = UserType::kUnknown;
  std::string user_type_name;  // as written in the finding ("IAMUser", "AssumedRole", ...)
  std::string user_name;       // the IAM user; for AssumedRole GuardDuty puts the role's name here
  std::string principal_id;    // AIDA... for a user, AROA...:session for a role session
  std::string access_key_id;
  std::string arn;             // built from the above: user/NAME, assumed-role/NAME/SESSION or root
  std::string role_name;       // the role, when the credentials were a role's session
  std::string role_arn;        // arn:PARTITION:iam::ACCOUNT:role/NAME (the role's path is not in findings)
  std::string remote_ip;       // the caller (API calls) or the peer (network findings)
  std::string api;             // the API call GuardDuty flagged
};

// Every id a finding can name. Empty when the finding does not name it.
struct Resources {
  std::string instance_id;
  std::string instance_profile_arn;
  std::vector<std::string> bucket_names;
  std::string eks_cluster;
  std::string kubernetes_workload;  // NAMESPACE/NAME
  std::string ecs_cluster;          // the cluster's ARN when given, else its name
  std::string ecs_task_arn;
  std::string container_id;
  std::string container_name;
  std::string container_image;
  std::string rds_instance;
  std::string rds_cluster;
  std::string rds_user;             // the database user of an RDS login finding
  std::string lambda_function;
  std::string lambda_role_arn;      // the function's execution role
};

struct Incident {
  FindingFormat format = FindingFormat::kGuardDuty;
  std::string product;       // "GuardDuty", or the Security Hub product that made the finding
  std::string finding_id;    // GuardDuty's finding id (the ASFF Id for other products)
  std::string finding_arn;
  std::string type;          // GuardDuty's "Backdoor:EC2/C&CActivity.B!DNS" (ASFF Types[0] otherwise)
  std::string title;
  double severity = 0;       // GuardDuty's 1-10 scale (ASFF Normalized / 10 for other products)
  std::string severity_label;
  std::string account_id;
  std::string region;
  std::string partition = "aws";
  std::string created_at;    // as written in the finding
  std::string updated_at;
  bool sample = false;       // a GuardDuty sample finding (CreateSampleFindings)
  bool archived = false;

  ResourceType resource_type = ResourceType::kUnknown;
  std::string resource_type_name;  // as written in the finding
  Resources resources;
  Actor actor;

  std::string origin;  // where it was read: "events.json: Records[0].Sns.Message.detail"
  Json raw;            // the finding exactly as read (GuardDuty or ASFF object): evidence
};

// "Instance i-0abc", "S3Bucket b1, b2", "AccessKey AKIA... (IAMUser alice)": for tables.
std::string describe_resource(const Incident& incident);

// Stable snake_case names, for --output json and the case ledger; `raw` under "finding"
// only when include_raw.
Json to_json(const Incident& incident, bool include_raw = true);

}  // namespace firebreak::findings
