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

// An attempt's outcome, as the retry strategy sees it.
struct AttemptOutcome {
  int status = 0;                    // 0 when no response arrived
  bool tls_verification_failed = false;
  std::string_view error;            // when no response arrived
  std::string_view retry_after;      // the Retry-After header, if any
};

struct Decision {
  enum class Kind { delivered, retry, fail } kind = Kind::fail;
  std::int64_t delay_ms = 0;  // retry: the wait before the next attempt
  std::string reason;         // fail: why, as the record's error says it
};

// What follows an attempt (Seastar's retry strategy): the one place that
// knows which answers are retried, how often, and after how long.
class RetryStrategy {
 public:
  RetryStrategy(std::uint32_t retry_count, BackoffPolicy backoff) : retry_count_(retry_count), backoff_(backoff) {}

  // After attempt number `attempts`; `may_retry` false (shutting down)
  // turns a retry into a failure. `unit_random` in [0, 1) jitters the wait.
  Decision decide(const AttemptOutcome& outcome, std::uint32_t attempts, bool may_retry, std::int64_t now_ms,
                  double unit_random) const;

 private:
  std::uint32_t retry_count_;
  BackoffPolicy backoff_;
};

// Parses a Retry-After value: delta-seconds, or an HTTP-date (IMF-fixdate,
// RFC 850 or asctime form), relative to `now_ms` (Unix ms). Returns the wait
// in ms (0 for a date in the past), or nullopt when the value is neither.
std::optional<std::int64_t> parse_retry_after(std::string_view value, std::int64_t now_ms);

}  // namespace webhook
