#include "firebreak/aws/model/model.h"

#include <libdeflate.h>

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>

#include "firebreak/aws/model/embedded.h"
#include "firebreak/base/error.h"

namespace firebreak::aws::model {
namespace {

// Ordered, so that structure members keep the model's order and output prints as boto3's does.
using RawJson = nlohmann::ordered_json;

const std::map<std::string, ShapeType, std::less<>>& shape_types() {
  static const std::map<std::string, ShapeType, std::less<>> types = {
      {"structure", ShapeType::Structure}, {"list", ShapeType::List},
      {"map", ShapeType::Map},             {"string", ShapeType::String},
      {"integer", ShapeType::Integer},     {"long", ShapeType::Long},
      {"float", ShapeType::Float},         {"double", ShapeType::Double},
      {"boolean", ShapeType::Boolean},     {"timestamp", ShapeType::Timestamp},
      {"blob", ShapeType::Blob},           {"bigdecimal", ShapeType::Double},
      {"biginteger", ShapeType::Long},     {"short", ShapeType::Integer},
      {"byte", ShapeType::Integer},        {"document", ShapeType::Structure},
  };
  return types;
}

Location parse_location(const std::string& location) {
  if (location.empty()) return Location::Body;
  if (location == "header") return Location::Header;
  if (location == "headers") return Location::Headers;
  if (location == "querystring") return Location::QueryString;
  if (location == "uri") return Location::Uri;
  if (location == "statusCode") return Location::StatusCode;
  throw Error("unknown member location in service model: " + location);
}

std::string string_at(const RawJson& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool bool_at(const RawJson& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

std::vector<std::string> strings_at(const RawJson& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return {};
  if (it->is_string()) return {it->get<std::string>()};
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

class ModelBuilder {
 public:
  explicit ModelBuilder(ServiceModel& model) : model_(model) {}

  void build(std::string_view name, const RawJson& document) {
    const RawJson& service = document.at("service");
    read_metadata(name, service.at("metadata"));
    for (const auto& [shape_name, raw] : service.at("shapes").items()) {
      auto shape = std::make_unique<Shape>();
      shape->name = shape_name;
      model_.shapes.emplace(shape_name, std::move(shape));
    }
    for (const auto& [shape_name, raw] : service.at("shapes").items()) {
      read_shape(*model_.shapes.find(shape_name)->second, raw);
    }
    for (const auto& [op_name, raw] : service.at("operations").items()) {
      model_.operations.emplace(op_name, read_operation(op_name, raw));
    }
    for (const auto& [op_name, raw] : document.at("paginators").items()) {
      Paginator p;
      p.input_tokens = strings_at(raw, "input_token");
      p.output_tokens = strings_at(raw, "output_token");
      p.limit_key = string_at(raw, "limit_key");
      p.result_keys = strings_at(raw, "result_key");
      p.more_results = string_at(raw, "more_results");
      p.non_aggregate_keys = strings_at(raw, "non_aggregate_keys");
      model_.paginators.emplace(op_name, std::move(p));
    }
    model_.waiters = document.at("waiters");
  }

 private:
  void read_metadata(std::string_view name, const RawJson& metadata) {
    model_.name = std::string(name);
    model_.protocol = string_at(metadata, "protocol");
    // Newer models list several protocols; take the first one firebreak speaks.
    static const char* kSpoken[] = {"ec2", "query", "json", "rest-json", "rest-xml"};
    for (const auto& candidate : strings_at(metadata, "protocols")) {
      if (std::find(std::begin(kSpoken), std::end(kSpoken), candidate) != std::end(kSpoken)) {
        model_.protocol = candidate;
        break;
      }
    }
    model_.api_version = string_at(metadata, "apiVersion");
    model_.endpoint_prefix = string_at(metadata, "endpointPrefix");
    model_.signing_name = string_at(metadata, "signingName");
    if (model_.signing_name.empty()) model_.signing_name = model_.endpoint_prefix;
    model_.service_id = string_at(metadata, "serviceId");
    model_.target_prefix = string_at(metadata, "targetPrefix");
    model_.json_version = string_at(metadata, "jsonVersion");
    model_.global_endpoint = string_at(metadata, "globalEndpoint");
    if (auto it = metadata.find("xmlNamespace"); it != metadata.end()) {
      model_.xml_namespace = it->is_object() ? string_at(*it, "uri") : it->get<std::string>();
    }
  }

  const Shape* resolve(const std::string& shape_name) {
    auto it = model_.shapes.find(shape_name);
    if (it == model_.shapes.end()) {
      throw Error("service model " + model_.name + " refers to unknown shape " + shape_name);
    }
    return it->second.get();
  }

  Member read_member(const std::string& member_name, const RawJson& raw) {
    Member m;
    m.name = member_name;
    m.shape = resolve(raw.at("shape").get<std::string>());
    m.location = parse_location(string_at(raw, "location"));
    m.location_name = string_at(raw, "locationName");
    m.query_name = string_at(raw, "queryName");
    if (auto ns = raw.find("xmlNamespace"); ns != raw.end() && ns->is_object()) {
      m.xml_namespace_uri = string_at(*ns, "uri");
      m.xml_namespace_prefix = string_at(*ns, "prefix");
    }
    m.timestamp_format = string_at(raw, "timestampFormat");
    m.xml_attribute = bool_at(raw, "xmlAttribute");
    m.flattened = bool_at(raw, "flattened");
    m.idempotency_token = bool_at(raw, "idempotencyToken");
    m.host_label = bool_at(raw, "hostLabel");
    m.json_value = bool_at(raw, "jsonvalue");
    m.event_payload = bool_at(raw, "eventpayload");
    m.streaming = bool_at(raw, "streaming");
    return m;
  }

  void read_shape(Shape& shape, const RawJson& raw) {
    const std::string type = string_at(raw, "type");
    auto it = shape_types().find(type);
    if (it == shape_types().end()) {
      throw Error("service model " + model_.name + " shape " + shape.name + " has unknown type " + type);
    }
    shape.type = it->second;
    shape.document = type == "document" || bool_at(raw, "document");
    shape.exception = bool_at(raw, "exception");
    shape.union_ = bool_at(raw, "union");
    shape.flattened = bool_at(raw, "flattened");
    shape.streaming = bool_at(raw, "streaming");
    shape.sensitive = bool_at(raw, "sensitive");
    shape.is_event_stream = bool_at(raw, "eventstream");
    shape.location_name = string_at(raw, "locationName");
    shape.timestamp_format = string_at(raw, "timestampFormat");
    shape.payload = string_at(raw, "payload");
    shape.pattern = string_at(raw, "pattern");
    shape.enum_values = strings_at(raw, "enum");
    if (auto ns = raw.find("xmlNamespace"); ns != raw.end() && ns->is_object()) {
      shape.xml_namespace_uri = string_at(*ns, "uri");
      shape.xml_namespace_prefix = string_at(*ns, "prefix");
    }
    if (auto v = raw.find("min"); v != raw.end() && v->is_number()) shape.min = v->get<double>();
    if (auto v = raw.find("max"); v != raw.end() && v->is_number()) shape.max = v->get<double>();
    if (auto members = raw.find("members"); members != raw.end()) {
      std::vector<std::string> required = strings_at(raw, "required");
      for (const auto& [member_name, member_raw] : members->items()) {
        Member m = read_member(member_name, member_raw);
        m.required = std::find(required.begin(), required.end(), member_name) != required.end();
        shape.members.push_back(std::move(m));
      }
    }
    if (auto member = raw.find("member"); member != raw.end()) shape.member = read_member("member", *member);
    if (auto key = raw.find("key"); key != raw.end()) shape.key = read_member("key", *key);
    if (auto value = raw.find("value"); value != raw.end()) shape.value = read_member("value", *value);
  }

  Operation read_operation(const std::string& op_name, const RawJson& raw) {
    Operation op;
    op.name = op_name;
    if (auto http = raw.find("http"); http != raw.end()) {
      op.http_method = string_at(*http, "method");
      op.request_uri = string_at(*http, "requestUri");
      if (auto code = http->find("responseCode"); code != http->end()) op.http_response_code = code->get<int>();
    }
    if (auto input = raw.find("input"); input != raw.end()) {
      op.input = resolve(input->at("shape").get<std::string>());
      op.input_location_name = string_at(*input, "locationName");
      if (auto ns = input->find("xmlNamespace"); ns != input->end() && ns->is_object()) {
        op.input_xml_namespace = string_at(*ns, "uri");
      }
    }
    if (auto output = raw.find("output"); output != raw.end()) {
      op.output = resolve(output->at("shape").get<std::string>());
      op.result_wrapper = string_at(*output, "resultWrapper");
    }
    if (auto endpoint = raw.find("endpoint"); endpoint != raw.end()) {
      op.host_prefix = string_at(*endpoint, "hostPrefix");
    }
    op.auth_type = string_at(raw, "authtype");
    if (op.auth_type.empty()) {
      // Smithy-era models say "auth": ["smithy.api#noAuth"] instead.
      for (const auto& scheme : strings_at(raw, "auth")) {
        if (scheme == "smithy.api#noAuth") op.auth_type = "none";
      }
    }
    op.checksum_required = bool_at(raw, "httpChecksumRequired");
    if (auto checksum = raw.find("httpChecksum"); checksum != raw.end()) {
      op.checksum_required = op.checksum_required || bool_at(*checksum, "requestChecksumRequired");
    }
    op.deprecated = bool_at(raw, "deprecated");
    return op;
  }

  ServiceModel& model_;
};

std::string gunzip(std::span<const unsigned char> data, std::string_view name) {
  // The gzip trailer's last four bytes hold the uncompressed size (mod 2^32; models are small).
  if (data.size() < 18) throw Error("embedded model " + std::string(name) + " is truncated");
  const unsigned char* tail = data.data() + data.size() - 4;
  size_t size = size_t(tail[0]) | size_t(tail[1]) << 8 | size_t(tail[2]) << 16 | size_t(tail[3]) << 24;
  std::string out(size, '\0');
  std::unique_ptr<libdeflate_decompressor, decltype(&libdeflate_free_decompressor)> decompressor(
      libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
  size_t actual = 0;
  if (libdeflate_gzip_decompress(decompressor.get(), data.data(), data.size(), out.data(), out.size(),
                                 &actual) != LIBDEFLATE_SUCCESS) {
    throw Error("embedded model " + std::string(name) + " does not decompress");
  }
  out.resize(actual);
  return out;
}

const EmbeddedModel* find_embedded(std::string_view name) {
  for (const auto& entry : embedded_models()) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

}  // namespace

const Member* Shape::find_member(std::string_view member_name) const {
  for (const auto& m : members) {
    if (m.name == member_name) return &m;
  }
  return nullptr;
}

bool Operation::idempotent() const {
  static const char* kReadPrefixes[] = {"Describe", "List", "Get", "Head", "Lookup", "Search"};
  for (const char* prefix : kReadPrefixes) {
    if (name.starts_with(prefix)) return true;
  }
  if (http_method == "GET" || http_method == "HEAD") return true;
  if (input) {
    for (const auto& m : input->members) {
      if (m.idempotency_token) return true;
    }
  }
  return false;
}

const Operation& ServiceModel::operation(std::string_view operation_name) const {
  auto it = operations.find(operation_name);
  if (it == operations.end()) {
    throw InputError("the " + name + " API has no operation " + std::string(operation_name) +
                     " (operation names are as in boto3's documentation, e.g. DescribeInstances)");
  }
  return it->second;
}

const Paginator* ServiceModel::paginator(std::string_view operation_name) const {
  auto it = paginators.find(operation_name);
  return it == paginators.end() ? nullptr : &it->second;
}

std::string embedded_json(std::string_view name) {
  const EmbeddedModel* entry = find_embedded(name);
  if (!entry) throw InputError("firebreak has no model for service '" + std::string(name) + "'");
  return gunzip(entry->gzip, name);
}

const ServiceModel& service_model(std::string_view service) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<ServiceModel>, std::less<>> loaded;
  std::lock_guard lock(mutex);
  if (auto it = loaded.find(service); it != loaded.end()) return *it->second;
  if (service == "endpoints" || !find_embedded(service)) {
    std::string known;
    for (const auto& name : service_names()) known += (known.empty() ? "" : ", ") + name;
    throw InputError("unknown service '" + std::string(service) + "' (firebreak knows: " + known + ")");
  }
  auto model = std::make_unique<ServiceModel>();
  ModelBuilder(*model).build(service, RawJson::parse(embedded_json(service)));
  return *loaded.emplace(std::string(service), std::move(model)).first->second;
}

std::vector<std::string> service_names() {
  std::vector<std::string> names;
  for (const auto& entry : embedded_models()) {
    if (entry.name != "endpoints") names.emplace_back(entry.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

const Json& endpoints_document() {
  static const Json document = Json::parse(embedded_json("endpoints"));
  return document;
}

}  // namespace firebreak::aws::model
