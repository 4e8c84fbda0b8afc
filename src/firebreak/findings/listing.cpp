#include "firebreak/findings/listing.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <exception>
#include <set>
#include <thread>

#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"
#include "firebreak/findings/reader.h"

namespace firebreak::findings {
namespace {

constexpr size_t kGetFindingsBatch = 50;  // GetFindings takes at most 50 ids
constexpr int kListFindingsPage = 50;     // ListFindings' maximum page
constexpr int kSecurityHubPage = 100;     // Security Hub GetFindings' maximum page

constexpr std::pair<std::string_view, double> kSeverityLabels[] = {
    {"low", 1}, {"medium", 4}, {"high", 7}, {"critical", 9}};

bool has_wildcard(std::string_view glob) { return glob.find_first_of("*?[") != std::string_view::npos; }

// One unit of work: one source in one region. Its results are kept apart until all are done,
// so the output does not depend on which finished first.
struct Task {
  Source source;
  std::string region;
  std::vector<Incident> incidents;
  std::vector<std::string> errors;
  std::vector<std::string> notes;
  std::exception_ptr failure;
};

std::string source_name(Source source) { return source == Source::kGuardDuty ? "GuardDuty" : "Security Hub"; }

void list_guardduty(const aws::Session& session, const Filter& filter, Task& task) {
  auto client = session.client("guardduty", task.region);
  std::vector<std::string> detectors;
  for (const Json& page : client.paginate("ListDetectors")) {
    for (const Json& id : page.value("DetectorIds", Json::array())) detectors.push_back(id.get<std::string>());
  }
  if (detectors.empty()) {
    task.notes.push_back(fmt::format("{}: GuardDuty is not enabled (no detector)", task.region));
    return;
  }
  const Json criteria = guardduty_criteria(filter);
  for (const auto& detector : detectors) {
    std::vector<std::string> ids;
    const Json request = {{"DetectorId", detector}, {"FindingCriteria", criteria}, {"MaxResults", kListFindingsPage}};
    for (const Json& page : client.paginate("ListFindings", request)) {
      for (const Json& id : page.value("FindingIds", Json::array())) ids.push_back(id.get<std::string>());
    }
    for (size_t start = 0; start < ids.size(); start += kGetFindingsBatch) {
      const size_t end = std::min(ids.size(), start + kGetFindingsBatch);
      Json batch(std::vector<std::string>(ids.begin() + long(start), ids.begin() + long(end)));
      const Json out = client.call("GetFindings", {{"DetectorId", detector}, {"FindingIds", batch}});
      for (const Json& finding : out.value("Findings", Json::array())) {
        try {
          Incident incident = incident_from_guardduty(finding);
          incident.origin = fmt::format("GuardDuty {} detector {}", task.region, detector);
          task.incidents.push_back(std::move(incident));
        } catch (const InputError& e) {
          task.errors.push_back(fmt::format("{} GuardDuty finding {}: {}", task.region,
                                            finding.value("Id", std::string("?")), e.what()));
        }
      }
    }
  }
}

void list_securityhub(const aws::Session& session, const Filter& filter, Task& task) {
  auto client = session.client("securityhub", task.region);
  const Json request = {{"Filters", securityhub_filters(filter, Clock::now())}, {"MaxResults", kSecurityHubPage}};
  for (const Json& page : client.paginate("GetFindings", request)) {
    for (const Json& finding : page.value("Findings", Json::array())) {
      try {
        Incident incident = incident_from_asff(finding);
        // The filter asks for GuardDuty's findings; this keeps it so where filters are ignored.
        if (incident.product != "GuardDuty") continue;
        incident.origin = fmt::format("Security Hub {}", task.region);
        task.incidents.push_back(std::move(incident));
      } catch (const InputError& e) {
        task.errors.push_back(fmt::format("{} Security Hub finding {}: {}", task.region,
                                          finding.value("Id", std::string("?")), e.what()));
      }
    }
  }
}

// An error on one line of bounded length: a service that answers with an HTML page must not
// bury the other regions' lines.
std::string one_line(std::string_view text) {
  constexpr size_t kMaxLength = 300;
  std::string out;
  for (char c : text) {
    const bool space = std::isspace(static_cast<unsigned char>(c));
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out.size() <= kMaxLength ? out : out.substr(0, kMaxLength - 3) + "...";
}

void run(const aws::Session& session, const Filter& filter, Task& task) {
  try {
    if (task.source == Source::kGuardDuty) {
      list_guardduty(session, filter, task);
    } else {
      list_securityhub(session, filter, task);
    }
  } catch (const std::exception& e) {
    task.failure = std::current_exception();
    task.errors.push_back(fmt::format("{} {}: {}", task.region, source_name(task.source), one_line(e.what())));
  }
}

void run_all(const aws::Session& session, const Filter& filter, std::vector<Task>& tasks, int concurrency) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < tasks.size(); i = next++) run(session, filter, tasks[i]);
  };
  const size_t threads = std::clamp<size_t>(size_t(std::max(concurrency, 1)), 1, tasks.size());
  std::vector<std::jthread> pool;
  for (size_t i = 1; i < threads; ++i) pool.emplace_back(worker);
  worker();
}

