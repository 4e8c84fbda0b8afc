// Step 4: deny the offending principals in the bucket policy, merged into the owner's policy
// (whose statements stay as they are), and on request deny everyone but the responder roles
// (--lockdown), presigned requests (--deny-presigned) and requests through access points
// (--access-points). firebreak's statements carry Sids starting "Firebreak", so a rerun finds
// them; undo puts back the policy text found, byte for byte (or deletes the policy if there
// was none).
#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/playbooks/s3/access_evaluation.h"
#include "firebreak/playbooks/s3/steps.h"

namespace firebreak::playbooks::s3 {
namespace {

constexpr std::string_view kSidPrefix = "Firebreak";

bool is_ours(const Json& statement) {
  return statement.is_object() && statement.value("Sid", "").starts_with(kSidPrefix);
}

Json as_array(const Json& value) { return value.is_array() ? value : Json::array({value}); }

class BucketPolicyStep : public S3Step {
 public:
  explicit BucketPolicyStep(const S3Options& options)
      : S3Step(options, "bucket-policy", "Deny the offending principals in the bucket policy", {"record-bucket"}) {
    spec_.reads = {{"s3", "GetBucketPolicy"}};
    spec_.changes = {{"s3", "PutBucketPolicy"}, {"s3", "DeleteBucketPolicy"}};
    spec_.reversible = true;
  }

  // {"policy": the policy text or null, "responder": the caller's ARN}. A policy that cannot
  // be read, or is not valid JSON, fails the step: writing one would drop the owner's statements.
  Json observe(engine::StepContext& ctx) const override {
    Json out = read_setting(
        [&] { return ctx.call("s3", "GetBucketPolicy", {{"Bucket", options_.bucket}}, options_.region); }, kNoPolicy);
    Json observed{{"policy", out.is_null() ? Json() : out["Policy"]}, {"responder", ctx.case_info().opened_by.arn}};
    if (!observed["policy"].is_null()) {
      document(observed);  // throws when the policy cannot be merged into
    }
    return observed;
  }

  engine::Plan plan(const Json& observed) const override {
    const Json current = ours(document(observed));
    const Json wanted = statements(observed["responder"].get<std::string>());
    if (current == wanted) return {};
    engine::Plan plan;
    for (const auto& statement : wanted) {
      plan.changes.push_back(fmt::format("add to the policy of {}: {}", options_.bucket, describe(statement)));
    }
    for (const auto& statement : current) {
      if (std::find(wanted.begin(), wanted.end(), statement) == wanted.end()) {
        plan.changes.push_back(fmt::format("remove the earlier {} from the policy of {}", statement.value("Sid", ""),
                                           options_.bucket));
      }
    }
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    Json merged = document(observed);
    Json kept = Json::array();
    for (const auto& statement : merged["Statement"]) {
      if (!is_ours(statement)) kept.push_back(statement);
    }
    for (const auto& statement : statements(observed["responder"].get<std::string>())) kept.push_back(statement);
    merged["Statement"] = kept;
    Json after = observed;
    if (kept.empty()) {
      ctx.call("s3", "DeleteBucketPolicy", {{"Bucket", options_.bucket}}, options_.region);
      after["policy"] = nullptr;
    } else {
      after["policy"] = merged.dump();
      ctx.call("s3", "PutBucketPolicy", {{"Bucket", options_.bucket}, {"Policy", after["policy"]}}, options_.region);
    }
    return after;
  }

  std::vector<engine::AwsCall> undo(const Json& before, const Json&) const override {
    if (before["policy"].is_null()) return {s3_call(options_, "DeleteBucketPolicy", Json::object())};
    return {s3_call(options_, "PutBucketPolicy", {{"Policy", before["policy"]}})};
  }

