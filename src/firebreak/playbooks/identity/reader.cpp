#include "firebreak/playbooks/identity/reader.h"

#include "firebreak/aws/errors.h"

namespace firebreak::playbooks {

std::vector<std::string> enabled_regions(AwsReader& aws) {
  // Without AllRegions, EC2 lists only the regions the account may use.
  Json out = aws.call("ec2", "DescribeRegions");
  std::vector<std::string> regions;
  for (const Json& region : out.value("Regions", Json::array())) {
    if (region.value("OptInStatus", "") != "not-opted-in") regions.push_back(region.value("RegionName", ""));
  }
  std::sort(regions.begin(), regions.end());
  return regions;
}

namespace {

// One part of a user's description: one call (all pages of a list) by user name.
struct UserPart {
  const char* member;     // in the description
  const char* operation;
  const char* result;     // the response member kept
  bool paginated;
  bool required;          // an error fails the description instead of being recorded in it
};

constexpr UserPart kUserParts[] = {
    {"User", "GetUser", "User", false, true},
    {"AccessKeys", "ListAccessKeys", "AccessKeyMetadata", true, true},
    {"LoginProfile", "GetLoginProfile", "LoginProfile", false, false},
    {"MFADevices", "ListMFADevices", "MFADevices", true, false},
    {"SSHPublicKeys", "ListSSHPublicKeys", "SSHPublicKeys", true, false},
    {"SigningCertificates", "ListSigningCertificates", "Certificates", true, false},
    {"ServiceSpecificCredentials", "ListServiceSpecificCredentials", "ServiceSpecificCredentials", false, false},
};
constexpr size_t kUserPartCount = std::size(kUserParts);

Json read_user_part(AwsReader& aws, const UserPart& part, const std::string& user) {
  auto read = [&] {
    const Json by_name{{"UserName", user}};
    Json out = part.paginated ? aws.paginate_all("iam", part.operation, by_name) : aws.call("iam", part.operation, by_name);
    return out.value(part.result, Json());
  };
  return part.required ? read() : read_part(read);
}

// Groups and policies of every user, by name: one call (a page per 1000 users) instead of three per user.
Json authorization_details(AwsReader& aws) {
  Json by_user = Json::object();
  Json out = aws.paginate_all("iam", "GetAccountAuthorizationDetails", {{"Filter", {"User"}}, {"MaxItems", 1000}});
  for (Json& user : out.value("UserDetailList", Json::array())) {
    by_user[user.value("UserName", "")] = {{"Groups", user.value("GroupList", Json::array())},
                                          {"InlinePolicies", user.value("UserPolicyList", Json::array())},
                                          {"AttachedPolicies", user.value("AttachedManagedPolicies", Json::array())},
                                          {"PermissionsBoundary", user.value("PermissionsBoundary", Json())}};
  }
  return by_user;
}

}  // namespace

const std::vector<engine::AwsOperation> kDescribeUserReads = [] {
  std::vector<engine::AwsOperation> reads{{"iam", "GetAccountAuthorizationDetails"}, {"iam", "GetAccessKeyLastUsed"}};
  for (const UserPart& part : kUserParts) reads.push_back({"iam", part.operation});
  return reads;
}();

Json read_part(const std::function<Json()>& read) {
  try {
    return read();
  } catch (const aws::AwsError& e) {
    if (e.code() == "NoSuchEntity") return nullptr;
    return Json{{"error", {{"code", e.code()}, {"message", e.message()}, {"http_status", e.http_status()}}}};
  }
}

std::vector<Json> describe_users(AwsReader& aws, const std::vector<std::string>& users) {
  if (users.empty()) return {};
  // Task 0 reads the account's authorization details; task 1 + u * parts + p reads part p of user u.
  std::vector<Json> parts(1 + users.size() * kUserPartCount);
  for_each_parallel(parts.size(), [&](size_t task) {
    if (task == 0) {
      parts[0] = read_part([&] { return authorization_details(aws); });
      return;
    }
    const size_t u = (task - 1) / kUserPartCount, p = (task - 1) % kUserPartCount;
    parts[task] = read_user_part(aws, kUserParts[p], users[u]);
  });
  std::vector<Json> described(users.size());
  std::vector<Json*> keys;  // found before the threads start: they only write into their own key
  for (size_t u = 0; u < users.size(); ++u) {
    Json& user = described[u];
    user["UserName"] = users[u];
    for (size_t p = 0; p < kUserPartCount; ++p) user[kUserParts[p].member] = std::move(parts[1 + u * kUserPartCount + p]);
    for (const char* member : {"Groups", "InlinePolicies", "AttachedPolicies", "PermissionsBoundary"}) {
      user[member] = is_read_error(parts[0]) ? parts[0] : parts[0].value(users[u], Json::object()).value(member, Json());
    }
    if (user["AccessKeys"].is_array()) {
      for (Json& key : user["AccessKeys"]) keys.push_back(&key);
    }
  }
  for_each_parallel(keys.size(), [&](size_t i) {
    Json& key = *keys[i];
    key["LastUsed"] = read_part([&] {
      return aws.call("iam", "GetAccessKeyLastUsed", {{"AccessKeyId", key["AccessKeyId"]}}).value("AccessKeyLastUsed", Json::object());
    });
  });
  return described;
}

std::vector<std::string> list_user_names(AwsReader& aws) {
  std::vector<std::string> names;
  for (const Json& user : aws.paginate_all("iam", "ListUsers").value("Users", Json::array()))
    names.push_back(user.value("UserName", ""));
  return names;
}

Json describe_key_pairs(AwsReader& aws, const std::vector<std::string>& regions) {
  std::vector<Json> found(regions.size());
  for_each_parallel(regions.size(), [&](size_t i) {
    found[i] = read_part([&] {
      Json pairs = Json::array();
      Json out = aws.call("ec2", "DescribeKeyPairs", {{"IncludePublicKey", true}}, regions[i]);
      for (const Json& pair : out.value("KeyPairs", Json::array())) {
        pairs.push_back({{"KeyName", pair.value("KeyName", "")}, {"KeyPairId", pair.value("KeyPairId", "")},
                         {"KeyFingerprint", pair.value("KeyFingerprint", "")}, {"KeyType", pair.value("KeyType", "")},
                         {"PublicKey", pair.value("PublicKey", "")}, {"CreateTime", pair.value("CreateTime", Json())}});
      }
      return pairs;
    });
  });
  Json by_region = Json::object();
  for (size_t i = 0; i < regions.size(); ++i) by_region[regions[i]] = std::move(found[i]);
  return by_region;
}

}  // namespace firebreak::playbooks
