// The "json" protocol (AWS JSON 1.0 / 1.1: ssm, dynamodb, logs, ...) and the JSON body it
// shares with rest-json.
#include "firebreak/aws/protocol/json.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "firebreak/aws/protocol/protocols.h"
#include "firebreak/aws/protocol/rest.h"
#include "firebreak/aws/protocol/validate.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"

namespace firebreak::aws::protocol {
namespace {

using model::Location;
using model::Member;
using model::Shape;
using model::ShapeType;

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

// Writes boto3-shaped input as the wire JSON, straight into one string (no intermediate tree).
class BodyWriter {
 public:
  explicit BodyWriter(std::string& out) : out_(out) {}

  void structure(const Shape& shape, const Json& value, bool top_level) {
    if (shape.document) {
      out_ += value.dump();
      return;
    }
    require(value.is_object(), shape, "an object");
    out_.push_back('{');
    bool first = true;
    for (const auto& [key, item] : value.items()) {
      if (item.is_null()) continue;
      const Member* member = shape.find_member(key);
      if (!member) throw InputError(fmt::format("unknown parameter {} in {}", key, shape.name));
      if (top_level && member->location != Location::Body) continue;
      if (!first) out_.push_back(',');
      first = false;
      append_json_string(out_, member->wire_name());
      out_.push_back(':');
      this->value(*member, item);
    }
    out_.push_back('}');
  }

 private:
  void value(const Member& member, const Json& value) {
    const Shape& shape = *member.shape;
    switch (shape.type) {
      case ShapeType::Structure:
        return structure(shape, value, false);
      case ShapeType::List: {
        require(value.is_array(), shape, "a list");
        out_.push_back('[');
        bool first = true;
        for (const auto& item : value) {
          if (!first) out_.push_back(',');
          first = false;
          this->value(*shape.member, item);
        }
        out_.push_back(']');
        return;
      }
      case ShapeType::Map: {
        require(value.is_object(), shape, "an object");
        out_.push_back('{');
        bool first = true;
        for (const auto& [key, item] : value.items()) {
          if (!first) out_.push_back(',');
          first = false;
          append_json_string(out_, key);
          out_.push_back(':');
          this->value(*shape.value, item);
        }
        out_.push_back('}');
        return;
      }
      case ShapeType::String:
        return append_json_string(out_, value.get_ref<const std::string&>());
      case ShapeType::Boolean:
        out_ += value.get<bool>() ? "true" : "false";
        return;
      case ShapeType::Integer:
      case ShapeType::Long:
        out_ += format_number(value);
        return;
      case ShapeType::Float:
      case ShapeType::Double: {
        // JSON has no NaN or infinities: botocore sends their names as strings.
        if (std::isfinite(value.get<double>())) {
          out_ += format_number(value);
        } else {
          append_json_string(out_, format_number(value));
        }
        return;
      }
      case ShapeType::Timestamp: {
        const std::string_view format = timestamp_format(member, "unixTimestamp");
        const std::string text = format_timestamp(timestamp_input(value), format);
        if (format == "unixTimestamp") {
          out_ += text;
        } else {
          append_json_string(out_, text);
        }
        return;
      }
      case ShapeType::Blob:
        return append_json_string(out_, base64_encode(blob_input(value)));
    }
  }

  // Iterating a JSON scalar visits the scalar itself, so containers are checked up front.
  static void require(bool ok, const Shape& shape, const char* what) {
    if (!ok) throw InputError(fmt::format("a value of type {} must be {}", shape.name, what));
  }

  std::string& out_;
};

// Builds boto3's output straight from the body's parse events, guided by the output shape:
// no intermediate document, and members the model does not know are skipped, not built.
// (Parsing into a document first and then walking it cost twice as much.)
class OutputBuilder {
 public:
  using string_t = Json::string_t;

  OutputBuilder(const Shape& shape, Json& out) : root_shape_(shape), root_(out) {}

  // The reason parsing stopped, when sax_parse returned false.
  const std::string& failure() const { return failure_; }

