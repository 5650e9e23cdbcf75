// WireMock's request-pattern format (the subset this mock speaks), parsed
// once and matched against recorded requests. Used by stubs, by the admin
// API's count/find, by the C++ assertions and by the simulator's
// expectations.
#pragma once

#include "webhook_mock/json_path.hpp"
#include "webhook_mock/server.hpp"

#include <boost/json/value.hpp>
#include <boost/regex.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace webhook_mock {

// A problem in a pattern or stub, located by a JSON pointer into it.
struct PatternError {
  std::string pointer;  // "/request/headers/X-A"
  std::string detail;
};

// equalTo / contains / matches / doesNotMatch / absent (+ caseInsensitive).
class ValueMatcher {
 public:
  static std::optional<ValueMatcher> parse(const boost::json::value& spec, const std::string& pointer,
                                           std::vector<PatternError>& errors);
  // `value` is null when the header/parameter is absent.
  bool matches(const std::string* value) const;
  std::string describe() const;  // "equalTo 'x'"

 private:
  enum class Kind { equal_to, contains, matches, does_not_match, absent, present } kind_ = Kind::equal_to;
  std::string operand_;
  bool case_insensitive_ = false;
  std::shared_ptr<const boost::regex> regex_;
};

class RequestPattern {
 public:
  // Parses a pattern object (the "request" of a stub, or the body of
  // count/find). Errors carry `pointer` + the member's path.
  static std::optional<RequestPattern> parse(const boost::json::value& spec, const std::string& pointer,
                                             std::vector<PatternError>& errors);
  static RequestPattern any();  // matches every request

  bool matches(const RecordedRequest& request) const { return mismatches(request, nullptr) == 0; }
  // How many of the pattern's parts the request fails; with `why`, a line
  // per failed part ("header X-A: expected equalTo '1', got absent").
  std::size_t mismatches(const RecordedRequest& request, std::vector<std::string>* why) const;
  std::size_t parts() const;
  const boost::json::value& source() const { return source_; }

 private:
  struct BodyPattern {
    enum class Kind { value, equal_to_json, matches_json_path } kind = Kind::value;
    std::optional<ValueMatcher> value;  // for value, and for a json path's sub-matcher
    boost::json::value expected_json;
    bool ignore_array_order = false;
    bool ignore_extra_elements = false;
    std::optional<JsonPath> path;
    std::string description;
  };
  enum class UrlKind { none, url, url_path, url_pattern, url_path_pattern };

  boost::json::value source_;
  std::string method_ = "ANY";
  UrlKind url_kind_ = UrlKind::none;
  std::string url_;
  std::shared_ptr<const boost::regex> url_regex_;
  std::vector<std::pair<std::string, ValueMatcher>> headers_;
  std::vector<std::pair<std::string, ValueMatcher>> query_;
  std::vector<BodyPattern> body_;
};

// Java-like regular expressions (Boost.Regex, perl syntax; '.' does not
// match a newline; the whole input must match, as Java's String.matches).
bool regex_full_match(const boost::regex& regex, std::string_view text);
std::shared_ptr<const boost::regex> compile_regex(const std::string& pattern, bool case_insensitive, std::string& error);

// A key as one JSON-pointer token ("a/b" -> "a~1b").
std::string escape_json_pointer(std::string_view key);

// Percent-decodes a query component ('+' as space).
std::string decode_query_component(std::string_view text);

// Semantic JSON equality as WireMock's equalToJson.
bool json_equal(const boost::json::value& expected, const boost::json::value& actual, bool ignore_array_order,
                bool ignore_extra_elements);

}  // namespace webhook_mock
