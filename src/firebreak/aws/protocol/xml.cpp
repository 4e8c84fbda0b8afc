#include "firebreak/aws/protocol/xml.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "firebreak/aws/protocol/rest.h"
#include "firebreak/aws/protocol/validate.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"
#include "firebreak/base/time.h"

namespace firebreak::aws::protocol {
namespace {

using model::Location;
using model::Member;
using model::Shape;
using model::ShapeType;

constexpr size_t kNotFound = static_cast<size_t>(-1);

// Text nodes are stored in their elements (fewer nodes to walk); whitespace is kept only when
// it is an element's whole text, so "<Prefix> </Prefix>" reads as " " as in ElementTree.
constexpr unsigned kParseOptions = pugi::parse_default | pugi::parse_ws_pcdata_single | pugi::parse_embed_pcdata;

std::string_view local_name(std::string_view name) {
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

bool is_flattened_collection(const Member& member) {
  const ShapeType type = member.shape->type;
  return (type == ShapeType::List || type == ShapeType::Map) && is_flattened(member);
}

// The element a structure member is read from: a flattened list's items carry the item's
// name when it has one.
std::string_view element_name(const Member& member) {
  if (member.shape->type == ShapeType::List && is_flattened(member)) {
    std::string_view item = serialized_name(*member.shape->member, {});
    if (!item.empty()) return item;
  }
  return serialized_name(member, member.name);
}

bool read_from_body(const Member& member) {
  return member.location != Location::Header && member.location != Location::Headers &&
         member.location != Location::StatusCode;
}

// Services mostly write elements in model order, so the search starts after the last member
// found; it costs about what a per-shape index would, without a cache to keep.
size_t find_member(const std::vector<Member>& members, std::string_view name, size_t hint) {
  const size_t count = members.size();
  for (size_t step = 0; step < count; ++step) {
    size_t index = hint + step;
    if (index >= count) index -= count;
    const Member& member = members[index];
    if (read_from_body(member) && element_name(member) == name) return index;
  }
  return kNotFound;
}

// A member found in a structure element: a child element, or an attribute of the element.
struct Found {
  uint32_t member;
  uint32_t sequence;  // document order, so that a flattened list keeps its order when sorted
  pugi::xml_node node;
  pugi::xml_attribute attribute;

  bool operator<(const Found& other) const {
    return member != other.member ? member < other.member : sequence < other.sequence;
  }
};

std::string_view trim_space(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

template <typename Number>
Number parse_number(std::string_view text, const Member& member) {
  const std::string_view trimmed = trim_space(text);
  Number value{};
  auto [end, ec] = std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), value);
  if (trimmed.empty() || ec != std::errc() || end != trimmed.data() + trimmed.size()) {
    throw Error(fmt::format("response element {} is not a number: '{}'", serialized_name(member, member.name), text));
  }
  return value;
}

Json parse_value(const Member& member, pugi::xml_node node);

// One <entry> of a map (or one element of a flattened map), added to `map`.
void parse_map_entry(const Shape& shape, pugi::xml_node entry, Json& map) {
  const std::string_view key_name = serialized_name(*shape.key, "key");
  const std::string_view value_name = serialized_name(*shape.value, "value");
  pugi::xml_node key;
  pugi::xml_node value;
  for (pugi::xml_node child = entry.first_child(); child; child = child.next_sibling()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = local_name(child.name());
    if (name == key_name) {
      key = child;
    } else if (name == value_name) {
      value = child;
    }
  }
  if (key && value) map[std::string(xml_text(key))] = parse_value(*shape.value, value);
}

Json parse_value(const Member& member, pugi::xml_node node) {
  const Shape& shape = *member.shape;
  switch (shape.type) {
    case ShapeType::Structure: {
      Json object = Json::object();
      parse_xml_members(shape, node, object);
      return object;
    }
    case ShapeType::List: {
      // A wrapped list's items are all its child elements, whatever their name (as botocore).
      Json list = Json::array();
      for (pugi::xml_node item = node.first_child(); item; item = item.next_sibling()) {
        if (item.type() == pugi::node_element) list.push_back(parse_value(*shape.member, item));
      }
      return list;
    }
    case ShapeType::Map: {
      Json map = Json::object();
      for (pugi::xml_node entry = node.first_child(); entry; entry = entry.next_sibling()) {
        if (entry.type() == pugi::node_element) parse_map_entry(shape, entry, map);
      }
      return map;
    }
    case ShapeType::String:
      return std::string(xml_text(node));
    case ShapeType::Boolean:
      return xml_text(node) == "true";
    case ShapeType::Integer:
    case ShapeType::Long:
      return parse_number<int64_t>(xml_text(node), member);
    case ShapeType::Float:
    case ShapeType::Double:
      return parse_number<double>(xml_text(node), member);
    case ShapeType::Timestamp: {
      const std::string_view text = trim_space(xml_text(node));
      auto t = parse_timestamp(text);
      if (!t) {
        throw Error(fmt::format("response element {} is not a timestamp: '{}'", serialized_name(member, member.name),
                                text));
      }
      return format_boto_timestamp(*t);
    }
    case ShapeType::Blob: {
      const std::string bytes = base64_decode(trim_space(xml_text(node)));
      return Json::binary(Json::binary_t::container_type(bytes.begin(), bytes.end()));
    }
  }
  return nullptr;
}

// An xmlAttribute member's value: attributes are matched on their local name, since botocore
// reads "xsi:type" whatever prefix the document bound the namespace to.
pugi::xml_attribute find_attribute(pugi::xml_node node, std::string_view name) {
  const std::string_view wanted = local_name(name);
  for (pugi::xml_attribute attribute = node.first_attribute(); attribute; attribute = attribute.next_attribute()) {
    if (local_name(attribute.name()) == wanted) return attribute;
  }
  return {};
}

// ---- Writing ----

struct XmlNamespace {
  std::string_view uri;
  std::string_view prefix;
};

// A member's xmlNamespace replaces its shape's (botocore merges the traits that way).
XmlNamespace namespace_of(const Member& member) {
  if (!member.xml_namespace_uri.empty()) return {member.xml_namespace_uri, member.xml_namespace_prefix};
  return {member.shape->xml_namespace_uri, member.shape->xml_namespace_prefix};
}

class XmlWriter {
 public:
  std::string take() { return std::move(out_); }

