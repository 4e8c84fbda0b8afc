#include "firebreak/aws/jmespath.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "firebreak/base/error.h"

namespace firebreak::aws {

enum class NodeKind {
  Current, Field, Literal, Subexpression, Index, Slice, Flatten, Projection, ValueProjection,
  FilterProjection, Or, And, Not, Compare, Pipe, MultiList, MultiHash, Function,
};

struct JmesPath::Node {
  NodeKind kind;
  std::string text;                            // field name, comparator, function name, hash keys
  Json value;                                  // literal, index, slice bounds
  std::vector<std::unique_ptr<Node>> children;
  std::vector<std::string> keys;               // multi-select hash keys
};

namespace {

using Node = JmesPath::Node;
using NodePtr = std::unique_ptr<Node>;

enum class Tok {
  End, Identifier, QuotedIdentifier, Literal, RawString, Number, Dot, Star, Flatten, Filter,
  LBracket, RBracket, LBrace, RBrace, LParen, RParen, Comma, Colon, Pipe, Or, And, Not,
  Compare, At,
};

struct Token {
  Tok type;
  std::string text;
  size_t position;
};

NodePtr make(NodeKind kind, std::string text = {}) {
  auto node = std::make_unique<Node>();
  node->kind = kind;
  node->text = std::move(text);
  return node;
}

NodePtr make2(NodeKind kind, NodePtr left, NodePtr right, std::string text = {}) {
  auto node = make(kind, std::move(text));
  node->children.push_back(std::move(left));
  node->children.push_back(std::move(right));
  return node;
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  std::vector<Token> tokens() {
    std::vector<Token> out;
    while (true) {
      while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      if (pos_ >= text_.size()) break;
      out.push_back(next());
    }
    out.push_back({Tok::End, "", text_.size()});
    return out;
  }

 private:
  Token next() {
    const size_t start = pos_;
    const char c = text_[pos_];
    auto single = [&](Tok type) { ++pos_; return Token{type, std::string(1, c), start}; };
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) ++pos_;
      return {Tok::Identifier, std::string(text_.substr(start, pos_ - start)), start};
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') {
      ++pos_;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      return {Tok::Number, std::string(text_.substr(start, pos_ - start)), start};
    }
    switch (c) {
      case '.': return single(Tok::Dot);
      case '*': return single(Tok::Star);
      case ']': return single(Tok::RBracket);
      case '{': return single(Tok::LBrace);
      case '}': return single(Tok::RBrace);
      case '(': return single(Tok::LParen);
      case ')': return single(Tok::RParen);
      case ',': return single(Tok::Comma);
      case ':': return single(Tok::Colon);
      case '@': return single(Tok::At);
      case '[':
        if (peek(1) == ']') { pos_ += 2; return {Tok::Flatten, "[]", start}; }
        if (peek(1) == '?') { pos_ += 2; return {Tok::Filter, "[?", start}; }
        return single(Tok::LBracket);
      case '|':
        if (peek(1) == '|') { pos_ += 2; return {Tok::Or, "||", start}; }
        return single(Tok::Pipe);
      case '&':
        if (peek(1) == '&') { pos_ += 2; return {Tok::And, "&&", start}; }
        break;
      case '!':
        if (peek(1) == '=') { pos_ += 2; return {Tok::Compare, "!=", start}; }
        return single(Tok::Not);
      case '=':
        if (peek(1) == '=') { pos_ += 2; return {Tok::Compare, "==", start}; }
        break;
      case '<':
      case '>':
        if (peek(1) == '=') { pos_ += 2; return {Tok::Compare, std::string{c, '='}, start}; }
        return single(Tok::Compare);
      case '`': return delimited('`', Tok::Literal);
      case '\'': return delimited('\'', Tok::RawString);
      case '"': return delimited('"', Tok::QuotedIdentifier);
    }
    throw InputError(fmt::format("JMESPath: unexpected character '{}' at position {}", c, start));
  }

