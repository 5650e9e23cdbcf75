// Each activation of a scenario checked by the plugin itself, through the
// ABI's validate, and the errors compared with expect.validation_errors.
#pragma once

#include "output_step/output_step.h"
#include "journey_sim/runner.hpp"
#include "journey_sim/scenario.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace journey_sim {

// Replaces ${endpoint} (the endpoint's base URL) and ${workdir} (a folder
// of the run's own, for dead letters and logs) in every string of `v`.
void substitute(boost::json::value& v, const std::string& endpoint, const std::string& workdir = "/tmp");

// An error the plugin reported for an activation's configuration.
struct ValidationSeen {
  std::string activation, field, message;
};

// Every error the plugin reports for the scenario's activations, with
// ${endpoint} as `endpoint`.
std::vector<ValidationSeen> validate_activations(const Scenario& s, const output_step_entry_t& plugin,
                                                 const std::string& endpoint);

// One expectation result per expected error; an error that was not
// expected goes to `result.errors` (the scenario is invalid, as in validate).
void check_validation(const Scenario& s, const std::vector<ValidationSeen>& seen, ScenarioResult& result);

// A variable an activation names (auth.api_key_env, delivery.signing_secret_env)
// that is not set here.
struct UnsetVariable {
  std::string activation, field, variable;
};

// Each unset variable, replaced in `s`'s activations by a placeholder value
// of the right form, so that the plugin can validate the rest (validate in a
// CI job without the secrets).
std::vector<UnsetVariable> stand_in_for_unset_variables(Scenario& s);

}  // namespace journey_sim