  bool null() {
    if (skip_depth_ > 0 || (depth_ > 0 && top().kind == Kind::Structure)) return true;  // null is absence
    return scalar(nullptr);
  }
  bool boolean(bool value) { return scalar(value); }
  bool number_integer(Json::number_integer_t value) { return number(value); }
  bool number_unsigned(Json::number_unsigned_t value) { return number(value); }
  bool number_float(Json::number_float_t value, const string_t&) { return number(value); }
  bool binary(Json::binary_t&) { return true; }  // the JSON lexer never produces it

  bool string(string_t& value) {
    if (skipping()) return true;
    if (depth_ == 0) return not_an_object();
    const Shape* shape = value_shape();
    if (shape && shape->type == ShapeType::Timestamp) {
      auto t = parse_timestamp(value);
      if (!t) {
        throw Error(fmt::format("response member of type {} is not a timestamp: '{}'", shape->name, value));
      }
      place(format_boto_timestamp(*t));
    } else if (shape && shape->type == ShapeType::Blob) {
      place(blob_output(value));
    } else {
      place(std::move(value));  // the lexer's buffer, cleared before its next token
    }
    return true;
  }

  bool start_object(std::size_t) {
    if (skipping()) {
      ++skip_depth_;
      return true;
    }
    if (depth_ == 0) {
      push(root_shape_.document ? Kind::Raw : Kind::Structure, &root_shape_, root_);
      return true;
    }
    const Shape* shape = value_shape();
    Json& node = place(Json::object());
    if (shape && shape->type == ShapeType::Structure && !shape->document) {
      push(Kind::Structure, shape, node);
    } else if (shape && shape->type == ShapeType::Map) {
      push(Kind::Map, shape, node);
    } else {
      push(Kind::Raw, nullptr, node);  // a document, or an object where the model has none
    }
    return true;
  }

  bool start_array(std::size_t) {
    if (skipping()) {
      ++skip_depth_;
      return true;
    }
    if (depth_ == 0) return not_an_object();
    const Shape* shape = value_shape();
    Json& node = place(Json::array());
    push(shape && shape->type == ShapeType::List ? Kind::List : Kind::Raw, shape, node);
    return true;
  }

  bool key(string_t& name) {
    if (skip_depth_ > 0) return true;
    Frame& frame = top();
    if (frame.kind != Kind::Structure) {
      frame.key = std::move(name);
      return true;
    }
    frame.member = find_body_member(frame, name);
    if (!frame.member && frame.shape->union_ && frame.unknown.empty() && name != "__type") {
      frame.unknown = name;
    }
    return true;
  }

  bool end_object() {
    if (skip_depth_ > 0) {
      --skip_depth_;
    } else {
      if (top().kind == Kind::Structure) finish_structure(top());
      --depth_;
    }
    return true;
  }

  bool end_array() {
    if (skip_depth_ > 0) {
      --skip_depth_;
    } else {
      --depth_;
    }
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    failure_ = e.what();
    return false;
  }

 private:
  enum class Kind { Structure, List, Map, Raw };
  using Entries = Json::object_t::Container;  // the vector under ordered_map

  struct Frame {
    Kind kind = Kind::Raw;
    const Shape* shape = nullptr;
    Json* node = nullptr;
    size_t first = 0;                // entries before this were in the object already (rest-json headers)
    const Member* member = nullptr;  // Structure: what the next value fills; null skips the value
    size_t hint = 0;                 // Structure: where to start looking for the next key's member
    std::vector<uint32_t> order;     // Structure: model index of each entry added, to restore model order
    std::string key;                 // Map and Raw objects: the next value's key
    std::string unknown;             // union: the first member this model does not know
  };

  static Entries& entries(Json& object) { return object.get_ref<Json::object_t&>(); }

  Frame& top() { return frames_[depth_ - 1]; }

  // A member's value the model does not want: its whole subtree is ignored.
  bool skipping() {
    return skip_depth_ > 0 || (depth_ > 0 && top().kind == Kind::Structure && !top().member);
  }

  bool not_an_object() {
    failure_ = "the body is not a JSON object";
    return false;
  }

