#include "journey_sim/journey_engine.hpp"

#include "journey_sim/generator.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace journey_sim {
namespace {

namespace json = boost::json;

const json::value* lookup(const Condition& c, const Event& e, const json::object& profile, json::value& scratch) {
  std::string_view field = c.field;
  if (field.starts_with("event.")) {
    std::string_view name = field.substr(6);
    if (name == "name") {
      scratch = json::string(e.name);
      return &scratch;
    }
    auto it = e.fields.find(name);
    return it == e.fields.end() ? nullptr : &it->value();
  }
  std::string_view name = field.substr(8);  // "profile."
  auto it = profile.find(name);
  return it == profile.end() ? nullptr : &it->value();
}

bool equal(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return a.to_number<double>() == b.to_number<double>();
  return a == b;
}

// -1, 0, 1; or 2 when the two cannot be ordered.
int compare(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    double x = a.to_number<double>(), y = b.to_number<double>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) {
    int c = a.get_string().compare(b.get_string());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  return 2;
}

}  // namespace

JourneyEngine::JourneyEngine(const Scenario& scenario) : scenario_(scenario) {
  for (const auto& p : scenario.profiles) {
    ProfileState& state = profiles_[p.id];
    state.id = p.id;
    state.attributes = p.attributes;
    state.attributes["id"] = p.id;
  }
}

// A profile first seen in an event: empty, or a generated one's attributes.
JourneyEngine::ProfileState& JourneyEngine::profile(const std::string& id) {
  auto [it, inserted] = profiles_.try_emplace(id);
  if (inserted) {
    it->second.id = id;
    if (scenario_.generated) {
      if (auto index = generated_profile_index(id, *scenario_.generated)) {
        it->second.attributes = generated_profile(*scenario_.generated, *index);
      }
    }
    it->second.attributes["id"] = id;
  }
  return it->second;
}

bool JourneyEngine::holds(const Condition& c, const Event& e, const json::object& profile) {
  json::value scratch;
  const json::value* v = lookup(c, e, profile, scratch);
  using Op = Condition::Op;
  switch (c.op) {
    case Op::exists: return v != nullptr && !v->is_null();
    case Op::not_exists: return v == nullptr || v->is_null();
    default: break;
  }
  if (v == nullptr) return c.op == Op::ne;
  switch (c.op) {
    case Op::eq: return equal(*v, c.value);
    case Op::ne: return !equal(*v, c.value);
    case Op::lt: return compare(*v, c.value) == -1;
    case Op::gt: return compare(*v, c.value) == 1;
    case Op::lte: { int r = compare(*v, c.value); return r == -1 || r == 0; }
    case Op::gte: { int r = compare(*v, c.value); return r == 1 || r == 0; }
    case Op::in:
      if (const auto* list = c.value.if_array()) {
        for (const auto& x : *list) {
          if (equal(*v, x)) return true;
        }
      }
      return false;
    case Op::contains:
      if (v->is_string() && c.value.is_string()) {
        return v->get_string().subview().find(c.value.get_string().subview()) != std::string_view::npos;
      }
      if (const auto* list = v->if_array()) {
        for (const auto& x : *list) {
          if (equal(x, c.value)) return true;
        }
      }
      return false;
    default: return false;
  }
}

namespace {

// Drops the times at or before `oldest_kept_after` from the front of a
// window kept in time order.
void drop_until(std::vector<std::int64_t>& window, std::int64_t oldest_kept_after) {
  auto first_kept = std::find_if(window.begin(), window.end(), [&](std::int64_t t) { return t > oldest_kept_after; });
  window.erase(window.begin(), first_kept);
}

}  // namespace

void JourneyEngine::update_realtime(ProfileState& p, const Event& e) {
  const auto& realtime = scenario_.realtime;
  for (std::size_t i = 0; i < realtime.size(); ++i) {
    const auto& a = realtime[i];
    if (a.kind == RealtimeAttribute::Kind::last) {
      if (a.event != e.name) continue;
      if (auto it = e.fields.find(a.field); it != e.fields.end()) p.attributes[a.name] = it->value();
      continue;
    }
    // A counter over a sliding window, as of this event's time.
    if (p.windows.size() < realtime.size()) p.windows.resize(realtime.size());
    auto& window = p.windows[i];
    if (a.event == e.name) window.push_back(e.at_ms);
    drop_until(window, e.at_ms - a.window_ms);
    p.attributes[a.name] = static_cast<std::int64_t>(window.size());
  }
}

