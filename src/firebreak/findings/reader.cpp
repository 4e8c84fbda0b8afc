#include "firebreak/findings/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "firebreak/base/error.h"

namespace firebreak::findings {
namespace {

// Wrappers nest (SNS in SQS in a JSON array...); past this depth the input is hostile, not real.
constexpr int kMaxDepth = 16;

// GuardDuty's API and boto3 name members in PascalCase; exports, EventBridge and SNS in
// camelCase. Lookups take the PascalCase name and accept both.
const Json* member(const Json* object, std::string_view name) {
  if (!object || !object->is_object() || name.empty()) return nullptr;
  std::string key(name);
  if (auto it = object->find(key); it != object->end()) return &*it;
  key[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(key[0])));
  if (auto it = object->find(key); it != object->end()) return &*it;
  return nullptr;
}

// Follows a path of members ("Resource", "InstanceDetails", "InstanceId").
const Json* at(const Json* object, std::initializer_list<std::string_view> path) {
  for (std::string_view name : path) object = member(object, name);
  return object;
}

// A scalar as text (numbers too: ids and timestamps arrive as either); "" when absent or null.
std::string scalar_text(const Json* value) {
  if (!value || value->is_null() || value->is_object() || value->is_array()) return "";
  if (value->is_string()) return value->get<std::string>();
  if (value->is_boolean()) return value->get<bool>() ? "true" : "false";
  if (value->is_number_integer()) return std::to_string(value->get<long long>());
  return value->dump();
}

std::string text(const Json* object, std::initializer_list<std::string_view> path) {
  return scalar_text(at(object, path));
}

const Json* first_element(const Json* array) {
  return array && array->is_array() && !array->empty() ? &(*array)[0] : nullptr;
}

std::optional<double> number(const Json* value) {
  if (!value) return {};
  if (value->is_number()) return value->get<double>();
  if (value->is_string()) {
    const std::string s = value->get<std::string>();
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == '\0') return d;
  }
  return {};
}

bool truthy(const Json* value) {
  return value && ((value->is_boolean() && value->get<bool>()) || (value->is_string() && *value == "true"));
}

// Finding field names as the finding itself spells them, for error messages.
std::string field_name(const Json& finding, std::string_view pascal) {
  const bool is_pascal = finding.contains("Id") || finding.contains("AccountId") || finding.contains("SchemaVersion");
  std::string name(pascal);
  if (!is_pascal) name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
  return name;
}

std::string required_text(const Json& finding, std::string_view pascal, std::string_view kind) {
  const Json* value = member(&finding, pascal);
  if (!value || value->is_null()) {
    throw InputError(fmt::format("{} without the field '{}'", kind, field_name(finding, pascal)));
  }
  if (!value->is_string() || value->get<std::string>().empty()) {
    throw InputError(fmt::format("{}: '{}' must be a non-empty string, not {}", kind, field_name(finding, pascal),
                                 value->dump()));
  }
  return value->get<std::string>();
}

// An object member that must be an object when present (a truncated or hand-edited finding
// can have "resource": null or a string).
const Json* optional_object(const Json& finding, std::string_view pascal, std::string_view kind) {
  const Json* value = member(&finding, pascal);
  if (!value || value->is_null()) return nullptr;
  if (!value->is_object()) {
    throw InputError(fmt::format("{}: '{}' must be an object, not {}", kind, field_name(finding, pascal),
                                 value->type_name()));
  }
  return value;
}

std::string after(std::string_view text, std::string_view marker) {
  auto pos = text.find(marker);
  return pos == std::string_view::npos ? "" : std::string(text.substr(pos + marker.size()));
}

void add_unique(std::vector<std::string>& list, std::string value) {
  if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end()) list.push_back(std::move(value));
}

