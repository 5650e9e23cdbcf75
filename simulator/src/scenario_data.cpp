// /profiles and /events: given inline, read from NDJSON files beside the
// scenario, or (events) generated from a few numbers and a seed.
#include "journey_sim/generator.hpp"
#include "journey_sim/scenario_reader.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
#include <limits>

namespace journey_sim::scenario_parser {
namespace {

namespace json = boost::json;

// The NDJSON file that {"file": PATH} names, or null when `v` is not that.
const json::string* file_of(const json::value& v) {
  const auto* o = v.if_object();
  const auto* file = o != nullptr ? o->if_contains("file") : nullptr;
  return file != nullptr ? file->if_string() : nullptr;
}

void add_profile(ScenarioReader& r, const json::object& o, const std::string& at, Scenario& s) {
  Profile p;
  auto id = r.string(o, at, "id", true);
  if (const auto* a = r.object(o, at, "attributes")) p.attributes = *a;
  if (!id) return;
  p.id = *id;
  s.profiles.push_back(std::move(p));
}

// The time of an event: "+DURATION" after the start, or an ISO 8601 time.
std::int64_t event_time(ScenarioReader& r, const std::string& when, const std::string& at, std::int64_t start_ms) {
  if (when.starts_with("+")) {
    bool too_long = false;
    auto d = parse_duration(std::string_view(when).substr(1), &too_long);
    if (too_long) r.error(at, "'" + when + "' is more than 100 years after the start; at most +36525d");
    else if (!d) r.error(at, "'" + when + "' is not a relative time; write e.g. +90s, +3d");
    else return start_ms + *d;
  } else {
    auto t = parse_timestamp(when);
    if (!t) r.error(at, "'" + when + "' is not a time; write an ISO 8601 UTC time or +DURATION");
    else return *t;
  }
  return start_ms;
}

void add_event(ScenarioReader& r, const json::object& o, const std::string& at, Scenario& s) {
  r.only_keys(o, at, {"profile", "name", "at", "id", "fields"});
  Event e;
  auto profile = r.string(o, at, "profile", true);
  auto name = r.string(o, at, "name", true);
  auto when = r.string(o, at, "at", false);
  e.id = r.string(o, at, "id", false).value_or("");
  e.at_ms = when ? event_time(r, *when, at + "/at", s.start_ms) : s.start_ms;
  if (const auto* f = r.object(o, at, "fields")) e.fields = *f;
  if (!profile || !name) return;
  e.profile = *profile;
  e.name = *name;
  s.events.push_back(std::move(e));
}

void read_mix(ScenarioReader& r, const json::object& mix, const std::string& at, GenerateSpec& spec) {
  spec.mix.clear();
  const webhook_common::JsonChecker::Range weight{0, std::numeric_limits<double>::infinity()};
  for (const auto& m : mix) {
    if (auto w = r.number(m.value(), r.join(at, m.key()), weight, "must be a weight, a number 0 or more")) {
      spec.mix.emplace_back(std::string(m.key()), *w);
    }
  }
}

// {"generate": {...}}: the events (and their profiles) to make while the run
// plays.
void generate_events(ScenarioReader& r, const json::object& go, std::uint64_t seed, Scenario& s) {
  const std::string at = "/events/generate";
  r.only_keys(go, at, {"profiles", "events", "span", "seed", "mix", "first_event"});
  GenerateSpec spec;
  spec.seed = seed;
  if (auto f = go.find("profiles"); f != go.end()) spec.profiles = r.unsigned_integer(f->value(), at + "/profiles").value_or(0);
  if (auto f = go.find("events"); f != go.end()) spec.events = r.unsigned_integer(f->value(), at + "/events").value_or(0);
  if (auto f = go.find("seed"); f != go.end()) spec.seed = r.unsigned_integer(f->value(), at + "/seed").value_or(1);
  if (auto span = r.duration(go, at, "span", false)) spec.span_ms = *span;
  spec.first_event = r.string(go, at, "first_event", false).value_or(spec.first_event);
  if (const auto* mix = r.object(go, at, "mix")) read_mix(r, *mix, at + "/mix", spec);
  if (spec.profiles == 0) r.error(at + "/profiles", "must be at least 1");
  if (spec.profiles > kMaxGenerated) r.error(at + "/profiles", "at most " + std::to_string(kMaxGenerated));
  if (spec.events > kMaxGenerated) r.error(at + "/events", "at most " + std::to_string(kMaxGenerated));
  s.generated = std::move(spec);  // made while the run plays
}

}  // namespace

void parse_profiles(ScenarioReader& r, const json::object& top, Scenario& s) {
  const auto* v = top.if_contains("profiles");
  if (v == nullptr) return;
  if (const auto* list = v->if_array()) {
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string at = r.index("/profiles", i);
      if (const auto* o = r.object((*list)[i], at)) {
        r.only_keys(*o, at, {"id", "attributes"});
        add_profile(r, *o, at, s);
      }
    }
  } else if (const auto* file = file_of(*v)) {
    for (auto& [line, object] : r.read_ndjson(std::string(*file), "/profiles/file")) {
      add_profile(r, object, "/profiles/file:" + std::to_string(line), s);
    }
  } else {
    r.error("/profiles", "must be an array of {\"id\", \"attributes\"} or {\"file\": \"profiles.ndjson\"}");
  }
}

void parse_events(ScenarioReader& r, const json::object& top, std::uint64_t seed, Scenario& s) {
  if (const auto* v = top.if_contains("events")) {
    const auto* generate = v->is_object() ? v->get_object().if_contains("generate") : nullptr;
    if (const auto* list = v->if_array()) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string at = r.index("/events", i);
        if (const auto* o = r.object((*list)[i], at)) add_event(r, *o, at, s);
      }
    } else if (const auto* file = file_of(*v)) {
      for (auto& [line, object] : r.read_ndjson(std::string(*file), "/events/file")) {
        add_event(r, object, "/events/file:" + std::to_string(line), s);
      }
    } else if (generate != nullptr && generate->is_object()) {
      generate_events(r, generate->get_object(), seed, s);
    } else {
      r.error("/events", "must be an array of events, {\"file\": \"events.ndjson\"} or {\"generate\": {...}}");
    }
  }
  std::stable_sort(s.events.begin(), s.events.end(), [](const Event& a, const Event& b) { return a.at_ms < b.at_ms; });
  for (std::size_t i = 0; i < s.events.size(); ++i) {
    if (s.events[i].id.empty()) s.events[i].id = s.name + "-" + std::to_string(i + 1);
  }
}

}  // namespace journey_sim::scenario_parser