bool JourneyEngine::matches(const Criteria& c, const Event& e, ProfileState& p) {
  if (!c.event.empty() && c.event != e.name) return false;
  for (const auto& condition : c.conditions) {
    if (!holds(condition, e, p.attributes)) return false;
  }
  return true;
}

void JourneyEngine::on_event(const Event& e, const Emit& emit) {
  ++stats_.events;
  ProfileState& p = profile(e.profile);
  update_realtime(p, e);
  const Journey& journey = scenario_.journey;
  if (p.in_journey) {
    const Stage& stage = journey.stages[p.stage];
    if ((journey.exit && matches(*journey.exit, e, p)) || (stage.exit && matches(*stage.exit, e, p))) {
      ++stats_.exited;
      leave(p);
      return;
    }
    if (p.awaiting != nullptr && matches(p.awaiting->criteria, e, p)) {
      const Step& awaited = *p.awaiting;
      p.awaiting = nullptr;
      ++p.wait_token;  // cancels its timeout
      take_branch(p, awaited.then_steps);
      run_steps(p, e.at_ms, emit);
      return;
    }
    if (p.waiting_for_entry && matches(stage.entry, e, p)) enter_stage(p, p.stage, e, e.at_ms, emit);
    return;
  }
  if (journey.stages.empty()) return;
  bool may_enter = !p.ever_entered || journey.reentry == Journey::Reentry::after_exit;
  if (may_enter && matches(journey.stages[0].entry, e, p)) {
    ++stats_.entered;
    p.in_journey = true;
    p.ever_entered = true;
    p.gotos = 0;  // the bound is per entry into the journey
    enter_stage(p, 0, e, e.at_ms, emit);
  }
}

void JourneyEngine::enter_stage(ProfileState& p, std::size_t stage, const Event& e, std::int64_t now, const Emit& emit) {
  p.stage = stage;
  p.frames.assign(1, Frame{&scenario_.journey.stages[stage].steps, 0});
  p.waiting_for_entry = false;
  p.trigger = e;
  run_steps(p, now, emit);
}

// Runs the profile's steps until one pauses it (a wait, a wait_for, the
// next stage's entry) or it leaves the journey.
void JourneyEngine::run_steps(ProfileState& p, std::int64_t now, const Emit& emit) {
  for (;;) {
    while (!p.frames.empty()) {
      Frame& frame = p.frames.back();
      if (frame.next == frame.steps->size()) {
        p.frames.pop_back();
        continue;
      }
      const Step& step = (*frame.steps)[frame.next++];
      if (run_step(p, step, now, emit) != Next::go_on) return;
    }
    if (!next_stage(p)) return;
  }
}

JourneyEngine::Next JourneyEngine::run_step(ProfileState& p, const Step& step, std::int64_t now, const Emit& emit) {
  switch (step.kind) {
    case Step::Kind::activate: activate(p, step, now, emit); return Next::go_on;
    case Step::Kind::wait:
    case Step::Kind::wait_for:
      p.awaiting = step.kind == Step::Kind::wait_for ? &step : nullptr;
      waits_.push({now + step.wait_ms, ++wait_sequence_, &p, ++p.wait_token});
      return Next::paused;
    case Step::Kind::branch: {
      const bool holds = std::all_of(step.criteria.conditions.begin(), step.criteria.conditions.end(),
                                     [&](const Condition& c) { return JourneyEngine::holds(c, p.trigger, p.attributes); });
      take_branch(p, holds ? step.then_steps : step.else_steps);
      return Next::go_on;
    }
    case Step::Kind::go_to: return go_to(p, step);
    case Step::Kind::exit:
      ++stats_.exited;
      leave(p);
      return Next::left;
  }
  return Next::go_on;
}

