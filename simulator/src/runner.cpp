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
  write_text_report(results, mask, out, options.style);
  if (!options.json.empty() && !write_json_report(results, mask, options.json, err)) return 2;
  if (!options.junit.empty() && !write_junit_report(results, mask, options.junit, err)) return 2;
  if (any_invalid) return 2;
  return std::all_of(results.begin(), results.end(), [](const ScenarioResult& r) { return r.passed(); }) ? 0 : 1;
}

namespace {

// The unset variables of `s`'s activations, each a warning (or with
// `require_env` an error) on `err`; `s` gets placeholders in their place.
// How many errors.
std::size_t report_unset_variables(Scenario& s, bool require_env, std::ostream& err) {
  const auto unset = stand_in_for_unset_variables(s);
  for (const auto& u : unset) {
    err << s.file << ": /activations/" << u.activation << ": " << u.field << ": "
        << (require_env ? "" : "warning: ") << "names environment variable '" << u.variable << "', which is not set";
    if (require_env) err << " (--require-env)\n";
    else err << "; checked with a placeholder in its place (run needs it; --require-env makes this an error)\n";
  }
  return require_env ? unset.size() : 0;
}

// The plugin's verdict on each activation, as run would have it: errors the
// scenario does not expect (how many), and a warning for an expected one
// that does not occur (run fails that expectation).
std::size_t report_plugin_validation(const Scenario& s, const output_step_entry_t& plugin, std::ostream& err) {
  ScenarioResult r;
  check_validation(s, validate_activations(s, plugin, "http://127.0.0.1:1"), r);  // a stand-in endpoint address
  for (const auto& e : r.errors) err << e << "\n";
  for (const auto& x : r.expectations) {
    if (!x.passed) err << s.file << ": /expect/validation_errors: warning: " << x.expected << " of " << x.name
                       << " does not occur; run will fail this expectation\n";
  }
  return r.errors.size();
}

}  // namespace

int validate_command(const ValidateOptions& options, std::ostream& out, std::ostream& err) {
  output_runner::LoadedPlugin plugin;
  std::string error;
  if (!options.plugin.empty() && !plugin.load(options.plugin, error)) {
    err << "journey-sim validate: " << error << "\n";
    return 2;
  }
  int status = 0;
  for (const auto& file : options.files) {
    std::vector<ScenarioError> errors;
    auto scenario = read_scenario(file, errors);  // what it could read: the activations are checked too
    for (const auto& e : errors) err << e.to_string() << "\n";
    std::size_t problems = errors.size();
    if (scenario) {
      problems += report_unset_variables(*scenario, options.require_env, err);
      if (!options.plugin.empty()) problems += report_plugin_validation(*scenario, plugin.entry(), err);
    }
    if (problems > 0) {
      status = 2;
      continue;
    }
    out << file << ": valid (" << scenario->event_count() << " events, " << scenario->activations.size()
        << " activations, " << scenario->journey.stages.size() << " stages"
        << (options.plugin.empty() ? "; activations not checked by a plugin: give --plugin" : "") << ")\n";
  }
  return status;
}

}  // namespace journey_sim
