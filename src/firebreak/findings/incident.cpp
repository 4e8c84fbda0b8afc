#include "firebreak/findings/incident.h"

#include <fmt/format.h>

#include <utility>

#include "firebreak/base/encoding.h"

namespace firebreak::findings {
namespace {

constexpr std::pair<ResourceType, std::string_view> kResourceTypeNames[] = {
    {ResourceType::kInstance, "Instance"},
    {ResourceType::kAccessKey, "AccessKey"},
    {ResourceType::kS3Bucket, "S3Bucket"},
    {ResourceType::kS3Object, "S3Object"},
    {ResourceType::kEksCluster, "EKSCluster"},
    {ResourceType::kEcsCluster, "ECSCluster"},
    {ResourceType::kContainer, "Container"},
    {ResourceType::kRdsDbInstance, "RDSDBInstance"},
    {ResourceType::kRdsLimitlessDb, "RDSLimitlessDB"},
    {ResourceType::kLambda, "Lambda"},
    {ResourceType::kEbsSnapshot, "EBSSnapshot"},
    {ResourceType::kEc2Image, "EC2Image"},
    {ResourceType::kRecoveryPoint, "RecoveryPoint"},
    {ResourceType::kAttackSequence, "AttackSequence"},
};

constexpr std::pair<UserType, std::string_view> kUserTypeNames[] = {
    {UserType::kIamUser, "IAMUser"},          {UserType::kAssumedRole, "AssumedRole"},
    {UserType::kRoot, "Root"},                {UserType::kFederatedUser, "FederatedUser"},
    {UserType::kAwsService, "AWSService"},    {UserType::kAwsAccount, "AWSAccount"},
};

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

}  // namespace

std::string_view resource_type_name(ResourceType type) {
  for (const auto& [value, name] : kResourceTypeNames) {
    if (value == type) return name;
  }
  return "";
}

ResourceType parse_resource_type(std::string_view name) {
  if (name.empty()) return ResourceType::kUnknown;
  const std::string lower = to_lower(name);
  for (const auto& [value, known] : kResourceTypeNames) {
    if (lower == to_lower(known)) return value;
  }
  return ResourceType::kOther;
}

std::string_view user_type_name(UserType type) {
  for (const auto& [value, name] : kUserTypeNames) {
    if (value == type) return name;
  }
  return "";
}

UserType parse_user_type(std::string_view name) {
  if (name.empty()) return UserType::kUnknown;
  const std::string lower = to_lower(name);
  for (const auto& [value, known] : kUserTypeNames) {
    if (lower == to_lower(known)) return value;
  }
  return UserType::kOther;
}

std::string severity_label(double severity) {
  if (severity < 4) return "LOW";
  if (severity < 7) return "MEDIUM";
  if (severity < 9) return "HIGH";
  return "CRITICAL";
}

std::string describe_resource(const Incident& incident) {
  const Resources& r = incident.resources;
  const Actor& a = incident.actor;
  std::string id;
  switch (incident.resource_type) {
    case ResourceType::kInstance:
      id = r.instance_id;
      break;
    case ResourceType::kS3Bucket:
    case ResourceType::kS3Object:
      id = join(r.bucket_names, ", ");
      break;
    case ResourceType::kEksCluster:
      id = r.kubernetes_workload.empty() ? r.eks_cluster : r.eks_cluster + " " + r.kubernetes_workload;
      break;
    case ResourceType::kEcsCluster:
      id = r.ecs_task_arn.empty() ? r.ecs_cluster : r.ecs_task_arn;
      break;
    case ResourceType::kContainer:
      id = !r.container_name.empty() ? r.container_name : r.container_id;
      break;
    case ResourceType::kRdsDbInstance:
    case ResourceType::kRdsLimitlessDb:
      id = !r.rds_instance.empty() ? r.rds_instance : r.rds_cluster;
      break;
    case ResourceType::kLambda:
      id = r.lambda_function;
      break;
    case ResourceType::kAccessKey:
    case ResourceType::kAttackSequence:
    case ResourceType::kUnknown:
    case ResourceType::kOther:
    case ResourceType::kEbsSnapshot:
    case ResourceType::kEc2Image:
    case ResourceType::kRecoveryPoint:
      break;
  }
  std::string who;
  if (!a.user_name.empty()) {
    who = a.user_type_name.empty() ? a.user_name : a.user_type_name + " " + a.user_name;
  }
  if (id.empty() && !a.access_key_id.empty()) id = a.access_key_id;
  std::string out = incident.resource_type_name;
  if (!id.empty()) out += (out.empty() ? "" : " ") + id;
  if (!who.empty()) out += (out.empty() ? "" : " ") + ("(" + who + ")");
  return out;
}

Json to_json(const Incident& incident, bool include_raw) {
  const Resources& r = incident.resources;
  const Actor& a = incident.actor;
  Json resources = Json::object();
  // Only the ids the finding names: a reader sees at a glance what there is to act on.
  auto put = [](Json& object, const char* key, const std::string& value) {
    if (!value.empty()) object[key] = value;
  };
  put(resources, "instance_id", r.instance_id);
  put(resources, "instance_profile_arn", r.instance_profile_arn);
  if (!r.bucket_names.empty()) resources["bucket_names"] = r.bucket_names;
  put(resources, "eks_cluster", r.eks_cluster);
  put(resources, "kubernetes_workload", r.kubernetes_workload);
  put(resources, "ecs_cluster", r.ecs_cluster);
  put(resources, "ecs_task_arn", r.ecs_task_arn);
  put(resources, "container_id", r.container_id);
  put(resources, "container_name", r.container_name);
  put(resources, "container_image", r.container_image);
  put(resources, "rds_instance", r.rds_instance);
  put(resources, "rds_cluster", r.rds_cluster);
  put(resources, "rds_user", r.rds_user);
  put(resources, "lambda_function", r.lambda_function);
  put(resources, "lambda_role_arn", r.lambda_role_arn);

  Json actor = Json::object();
  put(actor, "user_type", a.user_type_name);
  put(actor, "user_name", a.user_name);
  put(actor, "principal_id", a.principal_id);
  put(actor, "access_key_id", a.access_key_id);
  put(actor, "arn", a.arn);
  put(actor, "role_name", a.role_name);
  put(actor, "role_arn", a.role_arn);
  put(actor, "remote_ip", a.remote_ip);
  put(actor, "api", a.api);

  Json out = {
      {"format", incident.format == FindingFormat::kGuardDuty ? "guardduty" : "securityhub"},
      {"product", incident.product},
      {"finding_id", incident.finding_id},
      {"finding_arn", incident.finding_arn},
      {"type", incident.type},
      {"title", incident.title},
      {"severity", incident.severity},
      {"severity_label", incident.severity_label},
      {"account_id", incident.account_id},
      {"region", incident.region},
      {"partition", incident.partition},
      {"created_at", incident.created_at},
      {"updated_at", incident.updated_at},
      {"sample", incident.sample},
      {"archived", incident.archived},
      {"resource_type", incident.resource_type_name},
      {"resources", resources},
      {"actor", actor},
      {"origin", incident.origin},
  };
  if (include_raw) out["finding"] = incident.raw;
  return out;
}

}  // namespace firebreak::findings
