// Listing findings from GuardDuty and Security Hub through the real AWS client with a fake
// transport. moto implements neither GuardDuty ListFindings nor GetFindings, so the GuardDuty
// path is tested here: requests as the client serializes them, responses in GuardDuty's wire
// form (camelCase JSON, the real exported samples from ../shared/data as the findings).
#include "firebreak/findings/listing.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>
#include <mutex>

#include "firebreak/aws/errors.h"
#include "firebreak/base/error.h"
#include "../aws/support/test_env.h"
#include "test_data.h"

namespace firebreak::findings {
namespace {

using aws::HttpRequest;
using aws::HttpResponse;
using testing::read_json;
using testing::shared_data;

// Answers each request with what `handler` says, from any thread, and keeps them all.
class FakeAws : public aws::HttpTransport {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  HttpResponse send(const HttpRequest& request) override {
    std::lock_guard lock(mutex_);
    requests.push_back(request);
    return handler(request);
  }
  std::vector<HttpRequest> to(std::string_view host_prefix, std::string_view path) {
    std::lock_guard lock(mutex_);
    std::vector<HttpRequest> out;
    for (const auto& r : requests) {
      if (r.host.starts_with(host_prefix) && r.path == path) out.push_back(r);
    }
    return out;
  }

  Handler handler;
  std::vector<HttpRequest> requests;

 private:
  std::mutex mutex_;
};

HttpResponse json_response(const Json& body, int status = 200) {
  return {status, {{"content-type", "application/json"}, {"x-amzn-requestid", "req-1"}}, body.dump()};
}

// The real exported finding (camelCase, as the GuardDuty API sends it) under another id.
Json recorded_finding(const std::string& id, double severity = 5, const std::string& region = "us-east-1") {
  Json finding = read_json(shared_data("guardduty-automated-response-sample/guardduty_iam_event.json"));
  finding["id"] = id;
  finding["arn"] = "arn:aws:guardduty:" + region + ":123456789012:detector/d1/finding/" + id;
  finding["severity"] = severity;
  finding["region"] = region;
  finding["service"]["archived"] = false;
  return finding;
}

// A GuardDuty finding forwarded to Security Hub, as Security Hub's GetFindings returns it.
Json asff_finding(const std::string& id, double severity, const std::string& region = "us-east-1") {
  Json finding = read_json(testing::fixture("securityhub_imported_event.json"))["detail"]["findings"][0];
  finding["Id"] = "arn:aws:guardduty:" + region + ":123456789012:detector/d1/finding/" + id;
  finding["Severity"]["Product"] = severity;
  finding["Region"] = region;
  return finding;
}

std::string region_of(const HttpRequest& request) {
  auto first = request.host.find('.');
  return request.host.substr(first + 1, request.host.find('.', first + 1) - first - 1);
}

class ListingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.use_test_credentials();
    env_.set("AWS_REGION", "us-east-1");
    env_.set("AWS_MAX_ATTEMPTS", "1");
    transport = std::make_shared<FakeAws>();
  }

  aws::Session session() {
    aws::SessionOptions options;
    options.transport = transport;
    return aws::Session(options);
  }

  aws::ScopedEnv env_;
  std::shared_ptr<FakeAws> transport;
};

// GuardDuty in one region: 60 findings listed over two pages and fetched 50 at a time.
HttpResponse guardduty(const HttpRequest& request, int count = 60) {
  if (request.method == "GET" && request.path == "/detector") return json_response({{"detectorIds", {"d1"}}});
  if (request.path == "/detector/d1/findings") {
    const Json body = Json::parse(request.body);
    const int from = body.contains("nextToken") ? 50 : 0;
    const int to = std::min(count, from + 50);
    Json ids = Json::array();
    for (int i = from; i < to; ++i) ids.push_back(fmt::format("f{:02}", i));
    Json out = {{"findingIds", ids}};
    if (to < count) out["nextToken"] = "page-2";
    return json_response(out);
  }
  if (request.path == "/detector/d1/findings/get") {
    Json findings = Json::array();
    const Json body = Json::parse(request.body);
    for (const Json& id : body["findingIds"]) {
      const int n = std::stoi(id.get<std::string>().substr(1));
      findings.push_back(recorded_finding(id, n % 10 + 1, region_of(request)));
    }
    return json_response({{"findings", findings}});
  }
  return json_response({{"message", "unexpected " + request.path}}, 400);
}

