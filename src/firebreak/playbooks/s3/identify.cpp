// Steps 1 and 2: the bucket's findings (the one being answered, or its current GuardDuty and
// Security Hub findings) and what the finding says about the source: principal, access key,
// source IP, API call, and where Amazon Detective shows it.
#include <fmt/format.h>

#include "firebreak/findings/listing.h"
#include "firebreak/playbooks/s3/steps.h"

namespace firebreak::playbooks::s3 {
namespace {

class IdentifyBucketStep : public S3Step {
 public:
  IdentifyBucketStep(const aws::Session& session, const S3Options& options)
      : S3Step(options, "identify-bucket", "Identify the compromised bucket using GuardDuty", {}), session_(session) {
    spec_.reads = {{"guardduty", "ListDetectors"}, {"guardduty", "ListFindings"}, {"guardduty", "GetFindings"},
                   {"securityhub", "GetFindings"}};
  }

  // {"findings": [incident...], "errors": [...], "notes": [...]}; errors are the sources that
  // could not be listed (moto, like an account without Security Hub, has none of GuardDuty's).
  Json observe(engine::StepContext&) const override {
    if (options_.finding) {
      Json out{{"findings", Json::array({findings::to_json(*options_.finding, false)})},
               {"errors", Json::array()}, {"notes", Json::array()}};
      const auto& names = options_.finding->resources.bucket_names;
      if (std::find(names.begin(), names.end(), options_.bucket) == names.end()) {
        out["notes"].push_back(fmt::format("the finding names {}, not {}",
                                           names.empty() ? "no bucket" : fmt::format("{}", fmt::join(names, ", ")),
                                           options_.bucket));
      }
      return out;
    }
    findings::ListOptions list;
    list.filter.bucket = options_.bucket;
    list.regions = {options_.region};
    list.source = findings::Source::kBoth;
    Json out{{"findings", Json::array()}, {"errors", Json::array()}, {"notes", Json::array()}};
    try {
      findings::Listing listing = findings::list_findings(session_, list);
      for (const auto& incident : listing.incidents) out["findings"].push_back(findings::to_json(incident, true));
      out["errors"] = listing.errors;
      out["notes"] = listing.notes;
    } catch (const std::exception& e) {
      out["errors"].push_back(fmt::format("could not list the bucket's findings: {}", e.what()));
    }
    return out;
  }

  engine::Plan plan(const Json& observed) const override {
    engine::Plan plan;
    for (const auto& f : observed["findings"]) {
      plan.changes.push_back(fmt::format("{} finding {} ({} {}): {}", f.value("product", "GuardDuty"),
                                         f.value("finding_id", ""), f.value("severity_label", ""),
                                         f.value("type", ""), f.value("title", "")));
    }
    if (observed["findings"].empty()) plan.changes.push_back(fmt::format("no current finding names bucket {}", options_.bucket));
    for (const auto& text : observed["errors"]) plan.changes.push_back("could not list: " + text.get<std::string>());
    for (const auto& text : observed["notes"]) plan.changes.push_back(text.get<std::string>());
    plan.changes.push_back("save the bucket's findings as evidence (bucket-findings.json)");
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    if (!observed["errors"].empty()) ctx.note("some findings could not be listed", observed["errors"]);
    auto saved = ctx.save_evidence("bucket-findings.json", observed.dump(2));
    return {{"findings", observed["findings"].size()}, {"errors", observed["errors"].size()}, {"sha256", saved.sha256}};
  }

 private:
  const aws::Session& session_;
};

class IdentifySourceStep : public S3Step {
 public:
  explicit IdentifySourceStep(const S3Options& options)
      : S3Step(options, "identify-source", "Identify the source of the malicious activity and the API calls", {}) {}

  // What the finding says about the source; its CloudTrail side is the check-cloudtrail step's.
  Json observe(engine::StepContext&) const override {
    if (!options_.finding) return {{"finding", nullptr}};
    const findings::Incident& f = *options_.finding;
    Json out{{"finding", f.finding_id},
             {"type", f.type},
             {"principal", f.actor.arn},
             {"user_type", f.actor.user_type_name},
             {"role", f.actor.role_arn},
             {"access_key_id", f.actor.access_key_id},
             {"source_ip", f.actor.remote_ip},
             {"api", f.actor.api}};
    if (f.product == "GuardDuty" && !f.finding_id.empty()) {
      out["detective"] = detective_finding_url(f.region.empty() ? options_.region : f.region, f.finding_id);
    }
    return out;
  }

  engine::Plan plan(const Json& observed) const override {
    if (observed["finding"].is_null()) {
      return {{"no finding given: the source is what CloudTrail shows (check-cloudtrail)"}};
    }
    engine::Plan plan;
    auto shown = [](const Json& value) { return value.get<std::string>().empty() ? std::string("-") : value.get<std::string>(); };
    plan.changes.push_back(fmt::format("source: {} ({}), key {}, from {}, calling {}", shown(observed["principal"]),
                                       shown(observed["user_type"]), shown(observed["access_key_id"]),
                                       shown(observed["source_ip"]), shown(observed["api"])));
    if (observed.contains("detective")) {
      plan.changes.push_back("investigate in Amazon Detective: " + observed["detective"].get<std::string>());
    }
    plan.changes.push_back("save the source as evidence (source.json)");
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    auto saved = ctx.save_evidence("source.json", observed.dump(2));
    return {{"sha256", saved.sha256}};
  }
};

}  // namespace

std::unique_ptr<engine::Step> make_identify_bucket_step(const aws::Session& session, const S3Options& options) {
  return std::make_unique<IdentifyBucketStep>(session, options);
}

std::unique_ptr<engine::Step> make_identify_source_step(const S3Options& options) {
  return std::make_unique<IdentifySourceStep>(options);
}

}  // namespace firebreak::playbooks::s3