// ARNs and the role behind a role session, once the actor's fields are known.
void finish_actor(Incident& incident) {
  Actor& a = incident.actor;
  a.user_type = parse_user_type(a.user_type_name);
  if (a.user_type == UserType::kUnknown) {
    // IAM's unique-id prefixes say what kind of principal it is when the finding does not.
    if (a.principal_id.starts_with("AROA")) a.user_type = UserType::kAssumedRole;
    if (a.principal_id.starts_with("AIDA")) a.user_type = UserType::kIamUser;
  }
  if (incident.account_id.empty()) return;
  const std::string iam = fmt::format("arn:{}:iam::{}:", incident.partition, incident.account_id);
  switch (a.user_type) {
    case UserType::kIamUser:
      if (!a.user_name.empty()) a.arn = iam + "user/" + a.user_name;
      break;
    case UserType::kAssumedRole:
      if (a.user_name.empty()) break;
      a.role_name = a.user_name;
      a.role_arn = iam + "role/" + a.role_name;
      a.arn = a.role_arn;
      if (auto session = after(a.principal_id, ":"); !session.empty()) {
        a.arn = fmt::format("arn:{}:sts::{}:assumed-role/{}/{}", incident.partition, incident.account_id,
                            a.role_name, session);
      }
      break;
    case UserType::kRoot:
      a.arn = iam + "root";
      break;
    default:
      break;
  }
}

// The resource type from the detail blocks present, for findings that do not name it.
ResourceType infer_resource_type(const Json* resource) {
  constexpr std::pair<std::string_view, ResourceType> kDetails[] = {
      {"EksClusterDetails", ResourceType::kEksCluster},   {"EcsClusterDetails", ResourceType::kEcsCluster},
      {"LambdaDetails", ResourceType::kLambda},           {"RdsDbInstanceDetails", ResourceType::kRdsDbInstance},
      {"ContainerDetails", ResourceType::kContainer},     {"InstanceDetails", ResourceType::kInstance},
      {"S3BucketDetails", ResourceType::kS3Bucket},       {"AccessKeyDetails", ResourceType::kAccessKey},
  };
  for (const auto& [name, type] : kDetails) {
    if (member(resource, name)) return type;
  }
  return ResourceType::kUnknown;
}

// Extended Threat Detection: an attack sequence names its resources and actors here, not in Resource.
void read_sequence(const Json* sequence, Incident& incident) {
  if (!sequence) return;
  Resources& r = incident.resources;
  if (const Json* resources = member(sequence, "Resources"); resources && resources->is_array()) {
    for (const Json& resource : *resources) {
      const std::string type = text(&resource, {"ResourceType"});
      const std::string name = text(&resource, {"Name"});
      const std::string uid = text(&resource, {"Uid"});
      const std::string id = name.empty() ? uid : name;
      if (type == "S3_BUCKET") add_unique(r.bucket_names, id);
      if (type == "EC2_INSTANCE" && r.instance_id.empty()) r.instance_id = uid.empty() ? name : uid;
      if (type == "EKS_CLUSTER" && r.eks_cluster.empty()) r.eks_cluster = id;
      if (type == "ECS_CLUSTER" && r.ecs_cluster.empty()) r.ecs_cluster = id;
      if (type == "ECS_TASK" && r.ecs_task_arn.empty()) r.ecs_task_arn = uid;
      if (type == "ACCESS_KEY" && incident.actor.access_key_id.empty()) incident.actor.access_key_id = uid;
    }
  }
  if (const Json* user = at(first_element(member(sequence, "Actors")), {"User"})) {
    Actor& a = incident.actor;
    if (a.user_name.empty()) a.user_name = text(user, {"Name"});
    if (a.user_type_name.empty()) a.user_type_name = text(user, {"Type"});
    if (a.principal_id.empty()) a.principal_id = text(user, {"Uid"});
    if (a.access_key_id.empty()) a.access_key_id = text(user, {"CredentialUid"});
  }
}

// GuardDuty's additionalInfo is free-form: {"sample": true} in exports, and in the API's own
// shape {"Value": "<JSON>", "Type": "default"}.
bool is_sample(const Json* additional_info) {
  if (!additional_info) return false;
  if (truthy(member(additional_info, "Sample"))) return true;
  if (const Json* value = member(additional_info, "Value"); value && value->is_string()) {
    Json parsed = Json::parse(value->get<std::string>(), nullptr, false);
    return parsed.is_object() && truthy(member(&parsed, "Sample"));
  }
  return false;
}

std::string remote_ip(const Json* action) {
  for (std::string_view kind : {"AwsApiCallAction", "NetworkConnectionAction", "KubernetesApiCallAction",
                                "RdsLoginAttemptAction"}) {
    if (auto ip = text(action, {kind, "RemoteIpDetails", "IpAddressV4"}); !ip.empty()) return ip;
  }
  const Json* probe = first_element(at(action, {"PortProbeAction", "PortProbeDetails"}));
  return text(probe, {"RemoteIpDetails", "IpAddressV4"});
}

