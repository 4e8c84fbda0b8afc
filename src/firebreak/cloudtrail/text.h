#pragma once
// Small text helpers the hunt needs on its hot path: case-insensitive globs, CloudTrail's
// eventTime format, and escaping for the CSV and JSON outputs. None allocates when matching.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace firebreak::cloudtrail {

inline constexpr int64_t kNoTime = INT64_MIN;

char ascii_lower(char c);
bool iequals(std::string_view a, std::string_view b);
bool icontains(std::string_view haystack, std::string_view needle);
bool istarts_with(std::string_view text, std::string_view prefix);
bool iends_with(std::string_view text, std::string_view suffix);

// A shell-style pattern: * matches any run, ? one character, \ escapes the next one.
// Matching ignores ASCII case, as AWS names are typed by hand in any case.
class Glob {
 public:
  explicit Glob(std::string_view pattern);
  bool matches(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }
  bool is_literal() const { return literal_; }
  // The pattern as a SQL LIKE operand (escape character '\'), lower-cased.
  std::string to_sql_like() const;

 private:
  std::string pattern_;
  bool literal_;
};

// "2024-07-31T12:46:41Z" (fraction and offset allowed) as seconds since the epoch, or kNoTime.
int64_t parse_event_time(std::string_view text);
// Seconds since the epoch as "2024-07-31T12:46:41Z".
std::string format_event_time(int64_t seconds);
// A --since/--until value: an ISO 8601 time or date, epoch seconds, or a duration back from
// now ("90m", "36h", "7d"). A date alone means its midnight; with end_of_day, the next one.
std::optional<int64_t> parse_time_argument(std::string_view text, bool end_of_day);

// JSON's whitespace: space, tab, line feed and carriage return.
bool is_space(char c);
// The first position at or after `at` that is not whitespace (text.size() when none is).
size_t skip_space(std::string_view text, size_t at);
std::string_view trim_end(std::string_view text);

void append_json_string(std::string& out, std::string_view text);
void append_csv_field(std::string& out, std::string_view text);

}  // namespace firebreak::cloudtrail
