#include "settings.hpp"

#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdlib>

namespace redis_stream_output {

namespace json = boost::json;

namespace {

// A whole number in [min, max] at `key`; errors name the field and the range.
template <class T>
void number(const json::object& o, const char* key, T min, T max, T& out, std::vector<SettingsError>& errors) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return;
  const bool whole = v->is_int64() || v->is_uint64();
  const auto n = whole ? (v->is_int64() ? v->get_int64() : static_cast<std::int64_t>(v->get_uint64())) : 0;
  if (!whole || n < static_cast<std::int64_t>(min) || n > static_cast<std::int64_t>(max)) {
    errors.push_back({key, "allowed: a whole number from " + std::to_string(min) + " to " + std::to_string(max)});
    return;
  }
  out = static_cast<T>(n);
}

void text(const json::object& o, const char* key, bool required, std::string& out, std::vector<SettingsError>& errors) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    if (required) errors.push_back({key, "is required"});
    return;
  }
  if (!v->is_string() || v->get_string().empty()) {
    errors.push_back({key, "allowed: a non-empty string"});
    return;
  }
  out = v->get_string();
}

}  // namespace

std::optional<Settings> parse_settings(std::string_view text_in, std::vector<SettingsError>& errors) {
  boost::system::error_code ec;
  json::parse_options options;
  options.allow_comments = options.allow_trailing_commas = true;
  const json::value root = json::parse(text_in, ec, {}, options);
  if (ec || !root.is_object()) {
    errors.push_back({"", ec ? "not valid JSON: " + ec.message() : "the configuration must be a JSON object"});
    return std::nullopt;
  }
  const auto& o = root.get_object();
  static constexpr const char* known[] = {"url", "stream", "activation", "ca_file", "max_in_flight", "timeout_ms",
                                          "attempts"};
  for (const auto& [key, value] : o) {
    if (std::find(std::begin(known), std::end(known), key) == std::end(known)) {
      errors.push_back({std::string(key), "unknown key; allowed: url, stream, activation, ca_file, max_in_flight, "
                                          "timeout_ms, attempts"});
    }
  }
  Settings s;
  std::string url;
  text(o, "url", true, url, errors);
  text(o, "stream", true, s.stream, errors);
  text(o, "activation", false, s.activation, errors);
  text(o, "ca_file", false, s.redis.ca_file, errors);
  number(o, "max_in_flight", std::size_t{1}, std::size_t{1000000}, s.max_in_flight, errors);
  number(o, "attempts", 1u, 100u, s.attempts, errors);
  std::int64_t timeout_ms = 10000;
  number(o, "timeout_ms", std::int64_t{100}, std::int64_t{600000}, timeout_ms, errors);
  s.redis.timeout = std::chrono::milliseconds(timeout_ms);
  if (!url.empty()) {
    std::string error;
    if (auto parsed = output_runner::parse_redis_url(url, error)) {
      s.redis.url = *parsed;
    } else {
      errors.push_back({"url", error.substr(error.find(": ") + 2)});  // without the "--redis: " prefix
    }
  }
  if (!s.redis.ca_file.empty() && !url.empty() && !s.redis.url.tls) {
    errors.push_back({"ca_file", "is for rediss:// URLs (TLS)"});
  }
  if (const char* password = std::getenv("REDIS_PASSWORD")) s.redis.password = password;
  if (!errors.empty()) return std::nullopt;
  return s;
}

}  // namespace redis_stream_output