// The ASFF resource types in the order that decides the Incident's resource type: the
// workload a process ran in before the host under it, the bucket before the key that touched it.
constexpr std::pair<std::string_view, ResourceType> kAsffResourceTypes[] = {
    {"AwsEksCluster", ResourceType::kEksCluster},      {"AwsEcsCluster", ResourceType::kEcsCluster},
    {"AwsEcsTask", ResourceType::kEcsCluster},         {"AwsLambdaFunction", ResourceType::kLambda},
    {"AwsRdsDbInstance", ResourceType::kRdsDbInstance}, {"AwsRdsDbCluster", ResourceType::kRdsDbInstance},
    {"Container", ResourceType::kContainer},           {"AwsEc2Instance", ResourceType::kInstance},
    {"AwsS3Object", ResourceType::kS3Object},          {"AwsS3Bucket", ResourceType::kS3Bucket},
    {"AwsIamAccessKey", ResourceType::kAccessKey},
};

void read_asff_resource(const Json& resource, Incident& incident) {
  Resources& r = incident.resources;
  Actor& a = incident.actor;
  const std::string type = text(&resource, {"Type"});
  const std::string id = text(&resource, {"Id"});
  const Json* details = member(&resource, "Details");
  if (type == "AwsEc2Instance") {
    r.instance_id = id.starts_with("i-") ? id : after(id, ":instance/");
    r.instance_profile_arn = text(details, {"AwsEc2Instance", "IamInstanceProfileArn"});
  } else if (type == "AwsIamAccessKey") {
    const Json* key = member(details, "AwsIamAccessKey");
    a.user_name = text(key, {"PrincipalName"});
    if (a.user_name.empty()) a.user_name = text(key, {"UserName"});
    a.principal_id = text(key, {"PrincipalId"});
    a.user_type_name = text(key, {"PrincipalType"});
    a.access_key_id = text(key, {"AccessKeyId"});
    // GuardDuty writes the key into the resource id, "null" when it has none.
    if (a.access_key_id.empty()) a.access_key_id = after(id, "AWS::IAM::AccessKey:");
    if (a.access_key_id == "null") a.access_key_id.clear();
  } else if (type == "AwsS3Bucket") {
    add_unique(r.bucket_names, id.find(":::") != std::string::npos ? after(id, ":::") : id);
  } else if (type == "AwsS3Object") {
    std::string path = id.find(":::") != std::string::npos ? after(id, ":::") : id;
    add_unique(r.bucket_names, path.substr(0, path.find('/')));
  } else if (type == "AwsEksCluster") {
    r.eks_cluster = text(details, {"AwsEksCluster", "Name"});
    if (r.eks_cluster.empty()) r.eks_cluster = after(id, ":cluster/");
  } else if (type == "AwsEcsCluster") {
    r.ecs_cluster = id.empty() ? text(details, {"AwsEcsCluster", "ClusterName"}) : id;
  } else if (type == "AwsEcsTask") {
    r.ecs_task_arn = id;
  } else if (type == "Container") {
    r.container_name = text(details, {"Container", "Name"});
    r.container_image = text(details, {"Container", "ImageName"});
    r.container_id = id;
  } else if (type == "AwsRdsDbInstance") {
    r.rds_instance = text(details, {"AwsRdsDbInstance", "DbInstanceIdentifier"});
    if (r.rds_instance.empty()) r.rds_instance = after(id, ":db:");
    r.rds_cluster = text(details, {"AwsRdsDbInstance", "DbClusterIdentifier"});
  } else if (type == "AwsRdsDbCluster") {
    r.rds_cluster = text(details, {"AwsRdsDbCluster", "DbClusterIdentifier"});
    if (r.rds_cluster.empty()) r.rds_cluster = after(id, ":cluster:");
  } else if (type == "AwsLambdaFunction") {
    r.lambda_function = text(details, {"AwsLambdaFunction", "FunctionName"});
    if (r.lambda_function.empty()) r.lambda_function = after(id, ":function:");
    r.lambda_role_arn = text(details, {"AwsLambdaFunction", "Role"});
  } else if (type == "AwsIamRole") {
    a.role_name = text(details, {"AwsIamRole", "RoleName"});
    if (a.role_name.empty()) a.role_name = after(id, ":role/");
    a.role_arn = id;
  } else if (type == "AwsIamUser" && a.user_name.empty()) {
    a.user_name = text(details, {"AwsIamUser", "UserName"});
    if (a.user_name.empty()) a.user_name = after(id, ":user/");
  }
}

