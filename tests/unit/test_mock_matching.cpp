#include "webhook_mock/journal.hpp"
#include "webhook_mock/journal_json.hpp"
#include "webhook_mock/json_path.hpp"
#include "webhook_mock/request_pattern.hpp"
#include "webhook_mock/stubs.hpp"

#include "webhook_mock/regex.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>
#include <vector>

namespace json = boost::json;
using namespace webhook_mock;

namespace {

std::vector<std::string> select_text(std::string_view path, std::string_view doc) {
  std::string error;
  auto p = JsonPath::compile(path, error);
  BOOST_REQUIRE_MESSAGE(p, error);
  json::value v = json::parse(doc);
  std::vector<std::string> out;
  for (const auto* x : p->select(v)) out.push_back(x->is_string() ? std::string(x->get_string()) : json::serialize(*x));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mock_matching)

BOOST_AUTO_TEST_CASE(json_path_subset) {
  const char* doc = R"({"a": {"b": [10, 20, {"c": "x"}], "d e": 1}, "list": [{"id": 1}, {"id": 2}]})";
  BOOST_TEST(select_text("$.a.b[1]", doc) == std::vector<std::string>{"20"});
  BOOST_TEST(select_text("$.a.b[-1].c", doc) == std::vector<std::string>{"x"});
  BOOST_TEST(select_text("$['a']['d e']", doc) == std::vector<std::string>{"1"});
  BOOST_TEST(select_text("$.list[*].id", doc) == (std::vector<std::string>{"1", "2"}));
  BOOST_TEST(select_text("$..id", doc) == (std::vector<std::string>{"1", "2"}));
  BOOST_TEST(select_text("$.a.*", doc).size() == 2u);
  BOOST_TEST(select_text("$.missing.x", doc).empty());
  std::string error;
  BOOST_TEST(!JsonPath::compile("$.a[?(@.x)]", error));
  BOOST_TEST(error.find("supported") != std::string::npos);
  BOOST_TEST(!JsonPath::compile("$.a[", error));
}

BOOST_AUTO_TEST_CASE(equal_to_json_options) {
  auto v = [](const char* t) { return json::parse(t); };
  BOOST_TEST(json_equal(v(R"({"a": 1, "b": [1, 2]})"), v(R"({"b": [1, 2], "a": 1.0})"), false, false));
  BOOST_TEST(!json_equal(v(R"({"a": 1})"), v(R"({"a": 1, "b": 2})"), false, false));
  BOOST_TEST(json_equal(v(R"({"a": 1})"), v(R"({"a": 1, "b": 2})"), false, true));
  BOOST_TEST(!json_equal(v("[1, 2]"), v("[2, 1]"), false, false));
  BOOST_TEST(json_equal(v("[1, 2]"), v("[2, 1]"), true, false));
  BOOST_TEST(!json_equal(v("[1, 1]"), v("[1, 2]"), true, false));
  BOOST_TEST(json_equal(v(R"([{"x": 1}])"), v(R"([{"x": 1, "y": 2}, 5])"), false, true));
  BOOST_TEST(!json_equal(v("null"), v("0"), false, false));
}

BOOST_AUTO_TEST_CASE(regex_is_java_like_and_safe_on_large_input) {
  std::string error;
  auto dot = Regex::compile("a.b", false, error);
  BOOST_TEST((dot->full_match("axb") == RegexResult::match));
  BOOST_TEST((dot->full_match("a\nb") == RegexResult::no_match));   // '.' does not cross lines
  BOOST_TEST((dot->full_match("a\rb") == RegexResult::no_match));   // nor any of Java's line terminators
  BOOST_TEST((dot->full_match("xaxbx") == RegexResult::no_match));  // the whole input must match
  auto nested = Regex::compile("(a|aa)*b", false, error);
  std::string big(100000, 'a');
  BOOST_TEST((nested->full_match(big) == RegexResult::no_match));  // linear (RE2): a plain no
  BOOST_TEST(!Regex::compile("(", false, error));
  BOOST_TEST(error.find("not a valid regular expression") != std::string::npos);
}

// A catastrophic pattern costs a bounded time: RE2 runs what it accepts in
// linear time; what only Boost.Regex takes (lookaround, backreferences)
// stops at its budget and says so, rather than holding a server thread for
// seconds (it did, for `(x+x+)+y` on a 10 KB body).
BOOST_AUTO_TEST_CASE(catastrophic_regex_is_bounded) {
  using namespace std::chrono_literals;
  using Clock = std::chrono::steady_clock;
  std::string error;
  const std::string xs(10 * 1024, 'x');
  auto linear = Regex::compile("(x+x+)+y", false, error);
  BOOST_REQUIRE(linear);
  BOOST_TEST((linear->engine() == Regex::Engine::re2));
  auto started = Clock::now();
  BOOST_TEST((linear->full_match(xs) == RegexResult::no_match));
  BOOST_TEST((Clock::now() - started < 50ms));
  for (const char* pattern : {"(x+x+)+y(?=z)", "(x+x+)+\\1y", "(?<=^)(x+x+)+y", "(x+x+)++y"}) {
    auto bounded = Regex::compile(pattern, false, error);
    BOOST_REQUIRE_MESSAGE(bounded, error);
    BOOST_TEST((bounded->engine() == Regex::Engine::boost), pattern);
    started = Clock::now();
    const RegexResult result = bounded->full_match(xs);
    const auto took = Clock::now() - started;
    BOOST_TEST((result != RegexResult::match), pattern);
    if (!std::string_view(pattern).ends_with("++y")) BOOST_TEST((result == RegexResult::over_budget), pattern);
    // Regex::time_budget (wall clock), with room for a loaded machine that
    // does not schedule this thread for a while; unbounded, it took seconds.
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
    BOOST_TEST_MESSAGE(pattern << ": " << ms << " ms");
    BOOST_TEST((took < Regex::time_budget + 480ms), pattern << ": " << ms << " ms");
  }
}

BOOST_AUTO_TEST_CASE(regex_syntax_only_boost_takes_still_matches) {
  std::string error;
  auto backreference = Regex::compile("(\\w+)=\\1", false, error);
  BOOST_REQUIRE_MESSAGE(backreference, error);
  BOOST_TEST((backreference->engine() == Regex::Engine::boost));
  BOOST_TEST((backreference->full_match("ab=ab") == RegexResult::match));
  BOOST_TEST((backreference->full_match("ab=ac") == RegexResult::no_match));
  auto lookahead = Regex::compile("(?!secret).*", false, error);
  BOOST_REQUIRE_MESSAGE(lookahead, error);
  BOOST_TEST((lookahead->full_match("public") == RegexResult::match));
  BOOST_TEST((lookahead->full_match("secret-x") == RegexResult::no_match));
  BOOST_TEST((lookahead->full_match("a\nb") == RegexResult::no_match));  // '.' does not cross lines here either
  auto any_case = Regex::compile("bearer [a-z]+", true, error);
  BOOST_TEST((any_case->full_match("Bearer ABC") == RegexResult::match));
  // Bytes that are not UTF-8 read as U+FFFD, as WireMock decodes them.
  auto latin1 = Regex::compile("caf.", false, error);
  BOOST_TEST((latin1->full_match("caf\xe9") == RegexResult::match));
  auto dotall = Regex::compile("(?s)a.b", false, error);
  BOOST_TEST((dotall->full_match("a\nb") == RegexResult::match));
  auto in_class = Regex::compile("[.]x\\.", false, error);
  BOOST_TEST((in_class->full_match(".x.") == RegexResult::match));
  BOOST_TEST((in_class->full_match("axb") == RegexResult::no_match));
}

// Over budget, a stub does not match and the journal entry says why; a
// pattern's account of it names the part.
BOOST_AUTO_TEST_CASE(a_stub_over_budget_does_not_match_and_says_why) {
  std::vector<PatternError> errors;
  auto stub = parse_stub(json::parse(R"json({"request": {"bodyPatterns": [{"matches": "(x+x+)+y(?=z)"}]},
                                             "response": {"status": 201}})json"),
                         errors);
  BOOST_REQUIRE(stub);
  RecordedRequest r;
  r.method = "POST";
  r.path = r.target = "/p";
  r.body.assign(10 * 1024, 'x');
  std::vector<std::string> why;
  std::string over_budget;
  BOOST_TEST(stub->request.mismatches(r, &why, &over_budget) == 1u);
  BOOST_TEST(over_budget.find("body: ") == 0u, over_budget);
  BOOST_REQUIRE_EQUAL(why.size(), 1u);
  BOOST_TEST(why[0].find("regular expression over budget") != std::string::npos, why[0]);
  StubStore store;
  store.add(*stub);
  auto answer = store.answer(r, 404);
  BOOST_TEST(answer.response.status == 404);
  BOOST_TEST(answer.match_error.find("regular expression over budget: stub " + stub->id) == 0u, answer.match_error);
  r.body = "xxy";
  BOOST_TEST(store.answer(r, 404).response.status == 404);  // no 'z' ahead
  r.body = "xxyz";
  BOOST_TEST(store.answer(r, 404).match_error.empty());
}

