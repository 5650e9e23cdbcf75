// Checks a JSON document against the shape a parser expects and reports
// every problem with where it is: the one helper of the plugin's
// configuration parser and the simulator's scenario parser.
//
// The checker only reports: each error goes to the sink the caller gives,
// as (location, message), and the caller decides what an error becomes
// (a ConfigError, a ScenarioError with its file). Locations are joined in
// the caller's style: dotted ("delivery.tls.ca_file", "headers[2]") or JSON
// pointers ("/journey/stages/0/steps/1").
#pragma once

#include <boost/json/fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace webhook_common {

// A key as one JSON-pointer segment (RFC 6901): "~" -> "~0", "/" -> "~1".
std::string escape_json_pointer(std::string_view key);

class JsonChecker {
 public:
  enum class Style {
    dotted,   // "a.b.c", "a[0]"; a key at the top level is its own name
    pointer,  // "/a/b/c", "/a/0"; the top level is ""
  };
  struct Options {
    Style style = Style::dotted;
    // The unknown-key message names the key ("unknown key 'x'; allowed
    // here: ...") rather than only listing the allowed ones. Useful where
    // the location shows the key escaped.
    bool name_unknown_key = false;
  };
  using Sink = std::function<void(std::string location, std::string message)>;

  // Bounds of number(): [min, max], or (min, max] with min_exclusive.
  struct Range {
    double min = 0;
    double max = 0;
    bool min_exclusive = false;
  };

  JsonChecker(Options options, Sink sink);

  // Reports an error of the caller's own.
  void error(std::string location, std::string message);
  // How many errors this checker has reported.
  std::size_t error_count() const { return errors_; }

  // The location of `key` in the object at `where`, and of item `i` of the
  // array at `where`.
  std::string join(std::string_view where, std::string_view key) const;
  std::string index(std::string_view where, std::size_t i) const;

  // Reports every key of `object` that is not in `allowed`.
  void only_keys(const boost::json::object& object, std::string_view where,
                 std::initializer_list<std::string_view> allowed);

  // ---- a value at `at` ------------------------------------------------------
  // Each returns the value in its type, or null/nullopt after an error.
  const boost::json::object* object(const boost::json::value& value, std::string_view at);
  const boost::json::array* array(const boost::json::value& value, std::string_view at);
  std::optional<std::string> string(const boost::json::value& value, std::string_view at);
  std::optional<bool> boolean(const boost::json::value& value, std::string_view at);
  // Not for an object or array already in its type: it would be copied
  // into a temporary value, and the result would point into it.
  const boost::json::object* object(const boost::json::object&, std::string_view) = delete;
  const boost::json::array* array(const boost::json::array&, std::string_view) = delete;
  // A whole number in [min, max]; 3.0 counts as 3.
  std::optional<std::int64_t> integer(const boost::json::value& value, std::string_view at, std::int64_t min,
                                      std::int64_t max);
  // A whole number 0 or more, in full uint64 range; 3.0 does not count.
  std::optional<std::uint64_t> unsigned_integer(const boost::json::value& value, std::string_view at);
  // Any JSON number within `range`. The error says the range, unless the
  // caller gives its own `message`.
  std::optional<double> number(const boost::json::value& value, std::string_view at, Range range,
                               std::string message = {});

  // ---- the member `key` of `parent` (at `where`) ----------------------------
  // Absent: null/nullopt, and with `required` the error "is required (a ...)".
  const boost::json::object* object(const boost::json::object& parent, std::string_view where, std::string_view key,
                                    bool required = false);
  const boost::json::array* array(const boost::json::object& parent, std::string_view where, std::string_view key,
                                  bool required = false);
  std::optional<std::string> string(const boost::json::object& parent, std::string_view where, std::string_view key,
                                    bool required = false);
  // A string that is one of `allowed`; else "is 'x'; allowed: a, b".
  std::optional<std::string> one_of(const boost::json::object& parent, std::string_view where, std::string_view key,
                                    std::initializer_list<std::string_view> allowed, bool required = false);
  std::optional<std::int64_t> integer(const boost::json::object& parent, std::string_view where,
                                      std::string_view key, std::int64_t min, std::int64_t max);
  std::optional<double> number(const boost::json::object& parent, std::string_view where, std::string_view key,
                               Range range, std::string message = {});

  // Forms that leave `out` as it is (its default) unless the member is
  // present and valid: for a settings struct filled in place.
  template <class T>
  void integer(const boost::json::object& parent, std::string_view where, std::string_view key, T& out,
               std::int64_t min, std::int64_t max) {
    if (auto n = integer(parent, where, key, min, max)) out = static_cast<T>(*n);
  }
  void boolean(const boost::json::object& parent, std::string_view where, std::string_view key, bool& out);

 private:
  const boost::json::value* member(const boost::json::object& parent, std::string_view where, std::string_view key,
                                   bool required, std::string_view what);

  Options options_;
  Sink sink_;
  std::size_t errors_ = 0;
};

}  // namespace webhook_common
