// The JSON diff a failed equalToJson shows: each difference at its JSON
// pointer, WireMock's ignoreExtraElements and ignoreArrayOrder, a bound.
#include "journey_sim/json_diff.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

using journey_sim::json_diff;
using journey_sim::JsonDiffOptions;
namespace json = boost::json;

namespace {

std::vector<std::string> diff(const char* expected, const char* sent, JsonDiffOptions options = {}) {
  return json_diff(json::parse(expected), json::parse(sent), options);
}

using Lines = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(json_diff_lines)

BOOST_AUTO_TEST_CASE(each_difference_at_its_pointer) {
  BOOST_TEST(diff(R"({"a": {"b": 1, "c": [1, 2]}, "d": "x"})", R"({"a": {"b": 1.0, "c": [1, 2]}, "d": "x"})").empty());
  BOOST_TEST(diff(R"({"a": {"b": 1, "c": [1, 3]}, "gone": true, "k/~": 1})",
                  R"({"a": {"b": "1", "c": [1, 2, 4]}, "extra": null, "k/~": 2})") ==
             (Lines{"/a/b: expected 1, sent \"1\"", "/a/c/1: expected 3, sent 2", "/a/c/2: sent 4, not expected",
                    "/gone: expected true, not sent", "/k~1~0: expected 1, sent 2", "/extra: sent null, not expected"}));
  BOOST_TEST(diff("[1]", R"({"a": 1})") == (Lines{"(the whole body): expected [1], sent {\"a\":1}"}));
}

BOOST_AUTO_TEST_CASE(wiremock_flags) {
  JsonDiffOptions loose;
  loose.ignore_extra_elements = true;
  BOOST_TEST(diff(R"({"a": [1]})", R"({"a": [1, 2], "b": 3})", loose).empty());
  JsonDiffOptions unordered;
  unordered.ignore_array_order = true;
  BOOST_TEST(diff("[1, 2, 2]", "[2, 1, 2]", unordered).empty());
  BOOST_TEST(diff("[1, 2]", "[2, 3]", unordered) ==
             (Lines{"(the whole body): expected an element 1, not sent", "(the whole body): sent an element 3, not expected"}));
}

// As webhook-mock's equalToJson: what it matches shows no difference.
BOOST_AUTO_TEST_CASE(agrees_with_the_mock_on_its_flags) {
  JsonDiffOptions loose;
  loose.ignore_extra_elements = true;
  BOOST_TEST(diff("[1, 3]", "[1, 2, 3]", loose).empty());  // in order, others between
  BOOST_TEST(diff("[3, 1]", "[1, 2, 3]", loose) == (Lines{"/1: expected 1, not sent in this order"}));
  JsonDiffOptions both = loose;
  both.ignore_array_order = true;
  BOOST_TEST(diff(R"([{"id": 1}])", R"([{"id": 1, "x": 2}])", both).empty());
}

BOOST_AUTO_TEST_CASE(a_shortened_value_never_cuts_a_secret) {
  const std::string text = std::string(70, 'a') + "SECRET-VALUE" + std::string(20, 'b');
  BOOST_TEST(journey_sim::shorten(text, 75, {"SECRET-VALUE"}) == std::string(70, 'a'));
  BOOST_TEST(journey_sim::shorten(text, 75, {}) == text.substr(0, 75));
  BOOST_TEST(journey_sim::shorten(text, 82, {"SECRET-VALUE"}) == text.substr(0, 82));  // whole before the cut
  JsonDiffOptions options;
  options.secrets = {"SECRET-VALUE"};
  const auto lines = json_diff(json::parse(R"({"k": 1})"), json::value{{"k", text}}, options);
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  BOOST_TEST(lines[0].find("SECRET") == std::string::npos);  // cut before it, not inside
}

BOOST_AUTO_TEST_CASE(bounded_and_values_shortened) {
  JsonDiffOptions two;
  two.limit = 2;
  BOOST_TEST(diff(R"({"a": 1, "b": 1, "c": 1})", R"({"a": 2, "b": 2, "c": 2})", two) ==
             (Lines{"/a: expected 1, sent 2", "/b: expected 1, sent 2", "(and 1 more)"}));
  const auto lines = diff(R"({"a": 1})", (R"({"a": ")" + std::string(500, 'x') + R"("})").c_str());
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  BOOST_TEST(lines[0].size() < 120u);
  BOOST_TEST(lines[0].ends_with("..."));
}

BOOST_AUTO_TEST_SUITE_END()
