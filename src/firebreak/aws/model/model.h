#pragma once
// A botocore service model (service-2.json with its paginators and waiters), turned into typed
// shapes once per process. Serializers and parsers walk these instead of raw JSON.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/base/json.h"

namespace firebreak::aws::model {

enum class ShapeType { Structure, List, Map, String, Integer, Long, Float, Double, Boolean, Timestamp, Blob };

// Where a structure member travels in a REST request or response.
enum class Location { Body, Header, Headers /* prefix map */, QueryString, Uri, StatusCode };

struct Shape;

// A member of a structure, with the traits botocore allows on the reference to its shape.
struct Member {
  std::string name;
  const Shape* shape = nullptr;
  Location location = Location::Body;
  std::string location_name;      // wire name: header / query / uri label / XML or JSON name
  std::string query_name;         // ec2 protocol's queryName trait, empty when absent
  std::string xml_namespace_uri;  // xmlNamespace.uri on the member
  std::string xml_namespace_prefix;
  std::string timestamp_format;   // member override: iso8601 | rfc822 | unixTimestamp
  bool xml_attribute = false;
  bool flattened = false;         // member-level override (shape's flattened also counts)
  bool idempotency_token = false;
  bool host_label = false;
  bool json_value = false;        // header member holding base64 JSON (jsonvalue)
  bool required = false;
  bool event_payload = false;
  bool streaming = false;         // on the reference (S3 Body); the shape may say so too

  bool is_streaming() const;
  // The name used on the wire when no location_name is set.
  const std::string& wire_name() const { return location_name.empty() ? name : location_name; }
};

struct Shape {
  std::string name;
  ShapeType type = ShapeType::String;
  // Structure
  std::vector<Member> members;
  std::string payload;            // REST: the member that is the whole body
  bool exception = false;
  bool document = false;          // a free-form JSON document
  bool union_ = false;
  // List
  std::optional<Member> member;   // list element (its location_name is the XML item name)
  // Map
  std::optional<Member> key;
  std::optional<Member> value;
  // Traits of the shape itself
  bool flattened = false;
  bool streaming = false;
  bool sensitive = false;
  bool is_event_stream = false;
  std::string location_name;
  std::string timestamp_format;
  std::string xml_namespace_uri;
  std::string xml_namespace_prefix;
  std::vector<std::string> enum_values;
  std::optional<double> min;
  std::optional<double> max;
  std::string pattern;

  const Member* find_member(std::string_view member_name) const;
};

inline bool Member::is_streaming() const { return streaming || shape->streaming; }

struct Operation {
  std::string name;
  std::string http_method = "POST";
  std::string request_uri = "/";
  int http_response_code = 200;
  const Shape* input = nullptr;    // null when the operation takes no input
  const Shape* output = nullptr;   // null when it returns nothing
  std::string input_location_name;   // rest-xml: the root element name of an XML payload
  std::string input_xml_namespace;   // rest-xml: xmlns of that root element
  std::string result_wrapper;        // query: <OperationResult> element holding the output
  std::string host_prefix;           // endpoint.hostPrefix, e.g. "{AccountId}."
  std::string auth_type;             // "none", "v4-unsigned-body", or empty
  bool checksum_required = false;    // httpChecksumRequired / httpChecksum.requestChecksumRequired
  bool deprecated = false;
  // Reads cannot change state; with an idempotency token a write is safe to retry too.
  bool idempotent() const;
};

struct Paginator {
  std::vector<std::string> input_tokens;
  std::vector<std::string> output_tokens;   // JMESPath-lite expressions, e.g. "NextToken"
  std::string limit_key;
  std::vector<std::string> result_keys;
  std::string more_results;
  std::vector<std::string> non_aggregate_keys;
};

struct ServiceModel {
  std::string name;               // firebreak's name: "ec2", "sso-admin"
  std::string protocol;           // "ec2" | "query" | "json" | "rest-json" | "rest-xml"
  std::string api_version;
  std::string endpoint_prefix;
  std::string signing_name;
  std::string service_id;         // "EC2", "SSO Admin": AWS_ENDPOINT_URL_<ID> derives from it
  std::string target_prefix;      // json: X-Amz-Target prefix
  std::string json_version;       // json: application/x-amz-json-<v>
  std::string xml_namespace;      // rest-xml: metadata.xmlNamespace.uri
  std::string global_endpoint;
  std::map<std::string, Operation, std::less<>> operations;
  std::map<std::string, std::unique_ptr<Shape>, std::less<>> shapes;
  std::map<std::string, Paginator, std::less<>> paginators;
  Json waiters;                   // waiters-2.json "waiters", interpreted by the waiter

  // Throws InputError naming the service and operation when the model has no such operation.
  const Operation& operation(std::string_view operation_name) const;
  const Paginator* paginator(std::string_view operation_name) const;
};

// The embedded model of a service, loaded on first use and kept for the process.
// Throws InputError naming the service when firebreak does not embed it. Thread-safe.
const ServiceModel& service_model(std::string_view service);
// Names of every embedded service, sorted.
std::vector<std::string> service_names();
// The embedded endpoints.json (partitions), parsed once.
const Json& endpoints_document();
// Decompresses an embedded blob by name ("ec2", "endpoints").
std::string embedded_json(std::string_view name);

}  // namespace firebreak::aws::model