TEST_F(ListingTest, GuardDutyListsWithCriteriaAndFetchesInBatchesOf50) {
  transport->handler = [](const HttpRequest& r) { return guardduty(r); };
  ListOptions options;
  options.filter.min_severity = 7.5;
  Listing listing = list_findings(session(), options);

  const auto lists = transport->to("guardduty.us-east-1.", "/detector/d1/findings");
  ASSERT_EQ(lists.size(), 2u);
  const Json criteria = Json::parse(lists[0].body);
  EXPECT_EQ(criteria["maxResults"], 50);
  EXPECT_EQ(criteria["findingCriteria"]["criterion"]["severity"]["greaterThanOrEqual"], 7);
  EXPECT_EQ(criteria["findingCriteria"]["criterion"]["service.archived"]["equals"], Json({"false"}));
  EXPECT_EQ(Json::parse(lists[1].body)["nextToken"], "page-2");

  const auto gets = transport->to("guardduty.us-east-1.", "/detector/d1/findings/get");
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(Json::parse(gets[0].body)["findingIds"].size(), 50u);
  EXPECT_EQ(Json::parse(gets[1].body)["findingIds"].size(), 10u);

  // The server was asked for 7 and up; 7.5 is applied here: severities 8, 9 and 10 remain.
  ASSERT_EQ(listing.incidents.size(), 18u);
  EXPECT_EQ(listing.incidents.front().severity, 10);
  EXPECT_EQ(listing.incidents.back().severity, 8);
  const Incident& first = listing.incidents.front();
  EXPECT_EQ(first.type, "Recon:IAMUser/MaliciousIPCaller.Custom");
  EXPECT_EQ(first.actor.user_name, "GeneratedFindingUserName");
  EXPECT_EQ(first.origin, "GuardDuty us-east-1 detector d1");
  EXPECT_TRUE(first.raw.contains("Resource"));  // the client's boto3-shaped (PascalCase) form
  EXPECT_TRUE(listing.errors.empty()) << (listing.errors.empty() ? "" : listing.errors[0]);
}

TEST_F(ListingTest, TypeGlobAndSinceAreSentWhenGuardDutyCanTakeThem) {
  Filter filter;
  filter.type_glob = "Recon:IAMUser/MaliciousIPCaller.Custom";
  filter.since = *parse_timestamp("2024-05-01T00:00:00Z");
  Json criteria = guardduty_criteria(filter);
  EXPECT_EQ(criteria["Criterion"]["type"]["Equals"], Json({"Recon:IAMUser/MaliciousIPCaller.Custom"}));
  EXPECT_EQ(criteria["Criterion"]["updatedAt"]["GreaterThanOrEqual"], 1714521600000LL);
  filter.type_glob = "Recon:*";
  filter.include_archived = true;
  criteria = guardduty_criteria(filter);
  EXPECT_FALSE(criteria["Criterion"].contains("type"));  // a glob is applied to the answer
  EXPECT_FALSE(criteria["Criterion"].contains("service.archived"));

  transport->handler = [](const HttpRequest& r) { return guardduty(r, 3); };
  ListOptions options;
  options.filter.type_glob = "recon:iamuser/*";  // case-insensitive
  EXPECT_EQ(list_findings(session(), options).incidents.size(), 3u);
  options.filter.type_glob = "Backdoor:*";
  EXPECT_TRUE(list_findings(session(), options).incidents.empty());
}

