#include <libdeflate.h>

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "support.h"

namespace firebreak::cloudtrail::testing {
namespace {

std::string gzip(std::string_view text) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(6);
  std::string out(libdeflate_gzip_compress_bound(c, text.size()), '\0');
  out.resize(libdeflate_gzip_compress(c, text.data(), text.size(), out.data(), out.size()));
  libdeflate_free_compressor(c);
  return out;
}

const char* kRecord1 = R"({"eventVersion":"1.08","eventTime":"2024-07-31T12:46:41Z","eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2","readOnly":false,"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE1","principalId":"AROAX:alice","sessionContext":{"attributes":{"mfaAuthenticated":"false"},"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/Admin","userName":"Admin"}}},"requestParameters":{"name":"trail-1"},"responseElements":null,"eventID":"e-1"})";
const char* kRecord2 = R"({"eventVersion":"1.08","eventTime":"2024-07-31T12:50:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1","readOnly":"true","errorCode":"AccessDenied","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","userName":"bob","accessKeyId":"AKIAEXAMPLE2"},"eventID":"e-2"})";

TEST(RecordReader, ReadsTheFieldsOfARecord) {
  Collected out;
  Event seen;
  std::string issuer, key, time, request;
  out.also = [&](const Event& e) {
    seen = e;
    issuer = std::string(e.identity.issuer_user_name);
    key = std::string(e.identity.access_key_id);
    time = std::string(e.event_time);
    request = std::string(e.request_parameters);
  };
  ReadCounts counts = read_text(std::string("{\"Records\":[") + kRecord1 + "]}", out);
  EXPECT_EQ(counts.records, 1u);
  EXPECT_EQ(out.names, std::vector<std::string>{"DeleteTrail"});
  EXPECT_EQ(out.principals[0], "arn:aws:sts::111122223333:assumed-role/Admin/alice");
  EXPECT_EQ(issuer, "Admin");
  EXPECT_EQ(key, "ASIAEXAMPLE1");
  EXPECT_EQ(seen.time, 1722430001);
  EXPECT_EQ(seen.read_only, ReadOnly::kFalse);
  EXPECT_EQ(request, R"({"name":"trail-1"})");
  EXPECT_EQ(out.raw[0], kRecord1);
}

TEST(RecordReader, ReadsReadOnlyGivenAsAString) {
  Collected out;
  ReadOnly read_only = ReadOnly::kUnknown;
  out.also = [&](const Event& e) { read_only = e.read_only; };
  read_text(kRecord2, out);
  EXPECT_EQ(read_only, ReadOnly::kTrue);
}

// Every shape CloudTrail records arrive in gives the same two records.
TEST(RecordReader, ReadsEveryShapeOfTheSameRecords) {
  std::string r1 = kRecord1, r2 = kRecord2;
  std::string envelope1 = R"({"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","detail":)" + r1 + "}";
  std::string envelope2 = R"({"detail":)" + r2 + R"(,"detail-type":"AWS API Call via CloudTrail"})";
  const std::map<std::string, std::string> shapes = {
      {"records, one line", "{\"Records\":[" + r1 + "," + r2 + "]}"},
      {"records, pretty", "{\n  \"Records\": [\n    " + r1 + ",\n    " + r2 + "\n  ]\n}\n"},
      {"array", "[\n" + r1 + ",\n" + r2 + "\n]"},
      {"json lines", r1 + "\n\n" + r2 + "\r\n"},
      {"eventbridge lines", envelope1 + "\n" + envelope2 + "\n"},
      {"eventbridge array", "[" + envelope1 + "," + envelope2 + "]"},
      {"gzip", gzip("{\"Records\":[" + r1 + "," + r2 + "]}")},
      {"gzip, two members", gzip("{\"Records\":[" + r1 + "]}\n") + gzip("{\"Records\":[" + r2 + "]}\n")},
  };
  for (const auto& [shape, text] : shapes) {
    Collected out;
    ReadCounts counts = read_text(text, out);
    EXPECT_EQ(counts.records, 2u) << shape;
    EXPECT_EQ(counts.malformed, 0u) << shape;
    EXPECT_EQ(out.names, (std::vector<std::string>{"DeleteTrail", "GetObject"})) << shape;
    EXPECT_EQ(out.raw, (std::vector<std::string>{r1, r2})) << shape;
  }
}

TEST(RecordReader, SkipsABrokenRecordAndReadsTheOthers) {
  std::string broken = R"({"eventVersion":"1.08","eventName":"Broken","userIdentity":{"type":"IAMUser",)";
  Collected out;
  ReadCounts counts = read_text("{\"Records\":[\n" + std::string(kRecord1) + ",\n" + broken + ",\n" + kRecord2 + "\n]}", out);
  EXPECT_EQ(counts.records, 2u);
  EXPECT_EQ(counts.malformed, 1u);
  EXPECT_EQ(out.names, (std::vector<std::string>{"DeleteTrail", "GetObject"}));
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].line, 3u);  // where the broken record starts
  EXPECT_EQ(out.problems[0].column, 1u);
}

