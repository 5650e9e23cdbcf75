// One circuit breaker: closed, it counts failures in a row; at the bound it
// opens for a cool-down, in which no attempt starts; then one probe
// (half-open): its success closes the circuit, its failure opens it again
// for twice the cool-down, up to the maximum. The state is readable from
// any thread (stats); everything else belongs to the loop's thread.
#pragma once

#include <webhook/rendering/config.hpp>

#include <atomic>
#include <cstdint>

namespace webhook {

class CircuitBreaker {
 public:
  enum class State { closed, open, half_open };

  explicit CircuitBreaker(const CircuitBreakerSettings& settings);

  // Whether an attempt may start at `now_ms`: closed, or the cool-down
  // over with no probe out yet. Changes nothing.
  bool may_start(std::int64_t now_ms) const;
  // An attempt starts (may_start was true): after a cool-down it is the
  // probe, and the circuit is half-open. Returns whether it is the probe.
  bool started(std::int64_t now_ms);
  // The probe will not report (its engine went): another may go.
  void probe_abandoned();

  // An attempt's end; each returns whether the state changed.
  bool on_success();
  bool on_failure(std::int64_t now_ms);

  State state() const { return state_.load(std::memory_order_relaxed); }
  bool is_open() const { return state() != State::closed; }
  // When the cool-down ends (open), -1 otherwise.
  std::int64_t open_until_ms() const { return state() == State::open ? open_until_ms_ : -1; }
  std::int64_t cooldown_ms() const { return cooldown_ms_; }

 private:
  void open(std::int64_t now_ms, std::int64_t cooldown_ms);

  CircuitBreakerSettings settings_;
  std::atomic<State> state_{State::closed};
  std::uint32_t failures_ = 0;  // in a row, while closed
  std::int64_t cooldown_ms_;
  std::int64_t open_until_ms_ = -1;
  bool probe_out_ = false;
};

}  // namespace webhook