// A ProductFields value by the end of its key: GuardDuty has written both
// "action/awsApiCallAction/api" and "aws/guardduty/service/action/awsApiCallAction/api".
std::string product_field(const Json* fields, std::string_view suffix) {
  if (!fields || !fields->is_object()) return "";
  for (auto it = fields->begin(); it != fields->end(); ++it) {
    if (std::string_view(it.key()).ends_with(suffix)) return scalar_text(&it.value());
  }
  return "";
}

std::string asff_severity_label(double normalized) {
  if (normalized < 1) return "INFORMATIONAL";
  if (normalized < 40) return "LOW";
  if (normalized < 70) return "MEDIUM";
  if (normalized < 90) return "HIGH";
  return "CRITICAL";
}

std::string json_type(const Json& value) {
  if (value.is_string()) return "a JSON string";
  if (value.is_number()) return "a JSON number";
  if (value.is_boolean()) return "a JSON boolean";
  if (value.is_null()) return "JSON null";
  return value.is_array() ? "a JSON array" : "a JSON object";
}

// What a JSON object that is no finding is, so the responder knows what was handed over.
std::string describe_other(const Json& value) {
  if (!value.is_object()) return json_type(value) + ", not a finding";
  if (value.contains("eventVersion") && value.contains("eventSource")) {
    return fmt::format("a CloudTrail event ({} from {}), not a finding", text(&value, {"EventName"}),
                       text(&value, {"EventSource"}));
  }
  if (value.contains("Type") && value["Type"] == "SubscriptionConfirmation") {
    return "an SNS subscription confirmation, not a finding";
  }
  std::string keys;
  int shown = 0;
  for (auto it = value.begin(); it != value.end() && shown < 6; ++it, ++shown) {
    keys += (keys.empty() ? "" : ", ") + it.key();
  }
  if (value.size() > 6) keys += fmt::format(" and {} more", value.size() - 6);
  if (keys.empty()) return "an empty JSON object, not a finding";
  return fmt::format("a JSON object with keys {}: not a finding in any form firebreak reads", keys);
}

bool looks_like_asff(const Json& value) {
  return value.contains("ProductArn") || (value.contains("AwsAccountId") && value.contains("Resources"));
}

