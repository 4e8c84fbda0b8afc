#include "firebreak/playbooks/identity/trail_review.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>

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
  options.buckets = scope.buckets;
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
        failures[i] = e.what();  // one line, however long the service's answer was
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
    std::string what = scope_.buckets.empty()
                           ? fmt::format("what {} did", who)
                           : fmt::format("what was done to bucket {}", fmt::join(scope_.buckets, ", "));
    return {{fmt::format("hunt {} for {} and save the summary as evidence", source, what)}};
  }
  Json apply(StepContext& ctx, const Json& observed) const override {
    std::vector<std::unique_ptr<ct::Source>> sources;
    if (!scope_.trail_logs.empty()) {
      sources.push_back(scope_.trail_logs.starts_with("s3://") ? ct::make_s3_source(session_, scope_.trail_logs)
                                                               : ct::make_file_source(scope_.trail_logs));
    } else {
      if (observed["regions"].empty()) {
        // Regions mostly fail alike (no permission, not implemented): say each answer once.
        std::map<std::string, std::vector<std::string>> regions_by_answer;
        for (const auto& [region, answer] : observed["failed_regions"].items()) {
          regions_by_answer[answer.get<std::string>()].push_back(region);
        }
        std::vector<std::string> answers;
        for (const auto& [answer, regions] : regions_by_answer) {
          const size_t named = std::min<size_t>(regions.size(), 3);
          answers.push_back(fmt::format("{}{}: {}", fmt::join(regions.begin(), regions.begin() + named, ", "),
                                        regions.size() > named ? fmt::format(" and {} more", regions.size() - named) : "",
                                        answer));
        }
        throw Error(fmt::format("CloudTrail LookupEvents could not be read in any region; give --trail-logs "
                                "PATH|s3://... instead. {}",
                                fmt::join(answers, "; ")));
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

// How the current state of one type of resource is looked up: one read that takes its id.
struct Lookup {
  std::string_view type;  // as the responder names it
  std::string_view service, operation;
  std::string_view id_member;  // the read's input member that takes the id
  bool id_list;                // ... as a list of one ({"InstanceIds": [id]})
  // A list in the answer that is empty when the resource is gone; empty: any answer means it exists.
  std::string_view result;
  bool regional;
  std::string_view ec2_prefix;  // the start of the type's EC2 ids ("i-"); empty outside EC2
};

constexpr Lookup kLookups[] = {
    {"EC2 instance", "ec2", "DescribeInstances", "InstanceIds", true, "Reservations", true, "i-"},
    {"security group", "ec2", "DescribeSecurityGroups", "GroupIds", true, "SecurityGroups", true, "sg-"},
    {"security group rule", "ec2", "DescribeSecurityGroupRules", "SecurityGroupRuleIds", true, "SecurityGroupRules", true, "sgr-"},
    {"EC2 key pair", "ec2", "DescribeKeyPairs", "KeyPairIds", true, "KeyPairs", true, "key-"},
    {"EBS snapshot", "ec2", "DescribeSnapshots", "SnapshotIds", true, "Snapshots", true, "snap-"},
    {"AMI", "ec2", "DescribeImages", "ImageIds", true, "Images", true, "ami-"},
    {"EBS volume", "ec2", "DescribeVolumes", "VolumeIds", true, "Volumes", true, "vol-"},
    {"VPC", "ec2", "DescribeVpcs", "VpcIds", true, "Vpcs", true, "vpc-"},
    {"subnet", "ec2", "DescribeSubnets", "SubnetIds", true, "Subnets", true, "subnet-"},
    {"IAM user", "iam", "GetUser", "UserName", false, "", false, ""},
    {"IAM role", "iam", "GetRole", "RoleName", false, "", false, ""},
    {"IAM policy", "iam", "GetPolicy", "PolicyArn", false, "", false, ""},
    {"IAM access key", "iam", "GetAccessKeyLastUsed", "AccessKeyId", false, "", false, ""},
    {"S3 bucket", "s3", "GetBucketLocation", "Bucket", false, "", false, ""},
    // The configuration, not GetFunction: that answer holds a presigned link to the code.
    {"Lambda function", "lambda", "GetFunctionConfiguration", "FunctionName", false, "", true, ""},
    {"CloudTrail trail", "cloudtrail", "GetTrail", "Name", false, "", true, ""},
};

const Lookup& lookup_of(std::string_view type) {
  for (const Lookup& lookup : kLookups) {
    if (lookup.type == type) return lookup;
  }
  throw std::logic_error(fmt::format("no lookup for {}", type));
}

// One resource to look up: how, its id as the read takes it, and its region when its ARN says.
struct Target {
  const Lookup* lookup;
  std::string id;
  std::string region;
};

std::optional<Target> ec2_target(std::string_view id, std::string_view region) {
  for (const Lookup& lookup : kLookups) {
    if (!lookup.ec2_prefix.empty() && id.starts_with(lookup.ec2_prefix)) return Target{&lookup, std::string(id), std::string(region)};
  }
  return std::nullopt;
}

Target target(std::string_view type, std::string_view id, std::string_view region = {}) {
  return {&lookup_of(type), std::string(id), std::string(region)};
}

// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
std::optional<Target> arn_target(std::string_view arn) {
  std::string_view parts[5];
  std::string_view rest = arn;
  for (auto& part : parts) {
    const size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    part = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
  }
  const std::string_view service = parts[2], region = parts[3], resource = rest;
  const std::string_view last = resource.substr(resource.rfind('/') + 1);  // IAM paths come before the name
  if (service == "ec2" && resource.find('/') != std::string_view::npos) return ec2_target(last, region);
  if (service == "iam" && resource.starts_with("user/")) return target("IAM user", last);
  if (service == "iam" && resource.starts_with("role/")) return target("IAM role", last);
  if (service == "iam" && resource.starts_with("policy/")) return target("IAM policy", arn);
  if (service == "s3" && region.empty() && resource.find('/') == std::string_view::npos) return target("S3 bucket", resource);
  if (service == "lambda" && resource.starts_with("function:")) return target("Lambda function", arn, region);
  if (service == "cloudtrail" && resource.starts_with("trail/")) return target("CloudTrail trail", arn, region);
  return std::nullopt;
}

// What the hunt's resources answer names (the member an id came from, and the event's service)
// turned into a lookup; none for types firebreak does not look up.
std::optional<Target> target_of(std::string_view service, std::string_view kind, std::string_view id) {
  if (id.starts_with("arn:")) return arn_target(id);
  if (kind.ends_with("Id")) {
    if (auto found = ec2_target(id, {})) return found;
  }
  if (kind == "accessKeyId" && id.starts_with("AKIA")) return target("IAM access key", id);  // ASIA: no read exists
  if (kind == "userName") return target("IAM user", id);
  if (kind == "roleName") return target("IAM role", id);
  if (kind == "bucketName") return target("S3 bucket", id);
  if (kind == "functionName") return target("Lambda function", id);
  if (service == "cloudtrail" && (kind == "name" || kind == "trailName")) return target("CloudTrail trail", id);
  return std::nullopt;
}

bool means_absent(const aws::AwsError& e) {
  return e.code().find("NotFound") != std::string::npos || e.code().starts_with("NoSuch");
}

// {"status": "exists" | "gone" | "unreadable", "region", "detail"} from one read in one region.
Json read_state(AwsReader& aws, const Target& target, const std::string& region) {
  const Lookup& lookup = *target.lookup;
  Json input{{lookup.id_member, lookup.id_list ? Json::array({target.id}) : Json(target.id)}};
  try {
    Json out = aws.call(lookup.service, lookup.operation, input, region);
    out.erase("ResponseMetadata");
    if (!lookup.result.empty() && out.value(lookup.result, Json::array()).empty()) {
      return {{"status", "gone"}, {"region", region}, {"detail", out}};
    }
    if (lookup.operation == "GetAccessKeyLastUsed") {
      // The key's owner answers; whether the key is still active is in the owner's key list.
      Json keys = aws.paginate_all("iam", "ListAccessKeys", {{"UserName", out.value("UserName", "")}});
      for (const Json& key : keys.value("AccessKeyMetadata", Json::array())) {
        if (key.value("AccessKeyId", "") == target.id) out["Status"] = key.value("Status", "");
      }
      if (!out.contains("Status")) return {{"status", "gone"}, {"region", region}, {"detail", out}};
    }
    return {{"status", "exists"}, {"region", region}, {"detail", out}};
  } catch (const aws::AwsError& e) {
    return {{"status", means_absent(e) ? "gone" : "unreadable"}, {"region", region},
            {"detail", {{"code", e.code()}, {"message", e.message()}}}};
  }
}

// The regions to look in for a regional resource without an ARN: where the principals that
// changed it were seen, else everywhere the hunt saw anyone.
std::vector<std::string> regions_of(const Json& resource, const Json& summary) {
  std::vector<std::string> regions, everywhere;
  const Json principals = resource.value("principals", Json::object());
  for (const Json& principal : summary) {
    const bool changed_it = principals.contains(principal.value("principal", ""));
    const Json seen_in = principal.value("regions", Json::object());
    for (const auto& [region, n] : seen_in.items()) {
      if (changed_it && std::find(regions.begin(), regions.end(), region) == regions.end()) regions.push_back(region);
      if (std::find(everywhere.begin(), everywhere.end(), region) == everywhere.end()) everywhere.push_back(region);
    }
  }
  if (regions.empty()) regions = std::move(everywhere);
  if (regions.empty()) regions.emplace_back();  // the session's region
  return regions;
}

// The states of one resource, region by region, as one: found anywhere is found; a region that
// could not be read means it cannot be called gone.
Json combine(const std::vector<Json*>& states) {
  Json combined;
  for (Json* state : states) {
    if ((*state)["status"] == "exists") return std::move(*state);
    if ((*state)["status"] == "unreadable" && (combined.is_null() || combined["status"] != "unreadable")) combined = *state;
    if (combined.is_null()) combined = *state;
  }
  if (combined["status"] == "gone" && states.size() > 1) {
    Json regions = Json::array();
    for (Json* state : states) regions.push_back((*state)["region"]);
    combined["region"] = regions;
  }
  return combined;
}

const std::vector<engine::AwsOperation> kLookupReads = [] {
  std::vector<engine::AwsOperation> reads{{"iam", "ListAccessKeys"}};
  for (const Lookup& lookup : kLookups) reads.push_back({std::string(lookup.service), std::string(lookup.operation)});
  return reads;
}();

class ReviewResourcesStep final : public engine::Step {
 public:
  explicit ReviewResourcesStep(std::shared_ptr<TrailFindings> findings) : findings_(std::move(findings)) {
    spec_.name = "review-resources";
    spec_.line = "Review AWS resources";
    spec_.depends_on = {"check-cloudtrail"};
    spec_.reads = kLookupReads;
  }
  const StepSpec& spec() const override { return spec_; }
  Json observe(StepContext& ctx) const override {
    if (!findings_->hunted) return {{"hunted", false}};
    ContextReader aws(ctx);
    return {{"hunted", true}, {"resources", look_up_resources(aws, findings_->resources, findings_->summary)}};
  }
  Plan plan(const Json& observed) const override {
    if (!observed["hunted"].get<bool>()) return {{"look up and flag the resources the CloudTrail check finds"}};
    Plan plan;
    for (const Json& r : observed["resources"]) {
      std::vector<std::string> events;
      const Json names = r.value("eventNames", Json::object());
      for (const auto& [name, n] : names.items()) events.push_back(name);
      plan.changes.push_back(fmt::format("flag {} {} {} ({}) for review: {}", r.value("service", ""),
                                         r["state"].value("type", ""), r.value("resource", ""), fmt::join(events, ", "),
                                         r["state"].value("status", "")));
    }
    return plan;
  }
  Json apply(StepContext& ctx, const Json& observed) const override {
    auto record = ctx.save_evidence("resources-review.json", observed["resources"].dump(2));
    Json statuses = Json::object();
    for (const Json& r : observed["resources"]) {
      const std::string status = r["state"].value("status", "");
      statuses[status] = statuses.value(status, 0) + 1;
    }
    return {{"flagged", observed["resources"].size()}, {"states", statuses}, {"sha256", record.sha256}};
  }

 private:
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

Json look_up_resources(AwsReader& aws, Json resources, const Json& summary) {
  // Every read of every resource in every region it could be in goes out side by side.
  std::vector<std::optional<Target>> targets(resources.size());
  std::vector<std::pair<size_t, std::string>> reads;  // (resource, region)
  for (size_t i = 0; i < resources.size(); ++i) {
    const Json& r = resources[i];
    targets[i] = target_of(r.value("service", ""), r.value("kind", ""), r.value("resource", ""));
    if (!targets[i]) continue;
    std::vector<std::string> where{targets[i]->region};
    if (targets[i]->lookup->regional && targets[i]->region.empty()) where = regions_of(r, summary);
    for (auto& region : where) reads.emplace_back(i, std::move(region));
  }
  std::vector<Json> states(reads.size());
  for_each_parallel(reads.size(), [&](size_t i) { states[i] = read_state(aws, *targets[reads[i].first], reads[i].second); });
  std::vector<std::vector<Json*>> by_resource(resources.size());
  for (size_t i = 0; i < reads.size(); ++i) by_resource[reads[i].first].push_back(&states[i]);
  for (size_t i = 0; i < resources.size(); ++i) {
    Json& r = resources[i];
    if (!targets[i]) {
      // Listed with its type, never dropped: the responder reviews it by hand.
      r["state"] = {{"status", "not looked up"}, {"type", fmt::format("{} {}", r.value("service", ""), r.value("kind", ""))}};
      continue;
    }
    r["state"] = combine(by_resource[i]);
    r["state"]["type"] = targets[i]->lookup->type;
  }
  return resources;
}

std::unique_ptr<engine::Step> make_check_cloudtrail_step(const aws::Session& session, TrailScope scope,
                                                         std::shared_ptr<TrailFindings> findings) {
  return std::make_unique<CheckCloudTrailStep>(session, std::move(scope), std::move(findings));
}

std::unique_ptr<engine::Step> make_review_resources_step(std::shared_ptr<TrailFindings> findings) {
  return std::make_unique<ReviewResourcesStep>(std::move(findings));
}

}  // namespace firebreak::playbooks
