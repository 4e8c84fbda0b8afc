// The "rest-json" protocol (guardduty, securityhub, lambda, account): REST path, query and
// headers from rest.h, and a JSON body (or a raw payload member) from json.h.
#include <fmt/format.h>

#include "firebreak/aws/protocol/json.h"
#include "firebreak/aws/protocol/protocols.h"
#include "firebreak/aws/protocol/rest.h"
#include "firebreak/aws/protocol/validate.h"
#include "firebreak/base/error.h"

namespace firebreak::aws::protocol {
namespace {

using model::Location;
using model::Member;
using model::Shape;
using model::ShapeType;

// A blob or string payload is the body's raw bytes (botocore calls it streaming either way).
bool is_raw_payload(const Member& member) {
  return member.shape->type == ShapeType::Blob || member.shape->type == ShapeType::String;
}

const Member& payload_member(const Shape& shape) {
  const Member* member = shape.find_member(shape.payload);
  if (!member) {
    throw Error(fmt::format("service model shape {} names a missing payload {}", shape.name, shape.payload));
  }
  return *member;
}

bool has_body_members(const Shape& shape) {
  for (const auto& m : shape.members) {
    if (m.location == Location::Body) return true;
  }
  return false;
}

class RestJsonProtocol final : public Protocol {
 public:
  SerializedRequest serialize(const model::ServiceModel& service, const model::Operation& operation,
                              const Json& input) const override {
    try {
      Json storage;
      const Json& params = with_idempotency_tokens(operation, input, storage);
      SerializedRequest out;
      serialize_rest_request(operation, params, out.http);
      out.host_prefix = resolve_host_prefix(operation, params);
      if (operation.input) set_body(*operation.input, params, out.http);
      return out;
    } catch (const Json::exception& e) {
      throw InputError(fmt::format("invalid input for {} {}: {}", service.name, operation.name, e.what()));
    }
  }

  Json parse(const model::ServiceModel& service, const model::Operation& operation,
             const HttpResponse& response) const override {
    Json out = Json::object();
    out["ResponseMetadata"] = response_metadata(response, header_request_id(response));
    if (!operation.output) return out;
    const Shape& shape = *operation.output;
    parse_rest_non_body(shape, response, out);
    if (shape.payload.empty()) {
      parse_json_body(shape, response.body, out);
      return out;
    }
    const Member& payload = payload_member(shape);
    if (payload.shape->is_event_stream) {
      throw Error(fmt::format("{} {} answers with an event stream, which firebreak does not read",
                              service.name, operation.name));
    }
    if (payload.shape->type == ShapeType::Blob) {
      out[payload.name] =
          Json::binary(Json::binary_t::container_type(response.body.begin(), response.body.end()));
    } else if (payload.shape->type == ShapeType::String) {
      out[payload.name] = response.body;
    } else {
      Json value = Json::object();
      parse_json_body(*payload.shape, response.body, value);
      out[payload.name] = std::move(value);
    }
    return out;
  }

  ErrorDetails parse_error(const model::ServiceModel& service, const model::Operation& operation,
                           const HttpResponse& response) const override {
    return parse_json_error(response, ErrorCodeOrder::HeaderFirst);
  }

 private:
  // botocore's rules: a raw payload is sent as is (empty when absent) with no Content-Type of
  // ours; a structure payload or the body members are JSON ("{}" when none are given, so
  // services that expect a body get one); an input with only URI/query/header members has no body.
  static void set_body(const Shape& shape, const Json& params, HttpRequest& request) {
    bool raw = false;
    if (!shape.payload.empty()) {
      const Member& payload = payload_member(shape);
      auto value = params.find(payload.name);
      const bool present = value != params.end() && !value->is_null();
      raw = is_raw_payload(payload);
      if (raw) {
        if (present) request.body = blob_input(*value);
      } else {
        request.body = present ? serialize_json_body(*payload.shape, *value) : "{}";
      }
    } else if (has_body_members(shape)) {
      request.body = serialize_json_body(shape, params);
    }
    if (!raw && !request.body.empty() && !request.has_header("Content-Type")) {
      request.headers.emplace_back("Content-Type", "application/json");
    }
  }
};

}  // namespace

const Protocol& rest_json_protocol() {
  static const RestJsonProtocol protocol;
  return protocol;
}

}  // namespace firebreak::aws::protocol
