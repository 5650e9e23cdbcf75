// The engine's counters and latency histograms, read from any thread
// (stats_json). Those the submitters write and those the I/O thread
// writes sit on different cache lines, so neither side's updates evict the
// other's.
#pragma once

#include <webhook/delivery/latency_histogram.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace webhook {

struct Stats {
  // Written by submitters.
  alignas(64) std::atomic<std::uint64_t> submitted{0}, rejected_busy{0}, rejected_invalid{0};
  // Written by the I/O thread.
  alignas(64) std::atomic<std::uint64_t> delivered{0}, retried{0}, failed{0}, dead_lettered{0}, attempts{0},
      connections_opened{0}, waiting_retry{0};
  std::atomic<bool> disabled{false};  // a 410 Gone disabled the activation (delivery.disable_on_410)
  // Submit -> delivered; submit -> the first attempt starts (the wait for a
  // connection and the I/O thread); an attempt's start -> its response (the
  // endpoint, the network and the I/O thread).
  struct Latencies {
    LatencyHistogram latency, latency_to_send, latency_response;
  };
  // [I/O thread] Made at the first attempt: an activation that has sent
  // nothing holds none of their 12 KiB.
  Latencies& latencies() {
    if (!latencies_) {
      latencies_ = std::make_unique<Latencies>();
      published_.store(latencies_.get(), std::memory_order_release);
    }
    return *latencies_;
  }

  struct SpoolFigures {
    std::uint64_t bytes = 0;
    std::uint64_t unreadable_records = 0;
  };
  // The JSON object of output_step stats, with `in_flight`, the circuits
  // open and, with a spool, its figures.
  std::string to_json(std::uint64_t in_flight, std::uint32_t circuits_open, std::optional<SpoolFigures> spool) const;

 private:
  std::unique_ptr<Latencies> latencies_;            // I/O thread
  std::atomic<const Latencies*> published_{nullptr};  // the same, for to_json on any thread
};

}  // namespace webhook