  template <typename Value>
  bool scalar(Value&& value) {
    if (skipping()) return true;
    if (depth_ == 0) return not_an_object();
    place(std::forward<Value>(value));
    return true;
  }

  template <typename Number>
  bool number(Number value) {
    if (skipping()) return true;
    if (depth_ == 0) return not_an_object();
    const Shape* shape = value_shape();
    if (shape && shape->type == ShapeType::Timestamp) {
      place(format_boto_timestamp(from_epoch_seconds(static_cast<double>(value))));
    } else {
      place(value);
    }
    return true;
  }

  // The shape of the value about to arrive; null inside documents and unmodelled objects.
  const Shape* value_shape() {
    const Frame& frame = top();
    switch (frame.kind) {
      case Kind::Structure: return frame.member->shape;
      case Kind::List: return frame.shape->member->shape;
      case Kind::Map: return frame.shape->value->shape;
      case Kind::Raw: return nullptr;
    }
    return nullptr;
  }

  // Stores the next value where the open container wants it, and returns it.
  Json& place(Json value) {
    Frame& frame = top();
    if (frame.node->is_array()) {
      auto& array = frame.node->get_ref<Json::array_t&>();
      array.push_back(std::move(value));
      return array.back();
    }
    Entries& object = entries(*frame.node);
    if (frame.kind == Kind::Structure) {
      frame.order.push_back(static_cast<uint32_t>(frame.member - frame.shape->members.data()));
      object.emplace_back(frame.member->name, std::move(value));  // member names are distinct
    } else {
      object.emplace_back(std::move(frame.key), std::move(value));
    }
    return object.back().second;
  }

  void push(Kind kind, const Shape* shape, Json& node) {
    if (depth_ == frames_.size()) frames_.emplace_back();
    Frame& frame = frames_[depth_++];  // reused, so that its vectors keep their capacity
    frame.kind = kind;
    frame.shape = shape;
    frame.node = &node;
    frame.first = node.is_object() ? entries(node).size() : 0;
    frame.member = nullptr;
    frame.hint = 0;
    frame.order.clear();
    frame.unknown.clear();
  }

  // Services tend to send members in model order: look from just after the last match.
  static const Member* find_body_member(Frame& frame, std::string_view wire_name) {
    const auto& members = frame.shape->members;
    for (size_t n = 0; n < members.size(); ++n) {
      const size_t i = (frame.hint + n) % members.size();
      if (members[i].location == Location::Body && members[i].wire_name() == wire_name) {
        frame.hint = i + 1;
        return &members[i];
      }
    }
    return nullptr;
  }

  void finish_structure(Frame& frame) {
    Entries& object = entries(*frame.node);
    if (frame.shape->union_ && object.size() == frame.first && !frame.unknown.empty()) {
      object.emplace_back("SDK_UNKNOWN_MEMBER", Json{{"name", std::move(frame.unknown)}});  // as botocore
      return;
    }
    if (std::is_sorted(frame.order.begin(), frame.order.end())) return;
    // boto3 lists members in model order whatever order the service sent them in.
    std::vector<size_t> positions(frame.order.size());
    for (size_t i = 0; i < positions.size(); ++i) positions[i] = i;
    std::sort(positions.begin(), positions.end(),
              [&](size_t a, size_t b) { return frame.order[a] < frame.order[b]; });
    Entries sorted;
    sorted.reserve(object.size());
    for (size_t i = 0; i < frame.first; ++i) sorted.emplace_back(std::move(object[i]));
    for (size_t position : positions) sorted.emplace_back(std::move(object[frame.first + position]));
    object.swap(sorted);
  }

