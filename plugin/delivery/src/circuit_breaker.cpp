#include "circuit_breaker.hpp"

#include <algorithm>

namespace webhook {

CircuitBreaker::CircuitBreaker(const CircuitBreakerSettings& settings)
    : settings_(settings), cooldown_ms_(settings.cooldown.count()) {}

bool CircuitBreaker::may_start(std::int64_t now_ms) const {
  switch (state()) {
    case State::closed: return true;
    case State::open: return now_ms >= open_until_ms_;
    case State::half_open: return !probe_out_;
  }
  return false;
}

bool CircuitBreaker::started(std::int64_t now_ms) {
  if (state() == State::closed || !may_start(now_ms)) return false;
  state_.store(State::half_open, std::memory_order_relaxed);
  probe_out_ = true;
  return true;
}

void CircuitBreaker::probe_abandoned() { probe_out_ = false; }

bool CircuitBreaker::on_success() {
  failures_ = 0;
  if (state() == State::closed) return false;
  state_.store(State::closed, std::memory_order_relaxed);
  cooldown_ms_ = settings_.cooldown.count();
  open_until_ms_ = -1;
  probe_out_ = false;
  return true;
}

bool CircuitBreaker::on_failure(std::int64_t now_ms) {
  switch (state()) {
    case State::closed:
      if (++failures_ < settings_.consecutive_failures) return false;
      open(now_ms, cooldown_ms_);
      return true;
    case State::open: return false;  // an attempt begun before it opened
    case State::half_open:
      open(now_ms, std::min<std::int64_t>(cooldown_ms_ * 2, settings_.max_cooldown.count()));
      return true;
  }
  return false;
}

void CircuitBreaker::open(std::int64_t now_ms, std::int64_t cooldown_ms) {
  cooldown_ms_ = cooldown_ms;
  open_until_ms_ = now_ms + cooldown_ms;
  probe_out_ = false;
  failures_ = 0;
  state_.store(State::open, std::memory_order_relaxed);
}

}  // namespace webhook
