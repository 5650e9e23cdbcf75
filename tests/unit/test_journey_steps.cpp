// The steps a stage may take beyond activate and wait: if/then/else on the
// stage's event and the profile, wait_for an event with a timeout, goto a
// stage (bounded), exit; and the errors their parser gives.
#include "journey_sim/generator.hpp"
#include "journey_sim/journey_engine.hpp"
#include "support/simulator_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace simulator_support;
namespace json = boost::json;

namespace {

constexpr std::int64_t kDay = 86'400'000;

// The activations the triggers name, in order, as "x y x".
std::string names(const Collected& out) {
  std::string text;
  for (const auto& t : out.triggers) text += (text.empty() ? "" : " ") + t.activation;
  return text;
}

std::string triggers_of(const std::string& profile, const Collected& out) {
  Collected mine;
  std::copy_if(out.triggers.begin(), out.triggers.end(), std::back_inserter(mine.triggers),
               [&](const Trigger& t) { return t.profile == profile; });
  return names(mine);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(journey_steps)

BOOST_AUTO_TEST_CASE(if_reads_the_stage_event_and_the_profile) {
  auto s = load(std::string(kBase) + R"(
    "journey": {"name": "J", "stages": [{"name": "S", "entry": {"event": "buy"}, "steps": [
      {"if": [{"field": "event.amount", "op": "gte", "value": 100}, {"field": "profile.vip", "op": "eq", "value": true}],
       "then": [{"activate": "x"}], "else": [{"activate": "y"}]},
      {"if": {"field": "event.amount", "op": "lt", "value": 10}, "then": [{"activate": "y"}]}]}]},
    "profiles": [{"id": "vip", "attributes": {"vip": true}}, {"id": "plain", "attributes": {"vip": false}}],
    "events": [{"profile": "vip", "name": "buy", "fields": {"amount": 150}},
               {"profile": "plain", "name": "buy", "fields": {"amount": 150}},
               {"profile": "small", "name": "buy", "fields": {"amount": 5}}]})");
  JourneyEngine engine(s);
  Collected out;
  play(engine, s, out);
  BOOST_TEST(triggers_of("vip", out) == "x");      // both conditions hold: then; the second if: no else
  BOOST_TEST(triggers_of("plain", out) == "y");    // one fails: else
  BOOST_TEST(triggers_of("small", out) == "y y");  // else, then the second if's then
  BOOST_TEST(engine.stats().completed == 3u);
}

BOOST_AUTO_TEST_CASE(wait_for_takes_then_on_its_event_and_else_on_the_timeout) {
  auto s = load(std::string(kBase) + R"(
    "journey": {"name": "J", "exit": {"event": "unsubscribe"}, "stages": [{"name": "Cart", "entry": {"event": "cart"}, "steps": [
      {"wait_for": {"event": "buy", "conditions": [{"field": "event.amount", "op": "gt", "value": 0}], "timeout": "2d"},
       "then": [{"activate": "x"}], "else": [{"activate": "y"}]},
      {"wait": "5d"}, {"activate": "x"}]}]},
    "events": [
      {"profile": "buyer", "name": "cart", "at": "+0s"}, {"profile": "buyer", "name": "buy", "at": "+1d", "fields": {"amount": 0}},
      {"profile": "buyer", "name": "buy", "at": "+1d1h", "fields": {"amount": 20}},
      {"profile": "idle", "name": "cart", "at": "+0s"},
      {"profile": "gone", "name": "cart", "at": "+0s"}, {"profile": "gone", "name": "unsubscribe", "at": "+1d"}]})");
  JourneyEngine engine(s);
  Collected out;
  play(engine, s, out);
  BOOST_TEST(triggers_of("buyer", out) == "x x");  // the buy of 0 did not meet the conditions; the second did
  BOOST_TEST(triggers_of("idle", out) == "y x");   // the timeout: else, then the steps after
  BOOST_TEST(triggers_of("gone", out) == "");      // the exit criteria apply while it waits
  std::vector<std::int64_t> buyer, idle;  // days and hours after the start
  for (const auto& t : out.triggers) (t.profile == "buyer" ? buyer : idle).push_back(t.at_ms - s.start_ms);
  const std::int64_t hour = 3'600'000;
  // the buy cancelled the timeout: the wait after it counts from the buy, not from the timeout
  BOOST_TEST(buyer == (std::vector<std::int64_t>{kDay + hour, 6 * kDay + hour}));
  BOOST_TEST(idle == (std::vector<std::int64_t>{2 * kDay, 7 * kDay}));
  BOOST_TEST(engine.stats().exited == 1u);
  BOOST_TEST(engine.stats().completed == 2u);
}

