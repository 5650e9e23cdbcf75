#include "webhook_common/json_checker.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

namespace webhook_common {
namespace json = boost::json;

namespace {

std::string listed(std::initializer_list<std::string_view> names) {
  std::string list;
  for (auto name : names) {
    if (!list.empty()) list += ", ";
    list += name;
  }
  return list;
}

// The shortest text that reads back as `d`: "10000000", "0.5", "8e+37".
std::string number_text(double d) {
  char text[64];
  const auto format = std::fabs(d) < 1e15 ? std::chars_format::fixed : std::chars_format::general;
  const auto end = std::to_chars(text, text + sizeof text, d, format).ptr;
  return {text, end};
}

std::string range_text(const JsonChecker::Range& range) {
  const bool unbounded = range.max == std::numeric_limits<double>::infinity();
  if (range.min_exclusive) {
    return "above " + number_text(range.min) + (unbounded ? "" : " and at most " + number_text(range.max));
  }
  if (unbounded) return number_text(range.min) + " or more";
  return "from " + number_text(range.min) + " to " + number_text(range.max);
}

}  // namespace

std::string escape_json_pointer(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

JsonChecker::JsonChecker(Options options, Sink sink) : options_(options), sink_(std::move(sink)) {}

void JsonChecker::error(std::string location, std::string message) {
  ++errors_;
  if (sink_) sink_(std::move(location), std::move(message));
}

std::string JsonChecker::join(std::string_view where, std::string_view key) const {
  if (options_.style == Style::pointer) return std::string(where) + "/" + escape_json_pointer(key);
  if (where.empty()) return std::string(key);
  return std::string(where) + "." + std::string(key);
}

std::string JsonChecker::index(std::string_view where, std::size_t i) const {
  if (options_.style == Style::pointer) return std::string(where) + "/" + std::to_string(i);
  return std::string(where) + "[" + std::to_string(i) + "]";
}

void JsonChecker::only_keys(const json::object& object, std::string_view where,
                            std::initializer_list<std::string_view> allowed) {
  for (const auto& m : object) {
    if (std::find(allowed.begin(), allowed.end(), m.key()) != allowed.end()) continue;
    const std::string named = options_.name_unknown_key ? " '" + std::string(m.key()) + "'" : std::string();
    error(join(where, m.key()), "unknown key" + named + "; allowed here: " + listed(allowed));
  }
}

// ---- a value ------------------------------------------------------------------

const json::object* JsonChecker::object(const json::value& value, std::string_view at) {
  if (const auto* o = value.if_object()) return o;
  error(std::string(at), "must be an object");
  return nullptr;
}

const json::array* JsonChecker::array(const json::value& value, std::string_view at) {
  if (const auto* a = value.if_array()) return a;
  error(std::string(at), "must be an array");
  return nullptr;
}

std::optional<std::string> JsonChecker::string(const json::value& value, std::string_view at) {
  if (const auto* s = value.if_string()) return std::string(*s);
  error(std::string(at), "must be a string");
  return std::nullopt;
}

std::optional<bool> JsonChecker::boolean(const json::value& value, std::string_view at) {
  if (const auto* b = value.if_bool()) return *b;
  error(std::string(at), "must be true or false");
  return std::nullopt;
}

std::optional<std::int64_t> JsonChecker::integer(const json::value& value, std::string_view at, std::int64_t min,
                                                 std::int64_t max) {
  const std::string allowed = "; allowed: " + std::to_string(min) + " to " + std::to_string(max);
  std::int64_t n = 0;
  if (value.is_int64()) {
    n = value.get_int64();
  } else if (value.is_uint64()) {  // above int64's range, so above any max
    error(std::string(at), "is " + std::to_string(value.get_uint64()) + allowed);
    return std::nullopt;
  } else if (value.is_double() && std::trunc(value.get_double()) == value.get_double()) {
    // Compared as a double first: converting one beyond int64's range is undefined.
    const double d = value.get_double();
    if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
      char text[32];
      const auto end = std::to_chars(text, text + sizeof text, d).ptr;  // shortest form: "8e+37"
      error(std::string(at), "is " + std::string(text, end) + allowed);
      return std::nullopt;
    }
    n = static_cast<std::int64_t>(d);
  } else {
    error(std::string(at), "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  if (n < min || n > max) {
    error(std::string(at), "is " + std::to_string(n) + allowed);
    return std::nullopt;
  }
  return n;
}

std::optional<std::uint64_t> JsonChecker::unsigned_integer(const json::value& value, std::string_view at) {
  if (value.is_int64() && value.get_int64() >= 0) return static_cast<std::uint64_t>(value.get_int64());
  if (value.is_uint64()) return value.get_uint64();
  error(std::string(at), "must be a whole number, 0 or more");
  return std::nullopt;
}

std::optional<double> JsonChecker::number(const json::value& value, std::string_view at, Range range,
                                          std::string message) {
  if (value.is_number()) {
    const double d = value.to_number<double>();
    const bool above_min = range.min_exclusive ? d > range.min : d >= range.min;
    if (above_min && d <= range.max) return d;
  }
  error(std::string(at), message.empty() ? "must be a number " + range_text(range) : std::move(message));
  return std::nullopt;
}

// ---- a member -----------------------------------------------------------------

const json::value* JsonChecker::member(const json::object& parent, std::string_view where, std::string_view key,
                                       bool required, std::string_view what) {
  if (const auto* v = parent.if_contains(key)) return v;
  if (required) error(join(where, key), "is required (" + std::string(what) + ")");
  return nullptr;
}

const json::object* JsonChecker::object(const json::object& parent, std::string_view where, std::string_view key,
                                        bool required) {
  const auto* v = member(parent, where, key, required, "an object");
  return v != nullptr ? object(*v, join(where, key)) : nullptr;
}

const json::array* JsonChecker::array(const json::object& parent, std::string_view where, std::string_view key,
                                      bool required) {
  const auto* v = member(parent, where, key, required, "an array");
  return v != nullptr ? array(*v, join(where, key)) : nullptr;
}

std::optional<std::string> JsonChecker::string(const json::object& parent, std::string_view where,
                                               std::string_view key, bool required) {
  const auto* v = member(parent, where, key, required, "a string");
  return v != nullptr ? string(*v, join(where, key)) : std::nullopt;
}

std::optional<std::string> JsonChecker::one_of(const json::object& parent, std::string_view where,
                                               std::string_view key, std::initializer_list<std::string_view> allowed,
                                               bool required) {
  auto text = string(parent, where, key, required);
  if (!text || std::find(allowed.begin(), allowed.end(), *text) != allowed.end()) return text;
  error(join(where, key), "is '" + *text + "'; allowed: " + listed(allowed));
  return std::nullopt;
}

std::optional<std::int64_t> JsonChecker::integer(const json::object& parent, std::string_view where,
                                                 std::string_view key, std::int64_t min, std::int64_t max) {
  const auto* v = member(parent, where, key, false, "");
  return v != nullptr ? integer(*v, join(where, key), min, max) : std::nullopt;
}

std::optional<double> JsonChecker::number(const json::object& parent, std::string_view where, std::string_view key,
                                          Range range, std::string message) {
  const auto* v = member(parent, where, key, false, "");
  return v != nullptr ? number(*v, join(where, key), range, std::move(message)) : std::nullopt;
}

void JsonChecker::boolean(const json::object& parent, std::string_view where, std::string_view key, bool& out) {
  const auto* v = member(parent, where, key, false, "");
  if (v == nullptr) return;
  if (auto b = boolean(*v, join(where, key))) out = *b;
}

}  // namespace webhook_common
