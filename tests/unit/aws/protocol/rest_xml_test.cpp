#include <gtest/gtest.h>

#include "firebreak/aws/protocol/protocols.h"
#include "firebreak/aws/protocol/validate.h"
#include "firebreak/base/crypto.h"
#include "xml_cases.h"

namespace firebreak::aws::protocol {
namespace {

class RestXmlRecorded : public ::testing::TestWithParam<std::string> {};

TEST_P(RestXmlRecorded, MatchesBoto3) { testing::run_recorded_case("rest-xml", GetParam()); }

INSTANTIATE_TEST_SUITE_P(Cases, RestXmlRecorded, ::testing::ValuesIn(testing::case_names("rest-xml")),
                         [](const auto& info) { return info.param; });

SerializedRequest s3_request(const std::string& operation, const Json& params) {
  const model::ServiceModel& s3 = model::service_model("s3");
  validate_input(s3, s3.operation(operation), params);
  return rest_xml_protocol().serialize(s3, s3.operation(operation), params);
}

Json s3_parse(const std::string& operation, HttpResponse response) {
  const model::ServiceModel& s3 = model::service_model("s3");
  return rest_xml_protocol().parse(s3, s3.operation(operation), response);
}

const std::string kPolicy = R"({"Version":"2012-10-17","Statement":[]})";

TEST(RestXmlProtocol, ChecksumRequiredOperationGetsContentMd5OfTheBody) {
  const SerializedRequest request = s3_request("PutBucketPolicy", {{"Bucket", "b"}, {"Policy", kPolicy}});
  EXPECT_EQ(request.http.body, kPolicy);
  EXPECT_EQ(request.http.header("Content-MD5"), base64_encode(md5(kPolicy)));
  EXPECT_EQ(request.http.headers.size(), 1u);
}

TEST(RestXmlProtocol, GivenContentMd5IsNotReplaced) {
  const SerializedRequest request =
      s3_request("PutBucketPolicy", {{"Bucket", "b"}, {"Policy", kPolicy}, {"ContentMD5", "given=="}});
  EXPECT_EQ(request.http.header("Content-MD5"), "given==");
  EXPECT_EQ(request.http.headers.size(), 1u);
}

TEST(RestXmlProtocol, OptionalChecksumOperationSendsNoContentMd5) {
  const SerializedRequest request = s3_request("PutObject", {{"Bucket", "b"}, {"Key", "k"}, {"Body", "data"}});
  EXPECT_FALSE(request.http.has_header("Content-MD5"));
  EXPECT_EQ(request.http.body, "data");
}

TEST(RestXmlProtocol, AbsentPayloadSendsNoBody) {
  const SerializedRequest put = s3_request("PutObject", {{"Bucket", "b"}, {"Key", "k"}});
  EXPECT_EQ(put.http.body, "");
  const SerializedRequest get = s3_request("GetBucketAcl", {{"Bucket", "b"}});
  EXPECT_EQ(get.http.body, "");
  EXPECT_EQ(get.http.method, "GET");
}

TEST(RestXmlProtocol, HostLabelMustBeAHostNamePart) {
  const model::ServiceModel& s3control = model::service_model("s3control");
  EXPECT_THROW(rest_xml_protocol().serialize(s3control, s3control.operation("GetPublicAccessBlock"),
                                             {{"AccountId", "123/evil"}}),
               InputError);
}

TEST(RestXmlProtocol, EmptyBodyLeavesBodyMembersOut) {
  const Json out = s3_parse("ListObjectsV2", HttpResponse{200, {{"x-amz-request-id", "r"}}, ""});
  EXPECT_EQ(out.size(), 1u) << out.dump();
  EXPECT_EQ(out["ResponseMetadata"]["RequestId"], "r");
  EXPECT_EQ(out["ResponseMetadata"]["HostId"], "");
}

TEST(RestXmlProtocol, EmptyStringPayloadIsEmptyText) {
  const Json out = s3_parse("GetBucketPolicy", HttpResponse{200, {}, ""});
  EXPECT_EQ(out["Policy"], "");
}

TEST(RestXmlProtocol, MalformedXmlIsAnError) {
  EXPECT_THROW(s3_parse("ListObjectsV2", HttpResponse{200, {}, "<ListBucketResult><Name>b</Nam"}), Error);
}

TEST(RestXmlProtocol, ErrorDocumentAfterA200IsAFailedCall) {
  // S3 documents this for CompleteMultipartUpload: the 200 is sent before the work is done.
  try {
    s3_parse("CompleteMultipartUpload",
             HttpResponse{200, {{"x-amz-request-id", "r"}},
                          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>InternalError</Code>"
                          "<Message>We encountered an internal error. Please try again.</Message>"
                          "<RequestId>656c76696e6727732072657175657374</RequestId></Error>"});
    FAIL() << "no error";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.code(), "InternalError");
    EXPECT_EQ(e.request_id(), "656c76696e6727732072657175657374");
    EXPECT_EQ(e.operation(), "CompleteMultipartUpload");
  }
}

TEST(RestXmlProtocol, ErrorWithUnparsableBodyFallsBackToTheStatus) {
  const model::ServiceModel& s3 = model::service_model("s3");
  const ErrorDetails details = rest_xml_protocol().parse_error(
      s3, s3.operation("GetObject"), HttpResponse{403, {{"x-amz-request-id", "r"}}, "<Error><Code>Acc"});
  EXPECT_EQ(details.code, "403");
  EXPECT_EQ(details.message, "Forbidden");
  EXPECT_EQ(details.request_id, "r");
}

}  // namespace
}  // namespace firebreak::aws::protocol