// The awaited event cancels the timeout: once the next stage waits for its
// own entry, the old timeout must not start that stage.
BOOST_AUTO_TEST_CASE(the_awaited_event_cancels_the_timeout) {
  auto s = load(std::string(kBase) + R"(
    "journey": {"name": "J", "stages": [
      {"name": "Cart", "entry": {"event": "cart"}, "steps": [{"wait_for": {"event": "buy", "timeout": "2d"}, "then": [{"activate": "x"}]}]},
      {"name": "Shipped", "entry": {"event": "ship"}, "steps": [{"activate": "y"}]}]},
    "events": [{"profile": "p", "name": "cart", "at": "+0s"}, {"profile": "p", "name": "buy", "at": "+1d"},
               {"profile": "p", "name": "ship", "at": "+5d"}]})");
  JourneyEngine engine(s);
  Collected out;
  play(engine, s, out);
  BOOST_REQUIRE(names(out) == "x y");
  BOOST_TEST(out.triggers[1].at_ms - s.start_ms == 5 * kDay);  // on its entry event, not at the old timeout
}

// An answered wait_for's timeout is dropped: it moved the simulated clock
// to its due time (branching-journey reported 4d for 3d 5h).
BOOST_AUTO_TEST_CASE(an_answered_wait_for_leaves_no_wake_up) {
  auto s = load(std::string(kBase) + R"(
    "journey": {"name": "J", "stages": [{"name": "S", "entry": {"event": "cart"}, "steps": [
      {"wait_for": {"event": "buy", "timeout": "2d"}, "then": [{"activate": "x"}]}]}]},
    "events": [{"profile": "p", "name": "cart", "at": "+0s"}, {"profile": "p", "name": "buy", "at": "+1d"}]})");
  JourneyEngine engine(s);
  Collected out;
  engine.on_event(s.events[0], out.emit());
  BOOST_TEST(engine.next_wait_ms() == s.start_ms + 2 * kDay);
  engine.on_event(s.events[1], out.emit());
  BOOST_TEST(names(out) == "x");
  BOOST_TEST(engine.next_wait_ms() == -1);
}

BOOST_AUTO_TEST_CASE(goto_loops_with_waits_and_exit_leaves) {
  auto s = load(std::string(kBase) + R"(
    "journey": {"name": "J", "stages": [
      {"name": "Remind", "entry": {"event": "signup"}, "steps": [
        {"wait_for": {"event": "buy", "timeout": "1d"}, "then": [{"goto": "Thanks"}]},
        {"activate": "x"}, {"goto": "Remind"}]},
      {"name": "Thanks", "steps": [{"activate": "y"}, {"exit": true}, {"activate": "y"}]}]},
    "events": [{"profile": "p", "name": "signup", "at": "+0s"}, {"profile": "p", "name": "buy", "at": "+3d1h"}]})");
  JourneyEngine engine(s);
  Collected out;
  play(engine, s, out);
  BOOST_TEST(names(out) == "x x x y");  // a reminder each day for three days, then thanks; nothing after the exit
  BOOST_TEST(out.triggers.back().stage == "Thanks");
  BOOST_TEST(engine.stats().exited == 1u);
  BOOST_TEST(engine.stats().completed == 0u);
  BOOST_TEST(engine.stats().goto_limited == 0u);
}

BOOST_AUTO_TEST_CASE(a_goto_loop_without_a_wait_ends_after_the_bound) {
  auto s = load(std::string(kBase) + R"(
    "journey": {"name": "J", "stages": [{"name": "Loop", "entry": {"event": "e"}, "steps": [{"activate": "x"}, {"goto": "Loop"}]}]},
    "events": [{"profile": "p", "name": "e"}, {"profile": "q", "name": "e"}]})");
  JourneyEngine engine(s);
  Collected out;
  play(engine, s, out);
  BOOST_TEST(out.triggers.size() == 2 * (kMaxGotos + 1));  // the first pass and one per goto allowed
  BOOST_TEST(engine.stats().goto_limited == 2u);
  BOOST_TEST(engine.stats().goto_limited_profiles == (std::vector<std::string>{"p", "q"}));
  BOOST_TEST(engine.stats().exited == 2u);
}

