#include <gtest/gtest.h>

#include "firebreak/aws/protocol/protocols.h"
#include "firebreak/aws/protocol/validate.h"
#include "xml_cases.h"

namespace firebreak::aws::protocol {
namespace {

class QueryRecorded : public ::testing::TestWithParam<std::string> {};

TEST_P(QueryRecorded, MatchesBoto3) { testing::run_recorded_case("query", GetParam()); }

INSTANTIATE_TEST_SUITE_P(Cases, QueryRecorded, ::testing::ValuesIn(testing::case_names("query")),
                         [](const auto& info) { return info.param; });

std::string query_body(const std::string& service_name, const std::string& operation, const Json& params) {
  const model::ServiceModel& service = model::service_model(service_name);
  validate_input(service, service.operation(operation), params);
  return query_protocol().serialize(service, service.operation(operation), params).http.body;
}

Json parse(const std::string& service_name, const std::string& operation, std::string body) {
  const model::ServiceModel& service = model::service_model(service_name);
  return query_protocol().parse(service, service.operation(operation),
                                HttpResponse{200, {{"x-amzn-requestid", "header-id"}}, std::move(body)});
}

ErrorDetails parse_error(int status, std::string body) {
  const model::ServiceModel& iam = model::service_model("iam");
  return query_protocol().parse_error(iam, iam.operation("GetUser"),
                                      HttpResponse{status, {{"x-amzn-requestid", "header-id"}}, std::move(body)});
}

TEST(QueryProtocol, EmptyListIsSentSoTheServiceSeesIt) {
  EXPECT_EQ(query_body("autoscaling", "DetachInstances",
                       {{"AutoScalingGroupName", "web"}, {"InstanceIds", Json::array()},
                        {"ShouldDecrementDesiredCapacity", false}}),
            "Action=DetachInstances&Version=2011-01-01&AutoScalingGroupName=web&InstanceIds="
            "&ShouldDecrementDesiredCapacity=false");
}

TEST(QueryProtocol, ListMembersUseTheItemLocationName) {
  // rds Filter.Values items are named "Value"; the filter list items "Filter".
  EXPECT_EQ(query_body("rds", "DescribeDBInstances",
                       {{"Filters", {{{"Name", "db-instance-id"}, {"Values", {"db-1", "db-2"}}}}}}),
            "Action=DescribeDBInstances&Version=2014-10-31&Filters.Filter.1.Name=db-instance-id"
            "&Filters.Filter.1.Values.Value.1=db-1&Filters.Filter.1.Values.Value.2=db-2");
}

TEST(QueryProtocol, TimestampsAreIso8601AndNumbersPlain) {
  EXPECT_EQ(query_body("rds", "DescribeEvents",
                       {{"StartTime", "2024-01-02T03:04:05Z"}, {"Duration", 60}, {"MaxRecords", 20}}),
            "Action=DescribeEvents&Version=2014-10-31&StartTime=2024-01-02T03%3A04%3A05Z&Duration=60&MaxRecords=20");
}

TEST(QueryProtocol, ListsWrapMembersAndMapsUseEntryKeyValue) {
  EXPECT_EQ(query_body("iam", "CreateRole",
                       {{"RoleName", "r"},
                        {"AssumeRolePolicyDocument", "{}"},
                        {"Tags", {{{"Key", "k"}, {"Value", "v"}}}}}),
            "Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%7D"
            "&Tags.member.1.Key=k&Tags.member.1.Value=v");
  EXPECT_EQ(query_body("sns", "CreateTopic", {{"Name", "t"}, {"Attributes", {{"FifoTopic", "true"}}}}),
            "Action=CreateTopic&Version=2010-03-31&Name=t&Attributes.entry.1.key=FifoTopic"
            "&Attributes.entry.1.value=true");
}

TEST(QueryProtocol, BlobMapValueIsBase64) {
  EXPECT_EQ(query_body("sns", "Publish",
                       {{"Message", "m"},
                        {"MessageAttributes", {{"raw", {{"DataType", "Binary"}, {"BinaryValue", "\x01\xff"}}}}}}),
            "Action=Publish&Version=2010-03-31&Message=m&MessageAttributes.entry.1.Name=raw"
            "&MessageAttributes.entry.1.Value.DataType=Binary&MessageAttributes.entry.1.Value.BinaryValue=Af8%3D");
}

TEST(QueryProtocol, IdempotencyTokenIsFilledWhenAbsentAndKeptWhenGiven) {
  const Json params = {{"StackSetName", "s"}};
  const std::string filled = query_body("cloudformation", "CreateStackSet", params);
  EXPECT_NE(filled.find("&ClientRequestToken="), std::string::npos) << filled;
  Json given = params;
  given["ClientRequestToken"] = "abc";
  EXPECT_EQ(query_body("cloudformation", "CreateStackSet", given),
            "Action=CreateStackSet&Version=2010-05-15&StackSetName=s&ClientRequestToken=abc");
}

TEST(QueryProtocol, BlobOutputIsBinary) {
  const Json out = parse("iam", "CreateVirtualMFADevice",
                         "<CreateVirtualMFADeviceResponse><CreateVirtualMFADeviceResult><VirtualMFADevice>"
                         "<SerialNumber>arn:aws:iam::123456789012:mfa/x</SerialNumber>"
                         "<Base32StringSeed>AQID</Base32StringSeed></VirtualMFADevice></CreateVirtualMFADeviceResult>"
                         "<ResponseMetadata><RequestId>body-id</RequestId></ResponseMetadata>"
                         "</CreateVirtualMFADeviceResponse>");
  EXPECT_EQ(out["VirtualMFADevice"]["Base32StringSeed"], Json::binary({1, 2, 3}));
  EXPECT_EQ(out["ResponseMetadata"]["RequestId"], "body-id");
}

TEST(QueryProtocol, RequestIdFallsBackToTheHeader) {
  const Json out = parse("sts", "GetCallerIdentity",
                         "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account>"
                         "</GetCallerIdentityResult></GetCallerIdentityResponse>");
  EXPECT_EQ(out, Json::parse(R"({"Account": "123456789012", "ResponseMetadata": {"RequestId": "header-id",
      "HTTPStatusCode": 200, "HTTPHeaders": {"x-amzn-requestid": "header-id"}, "RetryAttempts": 0}})"));
}

TEST(QueryProtocol, ErrorForms) {
  ErrorDetails wrapped = parse_error(400,
                                     "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                                     "<Message>Rate exceeded</Message></Error><RequestId>body-id</RequestId>"
                                     "</ErrorResponse>");
  EXPECT_EQ(wrapped.code, "Throttling");
  EXPECT_EQ(wrapped.message, "Rate exceeded");
  EXPECT_EQ(wrapped.request_id, "body-id");

  ErrorDetails bare = parse_error(400, "<Error><Code>InvalidAction</Code><Message>no</Message></Error>");
  EXPECT_EQ(bare.code, "InvalidAction");
  EXPECT_EQ(bare.message, "no");
  EXPECT_EQ(bare.request_id, "header-id");

  ErrorDetails empty = parse_error(500, "");
  EXPECT_EQ(empty.code, "500");
  EXPECT_EQ(empty.message, "Internal Server Error");

  ErrorDetails garbage = parse_error(502, "upstream connect error");
  EXPECT_EQ(garbage.code, "502");
  EXPECT_EQ(garbage.message, "Bad Gateway");
}

}  // namespace
}  // namespace firebreak::aws::protocol
