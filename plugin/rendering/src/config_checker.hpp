// The configuration parser's checks: webhook_common's JsonChecker with
// dotted field names ("delivery.tls.ca_file"), its errors collected as
// ConfigErrors (every one, not just the first), and durations read as
// whole numbers of their unit.
#pragma once

#include <webhook/rendering/config.hpp>
#include <webhook_common/json_checker.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace webhook::config_detail {

class Checker : public webhook_common::JsonChecker {
 public:
  explicit Checker(std::vector<ConfigError>& errors)
      : JsonChecker({Style::dotted}, [&errors](std::string field, std::string message) {
          errors.push_back({std::move(field), std::move(message)});
        }) {}

  std::size_t count() const { return error_count(); }

  // A whole number of the duration's unit, e.g. "webhook_read_timeout" in seconds.
  template <class Rep, class Period>
  void duration(const boost::json::object& parent, std::string_view where, std::string_view key,
                std::chrono::duration<Rep, Period>& out, std::int64_t min, std::int64_t max) {
    if (auto n = JsonChecker::integer(parent, where, key, min, max)) out = std::chrono::duration<Rep, Period>(*n);
  }
};

}  // namespace webhook::config_detail
