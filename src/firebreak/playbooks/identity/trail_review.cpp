#include "firebreak/playbooks/identity/trail_review.h"

#include <cstdio>
#include <mutex>

#include <fmt/format.h>

#include "firebreak/aws/errors.h"
#include "firebreak/base/error.h"
#include "firebreak/cloudtrail/aws_sources.h"
#include "firebreak/cloudtrail/filter.h"
#include "firebreak/cloudtrail/hunt.h"
#include "firebreak/cloudtrail/sink.h"
#include "firebreak/engine/step_context.h"
#include "firebreak/playbooks/identity/reader.h"

namespace firebreak::playbooks {
namespace {

namespace ct = cloudtrail;
using engine::Plan;
using engine::StepContext;
using engine::StepSpec;

// Text a sink prints, caught in memory.
class MemoryFile {
 public:
  MemoryFile() : file_(open_memstream(&data_, &size_)) {
    if (!file_) throw Error("cannot open a memory stream");
  }
  ~MemoryFile() {
    if (file_) std::fclose(file_);
    std::free(data_);
  }
  std::FILE* get() { return file_; }
  std::string take() {
    std::fclose(file_);
    file_ = nullptr;
    return std::string(data_, size_);
  }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  std::FILE* file_;
};

// The summary and resources answers from one pass over the records.
class FindingsSink final : public ct::Sink {
  struct Worker final : ct::SinkWorker {
    std::unique_ptr<ct::SinkWorker> summary, resources;
    void matched(const ct::Event& event, ct::RuleMatches rules) override {
      summary->matched(event, rules);
      resources->matched(event, rules);
    }
  };

 public:
  bool needs_nested_members() const override { return true; }
  std::unique_ptr<ct::SinkWorker> make_worker() override {
    auto worker = std::make_unique<Worker>();
    worker->summary = summary_->make_worker();
    worker->resources = resources_->make_worker();
    return worker;
  }
  void finish(std::vector<std::unique_ptr<ct::SinkWorker>>& workers, std::FILE*) override {
    std::vector<std::unique_ptr<ct::SinkWorker>> summaries, resources;
    for (auto& w : workers) {
      summaries.push_back(std::move(static_cast<Worker&>(*w).summary));
      resources.push_back(std::move(static_cast<Worker&>(*w).resources));
    }
    summary_->finish(summaries, summary_text_.get());
    resources_->finish(resources, resources_text_.get());
  }
  Json summary() { return Json::parse(summary_text_.take()); }
  Json resources() { return Json::parse(resources_text_.take()); }

 private:
  std::unique_ptr<ct::Sink> summary_ = ct::make_sink(ct::Answer::kSummary, true);
  std::unique_ptr<ct::Sink> resources_ = ct::make_sink(ct::Answer::kResources, true);
  MemoryFile summary_text_, resources_text_;
};

class CollectingDiagnostics final : public ct::HuntDiagnostics {
 public:
  void malformed(std::string_view, uint64_t, uint64_t, std::string_view) override {}
  void unreadable(std::string_view name, std::string_view message) override {
    std::lock_guard lock(mutex_);
    problems_.push_back(fmt::format("{}: {}", name, message));
  }
  std::vector<std::string> problems() const { return problems_; }

 private:
  std::mutex mutex_;
  std::vector<std::string> problems_;
};

ct::FilterOptions trail_filter(const TrailScope& scope) {
  ct::FilterOptions options;
  options.principals = scope.principals;
  // Keys narrow the hunt only when no principal is named: filters combine with AND, and the
  // user's own calls count whichever key made them.
  if (scope.principals.empty()) options.access_keys = scope.access_keys;
  options.since = scope.since;
  return options;
}

bool any_principal_known(const Json& counts, const std::vector<std::string>& known) {
  if (counts.empty()) return false;
  for (const auto& [principal, n] : counts.items()) {
    if (!principal_is_one_of(principal, known)) return false;
  }
  return true;
}

class CheckCloudTrailStep final : public engine::Step {
 public:
  CheckCloudTrailStep(const aws::Session& session, TrailScope scope, std::shared_ptr<TrailFindings> findings)
      : session_(session), scope_(std::move(scope)), findings_(std::move(findings)) {
    spec_.name = "check-cloudtrail";
    spec_.line = "Check CloudTrail logs";
    spec_.reads = {{"ec2", "DescribeRegions"}, {"cloudtrail", "LookupEvents"}, {"s3", "ListObjectsV2"},
                   {"s3", "GetObject"}};
  }
  const StepSpec& spec() const override { return spec_; }

