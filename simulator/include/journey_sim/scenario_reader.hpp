// The scenario parser's pieces: one function per section of the format,
// each in the file of its part (activations, journey, data, expectations),
// all reading through one ScenarioReader. Internal to the simulator.
#pragma once

#include "journey_sim/scenario.hpp"

#include <webhook_common/json_checker.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace journey_sim::scenario_parser {

// A JSON checker on JSON pointers whose errors go to the file's list, with
// what the scenario format adds: durations, NDJSON files beside the file.
class ScenarioReader : public webhook_common::JsonChecker {
 public:
  ScenarioReader(std::string file, std::vector<ScenarioError>& errors);

  const std::string& file() const { return file_; }

  // The duration at `key` ("90s", "1h30m"): nullopt (with an error when it
  // is there but not a duration) otherwise.
  std::optional<std::int64_t> duration(const boost::json::object& parent, const std::string& where,
                                       std::string_view key, bool required);
  // The objects of an NDJSON file (relative to the scenario's folder), each
  // with its line number; an error at `at` for the file or a bad line.
  std::vector<std::pair<int, boost::json::object>> read_ndjson(const std::string& path, const std::string& at);

 private:
  std::string file_;
};

// An activation of that name is in /activations.
bool has_activation(const Scenario& s, std::string_view name);

// Each fills its part of `s` from the top-level object, in the order
// load_scenario calls them (which is the order of the errors).
void parse_activations(ScenarioReader& r, const boost::json::object& top, Scenario& s);
void parse_journey(ScenarioReader& r, const boost::json::object& top, Scenario& s);
void parse_realtime_attributes(ScenarioReader& r, const boost::json::object& top, Scenario& s);
void parse_profiles(ScenarioReader& r, const boost::json::object& top, Scenario& s);
// `seed` seeds "generate" when it gives none of its own.
void parse_events(ScenarioReader& r, const boost::json::object& top, std::uint64_t seed, Scenario& s);
void parse_endpoint(ScenarioReader& r, const boost::json::object& top, Scenario& s);
void parse_expectations(ScenarioReader& r, const boost::json::object& top, Scenario& s);

}  // namespace journey_sim::scenario_parser