BOOST_AUTO_TEST_CASE(query_decoding_and_utf8) {
  BOOST_TEST(decode_query_component("a%20b+c%2F") == "a b c/");
  BOOST_TEST(decode_query_component("100%") == "100%");
  BOOST_TEST(is_utf8("plain"));
  BOOST_TEST(is_utf8("caf\xc3\xa9"));
  BOOST_TEST(!is_utf8("\xff\xfe"));
  BOOST_TEST(!is_utf8("\xc3"));
  BOOST_TEST(!is_utf8("\xc0\xaf"));          // an overlong '/'
  BOOST_TEST(!is_utf8("\xed\xa0\x80"));      // a surrogate
  BOOST_TEST(!is_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  BOOST_TEST(is_utf8("\xf0\x9f\x98\x80"));
  BOOST_TEST(utf8_repaired("caf\xe9!") == "caf\xEF\xBF\xBD!");
  BOOST_TEST(utf8_repaired("\xc0\xaf") == "\xEF\xBF\xBD\xEF\xBF\xBD");
  BOOST_TEST(utf8_repaired("ok \xc3\xa9") == "ok \xc3\xa9");
  BOOST_TEST(base64_encode("hi") == "aGk=");
}

BOOST_AUTO_TEST_CASE(stub_parsing_reports_every_error) {
  std::vector<PatternError> errors;
  auto stub = parse_stub(json::parse(R"({"request": {"url": 1, "headers": {"A": {"equalTo": "x", "contains": "y"}}},
                                         "response": {"status": 99, "fault": "BAD", "nope": 1}, "priority": 0})"),
                         errors);
  BOOST_TEST(!stub);
  BOOST_TEST(errors.size() == 6u);
  auto ok = parse_stub(json::parse(R"({"response": {"status": 204}})"), errors);
  BOOST_REQUIRE(ok);
  BOOST_TEST(ok->id.size() == 36u);
  BOOST_TEST(ok->priority == 5);
}