 private:
  // The policy as a document with its statements as a list (S3 also takes a single one).
  Json document(const Json& observed) const {
    if (observed["policy"].is_null()) return {{"Version", "2012-10-17"}, {"Statement", Json::array()}};
    try {
      Json parsed = parse_policy_document(observed["policy"].get<std::string>(),
                                          fmt::format("the bucket policy of {}", options_.bucket));
      parsed["Statement"] = as_array(parsed["Statement"]);
      return parsed;
    } catch (const InputError& e) {
      throw Error(fmt::format("{}; firebreak merges its statements into the owner's and will not replace them: "
                              "correct the policy (its text is in record-bucket's evidence) and run again",
                              e.what()));
    }
  }

  static Json ours(const Json& document) {
    Json out = Json::array();
    for (const auto& statement : document["Statement"]) {
      if (is_ours(statement)) out.push_back(statement);
    }
    return out;
  }

  Json deny(std::string_view sid, Json condition) const {
    const std::string arn = bucket_arn(options_.bucket);
    return {{"Sid", fmt::format("{}{}", kSidPrefix, sid)}, {"Effect", "Deny"}, {"Principal", "*"},
            {"Action", "s3:*"}, {"Resource", {arn, arn + "/*"}}, {"Condition", std::move(condition)}};
  }

  // The statements the options ask for. Never one that shuts the responder out: undo needs it.
  Json statements(const std::string& responder) const {
    const std::vector<std::string> spared = spared_patterns(responder);
    Json offenders = Json::array();
    for (const auto& principal : offending_principals(options_)) {
      for (const auto& pattern : principal_arn_patterns(principal)) {
        if (std::find(spared.begin(), spared.end(), pattern) == spared.end() &&
            std::find(offenders.begin(), offenders.end(), pattern) == offenders.end()) {
          offenders.push_back(pattern);
        }
      }
    }
    Json out = Json::array();
    if (!offenders.empty()) out.push_back(deny("DenySource", {{"ArnLike", {{"aws:PrincipalArn", offenders}}}}));
    if (options_.lockdown) {
      Json condition{{"ArnNotLike", {{"aws:PrincipalArn", spared}}}};
      if (!options_.vpc_endpoint.empty()) condition["StringNotEquals"] = {{"aws:SourceVpce", options_.vpc_endpoint}};
      out.push_back(deny("Lockdown", condition));
    }
    if (options_.deny_presigned) {
      out.push_back(deny("DenyPresigned", {{"StringEquals", {{"s3:authType", "REST-QUERY-STRING"}}}}));
    }
    if (options_.block_access_points) {
      out.push_back(deny("DenyAccessPoints", {{"Null", {{"s3:DataAccessPointArn", "false"}}}}));
    }
    return out;
  }

  // The responder (as aws:PrincipalArn names it) and the responder roles.
  std::vector<std::string> spared_patterns(const std::string& responder) const {
    std::vector<std::string> out = principal_arn_patterns(responder);
    for (const auto& role : options_.responder_roles) {
      for (auto& pattern : principal_arn_patterns(role)) out.push_back(std::move(pattern));
    }
    return out;
  }

  static std::string describe(const Json& statement) {
    const std::string sid = statement["Sid"];
    const Json& condition = statement["Condition"];
    if (condition.contains("ArnLike")) {
      return fmt::format("{} (deny every request by {})", sid, fmt::join(condition["ArnLike"]["aws:PrincipalArn"].get<std::vector<std::string>>(), ", "));
    }
    if (condition.contains("ArnNotLike")) {
      std::string text = fmt::format("{} (deny every request but those by {}", sid,
                                     fmt::join(condition["ArnNotLike"]["aws:PrincipalArn"].get<std::vector<std::string>>(), ", "));
      if (condition.contains("StringNotEquals")) {
        text += fmt::format(" and those through {}", condition["StringNotEquals"]["aws:SourceVpce"].get<std::string>());
      }
      return text + ")";
    }
    if (condition.contains("Null")) return sid + " (deny every request through an access point)";
    return sid + " (deny every presigned URL request)";
  }
};

}  // namespace

std::unique_ptr<engine::Step> make_bucket_policy_step(const S3Options& options) {
  return std::make_unique<BucketPolicyStep>(options);
}

}  // namespace firebreak::playbooks::s3
