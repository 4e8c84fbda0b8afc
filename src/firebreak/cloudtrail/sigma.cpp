#include "firebreak/cloudtrail/sigma.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/cloudtrail/ip.h"
#include "firebreak/cloudtrail/text.h"
#include "firebreak/cloudtrail/yaml.h"

namespace firebreak::cloudtrail {
namespace {

// Fields the reader extracts; any other path is looked up in the parsed record.
enum class Fixed {
  kNone, kEventName, kEventSource, kEventType, kAwsRegion, kSourceIp, kUserAgent, kErrorCode,
  kErrorMessage, kEventId, kEventTime, kRecipientAccountId, kType, kArn, kUserName, kAccountId,
  kAccessKeyId, kPrincipalId, kInvokedBy, kIssuerType, kIssuerArn, kIssuerUserName,
};

constexpr std::pair<std::string_view, Fixed> kFixedFields[] = {
    {"eventName", Fixed::kEventName}, {"eventSource", Fixed::kEventSource},
    {"eventType", Fixed::kEventType}, {"awsRegion", Fixed::kAwsRegion},
    {"sourceIPAddress", Fixed::kSourceIp}, {"userAgent", Fixed::kUserAgent},
    {"errorCode", Fixed::kErrorCode}, {"errorMessage", Fixed::kErrorMessage},
    {"eventID", Fixed::kEventId}, {"eventTime", Fixed::kEventTime},
    {"recipientAccountId", Fixed::kRecipientAccountId}, {"userIdentity.type", Fixed::kType},
    {"userIdentity.arn", Fixed::kArn}, {"userIdentity.userName", Fixed::kUserName},
    {"userIdentity.accountId", Fixed::kAccountId}, {"userIdentity.accessKeyId", Fixed::kAccessKeyId},
    {"userIdentity.principalId", Fixed::kPrincipalId}, {"userIdentity.invokedBy", Fixed::kInvokedBy},
    {"userIdentity.sessionContext.sessionIssuer.type", Fixed::kIssuerType},
    {"userIdentity.sessionContext.sessionIssuer.arn", Fixed::kIssuerArn},
    {"userIdentity.sessionContext.sessionIssuer.userName", Fixed::kIssuerUserName},
};

std::string_view fixed_value(const Event& e, Fixed f) {
  switch (f) {
    case Fixed::kEventName: return e.event_name;
    case Fixed::kEventSource: return e.event_source;
    case Fixed::kEventType: return e.event_type;
    case Fixed::kAwsRegion: return e.aws_region;
    case Fixed::kSourceIp: return e.source_ip;
    case Fixed::kUserAgent: return e.user_agent;
    case Fixed::kErrorCode: return e.error_code;
    case Fixed::kErrorMessage: return e.error_message;
    case Fixed::kEventId: return e.event_id;
    case Fixed::kEventTime: return e.event_time;
    case Fixed::kRecipientAccountId: return e.recipient_account_id;
    case Fixed::kType: return e.identity.type;
    case Fixed::kArn: return e.identity.arn;
    case Fixed::kUserName: return e.identity.user_name;
    case Fixed::kAccountId: return e.identity.account_id;
    case Fixed::kAccessKeyId: return e.identity.access_key_id;
    case Fixed::kPrincipalId: return e.identity.principal_id;
    case Fixed::kInvokedBy: return e.identity.invoked_by;
    case Fixed::kIssuerType: return e.identity.issuer_type;
    case Fixed::kIssuerArn: return e.identity.issuer_arn;
    case Fixed::kIssuerUserName: return e.identity.issuer_user_name;
    case Fixed::kNone: break;
  }
  return {};
}

struct FieldPath {
  std::string path;
  Fixed fixed = Fixed::kNone;
  std::vector<std::string> parts;

  explicit FieldPath(std::string text = {}) : path(std::move(text)) {
    for (const auto& [name, field] : kFixedFields)
      if (name == path) fixed = field;
    size_t at = 0;
    while (at <= path.size() && !path.empty()) {
      size_t dot = path.find('.', at);
      parts.push_back(path.substr(at, dot == std::string::npos ? std::string::npos : dot - at));
      if (dot == std::string::npos) break;
      at = dot + 1;
    }
  }
};

// Sigma escapes only wildcards and the backslash; a lone backslash is a literal one.
std::string sigma_to_glob(std::string_view value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\\') {
      char next = i + 1 < value.size() ? value[i + 1] : '\0';
      if (next == '*' || next == '?' || next == '\\') {
        out += '\\';
        out += next;
        ++i;
      } else {
        out += "\\\\";
      }
    } else {
      out += c;
    }
  }
  return out;
}

