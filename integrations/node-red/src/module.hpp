// Loading an output-step module: dlopen of its path, its one entry symbol,
// the ABI's major version checked; each path loaded once per process and
// never unloaded (a module may keep threads or a runtime registry alive).
#pragma once

#include <output_step/output_step.h>

#include <string>
#include <vector>

namespace output_step_node {

struct ConfigError {
  std::string field;
  std::string message;
};

// The module's entry table; throws std::runtime_error saying why not (the
// file, dlerror's text, or the ABI versions).
const output_step_entry_t& load_module(const std::string& path);

// Every error of `config` (empty: valid), as the module reports them.
std::vector<ConfigError> validate_config(const output_step_entry_t& entry, const std::string& config);

}  // namespace output_step_node
