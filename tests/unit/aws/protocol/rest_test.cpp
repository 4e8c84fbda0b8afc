// rest.h: the REST pieces rest-json and rest-xml share, and the helpers every protocol uses.
// Expected values are what botocore 1.44.5 produces for the same input (checked with its
// serializer and parsers), on the embedded models; traits no embedded model uses (jsonvalue
// headers, querystring maps) are tested on small hand-built shapes.
#include "firebreak/aws/protocol/rest.h"

#include <gtest/gtest.h>

#include "firebreak/aws/model/model.h"
#include "firebreak/base/error.h"

namespace firebreak::aws::protocol {
namespace {

using model::Location;
using model::Member;
using model::Shape;
using model::ShapeType;

const model::Operation& op(std::string_view service, std::string_view operation) {
  return model::service_model(service).operation(operation);
}

HttpRequest rest_request(std::string_view service, std::string_view operation, const Json& input) {
  HttpRequest request;
  serialize_rest_request(op(service, operation), input, request);
  return request;
}

Json headers_of(const HttpRequest& request) {
  Json out = Json::object();
  for (const auto& [name, value] : request.headers) out[name] = value;
  return out;
}

SystemTime at(std::string_view iso) { return *parse_timestamp(iso); }

// ---- helpers every protocol uses ----

TEST(RestSharedHostPrefix, ExpandsHostLabelsFromTheInput) {
  EXPECT_EQ(resolve_host_prefix(op("s3control", "GetPublicAccessBlock"), {{"AccountId", "123456789012"}}),
            "123456789012.");
  EXPECT_EQ(resolve_host_prefix(op("logs", "StartLiveTail"), {{"logGroupIdentifiers", {"g"}}}), "stream-");
  EXPECT_EQ(resolve_host_prefix(op("ssm", "GetParameter"), {{"Name", "x"}}), "");
}

TEST(RestSharedHostPrefix, RefusesLabelsThatWouldChangeTheHost) {
  const auto& get = op("s3control", "GetPublicAccessBlock");
  EXPECT_THROW(resolve_host_prefix(get, {{"AccountId", "evil.com/x"}}), InputError);
  EXPECT_THROW(resolve_host_prefix(get, {{"AccountId", "a b"}}), InputError);
  EXPECT_THROW(resolve_host_prefix(get, {{"AccountId", ""}}), InputError);
  EXPECT_THROW(resolve_host_prefix(get, Json::object()), InputError);
}

TEST(RestSharedIdempotency, LeavesAGivenTokenAndTheInputAlone) {
  const auto& create = op("secretsmanager", "CreateSecret");
  const Json input = {{"Name", "n"}, {"ClientRequestToken", "tok-1"}};
  Json storage;
  EXPECT_EQ(&with_idempotency_tokens(create, input, storage), &input) << "no copy when nothing is missing";
  EXPECT_TRUE(storage.is_null());
  const Json no_token = {{"Name", "n"}};
  const Json& filled = with_idempotency_tokens(create, no_token, storage);
  EXPECT_EQ(&filled, &storage);
  EXPECT_EQ(filled["Name"], "n");
  EXPECT_EQ(filled["ClientRequestToken"].get<std::string>().size(), 36u);
  EXPECT_FALSE(no_token.contains("ClientRequestToken"));
  Json from_null;
  EXPECT_TRUE(with_idempotency_tokens(create, Json(), from_null).contains("ClientRequestToken"));
  const Json plain = {{"Name", "x"}};
  EXPECT_EQ(&with_idempotency_tokens(op("ssm", "GetParameter"), plain, storage), &plain);
}

TEST(RestSharedTimestamps, FormatsAsBotocoreDoes) {
  EXPECT_EQ(format_timestamp(at("2024-01-02T03:04:05Z"), "unixTimestamp"), "1704164645");
  EXPECT_EQ(format_timestamp(at("2024-01-02T03:04:05.25Z"), "unixTimestamp"), "1704164645.25");
  EXPECT_EQ(format_timestamp(at("2024-01-02T03:04:05.000001Z"), "unixTimestamp"), "1704164645.000001");
  EXPECT_EQ(format_timestamp(at("2024-01-02T03:04:05Z"), "iso8601"), "2024-01-02T03:04:05Z");
  EXPECT_EQ(format_timestamp(at("2024-01-02T03:04:05.25Z"), "iso8601"), "2024-01-02T03:04:05.250000Z");
  EXPECT_EQ(format_timestamp(at("2024-01-02T03:04:05.9Z"), "rfc822"), "Tue, 02 Jan 2024 03:04:05 GMT");
  EXPECT_EQ(format_timestamp(at("1969-12-31T23:59:59.5Z"), "iso8601"), "1969-12-31T23:59:59.500000Z");
}

TEST(RestSharedTimestamps, FormatOfAMemberComesFromItThenItsShape) {
  const auto& put = *op("s3", "PutObject").input;
  EXPECT_EQ(timestamp_format(*put.find_member("ObjectLockRetainUntilDate"), "rfc822"), "iso8601");
  EXPECT_EQ(timestamp_format(*put.find_member("Expires"), "rfc822"), "rfc822");
  const auto& lookup = *op("cloudtrail", "LookupEvents").input;
  EXPECT_EQ(timestamp_format(*lookup.find_member("StartTime"), "unixTimestamp"), "unixTimestamp");
}

TEST(RestSharedNumbers, FormatsIntegersExactlyAndFloatsShortest) {
  EXPECT_EQ(format_number(Json(42)), "42");
  EXPECT_EQ(format_number(Json(-7)), "-7");
  EXPECT_EQ(format_number(Json(18446744073709551615ull)), "18446744073709551615");
  EXPECT_EQ(format_number(Json(0.1)), "0.1");
  EXPECT_EQ(format_number(Json(2.5)), "2.5");
  EXPECT_EQ(format_number(Json(std::nan(""))), "NaN");
  EXPECT_EQ(format_number(Json(-HUGE_VAL)), "-Infinity");
}

TEST(RestSharedMetadata, CarriesRequestIdHostIdStatusAndHeaders) {
  HttpResponse response{200,
                        {{"x-amz-request-id", "4442587FB7D0A2F9"},
                         {"x-amz-id-2", "eftixk72aD6Ap51Tnqco"},
                         {"Set-Cookie", "a=1"},
                         {"set-cookie", "b=2"}},
                        ""};
  EXPECT_EQ(header_request_id(response), "4442587FB7D0A2F9");
  const Json metadata = response_metadata(response, header_request_id(response));
  EXPECT_EQ(metadata, Json::parse(R"({"RequestId":"4442587FB7D0A2F9","HostId":"eftixk72aD6Ap51Tnqco",
    "HTTPStatusCode":200,"HTTPHeaders":{"x-amz-request-id":"4442587FB7D0A2F9","x-amz-id-2":"eftixk72aD6Ap51Tnqco",
    "set-cookie":"a=1, b=2"},"RetryAttempts":0})"));

  HttpResponse json_style{400, {{"x-amzn-RequestId", "r-1"}, {"x-amz-request-id", "other"}}, ""};
  EXPECT_EQ(header_request_id(json_style), "r-1") << "x-amzn-requestid comes first";
  const Json bare = response_metadata({204, {}, ""}, "");
  EXPECT_FALSE(bare.contains("RequestId"));
  EXPECT_FALSE(bare.contains("HostId"));
  EXPECT_EQ(bare["HTTPStatusCode"], 204);
}

// ---- REST request ----

TEST(RestSharedRequest, GreedyLabelsKeepSlashesAndLabelsAreEncoded) {
  const HttpRequest request = rest_request(
      "s3", "GetObject",
      {{"Bucket", "evidence-bucket"}, {"Key", "cases/ir-42/mem dump~1+2.lime"}, {"VersionId", "v1"},
       {"Range", "bytes=0-99"}, {"ResponseExpires", "2024-01-02T03:04:05Z"}});
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, "/evidence-bucket/cases/ir-42/mem%20dump~1%2B2.lime");
  EXPECT_EQ(request.query, (HeaderList{{"versionId", "v1"}, {"response-expires", "Tue, 02 Jan 2024 03:04:05 GMT"}}))
      << "ResponseExpires' shape says rfc822, over the query default iso8601";
  EXPECT_EQ(headers_of(request), (Json{{"Range", "bytes=0-99"}}));

