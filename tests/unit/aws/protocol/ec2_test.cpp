#include <gtest/gtest.h>

#include "firebreak/aws/protocol/protocols.h"
#include "firebreak/aws/protocol/validate.h"
#include "xml_cases.h"

namespace firebreak::aws::protocol {
namespace {

class Ec2Recorded : public ::testing::TestWithParam<std::string> {};

TEST_P(Ec2Recorded, MatchesBoto3) { testing::run_recorded_case("ec2", GetParam()); }

INSTANTIATE_TEST_SUITE_P(Cases, Ec2Recorded, ::testing::ValuesIn(testing::case_names("ec2")),
                         [](const auto& info) { return info.param; });

std::string ec2_body(const std::string& operation, const Json& params) {
  const model::ServiceModel& ec2 = model::service_model("ec2");
  validate_input(ec2, ec2.operation(operation), params);
  return ec2_protocol().serialize(ec2, ec2.operation(operation), params).http.body;
}

HttpResponse xml_response(int status, std::string body) {
  return HttpResponse{status, {{"x-amzn-requestid", "header-id"}, {"content-type", "text/xml"}}, std::move(body)};
}

TEST(Ec2Protocol, ListsAreNumberedWithoutMemberAndEmptyListsAreLeftOut) {
  EXPECT_EQ(ec2_body("DescribeInstances", {{"InstanceIds", Json::array()}, {"MaxResults", 5}}),
            "Action=DescribeInstances&Version=2016-11-15&MaxResults=5");
  EXPECT_EQ(ec2_body("TerminateInstances", {{"InstanceIds", {"i-1", "i-2"}}}),
            "Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i-2");
}

TEST(Ec2Protocol, QueryNameWinsOverTheCapitalisedLocationName) {
  // PrivateIpAddresses has locationName privateIpAddressesSet and queryName PrivateIpAddresses.
  const Json params = {{"ImageId", "ami-1"},
                       {"MinCount", 1},
                       {"MaxCount", 1},
                       {"ClientToken", "token-1"},
                       {"NetworkInterfaces",
                        {{{"DeviceIndex", 0},
                          {"PrivateIpAddresses", {{{"PrivateIpAddress", "10.0.0.5"}, {"Primary", true}}}}}}}};
  EXPECT_EQ(ec2_body("RunInstances", params),
            "Action=RunInstances&Version=2016-11-15&ImageId=ami-1&MinCount=1&MaxCount=1&ClientToken=token-1"
            "&NetworkInterface.1.DeviceIndex=0&NetworkInterface.1.PrivateIpAddresses.1.PrivateIpAddress=10.0.0.5"
            "&NetworkInterface.1.PrivateIpAddresses.1.Primary=true");
}

TEST(Ec2Protocol, MissingIdempotencyTokenIsFilledWithAUuid) {
  const std::string body = ec2_body("RunInstances", {{"ImageId", "ami-1"}, {"MinCount", 1}, {"MaxCount", 1}});
  const size_t at = body.find("&ClientToken=");
  ASSERT_NE(at, std::string::npos) << body;
  EXPECT_EQ(body.substr(at + 13).size(), 36u) << body;
}

TEST(Ec2Protocol, BlobsAreBase64AndTextIsFormEncoded) {
  EXPECT_EQ(ec2_body("ModifyInstanceAttribute",
                     {{"InstanceId", "i-1"}, {"UserData", {{"Value", "#!/bin/sh\nexit 0"}}}}),
            "Action=ModifyInstanceAttribute&Version=2016-11-15&InstanceId=i-1"
            "&UserData.Value=IyEvYmluL3NoCmV4aXQgMA%3D%3D");
  EXPECT_EQ(ec2_body("CreateTags", {{"Resources", {"i-1"}}, {"Tags", {{{"Key", "note"}, {"Value", "a b+c/d~é"}}}}}),
            "Action=CreateTags&Version=2016-11-15&ResourceId.1=i-1&Tag.1.Key=note&Tag.1.Value=a+b%2Bc%2Fd~%C3%A9");
}

TEST(Ec2Protocol, TimestampsAreIso8601) {
  EXPECT_EQ(ec2_body("DescribeSpotPriceHistory", {{"StartTime", "2024-01-02T03:04:05+01:00"}, {"EndTime", 1704164645}}),
            "Action=DescribeSpotPriceHistory&Version=2016-11-15&StartTime=2024-01-02T02%3A04%3A05Z"
            "&EndTime=2024-01-02T03%3A04%3A05Z");
}

TEST(Ec2Protocol, RequestIsAFormPost) {
  const model::ServiceModel& ec2 = model::service_model("ec2");
  const SerializedRequest request = ec2_protocol().serialize(ec2, ec2.operation("DescribeRegions"), Json::object());
  EXPECT_EQ(request.http.method, "POST");
  EXPECT_EQ(request.http.path, "/");
  EXPECT_EQ(request.http.header("Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_TRUE(request.http.query.empty());
  EXPECT_TRUE(request.host_prefix.empty());
}

TEST(Ec2Protocol, UnknownMemberIsAnInputError) {
  const model::ServiceModel& ec2 = model::service_model("ec2");
  EXPECT_THROW(ec2_protocol().serialize(ec2, ec2.operation("DescribeInstances"), {{"InstanceIdz", {"i-1"}}}),
               InputError);
}

TEST(Ec2Protocol, OutputWithoutRequestIdTakesTheHeaders) {
  const model::ServiceModel& ec2 = model::service_model("ec2");
  const Json out = ec2_protocol().parse(ec2, ec2.operation("TerminateInstances"),
                                        xml_response(200, "<TerminateInstancesResponse><instancesSet><item>"
                                                          "<instanceId>i-1</instanceId><currentState><code>32</code>"
                                                          "<name>shutting-down</name></currentState></item>"
                                                          "</instancesSet></TerminateInstancesResponse>"));
  EXPECT_EQ(out["TerminatingInstances"][0]["CurrentState"], Json({{"Code", 32}, {"Name", "shutting-down"}}));
  EXPECT_EQ(out["ResponseMetadata"]["RequestId"], "header-id");
}

TEST(Ec2Protocol, BodyThatIsNotXmlIsAnError) {
  const model::ServiceModel& ec2 = model::service_model("ec2");
  EXPECT_THROW(ec2_protocol().parse(ec2, ec2.operation("DescribeInstances"), xml_response(200, "<Describe")), Error);
}

TEST(Ec2Protocol, ServerErrorWithoutXmlReportsTheStatus) {
  const model::ServiceModel& ec2 = model::service_model("ec2");
  const ErrorDetails details = ec2_protocol().parse_error(
      ec2, ec2.operation("DescribeInstances"), xml_response(503, "<html><body>Service Unavailable</body></html>"));
  EXPECT_EQ(details.code, "503");
  EXPECT_EQ(details.message, "Service Unavailable");
  EXPECT_EQ(details.request_id, "header-id");
}

}  // namespace
}  // namespace firebreak::aws::protocol
