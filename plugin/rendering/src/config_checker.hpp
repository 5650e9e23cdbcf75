// The configuration parser's checks of one JSON object: every error
// collected (each naming its dotted field and what is allowed), not just
// the first.
#pragma once

#include <webhook/rendering/config.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webhook::config_detail {

namespace json = boost::json;

class Checker {
 public:
  explicit Checker(std::vector<ConfigError>& errors) : errors_(errors) {}

  void error(std::string field, std::string message) {
    errors_.push_back({std::move(field), std::move(message)});
  }
  std::size_t count() const { return errors_.size(); }

  // Reports every key of `object` that is not in `allowed`.
  void only_keys(const json::object& object, const std::string& where,
                 std::initializer_list<std::string_view> allowed) {
    for (const auto& member : object) {
      if (std::find(allowed.begin(), allowed.end(), member.key()) != allowed.end()) continue;
      std::string list;
      for (auto key : allowed) list += (list.empty() ? "" : ", ") + std::string(key);
      error(join(where, member.key()), "unknown key; allowed here: " + list);
    }
  }

  const json::object* object(const json::object& parent, const std::string& where,
                             std::string_view key, bool required = false) {
    auto it = parent.find(key);
    if (it == parent.end()) {
      if (required) error(join(where, key), "is required (an object)");
      return nullptr;
    }
    if (!it->value().is_object()) {
      error(join(where, key), "must be an object");
      return nullptr;
    }
    return &it->value().get_object();
  }

  std::optional<std::string> string(const json::object& parent, const std::string& where,
                                    std::string_view key, bool required = false) {
    auto it = parent.find(key);
    if (it == parent.end()) {
      if (required) error(join(where, key), "is required (a string)");
      return std::nullopt;
    }
    if (!it->value().is_string()) {
      error(join(where, key), "must be a string");
      return std::nullopt;
    }
    return std::string(it->value().get_string());
  }

  template <class T>
  void integer(const json::object& parent, const std::string& where, std::string_view key,
               T& out, std::int64_t min, std::int64_t max) {
    auto it = parent.find(key);
    if (it == parent.end()) return;
    const json::value& v = it->value();
    const std::string allowed = "; allowed: " + std::to_string(min) + " to " + std::to_string(max);
    std::int64_t n = 0;
    if (v.is_int64()) {
      n = v.get_int64();
    } else if (v.is_uint64()) {  // above int64's range, so above any max
      error(join(where, key), "is " + std::to_string(v.get_uint64()) + allowed);
      return;
    } else if (v.is_double() && std::trunc(v.get_double()) == v.get_double()) {
      // Compared as a double first: converting one beyond int64's range is undefined.
      const double d = v.get_double();
      if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
        char text[32];
        auto end = std::to_chars(text, text + sizeof text, d).ptr;  // shortest form: "8e+37"
        error(join(where, key), "is " + std::string(text, end) + allowed);
        return;
      }
      n = static_cast<std::int64_t>(d);
    } else {
      error(join(where, key), "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
      return;
    }
    if (n < min || n > max) {
      error(join(where, key), "is " + std::to_string(n) + allowed);
      return;
    }
    out = static_cast<T>(n);
  }

  // A whole number of the duration's unit, e.g. "webhook_read_timeout" in seconds.
  template <class Rep, class Period>
  void duration(const json::object& parent, const std::string& where, std::string_view key,
                std::chrono::duration<Rep, Period>& out, std::int64_t min, std::int64_t max) {
    std::int64_t n = out.count();
    integer(parent, where, key, n, min, max);
    out = std::chrono::duration<Rep, Period>(n);
  }

  void boolean(const json::object& parent, const std::string& where, std::string_view key, bool& out) {
    auto it = parent.find(key);
    if (it == parent.end()) return;
    if (!it->value().is_bool()) {
      error(join(where, key), "must be true or false");
      return;
    }
    out = it->value().get_bool();
  }

  static std::string join(const std::string& where, std::string_view key) {
    return where.empty() ? std::string(key) : where + "." + std::string(key);
  }

 private:
  std::vector<ConfigError>& errors_;
};

}  // namespace webhook::config_detail
