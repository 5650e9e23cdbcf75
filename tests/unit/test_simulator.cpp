#include "journey_sim/generator.hpp"
#include "journey_sim/journal_checks.hpp"
#include "journey_sim/journey_engine.hpp"
#include "journey_sim/report.hpp"
#include "journey_sim/scenario.hpp"
#include "support/simulator_support.hpp"
#include "webhook_mock/verify.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <set>

using namespace journey_sim;
namespace json = boost::json;

using namespace simulator_support;

BOOST_AUTO_TEST_SUITE(simulator)

BOOST_AUTO_TEST_CASE(durations_and_times) {
  BOOST_TEST(parse_duration("90s").value() == 90'000);
  BOOST_TEST(parse_duration("1h30m").value() == 5'400'000);
  BOOST_TEST(parse_duration("3d").value() == 259'200'000);
  BOOST_TEST(parse_duration("500ms").value() == 500);
  BOOST_TEST(parse_duration("1w").value() == 604'800'000);
  BOOST_TEST(!parse_duration("3 days"));
  BOOST_TEST(!parse_duration("h"));
  BOOST_TEST(!parse_duration(""));
  BOOST_TEST(parse_timestamp("2026-01-01T00:00:00Z").value() == 1'767'225'600'000);
  BOOST_TEST(parse_timestamp("2026-01-01T00:00:00.25Z").value() == 1'767'225'600'250);
  BOOST_TEST(!parse_timestamp("2026-01-01 00:00:00"));
  BOOST_TEST(format_timestamp(1'767'225'600'250) == "2026-01-01T00:00:00.250Z");
}

// At most 100 years (36525d): a larger count of a unit overflowed int64
// (undefined behaviour), and "999999999999w" validated, its wait taken as none.
BOOST_AUTO_TEST_CASE(durations_are_at_most_100_years) {
  BOOST_TEST(parse_duration("36525d").value() == 3'155'760'000'000);
  BOOST_TEST(parse_duration("5217w").value() == 5217 * 604'800'000LL);
  BOOST_TEST(parse_duration("36524d23h59m59s999ms").value() == 3'155'759'999'999);
  for (const char* text : {"999999999999w", "36526d", "36525d1ms", "3155760000001ms", "99999999999999999999999ms",
                           "5000w5000w", "15250000000000000w"}) {
    BOOST_TEST(!parse_duration(text), text);
  }
  BOOST_TEST(!parse_duration("99999999999999w3 days"));  // not a duration either way

  auto errors = errors_of(std::string(kBase) + R"(
    "journey": {"name": "J", "frequency_cap": {"count": 1, "window": "999999999999w"},
                "stages": [{"name": "S", "entry": {"event": "e"}, "steps": [{"wait": "999999999999w"}, {"wait": "36526d"}]}]},
    "realtime_attributes": [{"name": "n", "type": "count", "event": "e", "window": "5000w5000w"}],
    "events": [{"profile": "p", "name": "e", "at": "+999999999999w"}]})");
  for (const char* pointer : {"/journey/frequency_cap/window", "/journey/stages/0/steps/0/wait",
                              "/journey/stages/0/steps/1/wait", "/realtime_attributes/0/window", "/events/0/at"}) {
    BOOST_TEST(message_at(errors, pointer).find("100 years") != std::string::npos, pointer << ": " << message_at(errors, pointer));
  }
  BOOST_TEST(message_at(errors, "/journey/stages/0/steps/0/wait") ==
             "'999999999999w' is longer than 100 years; a duration is at most 36525d");
  auto generated = errors_of(std::string(kBase) + R"(
    "journey": {"name": "J", "stages": [{"name": "S", "entry": {"event": "signup"}}]},
    "events": {"generate": {"profiles": 1, "events": 1, "span": "999999999999w"}}})");
  BOOST_TEST(message_at(generated, "/events/generate/span").find("at most 36525d") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(conditions) {
  Event e;
  e.name = "purchase";
  e.fields = json::parse(R"({"amount": 120, "sku": "A-1", "tags": ["x", "y"]})").as_object();
  json::object profile = json::parse(R"({"country": "JP", "age": 30})").as_object();
  auto holds = [&](const char* field, Condition::Op op, json::value v = nullptr) {
    Condition c;
    c.field = field;
    c.op = op;
    c.value = std::move(v);
    return JourneyEngine::holds(c, e, profile);
  };
  using Op = Condition::Op;
  BOOST_TEST(holds("event.name", Op::eq, "purchase"));
  BOOST_TEST(holds("event.amount", Op::gt, 100));
  BOOST_TEST(holds("event.amount", Op::gte, 120.0));
  BOOST_TEST(!holds("event.amount", Op::lt, 100));
  BOOST_TEST(holds("event.amount", Op::lte, 120));
  BOOST_TEST(holds("event.sku", Op::ne, "B-2"));
  BOOST_TEST(holds("profile.country", Op::in, json::array{"US", "JP"}));
  BOOST_TEST(!holds("profile.country", Op::in, json::array{"US"}));
  BOOST_TEST(holds("event.sku", Op::contains, "-1"));
  BOOST_TEST(holds("event.tags", Op::contains, "y"));
  BOOST_TEST(holds("profile.age", Op::exists));
  BOOST_TEST(holds("profile.email", Op::not_exists));
  BOOST_TEST(!holds("profile.email", Op::eq, "x"));
  BOOST_TEST(holds("profile.email", Op::ne, "x"));  // a missing value differs from any
  BOOST_TEST(!holds("event.sku", Op::gt, 5));        // no order between text and number
}

BOOST_AUTO_TEST_CASE(waits_exits_and_stage_entry) {
  auto s = load(std::string(kBase) + R"(
    "journey": {"name": "J", "exit": {"event": "stop"}, "stages": [
      {"name": "One", "entry": {"event": "start"}, "steps": [{"activate": "x"}, {"wait": "2d"}, {"activate": "x"}]},
      {"name": "Two", "entry": {"event": "buy"}, "steps": [{"activate": "y"}]}]},
    "events": [
      {"profile": "a", "name": "start", "at": "+0s"}, {"profile": "a", "name": "buy", "at": "+1d"},
      {"profile": "a", "name": "buy", "at": "+3d"},
      {"profile": "b", "name": "start", "at": "+0s"}, {"profile": "b", "name": "stop", "at": "+1d"},
      {"profile": "b", "name": "start", "at": "+2d"}]})");
  JourneyEngine engine(s);
  Collected out;
  play(engine, s, out);
  // a: x at 0, x at +2d, y at +3d (the buy at +1d came before stage Two opened); b: x at 0, then exits, no re-entry
  BOOST_REQUIRE_EQUAL(out.triggers.size(), 4u);
  BOOST_TEST(out.triggers[0].profile == "a");
  BOOST_TEST(out.triggers[1].profile == "b");
  BOOST_TEST(out.triggers[2].at_ms - s.start_ms == 2 * 86'400'000);
  BOOST_TEST(out.triggers[3].activation == "y");
  BOOST_TEST(out.triggers[3].stage == "Two");
  BOOST_TEST(engine.stats().entered == 2u);
  BOOST_TEST(engine.stats().exited == 1u);
  BOOST_TEST(engine.stats().completed == 1u);
  auto record = json::parse(out.triggers[3].record).as_object();
  BOOST_TEST(record.at("journey").as_object().at("stage").as_string() == "Two");
  BOOST_TEST(record.at("event").as_object().at("name").as_string() == "buy");
  BOOST_TEST(record.at("profile").as_object().at("id").as_string() == "a");
}

