// The steady clock in nanoseconds: what the engine's parts time latencies
// and busy polling with.
#pragma once

#include <chrono>
#include <cstdint>

namespace webhook {

inline std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace webhook
