#include "output_runner/plugin_loader.hpp"

#include <dlfcn.h>

namespace output_runner {

LoadedPlugin::~LoadedPlugin() {
  if (handle_ != nullptr) dlclose(handle_);
}

bool LoadedPlugin::load(const std::string& path, std::string& error) {
  // A bare name would be searched on the library path; a runner loads the
  // file it was given.
  std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  // RTLD_NODELETE: the module stays mapped after dlclose. A module may keep
  // process-wide state on purpose (the webhook step's runtime registry is
  // never destroyed, as engines may outlive static destruction); unmapping it
  // would strand that memory (LeakSanitizer reported it) and any late call.
  handle_ = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle_ == nullptr) {
    const char* reason = dlerror();
    error = "cannot load plugin '" + path + "': " + (reason ? reason : "unknown error");
    return false;
  }
  entry_ = static_cast<const output_step_entry_t*>(dlsym(handle_, OUTPUT_STEP_ENTRY_SYMBOL));
  if (entry_ == nullptr) {
    error = "'" + path + "' is not an output-step module: it has no symbol " OUTPUT_STEP_ENTRY_SYMBOL;
    return false;
  }
  if (!output_step_version_is_compatible(entry_->abi_version)) {
    error = "plugin '" + path + "' speaks output-step ABI " + std::to_string(entry_->abi_version.major) + "." +
            std::to_string(entry_->abi_version.minor) + "; this runner speaks " +
            std::to_string(OUTPUT_STEP_ABI_MAJOR) + ".x";
    entry_ = nullptr;
    return false;
  }
  return true;
}

}  // namespace output_runner