bool more_urgent(const Incident& a, const Incident& b) {
  if (a.severity != b.severity) return a.severity > b.severity;
  if (a.updated_at != b.updated_at) return a.updated_at > b.updated_at;
  return a.finding_id < b.finding_id;
}

}  // namespace

bool Filter::matches(const Incident& incident) const {
  if (min_severity && incident.severity < *min_severity) return false;
  if (!type_glob.empty() && fnmatch(type_glob.c_str(), incident.type.c_str(), FNM_CASEFOLD) != 0) return false;
  if (!include_archived && incident.archived) return false;
  if (!bucket.empty() && std::find(incident.resources.bucket_names.begin(), incident.resources.bucket_names.end(),
                                   bucket) == incident.resources.bucket_names.end()) {
    return false;
  }
  if (since) {
    // A time firebreak cannot read keeps the finding: better one too many than one lost.
    auto updated = parse_timestamp(incident.updated_at);
    if (updated && *updated < *since) return false;
  }
  return true;
}

double parse_severity(std::string_view text) {
  const std::string lower = to_lower(trim(text));
  for (const auto& [label, value] : kSeverityLabels) {
    if (lower == label) return value;
  }
  char* end = nullptr;
  const std::string s(lower);
  const double value = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(value) || value < 0 || value > 10) {
    throw InputError(fmt::format("--severity: '{}' is neither a number from 0 to 10 nor low, medium, high or critical",
                                 text));
  }
  return value;
}

