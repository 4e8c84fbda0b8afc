#include "firebreak/playbooks/identity/account_cleanup.h"

#include <iterator>

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/engine/step_context.h"
#include "firebreak/playbooks/identity/account_info.h"
#include "firebreak/playbooks/identity/reader.h"

namespace firebreak::playbooks {
namespace {

using engine::Plan;
using engine::StepContext;

// The calls that take a user's credentials away, from its description. Keys the guard keeps
// (the responder's, --keep) stay even on a user outside the baseline.
std::vector<std::pair<std::string, Json>> removals(const Json& user, const Guard& guard) {
  const Json name = user["UserName"];
  std::vector<std::pair<std::string, Json>> calls;
  auto each = [&](const char* member, const char* operation, const char* id_member, const char* input_member) {
    if (!user[member].is_array()) return;
    for (const Json& item : user[member]) calls.push_back({operation, {{"UserName", name}, {input_member, item[id_member]}}});
  };
  if (user["LoginProfile"].is_object() && !is_read_error(user["LoginProfile"])) calls.push_back({"DeleteLoginProfile", {{"UserName", name}}});
  each("AccessKeys", "DeleteAccessKey", "AccessKeyId", "AccessKeyId");
  each("SSHPublicKeys", "DeleteSSHPublicKey", "SSHPublicKeyId", "SSHPublicKeyId");
  each("SigningCertificates", "DeleteSigningCertificate", "CertificateId", "CertificateId");
  each("ServiceSpecificCredentials", "DeleteServiceSpecificCredential", "ServiceSpecificCredentialId",
       "ServiceSpecificCredentialId");
  each("MFADevices", "DeactivateMFADevice", "SerialNumber", "SerialNumber");
  std::erase_if(calls, [&](const std::pair<std::string, Json>& call) {
    return call.first == "DeleteAccessKey" &&
           !guard.protects_key(name.get<std::string>(), call.second["AccessKeyId"].get<std::string>()).empty();
  });
  return calls;
}

class RemoveUnauthorizedCredentialsStep final : public engine::Step {
 public:
  RemoveUnauthorizedCredentialsStep(Json baseline, Guard guard, std::vector<std::string> depends_on)
      : known_(baseline_names(baseline, "users")), guard_(std::move(guard)) {
    spec_.name = "remove-unauthorized-credentials";
    spec_.line = "Rotate and delete any unauthorized IAM user credentials";
    spec_.depends_on = std::move(depends_on);
    spec_.reads = kDescribeUserReads;
    spec_.reads.push_back({"iam", "ListUsers"});
    spec_.changes = {{"iam", "DeleteLoginProfile"}, {"iam", "UpdateAccessKey"}, {"iam", "DeleteAccessKey"}, {"iam", "DeleteSSHPublicKey"},
                     {"iam", "DeleteSigningCertificate"}, {"iam", "DeleteServiceSpecificCredential"},
                     {"iam", "DeactivateMFADevice"}};
  }
  const engine::StepSpec& spec() const override { return spec_; }
  Json observe(StepContext& ctx) const override {
    ContextReader aws(ctx);
    std::vector<std::string> unknown;
    for (auto& name : list_user_names(aws)) {
      if (std::find(known_.begin(), known_.end(), name) != known_.end()) continue;
      if (auto reason = guard_.protects_user(name); !reason.empty()) {
        ctx.progress("left alone: " + reason);
        continue;
      }
      unknown.push_back(std::move(name));
    }
    return {{"users", describe_users(aws, unknown)}};
  }
  Plan plan(const Json& observed) const override {
    Plan plan;
    for (const Json& user : observed["users"]) {
      for (const auto& [operation, input] : removals(user, guard_)) {
        plan.changes.push_back(fmt::format("{} {}", operation, input.dump()));
      }
    }
    return plan;
  }
  Json apply(StepContext& ctx, const Json& observed) const override {
    std::vector<std::pair<std::string, Json>> calls;
    for (const Json& user : observed["users"]) {
      auto removing = removals(user, guard_);
      if (removing.empty()) continue;
      // Preserve first: every user as it was, before anything is taken away.
      ctx.save_evidence(fmt::format("user-{}.json", user["UserName"].get<std::string>()), user.dump(2));
      std::move(removing.begin(), removing.end(), std::back_inserter(calls));
    }
    // IAM needs no order among one user's credentials, so every removal goes out at once. A key
    // is made inactive before it is deleted: should the delete fail, the key is still dead.
    for_each_parallel(calls.size(), [&](size_t i) {
      const auto& [operation, input] = calls[i];
      if (operation == "DeleteAccessKey") {
        ctx.call("iam", "UpdateAccessKey", {{"UserName", input["UserName"]}, {"AccessKeyId", input["AccessKeyId"]},
                                            {"Status", "Inactive"}});
      }
      ctx.call("iam", operation, input);
    });
    Json removed = Json::array();
    for (auto& [operation, input] : calls) removed.push_back({{"operation", operation}, {"input", input}});
    return {{"removed", removed}};
  }

