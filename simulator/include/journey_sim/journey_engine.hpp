// The real-time journey on simulated time: profiles enter on an event that
// meets the first stage's entry criteria, run the stage's steps (activations,
// waits, branches on conditions or on an awaited event, gotos), move on when
// the next stage's entry event arrives, and leave on exit criteria, an exit
// step or at the end. Real-time attributes are computed from
// the events as they arrive. Pure logic: no I/O, no plugin.
#pragma once

#include "journey_sim/scenario.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

namespace journey_sim {

// An activation to deliver: the record to submit, and where it came from.
struct Trigger {
  std::string activation;
  std::string profile;
  std::string stage;
  std::int64_t at_ms = 0;
  std::string record;  // the record's JSON text
};

struct JourneyStats {
  std::uint64_t events = 0;
  std::uint64_t entered = 0;
  std::uint64_t exited = 0;
  std::uint64_t completed = 0;
  std::uint64_t activations = 0;
  std::uint64_t capped = 0;  // activations skipped by the frequency cap
  std::uint64_t goto_limited = 0;  // profiles that left after more than kMaxGotos goto steps
  std::vector<std::string> goto_limited_profiles;  // the first few of them
};

class JourneyEngine {
 public:
  using Emit = std::function<void(Trigger)>;

  explicit JourneyEngine(const Scenario& scenario);

  // Handles one event at its time (waits due before it must have run).
  void on_event(const Event& event, const Emit& emit);
  // Runs every wait due at or before `now_ms`, in time order.
  void run_due(std::int64_t now_ms, const Emit& emit);
  // The earliest pending wait, or -1 (cancelled ones dropped).
  std::int64_t next_wait_ms();
  const JourneyStats& stats() const { return stats_; }

  // Evaluates one condition (exposed for tests).
  static bool holds(const Condition& condition, const Event& event, const boost::json::object& profile);

 private:
  // A list of steps being run, and the next one.
  struct Frame {
    const std::vector<Step>* steps;
    std::size_t next;
  };
  // What running a step leaves the profile doing.
  enum class Next { go_on, paused, left };
  struct ProfileState {
    std::string id;
    boost::json::object attributes;  // imported, then real-time
    // Per count attribute of the scenario (by index): its events' times in
    // the window. Vectors, not deques: a deque allocates even when empty,
    // and a run holds a million profiles.
    std::vector<std::vector<std::int64_t>> windows;
    bool in_journey = false;
    bool ever_entered = false;
    bool waiting_for_entry = false;
    std::size_t stage = 0;
    std::vector<Frame> frames;  // where in the stage's steps, and in the branches taken
    const Step* awaiting = nullptr;  // the wait_for step waiting for its event
    std::uint32_t gotos = 0;  // since it entered the journey
    bool goto_limited = false;  // went beyond kMaxGotos once
    std::uint64_t wait_token = 0;
    Event trigger;  // the event that entered the current stage
    std::vector<std::int64_t> activation_times;  // within the frequency cap's window
  };
  struct Wait {
    std::int64_t due_ms;
    std::uint64_t sequence;
    ProfileState* profile;
    std::uint64_t token;
    bool operator>(const Wait& other) const {
      return due_ms != other.due_ms ? due_ms > other.due_ms : sequence > other.sequence;
    }
  };

  ProfileState& profile(const std::string& id);
  // Not cancelled (by an exit, a later wait, a wait_for's event).
  static bool live(const Wait& w) { return w.token == w.profile->wait_token && w.profile->in_journey; }
  void update_realtime(ProfileState& p, const Event& e);
  bool matches(const Criteria& c, const Event& e, ProfileState& p);
  void enter_stage(ProfileState& p, std::size_t stage, const Event& e, std::int64_t now, const Emit& emit);
  void run_steps(ProfileState& p, std::int64_t now, const Emit& emit);
  Next run_step(ProfileState& p, const Step& step, std::int64_t now, const Emit& emit);
  void activate(ProfileState& p, const Step& step, std::int64_t now, const Emit& emit);
  Next go_to(ProfileState& p, const Step& step);
  bool next_stage(ProfileState& p);
  void take_branch(ProfileState& p, const std::vector<Step>& steps);
  void leave(ProfileState& p);
  std::string record_for(const ProfileState& p, const Event& e, const std::string& stage) const;

  const Scenario& scenario_;
  std::unordered_map<std::string, ProfileState> profiles_;
  std::priority_queue<Wait, std::vector<Wait>, std::greater<>> waits_;
  std::uint64_t wait_sequence_ = 0;
  JourneyStats stats_;
};

}  // namespace journey_sim