void JourneyEngine::activate(ProfileState& p, const Step& step, std::int64_t now, const Emit& emit) {
  const Journey& journey = scenario_.journey;
  if (journey.cap_count > 0) {
    drop_until(p.activation_times, now - journey.cap_window_ms);
    if (p.activation_times.size() >= journey.cap_count) {
      ++stats_.capped;
      return;
    }
    p.activation_times.push_back(now);
  }
  ++stats_.activations;
  const std::string& stage = journey.stages[p.stage].name;
  Trigger t;
  t.activation = step.activation;
  t.profile = p.id;
  t.stage = stage;
  t.at_ms = now;
  t.record = record_for(p, p.trigger, stage);
  emit(std::move(t));
}

// The stage named runs from its first step at once (its entry criteria are
// not awaited); the stage's event stays the one that entered the journey's
// current stage.
JourneyEngine::Next JourneyEngine::go_to(ProfileState& p, const Step& step) {
  if (++p.gotos > kMaxGotos) {
    if (!p.goto_limited) {  // each profile counted and named once, however often it re-enters
      p.goto_limited = true;
      ++stats_.goto_limited;
      if (stats_.goto_limited_profiles.size() < 10) stats_.goto_limited_profiles.push_back(p.id);
    }
    ++stats_.exited;
    leave(p);
    return Next::left;
  }
  p.stage = step.stage_index;
  p.frames.assign(1, Frame{&scenario_.journey.stages[p.stage].steps, 0});
  return Next::go_on;
}

// After a stage's last step: the next stage at once when it has no entry
// criteria (true), or a wait for its entry event, or the journey's end.
bool JourneyEngine::next_stage(ProfileState& p) {
  const Journey& journey = scenario_.journey;
  if (p.stage + 1 >= journey.stages.size()) {
    ++stats_.completed;
    leave(p);
    return false;
  }
  ++p.stage;
  p.frames.assign(1, Frame{&journey.stages[p.stage].steps, 0});
  if (!journey.stages[p.stage].entry.empty()) {
    p.waiting_for_entry = true;
    return false;
  }
  return true;
}

void JourneyEngine::take_branch(ProfileState& p, const std::vector<Step>& steps) {
  if (!steps.empty()) p.frames.push_back(Frame{&steps, 0});
}

void JourneyEngine::leave(ProfileState& p) {
  p.in_journey = false;
  p.waiting_for_entry = false;
  p.awaiting = nullptr;
  p.frames.clear();
  ++p.wait_token;  // cancels a pending wait
}

void JourneyEngine::run_due(std::int64_t now_ms, const Emit& emit) {
  while (!waits_.empty() && waits_.top().due_ms <= now_ms) {
    Wait w = waits_.top();
    waits_.pop();
    ProfileState& p = *w.profile;
    if (!live(w)) continue;  // cancelled by an exit or the awaited event
    if (p.awaiting != nullptr) {  // a wait_for's timeout
      const Step& timed_out = *p.awaiting;
      p.awaiting = nullptr;
      take_branch(p, timed_out.else_steps);
    }
    run_steps(p, w.due_ms, emit);
  }
}

std::int64_t JourneyEngine::next_wait_ms() {
  // A cancelled wait (an exit, a wait_for's event) is dropped once it is the
  // earliest: it must not move the simulated clock.
  while (!waits_.empty() && !live(waits_.top())) waits_.pop();
  return waits_.empty() ? -1 : waits_.top().due_ms;
}

std::string JourneyEngine::record_for(const ProfileState& p, const Event& e, const std::string& stage) const {
  json::object event;
  event["name"] = e.name;
  event["time"] = format_timestamp(e.at_ms);
  for (const auto& f : e.fields) event[f.key()] = f.value();
  json::object record;
  record["event_id"] = e.id;
  record["profile"] = p.attributes;
  record["event"] = std::move(event);
  record["journey"] = json::object{{"name", scenario_.journey.name}, {"stage", stage}};
  return json::serialize(record);
}

}  // namespace journey_sim
