#include "journey_sim/runner.hpp"

#include "journey_sim/activation_checks.hpp"
#include "output_runner/plugin_loader.hpp"
#include "journey_sim/report.hpp"

#include <algorithm>
#include <ostream>

namespace journey_sim {

bool ScenarioResult::passed() const {
  if (invalid) return false;
  return std::all_of(expectations.begin(), expectations.end(), [](const ExpectationResult& e) { return e.passed; });
}

int run_command(const RunOptions& options, std::ostream& out, std::ostream& err) {
  output_runner::LoadedPlugin plugin;
  std::string error;
  if (!plugin.load(options.plugin, error)) {
    err << "journey-sim run: " << error << "\n";
    return 2;
  }
  if (options.endpoint != "embedded" && !options.endpoint.starts_with("http://")) {
    err << "journey-sim run: --endpoint is 'embedded' or the http:// base URL of a webhook-mock or WireMock, not '"
        << options.endpoint << "'\n";
    return 2;
  }
  std::vector<ScenarioResult> results;
  std::vector<std::string> secrets;
  bool any_invalid = false;
  for (const auto& file : options.scenarios) {
    std::vector<ScenarioError> errors;
    auto scenario = load_scenario(file, errors, options.seed);
    if (!scenario) {
      ScenarioResult r;
      r.file = file;
      r.name = file;
      r.invalid = true;
      for (const auto& e : errors) r.errors.push_back(e.to_string());
      results.push_back(std::move(r));
      any_invalid = true;
      continue;
    }
    secrets.insert(secrets.end(), scenario->secrets.begin(), scenario->secrets.end());
    results.push_back(run_scenario(*scenario, plugin.entry(), options, out));
    if (results.back().invalid) any_invalid = true;
  }
  Masker mask(options.show_secrets ? std::vector<std::string>{} : secrets);
  write_text_report(results, mask, out);
  if (!options.json.empty() && !write_json_report(results, mask, options.json, err)) return 2;
  if (!options.junit.empty() && !write_junit_report(results, mask, options.junit, err)) return 2;
  if (any_invalid) return 2;
  return std::all_of(results.begin(), results.end(), [](const ScenarioResult& r) { return r.passed(); }) ? 0 : 1;
}

int validate_command(const std::vector<std::string>& files, const std::string& plugin_path, std::ostream& out,
                     std::ostream& err) {
  output_runner::LoadedPlugin plugin;
  std::string error;
  if (!plugin_path.empty() && !plugin.load(plugin_path, error)) {
    err << "journey-sim validate: " << error << "\n";
    return 2;
  }
  int status = 0;
  for (const auto& file : files) {
    std::vector<ScenarioError> errors;
    auto scenario = load_scenario(file, errors);
    if (!scenario) {
      for (const auto& e : errors) err << e.to_string() << "\n";
      status = 2;
      continue;
    }
    std::size_t problems = 0;
    if (!plugin_path.empty()) {
      // Activations are checked against a stand-in endpoint address.
      auto seen = validate_activations(*scenario, plugin.entry(), "http://127.0.0.1:1");
      ScenarioResult r;
      check_validation(*scenario, seen, r);
      for (const auto& x : r.expectations) {
        if (x.passed) continue;
        ++problems;
        err << file << ": /activations/" << x.name << ": " << x.actual << " (expected " << x.expected << ")\n";
      }
    }
    if (problems > 0) status = 2;
    else out << file << ": valid (" << scenario->events.size() << " events, " << scenario->activations.size()
             << " activations, " << scenario->journey.stages.size() << " stages)\n";
  }
  return status;
}

}  // namespace journey_sim