TEST_F(ListingTest, SecurityHubListsGuardDutyFindingsWithFilters) {
  transport->handler = [](const HttpRequest& r) {
    if (r.path != "/findings") return json_response({{"message", "unexpected"}}, 400);
    const Json body = Json::parse(r.body);
    if (!body.contains("NextToken")) {
      Json cis = read_json(shared_data("cloud-custodian-cwe/event-securityhub-cloudtrail-finding-action.json"))["detail"]["findings"][0];
      return json_response({{"Findings", {asff_finding("a1", 8), cis}}, {"NextToken", "more"}});
    }
    return json_response({{"Findings", {asff_finding("a2", 3)}}});
  };
  ListOptions options;
  options.source = Source::kSecurityHub;
  options.filter.since = *parse_timestamp("2024-01-01T00:00:00Z");
  Listing listing = list_findings(session(), options);

  const auto calls = transport->to("securityhub.us-east-1.", "/findings");
  ASSERT_EQ(calls.size(), 2u);
  const Json filters = Json::parse(calls[0].body)["Filters"];
  EXPECT_EQ(filters["ProductName"][0]["Value"], "GuardDuty");
  EXPECT_EQ(filters["RecordState"][0]["Value"], "ACTIVE");
  EXPECT_EQ(filters["UpdatedAt"][0]["Start"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(Json::parse(calls[1].body)["NextToken"], "more");

  // The CIS check is not GuardDuty's and is dropped even though the filter was not applied.
  ASSERT_EQ(listing.incidents.size(), 2u);
  EXPECT_EQ(listing.incidents[0].finding_id, "a1");
  EXPECT_EQ(listing.incidents[0].format, FindingFormat::kSecurityHub);
  EXPECT_EQ(listing.incidents[0].origin, "Security Hub us-east-1");
  EXPECT_EQ(listing.incidents[1].finding_id, "a2");
}

TEST_F(ListingTest, SecurityHubSeverityLabelsAtOrAboveTheMinimum) {
  Filter filter;
  filter.min_severity = 5;
  Json labels = securityhub_filters(filter, Clock::now())["SeverityLabel"];
  ASSERT_EQ(labels.size(), 3u);
  EXPECT_EQ(labels[0]["Value"], "MEDIUM");
  EXPECT_EQ(labels[2]["Value"], "CRITICAL");
  filter.min_severity = 9;
  EXPECT_EQ(securityhub_filters(filter, Clock::now())["SeverityLabel"].size(), 1u);
}

TEST_F(ListingTest, BothSourcesKeepOneCopyOfAFindingSeenInEach) {
  transport->handler = [](const HttpRequest& r) {
    if (r.host.starts_with("securityhub.")) {
      return json_response({{"Findings", {asff_finding("f01", 2), asff_finding("sh-only", 9)}}});
    }
    return guardduty(r, 2);
  };
  ListOptions options;
  options.source = Source::kBoth;
  Listing listing = list_findings(session(), options);
  ASSERT_EQ(listing.incidents.size(), 3u);  // f00, f01 (GuardDuty's copy) and sh-only
  EXPECT_EQ(listing.incidents[0].finding_id, "sh-only");
  for (const auto& incident : listing.incidents) {
    if (incident.finding_id == "f01") {
      EXPECT_EQ(incident.format, FindingFormat::kGuardDuty);
    }
  }
}

TEST_F(ListingTest, AFailingRegionIsReportedAndTheOthersStillListed) {
  transport->handler = [](const HttpRequest& r) {
    if (r.host.starts_with("ec2.")) {
      return HttpResponse{200, {{"content-type", "text/xml"}}, R"(<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
        <requestId>r1</requestId><regionInfo>
        <item><regionName>us-east-1</regionName><regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint></item>
        <item><regionName>eu-west-1</regionName><regionEndpoint>ec2.eu-west-1.amazonaws.com</regionEndpoint></item>
        <item><regionName>ap-south-1</regionName><regionEndpoint>ec2.ap-south-1.amazonaws.com</regionEndpoint></item>
        </regionInfo></DescribeRegionsResponse>)"};
    }
    const std::string region = region_of(r);
    if (region == "eu-west-1") return json_response({{"message", "Internal server error"}}, 500);
    if (region == "ap-south-1" && r.path == "/detector") return json_response({{"detectorIds", Json::array()}});
    return guardduty(r, 2);
  };
  ListOptions options;
  options.all_regions = true;
  Listing listing = list_findings(session(), options);
  ASSERT_EQ(listing.incidents.size(), 2u);
  EXPECT_EQ(listing.incidents[0].region, "us-east-1");
  ASSERT_EQ(listing.errors.size(), 1u);
  EXPECT_EQ(listing.errors[0].rfind("eu-west-1 GuardDuty: guardduty ListDetectors:", 0), 0u) << listing.errors[0];
  EXPECT_NE(listing.errors[0].find("HTTP 500"), std::string::npos) << listing.errors[0];
  ASSERT_EQ(listing.notes.size(), 1u);
  EXPECT_EQ(listing.notes[0], "ap-south-1: GuardDuty is not enabled (no detector)");
  EXPECT_EQ(transport->to("ec2.us-east-1.", "/").size(), 1u);
}

TEST_F(ListingTest, WhenEverythingFailsTheFailureIsTheAnswer) {
  transport->handler = [](const HttpRequest&) {
    return json_response({{"__type", "AccessDeniedException"}, {"message", "not allowed"}}, 403);
  };
  ListOptions options;
  options.source = Source::kBoth;
  EXPECT_THROW(list_findings(session(), options), aws::AwsError);
}

TEST(ListingFilterTest, SeverityAndSinceArguments) {
  EXPECT_EQ(parse_severity("7"), 7);
  EXPECT_EQ(parse_severity("4.5"), 4.5);
  EXPECT_EQ(parse_severity("High"), 7);
  EXPECT_EQ(parse_severity("critical"), 9);
  EXPECT_THROW(parse_severity("11"), InputError);
  EXPECT_THROW(parse_severity("severe"), InputError);
  EXPECT_THROW(parse_severity(""), InputError);

  const SystemTime now = *parse_timestamp("2024-05-10T12:00:00Z");
  EXPECT_EQ(parse_since("24h", now), *parse_timestamp("2024-05-09T12:00:00Z"));
  EXPECT_EQ(parse_since("7d", now), *parse_timestamp("2024-05-03T12:00:00Z"));
  EXPECT_EQ(parse_since("30m", now), *parse_timestamp("2024-05-10T11:30:00Z"));
  EXPECT_EQ(parse_since("2w", now), *parse_timestamp("2024-04-26T12:00:00Z"));
  EXPECT_EQ(parse_since("2024-05-01", now), *parse_timestamp("2024-05-01T00:00:00Z"));
  EXPECT_EQ(parse_since("2024-05-01T06:00:00+02:00", now), *parse_timestamp("2024-05-01T04:00:00Z"));
  EXPECT_THROW(parse_since("yesterday", now), InputError);
  EXPECT_THROW(parse_since("5y", now), InputError);
  EXPECT_THROW(parse_since("1714521600", now), InputError);
}

TEST(ListingFilterTest, FilterMatchesIncidents) {
  Incident incident;
  incident.type = "Backdoor:EC2/C&CActivity.B!DNS";
  incident.severity = 8;
  incident.updated_at = "2025-02-25 20:40:06.721";  // Panther's form of GuardDuty's time
  Filter filter;
  EXPECT_TRUE(filter.matches(incident));
  filter.min_severity = 8.5;
  EXPECT_FALSE(filter.matches(incident));
  filter.min_severity = 8;
  filter.type_glob = "backdoor:ec2/*";
  EXPECT_TRUE(filter.matches(incident));
  filter.type_glob = "*:S3/*";
  EXPECT_FALSE(filter.matches(incident));
  filter.type_glob.clear();
  filter.since = *parse_timestamp("2025-02-26T00:00:00Z");
  EXPECT_FALSE(filter.matches(incident));
  filter.since = *parse_timestamp("2025-02-25T00:00:00Z");
  EXPECT_TRUE(filter.matches(incident));
  incident.updated_at = "not a time";
  filter.since = *parse_timestamp("2030-01-01T00:00:00Z");
  EXPECT_TRUE(filter.matches(incident));  // kept: a time firebreak cannot read never hides a finding
  incident.archived = true;
  EXPECT_FALSE(filter.matches(incident));
  filter.include_archived = true;
  EXPECT_TRUE(filter.matches(incident));
}

}  // namespace
}  // namespace firebreak::findings
