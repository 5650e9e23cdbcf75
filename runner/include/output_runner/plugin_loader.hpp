// Loads an output-step module exactly as any third-party runner would:
// dlopen of the path, dlsym of the one entry symbol, ABI version check.
#pragma once

#include "output_step/output_step.h"

#include <string>

namespace output_runner {

class LoadedPlugin {
 public:
  LoadedPlugin() = default;
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;
  ~LoadedPlugin();

  // False (and `error`) when the file cannot be loaded, has no entry symbol,
  // or speaks another major ABI version.
  bool load(const std::string& path, std::string& error);
  const output_step_entry_t& entry() const { return *entry_; }

 private:
  void* handle_ = nullptr;
  const output_step_entry_t* entry_ = nullptr;
};

}  // namespace output_runner