BOOST_AUTO_TEST_CASE(reentry_and_frequency_cap) {
  auto s = load(std::string(kBase) + R"(
    "journey": {"name": "J", "reentry": "after_exit", "frequency_cap": {"count": 2, "window": "1h"},
                "stages": [{"name": "S", "entry": {"event": "e"}, "steps": [{"activate": "x"}]}]},
    "events": [{"profile": "p", "name": "e", "at": "+0m"}, {"profile": "p", "name": "e", "at": "+10m"},
               {"profile": "p", "name": "e", "at": "+20m"}, {"profile": "p", "name": "e", "at": "+61m"}]})");
  JourneyEngine engine(s);
  Collected out;
  play(engine, s, out);
  BOOST_TEST(out.triggers.size() == 3u);  // the third within the hour is capped
  BOOST_TEST(engine.stats().capped == 1u);
  BOOST_TEST(engine.stats().entered == 4u);

  auto once = load(std::string(kBase) + R"(
    "journey": {"name": "J", "stages": [{"name": "S", "entry": {"event": "e"}, "steps": [{"activate": "x"}]}]},
    "events": [{"profile": "p", "name": "e"}, {"profile": "p", "name": "e", "at": "+1d"}]})");
  JourneyEngine engine2(once);
  Collected out2;
  play(engine2, once, out2);
  BOOST_TEST(out2.triggers.size() == 1u);  // reentry "none" by default
}

