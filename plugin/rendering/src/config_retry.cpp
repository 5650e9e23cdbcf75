#include "config_retry.hpp"

#include <charconv>
#include <limits>
#include <optional>
#include <string_view>

namespace webhook::config_detail {
namespace json = boost::json;
namespace {

constexpr std::string_view kDurationForm = "a whole number and a unit: ms, s, m, h or d (\"30s\", \"5m\", \"72h\")";

// "5s", "30m", "2h", "1d", "1500ms": milliseconds, or nullopt.
std::optional<std::int64_t> parse_duration_text(std::string_view text) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  const bool too_many_digits = ec == std::errc::result_out_of_range;
  if (too_many_digits) {
    while (end != text.data() + text.size() && *end >= '0' && *end <= '9') ++end;
  } else if (ec != std::errc{} || end == text.data() || n < 0) {
    return std::nullopt;
  }
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::int64_t scale = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  else if (unit == "d") scale = 86'400'000;
  else return std::nullopt;
  if (too_many_digits || n > kMaxRetryWait.count() / scale) return kMaxRetryWait.count() + 1;  // over any bound
  return n * scale;
}

// A duration given as text at `at`, within [min, max].
std::optional<std::chrono::milliseconds> duration_at(Checker& check, const json::value& value, const std::string& at,
                                                     std::chrono::milliseconds min) {
  const auto text = check.string(value, at);
  if (!text) return std::nullopt;
  const auto ms = parse_duration_text(*text);
  if (!ms) {
    check.error(at, "is '" + *text + "': not a duration (" + std::string(kDurationForm) + ")");
    return std::nullopt;
  }
  if (*ms < min.count() || *ms > kMaxRetryWait.count()) {
    const std::string lowest = min.count() % 1000 == 0 ? std::to_string(min.count() / 1000) + "s"
                                                        : std::to_string(min.count()) + "ms";
    check.error(at, "is '" + *text + "'; allowed: " + lowest + " to 30d");
    return std::nullopt;
  }
  return std::chrono::milliseconds(*ms);
}

void parse_schedule(Checker& check, const json::object& retry, const std::string& retry_count_at, Config& config) {
  const std::string at = "delivery.retry.schedule";
  const json::array* schedule = check.array(retry, "delivery.retry", "schedule");
  if (schedule == nullptr) return;
  if (schedule->empty() || schedule->size() > kMaxRetrySchedule) {
    check.error(at, "has " + std::to_string(schedule->size()) + " waits; allowed: 1 to " +
                        std::to_string(kMaxRetrySchedule));
    return;
  }
  if (!retry_count_at.empty()) {
    check.error(at, "cannot be given with " + retry_count_at + ": the schedule's length is the number of retries");
  }
  if (retry.contains("initial_backoff_ms") || retry.contains("max_backoff_ms")) {
    check.error(at, "cannot be given with delivery.retry.initial_backoff_ms or max_backoff_ms: "
                    "the schedule replaces the exponential backoff");
  }
  for (std::size_t i = 0; i < schedule->size(); ++i) {
    if (auto wait = duration_at(check, (*schedule)[i], check.index(at, i), std::chrono::milliseconds(0))) {
      config.retry_schedule.push_back(*wait);
    }
  }
  if (config.retry_schedule.size() == schedule->size()) {
    config.retry_count = static_cast<std::uint32_t>(config.retry_schedule.size());
  }
}

void parse_on_status(Checker& check, const json::object& retry, Config& config) {
  const std::string at = "delivery.retry.on_status";
  const json::array* statuses = check.array(retry, "delivery.retry", "on_status");
  if (statuses == nullptr) return;
  for (std::size_t i = 0; i < statuses->size(); ++i) {
    const std::string item = check.index(at, i);
    const auto status = check.integer((*statuses)[i], item, std::numeric_limits<std::int64_t>::min(),
                                      std::numeric_limits<std::int64_t>::max());
    if (!status) continue;
    if (*status < 300 || *status > 599) {
      check.error(item, "is " + std::to_string(*status) +
                            (*status >= 200 && *status < 300 ? ": a 2xx is a delivery, never retried" : "") +
                            "; allowed: 300 to 599");
      continue;
    }
    config.retry_on_status.push_back(static_cast<int>(*status));
  }
}

}  // namespace

void parse_retry(Checker& check, const json::object& delivery, const std::string& retry_count_at, Config& config) {
  const auto* retry = check.object(delivery, "delivery", "retry");
  if (retry == nullptr) return;
  check.only_keys(*retry, "delivery.retry", {"initial_backoff_ms", "max_backoff_ms", "schedule", "max_age", "on_status"});
  check.duration(*retry, "delivery.retry", "initial_backoff_ms", config.initial_backoff, 0, 86'400'000);
  check.duration(*retry, "delivery.retry", "max_backoff_ms", config.max_backoff, 0, 86'400'000);
  if (config.max_backoff < config.initial_backoff) {
    check.error("delivery.retry.max_backoff_ms", "must be at least initial_backoff_ms (" +
                                                     std::to_string(config.initial_backoff.count()) + ")");
  }
  parse_schedule(check, *retry, retry_count_at, config);
  if (const auto* max_age = retry->if_contains("max_age")) {
    if (auto age = duration_at(check, *max_age, "delivery.retry.max_age", std::chrono::milliseconds(1000))) {
      config.retry_max_age = *age;
    }
  }
  parse_on_status(check, *retry, config);
}

}  // namespace webhook::config_detail
