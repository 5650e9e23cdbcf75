#include "step.hpp"

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "module.hpp"

namespace output_step_node {
namespace {

const char* status_name(output_step_status_t status) {
  switch (status) {
    case OUTPUT_STEP_OK: return "ok";
    case OUTPUT_STEP_BUSY: return "busy";
    case OUTPUT_STEP_INVALID: return "invalid";
    case OUTPUT_STEP_TIMEOUT: return "timeout";
    case OUTPUT_STEP_CLOSED: return "closed";
    default: return "error";
  }
}

// An Error whose message lists every configuration error, with the list
// itself as `errors` ([{field, message}]).
Napi::Error configuration_error(Napi::Env env, const std::vector<ConfigError>& errors) {
  std::string message = "the configuration is invalid:";
  Napi::Array list = Napi::Array::New(env, errors.size());
  for (size_t i = 0; i < errors.size(); ++i) {
    message += (i == 0 ? " " : "; ") + (errors[i].field.empty() ? std::string() : errors[i].field + ": ") +
               errors[i].message;
    Napi::Object item = Napi::Object::New(env);
    item.Set("field", errors[i].field);
    item.Set("message", errors[i].message);
    list.Set(static_cast<uint32_t>(i), item);
  }
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("errors", list);
  return error;
}

std::string string_argument(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (!info[index].IsString()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  return info[index].As<Napi::String>().Utf8Value();
}

}  // namespace

Napi::Function Step::define(Napi::Env env) {
  return DefineClass(env, "Step",
                     {InstanceMethod<&Step::submit>("submit"), InstanceMethod<&Step::stats>("stats"),
                      InstanceMethod<&Step::close>("close"), InstanceMethod<&Step::pending>("pending")});
}

Step::Step(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Step>(info) {
  Napi::Env env = info.Env();
  const std::string path = string_argument(info, 0, "the module path");
  const std::string config = string_argument(info, 1, "the configuration");
  if (!info[2].IsFunction()) throw Napi::TypeError::New(env, "onEvents must be a function");
  const std::string name = info[3].IsString() ? info[3].As<Napi::String>().Utf8Value() : "node-red";
  const std::string key = info[4].IsString() ? info[4].As<Napi::String>().Utf8Value() : "node-red";
  const output_step_entry_t* entry = nullptr;
  try {
    entry = &load_module(path);
  } catch (const std::runtime_error& failure) {
    throw Napi::Error::New(env, failure.what());
  }
  events_ = HostEvents::make(env, info[2].As<Napi::Function>(), name, key);
  std::vector<ConfigError> errors;
  step_ = entry->create(
      events_->host(), config.data(), config.size(),
      [](void* context, const char* field, const char* message) {
        static_cast<std::vector<ConfigError>*>(context)->push_back(ConfigError{field, message});
      },
      &errors);
  if (step_ == nullptr) {
    try {
      events_->deliver(env);  // what the module logged about it
    } catch (const Napi::Error&) {
      // the configuration errors below say more than a failing log handler
    }
    events_->release();
    if (errors.empty()) errors.push_back(ConfigError{"", "the module refused to create the step"});
    throw configuration_error(env, errors);
  }
  cleanup_ = env.AddCleanupHook(&Step::on_environment_end, this);
  hooked_ = true;
}

Step::~Step() {
  if (hooked_) cleanup_.Remove(Env());
  if (step_ != nullptr && !closing_) destroy_now(0);
}

void Step::on_environment_end(Step* step) {
  step->hooked_ = false;
  if (step->step_ != nullptr) step->destroy_now(0);
}

void Step::destroy_now(int64_t timeout_ms) {
  const output_step_t* step = step_;
  step_ = nullptr;
  step->destroy(step, timeout_ms, nullptr);
  events_->release();
}

Napi::Value Step::submit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray() || !info[1].IsNumber()) {
    throw Napi::TypeError::New(env, "submit(records, firstToken): an array and a number");
  }
  Napi::Array items = info[0].As<Napi::Array>();
  const auto first = static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value());
  std::vector<std::string> texts;  // strings are copied out; buffers borrowed
  std::vector<output_step_record_t> records(items.Length());
  texts.reserve(items.Length());
  for (uint32_t i = 0; i < items.Length(); ++i) {
    Napi::Value item = items.Get(i);
    records[i].token = first + i;
    if (item.IsBuffer()) {
      auto buffer = item.As<Napi::Buffer<char>>();
      records[i].data = buffer.Data();
      records[i].size = buffer.Length();
    } else if (item.IsString()) {
      texts.push_back(item.As<Napi::String>().Utf8Value());
      records[i].data = texts.back().data();
      records[i].size = texts.back().size();
    } else {
      throw Napi::TypeError::New(env, "a record must be a Buffer or a string of JSON");
    }
  }
  size_t accepted = 0;
  output_step_status_t status = OUTPUT_STEP_CLOSED;
  if (step_ != nullptr && !closing_) {
    events_->take_sync_log();
    status = step_->submit(step_, records.data(), records.size(), &accepted);
  }
  events_->accepted(env, accepted);
  Napi::Array result = Napi::Array::New(env, 3);
  result.Set(0u, status_name(status));
  result.Set(1u, Napi::Number::New(env, static_cast<double>(accepted)));
  const std::string reason = status == OUTPUT_STEP_OK ? std::string() : events_->take_sync_log();
  result.Set(2u, reason.empty() ? env.Null() : Napi::Value(Napi::String::New(env, reason)));
  return result;
}

Napi::Value Step::stats(const Napi::CallbackInfo& info) {
  if (step_ == nullptr || closing_) return info.Env().Null();
  std::string text(512, '\0');
  size_t needed = step_->stats(step_, text.data(), text.size());
  if (needed >= text.size()) {
    text.assign(needed + 1, '\0');
    needed = step_->stats(step_, text.data(), text.size());
  }
  text.resize(needed < text.size() ? needed : text.size() - 1);
  return Napi::String::New(info.Env(), text);
}

Napi::Value Step::pending(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(events_->unfinished()));
}

// destroy on a thread of its own (not the libuv pool, which file, DNS and
// crypto work share): it drains for up to its timeout while the
// completions it reports reach JavaScript through the events' thread-safe
// function, so the JavaScript thread is never blocked; its end is posted
// after them.
Napi::Value Step::close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closing_ || step_ == nullptr) throw Napi::Error::New(env, "the step is closed already");
  const int64_t timeout_ms = info[0].IsNumber() ? info[0].As<Napi::Number>().Int64Value() : 10000;
  closing_ = true;
  cleanup_.Remove(env);
  hooked_ = false;
  Ref();  // the object lives until the close is done
  closed_ = Napi::Promise::Deferred::New(env);
  events_->hold(env);
  std::thread([this, events = events_, step = step_, timeout = timeout_ms < 0 ? 0 : timeout_ms] {
    uint64_t cut_short = 0;
    step->destroy(step, timeout, &cut_short);
    events->post([this, cut_short](Napi::Env js) { finish_close(js, cut_short); });
  }).detach();
  return closed_->Promise();
}

void Step::finish_close(Napi::Env env, uint64_t cut_short) {
  step_ = nullptr;
  std::optional<Napi::Error> failed;
  try {
    events_->deliver(env);  // what destroy reported that no wake has carried yet
  } catch (const Napi::Error& error) {
    failed = error;
  }
  events_->release();
  if (failed) {
    closed_->Reject(failed->Value());
  } else {
    closed_->Resolve(Napi::Number::New(env, static_cast<double>(cut_short)));
  }
  Unref();
}

}  // namespace output_step_node
