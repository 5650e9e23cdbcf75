// What to do after an attempt: deliver, retry later, or give up; and when.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// delivery.retry, decoded: how often, after how long, for how long, and
// which statuses besides the usual ones.
struct RetryPolicy {
  std::uint32_t retry_count = 3;  // with a schedule: its length
  BackoffPolicy backoff;
  // The waits before retries 1..n, each jittered by up to +-10 %, instead
  // of the exponential backoff (delivery.retry.schedule); empty: none.
  std::vector<std::int64_t> schedule_ms;
  std::int64_t max_age_ms = 0;  // no attempt starts later than this after the first; 0: no limit
  std::vector<int> on_status;   // retried besides 408, 429 and 5xx

  // The wait before retry number `retry` (1 for the first).
  std::int64_t delay_ms(std::uint32_t retry, double unit_random) const;
};

// "72h", "5m", "1500ms": the largest unit that counts `ms` whole.
std::string duration_text(std::int64_t ms);

// An attempt's outcome, as the retry strategy sees it.
struct AttemptOutcome {
  int status = 0;                    // 0 when no response arrived
  bool tls_verification_failed = false;
  std::string_view error;            // when no response arrived
  std::string_view retry_after;      // the Retry-After header, if any
  std::int64_t first_attempt_ms = 0;  // host time the record's first attempt started (for max_age)
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
  explicit RetryStrategy(RetryPolicy policy) : policy_(std::move(policy)) {}

  // After attempt number `attempts`; `may_retry` false (shutting down)
  // turns a retry into a failure. `unit_random` in [0, 1) jitters the wait.
  Decision decide(const AttemptOutcome& outcome, std::uint32_t attempts, bool may_retry, std::int64_t now_ms,
                  double unit_random) const;

 private:
  Verdict classify(int status) const;
  // A retry after `delay_ms` that would start past max_age: why not.
  std::optional<std::string> past_max_age(const AttemptOutcome& outcome, std::int64_t now_ms, std::int64_t delay_ms,
                                          bool retry_after_decided) const;

  RetryPolicy policy_;
};

// Parses a Retry-After value: delta-seconds, or an HTTP-date (IMF-fixdate,
// RFC 850 or asctime form), relative to `now_ms` (Unix ms). Returns the wait
// in ms (0 for a date in the past), or nullopt when the value is neither.
std::optional<std::int64_t> parse_retry_after(std::string_view value, std::int64_t now_ms);

}  // namespace webhook