 private:
  std::vector<std::string> known_;
  Guard guard_;
  engine::StepSpec spec_;
};

class DeleteKeyPairsStep final : public engine::Step {
 public:
  DeleteKeyPairsStep() {
    spec_.name = "delete-key-pairs";
    spec_.line = "Rotate and delete all EC2 key pairs";
    spec_.reads = kRegionReads;
    spec_.reads.insert(spec_.reads.end(), kKeyPairReads.begin(), kKeyPairReads.end());
    spec_.changes = {{"ec2", "DeleteKeyPair"}};
  }
  const engine::StepSpec& spec() const override { return spec_; }
  Json observe(StepContext& ctx) const override {
    ContextReader aws(ctx);
    return describe_key_pairs(aws, enabled_regions(aws));
  }
  Plan plan(const Json& observed) const override {
    Plan plan;
    for (const auto& [region, pairs] : observed.items()) {
      if (is_read_error(pairs)) {
        // Not done while a region cannot be read: apply names it and fails.
        plan.changes.push_back(fmt::format("read the key pairs of {} again (it answered {})", region,
                                           pairs["error"].value("code", "")));
        continue;
      }
      for (const Json& pair : pairs) {
        plan.changes.push_back(fmt::format("record and delete key pair {} ({}, {}) in {}", pair["KeyName"].get<std::string>(),
                                           pair["KeyPairId"].get<std::string>(), pair["KeyFingerprint"].get<std::string>(), region));
      }
    }
    return plan;
  }
  Json apply(StepContext& ctx, const Json& observed) const override {
    ctx.save_evidence("key-pairs.json", observed.dump(2));
    std::vector<std::pair<std::string, Json>> pairs;
    Json unreadable = Json::object();
    for (const auto& [region, found] : observed.items()) {
      if (is_read_error(found)) unreadable[region] = found["error"];
      else for (const Json& pair : found) pairs.emplace_back(region, pair);
    }
    for_each_parallel(pairs.size(), [&](size_t i) {
      // By name: moto ignores KeyPairId here, and names are unique in a region.
      ctx.call("ec2", "DeleteKeyPair", {{"KeyName", pairs[i].second["KeyName"]}}, pairs[i].first);
    });
    if (!unreadable.empty()) {
      std::vector<std::string> failed;
      for (const auto& [region, error] : unreadable.items()) {
        failed.push_back(fmt::format("{} ({}: {})", region, error.value("code", ""), error.value("message", "")));
      }
      throw Error(fmt::format("{} key pairs deleted in the other regions; not read, so not done: {}", pairs.size(),
                              fmt::join(failed, "; ")));
    }
    return {{"deleted", pairs.size()}};
  }

 private:
  engine::StepSpec spec_;
};

}  // namespace

std::unique_ptr<engine::Step> make_remove_unauthorized_credentials_step(Json baseline, Guard guard,
                                                                        std::vector<std::string> depends_on) {
  return std::make_unique<RemoveUnauthorizedCredentialsStep>(std::move(baseline), std::move(guard), std::move(depends_on));
}

std::unique_ptr<engine::Step> make_delete_key_pairs_step() { return std::make_unique<DeleteKeyPairsStep>(); }

}  // namespace firebreak::playbooks
