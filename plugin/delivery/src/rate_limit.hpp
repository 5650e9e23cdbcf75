// delivery.rate_limit_per_second as a token bucket: the burst is a tenth
// of a second's worth (at least one request), and the bucket starts full.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace webhook {

class RateLimit {
 public:
  RateLimit(double per_second, std::int64_t now_ms)
      : per_second_(per_second), burst_(std::max(1.0, per_second / 10)), tokens_(per_second > 0 ? burst_ : 0),
        tokens_at_ms_(now_ms) {}

  bool limited() const { return per_second_ > 0; }

  // Takes a token when one is there (always true without a limit).
  bool take(std::int64_t now_ms) {
    if (!limited()) return true;
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ms - tokens_at_ms_) * per_second_ / 1000.0);
    tokens_at_ms_ = now_ms;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

  // When the next token is there (with a limit).
  std::int64_t next_token_ms() const {
    return tokens_at_ms_ + static_cast<std::int64_t>(std::ceil((1.0 - tokens_) * 1000.0 / per_second_));
  }

 private:
  double per_second_;
  double burst_;
  double tokens_;
  std::int64_t tokens_at_ms_;
};

}  // namespace webhook
