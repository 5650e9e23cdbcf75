#include "module.hpp"

#include <dlfcn.h>

#include <map>
#include <mutex>
#include <stdexcept>

namespace output_step_node {
namespace {

std::string version_text(const output_step_version_t& version) {
  return std::to_string(version.major) + "." + std::to_string(version.minor) + "." +
         std::to_string(version.revision);
}

const output_step_entry_t& open_entry(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw std::runtime_error("cannot load the output-step module " + path + ": " +
                             (why != nullptr ? why : "unknown error"));
  }
  const auto* entry = static_cast<const output_step_entry_t*>(dlsym(handle, OUTPUT_STEP_ENTRY_SYMBOL));
  if (entry == nullptr) {
    throw std::runtime_error(path + " is not an output-step module: it has no symbol " +
                             OUTPUT_STEP_ENTRY_SYMBOL);
  }
  if (!output_step_version_is_compatible(entry->abi_version)) {
    const output_step_version_t ours = OUTPUT_STEP_ABI_VERSION_INIT;
    throw std::runtime_error(path + " implements output-step ABI " + version_text(entry->abi_version) +
                             "; this node speaks ABI " + version_text(ours) + " (the same major version is needed)");
  }
  return *entry;
}

}  // namespace

const output_step_entry_t& load_module(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, const output_step_entry_t*> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  auto found = loaded.find(path);
  if (found != loaded.end()) return *found->second;
  const output_step_entry_t& entry = open_entry(path);
  loaded.emplace(path, &entry);
  return entry;
}

std::vector<ConfigError> validate_config(const output_step_entry_t& entry, const std::string& config) {
  std::vector<ConfigError> errors;
  entry.validate(
      config.data(), config.size(),
      [](void* context, const char* field, const char* message) {
        static_cast<std::vector<ConfigError>*>(context)->push_back(ConfigError{field, message});
      },
      &errors);
  return errors;
}

}  // namespace output_step_node
