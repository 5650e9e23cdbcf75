// The engine's log: the host's callback, every line one line (control
// characters a record brought, a newline or an escape sequence in an
// event_id, are escaped, so that no line can forge another or drive a
// terminal), and failures that repeat with every record told once per 10 s.
#pragma once

#include "log_throttle.hpp"

#include <webhook/delivery/delivery_engine.hpp>
#include <webhook_common/log_text.hpp>

#include <functional>
#include <string>

namespace webhook {

class EngineLog {
 public:
  explicit EngineLog(std::function<void(LogLevel, const std::string&)> sink) : sink_(std::move(sink)) {}

  void operator()(LogLevel level, const std::string& message) const {
    if (sink_) sink_(level, webhook_common::printable(message));
  }

  void throttled(LogThrottle& throttle, std::string message) const {
    std::uint64_t suppressed = 0;
    if (!throttle.allow(std::chrono::steady_clock::now(), suppressed)) return;
    if (suppressed > 0) message += " (and " + std::to_string(suppressed) + " more times since the last report)";
    (*this)(LogLevel::error, message);
  }

 private:
  std::function<void(LogLevel, const std::string&)> sink_;
};

}  // namespace webhook
