#pragma once
// Recorded protocol cases for the XML-family protocols (tests/data/protocol/<protocol>/*.json):
// input params -> the request firebreak must send, and a recorded response -> the output boto3
// returns for it (or the error it reports). Bytes are written {"$bytes": "<base64>"}; a large
// response body may sit in a file beside the case ("body_file").
#include <gtest/gtest.h>
#include <strings.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "firebreak/aws/model/model.h"
#include "firebreak/aws/protocol/protocol.h"
#include "firebreak/aws/protocol/validate.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/json.h"

namespace firebreak::aws::protocol::testing {

inline std::filesystem::path case_directory(const std::string& protocol) {
  return std::filesystem::path(FIREBREAK_TEST_DATA) / "protocol" / protocol;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Case names (file stems), sorted, for INSTANTIATE_TEST_SUITE_P.
inline std::vector<std::string> case_names(const std::string& protocol) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(case_directory(protocol))) {
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Replaces every {"$bytes": base64} with a Json binary value.
inline Json with_bytes(const Json& value) {
  if (value.is_object()) {
    if (value.size() == 1 && value.contains("$bytes")) {
      std::string bytes = base64_decode(value["$bytes"].get<std::string>());
      return Json::binary(Json::binary_t::container_type(bytes.begin(), bytes.end()));
    }
    Json out = Json::object();
    for (const auto& [key, item] : value.items()) out[key] = with_bytes(item);
    return out;
  }
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& item : value) out.push_back(with_bytes(item));
    return out;
  }
  return value;
}

inline std::string bytes_of(const Json& value) {
  Json converted = with_bytes(value);
  if (converted.is_binary()) return std::string(converted.get_binary().begin(), converted.get_binary().end());
  return converted.get<std::string>();
}

// The same value with objects unordered: the embedded models list members alphabetically
// (model.cpp reads them through a sorted nlohmann::json), so member order cannot match boto3's.
inline nlohmann::json unordered(const Json& value) {
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, item] : value.items()) out[key] = unordered(item);
    return out;
  }
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : value) out.push_back(unordered(item));
    return out;
  }
  if (value.is_binary()) return nlohmann::json::binary(value.get_binary());
  return nlohmann::json::parse(value.dump());
}

struct RecordedCase {
  std::filesystem::path directory;
  Json spec;

  static RecordedCase load(const std::string& protocol, const std::string& name) {
    RecordedCase c{case_directory(protocol), Json::parse(read_file(case_directory(protocol) / (name + ".json")))};
    return c;
  }

  const model::ServiceModel& service() const { return model::service_model(spec["service"].get<std::string>()); }
  const model::Operation& operation() const { return service().operation(spec["operation"].get<std::string>()); }
  const Protocol& protocol() const { return protocol_for(service().protocol); }

  HttpResponse response() const {
    const Json& r = spec["response"];
    HttpResponse response;
    response.status = r["status"].get<int>();
    for (const auto& [name, value] : r["headers"].items()) {
      response.headers.emplace_back(name, value.get<std::string>());
    }
    if (r.contains("body_file")) {
      response.body = read_file(directory / r["body_file"].get<std::string>());
    } else if (r.contains("body")) {
      response.body = bytes_of(r["body"]);
    }
    return response;
  }
};

inline bool iequals(const std::string& a, const std::string& b) { return strcasecmp(a.c_str(), b.c_str()) == 0; }

// The request the serializer made against the case's "request": method, path, query pairs in
// order, exactly the listed headers (names case-insensitive), body and host prefix.
inline void expect_request(const SerializedRequest& actual, const Json& expected) {
  EXPECT_EQ(actual.http.method, expected["method"].get<std::string>());
  EXPECT_EQ(actual.http.path, expected["path"].get<std::string>());
  HeaderList query;
  if (expected.contains("query")) {
    for (const auto& pair : expected["query"]) {
      query.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    }
  }
  EXPECT_EQ(actual.http.query, query);
  EXPECT_EQ(actual.http.headers.size(), expected["headers"].size());
  for (const auto& [name, value] : expected["headers"].items()) {
    EXPECT_TRUE(actual.http.has_header(name)) << "missing header " << name;
    EXPECT_EQ(actual.http.header(name), value.get<std::string>()) << name;
  }
  for (const auto& [name, value] : actual.http.headers) {
    bool listed = false;
    for (const auto& [expected_name, ignored] : expected["headers"].items()) listed |= iequals(name, expected_name);
    EXPECT_TRUE(listed) << "unexpected header " << name << ": " << value;
  }
  EXPECT_EQ(actual.http.body, expected.contains("body") ? bytes_of(expected["body"]) : std::string());
  EXPECT_EQ(actual.host_prefix, expected.value("host_prefix", std::string()));
}

// Runs every part of a recorded case the file has: serialize, parse, parse_error.
inline void run_recorded_case(const std::string& protocol, const std::string& name) {
  const RecordedCase c = RecordedCase::load(protocol, name);
  SCOPED_TRACE(c.spec.value("comment", ""));
  const model::ServiceModel& service = c.service();
  const model::Operation& operation = c.operation();
  if (c.spec.contains("params")) {
    const Json params = with_bytes(c.spec["params"]);
    validate_input(service, operation, params);
    expect_request(c.protocol().serialize(service, operation, params), c.spec["request"]);
  }
  if (c.spec.contains("expected")) {
    const Json parsed = c.protocol().parse(service, operation, c.response());
    const Json expected = with_bytes(c.spec["expected"]);
    EXPECT_EQ(unordered(parsed), unordered(expected))
        << "parsed:   " << parsed.dump(2) << "\nexpected: " << expected.dump(2);
  }
  if (c.spec.contains("error")) {
    const ErrorDetails details = c.protocol().parse_error(service, operation, c.response());
    EXPECT_EQ(details.code, c.spec["error"]["code"].get<std::string>());
    EXPECT_EQ(details.message, c.spec["error"]["message"].get<std::string>());
    EXPECT_EQ(details.request_id, c.spec["error"]["request_id"].get<std::string>());
  }
}

}  // namespace firebreak::aws::protocol::testing