BOOST_AUTO_TEST_CASE(realtime_attributes) {
  auto s = load(std::string(kBase) + R"(
    "journey": {"name": "J", "reentry": "after_exit", "stages": [{"name": "S",
      "entry": {"event": "buy", "conditions": [{"field": "profile.buys_1h", "op": "gte", "value": 2}]}, "steps": [{"activate": "x"}]}]},
    "realtime_attributes": [{"name": "buys_1h", "type": "count", "event": "buy", "window": "1h"},
                            {"name": "last_sku", "type": "last", "event": "buy", "field": "sku"}],
    "events": [{"profile": "p", "name": "buy", "at": "+0m", "fields": {"sku": "A"}},
               {"profile": "p", "name": "buy", "at": "+90m", "fields": {"sku": "B"}},
               {"profile": "p", "name": "buy", "at": "+100m", "fields": {"sku": "C"}}]})");
  JourneyEngine engine(s);
  Collected out;
  play(engine, s, out);
  BOOST_REQUIRE_EQUAL(out.triggers.size(), 1u);
  auto profile = json::parse(out.triggers[0].record).as_object().at("profile").as_object();
  BOOST_TEST(profile.at("buys_1h").as_int64() == 2);
  BOOST_TEST(profile.at("last_sku").as_string() == "C");
}

BOOST_AUTO_TEST_CASE(parser_reports_every_error_kind_with_pointers) {
  auto errors = errors_of(R"({
    "activations": {"a": {"authentication": "none", "bogus": 1}},
    "journey": {"stages": [{"name": "S", "steps": [{"jump": 1}]}]},
    "realtime_attributes": [{"name": "r", "type": "median", "event": "e"}],
    "profiles": "everyone",
    "events": [{"name": "e"}],
    "endpoint": {"mappings": {}},
    "expect": {"outcomes": {"delivered": -1}, "order": [{}], "validation_errors": [{"activation": "zzz", "field": "f"}]}
  })");
  for (const char* pointer : {"/activations/a/bogus", "/activations/a/authentication", "/journey/name",
                              "/journey/stages/0/entry", "/journey/stages/0/steps/0/jump", "/realtime_attributes/0/type",
                              "/profiles", "/events/0/profile", "/endpoint/mappings", "/expect/outcomes/delivered",
                              "/expect/order/0/key", "/expect/validation_errors/0/activation"}) {
    BOOST_TEST(has(errors, pointer), pointer);
  }
  auto syntax = errors_of("{\n  \"name\": \"x\"\n  \"oops\": 1\n}");
  BOOST_REQUIRE_EQUAL(syntax.size(), 1u);
  BOOST_TEST(syntax[0].line == 3);
  BOOST_TEST(syntax[0].to_string().find(":3:") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(comments_trailing_commas_and_purpose) {
  auto s = load(std::string("// Purpose: checks things.\n") + kBase + R"(
    // a comment inside
    "journey": {"name": "J", "stages": [{"name": "S", "entry": {"event": "e"},},],},
    "events": [], "expect": {},
  })");
  BOOST_TEST(s.purpose == "Purpose: checks things.");
  BOOST_TEST(s.secrets.size() == 1u);
  BOOST_TEST(s.secrets[0] == "secret-key-1");
}

// Counts past the bound of a generation are errors at
// validation, not an allocation that fails (std::bad_alloc ended the run).
BOOST_AUTO_TEST_CASE(generated_counts_are_bounded) {
  auto errors = errors_of(std::string(kBase) + R"(
    "journey": {"name": "J", "stages": [{"name": "S", "entry": {"event": "signup"}}]},
    "events": {"generate": {"profiles": 100000000000000, "events": 100000000000000}}})");
  BOOST_TEST(has(errors, "/events/generate/profiles"));
  BOOST_TEST(has(errors, "/events/generate/events"));
}