  const HttpRequest arn = rest_request("lambda", "GetFunction",
                                       {{"FunctionName", "arn:aws:lambda:us-east-1:123456789012:function:f"}});
  EXPECT_EQ(arn.path, "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af");
  EXPECT_EQ(rest_request("ebs", "GetSnapshotBlock", {{"SnapshotId", "snap-1"}, {"BlockIndex", 7}}).path,
            "/snapshots/snap-1/blocks/7");
}

TEST(RestSharedRequest, ALiteralQueryInTheUriComesFirst) {
  const HttpRequest list = rest_request(
      "s3", "ListObjectsV2",
      {{"Bucket", "evidence-bucket"}, {"Prefix", "cases/ir-42/"}, {"FetchOwner", true}, {"MaxKeys", 100}});
  EXPECT_EQ(list.path, "/evidence-bucket");
  EXPECT_EQ(list.query, (HeaderList{{"list-type", "2"}, {"prefix", "cases/ir-42/"}, {"fetch-owner", "true"},
                                    {"max-keys", "100"}}));
  const HttpRequest versioning = rest_request(
      "s3", "PutBucketVersioning", {{"Bucket", "evidence-bucket"}, {"VersioningConfiguration", {{"Status", "Enabled"}}}});
  EXPECT_EQ(versioning.method, "PUT");
  EXPECT_EQ(versioning.path, "/evidence-bucket");
  EXPECT_EQ(versioning.query, (HeaderList{{"versioning", ""}}));
  EXPECT_TRUE(versioning.headers.empty());
}

TEST(RestSharedRequest, HeaderMembersConvertTheirTypes) {
  const HttpRequest request = rest_request(
      "s3", "PutObject",
      {{"Bucket", "evidence-bucket"},
       {"Key", "a/b.json"},
       {"Body", "{}"},
       {"Metadata", {{"case", "ir-42"}, {"sha256", "abc"}}},
       {"ContentLength", 2},
       {"Expires", "2024-01-02T03:04:05.75Z"},
       {"ObjectLockRetainUntilDate", "2025-01-02T03:04:05.25Z"},
       {"ObjectLockMode", "COMPLIANCE"},
       {"BucketKeyEnabled", true}});
  EXPECT_EQ(request.path, "/evidence-bucket/a/b.json");
  EXPECT_EQ(headers_of(request), Json::parse(R"({"x-amz-meta-case":"ir-42","x-amz-meta-sha256":"abc",
    "Content-Length":"2","Expires":"Tue, 02 Jan 2024 03:04:05 GMT",
    "x-amz-object-lock-retain-until-date":"2025-01-02T03:04:05Z","x-amz-object-lock-mode":"COMPLIANCE",
    "x-amz-server-side-encryption-bucket-key-enabled":"true"})"));
  EXPECT_TRUE(request.body.empty()) << "the body is the protocol's business";

  EXPECT_EQ(headers_of(rest_request("s3control", "CreateBucket", {{"Bucket", "bkt"}, {"ObjectLockEnabledForBucket", false}})),
            (Json{{"x-amz-bucket-object-lock-enabled", "false"}}));
  EXPECT_EQ(headers_of(rest_request("s3", "GetObjectAttributes",
                                    {{"Bucket", "b"}, {"Key", "k"}, {"ObjectAttributes", {"ETag", "ObjectSize"}}})),
            (Json{{"x-amz-object-attributes", "ETag,ObjectSize"}}));
  EXPECT_TRUE(rest_request("s3", "GetObjectAttributes", {{"Bucket", "b"}, {"Key", "k"}, {"ObjectAttributes", Json::array()}})
                  .headers.empty())
      << "an empty list sends no header";
}

TEST(RestSharedRequest, HeaderListItemsWithCommasOrQuotesAreQuoted) {
  const Member& attributes = *op("s3", "GetObjectAttributes").input->find_member("ObjectAttributes");
  EXPECT_EQ(header_value(attributes, {"ETag", "a,b", "say \"hi\""}), R"(ETag,"a,b","say \"hi\"")");
}

TEST(RestSharedRequest, MalformedInputIsAnInputError) {
  EXPECT_THROW(rest_request("guardduty", "GetDetector", Json::object()), InputError) << "missing URI label";
  EXPECT_THROW(rest_request("guardduty", "GetDetector", {{"DetectorId", ""}}), InputError) << "empty URI label";
  EXPECT_THROW(rest_request("s3", "GetObject", {{"Bucket", "b"}}), InputError);
  EXPECT_THROW(rest_request("guardduty", "GetDetector", {{"DetectorId", "d"}, {"Nope", 1}}), InputError);
  const Json untag = {{"Resource", "arn:aws:lambda:us-east-1:123456789012:function:f"}, {"TagKeys", "case"}};
  EXPECT_THROW(rest_request("lambda", "UntagResource", untag), InputError) << "a scalar where a list belongs";
  EXPECT_THROW(rest_request("s3", "PutObject", {{"Bucket", "b"}, {"Key", "k"}, {"Metadata", "x"}}), InputError);
}

// Traits the embedded models do not use, on hand-built shapes.
Member member_of(std::string name, const Shape& shape, Location location = Location::Body) {
  Member m;
  m.name = std::move(name);
  m.shape = &shape;
  m.location = location;
  return m;
}

struct Synthetic {
  Shape string, strings, map_of_strings, map_of_lists, input;
  model::Operation operation;

