// LookupEvents as a source, against a scripted transport (moto does not implement it).
#include <deque>
#include <mutex>

#include <gtest/gtest.h>

#include "firebreak/aws/client.h"
#include "firebreak/base/time.h"
#include "firebreak/cloudtrail/aws_sources.h"
#include "../aws/support/test_env.h"
#include "support.h"

namespace firebreak::cloudtrail::testing {
namespace {

class ScriptedTransport : public aws::HttpTransport {
 public:
  aws::HttpResponse send(const aws::HttpRequest& request) override {
    std::lock_guard lock(mutex_);
    requests.push_back(request);
    if (responses.empty()) throw aws::TransportError("no scripted response left", false);
    aws::HttpResponse response = responses.front();
    responses.pop_front();
    return response;
  }
  std::deque<aws::HttpResponse> responses;
  std::vector<aws::HttpRequest> requests;
  std::mutex mutex_;
};

Json lookup_page(const std::vector<std::string>& names, const std::string& next_token) {
  Json events = Json::array();
  for (const std::string& name : names) {
    Json record = {{"eventVersion", "1.08"}, {"eventName", name}, {"eventSource", "iam.amazonaws.com"},
                   {"eventTime", "2024-07-31T12:00:00Z"},
                   {"userIdentity", {{"type", "IAMUser"}, {"accessKeyId", "AKIAEXAMPLE"}}}};
    events.push_back({{"EventName", name}, {"CloudTrailEvent", record.dump()}});
  }
  Json page = {{"Events", events}};
  if (!next_token.empty()) page["NextToken"] = next_token;
  return page;
}

TEST(LookupEvents, ReadsEveryPageOfADayAskingForTheAccessKey) {
  aws::ScopedEnv env;
  env.use_test_credentials();
  Clock::set_for_testing([] { return *parse_timestamp("2024-08-01T00:00:00Z"); });
  auto transport = std::make_shared<ScriptedTransport>();
  transport->responses.push_back({200, {}, lookup_page({"CreateUser", "CreateAccessKey"}, "page-2").dump()});
  transport->responses.push_back({200, {}, lookup_page({"AttachUserPolicy"}, "").dump()});
  aws::SessionOptions options;
  options.transport = transport;
  options.region = "us-east-1";
  aws::Session session(options);

  FilterOptions filter;
  filter.access_keys = {"AKIAEXAMPLE"};
  filter.since = parse_event_time("2024-07-31T00:00:00Z");
  auto source = make_lookup_events_source(session, "us-east-1", filter);
  std::vector<SourceObject> days = source->list(Filter(filter).scope());
  ASSERT_EQ(days.size(), 1u);  // one day from --since to now
  Buffer text;
  source->fetch(days[0], text);
  Collected events;
  read_text(text.view(), events);
  EXPECT_EQ(events.names, (std::vector<std::string>{"CreateUser", "CreateAccessKey", "AttachUserPolicy"}));

  ASSERT_EQ(transport->requests.size(), 2u);
  Json first = Json::parse(transport->requests[0].body);
  EXPECT_EQ(first["LookupAttributes"][0]["AttributeKey"], "AccessKeyId");
  EXPECT_EQ(first["LookupAttributes"][0]["AttributeValue"], "AKIAEXAMPLE");
  EXPECT_EQ(Json::parse(transport->requests[1].body)["NextToken"], "page-2");
  EXPECT_EQ(transport->requests[0].header("X-Amz-Target"), "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents");
  Clock::set_for_testing({});
}

}  // namespace
}  // namespace firebreak::cloudtrail::testing