  // With trail logs given: the source. Otherwise the enabled regions, each asked for one event
  // so that a region refusing LookupEvents (AccessDenied, or a service without it) is named
  // instead of failing every day of the hunt.
  Json observe(StepContext& ctx) const override {
    if (!scope_.trail_logs.empty()) return {{"source", scope_.trail_logs}};
    ContextReader aws(ctx);
    std::vector<std::string> regions = enabled_regions(aws);
    std::vector<std::string> failures(regions.size());
    for_each_parallel(regions.size(), [&](size_t i) {
      try {
        ctx.call("cloudtrail", "LookupEvents", {{"MaxResults", 1}}, regions[i]);
      } catch (const aws::AwsError& e) {
        failures[i] = fmt::format("{} (HTTP {}): {}", e.code(), e.http_status(), e.message());
      }
    });
    Json readable = Json::array(), failed = Json::object();
    for (size_t i = 0; i < regions.size(); ++i) {
      if (failures[i].empty()) readable.push_back(regions[i]);
      else failed[regions[i]] = failures[i];
    }
    return {{"source", "LookupEvents"}, {"regions", readable}, {"failed_regions", failed}};
  }
  Plan plan(const Json& observed) const override {
    std::string who = scope_.principals.empty() ? std::string("every principal outside the baseline")
                                                : fmt::format("{}", fmt::join(scope_.principals, ", "));
    std::string source = observed["source"] == "LookupEvents"
                             ? fmt::format("LookupEvents in {} regions", observed["regions"].size())
                             : observed["source"].get<std::string>();
    return {{fmt::format("hunt {} for what {} did and save the summary as evidence", source, who)}};
  }
  Json apply(StepContext& ctx, const Json& observed) const override {
    std::vector<std::unique_ptr<ct::Source>> sources;
    if (!scope_.trail_logs.empty()) {
      sources.push_back(scope_.trail_logs.starts_with("s3://") ? ct::make_s3_source(session_, scope_.trail_logs)
                                                               : ct::make_file_source(scope_.trail_logs));
    } else {
      if (observed["regions"].empty()) {
        throw Error(fmt::format("CloudTrail LookupEvents could not be read in any region: {}",
                                observed["failed_regions"].dump()));
      }
      for (const Json& region : observed["regions"]) {
        sources.push_back(ct::make_lookup_events_source(session_, region.get<std::string>(), trail_filter(scope_)));
      }
    }
    TrailFindings found = hunt_trail(sources, scope_);
    Json evidence{{"principals", scope_.principals}, {"source", observed["source"]},
                  {"since", scope_.since ? Json(*scope_.since) : Json()}, {"summary", found.summary},
                  {"resources", found.resources}};
    if (observed.contains("failed_regions") && !observed["failed_regions"].empty()) {
      evidence["failed_regions"] = observed["failed_regions"];
      ctx.note("CloudTrail LookupEvents could not be read in some regions", observed["failed_regions"]);
      ctx.progress(fmt::format("not read: {}", observed["failed_regions"].dump()));
    }
    auto record = ctx.save_evidence("cloudtrail-summary.json", evidence.dump(2));
    size_t calls = 0;
    for (const Json& principal : found.summary) calls += principal.value("calls", 0);
    *findings_ = std::move(found);
    findings_->hunted = true;
    return {{"principals", findings_->summary.size()}, {"calls", calls},
            {"resources", findings_->resources.size()}, {"sha256", record.sha256}};
  }

 private:
  const aws::Session& session_;
  TrailScope scope_;
  std::shared_ptr<TrailFindings> findings_;
  StepSpec spec_;
};

// How the current state of a resource is looked up: the call, and whether the id fits it.
struct Lookup {
  std::string service, operation;
  std::function<bool(std::string_view kind, std::string_view id)> fits;
  std::function<Json(std::string_view id)> input;
  bool regional;
};

const std::vector<Lookup>& lookups() {
  static const std::vector<Lookup> table = {
      {"ec2", "DescribeInstances", [](auto, auto id) { return id.starts_with("i-"); },
       [](auto id) { return Json{{"InstanceIds", {id}}}; }, true},
      {"ec2", "DescribeSecurityGroups", [](auto, auto id) { return id.starts_with("sg-"); },
       [](auto id) { return Json{{"GroupIds", {id}}}; }, true},
      {"iam", "GetUser", [](auto kind, auto id) { return kind == "userName"; },
       [](auto id) { return Json{{"UserName", id}}; }, false},
      {"iam", "GetRole", [](auto kind, auto id) { return kind == "roleName"; },
       [](auto id) { return Json{{"RoleName", id}}; }, false},
      {"s3", "GetBucketLocation", [](auto kind, auto id) { return kind == "bucketName"; },
       [](auto id) { return Json{{"Bucket", id}}; }, false},
  };
  return table;
}

class ReviewResourcesStep final : public engine::Step {
 public:
  explicit ReviewResourcesStep(std::shared_ptr<TrailFindings> findings) : findings_(std::move(findings)) {
    spec_.name = "review-resources";
    spec_.line = "Review AWS resources";
    spec_.depends_on = {"check-cloudtrail"};
    for (const auto& lookup : lookups()) spec_.reads.push_back({lookup.service, lookup.operation});
  }
  const StepSpec& spec() const override { return spec_; }
  Json observe(StepContext& ctx) const override {
    if (!findings_->hunted) return {{"hunted", false}};
    std::vector<std::string> regions;
    for (const Json& principal : findings_->summary) {
      const Json seen_in = principal.value("regions", Json::object());
      for (const auto& [region, n] : seen_in.items()) {
        if (std::find(regions.begin(), regions.end(), region) == regions.end()) regions.push_back(region);
      }
    }
    Json resources = findings_->resources;
    for_each_parallel(resources.size(), [&](size_t i) {
      resources[i]["state"] = current_state(ctx, resources[i], regions);
    });
    return {{"hunted", true}, {"resources", resources}};
  }
  Plan plan(const Json& observed) const override {
    if (!observed["hunted"].get<bool>()) return {{"look up and flag the resources the CloudTrail check finds"}};
    Plan plan;
    for (const Json& r : observed["resources"]) {
      std::vector<std::string> events;
      const Json names = r.value("eventNames", Json::object());
      for (const auto& [name, n] : names.items()) events.push_back(name);
      plan.changes.push_back(fmt::format("flag {} {} ({}) for review: {}", r.value("service", ""),
                                         r.value("resource", ""), fmt::join(events, ", "),
                                         r["state"].value("status", "")));
    }
    return plan;
  }
  Json apply(StepContext& ctx, const Json& observed) const override {
    auto record = ctx.save_evidence("resources-review.json", observed["resources"].dump(2));
    return {{"flagged", observed["resources"].size()}, {"sha256", record.sha256}};
  }