  Synthetic() {
    string.type = ShapeType::String;
    strings.type = ShapeType::List;
    strings.member = member_of("member", string);
    map_of_strings.type = map_of_lists.type = ShapeType::Map;
    map_of_strings.key = map_of_lists.key = member_of("key", string);
    map_of_strings.value = member_of("value", string);
    map_of_lists.value = member_of("value", strings);
    input.type = ShapeType::Structure;
    input.members = {member_of("Id", string, Location::Uri),
                     member_of("Filters", map_of_strings, Location::QueryString),
                     member_of("Multi", map_of_lists, Location::QueryString),
                     member_of("Context", string, Location::Header)};
    input.members.back().location_name = "X-Ctx";
    input.members.back().json_value = true;
    operation.name = "Synthetic";
    operation.http_method = "GET";
    operation.request_uri = "/things/{Id}?mode=full&flag";
    operation.input = &input;
  }
};

TEST(RestSharedRequest, QueryMapsAndJsonValueHeaders) {
  Synthetic model;
  HttpRequest request;
  serialize_rest_request(model.operation,
                         {{"Id", "t/1"},
                          {"Filters", {{"state", "open"}, {"owner", "soc"}}},
                          {"Multi", {{"tag", {"a", "b"}}}},
                          {"Context", {{"case", "ir-42"}}}},
                         request);
  EXPECT_EQ(request.path, "/things/t%2F1");
  EXPECT_EQ(request.query, (HeaderList{{"mode", "full"}, {"flag", ""}, {"state", "open"}, {"owner", "soc"},
                                       {"tag", "a"}, {"tag", "b"}}));
  // base64 of {"case":"ir-42"}, compact as botocore writes it.
  EXPECT_EQ(headers_of(request), (Json{{"X-Ctx", "eyJjYXNlIjoiaXItNDIifQ=="}}));

  const Member& context = model.input.members.back();
  EXPECT_EQ(parse_header_value(context, "eyJjYXNlIjoiaXItNDIifQ=="), (Json{{"case", "ir-42"}}));
  EXPECT_THROW(parse_header_value(context, "bm90IGpzb24="), Error);
}

// ---- REST response ----

TEST(RestSharedResponse, HeaderMembersStatusCodeAndPrefixMaps) {
  const HttpResponse response{200,
                              {{"x-amz-id-2", "id2"},
                               {"x-amz-request-id", "REQ1"},
                               {"content-length", "5242880"},
                               {"last-modified", "Mon, 01 Jan 2024 12:00:00 GMT"},
                               {"x-amz-meta-case", "ir-42"},
                               {"x-amz-meta-sha256", "9f86"},
                               {"x-amz-delete-marker", "false"},
                               {"x-amz-object-lock-retain-until-date", "2025-01-01T00:00:00.000Z"},
                               {"x-amz-missing-meta", "2"},
                               {"x-amz-mp-parts-count", "3"},
                               {"etag", "\"abc\""}},
                              ""};
  Json out = Json::object();
  parse_rest_non_body(*op("s3", "HeadObject").output, response, out);
  EXPECT_EQ(nlohmann::json::parse(out.dump()), nlohmann::json::parse(R"({"DeleteMarker":false,
    "LastModified":"2024-01-01T12:00:00+00:00","ContentLength":5242880,"ETag":"\"abc\"","MissingMeta":2,
    "Metadata":{"case":"ir-42","sha256":"9f86"},"PartsCount":3,"ObjectLockRetainUntilDate":"2025-01-01T00:00:00+00:00"})"));

  Json empty = Json::object();
  parse_rest_non_body(*op("s3", "HeadObject").output, {200, {{"content-length", "0"}}, ""}, empty);
  EXPECT_EQ(empty, (Json{{"ContentLength", 0}, {"Metadata", Json::object()}})) << "boto3 always gives Metadata";

  Json invoke = Json::object();
  parse_rest_non_body(*op("lambda", "Invoke").output,
                      {202, {{"X-Amz-Executed-Version", "7"}, {"x-amz-function-error", "Handled"}}, ""}, invoke);
  EXPECT_EQ(invoke["StatusCode"], 202);
  EXPECT_EQ(invoke["ExecutedVersion"], "7");
  EXPECT_EQ(invoke["FunctionError"], "Handled") << "header names match case-insensitively";
}

TEST(RestSharedResponse, HeaderValuesConvertOrFailLoudly) {
  const Shape& head = *op("s3", "HeadObject").output;
  const Member& length = *head.find_member("ContentLength");
  EXPECT_EQ(parse_header_value(length, " 12 "), 12);
  EXPECT_THROW(parse_header_value(length, "12abc"), Error);
  EXPECT_THROW(parse_header_value(*head.find_member("LastModified"), "yesterday"), Error);
  EXPECT_EQ(parse_header_value(*head.find_member("LastModified"), "1704164645"), "2024-01-02T03:04:05+00:00");
  EXPECT_EQ(parse_header_value(*head.find_member("DeleteMarker"), "TRUE"), true);
  const Member& attributes = *op("s3", "GetObjectAttributes").input->find_member("ObjectAttributes");
  EXPECT_EQ(parse_header_value(attributes, "ETag, ObjectSize,Checksum"), (Json{"ETag", "ObjectSize", "Checksum"}));
}

}  // namespace
}  // namespace firebreak::aws::protocol
