// Step 4: disable ACLs (object ownership BucketOwnerEnforced), so that only policies decide
// access. S3 refuses BucketOwnerEnforced while the bucket ACL grants to anyone but the owner,
// so such an ACL is first reset to private, as the console does; undo restores the ownership
// setting first (S3 refuses ACL writes while ACLs are disabled), then the ACL found.
#include <fmt/format.h>

#include "firebreak/playbooks/s3/steps.h"

namespace firebreak::playbooks::s3 {
namespace {

constexpr const char* kEnforced = "BucketOwnerEnforced";

std::string grantee_name(const Json& grantee) {
  const std::string uri = grantee.value("URI", "");
  if (!uri.empty()) return uri.substr(uri.rfind('/') + 1);
  if (grantee.contains("EmailAddress")) return grantee["EmailAddress"];
  return fmt::format("canonical user {}", grantee.value("ID", "").substr(0, 12));
}

// "READ to AllUsers" for every grant to someone other than the bucket owner.
std::vector<std::string> grants_to_others(const Json& acl) {
  const std::string owner = acl.value("Owner", Json::object()).value("ID", "");
  std::vector<std::string> out;
  for (const auto& grant : acl.value("Grants", Json::array())) {
    const Json& grantee = grant.value("Grantee", Json::object());
    if (grantee.value("Type", "") == "CanonicalUser" && grantee.value("ID", "") == owner) continue;
    out.push_back(fmt::format("{} to {}", grant.value("Permission", ""), grantee_name(grantee)));
  }
  return out;
}

std::string ownership_of(const Json& rules) {
  if (!rules.is_array() || rules.empty()) return "";
  return rules[0].value("ObjectOwnership", "");
}

class DisableAclsStep : public S3Step {
 public:
  explicit DisableAclsStep(const S3Options& options)
      : S3Step(options, "disable-acls", "Disable ACLs (object ownership BucketOwnerEnforced)", {"record-bucket"}) {
    spec_.reads = {{"s3", "GetBucketOwnershipControls"}, {"s3", "GetBucketAcl"}};
    spec_.changes = {{"s3", "PutBucketAcl"}, {"s3", "PutBucketOwnershipControls"}, {"s3", "DeleteBucketOwnershipControls"}};
    spec_.reversible = true;
  }

  // {"ownership": the ownership rules, or null when none are set, "acl": {"Owner", "Grants"}}
  Json observe(engine::StepContext& ctx) const override {
    const Json bucket{{"Bucket", options_.bucket}};
    Json controls = read_setting([&] { return ctx.call("s3", "GetBucketOwnershipControls", bucket, options_.region); },
                                 kNoOwnershipControls);
    Json acl = ctx.call("s3", "GetBucketAcl", bucket, options_.region);
    return {{"ownership", controls.is_null() ? Json() : controls["OwnershipControls"]["Rules"]},
            {"acl", {{"Owner", acl.value("Owner", Json::object())}, {"Grants", acl.value("Grants", Json::array())}}}};
  }

  engine::Plan plan(const Json& observed) const override {
    const std::string ownership = ownership_of(observed["ownership"]);
    if (ownership == kEnforced) return {};
    engine::Plan plan;
    if (auto others = grants_to_others(observed["acl"]); !others.empty()) {
      plan.changes.push_back(fmt::format("reset the ACL of {} to private (it grants {})", options_.bucket,
                                         fmt::join(others, ", ")));
    }
    plan.changes.push_back(fmt::format("disable the ACLs of {}: object ownership {} (was {})", options_.bucket,
                                       kEnforced, ownership.empty() ? "not set" : ownership));
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    Json after = observed;
    if (!grants_to_others(observed["acl"]).empty()) {
      ctx.call("s3", "PutBucketAcl", {{"Bucket", options_.bucket}, {"ACL", "private"}}, options_.region);
      after["acl"]["Grants"] = Json::array({{{"Grantee", {{"Type", "CanonicalUser"}, {"ID", observed["acl"]["Owner"].value("ID", "")}}},
                                             {"Permission", "FULL_CONTROL"}}});
    }
    const Json rules = Json::array({{{"ObjectOwnership", kEnforced}}});
    ctx.call("s3", "PutBucketOwnershipControls",
             {{"Bucket", options_.bucket}, {"OwnershipControls", {{"Rules", rules}}}}, options_.region);
    after["ownership"] = rules;
    return after;
  }

  std::vector<engine::AwsCall> undo(const Json& before, const Json&) const override {
    std::vector<engine::AwsCall> calls;
    if (before["ownership"].is_null()) {
      calls.push_back(s3_call(options_, "DeleteBucketOwnershipControls", Json::object()));
    } else {
      calls.push_back(s3_call(options_, "PutBucketOwnershipControls", {{"OwnershipControls", {{"Rules", before["ownership"]}}}}));
    }
    if (!grants_to_others(before["acl"]).empty()) {
      calls.push_back(s3_call(options_, "PutBucketAcl", {{"AccessControlPolicy", before["acl"]}}));
    }
    return calls;
  }
};

}  // namespace

std::unique_ptr<engine::Step> make_disable_acls_step(const S3Options& options) {
  return std::make_unique<DisableAclsStep>(options);
}

}  // namespace firebreak::playbooks::s3
