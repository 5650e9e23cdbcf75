// WireMock's request-pattern format (the subset this mock speaks), parsed
// once and matched against recorded requests. Used by stubs, by the admin
// API's count/find, by the C++ assertions and by the simulator's
// expectations.
#pragma once

#include "webhook_mock/json_path.hpp"
#include "webhook_mock/recorded_request.hpp"

#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <webhook_common/json_checker.hpp>

namespace webhook_mock {

class Regex;  // Java-syntax regular expressions in bounded time (internal: src/regex.hpp)

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
  // `value` is null when the header/parameter is absent. A regular
  // expression that runs over its budget (see docs/mock-endpoint.md) decides
  // nothing: both matches and doesNotMatch fail, and `*over_budget` is set.
  bool matches(const std::string* value, bool* over_budget = nullptr) const;
  std::string describe() const;  // "equalTo 'x'"

 private:
  enum class Kind { equal_to, contains, matches, does_not_match, absent, present } kind_ = Kind::equal_to;
  std::string operand_;
  bool case_insensitive_ = false;
  std::shared_ptr<const Regex> regex_;
};

class RequestPattern {
 public:
  // Parses a pattern object (the "request" of a stub, or the body of
  // count/find). Errors carry `pointer` + the member's path.
  static std::optional<RequestPattern> parse(const boost::json::value& spec, const std::string& pointer,
                                             std::vector<PatternError>& errors);
  static RequestPattern any();  // matches every request

  // With `over_budget`, see mismatches.
  bool matches(const RecordedRequest& request, std::string* over_budget = nullptr) const {
    return mismatches(request, nullptr, over_budget) == 0;
  }
  // How many of the pattern's parts the request fails; with `why`, a line
  // per failed part ("header X-A: expected equalTo '1', got absent"). A part
  // whose regular expression ran over its budget fails; with `over_budget`,
  // the first such part is named there ("body: matches '(a+)+\1'"), and
  // left alone when there is none.
  std::size_t mismatches(const RecordedRequest& request, std::vector<std::string>* why,
                         std::string* over_budget = nullptr) const;
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
  struct Misses;  // the failed parts, counted and explained

  void url_misses(const RecordedRequest& request, Misses& misses) const;
  void header_misses(const RecordedRequest& request, Misses& misses) const;
  void query_misses(const RecordedRequest& request, Misses& misses) const;
  void body_misses(const RecordedRequest& request, Misses& misses) const;
  static bool json_path_matches(const BodyPattern& body, const boost::json::value& actual, bool& overran);

  // parse()'s parts: one member of the pattern; a body pattern and its kinds.
  void parse_url(std::string_view key, const boost::json::value& v, const std::string& at,
                 std::vector<PatternError>& errors);
  void parse_matchers(std::string_view key, const boost::json::value& v, const std::string& at,
                      std::vector<PatternError>& errors);
  void parse_body_patterns(const boost::json::value& v, const std::string& at, std::vector<PatternError>& errors);
  static bool parse_equal_to_json(const boost::json::object& spec, const std::string& at, BodyPattern& body,
                                  std::vector<PatternError>& errors);
  static bool parse_json_path(const boost::json::value& spec, const std::string& at, BodyPattern& body,
                              std::vector<PatternError>& errors);

  boost::json::value source_;
  std::string method_ = "ANY";
  UrlKind url_kind_ = UrlKind::none;
  std::string url_;
  std::shared_ptr<const Regex> url_regex_;
  std::vector<std::pair<std::string, ValueMatcher>> headers_;
  std::vector<std::pair<std::string, ValueMatcher>> query_;
  std::vector<BodyPattern> body_;
};

// A key as one JSON-pointer token ("a/b" -> "a~1b"): webhook_common's.
using webhook_common::escape_json_pointer;

// Percent-decodes a query component ('+' as space).
std::string decode_query_component(std::string_view text);

// Semantic JSON equality as WireMock's equalToJson.
bool json_equal(const boost::json::value& expected, const boost::json::value& actual, bool ignore_array_order,
                bool ignore_extra_elements);

}  // namespace webhook_mock
