// firebreak findings: the account's findings (GuardDuty, Security Hub) or a file's, each with
// the playbook that answers it or the reason none does.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "firebreak/base/error.h"
#include "firebreak/base/time.h"
#include "firebreak/cli/commands.h"
#include "firebreak/findings/listing.h"
#include "firebreak/findings/routing.h"

namespace firebreak::cli {
namespace {

struct FindingsOptions {
  std::string severity;
  std::string type;
  std::string since;
  std::string region;
  std::string source = "guardduty";
  std::string file;
  bool archived = false;
  bool routes = false;
};

struct Results {
  std::vector<findings::RoutedFinding> findings;
  std::vector<std::string> problems;  // what could not be read or listed
  std::vector<std::string> notes;     // worth knowing, not a failure
};

findings::Filter make_filter(const FindingsOptions& options) {
  findings::Filter filter;
  if (!options.severity.empty()) filter.min_severity = findings::parse_severity(options.severity);
  filter.type_glob = options.type;
  if (!options.since.empty()) filter.since = findings::parse_since(options.since, Clock::now());
  filter.include_archived = options.archived;
  return filter;
}

Results from_file(const FindingsOptions& options, findings::Filter filter) {
  // A file was handed over on purpose: what is in it is shown, archived or not.
  filter.include_archived = true;
  findings::FindingSet set = findings::read_findings_file(options.file);
  Results results;
  for (const auto& problem : set.problems) results.problems.push_back(problem.text());
  std::erase_if(set.incidents, [&](const findings::Incident& incident) { return !filter.matches(incident); });
  results.findings = findings::route_findings(std::move(set)).findings;
  return results;
}

Results from_aws(const FindingsOptions& options, findings::Filter filter, const GlobalOptions& global) {
  findings::ListOptions list;
  list.filter = std::move(filter);
  list.source = options.source == "both"          ? findings::Source::kBoth
                : options.source == "securityhub" ? findings::Source::kSecurityHub
                                                  : findings::Source::kGuardDuty;
  if (options.region == "all") {
    list.all_regions = true;
  } else {
    for (auto start = options.region.begin(); start < options.region.end();) {
      auto comma = std::find(start, options.region.end(), ',');
      if (comma != start) list.regions.emplace_back(start, comma);
      start = comma == options.region.end() ? comma : comma + 1;
    }
  }
  aws::Session session(session_options(global));
  findings::Listing listing = findings::list_findings(session, list);
  Results results;
  results.problems = std::move(listing.errors);
  results.notes = std::move(listing.notes);
  results.findings = findings::route_findings({std::move(listing.incidents), {}}).findings;
  return results;
}

std::string clip(const std::string& text, size_t width) {
  return text.size() <= width ? text : text.substr(0, width - 3) + "...";
}

void print_table(const Results& results) {
  if (results.findings.empty()) {
    fmt::print("no findings\n");
    return;
  }
  constexpr size_t kTypeWidth = 64;
  constexpr size_t kResourceWidth = 56;
  struct Row {
    std::string id, type, severity, resource, region, playbook;
  };
  std::vector<Row> rows;
  Row widths{"ID", "TYPE", "SEVERITY", "RESOURCE", "REGION", ""};
  for (const auto& [incident, route] : results.findings) {
    Row row{incident.finding_id,
            clip((incident.sample ? "[sample] " : "") + incident.type, kTypeWidth),
            fmt::format("{:g} {}", incident.severity, incident.severity_label),
            clip(findings::describe_resource(incident), kResourceWidth),
            incident.region,
            route.summary()};
    widths.id.resize(std::max(widths.id.size(), row.id.size()), ' ');
    widths.type.resize(std::max(widths.type.size(), row.type.size()), ' ');
    widths.severity.resize(std::max(widths.severity.size(), row.severity.size()), ' ');
    widths.resource.resize(std::max(widths.resource.size(), row.resource.size()), ' ');
    widths.region.resize(std::max(widths.region.size(), row.region.size()), ' ');
    rows.push_back(std::move(row));
  }
  auto print_row = [&](const Row& row) {
    fmt::print("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", row.id, widths.id.size(), row.type,
               widths.type.size(), row.severity, widths.severity.size(), row.resource, widths.resource.size(),
               row.region, widths.region.size(), row.playbook);
  };
  print_row({"ID", "TYPE", "SEVERITY", "RESOURCE", "REGION", "PLAYBOOK"});
  for (const auto& row : rows) print_row(row);
  const auto routed = std::count_if(results.findings.begin(), results.findings.end(),
                                    [](const findings::RoutedFinding& f) { return f.route.routed(); });
  fmt::print("\n{} findings: {} routed, {} unrouted\n", results.findings.size(), routed,
             results.findings.size() - size_t(routed));
}

Json to_json(const Results& results) {
  Json list = Json::array();
  for (const auto& [incident, route] : results.findings) {
    Json item = findings::to_json(incident);
    item["route"] = {{"playbook", route.playbook ? Json(findings::playbook_name(*route.playbook)) : Json()},
                     {"reason", route.reason},
                     {"family", route.family},
                     {"targets", route.targets}};
    list.push_back(std::move(item));
  }
  return {{"findings", list}, {"problems", results.problems}, {"notes", results.notes}};
}

// The routing table itself, so a responder can see why a finding went where it did.
void print_routes(const GlobalOptions& global) {
  const Json table = findings::routing_table();
  if (global.output == "json") {
    print_json(table);
    return;
  }
  size_t width = 0;
  for (const Json& row : table) width = std::max(width, row["family"].get<std::string>().size());
  for (const Json& row : table) {
    const std::string how = row["how"];
    const std::string playbook = row["playbook"].is_null() ? how : row["playbook"].get<std::string>();
    fmt::print("{:<{}}  {:<12}  {}\n", row["family"].get<std::string>(), width, playbook, row["why"].get<std::string>());
  }
}

}  // namespace

void add_findings_command(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  auto options = std::make_shared<FindingsOptions>();
  auto* command = app.add_subcommand(
      "findings", "List GuardDuty and Security Hub findings (or a file's) with the playbook for each");
  command->add_option("--severity", options->severity, "Only findings at least this severe: 0-10, or low, medium, high, critical");
  command->add_option("--type", options->type, "Only finding types matching this glob, e.g. 'UnauthorizedAccess:IAMUser/*'");
  command->add_option("--since", options->since, "Only findings updated since: a time (2024-05-01T00:00:00Z) or 30m, 24h, 7d, 2w");
  command->add_flag("--archived", options->archived, "Include archived findings (a --file's always are)");
  command->add_flag("--routes", options->routes, "Print the routing table (finding type family to playbook) and stop");
  auto* region = command->add_option("--region", options->region,
                                     "Region(s) to list, comma-separated, or 'all' for every enabled region");
  auto* source = command->add_option("--source", options->source, "Where to list from (default guardduty)")
                     ->check(CLI::IsMember({"guardduty", "securityhub", "both"}));
  command->add_option("--file", options->file,
                      "Read findings from this file (- for standard input) instead of AWS: GuardDuty, EventBridge, "
                      "Security Hub, SNS forms, arrays and JSON lines")
      ->excludes(region)
      ->excludes(source);
  command->callback([options, &global, &result] {
    if (options->routes) return print_routes(global);
    findings::Filter filter = make_filter(*options);
    Results results = options->file.empty() ? from_aws(*options, std::move(filter), global)
                                            : from_file(*options, std::move(filter));
    for (const auto& note : results.notes) fmt::print(stderr, "firebreak: {}\n", note);
    for (const auto& problem : results.problems) fmt::print(stderr, "firebreak: {}\n", problem);
    if (global.output == "json") {
      print_json(to_json(results));
    } else {
      print_table(results);
    }
    // A file's unreadable parts are bad input; a region or source that failed is a failure.
    if (!results.problems.empty()) result.exit_code = options->file.empty() ? kExitFailed : kExitBadInput;
  });
}

}  // namespace firebreak::cli