bool looks_like_guardduty(const Json& value) {
  const bool has_type = member(&value, "Type") != nullptr;
  const bool has_body = member(&value, "Resource") || member(&value, "Service");
  return (has_type && has_body) || text(&value, {"SchemaVersion"}) == "2.0" ||
         text(&value, {"Service", "ServiceName"}) == "guardduty" ||
         text(&value, {"Arn"}).find(":guardduty:") != std::string::npos;
}

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  void document(const Json& value, const std::string& path, int depth) {
    if (depth > kMaxDepth) return problem(path, "wrappers nested too deeply to be a real finding");
    if (value.is_array()) {
      if (value.empty()) return problem(path, "an empty JSON array: no findings");
      for (size_t i = 0; i < value.size(); ++i) document(value[i], join(path, fmt::format("[{}]", i)), depth + 1);
      return;
    }
    if (!value.is_object()) return problem(path, describe_other(value));
    if (value.contains("Records")) return records(value["Records"], join(path, "Records"), depth);
    if (value.contains("detail-type")) return event(value, path, depth);
    if (value.value("Type", Json()) == "Notification" && value.contains("Message")) {
      return embedded(value["Message"], join(path, "Message"), depth);
    }
    for (const char* key : {"Findings", "findings"}) {
      if (value.contains(key) && value[key].is_array()) {
        const Json& list = value[key];
        for (size_t i = 0; i < list.size(); ++i) {
          document(list[i], join(path, fmt::format("{}[{}]", key, i)), depth + 1);
        }
        return;
      }
    }
    if (looks_like_asff(value)) return finding(value, path, incident_from_asff);
    if (looks_like_guardduty(value)) return finding(value, path, incident_from_guardduty);
    problem(path, describe_other(value));
  }

  FindingSet take() { return std::move(result_); }

 private:
  static std::string join(const std::string& path, const std::string& step) {
    if (path.empty()) return step;
    return step.starts_with("[") ? path + step : path + "." + step;
  }

  std::string where(const std::string& path) const { return path.empty() ? source_ : source_ + ": " + path; }

  void problem(const std::string& path, std::string message) {
    result_.problems.push_back({where(path), std::move(message)});
  }

  void finding(const Json& value, const std::string& path, Incident (*convert)(const Json&)) {
    try {
      Incident incident = convert(value);
      incident.origin = where(path);
      result_.incidents.push_back(std::move(incident));
    } catch (const InputError& e) {
      problem(path, e.what());
    }
  }

  // Lambda's event records: SNS deliveries, SQS messages, or (not findings) CloudTrail log records.
  void records(const Json& list, const std::string& path, int depth) {
    if (!list.is_array()) return problem(path, "'Records' is not an array");
    if (!list.empty() && list[0].is_object() && list[0].contains("eventVersion")) {
      return problem(path, fmt::format("a CloudTrail log file ({} events), not findings", list.size()));
    }
    for (size_t i = 0; i < list.size(); ++i) {
      const Json& record = list[i];
      const std::string at_record = fmt::format("{}[{}]", path, i);
      if (const Json* sns = member(&record, "Sns"); sns && sns->contains("Message")) {
        embedded((*sns)["Message"], at_record + ".Sns.Message", depth + 1);
      } else if (record.is_object() && record.contains("body")) {
        embedded(record["body"], at_record + ".body", depth + 1);
      } else {
        problem(at_record, "a record that is neither an SNS nor an SQS message");
      }
    }
  }

  // A document carried as a JSON string (SNS Message, SQS body).
  void embedded(const Json& message, const std::string& path, int depth) {
    if (!message.is_string()) return document(message, path, depth + 1);
    const std::string& text = message.get_ref<const std::string&>();
    try {
      document(Json::parse(text), path, depth + 1);
    } catch (const Json::parse_error& e) {
      problem(path, fmt::format("the message is not valid JSON ({})", e.what()));
    }
  }

  void event(const Json& value, const std::string& path, int depth) {
    const Json& kind = value["detail-type"];
    if (!kind.is_string()) return problem(path, "an EventBridge event pattern (a rule's filter), not a finding");
    const std::string detail_type = kind.get<std::string>();
    const std::string detail_path = join(path, "detail");
    const Json* detail = member(&value, "Detail");
    if (detail_type == "GuardDuty Finding") {
      if (!detail || !detail->is_object()) return problem(path, "a 'GuardDuty Finding' event without a detail object");
      return finding(*detail, detail_path, incident_from_guardduty);
    }
    if (detail_type.starts_with("Security Hub Findings")) {
      const Json* list = member(detail, "Findings");
      if (!list || !list->is_array()) {
        return problem(path, fmt::format("a '{}' event without detail.findings", detail_type));
      }
      for (size_t i = 0; i < list->size(); ++i) {
        finding((*list)[i], fmt::format("{}.findings[{}]", detail_path, i), incident_from_asff);
      }
      return;
    }
    if (detail_type == "Security Hub Insight Results") {
      return problem(path, "a 'Security Hub Insight Results' event: counts from an insight, not findings");
    }
    problem(path, fmt::format("an EventBridge '{}' event from {}, not a finding", detail_type,
                              value.value("source", std::string("an unknown source"))));
  }

  std::string source_;
  FindingSet result_;
};

// "line 3, column 17" of a byte offset, for errors a person can find in an editor.
std::pair<size_t, size_t> line_and_column(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// nlohmann's message without its "[json.exception...] parse error at line L, column C: " prefix.
std::string parse_reason(const Json::parse_error& e) {
  std::string_view what = e.what();
  if (auto pos = what.find(": "); pos != std::string_view::npos && what.starts_with("[json.exception")) {
    what.remove_prefix(pos + 2);
  }
  return std::string(what);
}

std::string syntax_error(std::string_view text, std::string_view source, const Json::parse_error& e) {
  // e.byte counts from 1 and is the character that could not be read.
  const size_t offset = e.byte > 0 ? e.byte - 1 : 0;
  auto [line, column] = line_and_column(text, offset);
  const bool at_end = e.byte >= text.size();
  return fmt::format("{}:{}:{}: not valid JSON: {}{}", source, line, column, parse_reason(e),
                     at_end ? " (the input ends early: truncated?)" : "");
}

bool blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](unsigned char c) { return std::isspace(c); });
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// JSON lines: one document per line. Told apart from a broken document by its first
// non-blank line being a whole JSON value on its own.
bool is_json_lines(const std::vector<std::string_view>& lines) {
  int non_blank = 0;
  std::string_view first;
  for (auto line : lines) {
    if (blank(line)) continue;
    if (non_blank++ == 0) first = line;
  }
  return non_blank > 1 && Json::accept(first);
}

}  // namespace