  char peek(size_t ahead) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }

  Token delimited(char quote, Tok type) {
    const size_t start = pos_++;
    std::string content;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] == quote) ++pos_;
      content.push_back(text_[pos_++]);
    }
    if (pos_ >= text_.size()) {
      throw InputError(fmt::format("JMESPath: unterminated {} starting at position {}", quote, start));
    }
    ++pos_;
    return {type, content, start};
  }

  std::string_view text_;
  size_t pos_ = 0;
};

int binding_power(Tok type) {
  switch (type) {
    case Tok::Pipe: return 1;
    case Tok::Or: return 2;
    case Tok::And: return 3;
    case Tok::Compare: return 5;
    case Tok::Flatten: return 9;
    case Tok::Star: return 20;
    case Tok::Filter: return 21;
    case Tok::Dot: return 40;
    case Tok::Not: return 45;
    case Tok::LBrace: return 50;
    case Tok::LBracket: return 55;
    case Tok::LParen: return 60;
    default: return 0;
  }
}

// A Pratt parser following the JMESPath specification's grammar and binding powers.
class Parser {
 public:
  explicit Parser(std::string_view text) : tokens_(Lexer(text).tokens()) {}

  NodePtr parse() {
    NodePtr node = expression(0);
    if (current().type != Tok::End) fail("unexpected '" + current().text + "'");
    return node;
  }