 private:
  // {"status": "exists" | "gone" | "not looked up" | "unreadable", "region", "detail"}.
  static Json current_state(StepContext& ctx, const Json& resource, const std::vector<std::string>& regions) {
    const std::string kind = resource.value("kind", ""), id = resource.value("resource", "");
    for (const auto& lookup : lookups()) {
      if (!lookup.fits(kind, id)) continue;
      std::vector<std::string> where = lookup.regional ? regions : std::vector<std::string>{""};
      Json last_error;
      for (const auto& region : where) {
        try {
          Json out = ctx.call(lookup.service, lookup.operation, lookup.input(id), region);
          out.erase("ResponseMetadata");
          return {{"status", "exists"}, {"region", region}, {"detail", out}};
        } catch (const aws::AwsError& e) {
          last_error = {{"code", e.code()}, {"message", e.message()}};
          if (e.http_status() != 400 && e.http_status() != 404) {
            return {{"status", "unreadable"}, {"region", region}, {"detail", last_error}};
          }
        }
      }
      return {{"status", "gone"}, {"detail", last_error}};
    }
    return {{"status", "not looked up"}};
  }

  std::shared_ptr<TrailFindings> findings_;
  StepSpec spec_;
};

}  // namespace

bool principal_is_one_of(std::string_view arn, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (arn == name) return true;
    for (std::string_view kind : {":user/", ":role/", ":assumed-role/"}) {
      auto at = arn.find(kind);
      if (at == std::string_view::npos) continue;
      std::string_view rest = arn.substr(at + kind.size());
      // user/path/NAME ends with the name; assumed-role/NAME/SESSION starts with it.
      std::string_view tail = kind == ":assumed-role/" ? rest.substr(0, rest.find('/')) : rest.substr(rest.rfind('/') + 1);
      if (tail == name) return true;
    }
  }
  return false;
}

TrailFindings hunt_trail(std::vector<std::unique_ptr<ct::Source>>& sources, const TrailScope& scope) {
  ct::Filter filter(trail_filter(scope));
  FindingsSink sink;
  CollectingDiagnostics diagnostics;
  MemoryFile printed;
  ct::HuntOptions hunt_options;
  hunt_options.threads = 2;
  ct::run_hunt(sources, filter, nullptr, sink, printed.get(), diagnostics, hunt_options);
  if (auto problems = diagnostics.problems(); !problems.empty()) {
    throw Error(fmt::format("{} CloudTrail objects could not be read: {}", problems.size(), problems.front()));
  }
  TrailFindings found;
  for (Json& principal : sink.summary()) {
    if (!principal_is_one_of(principal.value("principal", ""), scope.known_principals))
      found.summary.push_back(std::move(principal));
  }
  for (Json& resource : sink.resources()) {
    if (!any_principal_known(resource.value("principals", Json::object()), scope.known_principals))
      found.resources.push_back(std::move(resource));
  }
  return found;
}

std::unique_ptr<engine::Step> make_check_cloudtrail_step(const aws::Session& session, TrailScope scope,
                                                         std::shared_ptr<TrailFindings> findings) {
  return std::make_unique<CheckCloudTrailStep>(session, std::move(scope), std::move(findings));
}

std::unique_ptr<engine::Step> make_review_resources_step(std::shared_ptr<TrailFindings> findings) {
  return std::make_unique<ReviewResourcesStep>(std::move(findings));
}

}  // namespace firebreak::playbooks
