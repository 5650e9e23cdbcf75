#include "journey_sim/generator.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace journey_sim {
namespace {

// splitmix64: the same numbers for the same seed on every platform (the
// standard library's distributions are not specified that tightly).
std::uint64_t next(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
// In (0, 1]: the logarithm of it is finite.
double unit_open(std::uint64_t& state) { return static_cast<double>((next(state) >> 11) + 1) * 0x1.0p-53; }
std::uint64_t below(std::uint64_t& state, std::uint64_t n) { return n == 0 ? 0 : next(state) % n; }

constexpr const char* kTiers[] = {"basic", "silver", "gold"};
constexpr const char* kSkus[] = {"A-1", "A-2", "B-1", "B-7", "C-3", "D-9"};

}  // namespace

EventGenerator::SortedTimes::SortedTimes(std::uint64_t count, std::int64_t start_ms, std::int64_t span_ms,
                                         std::uint64_t seed)
    : left_(count), start_ms_(start_ms), span_ms_(span_ms), state_(seed) {
  pop();
}

// The largest of k uniforms is U^(1/k); the largest of the k-1 below it, that
// times V^(1/(k-1)); and so on down. 1 minus each, in that order, ascends.
void EventGenerator::SortedTimes::pop() {
  has_next_ = left_ > 0;
  if (!has_next_) return;
  log_max_ += std::log(unit_open(state_)) / static_cast<double>(left_);
  --left_;
  const double ascending = -std::expm1(log_max_);  // 1 - max, without losing the small ones
  next_ms_ = start_ms_ + std::min(span_ms_ - 1, static_cast<std::int64_t>(ascending * static_cast<double>(span_ms_)));
  if (span_ms_ <= 0) next_ms_ = start_ms_;
}

EventGenerator::EventGenerator(const GenerateSpec& spec, std::int64_t start_ms)
    : spec_(spec),
      firsts_(spec.first_event.empty() ? 0 : std::min(spec.profiles, spec.events), start_ms, spec.span_ms / 10,
              spec.seed ^ 0x5eed'f125'7000'0001ULL),
      others_(spec.events - (spec.first_event.empty() ? 0 : std::min(spec.profiles, spec.events)), start_ms,
              spec.span_ms, spec.seed ^ 0x5eed'07e2'0000'0002ULL),
      state_(spec.seed) {
  for (const auto& [name, weight] : spec.mix) total_weight_ += std::max(weight, 0.0);
}

std::string EventGenerator::pick_name() {
  if (spec_.mix.empty()) return "event";
  double pick = unit_open(state_) * total_weight_;
  for (const auto& [candidate, weight] : spec_.mix) {
    if (pick <= weight) return candidate;
    pick -= std::max(weight, 0.0);
  }
  return spec_.mix.back().first;
}

bool EventGenerator::next(Event& e) {
  const bool first = !firsts_.empty() && (others_.empty() || firsts_.peek() <= others_.peek());
  if (!first && others_.empty()) return false;
  e = Event{};
  if (first) {
    e.at_ms = firsts_.peek();
    firsts_.pop();
    e.profile = generated_profile_id(first_profile_++);
    e.name = spec_.first_event;
  } else {
    e.at_ms = others_.peek();
    others_.pop();
    e.profile = generated_profile_id(below(state_, spec_.profiles));
    e.name = pick_name();
  }
  if (e.name == "purchase") {
    e.fields["sku"] = kSkus[below(state_, 6)];
    e.fields["amount"] = static_cast<std::int64_t>(1 + below(state_, 500));
  }
  e.id = "g-" + std::to_string(++made_);
  return true;
}

ScenarioEvents::ScenarioEvents(const Scenario& s) : s_(s) {
  if (!s.generated) return;
  generator_.emplace(*s.generated, s.start_ms);
  has_next_ = generator_->next(next_);
}

const Event* ScenarioEvents::peek() const {
  if (generator_) return has_next_ ? &next_ : nullptr;
  return played_ < s_.events.size() ? &s_.events[played_] : nullptr;
}

void ScenarioEvents::pop() {
  if (peek() == nullptr) return;
  ++played_;
  if (generator_) has_next_ = generator_->next(next_);
}

std::string generated_profile_id(std::uint64_t index) {
  char text[32];
  std::snprintf(text, sizeof text, "p-%06llu", static_cast<unsigned long long>(index) + 1);
  return text;
}

boost::json::object generated_profile(const GenerateSpec& spec, std::uint64_t index) {
  std::uint64_t state = spec.seed ^ (index * 0x9e3779b97f4a7c15ULL);
  boost::json::object attributes;
  attributes["email"] = "user" + std::to_string(index + 1) + "@example.com";
  attributes["tier"] = kTiers[below(state, 3)];
  return attributes;
}

std::optional<std::uint64_t> generated_profile_index(std::string_view id, const GenerateSpec& spec) {
  if (!id.starts_with("p-") || id.size() < 8) return std::nullopt;
  std::uint64_t number = 0;
  const auto [end, ec] = std::from_chars(id.data() + 2, id.data() + id.size(), number);
  if (ec != std::errc() || end != id.data() + id.size() || number == 0 || number > spec.profiles) return std::nullopt;
  if (generated_profile_id(number - 1) != id) return std::nullopt;  // its own spelling only: not "p-0000001"
  return number - 1;
}

void generate(const GenerateSpec& spec, std::int64_t start_ms, std::vector<Profile>& profiles,
              std::vector<Event>& events) {
  profiles.reserve(profiles.size() + spec.profiles);
  for (std::uint64_t i = 0; i < spec.profiles; ++i) {
    profiles.push_back({generated_profile_id(i), generated_profile(spec, i)});
  }
  EventGenerator generator(spec, start_ms);
  events.reserve(events.size() + spec.events);
  for (Event e; generator.next(e);) events.push_back(std::move(e));
}

}  // namespace journey_sim
