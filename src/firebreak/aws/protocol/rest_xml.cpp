#include <strings.h>

#include "firebreak/aws/protocol/protocols.h"
#include "firebreak/aws/protocol/rest.h"
#include "firebreak/aws/protocol/validate.h"
#include "firebreak/aws/protocol/xml.h"
#include "firebreak/base/crypto.h"
#include "firebreak/base/encoding.h"

namespace firebreak::aws::protocol {
namespace {

using model::Location;
using model::Member;
using model::Shape;
using model::ShapeType;

bool has_body_member(const Shape& input, const Json& params) {
  for (const auto& [key, value] : params.items()) {
    const Member* member = input.find_member(key);
    if (member && member->location == Location::Body && !value.is_null()) return true;
  }
  return false;
}

// The request body: a blob or string payload as its bytes, a structure payload as its XML
// document, otherwise the body members under the operation's root element.
std::string request_body(const model::Operation& operation, const Json& params) {
  const Shape* input = operation.input;
  if (!input) return {};
  if (!input->payload.empty()) {
    const Member* payload = input->find_member(input->payload);
    auto value = params.find(input->payload);
    if (!payload || value == params.end() || value->is_null()) return {};
    if (payload->shape->type == ShapeType::Structure) return write_xml_document(*payload, *value);
    return blob_input(*value);
  }
  if (!has_body_member(*input, params)) return {};
  const std::string& root = operation.input_location_name.empty() ? input->name : operation.input_location_name;
  return write_xml_document(*input, params, root, operation.input_xml_namespace);
}

// A checksum the caller supplied (ContentMD5, ChecksumSHA256, ...) is not overridden.
bool has_checksum_header(const HttpRequest& request) {
  for (const auto& [name, value] : request.headers) {
    if (strcasecmp(name.c_str(), "Content-MD5") == 0 || strncasecmp(name.c_str(), "x-amz-checksum-", 15) == 0) {
      return true;
    }
  }
  return false;
}

// S3 answers GetBucketLocation with a bare <LocationConstraint> root element, which its model
// cannot describe (botocore parses it in a handler). Empty text means us-east-1, which boto3
// returns as None: the member is then left out.
bool is_bucket_location(const model::ServiceModel& service, const model::Operation& operation) {
  return service.name == "s3" && operation.name == "GetBucketLocation";
}

// S3 may answer 200 and then fail (CopyObject, UploadPartCopy, CompleteMultipartUpload send an
// <Error> document after the status line): that is a failed call, never an empty result.
pugi::xml_node load_result(pugi::xml_document& document, const model::ServiceModel& service,
                           const model::Operation& operation, const HttpResponse& response) {
  load_xml(document, response.body);
  const pugi::xml_node root = document.document_element();
  if (std::string_view(root.name()) == "Error") {
    throw AwsError(service.name, operation.name, parse_xml_error(response), response.status);
  }
  return root;
}

class RestXmlProtocol final : public Protocol {
 public:
  SerializedRequest serialize(const model::ServiceModel& service, const model::Operation& operation,
                              const Json& input) const override {
    Json storage;
    const Json& params = with_idempotency_tokens(operation, input, storage);
    SerializedRequest out;
    serialize_rest_request(operation, params, out.http);
    out.http.body = request_body(operation, params);
    if (operation.checksum_required && !has_checksum_header(out.http)) {
      out.http.headers.emplace_back("Content-MD5", base64_encode(md5(out.http.body)));
    }
    out.host_prefix = resolve_host_prefix(operation, params);
    return out;
  }

  // ResponseMetadata first (RequestId from x-amz-request-id, HostId from x-amz-id-2), then
  // the header and status members, then the payload or the body members, as boto3 orders them.
  Json parse(const model::ServiceModel& service, const model::Operation& operation,
             const HttpResponse& response) const override {
    Json out = Json::object();
    out["ResponseMetadata"] = response_metadata(response, header_request_id(response));
    if (!operation.output) return out;
    const Shape& output = *operation.output;
    parse_rest_non_body(output, response, out);
    const bool has_body = response.body.find_first_not_of(" \t\r\n") != std::string::npos;
    if (!output.payload.empty()) {
      const Member* payload = output.find_member(output.payload);
      if (!payload) return out;
      switch (payload->shape->type) {
        case ShapeType::Blob:
          out[payload->name] = Json::binary(Json::binary_t::container_type(response.body.begin(), response.body.end()));
          break;
        case ShapeType::String:
          out[payload->name] = response.body;
          break;
        default: {
          Json value = Json::object();
          if (has_body) {
            pugi::xml_document document;
            parse_xml_members(*payload->shape, load_result(document, service, operation, response), value);
          }
          out[payload->name] = std::move(value);
        }
      }
      return out;
    }
    if (!has_body) return out;
    pugi::xml_document document;
    const pugi::xml_node root = load_result(document, service, operation, response);
    if (is_bucket_location(service, operation)) {
      if (std::string_view region = xml_text(root); !region.empty()) out["LocationConstraint"] = region;
      return out;
    }
    parse_xml_members(output, root, out);
    return out;
  }

  // <Error><Code/><Message/><RequestId/></Error> (S3), <ErrorResponse><Error>... (others), or
  // no body at all (HEAD): the status code and its reason phrase.
  ErrorDetails parse_error(const model::ServiceModel& service, const model::Operation& operation,
                           const HttpResponse& response) const override {
    return parse_xml_error(response);
  }
};

}  // namespace

const Protocol& rest_xml_protocol() {
  static const RestXmlProtocol protocol;
  return protocol;
}

}  // namespace firebreak::aws::protocol
