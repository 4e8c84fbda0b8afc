#include "firebreak/playbooks/identity/principals.h"

#include <algorithm>

#include <fmt/format.h>

#include "firebreak/aws/errors.h"
#include "firebreak/base/error.h"
#include "firebreak/base/time.h"

namespace firebreak::playbooks {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("_+=,.@-").find(c) != std::string_view::npos;
}

void validate_name(std::string_view kind, std::string_view name) {
  if (name.empty() || name.size() > 64 || !std::all_of(name.begin(), name.end(), is_name_char)) {
    throw InputError(fmt::format("{} {:?}: IAM names are 1 to 64 letters, digits and _+=,.@-", kind, name));
  }
}

}  // namespace

bool is_access_key_id(std::string_view text) {
  if (text.size() != 20 || !(text.starts_with("AKIA") || text.starts_with("ASIA"))) return false;
  return std::all_of(text.begin() + 4, text.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

void validate_access_key_id(std::string_view id) {
  if (!is_access_key_id(id)) {
    throw InputError(fmt::format("access key id {:?}: expected AKIA or ASIA and 16 of A-Z, 0-9", id));
  }
}

void validate_user_name(std::string_view name) { validate_name("user name", name); }
void validate_role_name(std::string_view name) { validate_name("role name", name); }

bool is_service_linked_role_path(std::string_view path) { return path.starts_with("/aws-service-role/"); }
bool is_identity_center_role(std::string_view name) { return name.starts_with("AWSReservedSSO_"); }

Guard::Guard(std::string caller_arn, std::string caller_key, std::vector<std::string> keep)
    : caller_arn_(std::move(caller_arn)), caller_key_(std::move(caller_key)), keep_(keep.begin(), keep.end()) {
  // arn:aws:iam::1:user/path/NAME or arn:aws:sts::1:assumed-role/ROLE/SESSION
  std::string_view arn = caller_arn_;
  if (auto at = arn.find(":user/"); at != std::string_view::npos) {
    caller_user_ = std::string(arn.substr(arn.rfind('/') + 1));
  } else if (auto at = arn.find(":assumed-role/"); at != std::string_view::npos) {
    auto rest = arn.substr(at + 14);
    caller_role_ = std::string(rest.substr(0, rest.find('/')));
  }
}

std::string Guard::protects_user(std::string_view name) const {
  if (!caller_user_.empty() && name == caller_user_) return fmt::format("{} is the responder's own user", name);
  if (keep_.contains(name)) return fmt::format("{} is on the allow-list", name);
  return {};
}

std::string Guard::protects_role(std::string_view name) const {
  if (!caller_role_.empty() && name == caller_role_) return fmt::format("{} is the responder's own role", name);
  if (keep_.contains(name)) return fmt::format("{} is on the allow-list", name);
  return {};
}

std::string Guard::protects_key(std::string_view user, std::string_view key_id) const {
  if (key_id == caller_key_) return fmt::format("{} is the responder's own access key", key_id);
  if (keep_.contains(key_id)) return fmt::format("{} is on the allow-list", key_id);
  return protects_user(user);
}

Guard make_guard(const aws::Session& session, std::vector<std::string> keep) {
  Json identity = session.client("sts").call("GetCallerIdentity");
  return Guard(identity.value("Arn", ""), session.credentials().access_key_id, std::move(keep));
}

std::string find_key_owner(const aws::Session& session, std::string_view key_id) {
  validate_access_key_id(key_id);
  try {
    Json out = session.client("iam").call("GetAccessKeyLastUsed", {{"AccessKeyId", key_id}});
    std::string user = out.value("UserName", "");
    if (!user.empty()) return user;
  } catch (const aws::AwsError& e) {
    if (e.http_status() != 404 && e.code() != "NoSuchEntity" && e.code() != "AccessDenied") throw;
  }
  throw InputError(fmt::format("access key {} belongs to no IAM user of this account", key_id));
}

std::optional<int64_t> key_created(const aws::Session& session, std::string_view user, std::string_view key_id) {
  std::optional<int64_t> oldest;
  for (const Json& key : session.client("iam").paginate("ListAccessKeys", {{"UserName", user}}).all()
                             .value("AccessKeyMetadata", Json::array())) {
    if (!key_id.empty() && key.value("AccessKeyId", "") != key_id) continue;
    auto created = parse_timestamp(key.value("CreateDate", ""));
    if (!created) continue;
    auto seconds = static_cast<int64_t>(to_epoch_seconds(*created));
    if (!oldest || seconds < *oldest) oldest = seconds;
  }
  return oldest;
}

void require_user(const aws::Session& session, std::string_view name) {
  validate_user_name(name);
  try {
    session.client("iam").call("GetUser", {{"UserName", name}});
  } catch (const aws::AwsError& e) {
    if (e.code() == "NoSuchEntity") throw InputError(fmt::format("there is no IAM user {}", name));
    throw;
  }
}

}  // namespace firebreak::playbooks