  void structure(const Shape& shape, const Json& value, std::string_view name, XmlNamespace ns) {
    open(name, ns);
    for (const auto& [key, item] : value.items()) {
      const Member* member = shape.find_member(key);
      if (!member || !member->xml_attribute || item.is_null()) continue;
      out_ += ' ';
      out_ += serialized_name(*member, member->name);
      out_ += "=\"";
      escape(scalar_text(*member, item), true);
      out_ += '"';
    }
    const size_t content = begin_content();
    for (const auto& [key, item] : value.items()) {
      const Member* member = shape.find_member(key);
      if (!member || member->xml_attribute || member->location != Location::Body || item.is_null()) continue;
      write(*member, item, serialized_name(*member, member->name));
    }
    close(name, content);
  }

 private:
  void write(const Member& member, const Json& value, std::string_view name) {
    const Shape& shape = *member.shape;
    switch (shape.type) {
      case ShapeType::Structure:
        return structure(shape, value, name, namespace_of(member));
      case ShapeType::List:
        return list(member, value, name);
      case ShapeType::Map:
        return map(member, value, name);
      default: {
        open(name, namespace_of(member));
        const size_t content = begin_content();
        escape(scalar_text(member, value), false);
        return close(name, content);
      }
    }
  }

  void list(const Member& member, const Json& value, std::string_view name) {
    const Member& item = *member.shape->member;
    if (is_flattened(member)) {
      for (const auto& element : value) write(item, element, name);
      return;
    }
    open(name, namespace_of(member));
    const size_t content = begin_content();
    const std::string_view item_name = serialized_name(item, "member");
    for (const auto& element : value) write(item, element, item_name);
    close(name, content);
  }