BOOST_AUTO_TEST_CASE(same_header_is_a_header_name_on_requests_that_can_match) {
  const std::string journey = R"("journey": {"name": "J", "stages": [{"name": "S", "entry": {"event": "e"}}]},)";
  auto s = load(std::string(kBase) + journey + R"(
    "expect": {"requests": [{"request": {"urlPath": "/x"}, "at_least": 1, "same_header": "webhook-id"}]}})");
  BOOST_REQUIRE_EQUAL(s.requests.size(), 1u);
  BOOST_TEST(s.requests[0].same_header == "webhook-id");

  auto errors = errors_of(std::string(kBase) + journey + R"(
    "expect": {"requests": [{"at_least": 1, "same_header": 3}, {"at_least": 1, "same_header": "web hook"},
                            {"at_least": 1, "same_header": ""}, {"none": true, "same_header": "webhook-id"},
                            {"exactly": 0, "same_header": "webhook-id"}]}})");
  BOOST_TEST(message_at(errors, "/expect/requests/0/same_header") == "must be a string");
  BOOST_TEST(message_at(errors, "/expect/requests/1/same_header") ==
             "'web hook' is not a header name; give one such as webhook-id (letters, digits and !#$%&'*+-.^_`|~)");
  BOOST_TEST(message_at(errors, "/expect/requests/2/same_header").find("is not a header name") != std::string::npos);
  for (const char* pointer : {"/expect/requests/3/same_header", "/expect/requests/4/same_header"}) {
    BOOST_TEST(message_at(errors, pointer) ==
               "compares the requests that match, so it needs some: not with none, exactly 0, at_most 0 or between [0, 0]", pointer);
  }
}

// The requests a pattern matches share one value of a header. recovery.json
// claimed its retries kept their webhook-id with a regex on the header,
// which held for each request alone, whatever ids they carried.
BOOST_AUTO_TEST_CASE(same_header_holds_only_for_one_value_on_every_request) {
  namespace mock = webhook_mock;
  std::vector<mock::PatternError> pattern_errors;
  auto pattern = mock::RequestPattern::parse(
      json::parse(R"({"urlPath": "/v1/five03", "headers": {"webhook-id": {"matches": "msg_[0-9a-f]{32}"}}})"), "",
      pattern_errors);
  BOOST_REQUIRE(pattern);
  RequestExpectation x;
  x.name = "retries";
  x.pattern = pattern->source();
  x.same_header = "webhook-id";
  mock::Journal journal(100);
  auto add = [&](const std::string& path, const char* id) {
    mock::RecordedRequest r;
    r.method = "POST";
    r.path = r.target = path;
    if (id != nullptr) r.headers.emplace_back("Webhook-Id", id);  // any case
    journal.add(std::move(r));
  };
  const char* a = "msg_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  const char* b = "msg_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  add("/v1/five03", a);
  add("/v1/other", b);  // another pattern's request
  add("/v1/five03", a);
  ExpectationResult one = check_same_header(x, *pattern, journal);
  BOOST_TEST(one.passed);
  BOOST_TEST(one.kind == "same_header");
  BOOST_TEST(one.actual == "1 value among 2 requests");

  add("/v1/five03", b);
  BOOST_TEST(mock::Verifier(journal).expect(*pattern, mock::CountRule::exactly, 3).ok);  // the regex alone holds
  ExpectationResult two = check_same_header(x, *pattern, journal);
  BOOST_TEST(!two.passed);
  BOOST_TEST(two.actual == "2 values among 3 requests");
  BOOST_TEST(two.detail == "webhook-id: '" + std::string(a) + "' on request #1, #3\nwebhook-id: '" + b +
                               "' on request #4\n");

  auto any = mock::RequestPattern::any();
  add("/v1/five03", nullptr);
  ExpectationResult without = check_same_header(x, any, journal);
  BOOST_TEST(!without.passed);
  BOOST_TEST(without.actual == "2 values among 5 requests, 1 without webhook-id");
  BOOST_TEST(without.detail.find("no webhook-id on request #5\n") != std::string::npos);

  mock::Journal empty(10);
  ExpectationResult nothing = check_same_header(x, *pattern, empty);
  BOOST_TEST(!nothing.passed);  // nothing compared proves nothing
  BOOST_TEST(nothing.actual == "no request matched: nothing to compare");
}