std::string guardduty_type_from_asff(std::string_view asff_type) {
  std::string_view last = asff_type.substr(asff_type.rfind('/') + 1);
  const auto colon = last.find(':');
  if (colon == std::string_view::npos || colon == 0) return "";
  if (std::any_of(last.begin(), last.begin() + colon, [](unsigned char c) { return !std::isalnum(c); })) return "";
  const auto dash = last.find('-', colon);
  if (dash == std::string_view::npos) return "";
  std::string type(last);
  type[dash] = '/';
  return type;
}

Incident incident_from_guardduty(const Json& finding) {
  constexpr std::string_view kKind = "a GuardDuty finding";
  if (!finding.is_object()) throw InputError(fmt::format("{} must be a JSON object", kKind));
  Incident incident;
  incident.format = FindingFormat::kGuardDuty;
  incident.product = "GuardDuty";
  incident.type = required_text(finding, "Type", kKind);
  incident.finding_id = required_text(finding, "Id", kKind);
  incident.finding_arn = text(&finding, {"Arn"});
  incident.title = text(&finding, {"Title"});
  incident.account_id = text(&finding, {"AccountId"});
  incident.region = text(&finding, {"Region"});
  if (auto partition = text(&finding, {"Partition"}); !partition.empty()) incident.partition = partition;
  incident.created_at = text(&finding, {"CreatedAt"});
  incident.updated_at = text(&finding, {"UpdatedAt"});
  if (auto severity = number(member(&finding, "Severity"))) {
    incident.severity = *severity;
    incident.severity_label = severity_label(*severity);
  }

  const Json* resource = optional_object(finding, "Resource", kKind);
  incident.resource_type_name = text(resource, {"ResourceType"});
  incident.resource_type = parse_resource_type(incident.resource_type_name);
  if (incident.resource_type == ResourceType::kUnknown) {
    incident.resource_type = infer_resource_type(resource);
    incident.resource_type_name = std::string(resource_type_name(incident.resource_type));
  }

  Resources& r = incident.resources;
  r.instance_id = text(resource, {"InstanceDetails", "InstanceId"});
  r.instance_profile_arn = text(resource, {"InstanceDetails", "IamInstanceProfile", "Arn"});
  if (const Json* buckets = member(resource, "S3BucketDetails"); buckets && buckets->is_array()) {
    for (const Json& bucket : *buckets) {
      std::string name = text(&bucket, {"Name"});
      if (name.empty()) name = after(text(&bucket, {"Arn"}), ":::");
      add_unique(r.bucket_names, name);
    }
  }
  r.eks_cluster = text(resource, {"EksClusterDetails", "Name"});
  if (const Json* workload = at(resource, {"KubernetesDetails", "KubernetesWorkloadDetails"})) {
    const std::string ns = text(workload, {"Namespace"});
    const std::string name = text(workload, {"Name"});
    if (!name.empty()) r.kubernetes_workload = ns.empty() ? name : ns + "/" + name;
  }
  if (const Json* ecs = member(resource, "EcsClusterDetails")) {
    r.ecs_cluster = text(ecs, {"Arn"});
    if (r.ecs_cluster.empty()) r.ecs_cluster = text(ecs, {"Name"});
    r.ecs_task_arn = text(ecs, {"TaskDetails", "Arn"});
    const Json* container = first_element(at(ecs, {"TaskDetails", "Containers"}));
    r.container_name = text(container, {"Name"});
    r.container_image = text(container, {"Image"});
  }
  if (const Json* container = member(resource, "ContainerDetails")) {
    r.container_id = text(container, {"Id"});
    r.container_name = text(container, {"Name"});
    r.container_image = text(container, {"Image"});
  }
  r.rds_instance = text(resource, {"RdsDbInstanceDetails", "DbInstanceIdentifier"});
  r.rds_cluster = text(resource, {"RdsDbInstanceDetails", "DbClusterIdentifier"});
  if (r.rds_cluster.empty()) r.rds_cluster = text(resource, {"RdsLimitlessDbDetails", "DbClusterIdentifier"});
  r.rds_user = text(resource, {"RdsDbUserDetails", "User"});
  r.lambda_function = text(resource, {"LambdaDetails", "FunctionName"});
  if (r.lambda_function.empty()) r.lambda_function = after(text(resource, {"LambdaDetails", "FunctionArn"}), ":function:");
  r.lambda_role_arn = text(resource, {"LambdaDetails", "Role"});

  Actor& a = incident.actor;
  const Json* key = member(resource, "AccessKeyDetails");
  a.access_key_id = text(key, {"AccessKeyId"});
  a.principal_id = text(key, {"PrincipalId"});
  a.user_name = text(key, {"UserName"});
  a.user_type_name = text(key, {"UserType"});

  const Json* service = optional_object(finding, "Service", kKind);
  incident.archived = truthy(member(service, "Archived"));
  incident.sample = is_sample(member(service, "AdditionalInfo"));
  const Json* action = member(service, "Action");
  a.api = text(action, {"AwsApiCallAction", "Api"});
  a.remote_ip = remote_ip(action);
  read_sequence(at(service, {"Detection", "Sequence"}), incident);
  finish_actor(incident);
  incident.raw = finding;
  return incident;
}