 private:
  const Token& current() const { return tokens_[index_]; }
  Token advance() { return tokens_[index_++]; }
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(fmt::format("JMESPath: {} at position {}", what, current().position));
  }
  void expect(Tok type, const char* what) {
    if (current().type != type) fail(std::string("expected ") + what);
    ++index_;
  }

  NodePtr expression(int rbp) {
    NodePtr left = nud(advance());
    while (rbp < binding_power(current().type)) left = led(advance(), std::move(left));
    return left;
  }

  NodePtr nud(const Token& token) {
    switch (token.type) {
      case Tok::Identifier:
        if (current().type == Tok::LParen) return function(token.text);
        return make(NodeKind::Field, token.text);
      case Tok::QuotedIdentifier: return make(NodeKind::Field, token.text);
      case Tok::At: return make(NodeKind::Current);
      case Tok::Literal: {
        auto node = make(NodeKind::Literal);
        try {
          node->value = Json::parse(token.text);
        } catch (const Json::exception&) {
          node->value = token.text;  // legacy: `foo` means the string "foo"
        }
        return node;
      }
      case Tok::RawString: {
        auto node = make(NodeKind::Literal);
        node->value = token.text;
        return node;
      }
      case Tok::Star: {
        auto node = make(NodeKind::ValueProjection);
        node->children.push_back(make(NodeKind::Current));
        node->children.push_back(projection_rhs(binding_power(Tok::Star)));
        return node;
      }
      case Tok::Flatten: {
        auto flatten = make(NodeKind::Flatten);
        flatten->children.push_back(make(NodeKind::Current));
        return make2(NodeKind::Projection, std::move(flatten), projection_rhs(binding_power(Tok::Flatten)));
      }
      case Tok::Filter: return filter(make(NodeKind::Current));
      case Tok::LBracket:
        if (current().type == Tok::Number || current().type == Tok::Colon) {
          return bracket_index(make(NodeKind::Current));
        }
        if (current().type == Tok::Star && tokens_[index_ + 1].type == Tok::RBracket) {
          index_ += 2;
          return make2(NodeKind::Projection, make(NodeKind::Current), projection_rhs(binding_power(Tok::Star)));
        }
        return multi_list();
      case Tok::LBrace: return multi_hash();
      case Tok::LParen: {
        NodePtr inner = expression(0);
        expect(Tok::RParen, "')'");
        return inner;
      }
      case Tok::Not: {
        auto node = make(NodeKind::Not);
        node->children.push_back(expression(binding_power(Tok::Not)));
        return node;
      }
      default:
        --index_;
        fail(token.type == Tok::End ? "unexpected end of expression" : "unexpected '" + token.text + "'");
    }
  }

  NodePtr led(const Token& token, NodePtr left) {
    switch (token.type) {
      case Tok::Dot:
        if (current().type == Tok::Star) {
          advance();
          auto node = make(NodeKind::ValueProjection);
          node->children.push_back(std::move(left));
          node->children.push_back(projection_rhs(binding_power(Tok::Star)));
          return node;
        }
        return make2(NodeKind::Subexpression, std::move(left), dot_rhs(binding_power(Tok::Dot)));
      case Tok::Pipe: return make2(NodeKind::Pipe, std::move(left), expression(binding_power(Tok::Pipe)));
      case Tok::Or: return make2(NodeKind::Or, std::move(left), expression(binding_power(Tok::Or)));
      case Tok::And: return make2(NodeKind::And, std::move(left), expression(binding_power(Tok::And)));
      case Tok::Compare:
        return make2(NodeKind::Compare, std::move(left), expression(binding_power(Tok::Compare)), token.text);
      case Tok::Flatten: {
        auto flatten = make(NodeKind::Flatten);
        flatten->children.push_back(std::move(left));
        return make2(NodeKind::Projection, std::move(flatten), projection_rhs(binding_power(Tok::Flatten)));
      }
      case Tok::Filter: return filter(std::move(left));
      case Tok::LBracket:
        if (current().type == Tok::Star && tokens_[index_ + 1].type == Tok::RBracket) {
          index_ += 2;
          return make2(NodeKind::Projection, std::move(left), projection_rhs(binding_power(Tok::Star)));
        }
        return bracket_index(std::move(left));
      default:
        --index_;
        fail("unexpected '" + token.text + "'");
    }
  }

  NodePtr bracket_index(NodePtr left) {
    std::vector<std::optional<long>> parts(1);
    size_t part = 0;
    while (current().type != Tok::RBracket) {
      if (current().type == Tok::Colon) {
        if (++part > 2) fail("too many ':' in slice");
        parts.emplace_back();
        advance();
      } else if (current().type == Tok::Number) {
        parts[part] = std::stol(advance().text);
      } else {
        fail("expected a number or ':'");
      }
    }
    advance();
    if (parts.size() == 1) {
      if (!parts[0]) fail("empty index");
      auto node = make(NodeKind::Index);
      node->value = *parts[0];
      node->children.push_back(std::move(left));
      return node;
    }
    auto slice = make(NodeKind::Slice);
    slice->value = Json::array();
    for (size_t i = 0; i < 3; ++i) {
      slice->value.push_back(i < parts.size() && parts[i] ? Json(*parts[i]) : Json());
    }
    slice->children.push_back(std::move(left));
    return make2(NodeKind::Projection, std::move(slice), projection_rhs(binding_power(Tok::Star)));
  }

  NodePtr filter(NodePtr left) {
    NodePtr condition = expression(0);
    expect(Tok::RBracket, "']'");
    auto node = make(NodeKind::FilterProjection);
    node->children.push_back(std::move(left));
    node->children.push_back(projection_rhs(binding_power(Tok::Filter)));
    node->children.push_back(std::move(condition));
    return node;
  }

  NodePtr projection_rhs(int rbp) {
    const Tok next = current().type;
    if (binding_power(next) < 10) return make(NodeKind::Current);
    if (next == Tok::LBracket || next == Tok::Filter || next == Tok::Flatten) return expression(rbp);
    if (next == Tok::Dot) {
      advance();
      return dot_rhs(rbp);
    }
    fail("unexpected '" + current().text + "' after a projection");
  }

  NodePtr dot_rhs(int rbp) {
    switch (current().type) {
      case Tok::Identifier:
      case Tok::QuotedIdentifier:
      case Tok::Star:
        return expression(rbp);
      case Tok::LBracket:
        advance();
        return multi_list();
      case Tok::LBrace:
        advance();
        return multi_hash();
      default:
        fail("expected an identifier after '.'");
    }
  }

  NodePtr multi_list() {
    auto node = make(NodeKind::MultiList);
    while (true) {
      node->children.push_back(expression(0));
      if (current().type == Tok::RBracket) break;
      expect(Tok::Comma, "',' or ']'");
    }
    advance();
    return node;
  }

  NodePtr multi_hash() {
    auto node = make(NodeKind::MultiHash);
    while (true) {
      const Token key = advance();
      if (key.type != Tok::Identifier && key.type != Tok::QuotedIdentifier) fail("expected a key name");
      expect(Tok::Colon, "':'");
      node->keys.push_back(key.text);
      node->children.push_back(expression(0));
      if (current().type == Tok::RBrace) break;
      expect(Tok::Comma, "',' or '}'");
    }
    advance();
    return node;
  }

  NodePtr function(const std::string& name) {
    advance();  // '('
    auto node = make(NodeKind::Function, name);
    while (current().type != Tok::RParen) {
      node->children.push_back(expression(0));
      if (current().type == Tok::Comma) advance();
      else if (current().type != Tok::RParen) fail("expected ',' or ')'");
    }
    advance();
    return node;
  }

  std::vector<Token> tokens_;
  size_t index_ = 0;
};