// Every event is made, in time order: the last of each sorted stream was
// once lost (999,998 events of 1,000,000, a profile never entered).
BOOST_AUTO_TEST_CASE(generator_makes_every_event_and_each_first_event_once) {
  for (auto [profiles, events] : {std::pair<std::uint64_t, std::uint64_t>{1, 1}, {3, 2}, {5, 5}, {50, 1000}, {7, 0}}) {
    GenerateSpec spec;
    spec.profiles = profiles;
    spec.events = events;
    spec.mix = {{"page_view", 1}, {"purchase", 1}};  // signups: only the first events
    std::vector<Profile> p;
    std::vector<Event> e;
    generate(spec, 1000, p, e);
    BOOST_TEST(e.size() == events, profiles << "/" << events);
    std::set<std::string> signed_up;
    std::size_t signups = 0;
    for (std::size_t i = 0; i < e.size(); ++i) {
      BOOST_TEST(e[i].id == "g-" + std::to_string(i + 1));
      BOOST_TEST((e[i].at_ms >= 1000 && e[i].at_ms < 1000 + spec.span_ms));
      if (i > 0) BOOST_TEST(e[i - 1].at_ms <= e[i].at_ms);
      if (e[i].name == "signup") signups += signed_up.insert(e[i].profile).second ? 1 : 100;
    }
    BOOST_TEST(signups == std::min(profiles, events), profiles << "/" << events);  // each profile's once
  }
}

// A generated profile is known by its id: its own spelling, within the count
// (the engine asks for its attributes by that number).
BOOST_AUTO_TEST_CASE(generated_profiles_by_number) {
  GenerateSpec spec;
  spec.profiles = 20;
  std::vector<Profile> listed;
  std::vector<Event> events;
  generate(spec, 0, listed, events);
  for (std::uint64_t i = 0; i < 20; ++i) {
    BOOST_TEST(generated_profile_index(listed[i].id, spec).value() == i);
  }
  for (const char* other : {"p-000021", "p-0000001", "p-000000", "q-000001", "p-00000x"}) {
    BOOST_TEST(!generated_profile_index(other, spec), other);
  }
}

BOOST_AUTO_TEST_CASE(generator_is_reproducible) {
  GenerateSpec spec;
  spec.profiles = 50;
  spec.events = 500;
  spec.seed = 9;
  std::vector<Profile> p1, p2;
  std::vector<Event> e1, e2;
  generate(spec, 0, p1, e1);
  generate(spec, 0, p2, e2);
  BOOST_REQUIRE_EQUAL(e1.size(), 500u);
  BOOST_TEST(p1.size() == 50u);
  for (std::size_t i = 0; i < e1.size(); ++i) {
    BOOST_TEST(e1[i].profile == e2[i].profile);
    BOOST_TEST(e1[i].at_ms == e2[i].at_ms);
    if (i > 0) BOOST_TEST(e1[i - 1].at_ms <= e1[i].at_ms);
  }
  spec.seed = 10;
  std::vector<Profile> p3;
  std::vector<Event> e3;
  generate(spec, 0, p3, e3);
  BOOST_TEST(e3[100].at_ms != e1[100].at_ms);
}

// A key read from api_key_file (or a secret from signing_secret_file) is
// masked like one given in place: it reached the console unmasked in a near
// miss's Authorization header.
BOOST_AUTO_TEST_CASE(secrets_from_files_are_masked_too) {
  const std::string key_file = write_temp("key.txt", "k_from_a_file_1\n");
  const std::string secret_file = write_temp("secret.txt", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\r\n");
  auto s = load(R"({
    "authentications": {"a": {"url_prefix": "http://h/", "api_key_file": ")" + key_file + R"("}},
    "activations": {"x": {"authentication": "a", "url": "http://h/x", "delivery": {"signing_secret_file": ")" +
                secret_file + R"("}}},
    "journey": {"name": "J", "stages": [{"name": "S", "entry": {"event": "e"}}]}})");
  BOOST_TEST(s.secrets == (std::vector<std::string>{"k_from_a_file_1", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}));
}

