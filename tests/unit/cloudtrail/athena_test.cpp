#include <gtest/gtest.h>

#include "firebreak/base/error.h"
#include "firebreak/cloudtrail/athena.h"
#include "firebreak/cloudtrail/text.h"

namespace firebreak::cloudtrail {
namespace {

TEST(Athena, ReadsTheTrailLocation) {
  AthenaTable t = AthenaTable::from_trail_url("s3://trail-bucket/logs/AWSLogs/111122223333/CloudTrail/");
  EXPECT_EQ(t.location, "s3://trail-bucket/logs/AWSLogs/");
  EXPECT_EQ(t.accounts, std::vector<std::string>{"111122223333"});
  AthenaTable org = AthenaTable::from_trail_url("s3://b/AWSLogs/o-abc123/444455556666/");
  EXPECT_EQ(org.location, "s3://b/AWSLogs/o-abc123/");
  EXPECT_EQ(org.accounts, std::vector<std::string>{"444455556666"});
  EXPECT_THROW(AthenaTable::from_trail_url("s3://b/prefix/"), InputError);
}

TEST(Athena, TableUsesPartitionProjection) {
  AthenaTable t = AthenaTable::from_trail_url("s3://b/AWSLogs/111122223333/");
  std::string ddl = athena_ddl(t);
  EXPECT_NE(ddl.find("PARTITIONED BY (account STRING, region STRING, `timestamp` STRING)"), std::string::npos);
  EXPECT_NE(ddl.find("'projection.enabled'='true'"), std::string::npos);
  EXPECT_NE(ddl.find("'projection.account.values'='111122223333'"), std::string::npos);
  EXPECT_NE(ddl.find("'storage.location.template'='s3://b/AWSLogs/${account}/CloudTrail/${region}/${timestamp}'"),
            std::string::npos);
  EXPECT_THROW(athena_ddl(AthenaTable{}), InputError);  // no account to project
}

TEST(Athena, QueryPrunesPartitionsAndQuotesValues) {
  FilterOptions f;
  f.since = parse_event_time("2024-07-10T00:00:00Z");
  f.until = parse_event_time("2024-07-11T00:00:00Z");
  f.regions = {"eu-west-1"};
  f.principals = {"o'brien"};
  f.event_names = {"Get*"};
  f.source_ips = {"10.0.0.0/8"};
  std::string sql = athena_query(AthenaTable{}, f, Answer::kJsonLines);
  EXPECT_NE(sql.find("\"timestamp\" >= '2024/07/09'"), std::string::npos);
  EXPECT_NE(sql.find("\"timestamp\" <= '2024/07/12'"), std::string::npos);
  EXPECT_NE(sql.find("region IN ('eu-west-1')"), std::string::npos);
  EXPECT_NE(sql.find("eventtime >= '2024-07-10T00:00:00Z'"), std::string::npos);
  EXPECT_NE(sql.find("useridentity.username = 'o''brien'"), std::string::npos);
  EXPECT_NE(sql.find("lower(eventname) LIKE 'get%' ESCAPE '\\'"), std::string::npos);
  EXPECT_NE(sql.find("BETWEEN 167772160 AND 184549375"), std::string::npos);
  EXPECT_NE(athena_query(AthenaTable{}, f, Answer::kSummary).find("GROUP BY 1"), std::string::npos);
  EXPECT_THROW(athena_query(AthenaTable{}, f, Answer::kResources), InputError);
}

}  // namespace
}  // namespace firebreak::cloudtrail