bool truthy(const Json& value) {
  if (value.is_null()) return false;
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_string()) return !value.get_ref<const std::string&>().empty();
  if (value.is_array() || value.is_object()) return !value.empty();
  return true;
}

Json compare(const std::string& op, const Json& a, const Json& b) {
  if (op == "==") return a == b;
  if (op == "!=") return a != b;
  if (!a.is_number() || !b.is_number()) return Json();
  const double x = a.get<double>(), y = b.get<double>();
  if (op == "<") return x < y;
  if (op == "<=") return x <= y;
  if (op == ">") return x > y;
  return x >= y;
}

Json evaluate(const Node& node, const Json& data);

Json call_function(const Node& node, const Json& data) {
  std::vector<Json> args;
  for (const auto& child : node.children) args.push_back(evaluate(*child, data));
  const std::string& name = node.text;
  auto need = [&](size_t count) {
    if (args.size() != count) {
      throw InputError(fmt::format("JMESPath: {}() takes {} argument(s)", name, count));
    }
  };
  if (name == "length") {
    need(1);
    if (args[0].is_string()) return args[0].get_ref<const std::string&>().size();
    if (args[0].is_array() || args[0].is_object()) return args[0].size();
    return Json();
  }
  if (name == "contains") {
    need(2);
    if (args[0].is_array()) return std::find(args[0].begin(), args[0].end(), args[1]) != args[0].end();
    if (args[0].is_string() && args[1].is_string()) {
      return args[0].get_ref<const std::string&>().find(args[1].get_ref<const std::string&>()) != std::string::npos;
    }
    return false;
  }
  if (name == "starts_with" || name == "ends_with") {
    need(2);
    if (!args[0].is_string() || !args[1].is_string()) return Json();
    const auto& s = args[0].get_ref<const std::string&>();
    const auto& affix = args[1].get_ref<const std::string&>();
    return name == "starts_with" ? s.starts_with(affix) : s.ends_with(affix);
  }
  if (name == "keys" || name == "values") {
    need(1);
    if (!args[0].is_object()) return Json();
    Json out = Json::array();
    for (const auto& [key, value] : args[0].items()) out.push_back(name == "keys" ? Json(key) : value);
    return out;
  }
  if (name == "join") {
    need(2);
    if (!args[0].is_string() || !args[1].is_array()) return Json();
    std::string out;
    for (size_t i = 0; i < args[1].size(); ++i) {
      if (i) out += args[0].get<std::string>();
      out += args[1][i].is_string() ? args[1][i].get<std::string>() : args[1][i].dump();
    }
    return out;
  }
  if (name == "sort") {
    need(1);
    if (!args[0].is_array()) return Json();
    Json out = args[0];
    std::sort(out.begin(), out.end());
    return out;
  }
  if (name == "not_null") {
    for (const auto& arg : args) {
      if (!arg.is_null()) return arg;
    }
    return Json();
  }
  if (name == "to_string") {
    need(1);
    return args[0].is_string() ? args[0] : Json(args[0].dump());
  }
  if (name == "type") {
    need(1);
    return args[0].type_name();
  }
  throw InputError("JMESPath: unknown function " + name + "()");
}

Json project(const Json& items, const Node& rhs) {
  Json out = Json::array();
  for (const auto& item : items) {
    Json value = evaluate(rhs, item);
    if (!value.is_null()) out.push_back(std::move(value));
  }
  return out;
}

