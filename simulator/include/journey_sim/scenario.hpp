// A scenario file: authentications and activations (in the plugin's shape),
// a real-time journey, profiles, events, the endpoint's behaviour (WireMock
// mappings) and the expectations. Parsed and checked in one pass that
// reports every problem with the file and a JSON pointer.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace journey_sim {

struct ScenarioError {
  std::string file;
  std::string pointer;  // "/journey/stages/1/entry/event"; "" for the whole file
  int line = 0;         // for syntax errors, 1-based; 0 otherwise
  int column = 0;
  std::string message;
  std::string to_string() const;
};

struct Condition {
  enum class Op { eq, ne, lt, gt, lte, gte, exists, not_exists, in, contains } op = Op::eq;
  std::string field;  // "event.amount", "profile.country"
  boost::json::value value;
};

struct Criteria {
  std::string event;  // event name that triggers; "" matches any event
  std::vector<Condition> conditions;
  bool empty() const { return event.empty() && conditions.empty(); }
};

// One step of a stage. Branches hold steps of their own.
struct Step {
  enum class Kind { activate, wait, branch, wait_for, go_to, exit } kind = Kind::activate;
  std::string activation;   // activate
  std::int64_t wait_ms = 0;  // wait; wait_for: its timeout
  Criteria criteria;        // branch ("if"): its conditions; wait_for: the event and its conditions
  std::vector<Step> then_steps, else_steps;  // branch, wait_for ("else": the timeout passed)
  std::string stage;            // go_to: the stage's name
  std::size_t stage_index = 0;  // go_to: its index in the journey's stages
};

// A profile that takes more goto steps than this leaves the journey with a
// reported error: a loop cannot hang a run.
inline constexpr std::uint32_t kMaxGotos = 1'000;

struct Stage {
  std::string name;
  Criteria entry;  // for the first stage: how a profile enters the journey
  std::optional<Criteria> exit;
  std::vector<Step> steps;
};

struct Journey {
  std::string name;
  enum class Reentry { none, after_exit } reentry = Reentry::none;
  std::optional<Criteria> exit;  // leaves the journey from any stage
  std::uint32_t cap_count = 0;   // activations per profile per window; 0: no cap
  std::int64_t cap_window_ms = 0;
  std::vector<Stage> stages;
};

struct RealtimeAttribute {
  std::string name;
  enum class Kind { last, count } kind = Kind::last;
  std::string event;  // event name it follows
  std::string field;  // for last: the event field whose last value it keeps
  std::int64_t window_ms = 0;  // for count: the sliding window
};

struct Profile {
  std::string id;
  boost::json::object attributes;
};

struct Event {
  std::string profile;
  std::string name;
  std::int64_t at_ms = 0;  // simulated Unix ms
  std::string id;          // event_id; generated when absent
  boost::json::object fields;
};

// A synthetic load (generator.hpp makes it).
struct GenerateSpec {
  std::uint64_t profiles = 1000;
  std::uint64_t events = 10000;
  std::int64_t span_ms = 86'400'000;  // events spread over this much time
  std::uint64_t seed = 1;
  // Event names with their relative weights.
  std::vector<std::pair<std::string, double>> mix{{"signup", 1}, {"purchase", 3}, {"page_view", 4}};
  // Every profile's first event is this one (when not empty), so journeys fill.
  std::string first_event = "signup";
};

struct ActivationSpec {
  std::string name;
  boost::json::object config;  // the plugin configuration, ${endpoint} not yet substituted
};

struct RequestExpectation {
  std::string name;
  boost::json::value pattern;  // WireMock request pattern (its method upper-cased)
  enum class Rule { exactly, at_least, at_most, between } rule = Rule::exactly;
  std::size_t count = 0;
  std::size_t count_max = 0;  // between: [count, count_max]
  // Each, when given, on the requests matching the pattern:
  std::string same_header;    // every one carries it, all with one value
  bool signature_valid = false;  // a Standard Webhooks signature under an activation's signing secret
  bool no_duplicates = false;  // no webhook-id answered 2xx twice
  std::string ordered_by;      // a JSON pointer into the body: per its value, arrival order is submit order
  std::optional<std::vector<int>> attempts;  // each record's (webhook-id's) answers, in order
  bool needs_submit_order() const { return !ordered_by.empty(); }
};

struct OrderExpectation {
  std::string name;
  boost::json::value pattern;  // which requests (WireMock pattern); any when null
  std::string key;             // JSON path into the body: the ordering key
  std::string sequence;        // JSON path: the sequence or time that must not go back
};

struct ValidationExpectation {
  std::string activation;
  std::string field;
  std::string message_contains;
};

struct Scenario {
  std::string file;
  std::string name;
  std::string purpose;  // the first comment line
  std::int64_t start_ms = 0;
  std::vector<ActivationSpec> activations;
  Journey journey;
  std::vector<RealtimeAttribute> realtime;
  std::vector<Profile> profiles;
  std::vector<Event> events;  // sorted by time (stable); none when generated
  // "events": {"generate": ...}: made while the run plays (EventGenerator),
  // their profiles when they first appear (generated_profile).
  std::optional<GenerateSpec> generated;
  std::uint64_t event_count() const { return generated ? generated->events : events.size(); }
  boost::json::array mappings;
  std::vector<RequestExpectation> requests;
  std::vector<OrderExpectation> order;
  std::optional<std::uint64_t> expect_delivered, expect_dead_lettered, expect_failed;
  std::vector<ValidationExpectation> validation_errors;
  std::vector<std::string> secrets;  // values to mask in reports
};

// The secret a plugin configuration's section gives under `key`, each way it
// is given and can be read here, as the plugin reads it: the value, the
// variable `KEY_env` names, the file `KEY_file` names (trailing newlines
// dropped). What reports mask, and what signature checks verify under.
std::vector<std::string> secret_values(const boost::json::object& section, std::string_view key);

// Reads and checks a scenario file. On failure returns nullopt with every
// error appended. `seed` seeds generated events that give no seed of their own.
std::optional<Scenario> load_scenario(const std::string& path, std::vector<ScenarioError>& errors,
                                      std::uint64_t seed = 1);
// The same, but what could be read is returned despite errors (validate
// checks the activations of a file with other problems too); nullopt only
// when the file is not a JSON object.
std::optional<Scenario> read_scenario(const std::string& path, std::vector<ScenarioError>& errors,
                                      std::uint64_t seed = 1);

// The longest duration a scenario or `journey-sim generate --span` may
// give: 100 years of 365.25 days (36525d), far beyond any journey and far
// inside int64 milliseconds, whatever time it is added to.
inline constexpr std::int64_t kMaxDurationMs = 36'525LL * 86'400'000;

// "90s", "5m", "2h", "3d", "1w", "500ms", "1h30m" -> milliseconds; nullopt
// for anything else, and for more than kMaxDurationMs (then `too_long`,
// when given, is set: a different message for the user).
std::optional<std::int64_t> parse_duration(std::string_view text, bool* too_long = nullptr);
// Milliseconds as people read them: the two largest units, "5d 1h",
// "1m 30s", "1s 500ms", "0s".
std::string format_duration(std::int64_t ms);
// "2026-01-02T03:04:05Z" (fraction allowed) -> Unix ms.
std::optional<std::int64_t> parse_timestamp(std::string_view text);
// Unix ms -> "2026-01-02T03:04:05.000Z".
std::string format_timestamp(std::int64_t unix_ms);

}  // namespace journey_sim
