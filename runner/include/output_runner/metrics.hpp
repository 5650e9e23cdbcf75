// What output-runner counts, and its Prometheus text exposition (format
// 0.0.4): per activation the records submitted, delivered, retried, failed,
// dead-lettered and in flight and the latency from read to completion as a
// histogram; per runner the entries consumed and claimed and the group's lag
// and pending count. Counters are written by the runner's thread and read by
// the metrics server's.
#pragma once

#include "output_step/output_step.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace output_runner {

class LatencyHistogram {
 public:
  static constexpr std::array<double, 14> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                     0.25,  0.5,    1,     2.5,  5,     10,  60};
  void observe(double seconds);
  void render(const std::string& name, const std::string& labels, std::string& out) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> counts_{};  // the last: above every bound
  std::atomic<std::uint64_t> sum_us_{0};
};

struct ActivationMetrics {
  std::string name;
  const output_step_t* step = nullptr;  // its stats give retried and in flight; null once destroyed
  std::atomic<std::uint64_t> submitted{0}, delivered{0}, failed{0}, dead_lettered{0};
  LatencyHistogram latency;
};

struct RunnerMetrics {
  std::string stream, group, consumer;
  std::deque<ActivationMetrics> activations;  // stable addresses
  std::atomic<std::uint64_t> consumed{0}, claimed{0}, poison{0};
  std::atomic<std::int64_t> lag{-1}, pending{-1};

  std::string render() const;
};

}  // namespace output_runner
