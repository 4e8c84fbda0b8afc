#include "firebreak/aws/auth/sigv4.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"
#include "firebreak/base/json.h"
#include "firebreak/base/time.h"

namespace firebreak::aws {
namespace {

namespace fs = std::filesystem;

const fs::path kSharedData = FIREBREAK_SHARED_DATA;
const fs::path kAwsSuite = kSharedData / "aws-signing-test-suite" / "v4";
const fs::path kBotocoreSuite = kSharedData / "botocore-aws4_testsuite";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// An expected value from a suite: the file's bytes less one trailing newline.
std::string read_expected(const fs::path& path) {
  std::string text = read_file(path);
  if (text.ends_with('\n')) text.pop_back();
  return text;
}

SystemTime at(std::string_view iso8601) { return parse_timestamp(iso8601).value(); }

// The suites' raw HTTP requests: a request line, headers (a folded continuation line joins
// its header with one space, as RFC 9112 lets a recipient do), a blank line, the body.
// The path stays as written, the query is decoded into pairs and the host is the Host header.
HttpRequest parse_raw_request(std::string_view text) {
  HttpRequest request;
  auto next_line = [&text]() {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    return line;
  };

  std::string_view request_line = next_line();
  size_t method_end = request_line.find(' ');
  request.method = std::string(request_line.substr(0, method_end));
  std::string_view target = request_line.substr(method_end + 1);
  if (size_t version = target.rfind(" HTTP/"); version != std::string_view::npos) {
    target = target.substr(0, version);
  }
  size_t query_start = target.find('?');
  request.path = std::string(target.substr(0, query_start));
  if (query_start != std::string_view::npos) {
    std::string_view query = target.substr(query_start + 1);
    while (!query.empty()) {
      std::string_view pair = query.substr(0, query.find('&'));
      query.remove_prefix(std::min(pair.size() + 1, query.size()));
      if (pair.empty()) continue;
      size_t equals = pair.find('=');
      std::string_view name = pair.substr(0, equals);
      std::string_view value = equals == std::string_view::npos ? "" : pair.substr(equals + 1);
      request.query.emplace_back(uri_decode(name), uri_decode(value));
    }
  }

  while (!text.empty()) {
    std::string_view line = next_line();
    if (line.empty()) break;
    if ((line.front() == ' ' || line.front() == '\t') && !request.headers.empty()) {
      request.headers.back().second += " " + std::string(line);
      continue;
    }
    size_t colon = line.find(':');
    request.headers.emplace_back(std::string(line.substr(0, colon)),
                                 std::string(line.substr(colon + 1)));
  }
  request.body = std::string(text);
  request.host = trim(request.header("host"));
  return request;
}

// A request as text with its query pairs and headers sorted, so that two requests compare
// equal when they carry the same things, whatever order they were added in.
std::string describe(const HttpRequest& request) {
  HeaderList query = request.query;
  std::sort(query.begin(), query.end());
  HeaderList headers;
  for (const auto& [name, value] : request.headers) {
    headers.emplace_back(to_lower(name), trim(value));
  }
  std::sort(headers.begin(), headers.end());
  std::string out = request.method + " " + request.path + "\n";
  for (const auto& [name, value] : query) out += "query " + name + "=" + value + "\n";
  for (const auto& [name, value] : headers) out += "header " + name + ":" + value + "\n";
  return out + "\n" + request.body;
}

Credentials key_pair(std::string access_key_id, std::string secret_access_key) {
  Credentials credentials;
  credentials.access_key_id = std::move(access_key_id);
  credentials.secret_access_key = std::move(secret_access_key);
  return credentials;
}

std::string test_name(std::string name) {
  auto punctuation = [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); };
  std::replace_if(name.begin(), name.end(), punctuation, '_');
  return name;
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) {
  return test_name(info.param);
}

// ---------------------------------------------------------------------------------------------
// AWS's signing test suite (aws-c-auth): both forms of every case.

std::vector<std::string> aws_suite_cases() {
  std::vector<std::string> cases;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(kAwsSuite, error)) {
    if (fs::exists(entry.path() / "context.json")) {
      cases.push_back(entry.path().filename().string());
    }
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

struct AwsSuiteCase {
  HttpRequest request;
  Credentials credentials;
  SigningParams params;
  std::chrono::seconds expires{};
};

AwsSuiteCase load_aws_case(const fs::path& dir) {
  Json context = Json::parse(read_file(dir / "context.json"));
  AwsSuiteCase c;
  c.request = parse_raw_request(read_file(dir / "request.txt"));
  const Json& credentials = context.at("credentials");
  c.credentials.access_key_id = credentials.at("access_key_id");
  c.credentials.secret_access_key = credentials.at("secret_access_key");
  c.credentials.session_token = credentials.value("token", "");
  c.params.region = context.at("region");
  c.params.service = context.at("service");
  c.params.time = at(context.at("timestamp").get<std::string>());
  c.params.path_as_given = !context.value("normalize", true);
  c.params.payload_hash_header = context.value("sign_body", false);
  c.params.session_token_after_signing = context.value("omit_session_token", false);
  c.expires = std::chrono::seconds(context.at("expiration_in_seconds").get<int>());
  return c;
}

class AwsSigningTestSuite : public ::testing::TestWithParam<std::string> {};

TEST_P(AwsSigningTestSuite, SignsBothForms) {
  const fs::path dir = kAwsSuite / GetParam();
  const AwsSuiteCase c = load_aws_case(dir);
  {
    SCOPED_TRACE("Authorization header form");
    SigningDetails details = signing_details(c.request, c.credentials, c.params);
    EXPECT_EQ(details.canonical_request, read_expected(dir / "header-canonical-request.txt"));
    EXPECT_EQ(details.string_to_sign, read_expected(dir / "header-string-to-sign.txt"));
    EXPECT_EQ(details.signature, read_expected(dir / "header-signature.txt"));

    HttpRequest request = c.request;
    sign_request(request, c.credentials, c.params);
    EXPECT_EQ(describe(request),
              describe(parse_raw_request(read_file(dir / "header-signed-request.txt"))));
  }
  {
    SCOPED_TRACE("presigned query form");
    SigningDetails details = presigning_details(c.request, c.credentials, c.params, c.expires);
    EXPECT_EQ(details.canonical_request, read_expected(dir / "query-canonical-request.txt"));
    EXPECT_EQ(details.string_to_sign, read_expected(dir / "query-string-to-sign.txt"));
    EXPECT_EQ(details.signature, read_expected(dir / "query-signature.txt"));

    HttpRequest request = c.request;
    presign_request(request, c.credentials, c.params, c.expires);
    EXPECT_EQ(describe(request),
              describe(parse_raw_request(read_file(dir / "query-signed-request.txt"))));
  }
}

INSTANTIATE_TEST_SUITE_P(V4, AwsSigningTestSuite, ::testing::ValuesIn(aws_suite_cases()),
                         param_name);

// ---------------------------------------------------------------------------------------------
// The classic suite as botocore vendors it; cases are the folders holding a .req, nested ones
// (normalize-path/, post-sts-token/) included, and run as botocore's test_sigv4.py runs them.

std::vector<std::string> botocore_suite_cases() {
  std::vector<std::string> cases;
  std::error_code error;
  for (const auto& entry : fs::recursive_directory_iterator(kBotocoreSuite, error)) {
    if (entry.path().extension() == ".req") {
      cases.push_back(fs::relative(entry.path().parent_path(), kBotocoreSuite).string());
    }
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

class BotocoreTestSuite : public ::testing::TestWithParam<std::string> {};

TEST_P(BotocoreTestSuite, SignsLikeBotocore) {
  const fs::path dir = kBotocoreSuite / GetParam();
  const fs::path base = dir / dir.filename();
  const std::string canonical_request = read_expected(base.string() + ".creq");

  HttpRequest request = parse_raw_request(read_file(base.string() + ".req"));
  Credentials credentials = key_pair("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  // As botocore's runner does: a case signs with a session token when its canonical request
  // shows one.
  constexpr std::string_view kTokenLine = "\nx-amz-security-token:";
  if (size_t line = canonical_request.find(kTokenLine); line != std::string::npos) {
    size_t start = line + kTokenLine.size();
    size_t end = canonical_request.find('\n', start);
    credentials.session_token = canonical_request.substr(start, end - start);
  }
  SigningParams params{
      .region = "us-east-1", .service = "service", .time = at("2015-08-30T12:36:00Z")};

  SigningDetails details = signing_details(request, credentials, params);
  EXPECT_EQ(details.canonical_request, canonical_request);
  EXPECT_EQ(details.string_to_sign, read_expected(base.string() + ".sts"));

  sign_request(request, credentials, params);
  EXPECT_EQ(request.header("Authorization"), read_expected(base.string() + ".authz"));
}

INSTANTIATE_TEST_SUITE_P(Aws4, BotocoreTestSuite, ::testing::ValuesIn(botocore_suite_cases()),
                         param_name);

// Both suites as published: a missing folder or a walk that skips nested cases shows here.
TEST(SigV4Suites, FindsEveryCase) {
  EXPECT_EQ(aws_suite_cases().size(), 38u);
  EXPECT_EQ(botocore_suite_cases().size(), 34u);
}

// ---------------------------------------------------------------------------------------------
// The S3 API reference's worked examples, "Signature Calculations for the Authorization Header:
// Transferring Payload in a Single Chunk" (sig-v4-header-based-auth.html) and "Authenticating
// Requests: Using Query Parameters" (sigv4-query-string-auth.html), with their example keys.

constexpr std::string_view kEmptyHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const Credentials kS3DocCredentials =
    key_pair("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");

SigningParams s3_doc_params() {
  return {
      .region = "us-east-1", .service = "s3", .time = at("2013-05-24T00:00:00Z"), .s3_rules = true};
}

HttpRequest s3_doc_request(std::string method, std::string path, HeaderList query = {}) {
  HttpRequest request;
  request.method = std::move(method);
  request.host = "examplebucket.s3.amazonaws.com";
  request.path = std::move(path);
  request.query = std::move(query);
  return request;
}

std::string s3_doc_authorization(std::string_view signed_headers, std::string_view signature) {
  return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
         "SignedHeaders=" + std::string(signed_headers) + ", Signature=" + std::string(signature);
}

TEST(SigV4S3Examples, GetObjectWithRange) {
  HttpRequest request = s3_doc_request("GET", "/test.txt");
  request.headers.emplace_back("Range", "bytes=0-9");

  SigningDetails details = signing_details(request, kS3DocCredentials, s3_doc_params());
  EXPECT_EQ(details.canonical_request,
            "GET\n/test.txt\n\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "range:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\n"
            "host;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(details.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");

  sign_request(request, kS3DocCredentials, s3_doc_params());
  EXPECT_EQ(request.header("Authorization"),
            s3_doc_authorization(
                "host;range;x-amz-content-sha256;x-amz-date",
                "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
  EXPECT_EQ(request.header("x-amz-content-sha256"), kEmptyHash);
  EXPECT_EQ(request.header("x-amz-date"), "20130524T000000Z");
}

TEST(SigV4S3Examples, PutObject) {
  // The key "test$file.text" as the wire carries it.
  HttpRequest request = s3_doc_request("PUT", "/test%24file.text");
  request.headers.emplace_back("Date", "Fri, 24 May 2013 00:00:00 GMT");
  request.headers.emplace_back("x-amz-storage-class", "REDUCED_REDUNDANCY");
  request.body = "Welcome to Amazon S3.";

  SigningDetails details = signing_details(request, kS3DocCredentials, s3_doc_params());
  EXPECT_EQ(details.canonical_request,
            "PUT\n/test%24file.text\n\n"
            "date:Fri, 24 May 2013 00:00:00 GMT\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
            "x-amz-date:20130524T000000Z\n"
            "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(details.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");

  sign_request(request, kS3DocCredentials, s3_doc_params());
  EXPECT_EQ(request.header("Authorization"),
            s3_doc_authorization(
                "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));
}

TEST(SigV4S3Examples, GetBucketLifecycle) {
  HttpRequest request = s3_doc_request("GET", "/", {{"lifecycle", ""}});

  SigningDetails details = signing_details(request, kS3DocCredentials, s3_doc_params());
  EXPECT_EQ(details.canonical_request,
            "GET\n/\nlifecycle=\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\n"
            "host;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(details.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");

  sign_request(request, kS3DocCredentials, s3_doc_params());
  EXPECT_EQ(request.header("Authorization"),
            s3_doc_authorization(
                "host;x-amz-content-sha256;x-amz-date",
                "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));
}

TEST(SigV4S3Examples, GetBucketListObjects) {
  HttpRequest request = s3_doc_request("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}});

  SigningDetails details = signing_details(request, kS3DocCredentials, s3_doc_params());
  EXPECT_EQ(details.canonical_request,
            "GET\n/\nmax-keys=2&prefix=J\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\n"
            "host;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(details.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");

  sign_request(request, kS3DocCredentials, s3_doc_params());
  EXPECT_EQ(request.header("Authorization"),
            s3_doc_authorization(
                "host;x-amz-content-sha256;x-amz-date",
                "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
}

TEST(SigV4S3Examples, PresignedGetObject) {
  HttpRequest request = s3_doc_request("GET", "/test.txt");

  SigningDetails details =
      presigning_details(request, kS3DocCredentials, s3_doc_params(), std::chrono::hours(24));
  EXPECT_EQ(details.canonical_request,
            "GET\n/test.txt\n"
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
            "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
            "X-Amz-SignedHeaders=host\n"
            "host:examplebucket.s3.amazonaws.com\n\n"
            "host\n"
            "UNSIGNED-PAYLOAD");
  EXPECT_EQ(details.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");

  presign_request(request, kS3DocCredentials, s3_doc_params(), std::chrono::hours(24));
  EXPECT_EQ(request.url(),
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
            "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&"
            "X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&"
            "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_FALSE(request.has_header("Authorization"));
  EXPECT_FALSE(request.has_header("x-amz-content-sha256"));
}

// ---------------------------------------------------------------------------------------------
// Behaviour the suites do not pin down.

const Credentials kSuiteCredentials =
    key_pair("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");

SigningParams service_params() {
  return {.region = "us-east-1", .service = "service", .time = at("2015-08-30T12:36:00Z")};
}

HttpRequest service_request(std::string path) {
  HttpRequest request;
  request.host = "example.amazonaws.com";
  request.path = std::move(path);
  return request;
}

std::string canonical_uri_of(const HttpRequest& request, const SigningParams& params) {
  std::string canonical = signing_details(request, kSuiteCredentials, params).canonical_request;
  size_t start = canonical.find('\n') + 1;
  return canonical.substr(start, canonical.find('\n', start) - start);
}

TEST(SigV4, EncodesTheWirePathAgainOutsideS3) {
  HttpRequest request = service_request("/a%20b/./c//d/../e%2Ff");
  EXPECT_EQ(canonical_uri_of(request, service_params()), "/a%2520b/c/e%252Ff");
}

TEST(SigV4, KeepsTheWirePathUnderS3Rules) {
  SigningParams params = service_params();
  params.s3_rules = true;
  EXPECT_EQ(canonical_uri_of(service_request("/a%20b/./c//d/../e%2Ff"), params),
            "/a%20b/./c//d/../e%2Ff");
  // Bytes the wire cannot carry raw are escaped once; a lone '%' is not an escape.
  EXPECT_EQ(canonical_uri_of(service_request("/key with $/100%"), params),
            "/key%20with%20%24/100%25");
}

TEST(SigV4, AddsTheHostHeaderFromTheRequest) {
  HttpRequest request = service_request("/");
  request.host = "example.amazonaws.com:8443";
  sign_request(request, kSuiteCredentials, service_params());
  EXPECT_EQ(request.header("Host"), "example.amazonaws.com:8443");
  EXPECT_NE(request.header("Authorization").find("SignedHeaders=host;x-amz-date,"),
            std::string::npos);
}

TEST(SigV4, LeavesHeadersThatChangeInTransitUnsigned) {
  HttpRequest request = service_request("/");
  request.headers = {{"User-Agent", "firebreak/0.1"}, {"Expect", "100-continue"},
                     {"X-Amzn-Trace-Id", "Root=1"}, {"Transfer-Encoding", "chunked"},
                     {"Connection", "keep-alive"}, {"Content-Type", "application/json"},
                     {"X-Amz-Target", "Service.Operation"}};
  sign_request(request, kSuiteCredentials, service_params());
  EXPECT_NE(request.header("Authorization")
                .find("SignedHeaders=content-type;host;x-amz-date;x-amz-target,"),
            std::string::npos);
}

TEST(SigV4, SigningAgainReplacesEverySigningHeader) {
  HttpRequest request = service_request("/");
  Credentials old_credentials = kSuiteCredentials;
  old_credentials.session_token = "old-token";
  sign_request(request, old_credentials, service_params());

  SigningParams later = service_params();
  later.time += std::chrono::minutes(5);
  later.payload_hash_header = true;
  sign_request(request, kSuiteCredentials, later);
  sign_request(request, kSuiteCredentials, later);

  HttpRequest fresh = service_request("/");
  sign_request(fresh, kSuiteCredentials, later);
  EXPECT_EQ(describe(request), describe(fresh));
  EXPECT_FALSE(request.has_header("X-Amz-Security-Token"));
}

TEST(SigV4, PresigningAgainReplacesEverySigningParameter) {
  HttpRequest request = service_request("/");
  request.query = {{"Action", "GetCallerIdentity"}};
  Credentials with_token = kSuiteCredentials;
  with_token.session_token = "token";
  presign_request(request, with_token, service_params(), std::chrono::minutes(15));
  presign_request(request, kSuiteCredentials, service_params(), std::chrono::minutes(1));

  HttpRequest fresh = service_request("/");
  fresh.query = {{"Action", "GetCallerIdentity"}};
  presign_request(fresh, kSuiteCredentials, service_params(), std::chrono::minutes(1));
  EXPECT_EQ(describe(request), describe(fresh));
}

TEST(SigV4, UnsignedPayloadUnderS3Rules) {
  HttpRequest request = service_request("/bucket/key");
  request.body = "evidence";
  SigningParams params = service_params();
  params.s3_rules = true;
  params.unsigned_payload = true;
  SigningDetails details = signing_details(request, kSuiteCredentials, params);
  EXPECT_TRUE(details.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
  sign_request(request, kSuiteCredentials, params);
  EXPECT_EQ(request.header("x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
}

TEST(SigV4, PresignedUrlsLastAtMostSevenDays) {
  HttpRequest request = service_request("/");
  const std::chrono::seconds too_long = kMaxPresignExpiry + std::chrono::seconds(1);
  EXPECT_THROW(presign_request(request, kSuiteCredentials, service_params(), too_long), InputError);
  EXPECT_THROW(presign_request(request, kSuiteCredentials, service_params(), {}), InputError);
  EXPECT_TRUE(request.query.empty());
  EXPECT_NO_THROW(presign_request(request, kSuiteCredentials, service_params(), kMaxPresignExpiry));
}

}  // namespace
}  // namespace firebreak::aws
