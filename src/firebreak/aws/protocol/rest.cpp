#include "firebreak/aws/protocol/rest.h"

#include <fmt/format.h>
#include <strings.h>

#include <charconv>
#include <cmath>
#include <optional>

#include "firebreak/aws/protocol/validate.h"
#include "firebreak/base/crypto.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"

namespace firebreak::aws::protocol {
namespace {

using model::Location;
using model::Member;
using model::Shape;
using model::ShapeType;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && strncasecmp(text.data(), prefix.data(), prefix.size()) == 0;
}

// A response header's value; a header sent more than once reads as its values joined with ", "
// (RFC 9110), as Python's HTTP client presents it to botocore.
std::optional<std::string> find_header(const HeaderList& headers, std::string_view name) {
  std::optional<std::string> found;
  for (const auto& [key, value] : headers) {
    if (!iequals(key, name)) continue;
    if (found) {
      *found += ", ";
      *found += value;
    } else {
      found = value;
    }
  }
  return found;
}

std::string double_text(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// Scalar text for URI labels and query parameters (botocore's _get_uri_and_query_string_value):
// as in bodies, except that blobs go as their bytes.
std::string uri_scalar_text(const Member& member, const Json& value) {
  return member.shape->type == ShapeType::Blob ? blob_input(value) : scalar_text(member, value);
}

// A string in a comma-joined header list is quoted when it would otherwise split wrongly.
std::string header_list_item(const std::string& text) {
  if (text.find_first_of(",\"") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// Iterating a JSON scalar visits the scalar itself, so containers are checked up front.
void require(bool ok, const Member& member, const char* what) {
  if (!ok) throw InputError(fmt::format("parameter {} must be {}", member.name, what));
}

void append_query(HeaderList& query, const std::string& name, const Member& member, const Json& value) {
  if (member.shape->type == ShapeType::List) {
    require(value.is_array(), member, "a list");
    for (const auto& item : value) {
      if (!item.is_null()) query.emplace_back(name, uri_scalar_text(*member.shape->member, item));
    }
  } else {
    query.emplace_back(name, uri_scalar_text(member, value));
  }
}

const Member* uri_member(const Shape& input, std::string_view label) {
  for (const auto& m : input.members) {
    if (m.location == Location::Uri && m.wire_name() == label) return &m;
  }
  return nullptr;
}

// requestUri's path with each {Label} / {Label+} replaced by its percent-encoded input value.
std::string expand_path(std::string_view uri_template, const Shape* input_shape, const Json& input) {
  std::string path;
  path.reserve(uri_template.size() + 32);
  size_t pos = 0;
  while (pos < uri_template.size()) {
    size_t open = uri_template.find('{', pos);
    if (open == std::string_view::npos) {
      path.append(uri_template.substr(pos));
      break;
    }
    size_t close = uri_template.find('}', open);
    if (close == std::string_view::npos) {
      throw Error(fmt::format("malformed requestUri in service model: {}", uri_template));
    }
    path.append(uri_template.substr(pos, open - pos));
    std::string_view label = uri_template.substr(open + 1, close - open - 1);
    const bool greedy = label.ends_with('+');
    if (greedy) label.remove_suffix(1);
    const Member* member = input_shape ? uri_member(*input_shape, label) : nullptr;
    if (!member) throw Error(fmt::format("service model has no URI member for label {{{}}}", label));
    auto value = input.find(member->name);
    if (value == input.end() || value->is_null()) {
      throw InputError(fmt::format("missing required parameter {} (part of the request path)", member->name));
    }
    std::string text = uri_scalar_text(*member, *value);
    if (text.empty()) {
      throw InputError(
          fmt::format("parameter {} must not be empty (part of the request path)", member->name));
    }
    path += uri_encode(text, greedy);
    pos = close + 1;
  }
  return path;
}

void append_literal_query(std::string_view literal, HeaderList& query) {
  while (!literal.empty()) {
    size_t amp = literal.find('&');
    std::string_view item = literal.substr(0, amp);
    if (!item.empty()) {
      size_t eq = item.find('=');
      if (eq == std::string_view::npos) {
        query.emplace_back(uri_decode(item), std::string());
      } else {
        query.emplace_back(uri_decode(item.substr(0, eq)), uri_decode(item.substr(eq + 1)));
      }
    }
    if (amp == std::string_view::npos) break;
    literal.remove_prefix(amp + 1);
  }
}

bool valid_host_label(std::string_view value) {
  if (value.empty()) return false;
  for (unsigned char c : value) {
    if (!std::isalnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

template <typename Number>
Number parse_number(std::string_view text, const Member& member) {
  Number value{};
  std::string_view trimmed = text;
  while (!trimmed.empty() && trimmed.front() == ' ') trimmed.remove_prefix(1);
  while (!trimmed.empty() && trimmed.back() == ' ') trimmed.remove_suffix(1);
  auto [end, ec] = std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), value);
  if (ec != std::errc() || end != trimmed.data() + trimmed.size()) {
    throw Error(fmt::format("response header {} is not a number: '{}'", member.wire_name(), text));
  }
  return value;
}

}  // namespace

std::string resolve_host_prefix(const model::Operation& operation, const Json& input) {
  const std::string& expression = operation.host_prefix;
  if (expression.empty()) return {};
  std::string out;
  size_t pos = 0;
  while (pos < expression.size()) {
    size_t open = expression.find('{', pos);
    size_t close = open == std::string::npos ? open : expression.find('}', open);
    if (close == std::string::npos) {
      out.append(expression, pos);
      break;
    }
    out.append(expression, pos, open - pos);
    const std::string label = expression.substr(open + 1, close - open - 1);
    auto value = input.find(label);
    if (value == input.end() || !value->is_string()) {
      throw InputError(fmt::format("missing required parameter {} (part of the host name)", label));
    }
    const std::string& text = value->get_ref<const std::string&>();
    if (!valid_host_label(text)) {
      throw InputError(fmt::format("invalid value for parameter {}: '{}' must contain only alphanumeric "
                                   "characters, hyphen, or period (it becomes part of the host name)",
                                   label, text));
    }
    out += text;
    pos = close + 1;
  }
  return out;
}

const Json& with_idempotency_tokens(const model::Operation& operation, const Json& input, Json& storage) {
  if (!operation.input) return input;
  const Json* current = &input;
  for (const auto& member : operation.input->members) {
    if (!member.idempotency_token) continue;
    auto it = current->find(member.name);
    if (it != current->end() && !it->is_null()) continue;
    if (current != &storage) {
      storage = input.is_null() ? Json::object() : input;
      current = &storage;
    }
    storage[member.name] = random_uuid();
  }
  return *current;
}

std::string_view timestamp_format(const model::Member& member, std::string_view fallback) {
  if (!member.timestamp_format.empty()) return member.timestamp_format;
  if (!member.shape->timestamp_format.empty()) return member.shape->timestamp_format;
  return fallback;
}

std::string format_timestamp(SystemTime t, std::string_view format) {
  // Microseconds, as Python's datetime holds them.
  const auto whole = std::chrono::floor<std::chrono::seconds>(t);
  const auto fraction = std::chrono::floor<std::chrono::microseconds>(t - whole).count();
  if (iequals(format, "unixTimestamp")) {
    if (fraction == 0) return std::to_string(whole.time_since_epoch().count());
    const auto micros = std::chrono::floor<std::chrono::microseconds>(t).time_since_epoch().count();
    return double_text(static_cast<double>(micros) / 1e6);
  }
  if (iequals(format, "rfc822")) return format_rfc822(whole);
  std::string text = format_iso8601(whole);  // "2024-01-02T03:04:05Z"
  if (fraction != 0) text.insert(text.size() - 1, fmt::format(".{:06d}", fraction));
  return text;
}

std::string format_number(const Json& number) {
  if (number.is_number_unsigned()) return std::to_string(number.get<uint64_t>());
  if (number.is_number_integer()) return std::to_string(number.get<int64_t>());
  return double_text(number.get<double>());
}

std::string scalar_text(const Member& member, const Json& value) {
  switch (member.shape->type) {
    case ShapeType::Boolean:
      return value.get<bool>() ? "true" : "false";
    case ShapeType::Timestamp:
      return format_timestamp(timestamp_input(value), timestamp_format(member, "iso8601"));
    case ShapeType::Blob:
      return base64_encode(blob_input(value));
    case ShapeType::Integer:
    case ShapeType::Long:
    case ShapeType::Float:
    case ShapeType::Double:
      return format_number(value);
    default:
      return value.get<std::string>();
  }
}

Json blob_output(std::string_view base64) {
  std::string bytes;
  try {
    bytes = base64_decode(base64);
  } catch (const InputError& e) {
    throw Error("the response holds a blob that is not base64", e);
  }
  return Json::binary(Json::binary_t::container_type(bytes.begin(), bytes.end()));
}

std::string header_request_id(const HttpResponse& response) {
  if (auto id = find_header(response.headers, "x-amzn-requestid")) return *id;
  if (auto id = find_header(response.headers, "x-amz-request-id")) return *id;
  return {};
}

Json response_metadata(const HttpResponse& response, std::string_view request_id) {
  Json metadata = Json::object();
  if (!request_id.empty()) metadata["RequestId"] = request_id;
  if (find_header(response.headers, "x-amz-request-id")) {
    metadata["HostId"] = find_header(response.headers, "x-amz-id-2").value_or("");
  }
  metadata["HTTPStatusCode"] = response.status;
  Json headers = Json::object();
  for (const auto& [name, value] : response.headers) {
    std::string key = to_lower(name);
    auto it = headers.find(key);
    if (it == headers.end()) {
      headers.emplace(std::move(key), value);
    } else {
      it->get_ref<std::string&>().append(", ").append(value);
    }
  }
  metadata["HTTPHeaders"] = std::move(headers);
  metadata["RetryAttempts"] = 0;
  return metadata;
}

void serialize_rest_request(const model::Operation& operation, const Json& input, HttpRequest& request) {
  request.method = operation.http_method.empty() ? "POST" : operation.http_method;
  std::string_view uri = operation.request_uri;
  const size_t question = uri.find('?');
  request.path = expand_path(uri.substr(0, question), operation.input, input);
  if (request.path.empty()) request.path = "/";
  if (question != std::string_view::npos) append_literal_query(uri.substr(question + 1), request.query);
  if (!operation.input) return;

  for (const auto& [name, value] : input.items()) {
    if (value.is_null()) continue;
    const Member* member = operation.input->find_member(name);
    if (!member) throw InputError(fmt::format("unknown parameter {} for {}", name, operation.name));
    switch (member->location) {
      case Location::QueryString:
        if (member->shape->type == ShapeType::Map) {
          require(value.is_object(), *member, "an object");
          for (const auto& [key, item] : value.items()) {
            append_query(request.query, key, *member->shape->value, item);
          }
        } else {
          append_query(request.query, member->wire_name(), *member, value);
        }
        break;
      case Location::Header:
        // botocore leaves out an empty list rather than sending an empty header.
        if (member->shape->type == ShapeType::List && value.empty()) break;
        request.headers.emplace_back(member->wire_name(), header_value(*member, value));
        break;
      case Location::Headers:
        require(value.is_object(), *member, "an object");
        for (const auto& [key, item] : value.items()) {
          request.headers.emplace_back(member->wire_name() + key, item.get<std::string>());
        }
        break;
      case Location::Uri:  // expand_path placed it
      case Location::Body:
      case Location::StatusCode:
        break;
    }
  }
}

std::string header_value(const model::Member& member, const Json& value) {
  if (member.json_value) return base64_encode(value.dump());
  switch (member.shape->type) {
    case ShapeType::Timestamp: {
      // Headers carry whole seconds (RFC 822 cannot say more).
      auto t = std::chrono::floor<std::chrono::seconds>(timestamp_input(value));
      return format_timestamp(t, timestamp_format(member, "rfc822"));
    }
    case ShapeType::List: {
      require(value.is_array(), member, "a list");
      const Member& item_member = *member.shape->member;
      std::string out;
      for (const auto& item : value) {
        if (item.is_null()) continue;
        if (!out.empty()) out.push_back(',');
        out += item_member.shape->type == ShapeType::String ? header_list_item(item.get<std::string>())
                                                            : header_value(item_member, item);
      }
      return out;
    }
    case ShapeType::Boolean:
      return value.get<bool>() ? "true" : "false";
    case ShapeType::Blob:
      return base64_encode(blob_input(value));
    case ShapeType::Integer:
    case ShapeType::Long:
    case ShapeType::Float:
    case ShapeType::Double:
      return format_number(value);
    default:
      return value.get<std::string>();
  }
}

void parse_rest_non_body(const model::Shape& output, const HttpResponse& response, Json& out) {
  for (const auto& member : output.members) {
    switch (member.location) {
      case Location::StatusCode:
        out[member.name] = response.status;
        break;
      case Location::Header:
        if (auto text = find_header(response.headers, member.wire_name())) {
          out[member.name] = parse_header_value(member, *text);
        }
        break;
      case Location::Headers: {
        const std::string& prefix = member.wire_name();
        Json map = Json::object();
        for (const auto& [name, value] : response.headers) {
          if (istarts_with(name, prefix)) map[name.substr(prefix.size())] = value;
        }
        out[member.name] = std::move(map);
        break;
      }
      case Location::Body:
      case Location::QueryString:
      case Location::Uri:
        break;
    }
  }
}

Json parse_header_value(const model::Member& member, std::string_view text) {
  switch (member.shape->type) {
    case ShapeType::String:
      if (!member.json_value) return std::string(text);
      try {
        return Json::parse(base64_decode(text));
      } catch (const std::exception& e) {
        throw Error(fmt::format("response header {} does not hold base64 JSON", member.wire_name()), e);
      }
    case ShapeType::Integer:
    case ShapeType::Long:
      return parse_number<int64_t>(text, member);
    case ShapeType::Float:
    case ShapeType::Double:
      return parse_number<double>(text, member);
    case ShapeType::Boolean:
      return iequals(trim(text), "true");
    case ShapeType::Timestamp: {
      auto t = parse_timestamp(trim(text));
      if (!t) {
        throw Error(fmt::format("response header {} is not a timestamp: '{}'", member.wire_name(), text));
      }
      return format_boto_timestamp(*t);
    }
    case ShapeType::Blob:
      return blob_output(trim(text));
    case ShapeType::List: {
      // RFC 9110 list form: comma-separated, optional whitespace around items.
      Json items = Json::array();
      size_t pos = 0;
      while (true) {
        size_t comma = text.find(',', pos);
        items.push_back(parse_header_value(*member.shape->member, trim(text.substr(pos, comma - pos))));
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
      }
      return items;
    }
    case ShapeType::Structure:
    case ShapeType::Map:
      break;
  }
  return std::string(text);
}

}  // namespace firebreak::aws::protocol
