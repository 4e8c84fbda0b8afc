// Step 4: Block Public Access, all four settings, on the bucket and (with --account-bpa) on the
// account. Both run after the policy and ACL steps: once BlockPublicPolicy and BlockPublicAcls
// are on, S3 refuses to write a public policy or ACL, which the merged policy may be and the
// original ones restored by undo are (undo goes in the reverse order, so this is undone first).
#include <array>

#include <fmt/format.h>

#include "firebreak/playbooks/s3/steps.h"

namespace firebreak::playbooks::s3 {
namespace {

constexpr std::array<const char*, 4> kSettings = {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                                  "RestrictPublicBuckets"};

Json all_blocked() {
  Json out = Json::object();
  for (const char* setting : kSettings) out[setting] = true;
  return out;
}

class BlockPublicAccessStep : public S3Step {
 public:
  BlockPublicAccessStep(const S3Options& options, bool account)
      : S3Step(options, account ? "account-block-public-access" : "block-public-access",
               account ? "Block Public Access on the account" : "Block Public Access on the bucket",
               {"record-bucket"}),
        account_(account) {
    spec_.reads = {{service(), "GetPublicAccessBlock"}};
    spec_.changes = {{service(), "PutPublicAccessBlock"}, {service(), "DeletePublicAccessBlock"}};
    spec_.after = {"bucket-policy", "disable-acls"};
    spec_.reversible = true;
    if (account) spec_.decision = std::string(kAccountBpa);
  }

  // {"scope": {"AccountId"} or {"Bucket"}, "configuration": the four settings, or null when none was set}
  Json observe(engine::StepContext& ctx) const override {
    const Json id = account_ ? Json{{"AccountId", ctx.case_info().account}} : Json{{"Bucket", options_.bucket}};
    Json out = read_setting([&] { return ctx.call(service(), "GetPublicAccessBlock", id, options_.region); },
                            kNoPublicAccessBlock);
    return {{"scope", id}, {"configuration", out.is_null() ? Json() : out["PublicAccessBlockConfiguration"]}};
  }

  engine::Plan plan(const Json& observed) const override {
    const Json& found = observed["configuration"];
    std::vector<std::string> off;
    for (const char* setting : kSettings) {
      if (found.is_null() || !found.value(setting, false)) off.push_back(setting);
    }
    if (off.empty()) return {};
    return {{fmt::format("turn on Block Public Access for {} ({})", scope_name(observed["scope"]), fmt::join(off, ", "))}};
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    Json input = observed["scope"];
    input["PublicAccessBlockConfiguration"] = all_blocked();
    ctx.call(service(), "PutPublicAccessBlock", input, options_.region);
    return {{"scope", observed["scope"]}, {"configuration", all_blocked()}};
  }

  std::vector<engine::AwsCall> undo(const Json& before, const Json&) const override {
    engine::AwsCall call;
    call.service = service();
    call.region = options_.region;
    call.input = before["scope"];
    if (before["configuration"].is_null()) {
      call.operation = "DeletePublicAccessBlock";
    } else {
      call.operation = "PutPublicAccessBlock";
      call.input["PublicAccessBlockConfiguration"] = before["configuration"];
    }
    return {call};
  }

 private:
  const char* service() const { return account_ ? "s3control" : "s3"; }
  static std::string scope_name(const Json& id) {
    return id.contains("Bucket") ? "bucket " + id["Bucket"].get<std::string>()
                                 : "account " + id["AccountId"].get<std::string>();
  }

  bool account_;
};

}  // namespace

std::unique_ptr<engine::Step> make_block_public_access_step(const S3Options& options) {
  return std::make_unique<BlockPublicAccessStep>(options, false);
}

std::unique_ptr<engine::Step> make_account_block_public_access_step(const S3Options& options) {
  return std::make_unique<BlockPublicAccessStep>(options, true);
}

}  // namespace firebreak::playbooks::s3
