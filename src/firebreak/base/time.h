#pragma once
// Wall-clock time in the formats AWS uses, and a clock tests can replace.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace firebreak {

using SystemTime = std::chrono::system_clock::time_point;

// "20150830T123600Z", the SigV4 X-Amz-Date form.
std::string format_amz_date(SystemTime t);
// "2015-08-30T12:36:00Z" (milliseconds added when non-zero), the form AWS accepts in requests.
std::string format_iso8601(SystemTime t);
// "2015-08-30T12:36:00+00:00" (".123000" before the offset when sub-second): what boto3's
// datetime.isoformat() prints and so what `aws` shows; every parsed timestamp is printed this way.
std::string format_boto_timestamp(SystemTime t);
// "Sun, 30 Aug 2015 12:36:00 GMT", RFC 822 / HTTP date (rest protocols' headers).
std::string format_rfc822(SystemTime t);

// Parses ISO 8601 (with Z, an offset, or none meaning UTC; fractional seconds), RFC 822 dates
// and epoch seconds (integer or fractional). Returns nullopt when the text is none of these.
std::optional<SystemTime> parse_timestamp(std::string_view text);
SystemTime from_epoch_seconds(double seconds);
double to_epoch_seconds(SystemTime t);

// The time source: tests set it to a fixed instant. Not for measuring durations.
class Clock {
 public:
  static SystemTime now();
  static void set_for_testing(std::function<SystemTime()> source);  // empty restores the system clock
};

}  // namespace firebreak
