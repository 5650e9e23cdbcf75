// Synthetic loads: profiles and their events, from a few numbers and a
// seed, reproducibly. Used inline by scenarios ("events": {"generate": ...})
// and by `journey-sim generate`. Events are made one at a time, already in
// time order, and a profile's attributes from its number: memory does not
// grow with the counts.
#pragma once

#include "journey_sim/scenario.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace journey_sim {

// The most profiles, and the most events, one generation makes.
constexpr std::uint64_t kMaxGenerated = 20'000'000;

// Profiles "p-000001".. with email and tier. Each profile (while there are
// events) gets one `first_event`, in profile order within the first tenth of
// the span; the other events are spread at random over the whole span (so
// among the first ones too: a profile's purchase may come before its
// signup), each of a random profile and a name drawn by the mix's weights;
// purchases carry sku and amount. Ids are "g-1".. in time order.
class EventGenerator {
 public:
  EventGenerator(const GenerateSpec& spec, std::int64_t start_ms);
  // The next event in time order; false after the last.
  bool next(Event& event);
  std::uint64_t made() const { return made_; }

 private:
  // `count` uniform times over [start, start + span), made in ascending order
  // (the order statistics, from the largest down, mirrored).
  class SortedTimes {
   public:
    SortedTimes(std::uint64_t count, std::int64_t start_ms, std::int64_t span_ms, std::uint64_t seed);
    bool empty() const { return !has_next_; }
    std::int64_t peek() const { return next_ms_; }
    void pop();

   private:
    std::uint64_t left_;  // not yet made, beyond the one peek() gives
    bool has_next_ = false;
    std::int64_t start_ms_, span_ms_;
    std::uint64_t state_;
    double log_max_ = 0;  // the log of the largest of the `left_` uniforms not yet made
    std::int64_t next_ms_ = 0;
  };

  std::string pick_name();

  const GenerateSpec& spec_;
  SortedTimes firsts_, others_;
  std::uint64_t first_profile_ = 0;
  std::uint64_t state_;  // the draws of profile, name, sku, amount
  double total_weight_ = 0;
  std::uint64_t made_ = 0;
};

// A scenario's events in time order, from its list or made by its generator.
class ScenarioEvents {
 public:
  explicit ScenarioEvents(const Scenario& s);
  const Event* peek() const;  // nullptr after the last
  void pop();
  std::uint64_t played() const { return played_; }

 private:
  const Scenario& s_;
  std::optional<EventGenerator> generator_;
  Event next_;  // the generator's next
  bool has_next_ = false;
  std::uint64_t played_ = 0;
};

// Profile number `index` (0 for "p-000001") of a generation: its id and attributes.
std::string generated_profile_id(std::uint64_t index);
boost::json::object generated_profile(const GenerateSpec& spec, std::uint64_t index);
// The number of a generated profile's id; nullopt for another id.
std::optional<std::uint64_t> generated_profile_index(std::string_view id, const GenerateSpec& spec);

// Every profile and event of a generation, in memory (tests, small loads).
void generate(const GenerateSpec& spec, std::int64_t start_ms, std::vector<Profile>& profiles,
              std::vector<Event>& events);

}  // namespace journey_sim