Incident incident_from_asff(const Json& finding) {
  constexpr std::string_view kKind = "a Security Hub (ASFF) finding";
  if (!finding.is_object()) throw InputError(fmt::format("{} must be a JSON object", kKind));
  Incident incident;
  incident.format = FindingFormat::kSecurityHub;
  const std::string id = required_text(finding, "Id", kKind);
  const std::string product_arn = required_text(finding, "ProductArn", kKind);
  const Json* resources = member(&finding, "Resources");
  if (!resources || !resources->is_array()) {
    throw InputError(fmt::format("{} without the array 'Resources'", kKind));
  }
  const Json* fields = member(&finding, "ProductFields");
  incident.product = text(&finding, {"ProductName"});
  if (incident.product.empty()) incident.product = product_field(fields, "aws/securityhub/ProductName");
  if (incident.product.empty()) incident.product = after(product_arn, ":product/");
  const bool guardduty = product_arn.find("/aws/guardduty") != std::string::npos || incident.product == "GuardDuty";
  if (guardduty) incident.product = "GuardDuty";

  incident.finding_arn = id;
  incident.finding_id = guardduty && id.find("/finding/") != std::string::npos ? after(id, "/finding/") : id;
  std::vector<std::string> types;
  for (const Json* list : {at(&finding, {"FindingProviderFields", "Types"}), member(&finding, "Types")}) {
    if (!list || !list->is_array()) continue;
    for (const Json& t : *list) {
      if (t.is_string()) add_unique(types, t.get<std::string>());
    }
  }
  if (guardduty) {
    for (const auto& t : types) {
      if (incident.type = guardduty_type_from_asff(t); !incident.type.empty()) break;
    }
    if (incident.type.empty()) {
      throw InputError(fmt::format("{} from GuardDuty without a GuardDuty finding type in 'Types'", kKind));
    }
  } else if (!types.empty()) {
    incident.type = types.front();
  }
  incident.title = text(&finding, {"Title"});
  incident.account_id = text(&finding, {"AwsAccountId"});
  const Json* first = first_element(resources);
  incident.region = text(&finding, {"Region"});
  if (incident.region.empty()) incident.region = text(first, {"Region"});
  if (incident.region.empty()) {
    // arn:PARTITION:securityhub:REGION::product/...
    std::string rest = after(product_arn, ":securityhub:");
    incident.region = rest.substr(0, rest.find(':'));
  }
  if (auto partition = text(first, {"Partition"}); !partition.empty()) incident.partition = partition;
  incident.created_at = text(&finding, {"CreatedAt"});
  incident.updated_at = text(&finding, {"UpdatedAt"});
  incident.archived = text(&finding, {"RecordState"}) == "ARCHIVED";
  incident.sample = product_field(fields, "additionalInfo/sample") == "true";

  // GuardDuty's own number when Security Hub carries it; otherwise the normalized 0-100 scale.
  const Json* severity = member(&finding, "Severity");
  std::optional<double> original;
  if (guardduty) {
    original = number(member(severity, "Product"));
    if (!original) original = number(at(&finding, {"FindingProviderFields", "Severity", "Original"}));
    if (!original) original = number(member(severity, "Original"));
  }
  const std::optional<double> normalized = number(member(severity, "Normalized"));
  incident.severity = original ? *original : normalized ? *normalized / 10 : 0;
  incident.severity_label = text(severity, {"Label"});
  if (incident.severity_label.empty()) incident.severity_label = text(&finding, {"FindingProviderFields", "Severity", "Label"});
  if (incident.severity_label.empty()) incident.severity_label = product_field(fields, "aws/securityhub/SeverityLabel");
  if (incident.severity_label.empty()) {
    incident.severity_label = original ? severity_label(*original) : asff_severity_label(normalized.value_or(0));
  }

  for (const Json& resource : *resources) read_asff_resource(resource, incident);
  for (const auto& [asff_type, type] : kAsffResourceTypes) {
    const bool present = std::any_of(resources->begin(), resources->end(),
                                     [&](const Json& r) { return text(&r, {"Type"}) == asff_type; });
    if (present) {
      incident.resource_type = type;
      incident.resource_type_name = std::string(resource_type_name(type));
      break;
    }
  }
  if (incident.resource_type == ResourceType::kUnknown && first) {
    incident.resource_type_name = text(first, {"Type"});
    incident.resource_type = incident.resource_type_name.empty() ? ResourceType::kUnknown : ResourceType::kOther;
  }

  Actor& a = incident.actor;
  a.api = text(&finding, {"Action", "AwsApiCallAction", "Api"});
  if (a.api.empty()) a.api = product_field(fields, "awsApiCallAction/api");
  a.remote_ip = text(&finding, {"Action", "AwsApiCallAction", "RemoteIpDetails", "IpAddressV4"});
  if (a.remote_ip.empty()) a.remote_ip = text(&finding, {"Action", "NetworkConnectionAction", "RemoteIpDetails", "IpAddressV4"});
  if (a.remote_ip.empty()) a.remote_ip = product_field(fields, "remoteIpDetails/ipAddressV4");
  // A role named as a resource keeps its own ARN; finish_actor fills it only from a session.
  const std::string role_name = a.role_name, role_arn = a.role_arn;
  finish_actor(incident);
  if (!role_name.empty() && a.role_name.empty()) {
    a.role_name = role_name;
    a.role_arn = role_arn;
  }
  incident.raw = finding;
  return incident;
}

