// The circuits an engine's attempts pass (delivery.circuit_breaker): its
// connection key's, shared by every engine of the pool, counting
// connection failures and timeouts (the endpoint is down for everyone); and
// the engine's own, counting 5xx answers (one activation's failing path
// does not stop another's). A 429 opens neither. Each change of state is
// logged once, by the engine whose attempt made it. [the loop's thread;
// open_count() any thread]
#pragma once

#include "circuit_breaker.hpp"
#include "connection_pool.hpp"
#include "engine_log.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace webhook {

class Circuits {
 public:
  Circuits(const std::optional<CircuitBreakerSettings>& settings, ConnectionPool& pool, std::string origin,
           EngineLog& log);

  bool enabled() const { return own_.has_value(); }
  // Whether an attempt may start at `now_ms`. When not, `until_ms` is when
  // to look again, or -1 when `handler` hears instead (on_circuit_change:
  // another engine's probe is out).
  bool may_start(std::int64_t now_ms, AttemptHandler& handler, std::int64_t& until_ms);
  // An attempt starts (may_start was true): a probe, after a cool-down.
  void started(std::int64_t now_ms);
  // An attempt ended: its status (0: no answer) and whether the connection
  // failed, timed out or was not trusted (every activation of the key has
  // the same TLS settings).
  void on_result(int status, bool connection_failed, std::int64_t now_ms, const std::string& error);
  // An attempt ended telling nothing of the endpoint (a keep-alive
  // connection the server had closed: sent again at once): if it was a
  // probe, the next attempt is.
  void on_void();
  // The circuits open now, of the two (stats: circuits_open).
  std::uint32_t open_count() const;
  // The engine goes: a probe it has out will not report.
  void leave();

 private:
  void tell(const char* what, const CircuitBreaker& breaker, const std::string& why);

  std::optional<CircuitBreaker> own_;  // this activation's 5xx
  std::shared_ptr<CircuitBreaker> shared_;  // the connection key's failures
  ConnectionPool& pool_;
  std::string origin_;
  EngineLog& log_;
  bool holds_shared_probe_ = false;
};

}  // namespace webhook
