// The random numbers of the retries' jitter. [the loop's thread]
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <random>

namespace webhook {

// SplitMix64: the retries' jitter needs no more, and an engine stays small
// (std::mt19937_64 is 2.5 KiB of state). Each engine starts at its own
// point, drawn from one process-wide seed: std::random_device once per
// process, not twice per engine (it was four fifths of the time 10,000
// activations took to create).
class Jitter {
 public:
  using result_type = std::uint64_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
  result_type operator()() { return mix(state_ += kGamma); }

 private:
  static constexpr std::uint64_t kGamma = 0x9e3779b97f4a7c15ULL;
  static std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  static std::uint64_t next_seed() {
    static const std::uint64_t process_seed =
        (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    static std::atomic<std::uint64_t> engines{0};
    return mix(process_seed + engines.fetch_add(1, std::memory_order_relaxed) * kGamma);
  }
  std::uint64_t state_ = next_seed();
};

}  // namespace webhook
