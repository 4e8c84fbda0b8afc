#include "firebreak/aws/protocol/query.h"

#include <fmt/format.h>

#include <cctype>
#include <string>

#include "firebreak/aws/protocol/protocols.h"
#include "firebreak/aws/protocol/rest.h"
#include "firebreak/aws/protocol/validate.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"

namespace firebreak::aws::protocol {
namespace {

using model::Member;
using model::Shape;
using model::ShapeType;

// application/x-www-form-urlencoded as Python's urlencode writes it (botocore's body):
// unreserved characters kept, space as '+', everything else %XX.
void append_form_encoded(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
}

// Writes form parameters; `prefix` is the dotted name being built, grown and shrunk in place.
class FormWriter {
 public:
  FormWriter(QueryDialect dialect, std::string& body) : dialect_(dialect), body_(body) {}

  void members(const Shape& shape, const Json& value, std::string& prefix) {
    for (const auto& [key, item] : value.items()) {
      const Member* member = shape.find_member(key);
      if (!member) throw InputError(fmt::format("unknown parameter {}{}{}", prefix, prefix.empty() ? "" : ".", key));
      const size_t mark = prefix.size();
      if (!prefix.empty()) prefix += '.';
      append_name(prefix, *member, key);
      write(*member, item, prefix);
      prefix.resize(mark);
    }
  }

 private:
  void write(const Member& member, const Json& value, std::string& prefix) {
    switch (member.shape->type) {
      case ShapeType::Structure:
        return members(*member.shape, value, prefix);
      case ShapeType::List:
        return list(member, value, prefix);
      case ShapeType::Map:
        return map(member, value, prefix);
      default:
        return parameter(prefix, scalar_text(member, value));
    }
  }

  void list(const Member& member, const Json& value, std::string& prefix) {
    if (value.empty()) {
      // Query sends an empty list so that the service clears it; ec2 sends nothing.
      if (dialect_ == QueryDialect::Query) parameter(prefix, "");
      return;
    }
    const Member& item = *member.shape->member;
    const size_t mark = prefix.size();
    std::string renamed;  // the prefix before a flattened list renamed its last part
    if (dialect_ == QueryDialect::Query) {
      if (!is_flattened(member)) {
        prefix += '.';
        prefix += serialized_name(item, "member");
      } else if (std::string_view item_name = serialized_name(item, {}); !item_name.empty()) {
        // A flattened list whose items are named replaces the member's own name with theirs.
        renamed = prefix;
        const size_t dot = prefix.rfind('.');
        prefix.resize(dot == std::string::npos ? 0 : dot + 1);
        prefix += item_name;
      }
    }
    const size_t base = prefix.size();
    size_t position = 0;
    for (const auto& element : value) {
      prefix.resize(base);
      prefix += '.';
      prefix += std::to_string(++position);
      write(item, element, prefix);
    }
    if (renamed.empty()) {
      prefix.resize(mark);
    } else {
      prefix = std::move(renamed);
    }
  }

  void map(const Member& member, const Json& value, std::string& prefix) {
    const Shape& shape = *member.shape;
    const size_t mark = prefix.size();
    if (!is_flattened(member)) prefix += ".entry";
    const size_t base = prefix.size();
    size_t position = 0;
    for (const auto& [key, item] : value.items()) {
      prefix.resize(base);
      prefix += '.';
      prefix += std::to_string(++position);
      prefix += '.';
      const size_t entry = prefix.size();
      append_name(prefix, *shape.key, "key");
      parameter(prefix, key);
      prefix.resize(entry);
      append_name(prefix, *shape.value, "value");
      write(*shape.value, item, prefix);
    }
    prefix.resize(mark);
  }

  // Query uses the locationName; ec2 prefers queryName, else capitalises the locationName.
  void append_name(std::string& prefix, const Member& member, std::string_view fallback) const {
    if (dialect_ == QueryDialect::Query) {
      prefix += serialized_name(member, fallback);
      return;
    }
    if (!member.query_name.empty()) {
      prefix += member.query_name;
      return;
    }
    const std::string_view name = serialized_name(member, {});
    if (name.empty()) {
      prefix += fallback;
      return;
    }
    prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(name.front())));
    prefix += name.substr(1);
  }

  void parameter(std::string_view name, std::string_view value) {
    body_ += '&';
    append_form_encoded(body_, name);
    body_ += '=';
    append_form_encoded(body_, value);
  }

  QueryDialect dialect_;
  std::string& body_;
};

class QueryProtocol final : public Protocol {
 public:
  SerializedRequest serialize(const model::ServiceModel& service, const model::Operation& operation,
                              const Json& input) const override {
    return serialize_query_request(service, operation, input, QueryDialect::Query);
  }

  // <OperationResponse><OperationResult>members</OperationResult>
  // <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></OperationResponse>
  Json parse(const model::ServiceModel& service, const model::Operation& operation,
             const HttpResponse& response) const override {
    pugi::xml_document document;
    load_xml(document, response.body);
    const pugi::xml_node root = document.document_element();
    const pugi::xml_node result = operation.result_wrapper.empty() ? root : xml_child(root, operation.result_wrapper);
    return query_output(operation, result, xml_text(xml_child(xml_child(root, "ResponseMetadata"), "RequestId")),
                        response);
  }

  ErrorDetails parse_error(const model::ServiceModel& service, const model::Operation& operation,
                           const HttpResponse& response) const override {
    return parse_xml_error(response);
  }
};

}  // namespace

SerializedRequest serialize_query_request(const model::ServiceModel& service, const model::Operation& operation,
                                          const Json& input, QueryDialect dialect) {
  Json storage;
  const Json& params = with_idempotency_tokens(operation, input, storage);
  SerializedRequest out;
  HttpRequest& http = out.http;
  http.method = operation.http_method.empty() ? "POST" : operation.http_method;
  http.path = "/";
  http.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  http.body = "Action=";
  append_form_encoded(http.body, operation.name);
  http.body += "&Version=";
  append_form_encoded(http.body, service.api_version);
  if (operation.input && params.is_object()) {
    std::string prefix;
    FormWriter(dialect, http.body).members(*operation.input, params, prefix);
  }
  out.host_prefix = resolve_host_prefix(operation, params);
  return out;
}

Json query_output(const model::Operation& operation, pugi::xml_node result, std::string_view request_id,
                  const HttpResponse& response) {
  Json out = Json::object();
  if (operation.output && result) parse_xml_members(*operation.output, result, out);
  out["ResponseMetadata"] = response_metadata(response, request_id.empty() ? header_request_id(response)
                                                                            : std::string(request_id));
  return out;
}

const Protocol& query_protocol() {
  static const QueryProtocol protocol;
  return protocol;
}

}  // namespace firebreak::aws::protocol
