#include <filesystem>
#include <functional>

#include <gtest/gtest.h>

#include "firebreak/base/error.h"
#include "firebreak/cloudtrail/filter.h"
#include "firebreak/cloudtrail/text.h"
#include "support.h"

namespace firebreak::cloudtrail::testing {
namespace {

// How many of the 310 Stratus Red Team events pass the filter.
size_t stratus_count(const std::function<void(FilterOptions&)>& set = {}) {
  FilterOptions options;
  if (set) set(options);
  Filter filter(options);
  size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kSharedData + "/stratus-red-team-detonation-logs")) {
    if (entry.path().extension() != ".json") continue;
    Collected events;
    events.also = [&](const Event& e) { count += filter.matches(e); };
    read_text(file_text(entry.path()), events);
  }
  return count;
}

int64_t at(const char* text) { return parse_event_time(text); }

// Known answers computed over the same files with Python's json, fnmatch and ipaddress.
TEST(Filter, AnswersKnownQuestionsOnStratusLogs) {
  EXPECT_EQ(stratus_count(), 310u);
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.access_keys = {"AKIAW9X2Q2U25SK79UCX"}; }), 56u);
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.access_keys = {"AKIAW9X2Q2U25SK79UCX", "AKIAZI86ACIZ2J9CV86Z"}; }), 91u);
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.principals = {"christophe"}; }), 239u);                                  // user name
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.principals = {"056392974792"}; }), 56u);                                 // account
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.principals = {"stratus-red-team-ec2-get-password-data-role"}; }), 30u);  // role
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.principals = {"cli"}; }), 15u);                                          // session name
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.principals = {"arn:aws:iam::056392974792:user/christophe"}; }), 56u);
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.event_names = {"describe*"}; }), 165u);
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.event_names = {"DeleteTrail", "StopLogging"}; }), 2u);
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.event_sources = {"ec2.amazonaws.com"}; }), 87u);
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.source_ips = {"18.236.0.0/16"}; }), 45u);
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.source_ips = {"200.249.253.51"}; }), 34u);
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.regions = {"us-north-2r", "cn-west-3r"}; }), 55u);
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.error_codes = {"client.*"}; }), 46u);
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.user_agents = {"*aws-sdk-go*"}; }), 2u);
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.since = at("2024-08-01T00:00:00Z"); }), 224u);
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.until = *parse_time_argument("2024-07-31", true); }), 86u);  // the whole day
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.errors_only = true; }), 52u);
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.read_only = false; }), 49u);
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.read_only = true; }), 261u);
  EXPECT_EQ(stratus_count([](FilterOptions& o) { o.principals = {"christophe"}; o.event_sources = {"ec2.amazonaws.com"}; o.read_only = false; }), 7u);
}

TEST(Filter, RejectsABadAddress) {
  // Stratus anonymizes addresses as "253.252.51.07": a leading zero is no address (as inet_pton says).
  for (const char* bad : {"10.0.0.0/33", "ec2.amazonaws.com", "253.252.51.07"}) {
    FilterOptions options;
    options.source_ips = {bad};
    EXPECT_THROW(Filter{options}, InputError) << bad;
  }
}

TEST(Filter, GivesSourcesTheScope) {
  FilterOptions options;
  options.regions = {"eu-west-1"};
  options.since = at("2024-07-10T00:00:00Z");
  options.until = at("2024-07-12T00:00:00Z");
  Filter filter(options);
  Scope scope = filter.scope();
  EXPECT_TRUE(in_scope("t/AWSLogs/1/CloudTrail/eu-west-1/2024/07/11/f.json.gz", scope));
  EXPECT_TRUE(in_scope("t/AWSLogs/1/CloudTrail/eu-west-1/2024/07/12/f.json.gz", scope));  // a day of margin
  EXPECT_FALSE(in_scope("t/AWSLogs/1/CloudTrail/eu-west-1/2024/07/14/f.json.gz", scope));
  EXPECT_FALSE(in_scope("t/AWSLogs/1/CloudTrail/us-east-1/2024/07/11/f.json.gz", scope));
  EXPECT_FALSE(in_scope("t/AWSLogs/1/CloudTrail/eu-west-1/2024/06/", scope));
  EXPECT_TRUE(in_scope("t/AWSLogs/1/CloudTrail/eu-west-1/2024/", scope));
  EXPECT_TRUE(in_scope("somewhere/else/f.json", scope));
}

TEST(Text, GlobsIgnoreCaseAndEscape) {
  EXPECT_TRUE(Glob("Get*").matches("getobject"));
  EXPECT_TRUE(Glob("*Object").matches("GetObject"));
  EXPECT_TRUE(Glob("G?tObject").matches("GetObject"));
  EXPECT_FALSE(Glob("G?tObject").matches("GtObject"));
  EXPECT_TRUE(Glob("a\\*b").matches("a*b"));
  EXPECT_FALSE(Glob("a\\*b").matches("axb"));
  EXPECT_TRUE(Glob("*a*b*c*").matches("xxaxxbxxcxx"));
  EXPECT_EQ(Glob("Get*_100%").to_sql_like(), "get%\\_100\\%");
}

TEST(Text, ParsesTimes) {
  EXPECT_EQ(parse_event_time("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_event_time("2024-07-31T12:46:41Z"), 1722430001);
  EXPECT_EQ(parse_event_time("2024-07-31T14:46:41+02:00"), 1722430001);
  EXPECT_EQ(parse_event_time("not a time"), kNoTime);
  EXPECT_EQ(format_event_time(1722430001), "2024-07-31T12:46:41Z");
  EXPECT_EQ(*parse_time_argument("2024-07-31", false), 1722384000);
  EXPECT_EQ(*parse_time_argument("2024-07-31", true), 1722384000 + 86400);
  EXPECT_FALSE(parse_time_argument("yesterday", false));
}

}  // namespace
}  // namespace firebreak::cloudtrail::testing
