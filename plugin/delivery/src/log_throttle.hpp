// At most one log line per period for a failure that repeats with every
// record (a full disk): the first at once, the rest counted and told with
// the next line.
#pragma once

#include <chrono>
#include <cstdint>

namespace webhook {

class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::steady_clock::duration period = std::chrono::seconds(10)) : period_(period) {}

  // True when a line may be written now; `suppressed` then says how many
  // were held back since the last one.
  bool allow(std::chrono::steady_clock::time_point now, std::uint64_t& suppressed) {
    if (logged_ && now - last_ < period_) {
      ++held_back_;
      return false;
    }
    logged_ = true;
    last_ = now;
    suppressed = held_back_;
    held_back_ = 0;
    return true;
  }

 private:
  std::chrono::steady_clock::duration period_;
  std::chrono::steady_clock::time_point last_{};
  bool logged_ = false;
  std::uint64_t held_back_ = 0;
};

}  // namespace webhook