// The bound counts per entry into the journey; a profile is named once.
BOOST_AUTO_TEST_CASE(the_goto_bound_is_per_entry_and_names_a_profile_once) {
  auto s = load(std::string(kBase) + R"(
    "journey": {"name": "J", "reentry": "after_exit",
                "stages": [{"name": "Loop", "entry": {"event": "e"}, "steps": [{"activate": "x"}, {"goto": "Loop"}]}]},
    "events": [{"profile": "p", "name": "e", "at": "+0s"}, {"profile": "p", "name": "e", "at": "+1m"}]})");
  JourneyEngine engine(s);
  Collected out;
  play(engine, s, out);
  BOOST_TEST(out.triggers.size() == 2 * (kMaxGotos + 1));  // the second entry loops as long as the first
  BOOST_TEST(engine.stats().entered == 2u);
  BOOST_TEST(engine.stats().goto_limited == 1u);
  BOOST_TEST(engine.stats().goto_limited_profiles == (std::vector<std::string>{"p"}));
}

// A generated profile's attributes reach the records, as generate() lists them.
BOOST_AUTO_TEST_CASE(generated_profiles_reach_the_records) {
  auto s = load(std::string(kBase) + R"(
    "journey": {"name": "J", "stages": [{"name": "S", "entry": {"event": "signup"}, "steps": [{"activate": "x"}]}]},
    "events": {"generate": {"profiles": 5, "events": 5, "seed": 3}}})");
  BOOST_REQUIRE(s.generated.has_value());
  std::vector<Profile> listed;
  std::vector<Event> events;
  generate(*s.generated, s.start_ms, listed, events);
  JourneyEngine engine(s);
  Collected out;
  play(engine, s, out);
  BOOST_REQUIRE_EQUAL(out.triggers.size(), 5u);
  for (const auto& t : out.triggers) {
    auto profile = json::parse(t.record).at("profile").as_object();
    const auto& expected = *std::find_if(listed.begin(), listed.end(), [&](const Profile& p) { return p.id == t.profile; });
    BOOST_TEST(profile.at("email") == expected.attributes.at("email"));
    BOOST_TEST(profile.at("tier") == expected.attributes.at("tier"));
  }
}

BOOST_AUTO_TEST_CASE(step_errors_name_the_step_and_what_is_allowed) {
  auto errors = errors_of(std::string(kBase) + R"(
    "journey": {"name": "J", "stages": [
      {"name": "A", "entry": {"event": "e"}, "steps": [
        {"goto": "Nowhere"}, {"activate": "x", "wait": "1d"}, {"activate": "x", "then": []}, {"if": []},
        {"wait_for": {"event": "buy"}}, {"exit": false},
        {"if": {"field": "amount", "op": "eq", "value": 1}, "then": [{"activate": "nope"}]}]},
      {"name": "A"}]}})");
  const std::string at = "/journey/stages/0/steps/";
  BOOST_TEST(message_at(errors, at + "0/goto") == "names 'Nowhere', which is not a stage of /journey/stages");
  BOOST_TEST(message_at(errors, at + "1").find("a step is one of") != std::string::npos);
  BOOST_TEST(message_at(errors, at + "2/then") == "is only for if and wait_for steps");
  BOOST_TEST(message_at(errors, at + "3/if").find("non-empty list") != std::string::npos);
  BOOST_TEST(has(errors, at + "4/wait_for/timeout"));
  BOOST_TEST(message_at(errors, at + "5/exit") == "must be true");
  BOOST_TEST(has(errors, at + "6/if/field"));
  BOOST_TEST(message_at(errors, at + "6/then/0/activate") == "names 'nope', which is not in /activations");
  BOOST_TEST(message_at(errors, "/journey/stages/1/name") == "'A' names an earlier stage too; stage names are unique");
}

BOOST_AUTO_TEST_SUITE_END()
