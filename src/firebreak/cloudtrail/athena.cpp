#include "firebreak/cloudtrail/athena.h"

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/cloudtrail/ip.h"
#include "firebreak/cloudtrail/text.h"

namespace firebreak::cloudtrail {
namespace {

constexpr const char* kRegions[] = {
    "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ca-central-1", "ca-west-1",
    "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1",
    "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
    "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2"};

// The columns of AWS's documented CloudTrail table; nested payloads stay JSON strings.
constexpr const char* kColumns = R"(  eventversion STRING,
  useridentity STRUCT<
    type: STRING,
    principalid: STRING,
    arn: STRING,
    accountid: STRING,
    invokedby: STRING,
    accesskeyid: STRING,
    username: STRING,
    sessioncontext: STRUCT<
      attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
      sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, username: STRING>,
      sourceidentity: STRING>>,
  eventtime STRING,
  eventsource STRING,
  eventname STRING,
  awsregion STRING,
  sourceipaddress STRING,
  useragent STRING,
  errorcode STRING,
  errormessage STRING,
  requestparameters STRING,
  responseelements STRING,
  additionaleventdata STRING,
  requestid STRING,
  eventid STRING,
  readonly STRING,
  resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
  eventtype STRING,
  apiversion STRING,
  recipientaccountid STRING,
  serviceeventdetails STRING,
  sharedeventid STRING,
  vpcendpointid STRING,
  eventcategory STRING,
  tlsdetails STRUCT<tlsversion: STRING, ciphersuite: STRING, clientprovidedhostheader: STRING>)";

std::string quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string quote_list(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& v : values) out += (out.empty() ? "" : ", ") + quote(v);
  return out;
}

std::string any_of(const std::vector<std::string>& clauses) {
  if (clauses.size() == 1) return clauses[0];
  std::string out = "(";
  for (size_t i = 0; i < clauses.size(); ++i) out += (i ? " OR " : "") + clauses[i];
  return out + ")";
}

// Text matched literally by LIKE (escape character '\\'), inside single quotes.
std::string like_literal(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    if (c == '\'') out += '\'';
    out += c;
  }
  return out;
}

std::string likes(std::string_view column, const std::vector<std::string>& globs) {
  std::vector<std::string> clauses;
  for (const std::string& g : globs)
    clauses.push_back(fmt::format("lower({}) LIKE '{}' ESCAPE '\\'", column, Glob(g).to_sql_like()));
  return any_of(clauses);
}

// IPv4 in SQL both engines run: four canonical decimal octets (as inet_pton reads them),
// compared as one number.
std::string ipv4_in(const Network& network) {
  const auto& b = network.base().bytes;
  uint64_t base = (uint64_t{b[0]} << 24) | (uint64_t{b[1]} << 16) | (uint64_t{b[2]} << 8) | b[3];
  uint64_t size = uint64_t{1} << (32 - network.prefix());
  uint64_t low = base & ~(size - 1), high = low + size - 1;
  std::string octets;
  std::string value;
  for (int k = 1; k <= 4; ++k) {
    std::string part = fmt::format("split_part(sourceipaddress, '.', {})", k);
    std::string number = fmt::format("TRY_CAST({} AS BIGINT)", part);
    octets += fmt::format(" AND CAST({} AS VARCHAR) = {} AND {} <= 255", number, part, number);
    value += fmt::format("{}{} * {}", k > 1 ? " + " : "", number, uint64_t{1} << (8 * (4 - k)));
  }
  return fmt::format("(length(sourceipaddress) - length(replace(sourceipaddress, '.', '')) = 3{} AND {} BETWEEN {} AND {})",
                     octets, value, low, high);
}

std::string day(int64_t t) {
  std::string text = format_event_time(t);
  return fmt::format("{}/{}/{}", text.substr(0, 4), text.substr(5, 2), text.substr(8, 2));
}

std::string where(const FilterOptions& f) {
  std::vector<std::string> all;
  // Partition columns first: they decide which objects Athena reads at all.
  if (f.since) all.push_back(fmt::format("\"timestamp\" >= '{}'", day(*f.since - 86400)));
  if (f.until) all.push_back(fmt::format("\"timestamp\" <= '{}'", day(*f.until + 86400)));
  if (!f.regions.empty()) all.push_back(fmt::format("region IN ({})", quote_list(f.regions)));
  if (f.since) all.push_back(fmt::format("eventtime >= '{}'", format_event_time(*f.since)));
  if (f.until) all.push_back(fmt::format("eventtime < '{}'", format_event_time(*f.until)));
  if (!f.regions.empty()) all.push_back(fmt::format("awsregion IN ({})", quote_list(f.regions)));
  if (!f.access_keys.empty()) all.push_back(fmt::format("useridentity.accesskeyid IN ({})", quote_list(f.access_keys)));
  if (!f.principals.empty()) {
    std::vector<std::string> clauses;
    for (const std::string& p : f.principals) {
      std::string q = quote(p);
      std::string one = fmt::format(
          "useridentity.arn = {0} OR useridentity.username = {0} OR useridentity.accountid = {0} OR "
          "useridentity.principalid = {0} OR useridentity.sessioncontext.sessionissuer.arn = {0} OR "
          "useridentity.sessioncontext.sessionissuer.username = {0}",
          q);
      // A session name is the last part of an assumed-role ARN; it never contains '/'.
      if (p.find('/') == std::string::npos)
        one += fmt::format(" OR useridentity.arn LIKE '%:assumed-role/%/{}' ESCAPE '\\'", like_literal(p));
      clauses.push_back("(" + one + ")");
    }
    all.push_back(any_of(clauses));
  }
  if (!f.event_names.empty()) all.push_back(likes("eventname", f.event_names));
  if (!f.event_sources.empty()) all.push_back(likes("eventsource", f.event_sources));
  if (f.errors_only) all.push_back("errorcode IS NOT NULL AND errorcode <> ''");
  if (!f.error_codes.empty()) all.push_back(likes("errorcode", f.error_codes));
  if (f.read_only) all.push_back(fmt::format("readonly = '{}'", *f.read_only ? "true" : "false"));
  if (!f.user_agents.empty()) all.push_back(likes("useragent", f.user_agents));
  if (!f.source_ips.empty()) {
    std::vector<std::string> clauses;
    for (const std::string& text : f.source_ips) {
      std::optional<Network> network = Network::parse(text);
      if (!network) throw InputError(fmt::format("--source-ip {}: not an IP address or CIDR", text));
      clauses.push_back(network->base().v6
                            ? fmt::format("contains({}, try(CAST(sourceipaddress AS IPADDRESS)))", quote(text))
                            : ipv4_in(*network));
    }
    all.push_back(any_of(clauses));
  }
  if (all.empty()) return {};
  std::string out = "\nWHERE ";
  for (size_t i = 0; i < all.size(); ++i) out += (i ? "\n  AND " : "") + all[i];
  return out;
}