TEST(RecordReader, SkipsABrokenLineOfJsonLines) {
  Collected out;
  ReadCounts counts = read_text(std::string(kRecord1) + "\n{\"eventName\": \n" + kRecord2 + "\n", out);
  EXPECT_EQ(counts.records, 2u);
  EXPECT_EQ(counts.malformed, 1u);
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].line, 2u);
}

TEST(RecordReader, ReportsOtherJsonAsNotCloudTrail) {
  Collected out;
  ReadCounts counts = read_text(R"({"detail-type":"GuardDuty Finding","detail":{"type":"Recon:EC2/PortProbeUnprotectedPort"}})", out);
  EXPECT_EQ(counts.records, 0u);
  EXPECT_EQ(counts.not_cloudtrail, 1u);
  EXPECT_EQ(counts.malformed, 0u);
}

// A document larger than the whole-document limit is read record by record, with the same result.
TEST(RecordReader, ReadsLargeDocumentsRecordByRecord) {
  std::string text = "{\"Records\":[";
  for (int i = 0; i < 200; ++i) text += std::string(i ? "," : "") + (i % 2 ? kRecord2 : kRecord1);
  text += "]}";
  Collected whole, split;
  read_text(text, whole);
  ReaderOptions small;
  small.max_whole_document = 4096;
  ReadCounts counts = read_text(text, split, small);
  EXPECT_EQ(counts.records, 200u);
  EXPECT_EQ(split.raw, whole.raw);
}

// With a required literal only the records containing it are parsed; they are read the same,
// including one whose keys start differently from the first record's, and the last one.
TEST(RecordReader, ParsesOnlyRecordsAroundTheRequiredLiteral) {
  std::string reordered = R"({"eventID":"e-3","eventVersion":"1.08","eventName":"Reordered","userIdentity":{"accessKeyId":"AKIAEXAMPLE2"}})";
  std::string records;
  for (int i = 0; i < 50; ++i) records += std::string(kRecord1) + ",\n" + kRecord2 + ",\n";
  records += std::string(kRecord1) + ",\n" + reordered + "\n";
  for (const std::string& text : {"{\"Records\": [\n" + records + "]}", "[\n" + records + "]"}) {
    Collected all, narrowed;
    read_text(text, all);
    ReaderOptions key;
    key.required_literals = {"AKIAEXAMPLE2"};
    ReadCounts counts = read_text(text, narrowed, key);
    EXPECT_EQ(counts.records, 51u);
    std::vector<std::string> expected;
    for (size_t i = 0; i < all.raw.size(); ++i)
      if (all.access_keys[i] == "AKIAEXAMPLE2") expected.push_back(all.raw[i]);
    EXPECT_EQ(narrowed.raw, expected);
    EXPECT_EQ(narrowed.names.back(), "Reordered");
    EXPECT_TRUE(narrowed.problems.empty());
  }
}

// A broken record holding the literal is reported; the records around it are still read.
TEST(RecordReader, ReportsABrokenRecordAroundTheRequiredLiteral) {
  std::string broken = R"({"eventVersion":"1.08","eventName":"Broken","userIdentity":{"accessKeyId":"AKIAEXAMPLE2",)";
  Collected out;
  ReaderOptions key;
  key.required_literals = {"AKIAEXAMPLE2"};
  ReadCounts counts =
      read_text("{\"Records\":[\n" + std::string(kRecord1) + ",\n" + broken + ",\n" + kRecord2 + "\n]}", out, key);
  EXPECT_EQ(counts.records, 1u);
  EXPECT_EQ(counts.malformed, 1u);
  EXPECT_EQ(out.names, std::vector<std::string>{"GetObject"});
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].line, 3u);
  EXPECT_EQ(out.problems[0].column, 1u);
}

struct Expected {
  uint64_t records, malformed, not_cloudtrail;
};

