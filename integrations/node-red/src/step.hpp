// One running output step, as a JavaScript object:
//   new Step(modulePath, configText, onEvents, name, runtimeKey)
//   step.submit([Buffer|string, ...], firstToken) -> [status, accepted, reason]
//   step.stats() -> JSON text
//   step.close(timeoutMs) -> Promise<unfinished>   destroy on a thread of its own
// onEvents(completions, logs) runs on the JavaScript thread.
#pragma once

#include <napi.h>
#include <output_step/output_step.h>

#include <memory>
#include <optional>

#include "host_events.hpp"

namespace output_step_node {

class Step : public Napi::ObjectWrap<Step> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit Step(const Napi::CallbackInfo& info);
  ~Step() override;
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;

 private:
  Napi::Value submit(const Napi::CallbackInfo& info);
  Napi::Value stats(const Napi::CallbackInfo& info);
  Napi::Value close(const Napi::CallbackInfo& info);
  Napi::Value pending(const Napi::CallbackInfo& info);
  // Destroys the step now, on the calling thread, with `timeout_ms`
  // (garbage collection, or the environment ending, before close).
  void destroy_now(int64_t timeout_ms);
  void finish_close(Napi::Env env, uint64_t cut_short);

  std::shared_ptr<HostEvents> events_;
  const output_step_t* step_ = nullptr;
  bool closing_ = false;
  static void on_environment_end(Step* step);
  Napi::Env::CleanupHook<void (*)(Step*), Step> cleanup_;
  bool hooked_ = false;
  std::optional<Napi::Promise::Deferred> closed_;
};

}  // namespace output_step_node
