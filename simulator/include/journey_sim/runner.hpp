// `journey-sim run` and `journey-sim validate`: play scenarios through the
// journey engine, deliver through the plugin (loaded by dlopen, on the
// simulated clock) to the embedded mock endpoint, and check expectations.
#pragma once

#include "journey_sim/journey_engine.hpp"
#include "output_step/output_step.h"
#include "journey_sim/scenario.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace journey_sim {

// How the console report looks.
struct TextStyle {
  bool colour = false;
  std::size_t width = 0;  // lines wrapped to this many columns; 0: not wrapped
};

struct RunOptions {
  std::vector<std::string> scenarios;
  std::string plugin;
  std::string endpoint = "embedded";
  std::size_t journal_limit = 100'000;  // the embedded endpoint's journal keeps the last this many
  double speed = 0;  // 0: as fast as possible; N: N simulated seconds per real second
  std::uint64_t seed = 1;
  std::string junit;
  std::string json;
  bool show_secrets = false;
  bool progress = false;  // a progress line (only when stdout is a terminal)
  TextStyle style;        // the console report's colours and width
};

struct ExpectationResult {
  std::string kind;  // requests, outcomes, order, validation
  std::string name;
  bool passed = false;
  std::string expected;
  std::string actual;
  std::string detail;  // for a failure: the nearest near-miss, the errors seen
};

struct ScenarioResult {
  std::string file;
  std::string name;
  std::string purpose;
  bool invalid = false;
  std::vector<std::string> errors;  // why it is invalid
  std::vector<ExpectationResult> expectations;
  JourneyStats journey;
  std::uint64_t submitted = 0, delivered = 0, dead_lettered = 0, failed = 0, requests_received = 0;
  std::uint64_t requests_evicted = 0;  // the oldest, beyond the endpoint journal's limit
  double wall_seconds = 0;
  std::int64_t simulated_ms = 0;
  std::vector<std::string> retried;  // the first records that needed more than one attempt, each a line
  std::size_t retried_count = 0;     // how many did
  bool passed() const;
};

ScenarioResult run_scenario(const Scenario& scenario, const output_step_entry_t& plugin, const RunOptions& options,
                            std::ostream& progress);

int run_command(const RunOptions& options, std::ostream& out, std::ostream& err);
struct ValidateOptions {
  std::vector<std::string> files;
  std::string plugin;        // "": the activations are not checked by a plugin
  bool require_env = false;  // an unset api_key_env or signing_secret_env is an error, not a warning
};

// Checks scenario files as run does, every problem at once: the format, the
// endpoint's stubs and the expectations' patterns (webhook-mock's parser),
// and with a plugin each activation through the ABI. Exit status 2 exactly
// for the files run refuses as invalid (an unset variable only with
// require_env), else 0.
int validate_command(const ValidateOptions& options, std::ostream& out, std::ostream& err);

}  // namespace journey_sim