// Every CloudTrail file in ../shared/data, with the counts Python's json module agrees with
// (the broken ones counted by hand: see SOURCES.md there).
TEST(RecordReader, ReadsEveryCloudTrailFileInSharedData) {
  namespace fs = std::filesystem;
  const std::map<std::string, Expected> expected = {
      {"aws-cloudtrail-processing-library/SQSMessageBody", {0, 0, 1}},
      {"aws-cloudtrail-processing-library/SQSMessageBodyWrongFormat", {0, 0, 1}},
      {"aws-cloudtrail-processing-library/SerializerAllFieldsNull.json", {2, 0, 0}},
      {"aws-cloudtrail-processing-library/SerializerTestFile.json", {6, 0, 0}},
      {"aws-cloudtrail-processing-library/SerializerTestFileBadFieldName.json", {1, 0, 1}},
      {"aws-cloudtrail-processing-library/SerializerTestFileBadJsonFormat.json", {1, 1, 0}},
      {"aws-cloudtrail-processing-library/SerializerTestFileCompact.json", {6, 0, 0}},
      {"aws-cloudtrail-processing-library/SerializerTestFileCompact.json.gz", {6, 0, 0}},
      {"aws-cloudtrail-processing-library/SerializerTestFileLocation.json", {6, 0, 0}},
      {"aws-cloudtrail-processing-library/SerializerTestFileMissField.json", {4, 0, 0}},
      {"aws-cloudtrail-processing-library/SerializerTestFileNewFieldAtRandomPlaces.json", {2, 0, 0}},
      {"aws-cloudtrail-processing-library/SerializerTestFileNewFieldName.json", {1, 0, 1}},
      {"aws-cloudtrail-processing-library/SerializerTestFileNewFieldsInRoot.json", {2, 0, 0}},
      {"aws-cloudtrail-processing-library/SerializerTestFileNewFieldsInUserIdentity.json", {2, 0, 0}},
      {"aws-cloudtrail-processing-library/SerializerVariousUserIdentityTestFile.json", {1, 0, 0}},
      {"cado-cloudgrep/bad_cloudtrail.json", {0, 1, 0}},
      {"cado-cloudgrep/cloudtrail.json", {1, 0, 0}},
      {"cado-cloudgrep/cloudtrail_singleline.json", {1, 0, 0}},
      {"otrf-security-datasets/ec2_proxy_s3_exfiltration_2020-09-14011940.json", {103, 0, 0}},
  };
  for (const auto& [file, want] : expected) {
    Collected out;
    ReadCounts got = read_text(file_text(kSharedData + "/" + file), out);
    EXPECT_EQ(got.records, want.records) << file;
    EXPECT_EQ(got.malformed, want.malformed) << file;
    EXPECT_EQ(got.not_cloudtrail, want.not_cloudtrail) << file;
    EXPECT_EQ(out.problems.size(), want.malformed + want.not_cloudtrail) << file;
  }
  // Cloud Custodian: 18 "AWS API Call via CloudTrail" envelopes and bare records; 6 others.
  uint64_t records = 0, others = 0;
  for (const auto& entry : fs::directory_iterator(kSharedData + "/cloud-custodian-cwe")) {
    if (entry.path().extension() != ".json") continue;
    Collected out;
    ReadCounts got = read_text(file_text(entry.path()), out);
    records += got.records;
    others += got.not_cloudtrail;
    EXPECT_EQ(got.malformed, 0u) << entry.path();
  }
  EXPECT_EQ(records, 20u);
  EXPECT_EQ(others, 6u);
  // Stratus Red Team: 310 events in 35 top-level arrays.
  records = 0;
  for (const auto& entry : fs::directory_iterator(kSharedData + "/stratus-red-team-detonation-logs")) {
    if (entry.path().extension() != ".json") continue;
    Collected out;
    records += read_text(file_text(entry.path()), out).records;
    EXPECT_TRUE(out.problems.empty()) << entry.path();
  }
  EXPECT_EQ(records, 310u);
}

TEST(RecordReader, ReportsWhereTheTruncatedCloudgrepFileBreaks) {
  Collected out;
  read_text(file_text(kSharedData + "/cado-cloudgrep/bad_cloudtrail.json"), out, {}, "bad_cloudtrail.json");
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].name, "bad_cloudtrail.json");
  EXPECT_EQ(out.problems[0].line, 1u);
  EXPECT_EQ(out.problems[0].column, 14u);  // the record's '{' after {"Records": [
}

}  // namespace
}  // namespace firebreak::cloudtrail::testing
