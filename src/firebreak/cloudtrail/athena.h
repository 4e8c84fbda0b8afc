#pragma once
// The hunt's question as Athena SQL, for trails too large for one machine: the table DDL
// (CloudTrail's S3 layout with partition projection on account, region and day, so no
// partitions need loading) and the query. The query is written in the SQL that Athena (Trino)
// and DuckDB share, so the tests run it in DuckDB over the same files as the hunt.
#include <functional>
#include <string>
#include <vector>

#include "firebreak/base/json.h"
#include "firebreak/cloudtrail/filter.h"
#include "firebreak/cloudtrail/sink.h"

namespace firebreak::cloudtrail {

struct AthenaTable {
  std::string database = "default";
  std::string table = "cloudtrail_logs";
  std::string location;               // s3://bucket/prefix/AWSLogs/ (with an org id, if any)
  std::vector<std::string> accounts;  // projected account ids
  std::vector<std::string> regions;   // projected regions; empty: every public region

  // Reads the location and account from a trail URL such as
  // s3://bucket/prefix/AWSLogs/o-abc/123456789012/CloudTrail/. Throws InputError if it has
  // no AWSLogs/ component.
  static AthenaTable from_trail_url(const std::string& url);
};

std::string athena_ddl(const AthenaTable& table);
// Matching events, or with Answer::kSummary one row per principal. Throws InputError for an
// answer SQL does not give (timeline and resources are event queries ordered by time).
std::string athena_query(const AthenaTable& table, const FilterOptions& filter, Answer answer);

}  // namespace firebreak::cloudtrail

namespace firebreak::aws {
class Session;
}

namespace firebreak::cloudtrail {

struct AthenaRunOptions {
  std::string workgroup;        // empty: the account's primary
  std::string output_location;  // s3://... for results; empty: the workgroup's
};

// Creates the table (if absent), runs the query and calls `row` with each result row (column
// name to value, absent for NULL). Throws Error when Athena fails the query, with its reason.
void run_athena(const aws::Session& session, const AthenaTable& table, const std::string& query,
                const AthenaRunOptions& options, const std::function<void(const Json& row)>& row);

}  // namespace firebreak::cloudtrail
