// Synthetic loads: profiles and their events, from a few numbers and a
// seed, reproducibly. Used inline by scenarios ("events": {"generate": ...})
// and by `journey-sim generate`.
#pragma once

#include "journey_sim/scenario.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace journey_sim {

// The most profiles, and the most events, one generation makes: all are
// held in memory (a million events take about half a gigabyte).
constexpr std::uint64_t kMaxGenerated = 20'000'000;

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

// Profiles "p-000001".. with email and tier; events in time order with
// ids "g-1".., purchases carrying sku and amount.
void generate(const GenerateSpec& spec, std::int64_t start_ms, std::vector<Profile>& profiles,
              std::vector<Event>& events);

}  // namespace journey_sim