  const Shape& root_shape_;
  Json& root_;
  std::vector<Frame> frames_;
  size_t depth_ = 0;
  int skip_depth_ = 0;
  std::string failure_;
};

// A JSON document, or nullopt when the text is not JSON.
std::optional<Json> try_parse(std::string_view body) {
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

const std::string* string_member(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

// "aws.protocols#ResourceNotFoundException:http://internal..." -> "ResourceNotFoundException".
std::string clean_code(std::string_view code) {
  code = code.substr(0, code.find(':'));
  if (size_t hash = code.rfind('#'); hash != std::string_view::npos) code.remove_prefix(hash + 1);
  return trim(code);
}

class JsonProtocol final : public Protocol {
 public:
  SerializedRequest serialize(const model::ServiceModel& service, const model::Operation& operation,
                              const Json& input) const override {
    try {
      Json storage;
      const Json& params = with_idempotency_tokens(operation, input, storage);
      SerializedRequest out;
      out.http.method = operation.http_method.empty() ? "POST" : operation.http_method;
      out.http.path = "/";
      out.http.headers.emplace_back("X-Amz-Target", service.target_prefix + "." + operation.name);
      out.http.headers.emplace_back("Content-Type", "application/x-amz-json-" + service.json_version);
      out.http.body = operation.input ? serialize_json_body(*operation.input, params) : "{}";
      out.host_prefix = resolve_host_prefix(operation, params);
      return out;
    } catch (const Json::exception& e) {
      throw InputError(fmt::format("invalid input for {} {}: {}", service.name, operation.name, e.what()));
    }
  }

  Json parse(const model::ServiceModel& service, const model::Operation& operation,
             const HttpResponse& response) const override {
    Json out = Json::object();
    if (operation.output) parse_json_body(*operation.output, response.body, out);
    out["ResponseMetadata"] = response_metadata(response, header_request_id(response));
    return out;
  }

  ErrorDetails parse_error(const model::ServiceModel& service, const model::Operation& operation,
                           const HttpResponse& response) const override {
    return parse_json_error(response, ErrorCodeOrder::TypeFirst);
  }
};

}  // namespace

std::string serialize_json_body(const model::Shape& shape, const Json& input) {
  static const Json kNoInput = Json::object();
  std::string out;
  out.reserve(256);
  BodyWriter(out).structure(shape, input.is_null() ? kNoInput : input, true);
  return out;
}

void parse_json_body(const model::Shape& shape, std::string_view body, Json& out) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return;
  OutputBuilder builder(shape, out);
  if (!Json::sax_parse(body, &builder)) throw Error("could not read the response body: " + builder.failure());
}

ErrorDetails parse_json_error(const HttpResponse& response, ErrorCodeOrder order) {
  ErrorDetails details;
  details.request_id = header_request_id(response);
  Json body = Json::object();
  if (response.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    if (auto parsed = try_parse(response.body); parsed && parsed->is_object()) {
      body = std::move(*parsed);
    } else {
      details.message = response.body;  // a proxy's or moto's HTML page says what went wrong
    }
  }
  for (const char* key : {"message", "Message", "errorMessage"}) {
    if (const std::string* message = string_member(body, key)) {
      details.message = *message;
      break;
    }
  }

  const std::string* type = string_member(body, "__type");
  const std::string header = response.header("x-amzn-errortype");
  const std::string* code = string_member(body, "code");
  if (!code) code = string_member(body, "Code");
  std::string_view found;
  if (order == ErrorCodeOrder::TypeFirst) {
    found = type ? std::string_view(*type) : !header.empty() ? std::string_view(header)
                                           : code ? std::string_view(*code) : std::string_view();
  } else {
    found = !header.empty() ? std::string_view(header) : code ? std::string_view(*code)
                                                      : type ? std::string_view(*type) : std::string_view();
  }
  details.code = found.empty() ? std::to_string(response.status) : clean_code(found);

  // awsQueryCompatible services name the error the old query API used ("Code;Sender").
  const std::string query_error = response.header("x-amzn-query-error");
  if (size_t semicolon = query_error.find(';'); semicolon != std::string::npos && semicolon > 0 &&
                                                query_error.find(';', semicolon + 1) == std::string::npos) {
    details.code = query_error.substr(0, semicolon);
  }
  return details;
}

const Protocol& json_protocol() {
  static const JsonProtocol protocol;
  return protocol;
}

}  // namespace firebreak::aws::protocol