// A stub's response headers were sent as given: a CR or LF split the
// response, and a Content-Length of its own put two on the wire.
BOOST_AUTO_TEST_CASE(stub_response_headers_cannot_split_the_response) {
  struct Case {
    const char* headers;
    const char* pointer;
    const char* named;
  };
  for (const Case& c : std::initializer_list<Case>{
           {R"({"X-A": "a\r\nSet-Cookie: x=1"})", "/response/headers/X-A", "'X-A'"},
           {R"({"X-B": ["ok", "b\nc"]})", "/response/headers/X-B", "'X-B'"},
           {R"({"X-C": "c\u0000d"})", "/response/headers/X-C", "'X-C'"},
           {R"({"X-D\r\nInjected": "d"})", "/response/headers/X-D\r\nInjected", "'X-D\\r\\nInjected'"},
           {R"({"X E": "e"})", "/response/headers/X E", "'X E'"},
           {R"({"Content-Length": "5"})", "/response/headers/Content-Length", "'Content-Length'"},
           {R"({"content-length": "5"})", "/response/headers/content-length", "'content-length'"},
           {R"({"Transfer-Encoding": "chunked"})", "/response/headers/Transfer-Encoding", "'Transfer-Encoding'"},
       }) {
    std::vector<PatternError> errors;
    auto stub = parse_stub(json::parse(std::string(R"({"response": {"status": 200, "headers": )") + c.headers + "}}"),
                           errors);
    BOOST_TEST(!stub, c.headers);
    BOOST_REQUIRE_EQUAL(errors.size(), 1u);
    BOOST_TEST(errors[0].pointer == c.pointer);
    BOOST_TEST(errors[0].detail.find(c.named) != std::string::npos, errors[0].detail);
  }
  std::vector<PatternError> errors;
  auto fine = parse_stub(json::parse(R"({"response": {"headers": {"X-Ok": ["1", "2"], "Content-Type": "text/plain"}}})"),
                         errors);
  BOOST_REQUIRE(fine);
  BOOST_TEST(fine->response.headers.size() == 3u);
}