  void map(const Member& member, const Json& value, std::string_view name) {
    const Shape& shape = *member.shape;
    const std::string_view key_name = serialized_name(*shape.key, "key");
    const std::string_view value_name = serialized_name(*shape.value, "value");
    const bool flattened = is_flattened(member);
    size_t outer = 0;
    if (!flattened) {
      open(name, namespace_of(member));
      outer = begin_content();
    }
    const std::string_view entry_name = flattened ? name : std::string_view("entry");
    for (const auto& [key, item] : value.items()) {
      open(entry_name, {});
      const size_t content = begin_content();
      write(*shape.key, key, key_name);
      write(*shape.value, item, value_name);
      close(entry_name, content);
    }
    if (!flattened) close(name, outer);
  }

  void open(std::string_view name, XmlNamespace ns) {
    out_ += '<';
    out_ += name;
    if (ns.uri.empty()) return;
    out_ += " xmlns";
    if (!ns.prefix.empty()) {
      out_ += ':';
      out_ += ns.prefix;
    }
    out_ += "=\"";
    escape(ns.uri, true);
    out_ += '"';
  }

  size_t begin_content() {
    out_ += '>';
    return out_.size();
  }

  // An element with no content is written "<Name />", as ElementTree writes it.
  void close(std::string_view name, size_t content) {
    if (out_.size() == content) {
      out_.back() = ' ';
      out_ += "/>";
      return;
    }
    out_ += "</";
    out_ += name;
    out_ += '>';
  }

  // ElementTree's escaping: text escapes & < >; attributes also " and the whitespace that
  // attribute normalisation would otherwise turn into spaces.
  void escape(std::string_view text, bool attribute) {
    for (char c : text) {
      const char* entity = nullptr;
      switch (c) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = attribute ? "&quot;" : nullptr; break;
        case '\n': entity = attribute ? "&#10;" : nullptr; break;
        case '\r': entity = attribute ? "&#13;" : nullptr; break;
        case '\t': entity = attribute ? "&#09;" : nullptr; break;
        default: break;
      }
      if (entity) {
        out_ += entity;
      } else {
        out_ += c;
      }
    }
  }

  std::string out_;
};

// Python's http.client reason phrases, which botocore reports for errors without a body.
std::string_view reason_phrase(int status) {
  switch (status) {
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Request Entity Too Large";
    case 416: return "Requested Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

}  // namespace

std::string_view serialized_name(const Member& member, std::string_view fallback) {
  if (!member.location_name.empty()) return member.location_name;
  if (!member.shape->location_name.empty()) return member.shape->location_name;
  return fallback;
}

bool is_flattened(const Member& member) { return member.flattened || member.shape->flattened; }

void load_xml(pugi::xml_document& document, std::string_view body) {
  const pugi::xml_parse_result result =
      document.load_buffer(body.data(), body.size(), kParseOptions, pugi::encoding_utf8);
  if (!result) {
    throw Error(fmt::format("the response is not XML ({} at offset {}): {}", result.description(), result.offset,
                            body.substr(0, 200)));
  }
}

pugi::xml_node xml_child(pugi::xml_node node, std::string_view name) {
  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
    if (child.type() == pugi::node_element && local_name(child.name()) == name) return child;
  }
  return {};
}

std::string_view xml_text(pugi::xml_node node) { return node.child_value(); }

void parse_xml_members(const Shape& shape, pugi::xml_node node, Json& out) {
  const std::vector<Member>& members = shape.members;
  if (members.empty()) return;
  // The members found are gathered on a per-thread stack (nested structures push above this
  // one's region), sorted into model order, then converted.
  thread_local std::vector<Found> found;
  const size_t base = found.size();
  struct Release {
    size_t base;
    ~Release() { found.resize(base); }  // also when a value does not parse
  } release{base};
  uint32_t sequence = 0;
  size_t hint = 0;
  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
    if (child.type() != pugi::node_element) continue;
    const size_t member = find_member(members, local_name(child.name()), hint);
    if (member == kNotFound) continue;
    found.push_back({static_cast<uint32_t>(member), sequence++, child, {}});
    hint = member + 1;
  }
  if (node.first_attribute()) {
    for (uint32_t i = 0; i < members.size(); ++i) {
      if (!members[i].xml_attribute) continue;
      auto same_member = [i](const Found& f) { return f.member == i; };
      if (std::any_of(found.begin() + base, found.end(), same_member)) continue;
      if (pugi::xml_attribute attribute = find_attribute(node, serialized_name(members[i], members[i].name))) {
        found.push_back({i, sequence++, node, attribute});
      }
    }
  }
  const size_t end = found.size();
  if (!std::is_sorted(found.begin() + base, found.end())) std::sort(found.begin() + base, found.end());

