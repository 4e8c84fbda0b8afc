#include "firebreak/playbooks/identity/reader.h"

#include "firebreak/aws/errors.h"

namespace firebreak::playbooks {

void for_each_parallel(size_t count, const std::function<void(size_t)>& fn, size_t threads) {
  std::atomic<size_t> next{0};
  std::exception_ptr first_error;
  std::mutex mutex;
  auto work = [&] {
    for (size_t i = next++; i < count; i = next++) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!first_error) first_error = std::current_exception();
      }
    }
  };
  std::vector<std::jthread> pool;
  for (size_t t = 1; t < std::min(threads, count); ++t) pool.emplace_back(work);
  work();
  pool.clear();
  if (first_error) std::rethrow_exception(first_error);
}

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

const std::vector<engine::AwsOperation> kDescribeUserReads = {
    {"iam", "GetUser"},          {"iam", "ListGroupsForUser"},       {"iam", "ListUserPolicies"},
    {"iam", "ListAttachedUserPolicies"}, {"iam", "ListAccessKeys"},  {"iam", "GetAccessKeyLastUsed"},
    {"iam", "GetLoginProfile"},  {"iam", "ListMFADevices"},          {"iam", "ListSSHPublicKeys"},
    {"iam", "ListSigningCertificates"}, {"iam", "ListServiceSpecificCredentials"}};

Json read_part(const std::function<Json()>& read) {
  try {
    return read();
  } catch (const aws::AwsError& e) {
    if (e.code() == "NoSuchEntity") return nullptr;
    return Json{{"error", {{"code", e.code()}, {"message", e.message()}, {"http_status", e.http_status()}}}};
  }
}

Json describe_user(AwsReader& aws, std::string_view user) {
  const Json by_name{{"UserName", user}};
  Json out{{"UserName", user}};
  out["User"] = aws.call("iam", "GetUser", by_name).value("User", Json::object());
  out["Groups"] = read_part([&] { return aws.paginate_all("iam", "ListGroupsForUser", by_name).value("Groups", Json::array()); });
  out["InlinePolicies"] = read_part([&] { return aws.paginate_all("iam", "ListUserPolicies", by_name).value("PolicyNames", Json::array()); });
  out["AttachedPolicies"] = read_part([&] { return aws.paginate_all("iam", "ListAttachedUserPolicies", by_name).value("AttachedPolicies", Json::array()); });
  Json keys = aws.paginate_all("iam", "ListAccessKeys", by_name).value("AccessKeyMetadata", Json::array());
  for (Json& key : keys) {
    key["LastUsed"] = read_part([&] {
      return aws.call("iam", "GetAccessKeyLastUsed", {{"AccessKeyId", key["AccessKeyId"]}}).value("AccessKeyLastUsed", Json::object());
    });
  }
  out["AccessKeys"] = keys;
  out["LoginProfile"] = read_part([&] { return aws.call("iam", "GetLoginProfile", by_name).value("LoginProfile", Json::object()); });
  out["MFADevices"] = read_part([&] { return aws.paginate_all("iam", "ListMFADevices", by_name).value("MFADevices", Json::array()); });
  out["SSHPublicKeys"] = read_part([&] { return aws.paginate_all("iam", "ListSSHPublicKeys", by_name).value("SSHPublicKeys", Json::array()); });
  out["SigningCertificates"] = read_part([&] { return aws.paginate_all("iam", "ListSigningCertificates", by_name).value("Certificates", Json::array()); });
  out["ServiceSpecificCredentials"] = read_part([&] { return aws.call("iam", "ListServiceSpecificCredentials", by_name).value("ServiceSpecificCredentials", Json::array()); });
  return out;
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
