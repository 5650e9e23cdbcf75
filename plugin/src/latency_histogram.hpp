// Latency percentiles in constant memory: log-linear buckets (8 per power
// of two) over microseconds, so quantiles are within ~10 %.
#pragma once

#include <array>
#include <cstdint>

namespace webhook {

class LatencyHistogram {
 public:
  void record(std::int64_t micros) {
    ++counts_[bucket_of(micros < 0 ? 0 : static_cast<std::uint64_t>(micros))];
    ++total_;
    if (micros > max_) max_ = micros;
  }
  std::uint64_t total() const { return total_; }
  std::int64_t max() const { return max_; }
  // The upper bound of the bucket holding quantile `q` in [0, 1], in µs.
  std::int64_t quantile(double q) const {
    if (total_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) {
      seen += counts_[b];
      if (seen >= rank) return upper_of(b) < max_ ? upper_of(b) : max_;
    }
    return max_;
  }

 private:
  static constexpr std::size_t kSub = 8;
  static constexpr std::size_t kBuckets = 64 * kSub;
  static std::size_t bucket_of(std::uint64_t v) {
    if (v < kSub) return static_cast<std::size_t>(v);
    int top = 63 - __builtin_clzll(v);  // >= 3
    std::size_t sub = static_cast<std::size_t>((v >> (top - 3)) & (kSub - 1));
    return static_cast<std::size_t>(top - 2) * kSub + sub;
  }
  static std::int64_t upper_of(std::size_t b) {
    if (b < kSub) return static_cast<std::int64_t>(b);
    std::size_t top = b / kSub + 2;
    std::size_t sub = b % kSub;
    return static_cast<std::int64_t>(((kSub + sub + 1) << (top - 3)) - 1);
  }
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
  std::int64_t max_ = 0;
};

}  // namespace webhook