BOOST_AUTO_TEST_CASE(reports_mask_secrets_and_escape_xml) {
  Masker mask({"key with/slash", "abc"});
  BOOST_TEST(mask("a key with/slash b") == "a *** b");
  BOOST_TEST(mask("url?k=key%20with%2Fslash") == "url?k=***");
  BOOST_TEST(mask("abc stays") == "abc stays");  // too short to mask safely
  BOOST_TEST(xml_escape("<a href=\"x\">&'</a>\x01") == "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt; ");
  ScenarioResult r;
  r.file = "f.json";
  r.name = "n<&>";
  ExpectationResult e;
  e.kind = "requests";
  e.name = "with key with/slash";
  e.expected = "1";
  e.actual = "0";
  e.detail = "nearest: key with/slash";
  r.expectations.push_back(e);
  std::string path = write_temp("junit.xml", "");
  std::ostringstream err;
  BOOST_REQUIRE(write_junit_report({r}, mask, path, err));
  std::ifstream in(path);
  std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_TEST(xml.find("key with/slash") == std::string::npos);
  BOOST_TEST(xml.find("<testsuite name=\"n&lt;&amp;&gt;\" tests=\"1\" failures=\"1\"") != std::string::npos);
  BOOST_TEST(xml.find("<failure message=\"expected 1; got 0\">nearest: ***</failure>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reports_name_their_file_time_every_testcase_and_keep_counts_numbers) {
  Masker mask({});
  std::vector<ScenarioResult> results(2);
  for (std::size_t i = 0; i < 2; ++i) {
    results[i].file = "dir/f" + std::to_string(i) + ".json";
    results[i].name = "same";
    results[i].wall_seconds = 0.5;
    ExpectationResult e;
    e.kind = "requests";
    e.name = "n";
    e.expected = "1";
    e.actual = i == 0 ? "0" : "urlPath /a";
    results[i].expectations.push_back(e);
    results[i].expectations.push_back(e);
  }
  std::ostringstream err;
  const std::string xml_path = write_temp("named.xml", "");
  const std::string json_path = write_temp("named.json", "");
  BOOST_REQUIRE(write_junit_report(results, mask, xml_path, err));
  BOOST_REQUIRE(write_json_report(results, mask, json_path, err));
  BOOST_TEST(err.str() == "report: " + xml_path + "\nreport: " + json_path + "\n");
  std::ifstream xml_in(xml_path);
  const std::string xml((std::istreambuf_iterator<char>(xml_in)), std::istreambuf_iterator<char>());
  BOOST_TEST(xml.find("<testsuite name=\"same (f0.json)\"") != std::string::npos, xml);
  BOOST_TEST(xml.find("<testsuite name=\"same (f1.json)\"") != std::string::npos, xml);
  BOOST_TEST(xml.find("classname=\"same (f1.json)\" time=\"0.250\"") != std::string::npos, xml);
  std::size_t testcases = 0, timed = 0;
  for (auto at = xml.find("<testcase "); at != std::string::npos; at = xml.find("<testcase ", at + 1)) {
    ++testcases;
    const auto end = xml.find('>', at);
    if (xml.substr(at, end - at).find(" time=\"") != std::string::npos) ++timed;
  }
  BOOST_TEST(testcases == 4u);
  BOOST_TEST(timed == testcases);
  std::ifstream json_in(json_path);
  const std::string text((std::istreambuf_iterator<char>(json_in)), std::istreambuf_iterator<char>());
  const auto report = boost::json::parse(text);
  const auto& first = report.at("scenarios").at(0).at("expectations").at(0);
  BOOST_TEST(first.at("expected").is_int64());
  BOOST_TEST(first.at("expected").as_int64() == 1);
  BOOST_TEST(first.at("actual").as_int64() == 0);
  BOOST_TEST(report.at("scenarios").at(1).at("expectations").at(0).at("actual").as_string() == "urlPath /a");
}

BOOST_AUTO_TEST_SUITE_END()
