#pragma once
// Reads shared by the playbooks' steps (through their StepContext) and by `firebreak baseline
// capture` (through the session): one way to describe users, key pairs and the account.
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/aws/client.h"
#include "firebreak/base/json.h"
#include "firebreak/playbooks/common/parallel.h"
#include "firebreak/engine/step.h"
#include "firebreak/engine/step_context.h"

namespace firebreak::playbooks {

class AwsReader {
 public:
  virtual ~AwsReader() = default;
  Json call(std::string_view service, std::string_view operation, const Json& input = Json::object(),
            std::string_view region = {}) {
    return do_call(service, operation, input, region);
  }
  Json paginate_all(std::string_view service, std::string_view operation, const Json& input = Json::object(),
                    std::string_view region = {}) {
    return do_paginate_all(service, operation, input, region);
  }

 protected:
  virtual Json do_call(std::string_view service, std::string_view operation, const Json& input,
                       std::string_view region) = 0;
  virtual Json do_paginate_all(std::string_view service, std::string_view operation, const Json& input,
                               std::string_view region) = 0;
};

class ContextReader final : public AwsReader {
 public:
  explicit ContextReader(engine::StepContext& ctx) : ctx_(ctx) {}

 protected:
  Json do_call(std::string_view service, std::string_view operation, const Json& input,
            std::string_view region) override {
    return ctx_.call(service, operation, input, region);
  }
  Json do_paginate_all(std::string_view service, std::string_view operation, const Json& input,
                       std::string_view region) override {
    return ctx_.paginate_all(service, operation, input, region);
  }

 private:
  engine::StepContext& ctx_;
};

class SessionReader final : public AwsReader {
 public:
  explicit SessionReader(const aws::Session& session) : session_(session) {}

 protected:
  Json do_call(std::string_view service, std::string_view operation, const Json& input,
            std::string_view region) override {
    return session_.client(service, region).call(operation, input);
  }
  Json do_paginate_all(std::string_view service, std::string_view operation, const Json& input,
                       std::string_view region) override {
    return session_.client(service, region).paginate(operation, input).all();
  }

 private:
  const aws::Session& session_;
};


// One part of a description: its value, null when there is none (NoSuchEntity), or
// {"error": {code, message, http_status}} when it could not be read, so that one unreadable
// part does not hide the rest.
Json read_part(const std::function<Json()>& read);
inline bool is_read_error(const Json& part) { return part.is_object() && part.contains("error") && part.size() == 1; }

// The regions enabled for the account (opt-in regions not opted in are left out).
std::vector<std::string> enabled_regions(AwsReader& aws);
inline const std::vector<engine::AwsOperation> kRegionReads = {{"ec2", "DescribeRegions"}};

// Each user's identity and every credential it holds: groups, inline policies (with their
// documents), attached policies, keys with last use, login profile, MFA devices, SSH keys,
// signing certificates, service-specific credentials. Groups and policies of all the users come
// from one GetAccountAuthorizationDetails; the other reads of every user go out side by side.
std::vector<Json> describe_users(AwsReader& aws, const std::vector<std::string>& users);
extern const std::vector<engine::AwsOperation> kDescribeUserReads;

// Every user name of the account.
std::vector<std::string> list_user_names(AwsReader& aws);

// Key pairs per enabled region: {"us-east-1": [{KeyName, KeyPairId, KeyFingerprint, PublicKey}]};
// a region that cannot be read (AccessDenied) holds {"error": {...}} and the others are still read.
Json describe_key_pairs(AwsReader& aws, const std::vector<std::string>& regions);
inline const std::vector<engine::AwsOperation> kKeyPairReads = {{"ec2", "DescribeKeyPairs"}};

}  // namespace firebreak::playbooks