BOOST_AUTO_TEST_CASE(store_picks_by_priority_then_newest_and_steps_scenarios) {
  StubStore store;
  std::vector<PatternError> errors;
  auto add = [&](const char* text) { store.add(*parse_stub(json::parse(text), errors)); };
  add(R"({"request": {"urlPath": "/p"}, "response": {"status": 201}, "priority": 3})");
  add(R"({"request": {"urlPath": "/p"}, "response": {"status": 202}, "priority": 1})");
  add(R"({"request": {"urlPath": "/p"}, "response": {"status": 203}, "priority": 1})");
  add(R"({"scenarioName": "s", "requiredScenarioState": "Started", "newScenarioState": "two", "request": {"urlPath": "/s"}, "response": {"status": 500}})");
  add(R"({"scenarioName": "s", "requiredScenarioState": "two", "request": {"urlPath": "/s"}, "response": {"status": 200}})");
  RecordedRequest r;
  r.method = "GET";
  r.path = r.target = "/p";
  BOOST_TEST(store.answer(r, 404).response.status == 203);
  r.path = r.target = "/s";
  BOOST_TEST(store.answer(r, 404).response.status == 500);
  BOOST_TEST(store.answer(r, 404).response.status == 200);
  store.reset_scenarios();
  BOOST_TEST(store.answer(r, 404).response.status == 500);
  r.path = r.target = "/none";
  auto none = store.answer(r, 404);
  BOOST_TEST(none.response.status == 404);
  BOOST_TEST(none.stub_id.empty());
}

// Resident memory of this process, in KiB.
long rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

BOOST_AUTO_TEST_CASE(a_cleared_journal_gives_its_memory_back) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  BOOST_TEST_MESSAGE("skipped: a sanitizer's allocator keeps freed memory on purpose");
#else
  // 80 MiB of bodies, with a few small allocations that outlive them in
  // between (as a server's own allocations do), so that the freed memory
  // lies in the middle of the heap where free() alone keeps it.
  webhook_mock::Journal journal(1'000'000);
  std::vector<std::string> outliving;
  const long before = rss_kib();
  for (int i = 0; i < 20'000; ++i) {
    webhook_mock::RecordedRequest r;
    r.body.assign(4096, 'x');
    journal.add(std::move(r));
    if (i % 64 == 0) outliving.emplace_back(40, 'y');
  }
  const long full = rss_kib();
  BOOST_TEST_REQUIRE(full - before > 60 * 1024);
  journal.clear();
  BOOST_TEST(journal.size() == 0u);
  const long after = rss_kib();
  BOOST_TEST_MESSAGE("RSS " << before << " KiB, with the journal " << full << ", cleared " << after);
  BOOST_TEST(after - before < (full - before) / 4);
#endif
}

BOOST_AUTO_TEST_SUITE_END()
