#include "firebreak/cloudtrail/text.h"

#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "firebreak/base/time.h"

namespace firebreak::cloudtrail {
namespace {

bool glob_match(std::string_view p, std::string_view t) {
  // Iterative matcher with one backtrack point: linear for the patterns people write.
  size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
      continue;
    }
    if (pi < p.size()) {
      char pc = p[pi];
      bool escaped = pc == '\\' && pi + 1 < p.size();
      if (escaped) pc = p[pi + 1];
      if ((!escaped && pc == '?') || ascii_lower(pc) == ascii_lower(t[ti])) {
        pi += escaped ? 2 : 1;
        ++ti;
        continue;
      }
    }
    if (star == std::string_view::npos) return false;
    pi = star + 1;
    ti = ++mark;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's algorithm: exact for the proleptic Gregorian calendar.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(std::string_view s, size_t at, size_t n, int& out) {
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

bool iends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && iequals(text.substr(text.size() - suffix.size()), suffix);
}

bool icontains(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > haystack.size()) return false;
  const char first = ascii_lower(needle[0]);
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (ascii_lower(haystack[i]) == first && iequals(haystack.substr(i, needle.size()), needle))
      return true;
  }
  return false;
}

Glob::Glob(std::string_view pattern)
    : pattern_(pattern), literal_(pattern.find_first_of("*?\\") == std::string_view::npos) {}

bool Glob::matches(std::string_view text) const {
  return literal_ ? iequals(text, pattern_) : glob_match(pattern_, text);
}

std::string Glob::to_sql_like() const {
  std::string out;
  for (size_t i = 0; i < pattern_.size(); ++i) {
    char c = pattern_[i];
    if (c == '\\' && i + 1 < pattern_.size()) {
      c = pattern_[++i];
      if (c == '%' || c == '_' || c == '\\') out += '\\';
      out += ascii_lower(c);
    } else if (c == '*') {
      out += '%';
    } else if (c == '?') {
      out += '_';
    } else {
      if (c == '%' || c == '_') out += '\\';
      if (c == '\'') out += '\'';
      out += ascii_lower(c);
    }
  }
  return out;
}

int64_t parse_event_time(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (s.size() >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
      s[16] == ':' && digits(s, 0, 4, year) && digits(s, 5, 2, month) && digits(s, 8, 2, day) &&
      digits(s, 11, 2, hour) && digits(s, 14, 2, minute) && digits(s, 17, 2, second) &&
      s.size() == 20 && s[19] == 'Z' && month >= 1 && month <= 12 && day >= 1 && day <= 31) {
    return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  }
  // Anything unusual (fractions, offsets) goes through the general parser.
  if (auto t = parse_timestamp(s)) {
    return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
  }
  return kNoTime;
}

std::string format_event_time(int64_t seconds) {
  int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  int64_t rest = seconds - days * 86400;
  // civil_from_days, the inverse of days_from_civil.
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, m, d, rest / 3600, rest / 60 % 60,
                     rest % 60);
}

std::optional<int64_t> parse_time_argument(std::string_view text, bool end_of_day) {
  if (text.size() >= 2) {
    char unit = text.back();
    int64_t scale = unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
    std::string_view number = text.substr(0, text.size() - 1);
    if (scale && number.find_first_not_of("0123456789") == std::string_view::npos) {
      auto now = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch());
      return now.count() - std::stoll(std::string(number)) * scale;
    }
  }
  int64_t t = parse_event_time(text);
  if (t == kNoTime) return std::nullopt;
  bool date_only = text.size() == 10 && text[4] == '-' && text[7] == '-';
  return date_only && end_of_day ? t + 86400 : t;
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

size_t skip_space(std::string_view text, size_t at) {
  while (at < text.size() && is_space(text[at])) ++at;
  return at;
}

std::string_view trim_end(std::string_view text) {
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_csv_field(std::string& out, std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace firebreak::cloudtrail
