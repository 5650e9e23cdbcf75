#include "retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <string>

namespace webhook {

Verdict classify_status(int status) {
  if (status >= 200 && status < 300) return Verdict::delivered;
  if (status == 408 || status == 429 || (status >= 500 && status < 600)) return Verdict::retry;
  return Verdict::permanent;
}

std::int64_t BackoffPolicy::delay_ms(std::uint32_t retry, double unit_random) const {
  double base = static_cast<double>(initial_ms) * std::pow(2.0, static_cast<double>(std::max<std::uint32_t>(retry, 1) - 1));
  double jittered = base * (0.8 + 0.4 * std::clamp(unit_random, 0.0, 1.0));
  jittered = std::clamp(jittered, static_cast<double>(initial_ms), static_cast<double>(max_ms));
  return static_cast<std::int64_t>(jittered);
}

std::optional<std::int64_t> parse_retry_after(std::string_view value, std::int64_t now_ms) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::int64_t{999'999'999} * 1000;  // absurdly long: clamp
    return std::stoll(std::string(value)) * 1000;
  }
  // HTTP-date, RFC 9110 section 5.6.7: the preferred form and the two obsolete ones.
  static constexpr const char* kFormats[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                             "%a %b %e %H:%M:%S %Y"};
  std::string text(value);
  for (const char* format : kFormats) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), format, &tm);
    if (end == nullptr || *end != '\0') continue;
    std::int64_t at_ms = static_cast<std::int64_t>(timegm(&tm)) * 1000;
    return std::max<std::int64_t>(0, at_ms - now_ms);
  }
  return std::nullopt;
}

}  // namespace webhook
