// What to do after an attempt: deliver, retry later, or give up; and when.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace webhook {

enum class Verdict { delivered, retry, permanent };

// 2xx delivered; 408, 429 and 5xx retried; everything else (1xx, 3xx since
// redirects are not followed, other 4xx) permanent.
Verdict classify_status(int status);

// Why a 3xx answer ends a record: what the status means, and that the step
// follows no redirect ("Not Modified: ..." for 304).
std::string describe_redirect(int status);

struct BackoffPolicy {
  std::uint32_t initial_ms = 1000;
  std::uint32_t max_ms = 60000;

  // The wait before retry number `retry` (1 for the first retry):
  // initial * 2^(retry-1), times a jitter factor in [0.8, 1.2) taken from
  // `unit_random` in [0, 1), kept within [initial, max].
  std::int64_t delay_ms(std::uint32_t retry, double unit_random) const;
};

// Parses a Retry-After value: delta-seconds, or an HTTP-date (IMF-fixdate,
// RFC 850 or asctime form), relative to `now_ms` (Unix ms). Returns the wait
// in ms (0 for a date in the past), or nullopt when the value is neither.
std::optional<std::int64_t> parse_retry_after(std::string_view value, std::int64_t now_ms);

}  // namespace webhook
