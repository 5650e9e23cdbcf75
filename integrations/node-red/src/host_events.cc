#include "host_events.hpp"

#include <cstring>
#include <utility>

namespace output_step_node {
namespace {

// Log lines buffered while JavaScript is busy; beyond this they are counted
// and reported as one line, so a module logging in a loop cannot grow the
// buffer without bound.
constexpr size_t kMaxBufferedLogs = 1000;

}  // namespace

HostEvents::HostEvents(std::string name, std::string runtime_key)
    : name_(std::move(name)), runtime_key_(std::move(runtime_key)) {
  host_.abi_version = OUTPUT_STEP_ABI_VERSION_INIT;
  host_.host_data = this;
  host_.name = name_.c_str();
  host_.log = &HostEvents::on_log;
  host_.on_completion = &HostEvents::on_completion;
  host_.get_extension = &HostEvents::get_extension;
  runtime_.size = sizeof(runtime_);
  runtime_.io_threads = 1;
  runtime_.key = runtime_key_.c_str();
  js_thread_ = std::this_thread::get_id();
}

std::shared_ptr<HostEvents> HostEvents::make(Napi::Env env, Napi::Function on_events,
                                             std::string name, std::string runtime_key) {
  std::shared_ptr<HostEvents> events(new HostEvents(std::move(name), std::move(runtime_key)));
  events->callback_ = Napi::Persistent(on_events);
  // The function holds a reference to the events until it is finalised
  // (after release, or when the environment ends first): a wake queued
  // before then still finds them.
  auto* held = new std::shared_ptr<HostEvents>(events);
  events->wake_ = Napi::ThreadSafeFunction::New(
      env, on_events, "output-step events", 0, 1, held,
      [](Napi::Env, std::shared_ptr<HostEvents>* self) {
        {
          std::lock_guard<std::mutex> lock((*self)->mutex_);
          (*self)->wake_closed_ = true;
        }
        delete self;
      });
  events->wake_.Unref(env);
  return events;
}

HostEvents& HostEvents::of(const output_step_host_t* host) {
  return *static_cast<HostEvents*>(host->host_data);
}

void HostEvents::on_log(const output_step_host_t* host, output_step_log_level_t level,
                        const char* message) {
  HostEvents& self = of(host);
  std::lock_guard<std::mutex> lock(self.mutex_);
  if (std::this_thread::get_id() == self.js_thread_) self.sync_log_ = message;
  if (self.logs_.size() >= kMaxBufferedLogs) {
    ++self.dropped_logs_;
    return;
  }
  self.logs_.push_back(LogEvent{level, message});
  self.wake_locked();
}

void HostEvents::on_completion(const output_step_host_t* host,
                               const output_step_completion_t* completion) {
  HostEvents& self = of(host);
  CompletionEvent event;
  event.token = completion->token;
  event.outcome = completion->outcome;
  event.http_status = completion->http_status;
  event.attempts = completion->attempts;
  event.has_error = completion->error != nullptr;
  if (event.has_error) event.error = completion->error;
  event.has_delivery_id = completion->delivery_id != nullptr;
  if (event.has_delivery_id) event.delivery_id = completion->delivery_id;
  std::lock_guard<std::mutex> lock(self.mutex_);
  self.completions_.push_back(std::move(event));
  self.wake_locked();
}

const void* HostEvents::get_extension(const output_step_host_t* host, const char* id) {
  if (id != nullptr && std::strcmp(id, OUTPUT_STEP_EXT_RUNTIME) == 0) return &of(host).runtime_;
  return nullptr;
}

void HostEvents::wake_locked() {
  if (wake_pending_ || wake_closed_) return;
  wake_pending_ = true;
  // Never blocks: the queue is unbounded, and it holds at most one wake.
  wake_.NonBlockingCall([this](Napi::Env env, Napi::Function callback) {
    deliver_to(env, callback);
  });
}

void HostEvents::deliver(Napi::Env env) {
  if (!callback_.IsEmpty()) deliver_to(env, callback_.Value());
}

namespace {

Napi::Value optional_string(Napi::Env env, bool present, const std::string& text) {
  return present ? Napi::Value(Napi::String::New(env, text)) : env.Null();
}

Napi::Array completions_array(Napi::Env env, const std::vector<CompletionEvent>& events) {
  Napi::Array array = Napi::Array::New(env, events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const CompletionEvent& event = events[i];
    Napi::Object item = Napi::Object::New(env);
    // A record recovered from a durable store has no token of this host.
    item.Set("token", event.token == OUTPUT_STEP_TOKEN_RECOVERED
                          ? Napi::Number::New(env, -1)
                          : Napi::Number::New(env, static_cast<double>(event.token)));
    item.Set("outcome", Napi::Number::New(env, event.outcome));
    item.Set("http_status", Napi::Number::New(env, event.http_status));
    item.Set("attempts", Napi::Number::New(env, event.attempts));
    item.Set("error", optional_string(env, event.has_error, event.error));
    item.Set("delivery_id", optional_string(env, event.has_delivery_id, event.delivery_id));
    array.Set(static_cast<uint32_t>(i), item);
  }
  return array;
}

}  // namespace

void HostEvents::deliver_to(Napi::Env env, Napi::Function callback) {
  std::vector<CompletionEvent> completions;
  std::vector<LogEvent> logs;
  uint64_t dropped = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wake_pending_ = false;
    completions.swap(completions_);
    logs.swap(logs_);
    std::swap(dropped, dropped_logs_);
  }
  if (completions.empty() && logs.empty() && dropped == 0) return;
  for (const CompletionEvent& event : completions) {
    if (event.token != OUTPUT_STEP_TOKEN_RECOVERED && unfinished_ > 0) --unfinished_;
  }
  keep_alive(env, unfinished_ > 0 || held_);
  Napi::Array log_array = Napi::Array::New(env, logs.size() + (dropped != 0 ? 1 : 0));
  for (size_t i = 0; i < logs.size(); ++i) {
    Napi::Object item = Napi::Object::New(env);
    item.Set("level", Napi::Number::New(env, logs[i].level));
    item.Set("message", Napi::String::New(env, logs[i].message));
    log_array.Set(static_cast<uint32_t>(i), item);
  }
  if (dropped != 0) {
    Napi::Object item = Napi::Object::New(env);
    item.Set("level", Napi::Number::New(env, OUTPUT_STEP_LOG_WARNING));
    item.Set("message", Napi::String::New(env, std::to_string(dropped) +
                                                   " log lines of the module dropped: "
                                                   "the JavaScript thread was busy"));
    log_array.Set(static_cast<uint32_t>(logs.size()), item);
  }
  callback.Call({completions_array(env, completions), log_array});
}

void HostEvents::accepted(Napi::Env env, size_t count) {
  unfinished_ += count;
  keep_alive(env, unfinished_ > 0 || held_);
}

void HostEvents::hold(Napi::Env env) {
  held_ = true;
  keep_alive(env, true);
}

void HostEvents::keep_alive(Napi::Env env, bool alive) {
  if (alive == alive_) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (wake_closed_) return;
  }
  alive_ = alive;
  if (alive) {
    wake_.Ref(env);
  } else {
    wake_.Unref(env);
  }
}

void HostEvents::release() {
  callback_.Reset();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (wake_closed_) return;
    wake_closed_ = true;
  }
  wake_.Release();
}

void HostEvents::post(std::function<void(Napi::Env)> work) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (wake_closed_) return;
  wake_.NonBlockingCall([work = std::move(work)](Napi::Env env, Napi::Function) { work(env); });
}

std::string HostEvents::take_sync_log() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(sync_log_, std::string());
}

}  // namespace output_step_node
