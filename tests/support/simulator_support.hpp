// Scenario text in, a Scenario (or its errors) out, and a journey played
// to its end: what the simulator's unit suites share.
#pragma once

#include "journey_sim/generator.hpp"
#include "journey_sim/journey_engine.hpp"
#include "journey_sim/scenario.hpp"
#include "support/scratch_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace simulator_support {

using namespace journey_sim;

inline std::string write_temp(const std::string& name, const std::string& text) {
  auto path = test_support::scratch_dir("webhook-unit") / ("sim-" + name);
  std::ofstream(path) << text;
  return path.string();
}

// The text with "expect": {} added when it has no expectations: a scenario
// needs the key, and most cases check the journey, not the requests.
inline std::string with_expect(std::string text) {
  if (text.find("\"expect\"") == std::string::npos && text.starts_with("{")) text.insert(1, "\"expect\": {}, ");
  return text;
}

inline Scenario load(const std::string& text) {
  std::vector<ScenarioError> errors;
  auto s = load_scenario(write_temp("s.json", with_expect(text)), errors);
  std::string all;
  for (const auto& e : errors) all += e.to_string() + "\n";
  BOOST_REQUIRE_MESSAGE(s, all);
  return std::move(*s);
}

inline std::vector<ScenarioError> errors_of(const std::string& text) {
  std::vector<ScenarioError> errors;
  BOOST_CHECK(!load_scenario(write_temp("e.json", with_expect(text)), errors));
  return errors;
}

inline bool has(const std::vector<ScenarioError>& errors, std::string_view pointer) {
  for (const auto& e : errors) {
    if (e.pointer == pointer) return true;
  }
  return false;
}

// The message of the error at `pointer`, or "" when there is none.
inline std::string message_at(const std::vector<ScenarioError>& errors, std::string_view pointer) {
  for (const auto& e : errors) {
    if (e.pointer == pointer) return e.message;
  }
  return {};
}

struct Collected {
  std::vector<Trigger> triggers;
  JourneyEngine::Emit emit() {
    return [this](Trigger t) { triggers.push_back(std::move(t)); };
  }
};

// Plays every event (listed or generated), and the waits between them, to the end.
inline void play(JourneyEngine& engine, const Scenario& s, Collected& out) {
  for (ScenarioEvents events(s); const Event* e = events.peek(); events.pop()) {
    engine.run_due(e->at_ms, out.emit());
    engine.on_event(*e, out.emit());
  }
  while (engine.next_wait_ms() >= 0) engine.run_due(engine.next_wait_ms(), out.emit());
}

inline constexpr const char* kBase = R"({
  "authentications": {"a": {"url_prefix": "http://h/", "api_key": "secret-key-1"}},
  "activations": {"x": {"authentication": "a", "url": "http://h/x"}, "y": {"authentication": "a", "url": "http://h/y"}},
)";

}  // namespace simulator_support
