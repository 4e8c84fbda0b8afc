#include "firebreak/cloudtrail/yaml.h"

#include <fmt/format.h>

#include "firebreak/base/error.h"

namespace firebreak::cloudtrail {
namespace {

struct Line {
  int number;            // 1-based, for errors
  int indent;            // spaces before the content
  std::string_view raw;  // the whole line, for block scalars
  std::string_view text; // content without indentation and comment
};

bool blank(const Line& line) { return line.text.empty(); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Drops a comment: '#' at the start or after a space, outside quotes.
std::string_view strip_comment(std::string_view s) {
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote) {
        if (quote == '\'' && i + 1 < s.size() && s[i + 1] == '\'') ++i;
        else quote = 0;
      } else if (c == '\\' && quote == '"') {
        ++i;
      }
    } else if ((c == '"' || c == '\'') && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '-' ||
                                          s[i - 1] == ':' || s[i - 1] == '[' || s[i - 1] == ',' ||
                                          s[i - 1] == '{')) {
      quote = c;
    } else if (c == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
      return s.substr(0, i);
    }
  }
  return s;
}

[[noreturn]] void fail(int line, std::string_view message) {
  throw InputError(fmt::format("line {}: {}", line, message));
}

class Parser {
 public:
  Parser(std::vector<Line> lines) : lines_(std::move(lines)) {}

  Json document() {
    skip_blank();
    if (at_ >= lines_.size()) return nullptr;
    Json value = block(lines_[at_].indent);
    skip_blank();
    if (at_ < lines_.size()) fail(lines_[at_].number, "unexpected indentation");
    return value;
  }

 private:
  void skip_blank() {
    while (at_ < lines_.size() && blank(lines_[at_])) ++at_;
  }

  static bool is_item(std::string_view text) {
    return text == "-" || text.starts_with("- ");
  }

  // Position of the ':' that ends a mapping key, or npos.
  static size_t key_colon(std::string_view text) {
    size_t i = 0;
    if (!text.empty() && (text[0] == '"' || text[0] == '\'')) {
      char quote = text[0];
      for (i = 1; i < text.size(); ++i) {
        if (text[i] == '\\' && quote == '"') { ++i; continue; }
        if (text[i] == quote) {
          if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') { ++i; continue; }
          break;
        }
      }
    }
    if (!text.empty() && (text[0] == '[' || text[0] == '{')) return std::string_view::npos;
    for (; i < text.size(); ++i)
      if (text[i] == ':' && (i + 1 == text.size() || text[i + 1] == ' ')) return i;
    return std::string_view::npos;
  }

  Json block(int indent) {
    return is_item(lines_[at_].text) ? sequence(indent) : mapping(indent);
  }

  Json sequence(int indent) {
    Json out = Json::array();
    while (true) {
      skip_blank();
      if (at_ >= lines_.size() || lines_[at_].indent != indent || !is_item(lines_[at_].text)) break;
      Line& line = lines_[at_];
      std::string_view rest = line.text.substr(1);
      size_t offset = 1;
      while (!rest.empty() && rest[0] == ' ') { rest.remove_prefix(1); ++offset; }
      if (rest.empty()) {
        ++at_;
        out.push_back(nested(indent));
      } else if (is_item(rest) || key_colon(rest) != std::string_view::npos) {
        // "- key: value" opens a mapping (or "- - x" a sequence) at the item's column.
        line.indent += static_cast<int>(offset);
        line.text = rest;
        out.push_back(block(line.indent));
      } else {
        out.push_back(scalar_value(rest, indent));
      }
    }
    return out;
  }

  Json mapping(int indent) {
    Json out = Json::object();
    while (true) {
      skip_blank();
      if (at_ >= lines_.size() || lines_[at_].indent != indent || is_item(lines_[at_].text)) break;
      const Line& line = lines_[at_];
      size_t colon = key_colon(line.text);
      if (colon == std::string_view::npos) fail(line.number, "expected 'key: value'");
      std::string key = unquote(trim(line.text.substr(0, colon)), line.number);
      std::string_view rest = trim(line.text.substr(colon + 1));
      if (out.contains(key)) fail(line.number, fmt::format("duplicate key '{}'", key));
      if (rest.empty()) {
        ++at_;
        out[key] = nested(indent);
      } else {
        out[key] = scalar_value(rest, indent);
      }
    }
    return out;
  }

  // The value under a key or item whose own line ended: more indented lines, or a sequence
  // at the same indentation (YAML allows "key:\n- a").
  Json nested(int indent) {
    skip_blank();
    if (at_ >= lines_.size()) return nullptr;
    const Line& next = lines_[at_];
    if (next.indent > indent || (next.indent == indent && is_item(next.text)))
      return block(next.indent);
    return nullptr;
  }

  // A value that starts on the current line (after "key:" or "- "); consumes its lines.
  Json scalar_value(std::string_view rest, int indent) {
    const Line& line = lines_[at_];
    if (rest[0] == '|' || rest[0] == '>') return block_scalar(rest, indent);
    if (rest[0] == '[' || rest[0] == '{') {
      std::string text(rest);
      int depth = flow_depth(text);
      ++at_;
      while (depth > 0 && at_ < lines_.size()) {
        text += ' ';
        text += lines_[at_].text;
        depth = flow_depth(text);
        ++at_;
      }
      size_t pos = 0;
      Json value = flow(text, pos, line.number);
      return value;
    }
    std::string text = (rest[0] == '"' || rest[0] == '\'') ? unquote(rest, line.number) : std::string(rest);
    bool plain = rest[0] != '"' && rest[0] != '\'';
    ++at_;
    // A plain scalar continues on more indented lines that are not keys or items.
    while (plain && at_ < lines_.size() && !blank(lines_[at_]) && lines_[at_].indent > indent &&
           key_colon(lines_[at_].text) == std::string_view::npos && !is_item(lines_[at_].text)) {
      text += ' ';
      text += lines_[at_].text;
      ++at_;
    }
    if (plain && (text == "null" || text == "~" || text == "Null" || text == "NULL")) return nullptr;
    return text;
  }

