// /journey (its stages, steps, entry and exit criteria, frequency cap) and
// /realtime_attributes.
#include "journey_sim/scenario_reader.hpp"

#include <boost/json/value.hpp>

namespace journey_sim::scenario_parser {
namespace {

namespace json = boost::json;

std::optional<Condition::Op> op_from(std::string_view s) {
  using Op = Condition::Op;
  if (s == "eq") return Op::eq;
  if (s == "ne") return Op::ne;
  if (s == "lt") return Op::lt;
  if (s == "gt") return Op::gt;
  if (s == "lte") return Op::lte;
  if (s == "gte") return Op::gte;
  if (s == "exists") return Op::exists;
  if (s == "not_exists") return Op::not_exists;
  if (s == "in") return Op::in;
  if (s == "contains") return Op::contains;
  return std::nullopt;
}

Condition parse_condition(ScenarioReader& r, const json::object& co, const std::string& item) {
  r.only_keys(co, item, {"field", "op", "value"});
  Condition cond;
  auto field = r.string(co, item, "field", true);
  auto op = r.string(co, item, "op", true);
  if (field) {
    if (!field->starts_with("event.") && !field->starts_with("profile.")) {
      r.error(item + "/field", "'" + *field + "' must start with 'event.' or 'profile.'");
    }
    cond.field = *field;
  }
  if (op) {
    auto parsed = op_from(*op);
    if (!parsed) {
      r.error(item + "/op", "'" + *op + "' is not an operator; allowed: eq, ne, lt, gt, lte, gte, exists, not_exists, in, contains");
    } else {
      cond.op = *parsed;
    }
  }
  bool needs_value = cond.op != Condition::Op::exists && cond.op != Condition::Op::not_exists;
  if (auto it = co.find("value"); it != co.end()) {
    cond.value = it->value();
    if (cond.op == Condition::Op::in && !cond.value.is_array()) r.error(item + "/value", "must be an array for 'in'");
  } else if (needs_value && op) {
    r.error(item + "/value", "is required for '" + *op + "'");
  }
  return cond;
}

std::optional<Criteria> parse_criteria(ScenarioReader& r, const json::value& v, const std::string& at) {
  const auto* o = r.object(v, at);
  if (!o) return std::nullopt;
  r.only_keys(*o, at, {"event", "conditions"});
  Criteria c;
  c.event = r.string(*o, at, "event", false).value_or("");
  if (const auto* list = r.array(*o, at, "conditions")) {
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string item = r.index(at + "/conditions", i);
      if (const auto* co = r.object((*list)[i], item)) c.conditions.push_back(parse_condition(r, *co, item));
    }
  }
  return c;
}

void parse_frequency_cap(ScenarioReader& r, const json::value& v, Journey& journey) {
  const std::string at = "/journey/frequency_cap";
  const auto* c = r.object(v, at);
  if (!c) return;
  r.only_keys(*c, at, {"count", "window"});
  if (auto n = c->find("count"); n != c->end()) {
    journey.cap_count = static_cast<std::uint32_t>(r.unsigned_integer(n->value(), at + "/count").value_or(0));
  } else {
    r.error(at + "/count", "is required (activations per profile per window)");
  }
  journey.cap_window_ms = r.duration(*c, at, "window", true).value_or(0);
}

Step parse_step(ScenarioReader& r, const json::object& step, const std::string& at, const Scenario& s) {
  r.only_keys(step, at, {"activate", "wait"});
  Step parsed;
  if (auto act = r.string(step, at, "activate", false)) {
    parsed.kind = Step::Kind::activate;
    parsed.activation = *act;
    if (!has_activation(s, *act)) r.error(at + "/activate", "names '" + *act + "', which is not in /activations");
  } else if (auto wait = r.duration(step, at, "wait", false)) {
    parsed.kind = Step::Kind::wait;
    parsed.wait_ms = *wait;
  } else if (!step.contains("wait")) {
    r.error(at, "a step is {\"activate\": NAME} or {\"wait\": DURATION}");
  }
  return parsed;
}

Stage parse_stage(ScenarioReader& r, const json::object& so, const std::string& at, bool first, const Scenario& s) {
  r.only_keys(so, at, {"name", "entry", "exit", "steps"});
  Stage stage;
  stage.name = r.string(so, at, "name", true).value_or("");
  if (auto e = so.find("entry"); e != so.end()) {
    if (auto c = parse_criteria(r, e->value(), at + "/entry")) stage.entry = *c;
  } else if (first) {
    r.error(at + "/entry", "is required for the first stage: it says which event enters the journey");
  }
  if (auto e = so.find("exit"); e != so.end()) stage.exit = parse_criteria(r, e->value(), at + "/exit");
  if (const auto* steps = r.array(so, at, "steps")) {
    for (std::size_t k = 0; k < steps->size(); ++k) {
      const std::string step_at = r.index(at + "/steps", k);
      if (const auto* step = r.object((*steps)[k], step_at)) stage.steps.push_back(parse_step(r, *step, step_at, s));
    }
  }
  return stage;
}

}  // namespace

void parse_journey(ScenarioReader& r, const json::object& top, Scenario& s) {
  const auto* it = top.if_contains("journey");
  if (it == nullptr) {
    r.error("/journey", "is required");
    return;
  }
  const auto* j = r.object(*it, "/journey");
  if (!j) return;
  r.only_keys(*j, "/journey", {"name", "reentry", "exit", "frequency_cap", "stages"});
  s.journey.name = r.string(*j, "/journey", "name", true).value_or("");
  if (auto reentry = r.one_of(*j, "/journey", "reentry", {"none", "after_exit"})) {
    s.journey.reentry = *reentry == "after_exit" ? Journey::Reentry::after_exit : Journey::Reentry::none;
  }
  if (auto e = j->find("exit"); e != j->end()) s.journey.exit = parse_criteria(r, e->value(), "/journey/exit");
  if (auto cap = j->find("frequency_cap"); cap != j->end()) parse_frequency_cap(r, cap->value(), s.journey);
  if (const auto* list = r.array(*j, "/journey", "stages")) {
    if (list->empty()) r.error("/journey/stages", "needs at least one stage");
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string at = r.index("/journey/stages", i);
      if (const auto* so = r.object((*list)[i], at)) s.journey.stages.push_back(parse_stage(r, *so, at, i == 0, s));
    }
  }
}

void parse_realtime_attributes(ScenarioReader& r, const json::object& top, Scenario& s) {
  const auto* list = r.array(top, "", "realtime_attributes");
  if (!list) return;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string at = r.index("/realtime_attributes", i);
    const auto* o = r.object((*list)[i], at);
    if (!o) continue;
    r.only_keys(*o, at, {"name", "type", "event", "field", "window"});
    RealtimeAttribute a;
    a.name = r.string(*o, at, "name", true).value_or("");
    a.event = r.string(*o, at, "event", true).value_or("");
    auto type = r.one_of(*o, at, "type", {"last", "count"}, true);
    if (type == "last") {
      a.kind = RealtimeAttribute::Kind::last;
      a.field = r.string(*o, at, "field", true).value_or("");
    } else if (type == "count") {
      a.kind = RealtimeAttribute::Kind::count;
      a.window_ms = r.duration(*o, at, "window", true).value_or(0);
    }
    s.realtime.push_back(std::move(a));
  }
}

}  // namespace journey_sim::scenario_parser