constexpr const char* kPrincipal =
    "coalesce(nullif(useridentity.arn, ''), nullif(useridentity.invokedby, ''), "
    "nullif(useridentity.principalid, ''), useridentity.type)";

}  // namespace

AthenaTable AthenaTable::from_trail_url(const std::string& url) {
  size_t logs = url.find("/AWSLogs/");
  if (!url.starts_with("s3://") || logs == std::string::npos)
    throw InputError(fmt::format("{}: not a CloudTrail S3 location (s3://bucket/[prefix/]AWSLogs/...)", url));
  AthenaTable table;
  size_t at = logs + 9;
  auto component = [&](size_t from) {
    size_t slash = url.find('/', from);
    return url.substr(from, slash == std::string::npos ? std::string::npos : slash - from);
  };
  std::string next = component(at);
  if (next.starts_with("o-")) {  // an organization trail adds its id before the accounts
    at += next.size() + 1;
    next = at < url.size() ? component(at) : std::string();
  }
  table.location = url.substr(0, at);
  if (next.size() == 12 && next.find_first_not_of("0123456789") == std::string::npos) table.accounts.push_back(next);
  return table;
}

std::string athena_ddl(const AthenaTable& t) {
  if (t.accounts.empty())
    throw InputError("the Athena table needs the trail's account ids (--athena-account, or an s3:// source under AWSLogs/ACCOUNT/)");
  std::string regions = t.regions.empty() ? "" : fmt::format("{}", fmt::join(t.regions, ","));
  if (regions.empty()) regions = fmt::format("{}", fmt::join(kRegions, ","));
  std::string location = t.location.ends_with("/") ? t.location : t.location + "/";
  return fmt::format(
      "CREATE EXTERNAL TABLE IF NOT EXISTS `{}`.`{}` (\n{}\n)\n"
      "PARTITIONED BY (account STRING, region STRING, `timestamp` STRING)\n"
      "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n"
      "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n"
      "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
      "LOCATION '{}'\n"
      "TBLPROPERTIES (\n"
      "  'projection.enabled'='true',\n"
      "  'projection.account.type'='enum',\n"
      "  'projection.account.values'='{}',\n"
      "  'projection.region.type'='enum',\n"
      "  'projection.region.values'='{}',\n"
      "  'projection.timestamp.type'='date',\n"
      "  'projection.timestamp.format'='yyyy/MM/dd',\n"
      "  'projection.timestamp.range'='2013/11/01,NOW',\n"
      "  'projection.timestamp.interval'='1',\n"
      "  'projection.timestamp.interval.unit'='DAYS',\n"
      "  'storage.location.template'='{}${{account}}/CloudTrail/${{region}}/${{timestamp}}'\n"
      ")",
      t.database, t.table, kColumns, location, fmt::join(t.accounts, ","), regions, location);
}

std::string athena_query(const AthenaTable& t, const FilterOptions& filter, Answer answer) {
  std::string from = fmt::format("\"{}\".\"{}\"", t.database, t.table);
  if (answer == Answer::kSummary) {
    auto distinct = [](std::string_view column, std::string_view name) {
      return fmt::format("array_agg(DISTINCT {0}) FILTER (WHERE {0} IS NOT NULL AND {0} <> '') AS {1}", column, name);
    };
    return fmt::format(
        "SELECT {} AS principal,\n  min(useridentity.type) AS type,\n  min(eventtime) AS first_seen,\n"
        "  max(eventtime) AS last_seen,\n  count(*) AS calls,\n"
        "  count(CASE WHEN errorcode <> '' THEN 1 END) AS errors,\n  {},\n  {},\n  {},\n  {},\n  {}\n"
        "FROM {}{}\nGROUP BY 1\nORDER BY calls DESC, principal",
        kPrincipal, distinct("eventname", "event_names"), distinct("awsregion", "regions"),
        distinct("sourceipaddress", "source_ips"), distinct("useragent", "user_agents"),
        distinct("useridentity.accesskeyid", "access_keys"), from, where(filter));
  }
  if (answer == Answer::kResources)
    throw InputError("--resources has no Athena form: run the events query and hunt its output");
  return fmt::format(
      "SELECT eventtime, eventsource, eventname, awsregion, sourceipaddress,\n"
      "  {} AS principal, useridentity.accesskeyid AS accesskeyid, useragent, errorcode,\n"
      "  eventid, requestparameters, responseelements\n"
      "FROM {}{}\nORDER BY eventtime, eventid",
      kPrincipal, from, where(filter));
}

}  // namespace firebreak::cloudtrail