  Json::object_t& object = out.get_ref<Json::object_t&>();
  size_t distinct = 0;
  for (size_t i = base; i < end; ++i) distinct += i == base || found[i].member != found[i - 1].member;
  // Entries' keys are const, so a growing object copies every key: size it once instead.
  object.reserve(object.size() + distinct);

  // Indexes, not iterators: nested calls push onto `found` and may move it.
  for (size_t i = base; i < end;) {
    const Member& member = members[found[i].member];
    size_t next = i + 1;
    while (next < end && found[next].member == found[i].member) ++next;
    if (found[i].attribute) {
      object.emplace_back(member.name, std::string(found[i].attribute.value()));
    } else if (!is_flattened_collection(member)) {
      // A repeated element that is not a flattened collection: the first one counts.
      object.emplace_back(member.name, parse_value(member, found[i].node));
    } else if (member.shape->type == ShapeType::List) {
      // Each element of a flattened list or map is one item, wherever it stands.
      Json list = Json::array();
      list.get_ref<Json::array_t&>().reserve(next - i);
      for (size_t k = i; k < next; ++k) list.push_back(parse_value(*member.shape->member, found[k].node));
      object.emplace_back(member.name, std::move(list));
    } else {
      Json map = Json::object();
      for (size_t k = i; k < next; ++k) parse_map_entry(*member.shape, found[k].node, map);
      object.emplace_back(member.name, std::move(map));
    }
    i = next;
  }
}

ErrorDetails parse_xml_error(const HttpResponse& response) {
  ErrorDetails details;
  pugi::xml_document document;
  pugi::xml_node root;
  pugi::xml_node error;
  if (!trim_space(response.body).empty() &&
      document.load_buffer(response.body.data(), response.body.size(), kParseOptions, pugi::encoding_utf8)) {
    root = document.document_element();
    error = local_name(root.name()) == "Error" ? root : xml_child(root, "Error");
    if (!error) error = xml_child(xml_child(root, "Errors"), "Error");
  }
  if (error) {
    details.code = xml_text(xml_child(error, "Code"));
    details.message = xml_text(xml_child(error, "Message"));
    for (pugi::xml_node holder : {error, root}) {
      for (const char* name : {"RequestId", "RequestID"}) {
        if (details.request_id.empty()) details.request_id = xml_text(xml_child(holder, name));
      }
    }
  }
  if (details.code.empty()) {
    details.code = std::to_string(response.status);
    if (details.message.empty()) details.message = reason_phrase(response.status);
  }
  if (details.request_id.empty()) details.request_id = header_request_id(response);
  return details;
}

std::string write_xml_document(const Shape& shape, const Json& value, std::string_view root_name,
                               std::string_view namespace_uri) {
  XmlWriter writer;
  writer.structure(shape, value, root_name, {namespace_uri, {}});
  return writer.take();
}

std::string write_xml_document(const Member& payload, const Json& value) {
  XmlWriter writer;
  writer.structure(*payload.shape, value, serialized_name(payload, payload.name), namespace_of(payload));
  return writer.take();
}

}  // namespace firebreak::aws::protocol
