// /journey (its stages, steps, entry and exit criteria, frequency cap) and
// /realtime_attributes.
#include "journey_sim/scenario_reader.hpp"

#include <boost/json/value.hpp>

#include <algorithm>

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

// The list at `where`/conditions, each an object {"field", "op", "value"}.
// A list of conditions at `at`, each an object {"field", "op", "value"}.
std::vector<Condition> parse_condition_list(ScenarioReader& r, const json::array& list, const std::string& at) {
  std::vector<Condition> conditions;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = r.index(at, i);
    if (const auto* co = r.object(list[i], item)) conditions.push_back(parse_condition(r, *co, item));
  }
  return conditions;
}

// The list at `where`/conditions, when there is one.
std::vector<Condition> parse_conditions(ScenarioReader& r, const json::object& o, const std::string& where) {
  const auto* list = r.array(o, where, "conditions");
  return list ? parse_condition_list(r, *list, where + "/conditions") : std::vector<Condition>{};
}

std::optional<Criteria> parse_criteria(ScenarioReader& r, const json::value& v, const std::string& at) {
  const auto* o = r.object(v, at);
  if (!o) return std::nullopt;
  r.only_keys(*o, at, {"event", "conditions"});
  Criteria c;
  c.event = r.string(*o, at, "event", false).value_or("");
  c.conditions = parse_conditions(r, *o, at);
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

// What a step may name: the activations, and the journey's stages.
struct StepContext {
  ScenarioReader& r;
  const Scenario& s;
  const std::vector<std::string>& stages;
};

std::vector<Step> parse_steps(const StepContext& c, const json::object& parent, const std::string& at,
                              std::string_view key);

// "if": one condition, or a list of them that must all hold.
void parse_if(const StepContext& c, const json::value& v, const std::string& at, Step& step) {
  if (const auto* one = v.if_object()) {
    step.criteria.conditions.push_back(parse_condition(c.r, *one, at));
    return;
  }
  const auto* list = v.if_array();
  if (list == nullptr || list->empty()) {
    c.r.error(at, "must be a condition {\"field\", \"op\", \"value\"} or a non-empty list of them");
    return;
  }
  step.criteria.conditions = parse_condition_list(c.r, *list, at);
}

void parse_wait_for(const StepContext& c, const json::value& v, const std::string& at, Step& step) {
  const auto* o = c.r.object(v, at);
  if (!o) return;
  c.r.only_keys(*o, at, {"event", "conditions", "timeout"});
  step.criteria.event = c.r.string(*o, at, "event", true).value_or("");
  step.criteria.conditions = parse_conditions(c.r, *o, at);
  step.wait_ms = c.r.duration(*o, at, "timeout", true).value_or(0);
}

void parse_goto(const StepContext& c, const json::object& o, const std::string& at, Step& step) {
  step.stage = c.r.string(o, at, "goto", true).value_or("");
  const auto it = std::find(c.stages.begin(), c.stages.end(), step.stage);
  if (it == c.stages.end()) {
    if (o.at("goto").is_string()) c.r.error(at + "/goto", "names '" + step.stage + "', which is not a stage of /journey/stages");
    return;
  }
  step.stage_index = static_cast<std::size_t>(it - c.stages.begin());
}

// The one key that says what a step does, or nullopt (with an error).
std::optional<Step::Kind> step_kind(ScenarioReader& r, const json::object& o, const std::string& at) {
  constexpr std::pair<std::string_view, Step::Kind> kKinds[] = {
      {"activate", Step::Kind::activate}, {"wait", Step::Kind::wait}, {"if", Step::Kind::branch},
      {"wait_for", Step::Kind::wait_for}, {"goto", Step::Kind::go_to}, {"exit", Step::Kind::exit}};
  std::optional<Step::Kind> kind;
  int given = 0;
  for (const auto& [key, k] : kKinds) {
    if (o.contains(key)) {
      ++given;
      kind = k;
    }
  }
  if (given != 1) {
    r.error(at, "a step is one of {\"activate\": NAME}, {\"wait\": DURATION}, {\"if\": CONDITIONS, \"then\", \"else\"}, "
                "{\"wait_for\": {\"event\", \"conditions\", \"timeout\"}, \"then\", \"else\"}, {\"goto\": STAGE}, "
                "{\"exit\": true}");
    return std::nullopt;
  }
  const bool branches = kind == Step::Kind::branch || kind == Step::Kind::wait_for;
  for (std::string_view key : {"then", "else"}) {
    if (!branches && o.contains(key)) r.error(at + "/" + std::string(key), "is only for if and wait_for steps");
  }
  return kind;
}

Step parse_step(const StepContext& c, const json::object& o, const std::string& at) {
  ScenarioReader& r = c.r;
  r.only_keys(o, at, {"activate", "wait", "if", "wait_for", "goto", "exit", "then", "else"});
  Step step;
  const auto kind = step_kind(r, o, at);
  if (!kind) return step;
  step.kind = *kind;
  switch (*kind) {
    case Step::Kind::activate:
      step.activation = r.string(o, at, "activate", true).value_or("");
      if (o.at("activate").is_string() && !has_activation(c.s, step.activation)) {
        r.error(at + "/activate", "names '" + step.activation + "', which is not in /activations");
      }
      break;
    case Step::Kind::wait: step.wait_ms = r.duration(o, at, "wait", true).value_or(0); break;
    case Step::Kind::branch: parse_if(c, o.at("if"), at + "/if", step); break;
    case Step::Kind::wait_for: parse_wait_for(c, o.at("wait_for"), at + "/wait_for", step); break;
    case Step::Kind::go_to: parse_goto(c, o, at, step); break;
    case Step::Kind::exit:
      if (!o.at("exit").is_bool() || !o.at("exit").get_bool()) r.error(at + "/exit", "must be true");
      break;
  }
  step.then_steps = parse_steps(c, o, at, "then");
  step.else_steps = parse_steps(c, o, at, "else");
  return step;
}

std::vector<Step> parse_steps(const StepContext& c, const json::object& parent, const std::string& at,
                              std::string_view key) {
  std::vector<Step> steps;
  if (!parent.contains(key)) return steps;
  if (const auto* list = c.r.array(parent, at, key)) {
    const std::string list_at = c.r.join(at, key);
    for (std::size_t k = 0; k < list->size(); ++k) {
      const std::string step_at = c.r.index(list_at, k);
      if (const auto* step = c.r.object((*list)[k], step_at)) steps.push_back(parse_step(c, *step, step_at));
    }
  }
  return steps;
}

Stage parse_stage(const StepContext& c, const json::object& so, const std::string& at, bool first) {
  ScenarioReader& r = c.r;
  r.only_keys(so, at, {"name", "entry", "exit", "steps"});
  Stage stage;
  stage.name = r.string(so, at, "name", true).value_or("");
  if (auto e = so.find("entry"); e != so.end()) {
    if (auto criteria = parse_criteria(r, e->value(), at + "/entry")) stage.entry = *criteria;
  } else if (first) {
    r.error(at + "/entry", "is required for the first stage: it says which event enters the journey");
  }
  if (auto e = so.find("exit"); e != so.end()) stage.exit = parse_criteria(r, e->value(), at + "/exit");
  stage.steps = parse_steps(c, so, at, "steps");
  return stage;
}

// The stages' names, read first so that a goto may name a later stage; a
// name given twice is an error (a goto would not know which).
std::vector<std::string> stage_names(ScenarioReader& r, const json::array& list) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto* o = list[i].if_object();
    const auto* name = o ? o->if_contains("name") : nullptr;
    if (!name || !name->is_string()) continue;
    const std::string text(name->get_string());
    if (std::find(names.begin(), names.end(), text) != names.end()) {
      r.error(r.index("/journey/stages", i) + "/name", "'" + text + "' names an earlier stage too; stage names are unique");
    }
    names.push_back(text);
  }
  return names;
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
    const std::vector<std::string> names = stage_names(r, *list);
    const StepContext context{r, s, names};
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string at = r.index("/journey/stages", i);
      if (const auto* so = r.object((*list)[i], at)) s.journey.stages.push_back(parse_stage(context, *so, at, i == 0));
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
