// The addon's exports: describe(path), validate(path, configText), Step.
#include <napi.h>

#include <stdexcept>

#include "module.hpp"
#include "step.hpp"

namespace output_step_node {
namespace {

const output_step_entry_t& entry_of(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "the module path must be a string");
  try {
    return load_module(info[0].As<Napi::String>().Utf8Value());
  } catch (const std::runtime_error& failure) {
    throw Napi::Error::New(info.Env(), failure.what());
  }
}

// describe(path) -> {id, name, version, abi}
Napi::Value describe(const Napi::CallbackInfo& info) {
  const output_step_entry_t& entry = entry_of(info);
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("id", entry.id);
  result.Set("name", entry.name);
  result.Set("version", entry.version);
  result.Set("abi", std::to_string(entry.abi_version.major) + "." + std::to_string(entry.abi_version.minor) +
                        "." + std::to_string(entry.abi_version.revision));
  return result;
}

// validate(path, configText) -> [{field, message}, ...]; [] when valid.
Napi::Value validate(const Napi::CallbackInfo& info) {
  const output_step_entry_t& entry = entry_of(info);
  if (!info[1].IsString()) throw Napi::TypeError::New(info.Env(), "the configuration must be a string");
  const std::vector<ConfigError> errors = validate_config(entry, info[1].As<Napi::String>().Utf8Value());
  Napi::Array list = Napi::Array::New(info.Env(), errors.size());
  for (size_t i = 0; i < errors.size(); ++i) {
    Napi::Object item = Napi::Object::New(info.Env());
    item.Set("field", errors[i].field);
    item.Set("message", errors[i].message);
    list.Set(static_cast<uint32_t>(i), item);
  }
  return list;
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("describe", Napi::Function::New<describe>(env, "describe"));
  exports.Set("validate", Napi::Function::New<validate>(env, "validate"));
  exports.Set("Step", Step::define(env));
  const output_step_version_t abi = OUTPUT_STEP_ABI_VERSION_INIT;
  exports.Set("abi", std::to_string(abi.major) + "." + std::to_string(abi.minor) + "." +
                         std::to_string(abi.revision));
  return exports;
}

}  // namespace
}  // namespace output_step_node

static Napi::Object init_output_step(Napi::Env env, Napi::Object exports) {
  return output_step_node::init(env, exports);
}

NODE_API_MODULE(output_step, init_output_step)
