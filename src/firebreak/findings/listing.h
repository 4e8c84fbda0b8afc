#pragma once
// The account's current findings, from GuardDuty (ListDetectors; ListFindings with
// FindingCriteria; GetFindings in batches of 50) and from Security Hub (GetFindings with
// Filters: GuardDuty's findings there, which may come from other accounts and regions), in
// one region, several, or every enabled one scanned at the same time. Server-side criteria
// only narrow the transfer: every finding is filtered again here, so a service (or test
// double) that ignores them gives the same answer.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/aws/client.h"
#include "firebreak/base/json.h"
#include "firebreak/base/time.h"
#include "firebreak/findings/incident.h"

namespace firebreak::findings {

enum class Source { kGuardDuty, kSecurityHub, kBoth };

struct Filter {
  std::optional<double> min_severity;  // GuardDuty's 1-10 scale
  std::string type_glob;               // shell glob over the finding type, case-insensitive
  std::optional<SystemTime> since;     // updated at or after
  bool include_archived = false;       // GuardDuty's archived, Security Hub's ARCHIVED records
  std::string bucket;                  // only findings about this S3 bucket

  bool matches(const Incident& incident) const;
};

// "7", "4.5", or a label: low, medium, high, critical. Throws InputError.
double parse_severity(std::string_view text);
// An ISO 8601 time, or how long ago: "30m", "24h", "7d", "2w". Throws InputError.
SystemTime parse_since(std::string_view text, SystemTime now);

struct ListOptions {
  Filter filter;
  std::vector<std::string> regions;  // empty: the session's region
  bool all_regions = false;          // every enabled region (EC2 DescribeRegions)
  Source source = Source::kGuardDuty;
  int concurrency = 8;               // regions and sources fetched at the same time
};

struct Listing {
  std::vector<Incident> incidents;  // most severe first, then most recently updated
  std::vector<std::string> errors;  // a region or source that failed: the rest is still listed
  std::vector<std::string> notes;   // "eu-west-3: GuardDuty is not enabled (no detector)"
};

// Throws the first failure when every region and source failed (no credentials, no
// endpoint): then nothing was listed and that failure is the answer.
Listing list_findings(const aws::Session& session, const ListOptions& options);

// The regions EC2 DescribeRegions says are enabled for the account, sorted.
std::vector<std::string> enabled_regions(const aws::Session& session);

// The request parts, exposed for tests.
Json guardduty_criteria(const Filter& filter);
Json securityhub_filters(const Filter& filter, SystemTime now);

}  // namespace firebreak::findings