struct ValueMatcher {
  enum class Kind { kGlob, kRegex, kNull, kFieldRef, kCidr, kExists };
  Kind kind = Kind::kGlob;
  Glob glob{""};
  std::regex regex;
  std::optional<Network> network;
  FieldPath reference;
  bool exists = true;
};

struct FieldMatch {
  FieldPath field;  // empty path: a keyword, searched for in the whole record
  std::vector<ValueMatcher> values;
  bool all = false;
};

using Alternative = std::vector<FieldMatch>;  // AND
using Selection = std::vector<Alternative>;   // OR

struct Condition {
  enum class Op { kRef, kNot, kAnd, kOr, kOneOf, kAllOf };
  Op op = Op::kRef;
  std::vector<size_t> refs;
  std::vector<Condition> children;
};

std::string scalar_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return value.dump();
}

}  // namespace

struct SigmaRules::Context::State {
  const Event* event = nullptr;  // the event the DOM below was parsed from
  bool parsed = false;
  bool parse_ok = false;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::vector<std::string_view> values;
  std::vector<std::string> scratch;  // text of non-string leaves (numbers, objects)
  size_t scratch_used = 0;

  void begin(const Event& e) {
    event = &e;
    parsed = false;
    scratch_used = 0;
  }

  std::string_view keep(std::string text) {
    if (scratch_used == scratch.size()) scratch.emplace_back();
    scratch[scratch_used] = std::move(text);
    return scratch[scratch_used++];
  }

  void add_leaf(simdjson::dom::element e) {
    switch (e.type()) {
      case simdjson::dom::element_type::STRING: {
        std::string_view text;
        if (!e.get_string().get(text)) values.push_back(text);
        break;
      }
      case simdjson::dom::element_type::NULL_VALUE: break;
      case simdjson::dom::element_type::ARRAY: {
        simdjson::dom::array array;
        if (e.get_array().get(array)) break;
        for (simdjson::dom::element child : array) {
          if (child.is_array()) values.push_back(keep(simdjson::minify(child)));
          else add_leaf(child);
        }
        break;
      }
      default: values.push_back(keep(simdjson::minify(e)));
    }
  }

  void collect(simdjson::dom::element e, const std::vector<std::string>& parts, size_t index) {
    if (index == parts.size()) {
      add_leaf(e);
      return;
    }
    simdjson::dom::array array;
    simdjson::dom::object object;
    simdjson::dom::element child;
    if (!e.get_array().get(array)) {
      for (simdjson::dom::element item : array) collect(item, parts, index);
    } else if (!e.get_object().get(object) && !object.at_key(parts[index]).get(child)) {
      collect(child, parts, index + 1);
    }
  }

  // The values of a field: one for the extracted fields, any number for paths into arrays.
  const std::vector<std::string_view>& lookup(const FieldPath& field) {
    values.clear();
    if (field.fixed != Fixed::kNone) {
      std::string_view v = fixed_value(*event, field.fixed);
      if (!v.empty()) values.push_back(v);
      return values;
    }
    if (!parsed) {
      parsed = true;
      // The raw text lies inside a padded buffer, so it can be parsed in place.
      parse_ok = !parser.parse(event->raw.data(), event->raw.size(), false).get(root);
    }
    if (parse_ok) collect(root, field.parts, 0);
    return values;
  }
};

class CompiledRule {
 public:
  RuleInfo info;
  std::vector<std::string> names;
  std::vector<Selection> selections;
  Condition condition;

  bool matches(SigmaRules::Context::State& state) const { return eval(condition, state); }

