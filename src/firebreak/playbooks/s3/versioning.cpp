// Step 4: enable versioning, so that what the attacker overwrites or deletes is kept.
#include <fmt/format.h>

#include "firebreak/playbooks/s3/steps.h"

namespace firebreak::playbooks::s3 {
namespace {

class VersioningStep : public S3Step {
 public:
  explicit VersioningStep(const S3Options& options)
      : S3Step(options, "enable-versioning", "Enable versioning", {"record-bucket"}) {
    spec_.reads = {{"s3", "GetBucketVersioning"}};
    spec_.changes = {{"s3", "PutBucketVersioning"}};
    spec_.reversible = true;
  }

  // {"status": "Enabled" | "Suspended" | "" (never enabled)}
  Json observe(engine::StepContext& ctx) const override {
    Json out = ctx.call("s3", "GetBucketVersioning", {{"Bucket", options_.bucket}}, options_.region);
    return {{"status", out.value("Status", "")}};
  }

  engine::Plan plan(const Json& observed) const override {
    if (observed["status"] == "Enabled") return {};
    return {{fmt::format("enable versioning on {} (was {}), so that overwritten and deleted objects are kept",
                         options_.bucket, observed["status"] == "" ? "never enabled" : "suspended")}};
  }

  Json apply(engine::StepContext& ctx, const Json&) const override {
    ctx.call("s3", "PutBucketVersioning",
             {{"Bucket", options_.bucket}, {"VersioningConfiguration", {{"Status", "Enabled"}}}}, options_.region);
    return {{"status", "Enabled"}};
  }

  // A bucket once versioned cannot be unversioned: suspended is as close as S3 allows.
  std::vector<engine::AwsCall> undo(const Json&, const Json&) const override {
    return {s3_call(options_, "PutBucketVersioning", {{"VersioningConfiguration", {{"Status", "Suspended"}}}})};
  }
};

}  // namespace

std::unique_ptr<engine::Step> make_versioning_step(const S3Options& options) {
  return std::make_unique<VersioningStep>(options);
}

}  // namespace firebreak::playbooks::s3
