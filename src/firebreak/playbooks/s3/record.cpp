// Step 4, first part: record the bucket's policy, ACL, ownership controls, Block Public Access
// (bucket and account), access points (with their policies and public status) and versioning
// as evidence before anything changes them. A policy that is not valid JSON is kept as its raw
// text, and a setting that cannot be read is recorded as its error: the record goes on.
#include <mutex>

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/playbooks/identity/reader.h"
#include "firebreak/playbooks/s3/access_evaluation.h"
#include "firebreak/playbooks/s3/steps.h"

namespace firebreak::playbooks::s3 {
namespace {

constexpr const char* kNoAccessPointPolicy = "NoSuchAccessPointPolicy";

Json read_policy(engine::StepContext& ctx, const S3Options& options) {
  Json out = read_setting([&] { return ctx.call("s3", "GetBucketPolicy", {{"Bucket", options.bucket}}, options.region); },
                          kNoPolicy);
  if (out.is_null()) return out;
  Json policy{{"text", out.value("Policy", "")}};
  try {
    policy["document"] = parse_policy_document(policy["text"].get<std::string>(),
                                               fmt::format("bucket policy of {}", options.bucket));
  } catch (const InputError& e) {
    policy["invalid"] = e.what();
  }
  return policy;
}

Json read_access_points(engine::StepContext& ctx, const S3Options& options) {
  const std::string account = ctx.case_info().account;
  // The model has no paginator for ListAccessPoints: its NextToken is followed here.
  Json points = Json::array();
  Json input{{"AccountId", account}, {"Bucket", options.bucket}};
  while (true) {
    Json page = ctx.call("s3control", "ListAccessPoints", input, options.region);
    for (auto& point : page.value("AccessPointList", Json::array())) points.push_back(std::move(point));
    if (page.value("NextToken", "").empty()) break;
    input["NextToken"] = page["NextToken"];
  }
  for_each_parallel(points.size(), [&](size_t i) {
    const Json id{{"AccountId", account}, {"Name", points[i]["Name"]}};
    points[i]["details"] = read_part([&] { return read_setting([&] { return ctx.call("s3control", "GetAccessPoint", id, options.region); }, ""); });
    points[i]["policy"] = read_part([&] {
      return read_setting([&] { return ctx.call("s3control", "GetAccessPointPolicy", id, options.region); },
                          kNoAccessPointPolicy);
    });
    points[i]["policy_status"] = read_part([&] {
      return read_setting([&] { return ctx.call("s3control", "GetAccessPointPolicyStatus", id, options.region); },
                          kNoAccessPointPolicy);
    });
  });
  return points;
}

class RecordBucketStep : public S3Step {
 public:
  RecordBucketStep(const S3Options& options, SharedSettings settings)
      : S3Step(options, "record-bucket", "Record the bucket's access settings as evidence", {}),
        settings_(std::move(settings)) {
    spec_.reads = kSettingsReads;
  }

  Json observe(engine::StepContext& ctx) const override {
    Json settings = read_bucket_settings(ctx, options_);
    *settings_ = settings;
    return settings;
  }

  engine::Plan plan(const Json& observed) const override {
    engine::Plan plan;
    for (const auto& [part, value] : observed.items()) {
      if (is_read_error(value)) {
        plan.changes.push_back(fmt::format("could not read {} of {}: {}: {}", part, options_.bucket,
                                           value["error"].value("code", ""), value["error"].value("message", "")));
      }
    }
    if (observed["policy"].is_object() && observed["policy"].contains("invalid")) {
      plan.changes.push_back(fmt::format("{}: its raw text is kept as evidence (bucket-policy.txt)",
                                         observed["policy"]["invalid"].get<std::string>()));
    }
    const Json& points = observed["access_points"];
    plan.changes.push_back(fmt::format(
        "save the access settings of {} as evidence (bucket-settings.json): policy, ACL, ownership controls, "
        "Block Public Access, versioning, {} access points",
        options_.bucket, points.is_array() ? std::to_string(points.size()) : std::string("unreadable")));
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    Json after{{"sha256", ctx.save_evidence("bucket-settings.json", observed.dump(2)).sha256}};
    if (observed["policy"].is_object() && observed["policy"].contains("invalid")) {
      after["policy_text_sha256"] =
          ctx.save_evidence("bucket-policy.txt", observed["policy"]["text"].get<std::string>(), "text/plain").sha256;
    }
    return after;
  }

 private:
  SharedSettings settings_;
};

}  // namespace

Json read_bucket_settings(engine::StepContext& ctx, const S3Options& options) {
  const Json bucket{{"Bucket", options.bucket}};
  const Json account{{"AccountId", ctx.case_info().account}};
  auto s3 = [&](const char* operation, std::string_view absent) {
    return [&ctx, &options, &bucket, operation, absent] {
      return read_setting([&] { return ctx.call("s3", operation, bucket, options.region); }, absent);
    };
  };
  const std::vector<std::pair<const char*, std::function<Json()>>> parts = {
      {"location", s3("GetBucketLocation", "")},
      {"policy", [&] { return read_policy(ctx, options); }},
      {"policy_status", s3("GetBucketPolicyStatus", kNoPolicy)},
      {"acl", s3("GetBucketAcl", "")},
      {"ownership_controls", s3("GetBucketOwnershipControls", kNoOwnershipControls)},
      {"public_access_block", s3("GetPublicAccessBlock", kNoPublicAccessBlock)},
      {"account_public_access_block",
       [&] {
         return read_setting([&] { return ctx.call("s3control", "GetPublicAccessBlock", account, options.region); },
                             kNoPublicAccessBlock);
       }},
      {"versioning", s3("GetBucketVersioning", "")},
      {"access_points", [&] { return read_access_points(ctx, options); }},
  };
  Json out = Json::object();
  std::mutex mutex;
  for_each_parallel(parts.size(), [&](size_t i) {
    Json value = read_part(parts[i].second);
    std::lock_guard lock(mutex);
    out[parts[i].first] = std::move(value);
  });
  return out;
}

std::unique_ptr<engine::Step> make_record_bucket_step(const S3Options& options, SharedSettings settings) {
  return std::make_unique<RecordBucketStep>(options, std::move(settings));
}

}  // namespace firebreak::playbooks::s3