 private:
  bool eval(const Condition& c, SigmaRules::Context::State& state) const {
    switch (c.op) {
      case Condition::Op::kRef: return selection_matches(selections[c.refs[0]], state);
      case Condition::Op::kNot: return !eval(c.children[0], state);
      case Condition::Op::kAnd:
        return std::all_of(c.children.begin(), c.children.end(), [&](const Condition& x) { return eval(x, state); });
      case Condition::Op::kOr:
        return std::any_of(c.children.begin(), c.children.end(), [&](const Condition& x) { return eval(x, state); });
      case Condition::Op::kOneOf:
        return std::any_of(c.refs.begin(), c.refs.end(), [&](size_t i) { return selection_matches(selections[i], state); });
      case Condition::Op::kAllOf:
        return std::all_of(c.refs.begin(), c.refs.end(), [&](size_t i) { return selection_matches(selections[i], state); });
    }
    return false;
  }

  static bool selection_matches(const Selection& selection, SigmaRules::Context::State& state) {
    for (const Alternative& alternative : selection) {
      bool all = true;
      for (const FieldMatch& match : alternative) {
        if (!field_matches(match, state)) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  }

  static bool field_matches(const FieldMatch& match, SigmaRules::Context::State& state) {
    // Copied: a fieldref lookup below reuses the state's value list.
    std::vector<std::string_view> values;
    if (match.field.path.empty()) {
      values.push_back(state.event->raw);
    } else {
      values = state.lookup(match.field);
    }
    auto one = [&](const ValueMatcher& m) {
      switch (m.kind) {
        case ValueMatcher::Kind::kNull: return values.empty();
        case ValueMatcher::Kind::kExists: return values.empty() != m.exists;
        case ValueMatcher::Kind::kGlob:
          return std::any_of(values.begin(), values.end(), [&](std::string_view v) { return m.glob.matches(v); });
        case ValueMatcher::Kind::kRegex:
          return std::any_of(values.begin(), values.end(), [&](std::string_view v) {
            return std::regex_search(v.begin(), v.end(), m.regex);
          });
        case ValueMatcher::Kind::kCidr:
          return std::any_of(values.begin(), values.end(), [&](std::string_view v) { return m.network->contains(v); });
        case ValueMatcher::Kind::kFieldRef: {
          std::vector<std::string_view> others = state.lookup(m.reference);
          return std::any_of(values.begin(), values.end(), [&](std::string_view v) {
            return std::find(others.begin(), others.end(), v) != others.end();
          });
        }
      }
      return false;
    };
    return match.all ? std::all_of(match.values.begin(), match.values.end(), one)
                     : std::any_of(match.values.begin(), match.values.end(), one);
  }
};

namespace {

class ConditionParser {
 public:
  ConditionParser(std::string_view text, const std::vector<std::string>& names) : names_(names) {
    size_t i = 0;
    while (i < text.size()) {
      char c = text[i];
      if (c == ' ' || c == '\t' || c == '\n') { ++i; continue; }
      if (c == '(' || c == ')') { tokens_.emplace_back(1, c); ++i; continue; }
      if (c == '|') throw InputError("aggregations in conditions are not supported");
      size_t end = i;
      while (end < text.size() && text[end] != ' ' && text[end] != '\t' && text[end] != '\n' &&
             text[end] != '(' && text[end] != ')')
        ++end;
      tokens_.emplace_back(text.substr(i, end - i));
      i = end;
    }
  }

  Condition parse() {
    Condition c = expression();
    if (at_ != tokens_.size()) throw InputError(fmt::format("condition: unexpected '{}'", tokens_[at_]));
    return c;
  }

 private:
  bool peek(std::string_view word) const { return at_ < tokens_.size() && tokens_[at_] == word; }

  std::string next() {
    if (at_ >= tokens_.size()) throw InputError("condition: unexpected end");
    return tokens_[at_++];
  }

  Condition combine(Condition::Op op, Condition first, std::string_view word, Condition (ConditionParser::*part)()) {
    if (!peek(word)) return first;
    Condition out{op, {}, {std::move(first)}};
    while (peek(word)) {
      ++at_;
      out.children.push_back((this->*part)());
    }
    return out;
  }

  Condition expression() { return combine(Condition::Op::kOr, term(), "or", &ConditionParser::term); }
  Condition term() { return combine(Condition::Op::kAnd, factor(), "and", &ConditionParser::factor); }

  Condition factor() {
    std::string token = next();
    if (token == "not") return Condition{Condition::Op::kNot, {}, {factor()}};
    if (token == "(") {
      Condition inner = expression();
      if (next() != ")") throw InputError("condition: missing ')'");
      return inner;
    }
    if (token == "1" || token == "any" || token == "all") {
      if (next() != "of") throw InputError(fmt::format("condition: expected 'of' after '{}'", token));
      std::string pattern = next();
      Condition c{token == "all" ? Condition::Op::kAllOf : Condition::Op::kOneOf, {}, {}};
      Glob glob(pattern == "them" ? "*" : pattern);
      for (size_t i = 0; i < names_.size(); ++i)
        if (glob.matches(names_[i]) && !(pattern == "them" && names_[i].starts_with("_"))) c.refs.push_back(i);
      if (c.refs.empty()) throw InputError(fmt::format("condition: '{}' names no selection", pattern));
      return c;
    }
    auto it = std::find(names_.begin(), names_.end(), token);
    if (it == names_.end()) throw InputError(fmt::format("condition: unknown selection '{}'", token));
    return Condition{Condition::Op::kRef, {static_cast<size_t>(it - names_.begin())}, {}};
  }

  const std::vector<std::string>& names_;
  std::vector<std::string> tokens_;
  size_t at_ = 0;
};

FieldMatch compile_field(const std::string& key, const Json& value) {
  FieldMatch match;
  std::vector<std::string> modifiers;
  size_t bar = key.find('|');
  match.field = FieldPath(key.substr(0, bar));
  while (bar != std::string::npos) {
    size_t next = key.find('|', bar + 1);
    modifiers.push_back(key.substr(bar + 1, next == std::string::npos ? std::string::npos : next - bar - 1));
    bar = next;
  }
  std::string shape;  // contains, startswith, endswith
  bool regex = false, cidr = false, fieldref = false, exists = false;
  for (const std::string& m : modifiers) {
    if (m == "contains" || m == "startswith" || m == "endswith") shape = m;
    else if (m == "all") match.all = true;
    else if (m == "re") regex = true;
    else if (m == "cidr") cidr = true;
    else if (m == "fieldref") fieldref = true;
    else if (m == "exists") exists = true;
    else throw InputError(fmt::format("field '{}': modifier '{}' is not supported", key, m));
  }
  std::vector<Json> items = value.is_array() ? std::vector<Json>(value.begin(), value.end()) : std::vector<Json>{value};
  for (const Json& item : items) {
    ValueMatcher m;
    if (item.is_null()) {
      m.kind = ValueMatcher::Kind::kNull;
    } else if (exists) {
      m.kind = ValueMatcher::Kind::kExists;
      m.exists = iequals(scalar_text(item), "true");
    } else if (fieldref) {
      m.kind = ValueMatcher::Kind::kFieldRef;
      m.reference = FieldPath(scalar_text(item));
    } else if (regex) {
      m.kind = ValueMatcher::Kind::kRegex;
      std::string pattern = scalar_text(item);
      auto flags = std::regex::ECMAScript;
      if (pattern.starts_with("(?i)")) {
        pattern = pattern.substr(4);
        flags |= std::regex::icase;
      }
      try {
        m.regex = std::regex(pattern, flags);
      } catch (const std::regex_error& e) {
        throw InputError(fmt::format("field '{}': bad regular expression '{}': {}", key, pattern, e.what()));
      }
    } else if (cidr) {
      m.kind = ValueMatcher::Kind::kCidr;
      m.network = Network::parse(scalar_text(item));
      if (!m.network) throw InputError(fmt::format("field '{}': '{}' is not a CIDR", key, scalar_text(item)));
    } else {
      std::string glob = sigma_to_glob(scalar_text(item));
      if (shape == "contains") glob = "*" + glob + "*";
      else if (shape == "startswith") glob += "*";
      else if (shape == "endswith") glob = "*" + glob;
      m.glob = Glob(glob);
    }
    match.values.push_back(std::move(m));
  }
  return match;
}

Selection compile_selection(const std::string& name, const Json& value) {
  Selection selection;
  auto alternative_of = [&](const Json& map) {
    Alternative alternative;
    for (const auto& [key, v] : map.items()) alternative.push_back(compile_field(key, v));
    // Fields the reader extracted first: most events fail there without a second parse.
    std::stable_partition(alternative.begin(), alternative.end(),
                          [](const FieldMatch& m) { return m.field.fixed != Fixed::kNone; });
    return alternative;
  };
  if (value.is_object()) {
    selection.push_back(alternative_of(value));
  } else if (value.is_array() && !value.empty() && value[0].is_object()) {
    for (const Json& item : value) {
      if (!item.is_object()) throw InputError(fmt::format("selection '{}': mixes maps and values", name));
      selection.push_back(alternative_of(item));
    }
  } else if (value.is_array() || value.is_string()) {
    // Keywords: searched for anywhere in the record.
    selection.push_back({compile_field("|contains", value)});
  } else {
    throw InputError(fmt::format("selection '{}': not a map, list or keyword", name));
  }
  return selection;
}

std::unique_ptr<CompiledRule> compile_rule(const Json& doc, std::string_view name) {
  auto rule = std::make_unique<CompiledRule>();
  rule->info.path = std::string(name);
  rule->info.title = doc.value("title", "");
  rule->info.id = doc.value("id", "");
  rule->info.level = doc.value("level", "");
  const Json& detection = doc.contains("detection") ? doc["detection"] : Json();
  if (!detection.is_object()) throw InputError("no detection");
  if (detection.contains("timeframe")) throw InputError("timeframe (correlation) is not supported");
  for (const auto& [key, value] : detection.items()) {
    if (key == "condition") continue;
    rule->names.push_back(key);
    rule->selections.push_back(compile_selection(key, value));
  }
  const Json& condition = detection.contains("condition") ? detection["condition"] : Json();
  if (condition.is_string()) {
    rule->condition = ConditionParser(condition.get<std::string>(), rule->names).parse();
  } else if (condition.is_array() && !condition.empty()) {
    rule->condition.op = Condition::Op::kOr;
    for (const Json& c : condition) rule->condition.children.push_back(ConditionParser(scalar_text(c), rule->names).parse());
  } else {
    throw InputError("no condition");
  }
  return rule;
}

bool is_cloudtrail_rule(const Json& doc) {
  const Json& logsource = doc.contains("logsource") ? doc["logsource"] : Json();
  return logsource.is_object() && iequals(logsource.value("product", ""), "aws") &&
         iequals(logsource.value("service", ""), "cloudtrail");
}

}  // namespace

SigmaRules::Context::Context() : state_(std::make_unique<State>()) {}
SigmaRules::Context::~Context() = default;

SigmaRules::SigmaRules() = default;
SigmaRules::~SigmaRules() = default;
SigmaRules::SigmaRules(SigmaRules&&) noexcept = default;
SigmaRules& SigmaRules::operator=(SigmaRules&&) noexcept = default;

size_t SigmaRules::size() const { return rules_.size(); }

void SigmaRules::add(std::string_view yaml, std::string_view name) {
  try {
    for (const Json& doc : parse_yaml(yaml)) {
      if (!doc.is_object()) throw InputError("not a YAML mapping");
      if (!is_cloudtrail_rule(doc)) {
        ++skipped_;
        continue;
      }
      rules_.push_back(compile_rule(doc, name));
    }
  } catch (const InputError& e) {
    throw InputError(fmt::format("Sigma rule {}", name), e);
  }
}

SigmaRules SigmaRules::load(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  SigmaRules rules;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw InputError(fmt::format("--sigma {}: no such file or directory", path));
    std::vector<fs::path> files;
    if (fs::is_directory(path, ec)) {
      for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
        std::string ext = entry.path().extension().string();
        if (entry.is_regular_file() && (ext == ".yml" || ext == ".yaml")) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(path);
    }
    for (const fs::path& file : files) {
      std::ifstream in(file, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      rules.add(text.str(), file.string());
    }
  }
  return rules;
}

void SigmaRules::match(const Event& event, Context& context, std::vector<const RuleInfo*>& out) const {
  Context::State& state = *context.state_;
  state.begin(event);
  for (const auto& rule : rules_)
    if (rule->matches(state)) out.push_back(&rule->info);
}

}  // namespace firebreak::cloudtrail
