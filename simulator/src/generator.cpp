#include "journey_sim/generator.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace journey_sim {
namespace {

// splitmix64: the same numbers for the same seed on every platform (the
// standard library's distributions are not specified that tightly).
struct Random {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
};

std::string profile_id(std::uint64_t i) {
  char text[32];
  std::snprintf(text, sizeof text, "p-%06llu", static_cast<unsigned long long>(i) + 1);
  return text;
}

}  // namespace

void generate(const GenerateSpec& spec, std::int64_t start_ms, std::vector<Profile>& profiles,
              std::vector<Event>& events) {
  Random random{spec.seed};
  static constexpr const char* kTiers[] = {"basic", "silver", "gold"};
  static constexpr const char* kSkus[] = {"A-1", "A-2", "B-1", "B-7", "C-3", "D-9"};
  profiles.reserve(profiles.size() + spec.profiles);
  for (std::uint64_t i = 0; i < spec.profiles; ++i) {
    Profile p;
    p.id = profile_id(i);
    p.attributes["email"] = "user" + std::to_string(i + 1) + "@example.com";
    p.attributes["tier"] = kTiers[random.below(3)];
    profiles.push_back(std::move(p));
  }
  double total_weight = 0;
  for (const auto& [name, weight] : spec.mix) total_weight += std::max(weight, 0.0);
  std::vector<Event> generated;
  generated.reserve(spec.events);
  auto add = [&](std::uint64_t profile, const std::string& name, std::int64_t at) {
    Event e;
    e.profile = profile_id(profile);
    e.name = name;
    e.at_ms = at;
    if (name == "purchase") {
      e.fields["sku"] = kSkus[random.below(6)];
      e.fields["amount"] = static_cast<std::int64_t>(1 + random.below(500));
    }
    generated.push_back(std::move(e));
  };
  std::uint64_t n = spec.events;
  // The first event of each profile, early in the span, while events last.
  if (!spec.first_event.empty()) {
    for (std::uint64_t i = 0; i < spec.profiles && n > 0; ++i, --n) {
      add(i, spec.first_event, start_ms + static_cast<std::int64_t>(random.unit() * static_cast<double>(spec.span_ms) / 10));
    }
  }
  for (; n > 0; --n) {
    double pick = random.unit() * total_weight;
    std::string name = spec.mix.empty() ? "event" : spec.mix.back().first;
    for (const auto& [candidate, weight] : spec.mix) {
      if (pick < weight) {
        name = candidate;
        break;
      }
      pick -= std::max(weight, 0.0);
    }
    add(random.below(spec.profiles), name, start_ms + static_cast<std::int64_t>(random.unit() * static_cast<double>(spec.span_ms)));
  }
  std::stable_sort(generated.begin(), generated.end(), [](const Event& a, const Event& b) { return a.at_ms < b.at_ms; });
  for (std::size_t i = 0; i < generated.size(); ++i) generated[i].id = "g-" + std::to_string(i + 1);
  events.insert(events.end(), std::make_move_iterator(generated.begin()), std::make_move_iterator(generated.end()));
}

}  // namespace journey_sim