SystemTime parse_since(std::string_view text, SystemTime now) {
  const std::string s = trim(text);
  if (s.size() >= 2 && std::isdigit(static_cast<unsigned char>(s[0]))) {
    constexpr std::pair<char, long> kUnits[] = {{'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
    char* end = nullptr;
    const long count = std::strtol(s.c_str(), &end, 10);
    for (const auto& [unit, seconds] : kUnits) {
      if (end && end[0] == unit && end[1] == '\0') return now - std::chrono::seconds(count * seconds);
    }
  }
  if (auto time = parse_timestamp(s); time && s.find('-') != std::string::npos) return *time;
  throw InputError(fmt::format("--since: '{}' is neither a time (2024-05-01T00:00:00Z) nor a duration (30m, 24h, 7d, 2w)",
                               text));
}

Json guardduty_criteria(const Filter& filter) {
  Json criterion = Json::object();
  if (!filter.include_archived) criterion["service.archived"] = {{"Equals", {"false"}}};
  // The criterion takes whole numbers; 7.5 asks for 7 and up, the rest is filtered here.
  if (filter.min_severity) {
    criterion["severity"] = {{"GreaterThanOrEqual", static_cast<long long>(std::floor(*filter.min_severity))}};
  }
  if (filter.since) {
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(filter.since->time_since_epoch()).count();
    criterion["updatedAt"] = {{"GreaterThanOrEqual", static_cast<long long>(millis)}};
  }
  if (!filter.bucket.empty()) criterion["resource.s3BucketDetails.name"] = {{"Equals", {filter.bucket}}};
  // GuardDuty matches types exactly here; a glob is applied to what comes back.
  if (!filter.type_glob.empty() && !has_wildcard(filter.type_glob)) {
    criterion["type"] = {{"Equals", {filter.type_glob}}};
  }
  return {{"Criterion", criterion}};
}

Json securityhub_filters(const Filter& filter, SystemTime now) {
  auto equals = [](const std::string& value) { return Json{{"Value", value}, {"Comparison", "EQUALS"}}; };
  Json filters = {{"ProductName", {equals("GuardDuty")}}};
  if (!filter.include_archived) filters["RecordState"] = {equals("ACTIVE")};
  if (filter.min_severity && *filter.min_severity >= 1) {
    Json labels = Json::array();
    const std::string lowest = severity_label(*filter.min_severity);
    bool at_or_above = false;
    for (std::string label : {"LOW", "MEDIUM", "HIGH", "CRITICAL"}) {
      at_or_above |= label == lowest;
      if (at_or_above) labels.push_back(equals(label));
    }
    filters["SeverityLabel"] = labels;
  }
  // Security Hub names a bucket by its ARN; the partition is checked again on what comes back.
  if (!filter.bucket.empty()) {
    filters["ResourceId"] = {{{"Value", ":s3:::" + filter.bucket}, {"Comparison", "CONTAINS"}}};
  }
  if (filter.since) {
    // A date filter needs both ends; a day ahead covers clocks that disagree.
    filters["UpdatedAt"] = {{{"Start", format_iso8601(*filter.since)},
                             {"End", format_iso8601(now + std::chrono::hours(24))}}};
  }
  return filters;
}

std::vector<std::string> enabled_regions(const aws::Session& session) {
  // DescribeRegions answers in any region; us-east-1 when the responder has none configured.
  auto client = session.client("ec2", session.region().empty() ? "us-east-1" : "");
  const Json out = client.call("DescribeRegions");
  std::vector<std::string> regions;
  for (const Json& region : out.value("Regions", Json::array())) {
    regions.push_back(region.value("RegionName", std::string()));
  }
  std::erase(regions, std::string());
  std::sort(regions.begin(), regions.end());
  return regions;
}

Listing list_findings(const aws::Session& session, const ListOptions& options) {
  std::vector<std::string> regions = options.all_regions ? enabled_regions(session) : options.regions;
  if (regions.empty()) regions.push_back(session.region());
  for (const auto& region : regions) {
    if (region.empty()) throw ConfigError("no AWS region: give --region, or set AWS_REGION or a profile region");
  }
  std::vector<Task> tasks;
  // GuardDuty's tasks first: a finding seen in both keeps GuardDuty's fuller form.
  for (Source source : {Source::kGuardDuty, Source::kSecurityHub}) {
    if (options.source != Source::kBoth && options.source != source) continue;
    for (const auto& region : regions) tasks.push_back({source, region, {}, {}, {}, nullptr});
  }
  run_all(session, options.filter, tasks, options.concurrency);

  if (std::all_of(tasks.begin(), tasks.end(), [](const Task& t) { return t.failure != nullptr; })) {
    std::rethrow_exception(tasks.front().failure);
  }
  Listing listing;
  std::set<std::string> seen;
  for (auto& task : tasks) {
    for (auto& incident : task.incidents) {
      const std::string key = incident.finding_arn.empty() ? incident.finding_id : incident.finding_arn;
      if (!options.filter.matches(incident) || !seen.insert(key).second) continue;
      listing.incidents.push_back(std::move(incident));
    }
    std::move(task.errors.begin(), task.errors.end(), std::back_inserter(listing.errors));
    std::move(task.notes.begin(), task.notes.end(), std::back_inserter(listing.notes));
  }
  std::sort(listing.incidents.begin(), listing.incidents.end(), more_urgent);
  return listing;
}

}  // namespace firebreak::findings
