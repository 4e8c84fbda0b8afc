#pragma once
// Recorded protocol exchanges, one JSON file each under tests/data/protocol/<protocol>/:
//   service, operation, comment (where the bytes come from)
//   params   -> request {method, path, query [[name, value]...], headers {...}, body, host_prefix}
//   response {status, headers, body} -> expected (what boto3 returns) | error {code, message, request_id}
// Bytes are written {"$bytes": "<base64>"} in params and expected values. The expectations were
// checked against botocore 1.44.5's own serializer and parsers for the same bytes.
#include <gtest/gtest.h>

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

inline std::string recorded_dir(const std::string& protocol) {
  return std::string(FIREBREAK_TEST_DATA) + "/protocol/" + protocol;
}

// The case names (file stems) of a protocol's recorded exchanges, sorted.
inline std::vector<std::string> recorded_cases(const std::string& protocol) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(recorded_dir(protocol))) {
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline Json load_recorded(const std::string& protocol, const std::string& name) {
  std::ifstream in(recorded_dir(protocol) + "/" + name + ".json");
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str());
}

// {"$bytes": base64} -> binary, everywhere in a value.
inline Json with_binary(const Json& value) {
  if (value.is_object()) {
    if (value.size() == 1 && value.contains("$bytes")) {
      std::string bytes = base64_decode(value["$bytes"].get<std::string>());
      return Json::binary(Json::binary_t::container_type(bytes.begin(), bytes.end()));
    }
    Json out = Json::object();
    for (const auto& [key, item] : value.items()) out[key] = with_binary(item);
    return out;
  }
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& item : value) out.push_back(with_binary(item));
    return out;
  }
  return value;
}

// binary -> {"$bytes": base64}, so that results compare with (and print like) the files.
inline Json without_binary(const Json& value) {
  if (value.is_binary()) {
    const auto& bytes = value.get_binary();
    return Json{{"$bytes", base64_encode(std::string(bytes.begin(), bytes.end()))}};
  }
  if (value.is_object()) {
    Json out = Json::object();
    for (const auto& [key, item] : value.items()) out[key] = without_binary(item);
    return out;
  }
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& item : value) out.push_back(without_binary(item));
    return out;
  }
  return value;
}

// A message's body: "body" (text), "body_json" (written compactly) or "body_bytes" ({"$bytes"}).
inline std::string body_of(const Json& message) {
  if (message.contains("body_json")) return message["body_json"].dump();
  if (message.contains("body_bytes")) return base64_decode(message["body_bytes"]["$bytes"].get<std::string>());
  return message.value("body", "");
}

inline HttpResponse recorded_response(const Json& exchange) {
  const Json& r = exchange.at("response");
  HttpResponse response;
  response.status = r.at("status").get<int>();
  for (const auto& [name, value] : r.at("headers").items()) response.headers.emplace_back(name, value.get<std::string>());
  response.body = body_of(r);
  return response;
}

inline void expect_request(const Json& expected, const SerializedRequest& actual) {
  EXPECT_EQ(actual.http.method, expected.at("method").get<std::string>());
  EXPECT_EQ(actual.http.path, expected.at("path").get<std::string>());
  Json query = Json::array();
  for (const auto& [name, value] : actual.http.query) query.push_back({name, value});
  EXPECT_EQ(query, expected.value("query", Json::array())) << "query";
  nlohmann::json headers = nlohmann::json::object();  // unordered: header order carries no meaning
  for (const auto& [name, value] : actual.http.headers) headers[name] = value;
  EXPECT_EQ(headers, nlohmann::json::parse(expected.at("headers").dump())) << "headers";
  if (expected.contains("body_json")) {
    EXPECT_EQ(Json::parse(actual.http.body), expected["body_json"]) << actual.http.body;
  } else {
    EXPECT_EQ(actual.http.body, body_of(expected));
  }
  EXPECT_EQ(actual.host_prefix, expected.value("host_prefix", ""));
}

// Runs one recorded exchange through `protocol`: serialize (after validation, as the client
// does) and compare the request, then parse the response or its error and compare.
inline void run_recorded(const Protocol& protocol, const Json& exchange) {
  SCOPED_TRACE(exchange.value("comment", ""));
  const model::ServiceModel& service = model::service_model(exchange.at("service").get<std::string>());
  const model::Operation& operation = service.operation(exchange.at("operation").get<std::string>());
  if (exchange.contains("params")) {
    const Json params = with_binary(exchange["params"]);
    validate_input(service, operation, params);
    expect_request(exchange.at("request"), protocol.serialize(service, operation, params));
  }
  const HttpResponse response = recorded_response(exchange);
  if (exchange.contains("error")) {
    const ErrorDetails details = protocol.parse_error(service, operation, response);
    const Json& error = exchange["error"];
    EXPECT_EQ(details.code, error.at("code").get<std::string>());
    EXPECT_EQ(details.message, error.at("message").get<std::string>());
    EXPECT_EQ(details.request_id, error.at("request_id").get<std::string>());
  } else {
    // Compared in order: boto3 lists members in model order (maps and documents in wire order).
    const Json actual = without_binary(protocol.parse(service, operation, response));
    EXPECT_EQ(actual, exchange.at("expected")) << "got:\n" << actual.dump(2);
  }
}

}  // namespace firebreak::aws::protocol::testing
