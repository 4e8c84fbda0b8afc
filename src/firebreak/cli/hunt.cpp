// firebreak hunt: CloudTrail hunting over files, directories and S3 (see issue 7).
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "firebreak/aws/client.h"
#include "firebreak/base/error.h"
#include "firebreak/cli/commands.h"
#include "firebreak/cloudtrail/athena.h"
#include "firebreak/cloudtrail/aws_sources.h"
#include "firebreak/cloudtrail/filter.h"
#include "firebreak/cloudtrail/hunt.h"
#include "firebreak/cloudtrail/sigma.h"
#include "firebreak/cloudtrail/sink.h"
#include "firebreak/cloudtrail/source.h"

namespace firebreak::cli {
namespace {

namespace ct = cloudtrail;

struct HuntArgs {
  std::vector<std::string> sources;
  ct::FilterOptions filter;
  std::string since, until, read_only;
  std::vector<std::string> sigma;
  std::string output = "table";
  bool resources = false;
  bool athena = false;
  bool athena_run = false;
  std::string athena_location;
  std::vector<std::string> athena_accounts;
  std::string athena_database = "default";
  std::string athena_table = "cloudtrail_logs";
  ct::AthenaRunOptions athena_run_options;
  unsigned threads = 0;
};

ct::Answer answer_of(const HuntArgs& args) {
  if (args.resources) return ct::Answer::kResources;
  static const std::map<std::string, ct::Answer> answers = {
      {"table", ct::Answer::kTable}, {"jsonl", ct::Answer::kJsonLines}, {"csv", ct::Answer::kCsv},
      {"summary", ct::Answer::kSummary}, {"timeline", ct::Answer::kTimeline}};
  return answers.at(args.output);
}

int64_t time_argument(const std::string& option, const std::string& text, bool end_of_day) {
  std::optional<int64_t> t = ct::parse_time_argument(text, end_of_day);
  if (!t) throw InputError(fmt::format("{} {}: not a time (2024-07-31, 2024-07-31T12:00:00Z, 36h, 7d)", option, text));
  return *t;
}

void athena(const HuntArgs& args, const GlobalOptions& global) {
  if (!args.sigma.empty()) throw InputError("--athena: Sigma rules are not translated to SQL");
  std::string location = args.athena_location;
  for (const std::string& source : args.sources)
    if (location.empty() && source.starts_with("s3://")) location = source;
  if (location.empty()) throw InputError("--athena needs --athena-location s3://bucket/[prefix/]AWSLogs/ or an s3:// source");
  ct::AthenaTable table = ct::AthenaTable::from_trail_url(location);
  table.database = args.athena_database;
  table.table = args.athena_table;
  if (!args.athena_accounts.empty()) table.accounts = args.athena_accounts;
  std::string ddl = ct::athena_ddl(table);
  std::string query = ct::athena_query(table, args.filter, answer_of(args));
  if (args.athena_run) {
    aws::Session session(session_options(global));
    ct::run_athena(session, table, query, args.athena_run_options,
                   [](const Json& row) { fmt::print("{}\n", row.dump()); });
    return;
  }
  fmt::print("-- The table (partition projection: nothing to load, new days appear by themselves)\n{};\n\n"
             "-- The question\n{};\n", ddl, query);
}

void run(HuntArgs& args, const GlobalOptions& global, CommandResult& result) {
  if (!args.since.empty()) args.filter.since = time_argument("--since", args.since, false);
  if (!args.until.empty()) args.filter.until = time_argument("--until", args.until, true);
  if (!args.read_only.empty()) args.filter.read_only = args.read_only == "true";
  if (args.athena) {
    athena(args, global);
    return;
  }
  if (args.sources.empty())
    throw InputError("hunt: give at least one SOURCE (file, directory, s3://bucket/prefix or lookup-events[:REGION])");
  ct::Filter filter(args.filter);
  std::optional<ct::SigmaRules> rules;
  if (!args.sigma.empty()) {
    rules = ct::SigmaRules::load(args.sigma);
    if (rules->size() == 0) throw InputError("--sigma: no rules for CloudTrail (logsource aws/cloudtrail) found");
    if (global.verbose)
      fmt::print(stderr, "firebreak: {} Sigma rules loaded ({} for other log sources left out)\n", rules->size(),
                 rules->skipped_other_logsources());
  }
  std::vector<std::unique_ptr<ct::Source>> sources;
  std::unique_ptr<aws::Session> session;  // made when a source needs AWS
  auto aws_session = [&]() -> const aws::Session& {
    if (!session) session = std::make_unique<aws::Session>(session_options(global));
    return *session;
  };
  for (const std::string& spec : args.sources) {
    if (spec.starts_with("s3://")) {
      sources.push_back(ct::make_s3_source(aws_session(), spec));
    } else if (spec == "lookup-events" || spec.starts_with("lookup-events:")) {
      std::string region = spec.size() > 14 ? spec.substr(14) : global.region;
      sources.push_back(ct::make_lookup_events_source(aws_session(), region, args.filter));
    } else {
      sources.push_back(ct::make_file_source(spec));
    }
  }
  std::unique_ptr<ct::Sink> sink = ct::make_sink(answer_of(args), global.output == "json");
  std::unique_ptr<ct::HuntDiagnostics> diagnostics = ct::make_stderr_diagnostics(global.verbose ? SIZE_MAX : 50);
  ct::HuntOptions options;
  options.threads = args.threads;
  ct::HuntStats stats = ct::run_hunt(sources, filter, rules ? &*rules : nullptr, *sink, stdout, *diagnostics, options);
  diagnostics.reset();  // prints how many problems were not shown
  std::string line = fmt::format("firebreak: {} records parsed in {} objects ({:.1f} MB), {} matched",
                                 stats.records, stats.objects, static_cast<double>(stats.bytes_read) / 1e6,
                                 stats.matched);
  // With an access key, records (and objects) that do not contain it are never parsed, so
  // malformed ones among them are not counted either.
  if (!filter.required_literals().empty()) line += " (only records containing the access key are parsed)";
  if (stats.objects_skipped_by_literal)
    line += fmt::format(", {} objects skipped unparsed (no access key match)", stats.objects_skipped_by_literal);
  if (stats.malformed) line += fmt::format(", {} malformed records skipped", stats.malformed);
  if (stats.not_cloudtrail) line += fmt::format(", {} documents not CloudTrail skipped", stats.not_cloudtrail);
  if (stats.unreadable) line += fmt::format(", {} objects unreadable", stats.unreadable);
  fmt::print(stderr, "{}\n", line);
  if (stats.unreadable) result.exit_code = kExitFailed;
}

}  // namespace

void add_hunt_command(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  auto args = std::make_shared<HuntArgs>();
  CLI::App* cmd = app.add_subcommand("hunt", "Search CloudTrail records: who did what, from where, when");
  cmd->add_option("SOURCE", args->sources,
                  "CloudTrail files or directories (S3 layout, .json/.json.gz, JSON lines, EventBridge events), "
                  "s3://bucket/prefix, or lookup-events[:REGION] (LookupEvents, last 90 days)");
  auto& f = args->filter;
  cmd->add_option("--principal", f.principals, "User name, ARN, role name or ARN, role session name, or account id");
  cmd->add_option("--access-key", f.access_keys, "Access key id (AKIA..., ASIA...)");
  cmd->add_option("--event-name", f.event_names, "Event name glob, e.g. 'Delete*' (any case)");
  cmd->add_option("--event-source", f.event_sources, "Event source glob, e.g. 'iam.amazonaws.com'");
  cmd->add_option("--since", args->since, "From this time: 2024-07-31, 2024-07-31T12:00:00Z, or 36h / 7d ago");
  cmd->add_option("--until", args->until, "Before this time (a date alone includes that whole day)");
  cmd->add_option("--source-ip", f.source_ips, "Source IP address or CIDR");
  cmd->add_option("--region", f.regions, "AWS region the call was made in (awsRegion)");
  cmd->add_option("--error-code", f.error_codes, "Error code glob, e.g. 'AccessDenied*'");
  cmd->add_flag("--errors", f.errors_only, "Only calls that failed");
  cmd->add_option("--read-only", args->read_only, "Only read-only (true) or only changing (false) calls")
      ->check(CLI::IsMember({"true", "false"}));
  cmd->add_option("--user-agent", f.user_agents, "User agent glob, e.g. '*boto3*'");
  cmd->add_option("--sigma", args->sigma, "Sigma rule file or directory (logsource aws/cloudtrail)");
  cmd->add_option("--output", args->output, "table, jsonl, csv, summary (per principal) or timeline")
      ->check(CLI::IsMember({"table", "jsonl", "csv", "summary", "timeline"}));
  cmd->add_flag("--resources", args->resources, "The resources the matching events created or changed");
  cmd->add_flag("--athena", args->athena, "Print the Athena table DDL and the question as SQL instead");
  cmd->add_flag("--run", args->athena_run, "With --athena: run it through the Athena API (rows as JSON lines)");
  cmd->add_option("--athena-location", args->athena_location, "The trail's s3://bucket/[prefix/]AWSLogs/ location");
  cmd->add_option("--athena-account", args->athena_accounts, "Account ids the trail holds (for partition projection)");
  cmd->add_option("--athena-database", args->athena_database, "Athena database (default: default)");
  cmd->add_option("--athena-table", args->athena_table, "Athena table (default: cloudtrail_logs)");
  cmd->add_option("--athena-workgroup", args->athena_run_options.workgroup, "With --run: Athena workgroup");
  cmd->add_option("--athena-output", args->athena_run_options.output_location, "With --run: s3:// location for results");
  cmd->add_option("--threads", args->threads, "Worker threads (default: every core)");
  cmd->callback([args, &global, &result] { run(*args, global, result); });
}

}  // namespace firebreak::cli
