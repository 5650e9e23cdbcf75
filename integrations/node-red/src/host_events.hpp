// The host side of one step: the output_step_host_t the module calls from
// its own threads, and the hand-over of what it reports (completions, log
// lines) to the JavaScript thread: buffered under a mutex, one wake of a
// non-blocking thread-safe function per batch, delivered as two arrays.
#pragma once

#include <napi.h>
#include <output_step/output_step.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace output_step_node {

struct CompletionEvent {
  uint64_t token = 0;
  int32_t outcome = 0;
  int32_t http_status = 0;
  uint32_t attempts = 0;
  bool has_error = false;
  std::string error;
  bool has_delivery_id = false;
  std::string delivery_id;
};

struct LogEvent {
  int32_t level = 0;
  std::string message;
};

class HostEvents {
 public:
  // [JS thread] `on_events(completions, logs)` is called on the JavaScript
  // thread; `runtime_key` names the shared runtime (output-step.runtime/1).
  static std::shared_ptr<HostEvents> make(Napi::Env env, Napi::Function on_events,
                                          std::string name, std::string runtime_key);
  HostEvents(const HostEvents&) = delete;
  HostEvents& operator=(const HostEvents&) = delete;

  const output_step_host_t* host() const { return &host_; }
  // [JS thread] Calls on_events now with everything buffered (nothing when
  // the buffers are empty).
  void deliver(Napi::Env env);
  // [JS thread] `count` more records were accepted. The event loop stays
  // alive for this step's events while records are unfinished, not when it
  // is idle.
  void accepted(Napi::Env env, size_t count);
  // [JS thread] The event loop stays alive until release (a close is under way).
  void hold(Napi::Env env);
  // [JS thread] Accepted records whose completion JavaScript has not had.
  uint64_t unfinished() const { return unfinished_; }
  // [JS thread] After destroy returned: no more events come; the callback
  // is let go (it holds the JavaScript objects that hold the step).
  void release();
  // [any thread, before release] Runs `work` on the JavaScript thread, after
  // the events posted before it.
  void post(std::function<void(Napi::Env)> work);
  // [JS thread] The module's last log line on the JavaScript thread since
  // the last call (why a submit was refused), then forgotten.
  std::string take_sync_log();

 private:
  HostEvents(std::string name, std::string runtime_key);
  static HostEvents& of(const output_step_host_t* host);
  static void on_log(const output_step_host_t* host, output_step_log_level_t level,
                     const char* message);
  static void on_completion(const output_step_host_t* host,
                            const output_step_completion_t* completion);
  static const void* get_extension(const output_step_host_t* host, const char* id);
  void wake_locked();
  void deliver_to(Napi::Env env, Napi::Function callback);
  void keep_alive(Napi::Env env, bool alive);

  std::string name_;
  std::string runtime_key_;
  output_step_host_t host_{};
  output_step_runtime_t runtime_{};
  std::thread::id js_thread_;
  Napi::FunctionReference callback_;
  Napi::ThreadSafeFunction wake_;
  bool alive_ = false;
  bool held_ = false;
  uint64_t unfinished_ = 0;

  std::mutex mutex_;
  std::vector<CompletionEvent> completions_;
  std::vector<LogEvent> logs_;
  uint64_t dropped_logs_ = 0;
  bool wake_pending_ = false;
  bool wake_closed_ = false;  // released, or finalised with the environment
  std::string sync_log_;
};

}  // namespace output_step_node