  Json block_scalar(std::string_view header, int indent) {
    bool literal = header[0] == '|';
    char chomp = header.find('-') != std::string_view::npos ? '-' : header.find('+') != std::string_view::npos ? '+' : ' ';
    ++at_;
    std::vector<std::string_view> body;
    int body_indent = -1;
    while (at_ < lines_.size()) {
      const Line& line = lines_[at_];
      std::string_view content = trim(line.raw);
      if (!content.empty()) {
        if (line.indent <= indent) break;
        if (body_indent < 0) body_indent = line.indent;
        if (line.indent < body_indent) break;
        body.push_back(line.raw.substr(body_indent));
      } else {
        body.push_back({});
      }
      ++at_;
    }
    while (!body.empty() && trim(body.back()).empty()) body.pop_back();
    std::string out;
    for (size_t i = 0; i < body.size(); ++i) {
      std::string_view part = body[i];
      if (!part.empty() && part.back() == '\r') part.remove_suffix(1);
      if (i > 0) out += (literal || body[i - 1].empty() || part.empty()) ? "\n" : " ";
      out += part;
    }
    if (chomp != '-' && !out.empty()) out += '\n';
    return out;
  }

  static int flow_depth(std::string_view text) {
    int depth = 0;
    char quote = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (quote) {
        if (c == '\\' && quote == '"') ++i;
        else if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '[' || c == '{') {
        ++depth;
      } else if (c == ']' || c == '}') {
        --depth;
      }
    }
    return depth;
  }

  Json flow(std::string_view text, size_t& pos, int number) {
    auto space = [&] { while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos; };
    space();
    if (pos >= text.size()) fail(number, "unexpected end of flow value");
    char open = text[pos];
    if (open == '[' || open == '{') {
      char close = open == '[' ? ']' : '}';
      Json out = open == '[' ? Json::array() : Json::object();
      ++pos;
      while (true) {
        space();
        if (pos < text.size() && text[pos] == close) { ++pos; return out; }
        if (open == '[') {
          out.push_back(flow(text, pos, number));
        } else {
          Json key = flow_scalar(text, pos, number, true);
          space();
          if (pos >= text.size() || text[pos] != ':') fail(number, "expected ':' in flow mapping");
          ++pos;
          out[key.is_string() ? key.get<std::string>() : key.dump()] = flow(text, pos, number);
        }
        space();
        if (pos < text.size() && text[pos] == ',') { ++pos; continue; }
        if (pos < text.size() && text[pos] == close) { ++pos; return out; }
        fail(number, "expected ',' or a closing bracket");
      }
    }
    return flow_scalar(text, pos, number, false);
  }

  Json flow_scalar(std::string_view text, size_t& pos, int number, bool key) {
    if (text[pos] == '"' || text[pos] == '\'') {
      char quote = text[pos];
      size_t end = pos + 1;
      for (; end < text.size(); ++end) {
        if (text[end] == '\\' && quote == '"') { ++end; continue; }
        if (text[end] == quote) {
          if (quote == '\'' && end + 1 < text.size() && text[end + 1] == '\'') { ++end; continue; }
          break;
        }
      }
      std::string value = unquote(text.substr(pos, end + 1 - pos), number);
      pos = end + 1;
      return value;
    }
    size_t end = pos;
    while (end < text.size() && text[end] != ',' && text[end] != ']' && text[end] != '}' &&
           !(key && text[end] == ':'))
      ++end;
    std::string value(trim(text.substr(pos, end - pos)));
    pos = end;
    if (value == "null" || value == "~") return nullptr;
    return value;
  }

  static std::string unquote(std::string_view s, int number) {
    if (s.empty() || (s[0] != '"' && s[0] != '\'')) return std::string(s);
    char quote = s[0];
    if (s.size() < 2 || s.back() != quote) fail(number, "unterminated quoted scalar");
    s = s.substr(1, s.size() - 2);
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (quote == '\'' && c == '\'' && i + 1 < s.size() && s[i + 1] == '\'') {
        out += '\'';
        ++i;
      } else if (quote == '"' && c == '\\' && i + 1 < s.size()) {
        char e = s[++i];
        switch (e) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case '0': out += '\0'; break;
          default: out += e;  // \" \\ \/ and the rest stand for themselves
        }
      } else {
        out += c;
      }
    }
    return out;
  }

  std::vector<Line> lines_;
  size_t at_ = 0;
};

}  // namespace

std::vector<Json> parse_yaml(std::string_view text) {
  std::vector<Json> documents;
  std::vector<Line> lines;
  int number = 0;
  auto flush = [&] {
    bool any = false;
    for (const Line& l : lines) any |= !blank(l);
    if (any) documents.push_back(Parser(std::move(lines)).document());
    lines.clear();
  };
  size_t at = 0;
  while (at <= text.size()) {
    size_t nl = text.find('\n', at);
    std::string_view raw = text.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    ++number;
    if (raw == "---" || raw.starts_with("--- ")) {
      flush();
    } else if (raw != "...") {
      int indent = 0;
      while (indent < static_cast<int>(raw.size()) && raw[indent] == ' ') ++indent;
      if (indent < static_cast<int>(raw.size()) && raw[indent] == '\t')
        fail(number, "tabs are not allowed for indentation");
      lines.push_back({number, indent, raw, trim(strip_comment(raw.substr(indent)))});
    }
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  flush();
  return documents;
}

}  // namespace firebreak::cloudtrail
