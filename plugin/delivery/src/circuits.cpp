#include "circuits.hpp"

#include <webhook/delivery/retry_policy.hpp>

#include <algorithm>

namespace webhook {

Circuits::Circuits(const std::optional<CircuitBreakerSettings>& settings, ConnectionPool& pool, std::string origin,
                   EngineLog& log)
    : pool_(pool), origin_(std::move(origin)), log_(log) {
  if (!settings) return;
  own_.emplace(*settings);
  shared_ = pool.breaker(*settings);
}

bool Circuits::may_start(std::int64_t now_ms, AttemptHandler& handler, std::int64_t& until_ms) {
  if (!own_) return true;
  const bool own_ok = own_->may_start(now_ms);
  const bool shared_ok = shared_->may_start(now_ms);
  if (own_ok && shared_ok) return true;
  until_ms = std::max(own_ok ? -1 : own_->open_until_ms(), shared_ok ? -1 : shared_->open_until_ms());
  // Half-open with a probe out: its result wakes this engine (its own
  // probe's comes back here anyway).
  if (!shared_ok && shared_->state() == CircuitBreaker::State::half_open) pool_.wait_for_circuit(handler);
  return false;
}

void Circuits::started(std::int64_t now_ms) {
  if (!own_) return;
  own_->started(now_ms);
  if (shared_->started(now_ms)) holds_shared_probe_ = true;
}

void Circuits::on_result(int status, bool connection_failed, std::int64_t now_ms, const std::string& error) {
  if (!own_) return;
  // What the last attempt met, said only when a circuit changes.
  const auto last = [&] { return status > 0 ? "HTTP " + std::to_string(status) : error; };
  if (connection_failed || status > 0) {
    const bool was_open = shared_->is_open();
    const bool changed = connection_failed ? shared_->on_failure(now_ms) : shared_->on_success();
    holds_shared_probe_ = false;
    if (changed) {
      tell(was_open && shared_->is_open() ? "open again" : shared_->is_open() ? "open" : "closed", *shared_,
           connection_failed ? "connection failures (last: " + last() + ")" : "an answer came");
      pool_.circuit_changed();
    }
  }
  if (status <= 0 || status == 429) return;  // no answer, or a throttle: neither opens nor closes it
  const bool was_open = own_->is_open();
  const bool failed = status >= 500 && status < 600;
  if (failed ? own_->on_failure(now_ms) : own_->on_success()) {
    tell(was_open && own_->is_open() ? "open again" : own_->is_open() ? "open" : "closed", *own_,
         failed ? "5xx answers to this activation (last: " + last() + ")" : "an answer other than 5xx came");
  }
}

void Circuits::tell(const char* what, const CircuitBreaker& breaker, const std::string& why) {
  std::string line = std::string("circuit ") + what + " for " + origin_ + ": ";
  if (!breaker.is_open()) {
    log_(LogLevel::info, line + why);
    return;
  }
  log_(LogLevel::warning, line + why + "; no attempt for " + duration_text(breaker.cooldown_ms()) +
                              ", then one probe (delivery.circuit_breaker)");
}

std::uint32_t Circuits::open_count() const {
  if (!own_) return 0;
  return (own_->is_open() ? 1u : 0u) + (shared_->is_open() ? 1u : 0u);
}

void Circuits::on_void() {
  if (!own_) return;
  if (own_->state() == CircuitBreaker::State::half_open) own_->probe_abandoned();
  leave();
}

void Circuits::leave() {
  if (!holds_shared_probe_) return;
  holds_shared_probe_ = false;
  shared_->probe_abandoned();
  pool_.circuit_changed();
}

}  // namespace webhook
