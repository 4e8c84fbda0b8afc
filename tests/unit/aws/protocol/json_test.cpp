// The "json" protocol against the embedded models: recorded exchanges (tests/data/protocol/json)
// and the behaviours around them.
#include "firebreak/aws/protocol/json.h"

#include <gtest/gtest.h>

#include "firebreak/aws/protocol/protocols.h"
#include "firebreak/base/error.h"
#include "recorded_exchange.h"

namespace firebreak::aws::protocol {
namespace {

using testing::load_recorded;
using testing::recorded_cases;
using testing::run_recorded;

class JsonRecorded : public ::testing::TestWithParam<std::string> {};

TEST_P(JsonRecorded, MatchesWhatBoto3SendsAndReturns) {
  run_recorded(json_protocol(), load_recorded("json", GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Exchanges, JsonRecorded, ::testing::ValuesIn(recorded_cases("json")),
                         [](const auto& info) { return info.param; });

TEST(JsonRecorded, CoverEnoughOperations) { EXPECT_GE(recorded_cases("json").size(), 12u); }

SerializedRequest serialize(std::string_view service, std::string_view operation, const Json& input) {
  const auto& model = model::service_model(service);
  return json_protocol().serialize(model, model.operation(operation), input);
}

Json parse(std::string_view service, std::string_view operation, const HttpResponse& response) {
  const auto& model = model::service_model(service);
  return json_protocol().parse(model, model.operation(operation), response);
}

ErrorDetails parse_error(const HttpResponse& response) {
  const auto& model = model::service_model("ssm");
  return json_protocol().parse_error(model, model.operation("GetParameter"), response);
}

bool looks_like_uuid4(const std::string& text) {
  if (text.size() != 36 || text[14] != '4') return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (text[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

TEST(JsonProtocol, FillsAnAbsentIdempotencyTokenWithAFreshUuid) {
  const Json input = {{"Name", "firebreak/ir-42/db"}, {"SecretString", "s3cr3t"}};
  const Json first = Json::parse(serialize("secretsmanager", "CreateSecret", input).http.body);
  const Json second = Json::parse(serialize("secretsmanager", "CreateSecret", input).http.body);
  ASSERT_TRUE(first.contains("ClientRequestToken"));
  EXPECT_TRUE(looks_like_uuid4(first["ClientRequestToken"].get<std::string>())) << first.dump();
  EXPECT_NE(first["ClientRequestToken"], second["ClientRequestToken"]);
  EXPECT_EQ(first["Name"], "firebreak/ir-42/db");
  EXPECT_FALSE(input.contains("ClientRequestToken")) << "the caller's input is not modified";
}

TEST(JsonProtocol, EmptyOrAbsentInputSendsAnEmptyObject) {
  EXPECT_EQ(serialize("kms", "ListKeys", Json::object()).http.body, "{}");
  EXPECT_EQ(serialize("kms", "ListKeys", Json()).http.body, "{}");
  const SerializedRequest no_input = serialize("organizations", "DescribeOrganization", Json::object());
  EXPECT_EQ(no_input.http.body, "{}");
  EXPECT_EQ(no_input.http.header("X-Amz-Target"), "AWSOrganizationsV20161128.DescribeOrganization");
  EXPECT_EQ(no_input.http.header("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(no_input.http.method, "POST");
  EXPECT_EQ(no_input.http.path, "/");
  EXPECT_TRUE(no_input.http.query.empty());
}

TEST(JsonProtocol, StringsSurviveEscaping) {
  const std::string value = "line1\nline2\t\"quoted\" back\\slash \x01\x1f é 😀 </script>";
  const SerializedRequest request =
      serialize("ssm", "PutParameter", {{"Name", "/ir/42"}, {"Value", value}, {"Type", "SecureString"}});
  EXPECT_EQ(Json::parse(request.http.body)["Value"], value);
  EXPECT_NE(request.http.body.find("\\u0001"), std::string::npos) << request.http.body;
}

TEST(JsonProtocol, TimestampInputsBecomeEpochSeconds) {
  const Json body = Json::parse(serialize("cloudtrail", "LookupEvents",
                                          {{"StartTime", "2024-01-02T03:00:00Z"},
                                           {"EndTime", 1704168000.25}})
                                    .http.body);
  EXPECT_EQ(body["StartTime"].dump(), "1704164400");
  EXPECT_EQ(body["EndTime"].dump(), "1704168000.25");
}

TEST(JsonProtocol, InputThatDoesNotFitTheModelIsAnInputError) {
  EXPECT_THROW(serialize("ssm", "GetParameter", {{"Name", "/x"}, {"Nmae", "/x"}}), InputError);
  EXPECT_THROW(serialize("ssm", "GetParameter", {{"Name", 42}}), InputError);
  EXPECT_THROW(serialize("ssm", "SendCommand", {{"DocumentName", "x"}, {"TimeoutSeconds", "600"}}), InputError);
  EXPECT_THROW(serialize("ssm", "SendCommand", {{"DocumentName", "x"}, {"InstanceIds", "i-1"}}), InputError)
      << "a scalar where a list belongs";
  EXPECT_THROW(serialize("ssm", "SendCommand", {{"DocumentName", "x"}, {"Parameters", {"a"}}}), InputError);
}

TEST(JsonProtocol, ParseDropsUnknownMembersAndNulls) {
  HttpResponse response{200, {{"x-amzn-requestid", "r-1"}}, R"({"Parameter":{"Name":"/x","Value":null,
    "Surprise":{"a":1},"Version":3},"NewTopLevel":[1,2]})"};
  const Json out = parse("ssm", "GetParameter", response);
  EXPECT_EQ(out["Parameter"], (Json{{"Name", "/x"}, {"Version", 3}}));
  EXPECT_FALSE(out.contains("NewTopLevel"));
  EXPECT_EQ(out["ResponseMetadata"]["RequestId"], "r-1");
  EXPECT_EQ(out.back(), out["ResponseMetadata"]) << "json puts ResponseMetadata last, as boto3";
}

TEST(JsonProtocol, OutputFollowsModelOrderWhateverTheWireOrder) {
  HttpResponse response{200, {}, R"({"Parameter":{"Version":3,"Value":"v","Type":"String","Name":"/x",
    "ARN":"arn:aws:ssm:us-east-1:123456789012:parameter/x"}})"};
  const Json out = parse("ssm", "GetParameter", response);
  std::vector<std::string> expected;
  const Json wire = Json::parse(response.body);
  for (const auto& member : model::service_model("ssm").shapes.at("Parameter")->members) {
    if (wire["Parameter"].contains(member.name)) expected.push_back(member.name);
  }
  ASSERT_EQ(expected.size(), 5u);
  std::vector<std::string> actual;
  for (const auto& [key, value] : out["Parameter"].items()) actual.push_back(key);
  EXPECT_EQ(actual, expected);
}

TEST(JsonProtocol, UnionsAndDocuments) {
  const auto membership = [](const char* member_id) {
    return parse("identitystore", "DescribeGroupMembership",
                 {200, {}, std::string(R"({"IdentityStoreId":"d-1","MemberId":)") + member_id + "}"})["MemberId"];
  };
  EXPECT_EQ(membership(R"({"UserId":"u-1"})"), (Json{{"UserId", "u-1"}}));
  // A union member newer than the model, as botocore reports it (which, unlike botocore,
  // does not mistake a leading "__type" for the member).
  EXPECT_EQ(membership(R"({"__type":"x","GroupId":"g-9"})"), Json::parse(R"({"SDK_UNKNOWN_MEMBER":{"name":"GroupId"}})"));

  // Documents come back as sent: wire order, nulls kept.
  const Json user = parse("identitystore", "DescribeUser", {200, {}, R"({"UserId":"u-1","Extensions":
    {"aws:identitystore:enterprise":{"manager":{"value":"m-1"},"employeeNumber":"42","costCenter":null}}})"});
  EXPECT_EQ(user["Extensions"]["aws:identitystore:enterprise"].dump(),
            R"({"manager":{"value":"m-1"},"employeeNumber":"42","costCenter":null})");
}

TEST(JsonProtocol, AnEmptyBodyParsesToTheMetadataAlone) {
  const Json out = parse("logs", "CreateLogGroup", {200, {{"x-amzn-requestid", "r-2"}}, ""});
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(out["ResponseMetadata"]["HTTPStatusCode"], 200);
  EXPECT_EQ(parse("ssm", "GetParameter", {200, {}, " \n"}).size(), 1u);
}

TEST(JsonProtocol, ABodyThatIsNotAJsonObjectIsAnError) {
  EXPECT_THROW(parse("ssm", "GetParameter", {200, {}, "<html>gateway</html>"}), Error);
  EXPECT_THROW(parse("ssm", "GetParameter", {200, {}, "[1,2]"}), Error);
  EXPECT_THROW(parse("ssm", "GetParameter", {200, {}, R"({"Parameter":{"LastModifiedDate":"soon"}})"}), Error);
  try {
    parse("kms", "Encrypt", {200, {}, R"({"CiphertextBlob":"*not base64*"})"});
    ADD_FAILURE() << "a blob that is not base64 was accepted";
  } catch (const InputError&) {
    ADD_FAILURE() << "the service's mistake is not an input error";
  } catch (const Error&) {
  }
}

TEST(JsonProtocolErrors, HeaderOnlyErrorTakesTheCodeFromXAmznErrorType) {
  // A throttled or failing front end may answer with no body at all.
  const ErrorDetails details = parse_error(
      {503,
       {{"x-amzn-errortype", "ServiceUnavailableException:http://internal.amazon.com/coral/com.amazon.coral.availability/"},
        {"x-amzn-requestid", "r-3"}},
       ""});
  EXPECT_EQ(details.code, "ServiceUnavailableException");
  EXPECT_EQ(details.message, "");
  EXPECT_EQ(details.request_id, "r-3");
}

TEST(JsonProtocolErrors, TypeWinsOverTheHeaderAndLosesItsNamespaceAndSuffix) {
  const ErrorDetails details = parse_error(
      {400,
       {{"x-amzn-errortype", "Other"}},
       R"({"__type":"com.amazon.coral.validate#ValidationException:http://internal.amazon.com/","Message":"1 validation error detected"})"});
  EXPECT_EQ(details.code, "ValidationException");
  EXPECT_EQ(details.message, "1 validation error detected");
}

TEST(JsonProtocolErrors, CodeKeysAndStatusAreLaterChoices) {
  EXPECT_EQ(parse_error({400, {}, R"({"code":"InvalidParameterValue","message":"bad"})"}).code, "InvalidParameterValue");
  EXPECT_EQ(parse_error({400, {}, R"({"Code":"AccessDenied"})"}).code, "AccessDenied");
  const ErrorDetails bare = parse_error({500, {}, "{}"});
  EXPECT_EQ(bare.code, "500");
  EXPECT_EQ(bare.message, "");
  EXPECT_EQ(parse_error({400, {}, R"({"errorMessage":"from a runtime"})"}).message, "from a runtime");
}

TEST(JsonProtocolErrors, QueryCompatibleServicesNameTheQueryCode) {
  const ErrorDetails details = parse_error(
      {400,
       {{"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"}},
       R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."})"});
  EXPECT_EQ(details.code, "AWS.SimpleQueueService.NonExistentQueue");
  // A header not of the "Code;Sender" form is ignored.
  EXPECT_EQ(parse_error({400, {{"x-amzn-query-error", "garbled"}}, R"({"__type":"A#B"})"}).code, "B");
}

TEST(JsonProtocolErrors, ABodyThatIsNotJsonBecomesTheMessage) {
  const ErrorDetails details =
      parse_error({502, {{"x-amz-request-id", "r-4"}}, "<html><body>Bad Gateway</body></html>\n"});
  EXPECT_EQ(details.code, "502");
  EXPECT_EQ(details.message, "<html><body>Bad Gateway</body></html>\n");
  EXPECT_EQ(details.request_id, "r-4");
}

}  // namespace
}  // namespace firebreak::aws::protocol
