#include "firebreak/base/time.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>

namespace firebreak {
namespace {

std::tm to_utc_tm(SystemTime t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::seconds>(t));
  if (std::chrono::system_clock::from_time_t(seconds) > t) --seconds;  // floor before 1970
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return tm;
}

long microseconds_of(SystemTime t) {
  auto since = t.time_since_epoch();
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since).count() % 1000000;
  return micros < 0 ? micros + 1000000 : micros;
}

std::string strftime_utc(SystemTime t, const char* format) {
  std::tm tm = to_utc_tm(t);
  char buffer[64];
  size_t n = std::strftime(buffer, sizeof buffer, format, &tm);
  return std::string(buffer, n);
}

SystemTime from_utc_fields(int year, int month, int day, int hour, int minute, double second) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = 0;
  std::time_t base = timegm(&tm);
  return std::chrono::system_clock::from_time_t(base) +
         std::chrono::round<std::chrono::microseconds>(std::chrono::duration<double>(second));
}

std::optional<SystemTime> parse_iso8601(std::string_view text) {
  int year, month, day, hour = 0, minute = 0;
  std::string s(text.substr(0, 63));
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &consumed) != 3) return {};
  std::string_view tail = std::string_view(s).substr(consumed);
  double second = 0;
  if (!tail.empty()) {
    if (tail[0] != 'T' && tail[0] != 't' && tail[0] != ' ') return {};
    int used = 0;
    if (std::sscanf(std::string(tail.substr(1)).c_str(), "%2d:%2d:%lf%n", &hour, &minute, &second,
                    &used) != 3)
      return {};
    tail = tail.substr(1 + used);
  }
  int offset_minutes = 0;
  if (!tail.empty()) {
    if (tail == "Z" || tail == "z") {
    } else if (tail[0] == '+' || tail[0] == '-') {
      int oh = 0, om = 0;
      std::string offset(tail.substr(1));
      if (std::sscanf(offset.c_str(), "%2d:%2d", &oh, &om) < 1 &&
          std::sscanf(offset.c_str(), "%2d%2d", &oh, &om) < 1)
        return {};
      offset_minutes = (oh * 60 + om) * (tail[0] == '-' ? -1 : 1);
    } else {
      return {};
    }
  }
  return from_utc_fields(year, month, day, hour, minute, second) -
         std::chrono::minutes(offset_minutes);
}

std::optional<SystemTime> parse_rfc822(std::string_view text) {
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char weekday[8], month_name[8], zone[8];
  int day, year, hour, minute, second;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%7[A-Za-z], %d %7s %d %d:%d:%d %7s", weekday, &day, month_name, &year,
                  &hour, &minute, &second, zone) < 7)
    return {};
  for (int m = 0; m < 12; ++m) {
    if (std::strcmp(months[m], month_name) == 0) {
      return from_utc_fields(year, m + 1, day, hour, minute, second);
    }
  }
  return {};
}

std::mutex clock_mutex;
std::function<SystemTime()> clock_source;

}  // namespace

std::string format_amz_date(SystemTime t) { return strftime_utc(t, "%Y%m%dT%H%M%SZ"); }

std::string format_iso8601(SystemTime t) {
  long micros = microseconds_of(t);
  if (micros == 0) return strftime_utc(t, "%Y-%m-%dT%H:%M:%SZ");
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03ld", micros / 1000);
  return strftime_utc(t, "%Y-%m-%dT%H:%M:%S") + fraction + "Z";
}

std::string format_boto_timestamp(SystemTime t) {
  long micros = microseconds_of(t);
  std::string out = strftime_utc(t, "%Y-%m-%dT%H:%M:%S");
  if (micros != 0) {
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%06ld", micros);
    out += fraction;
  }
  return out + "+00:00";
}

std::string format_rfc822(SystemTime t) { return strftime_utc(t, "%a, %d %b %Y %H:%M:%S GMT"); }

std::optional<SystemTime> parse_timestamp(std::string_view text) {
  if (text.empty()) return {};
  bool numeric = true;
  for (char c : text) numeric &= (std::isdigit(static_cast<unsigned char>(c)) || c == '.');
  if (numeric) return from_epoch_seconds(std::strtod(std::string(text).c_str(), nullptr));
  if (auto t = parse_iso8601(text)) return t;
  return parse_rfc822(text);
}

SystemTime from_epoch_seconds(double seconds) {
  // Rounded to microseconds: 1440938160.25 must not become ...160.249999.
  return SystemTime(std::chrono::round<std::chrono::microseconds>(std::chrono::duration<double>(seconds)));
}

double to_epoch_seconds(SystemTime t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

SystemTime Clock::now() {
  std::lock_guard lock(clock_mutex);
  return clock_source ? clock_source() : std::chrono::system_clock::now();
}

void Clock::set_for_testing(std::function<SystemTime()> source) {
  std::lock_guard lock(clock_mutex);
  clock_source = std::move(source);
}

}  // namespace firebreak