Json evaluate(const Node& node, const Json& data) {
  const auto& c = node.children;
  switch (node.kind) {
    case NodeKind::Current: return data;
    case NodeKind::Literal: return node.value;
    case NodeKind::Field: {
      if (!data.is_object()) return Json();
      auto it = data.find(node.text);
      return it == data.end() ? Json() : *it;
    }
    case NodeKind::Subexpression:
    case NodeKind::Pipe: return evaluate(*c[1], evaluate(*c[0], data));
    case NodeKind::Index: {
      Json base = evaluate(*c[0], data);
      if (!base.is_array()) return Json();
      long i = node.value.get<long>();
      if (i < 0) i += long(base.size());
      return i >= 0 && size_t(i) < base.size() ? base[size_t(i)] : Json();
    }
    case NodeKind::Slice: {
      Json base = evaluate(*c[0], data);
      if (!base.is_array()) return Json();
      const long size = long(base.size());
      const long step = node.value[2].is_null() ? 1 : node.value[2].get<long>();
      if (step == 0) throw InputError("JMESPath: slice step cannot be 0");
      auto bound = [&](const Json& v, long fallback) {
        if (v.is_null()) return fallback;
        long i = v.get<long>();
        if (i < 0) i = std::max(i + size, step < 0 ? -1L : 0L);
        return std::min(i, step < 0 ? size - 1 : size);
      };
      long start = bound(node.value[0], step < 0 ? size - 1 : 0);
      long stop = bound(node.value[1], step < 0 ? -1 : size);
      Json out = Json::array();
      for (long i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(base[size_t(i)]);
      return out;
    }
    case NodeKind::Flatten: {
      Json base = evaluate(*c[0], data);
      if (!base.is_array()) return Json();
      Json out = Json::array();
      for (auto& item : base) {
        if (item.is_array()) {
          for (auto& inner : item) out.push_back(inner);
        } else {
          out.push_back(item);
        }
      }
      return out;
    }
    case NodeKind::Projection: {
      Json base = evaluate(*c[0], data);
      return base.is_array() ? project(base, *c[1]) : Json();
    }
    case NodeKind::ValueProjection: {
      Json base = evaluate(*c[0], data);
      if (!base.is_object()) return Json();
      Json values = Json::array();
      for (const auto& [key, value] : base.items()) values.push_back(value);
      return project(values, *c[1]);
    }
    case NodeKind::FilterProjection: {
      Json base = evaluate(*c[0], data);
      if (!base.is_array()) return Json();
      Json kept = Json::array();
      for (const auto& item : base) {
        if (truthy(evaluate(*c[2], item))) kept.push_back(item);
      }
      return project(kept, *c[1]);
    }
    case NodeKind::Or: {
      Json left = evaluate(*c[0], data);
      return truthy(left) ? left : evaluate(*c[1], data);
    }
    case NodeKind::And: {
      Json left = evaluate(*c[0], data);
      return truthy(left) ? evaluate(*c[1], data) : left;
    }
    case NodeKind::Not: return !truthy(evaluate(*c[0], data));
    case NodeKind::Compare: return compare(node.text, evaluate(*c[0], data), evaluate(*c[1], data));
    case NodeKind::MultiList: {
      if (data.is_null()) return Json();
      Json out = Json::array();
      for (const auto& child : c) out.push_back(evaluate(*child, data));
      return out;
    }
    case NodeKind::MultiHash: {
      if (data.is_null()) return Json();
      Json out = Json::object();
      for (size_t i = 0; i < c.size(); ++i) out[node.keys[i]] = evaluate(*c[i], data);
      return out;
    }
    case NodeKind::Function: return call_function(node, data);
  }
  return Json();
}

}  // namespace

JmesPath::JmesPath(std::string_view expression)
    : expression_(expression), root_(Parser(expression).parse()) {}
JmesPath::~JmesPath() = default;
JmesPath::JmesPath(JmesPath&&) noexcept = default;
JmesPath& JmesPath::operator=(JmesPath&&) noexcept = default;

Json JmesPath::search(const Json& data) const { return evaluate(*root_, data); }

Json jmespath_search(std::string_view expression, const Json& data) {
  return JmesPath(expression).search(data);
}

}  // namespace firebreak::aws
