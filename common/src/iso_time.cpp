#include "webhook_common/iso_time.hpp"

#include <cstdio>
#include <ctime>

namespace webhook_common {

std::string format_iso8601(std::int64_t unix_ms) {
  // Floor division: -1 ms is 23:59:59.999 of the day before, not ".-01".
  std::int64_t seconds = unix_ms / 1000;
  std::int64_t millis = unix_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  const auto time = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&time, &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  return text;
}

std::optional<std::int64_t> parse_iso8601(std::string_view text, ZoneSuffix zone) {
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  const std::string terminated(text);  // strptime reads a C string
  std::tm tm{};
  const char* rest = strptime(terminated.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  int millis = 0;
  if (*rest == '.') {
    ++rest;
    int digits = 0;
    for (; *rest >= '0' && *rest <= '9'; ++rest, ++digits) {
      if (digits < 3) millis = millis * 10 + (*rest - '0');
    }
    for (; digits < 3; ++digits) millis *= 10;
  }
  if (*rest == 'Z') ++rest;
  else if (zone == ZoneSuffix::required) return std::nullopt;
  if (*rest != '\0') return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + millis;
}

}  // namespace webhook_common