FindingSet read_findings_document(const Json& document, std::string_view source) {
  Reader reader{std::string(source)};
  reader.document(document, "", 0);
  return reader.take();
}

FindingSet read_findings(std::string_view text, std::string_view source) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark from Windows editors
  if (blank(text)) throw InputError(fmt::format("{}: empty: no findings to read", source));
  const auto lines = split_lines(text);
  std::optional<Json> document;
  try {
    document = Json::parse(text);
  } catch (const Json::parse_error& e) {
    if (!is_json_lines(lines)) throw InputError(syntax_error(text, source, e));
  }
  if (document) return read_findings_document(*document, source);
  FindingSet all;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (blank(lines[i])) continue;
    const std::string where = fmt::format("{}:{}", source, i + 1);
    try {
      FindingSet one = read_findings_document(Json::parse(lines[i]), where);
      std::move(one.incidents.begin(), one.incidents.end(), std::back_inserter(all.incidents));
      std::move(one.problems.begin(), one.problems.end(), std::back_inserter(all.problems));
    } catch (const Json::parse_error& e) {
      auto [line, column] = line_and_column(lines[i], e.byte > 0 ? e.byte - 1 : 0);
      all.problems.push_back({fmt::format("{}:{}:{}", source, i + 1, column),
                              "not valid JSON: " + parse_reason(e) +
                                  (e.byte >= lines[i].size() ? " (the line ends early: truncated?)" : "")});
    }
  }
  return all;
}

FindingSet read_findings_stream(std::istream& input, std::string_view source) {
  std::stringstream buffer;
  buffer << input.rdbuf();
  return read_findings(buffer.str(), source);
}

FindingSet read_findings_file(const std::string& path) {
  if (path == "-") return read_findings_stream(std::cin, "<stdin>");
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw InputError(fmt::format("{}: is a directory, not a file", path));
  std::ifstream file(path, std::ios::binary);
  if (!file) throw InputError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  return read_findings_stream(file, path);
}

}  // namespace firebreak::findings
