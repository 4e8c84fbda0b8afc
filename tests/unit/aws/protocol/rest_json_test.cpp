// The "rest-json" protocol against the embedded models: recorded exchanges
// (tests/data/protocol/rest-json) and the behaviours around them.
#include <gtest/gtest.h>

#include "firebreak/aws/protocol/protocols.h"
#include "firebreak/base/error.h"
#include "recorded_exchange.h"

namespace firebreak::aws::protocol {
namespace {

using testing::load_recorded;
using testing::recorded_cases;
using testing::run_recorded;

class RestJsonRecorded : public ::testing::TestWithParam<std::string> {};

TEST_P(RestJsonRecorded, MatchesWhatBoto3SendsAndReturns) {
  run_recorded(rest_json_protocol(), load_recorded("rest-json", GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Exchanges, RestJsonRecorded, ::testing::ValuesIn(recorded_cases("rest-json")),
                         [](const auto& info) { return info.param; });

TEST(RestJsonRecorded, CoverEnoughOperations) { EXPECT_GE(recorded_cases("rest-json").size(), 15u); }

SerializedRequest serialize(std::string_view service, std::string_view operation, const Json& input) {
  const auto& model = model::service_model(service);
  return rest_json_protocol().serialize(model, model.operation(operation), input);
}

Json parse(std::string_view service, std::string_view operation, const HttpResponse& response) {
  const auto& model = model::service_model(service);
  return rest_json_protocol().parse(model, model.operation(operation), response);
}

ErrorDetails parse_error(const HttpResponse& response) {
  const auto& model = model::service_model("guardduty");
  return rest_json_protocol().parse_error(model, model.operation("GetFindings"), response);
}

TEST(RestJsonProtocol, FillsAnAbsentIdempotencyTokenUnderItsWireName) {
  const SerializedRequest request = serialize("guardduty", "CreateDetector", {{"Enable", true}});
  const Json body = Json::parse(request.http.body);
  EXPECT_EQ(body["enable"], true);
  ASSERT_TRUE(body.contains("clientToken")) << request.http.body;
  EXPECT_EQ(body["clientToken"].get<std::string>().size(), 36u);
  EXPECT_EQ(request.http.header("Content-Type"), "application/json");
}

TEST(RestJsonProtocol, BodiesFollowBotocoresRules) {
  // A raw payload left out is an empty body, with no Content-Type of ours.
  const SerializedRequest invoke = serialize("lambda", "Invoke", {{"FunctionName", "f"}});
  EXPECT_EQ(invoke.http.body, "");
  EXPECT_FALSE(invoke.http.has_header("Content-Type"));
  // A structure payload left out is still a JSON object.
  const SerializedRequest callback =
      serialize("lambda", "SendDurableExecutionCallbackFailure", {{"CallbackId", "cb-1"}});
  EXPECT_EQ(callback.http.body, "{}");
  EXPECT_EQ(callback.http.header("Content-Type"), "application/json");
  // Only URI/query/header members: no body at all.
  const SerializedRequest get = serialize("guardduty", "GetDetector", {{"DetectorId", "d1"}});
  EXPECT_EQ(get.http.body, "");
  EXPECT_TRUE(get.http.headers.empty());
  // Body members, none given: "{}".
  EXPECT_EQ(serialize("guardduty", "ListDetectors", Json::object()).http.body, "");
  EXPECT_EQ(serialize("account", "GetContactInformation", Json::object()).http.body, "{}");
}

TEST(RestJsonProtocol, InputThatDoesNotFitTheModelIsAnInputError) {
  EXPECT_THROW(serialize("guardduty", "GetFindings", {{"FindingIds", {"f"}}}), InputError) << "no DetectorId";
  EXPECT_THROW(serialize("guardduty", "GetFindings", {{"DetectorId", "d"}, {"FindingIds", "f"}}), InputError);
  EXPECT_THROW(serialize("lambda", "GetFunction", {{"FunctionName", "f"}, {"Unknown", 1}}), InputError);
}

TEST(RestJsonProtocol, MetadataComesFirstThenHeadersThenBody) {
  const Json out = parse("lambda", "Invoke",
                         {200, {{"x-amzn-requestid", "r-1"}, {"x-amz-executed-version", "$LATEST"}}, "null"});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out.begin().key(), "ResponseMetadata");
  EXPECT_EQ(out["ExecutedVersion"], "$LATEST");
  EXPECT_EQ(out["Payload"].get_binary().size(), 4u) << "the payload is the raw body, not JSON";

  // Body members put back in model order stay behind the metadata.
  const Json detector = parse("guardduty", "GetDetector",
                              {200, {}, R"({"updatedAt":"2024-01-02T03:04:05Z","status":"ENABLED","createdAt":"x"})"});
  EXPECT_EQ(detector.begin().key(), "ResponseMetadata");
  EXPECT_EQ(detector.size(), 4u);
}

TEST(RestJsonProtocol, EventStreamsAreRefusedNotMisread) {
  EXPECT_THROW(parse("lambda", "InvokeWithResponseStream", {200, {}, std::string("\0\0\0\x10", 4)}), Error);
}

TEST(RestJsonProtocol, ABodyThatIsNotAJsonObjectIsAnError) {
  EXPECT_THROW(parse("guardduty", "ListFindings", {200, {}, "<html></html>"}), Error);
  EXPECT_EQ(parse("guardduty", "ListFindings", {200, {}, ""}).size(), 1u);
}

TEST(RestJsonErrors, TheHeaderWinsOverTheBody) {
  const ErrorDetails details = parse_error(
      {403,
       {{"x-amzn-errortype", "AccessDeniedException:http://internal.amazon.com/coral/com.amazonaws.guardduty/"},
        {"x-amzn-requestid", "r-2"}},
       R"({"__type":"InternalDenied","message":"User is not authorized to perform: guardduty:GetFindings"})"});
  EXPECT_EQ(details.code, "AccessDeniedException");
  EXPECT_EQ(details.message, "User is not authorized to perform: guardduty:GetFindings");
  EXPECT_EQ(details.request_id, "r-2");
}

TEST(RestJsonErrors, BodyCodesThenTypeThenStatus) {
  EXPECT_EQ(parse_error({400, {}, R"({"code":"aws.protocols#BadRequestException","__type":"X"})"}).code,
            "BadRequestException");
  EXPECT_EQ(parse_error({400, {}, R"({"__type":"com.amazonaws.lambda#TooManyRequestsException"})"}).code,
            "TooManyRequestsException");
  EXPECT_EQ(parse_error({429, {}, ""}).code, "429");
  EXPECT_EQ(parse_error({404, {{"x-amzn-errortype", "ResourceNotFoundException"}}, ""}).code,
            "ResourceNotFoundException")
      << "header-only error";
}

}  // namespace
}  // namespace firebreak::aws::protocol
