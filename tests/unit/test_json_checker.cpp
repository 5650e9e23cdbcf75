#include <webhook_common/json_checker.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

using webhook_common::JsonChecker;
namespace json = boost::json;

namespace {

struct Error {
  std::string at;
  std::string message;
  bool operator==(const Error&) const = default;
};
std::ostream& operator<<(std::ostream& out, const Error& e) { return out << e.at << ": " << e.message; }
using Errors = std::vector<Error>;

// A checker whose errors land in `errors`: dotted as the plugin's
// configuration, or on JSON pointers with named keys as the scenarios.
JsonChecker dotted(Errors& errors) {
  return JsonChecker({}, [&errors](std::string at, std::string message) {
    errors.push_back({std::move(at), std::move(message)});
  });
}
JsonChecker pointer(Errors& errors) {
  return JsonChecker({.style = JsonChecker::Style::pointer, .name_unknown_key = true},
                     [&errors](std::string at, std::string message) {
                       errors.push_back({std::move(at), std::move(message)});
                     });
}

json::object object_of(std::string_view text) { return json::parse(text).as_object(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(json_checker)

BOOST_AUTO_TEST_CASE(locations_join_in_the_callers_style) {
  Errors ignored;
  auto d = dotted(ignored);
  BOOST_TEST(d.join("", "delivery") == "delivery");
  BOOST_TEST(d.join("delivery.tls", "ca_file") == "delivery.tls.ca_file");
  BOOST_TEST(d.index("activation.headers", 2) == "activation.headers[2]");
  auto p = pointer(ignored);
  BOOST_TEST(p.join("", "journey") == "/journey");
  BOOST_TEST(p.join("/activations", "a/b~c") == "/activations/a~1b~0c");
  BOOST_TEST(p.index("/journey/stages", 0) == "/journey/stages/0");
  BOOST_TEST(webhook_common::escape_json_pointer("~/") == "~0~1");
}

BOOST_AUTO_TEST_CASE(unknown_keys_as_the_plugin_and_the_scenario_say_them) {
  const auto o = object_of(R"({"concurrency": 1, "color": "red"})");
  Errors de;
  auto d = dotted(de);
  d.only_keys(o, "delivery", {"concurrency", "retry"});
  BOOST_REQUIRE_EQUAL(de.size(), 1U);
  BOOST_TEST(de[0].at == "delivery.color");
  BOOST_TEST(de[0].message == "unknown key; allowed here: concurrency, retry");
  Errors pe;
  auto p = pointer(pe);
  p.only_keys(o, "/journey", {"concurrency", "retry"});
  BOOST_REQUIRE_EQUAL(pe.size(), 1U);
  BOOST_TEST(pe[0].at == "/journey/color");
  BOOST_TEST(pe[0].message == "unknown key 'color'; allowed here: concurrency, retry");
  BOOST_TEST(p.error_count() == 1U);
}

BOOST_AUTO_TEST_CASE(members_required_missing_and_of_the_wrong_type) {
  const auto o = object_of(R"({"name": 3, "tls": [], "list": {}, "flag": "yes", "ok": "text"})");
  Errors e;
  auto c = dotted(e);
  BOOST_TEST(!c.string(o, "auth", "url_prefix", true));
  BOOST_TEST(!c.string(o, "auth", "missing"));  // optional: no error
  BOOST_TEST(!c.string(o, "auth", "name"));
  BOOST_TEST(c.string(o, "auth", "ok").value() == "text");
  BOOST_TEST(!c.object(o, "", "auth", true));
  BOOST_TEST(!c.object(o, "delivery", "tls"));
  BOOST_TEST(!c.array(o, "x", "list"));
  BOOST_TEST(!c.array(o, "x", "items", true));
  bool verify = true;
  c.boolean(o, "delivery.tls", "flag", verify);
  BOOST_TEST(verify);  // left as it was
  const Errors expected{{"auth.url_prefix", "is required (a string)"},
                        {"auth.name", "must be a string"},
                        {"auth", "is required (an object)"},
                        {"delivery.tls", "must be an object"},
                        {"x.list", "must be an array"},
                        {"x.items", "is required (an array)"},
                        {"delivery.tls.flag", "must be true or false"}};
  BOOST_TEST(e == expected, boost::test_tools::per_element());
  BOOST_TEST(c.error_count() == expected.size());
}

BOOST_AUTO_TEST_CASE(values_at_a_location) {
  Errors e;
  auto c = pointer(e);
  const json::value number = 4, text = "t";
  BOOST_TEST(!c.object(number, "/journey"));
  BOOST_TEST(!c.array(text, "/journey/stages"));
  BOOST_TEST(!c.string(number, "/name"));
  BOOST_TEST(!c.boolean(text, "/none"));
  BOOST_TEST(c.boolean(json::value(true), "/none").value());
  const Errors expected{{"/journey", "must be an object"},
                        {"/journey/stages", "must be an array"},
                        {"/name", "must be a string"},
                        {"/none", "must be true or false"}};
  BOOST_TEST(e == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(integers_in_range_say_what_is_allowed) {
  const auto o = object_of(R"({"a": 5, "b": 21, "c": 3.0, "d": 8e37, "e": 18446744073709551615, "f": "2",
                               "g": 2.5, "h": -1})");
  Errors e;
  auto c = dotted(e);
  int a = 0, b = 7, cc = 0, d = 0, ee = 0, f = 0, g = 0;
  c.integer(o, "advanced", "a", a, 0, 20);
  c.integer(o, "advanced", "b", b, 0, 20);
  c.integer(o, "advanced", "c", cc, 0, 20);
  c.integer(o, "advanced", "d", d, 0, 20);
  c.integer(o, "advanced", "e", ee, 0, 20);
  c.integer(o, "advanced", "f", f, 0, 20);
  c.integer(o, "advanced", "g", g, 0, 20);
  c.integer(o, "advanced", "absent", g, 0, 20);
  BOOST_TEST(a == 5);
  BOOST_TEST(b == 7);  // out of range: left as it was
  BOOST_TEST(cc == 3);
  BOOST_TEST(c.integer(o, "advanced", "h", -5, 5).value() == -1);
  const Errors expected{{"advanced.b", "is 21; allowed: 0 to 20"},
                        {"advanced.d", "is 8e+37; allowed: 0 to 20"},
                        {"advanced.e", "is 18446744073709551615; allowed: 0 to 20"},
                        {"advanced.f", "must be a whole number from 0 to 20"},
                        {"advanced.g", "must be a whole number from 0 to 20"}};
  BOOST_TEST(e == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(unsigned_integers_take_the_whole_uint64_range) {
  Errors e;
  auto c = pointer(e);
  BOOST_TEST(c.unsigned_integer(json::value(0), "/n").value() == 0U);
  BOOST_TEST(c.unsigned_integer(json::parse("18446744073709551615"), "/n").value() ==
             std::numeric_limits<std::uint64_t>::max());
  BOOST_TEST(!c.unsigned_integer(json::value(-1), "/n"));
  BOOST_TEST(!c.unsigned_integer(json::value(2.0), "/n"));
  BOOST_TEST(!c.unsigned_integer(json::value("3"), "/n"));
  BOOST_REQUIRE_EQUAL(e.size(), 3U);
  BOOST_TEST(e[0].message == "must be a whole number, 0 or more");
}

BOOST_AUTO_TEST_CASE(numbers_in_a_range_with_the_range_or_the_callers_message) {
  const auto o = object_of(R"({"rate": 0, "fast": 2e7, "ok": 0.5, "big": 10000000, "text": "1"})");
  Errors e;
  auto c = dotted(e);
  const JsonChecker::Range rate{0, 1e7, true};
  BOOST_TEST(!c.number(o, "delivery", "rate", rate));
  BOOST_TEST(!c.number(o, "delivery", "fast", rate));
  BOOST_TEST(c.number(o, "delivery", "ok", rate).value() == 0.5);
  BOOST_TEST(c.number(o, "delivery", "big", rate).value() == 1e7);
  BOOST_TEST(!c.number(o, "delivery", "absent", rate));
  const JsonChecker::Range weight{0, std::numeric_limits<double>::infinity()};
  BOOST_TEST(!c.number(o, "mix", "text", weight, "must be a weight, a number 0 or more"));
  BOOST_TEST(!c.number(json::value(-1), "w", weight));
  BOOST_TEST(!c.number(json::value(5), "r", {1, 4}));
  const Errors expected{{"delivery.rate", "must be a number above 0 and at most 10000000"},
                        {"delivery.fast", "must be a number above 0 and at most 10000000"},
                        {"mix.text", "must be a weight, a number 0 or more"},
                        {"w", "must be a number 0 or more"},
                        {"r", "must be a number from 1 to 4"}};
  BOOST_TEST(e == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(one_of_names_what_is_allowed) {
  const auto o = object_of(R"({"type": "td_webhook_out", "reentry": "always", "n": 1})");
  Errors e;
  auto c = pointer(e);
  BOOST_TEST(c.one_of(o, "", "type", {"td_webhook_out"}).value() == "td_webhook_out");
  BOOST_TEST(!c.one_of(o, "/journey", "reentry", {"none", "after_exit"}));
  BOOST_TEST(!c.one_of(o, "/journey", "n", {"none"}));
  BOOST_TEST(!c.one_of(o, "/x", "kind", {"last", "count"}, true));
  BOOST_TEST(!c.one_of(o, "/x", "absent", {"last"}));
  const Errors expected{{"/journey/reentry", "is 'always'; allowed: none, after_exit"},
                        {"/journey/n", "must be a string"},
                        {"/x/kind", "is required (a string)"}};
  BOOST_TEST(e == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(errors_of_the_callers_own_are_counted_and_a_sink_is_optional) {
  JsonChecker quiet({}, nullptr);
  quiet.error("delivery", "something");
  BOOST_TEST(!quiet.string(json::value(1), "x"));
  BOOST_TEST(quiet.error_count() == 2U);
}

BOOST_AUTO_TEST_SUITE_END()
