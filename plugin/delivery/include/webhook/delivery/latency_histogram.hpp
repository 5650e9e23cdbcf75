// Latency percentiles in constant memory: log-linear buckets (8 per power
// of two) over microseconds up to 2^36 us (19 hours; longer ones count in
// the last bucket, the maximum stays exact), so quantiles are within ~10 %.
// One thread records (plain stores, no lock: it ran once per delivered
// record); any thread may read, and sees each count whole, if not all of
// them at the same instant. 2.3 KiB, two cache lines written per record: a
// process holds thousands (three per activation).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace webhook {

// Adds one to a counter that only one thread writes (others may read it):
// a plain store, not a locked read-modify-write.
inline void bump(std::atomic<std::uint64_t>& counter) {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

class LatencyHistogram {
 public:
  void record(std::int64_t micros) {
    bump(counts_[bucket_of(micros < 0 ? 0 : static_cast<std::uint64_t>(micros))]);
    if (micros > max_.load(std::memory_order_relaxed)) max_.store(micros, std::memory_order_relaxed);
  }
  std::uint64_t total() const {
    std::uint64_t total = 0;
    for (const auto& count : counts_) total += count.load(std::memory_order_relaxed);
    return total;
  }
  std::int64_t max() const { return max_.load(std::memory_order_relaxed); }
  // The upper bound of the bucket holding quantile `q` in [0, 1], in µs.
  std::int64_t quantile(double q) const {
    std::array<std::uint64_t, kBuckets> counts;
    std::uint64_t total = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) total += counts[b] = counts_[b].load(std::memory_order_relaxed);
    const std::int64_t max = max_.load(std::memory_order_relaxed);
    if (total == 0) return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) {
      seen += counts[b];
      if (seen >= rank) return upper_of(b) < max && b + 1 < kBuckets ? upper_of(b) : max;
    }
    return max;
  }

 private:
  static constexpr std::size_t kSub = 8;
  static constexpr std::size_t kOctaves = 36;
  static constexpr std::size_t kBuckets = (kOctaves - 2) * kSub;
  static std::size_t bucket_of(std::uint64_t v) {
    if (v < kSub) return static_cast<std::size_t>(v);
    if (v >> kOctaves) return kBuckets - 1;
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
  std::atomic<std::int64_t> max_{0};
  std::array<std::atomic<std::uint64_t>, kBuckets> counts_{};
};

}  // namespace webhook
