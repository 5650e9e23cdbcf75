// The C-ABI glue: output_step_entry over the delivery engine. Kept thin (as
// Envoy keeps an extension's registration apart from its logic): tests link
// the engine directly, runners reach it only through this file.
#include "output_step/output_step.h"

#include <webhook/rendering/config.hpp>
#include <webhook/delivery/delivery_engine.hpp>
#include <webhook/delivery/shared_runtime.hpp>

#include <webhook_common/log_text.hpp>
#include <webhook_common/version.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <new>

namespace {

using namespace webhook;

struct HostClockAdapter final : HostClock {
  const output_step_host_t* host = nullptr;
  const output_step_host_clock_t* clock = nullptr;
  std::int64_t now_ms() override { return clock->now_ms(host); }
  void request_wakeup(std::int64_t at_ms) override { clock->request_wakeup(host, at_ms); }
};

struct Instance {
  output_step_t step{};  // first: the ABI object
  const output_step_host_t* host = nullptr;
  HostClockAdapter clock;
  bool host_drives_io = false;  // the host offered output-step.host-io/1
  std::shared_ptr<Runtime> runtime;  // the host offered output-step.runtime/1
  output_step_runtime_io_t runtime_io{};  // offered with a shared runtime the host drives
  std::unique_ptr<Engine> engine;
};

Instance* instance_of(const output_step_t* step) {
  return static_cast<Instance*>(step->module_data);
}

// Every line one line (control characters escaped), as the engine's own.
void host_log(const output_step_host_t* host, output_step_log_level_t level, const std::string& message) {
  if (host != nullptr && host->log != nullptr) host->log(host, level, webhook_common::printable(message).c_str());
}

uint32_t report(const std::vector<ConfigError>& errors, output_step_error_fn on_error, void* context) {
  if (on_error != nullptr) {
    for (const auto& e : errors) on_error(context, e.field.c_str(), e.message.c_str());
  }
  return static_cast<uint32_t>(errors.size());
}

uint32_t validate(const char* config, size_t size, output_step_error_fn on_error, void* context) {
  try {
    std::vector<ConfigError> errors;
    if (config == nullptr) errors.push_back({"", "no configuration given (NULL)"});
    else parse_config(std::string_view(config, size), errors);
    return report(errors, on_error, context);
  } catch (const std::exception& e) {
    return report({{"", std::string("internal error: ") + e.what()}}, on_error, context);
  }
}

output_step_status_t submit(const output_step_t* step, const output_step_record_t* records, size_t count,
                            size_t* accepted) {
  if (accepted == nullptr) return OUTPUT_STEP_INVALID;
  *accepted = 0;
  if (records == nullptr && count != 0) return OUTPUT_STEP_INVALID;
  Instance* self = instance_of(step);
  try {
    // In chunks, so that a large batch costs one spool write per chunk.
    constexpr size_t kChunk = 256;
    Engine::RecordView views[kChunk];
    std::string error;
    for (size_t done = 0; done < count;) {
      size_t n = std::min(kChunk, count - done);
      for (size_t i = 0; i < n; ++i) {
        const output_step_record_t& r = records[done + i];
        if (r.data == nullptr) {
          n = i;
          break;
        }
        views[i] = {std::string_view(r.data, r.size), r.token};
      }
      if (n == 0) return OUTPUT_STEP_INVALID;  // a NULL record
      SubmitStatus status = SubmitStatus::accepted;
      size_t took = self->engine->submit_batch(views, n, status, error);
      *accepted += took;
      done += took;
      switch (status) {
        case SubmitStatus::accepted: break;
        case SubmitStatus::busy: return OUTPUT_STEP_BUSY;
        case SubmitStatus::closed: return OUTPUT_STEP_CLOSED;
        case SubmitStatus::failed: return OUTPUT_STEP_ERROR;  // logged: the spool could not take it
        case SubmitStatus::invalid:
          host_log(self->host, OUTPUT_STEP_LOG_ERROR, "submit: record refused: " + error);
          return OUTPUT_STEP_INVALID;
      }
    }
    return OUTPUT_STEP_OK;
  } catch (const std::bad_alloc&) {
    host_log(self->host, OUTPUT_STEP_LOG_ERROR, "submit: out of memory");
    return OUTPUT_STEP_ERROR;
  } catch (const std::exception& e) {
    host_log(self->host, OUTPUT_STEP_LOG_ERROR, std::string("submit: ") + e.what());
    return OUTPUT_STEP_ERROR;
  }
}

output_step_status_t flush(const output_step_t* step, int64_t timeout_ms) {
  Instance* self = instance_of(step);
  try {
    // With a host driving the I/O, flush runs it: what a handler throws
    // (out of memory) must not cross the C boundary.
    return self->engine->flush(std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms)) ? OUTPUT_STEP_OK
                                                                                             : OUTPUT_STEP_TIMEOUT;
  } catch (const std::exception& e) {
    host_log(self->host, OUTPUT_STEP_LOG_ERROR, std::string("flush: ") + e.what());
    return OUTPUT_STEP_ERROR;
  }
}

size_t stats(const output_step_t* step, char* buffer, size_t capacity) {
  try {
    std::string text = instance_of(step)->engine->stats_json();
    if (buffer != nullptr && capacity > 0) {
      size_t n = std::min(text.size(), capacity - 1);
      std::memcpy(buffer, text.data(), n);
      buffer[n] = '\0';
    }
    return text.size();
  } catch (const std::exception&) {
    if (buffer != nullptr && capacity > 0) buffer[0] = '\0';
    return 0;
  }
}

// The clock's entry points are guarded like the others: nothing a C++
// call throws (out of memory posting the wake-up) crosses the C boundary.
void clock_on_time(const output_step_t* step) {
  Instance* self = instance_of(step);
  try {
    self->engine->on_time();
  } catch (const std::exception& e) {
    host_log(self->host, OUTPUT_STEP_LOG_ERROR, std::string("on_time: ") + e.what());
  }
}

int64_t clock_next_wakeup(const output_step_t* step) noexcept { return instance_of(step)->engine->next_wakeup_ms(); }

void clock_pending(const output_step_t* step, uint64_t* unfinished, uint64_t* waiting) noexcept {
  uint64_t u = 0, w = 0;
  instance_of(step)->engine->pending(u, w);
  if (unfinished != nullptr) *unfinished = u;
  if (waiting != nullptr) *waiting = w;
}

constexpr output_step_clock_t kClockExtension{clock_on_time, clock_next_wakeup, clock_pending};

size_t io_poll(const output_step_t* step, int64_t timeout_us) {
  Instance* self = instance_of(step);
  try {
    return self->engine->poll(std::chrono::microseconds(timeout_us < 0 ? 0 : timeout_us));
  } catch (const std::exception& e) {
    host_log(self->host, OUTPUT_STEP_LOG_ERROR, std::string("poll: ") + e.what());
    return 0;
  }
}

constexpr output_step_io_t kIoExtension{io_poll};

// No step to log through: what a handler throws (out of memory) is
// swallowed here rather than cross the C boundary.
size_t runtime_poll(const void* runtime, int64_t timeout_us) {
  try {
    return poll_runtime(*static_cast<Runtime*>(const_cast<void*>(runtime)),
                        std::chrono::microseconds(timeout_us < 0 ? 0 : timeout_us));
  } catch (const std::exception&) {
    return 0;
  }
}

const void* get_extension(const output_step_t* step, const char* id) {
  if (id == nullptr) return nullptr;
  const Instance* self = instance_of(step);
  if (std::strcmp(id, OUTPUT_STEP_EXT_CLOCK) == 0 && self->clock.clock != nullptr) return &kClockExtension;
  if (std::strcmp(id, OUTPUT_STEP_EXT_IO) == 0 && self->host_drives_io) return &kIoExtension;
  if (std::strcmp(id, OUTPUT_STEP_EXT_RUNTIME_IO) == 0 && self->runtime_io.poll != nullptr) return &self->runtime_io;
  return nullptr;
}

void destroy(const output_step_t* step, int64_t timeout_ms, uint64_t* unfinished) {
  Instance* self = instance_of(step);
  uint64_t cut = 0;
  try {
    cut = self->engine->shutdown(std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms));
  } catch (const std::exception& e) {
    host_log(self->host, OUTPUT_STEP_LOG_ERROR, std::string("destroy: ") + e.what());
  }
  if (unfinished != nullptr) *unfinished = cut;
  delete self;
}

// The host's extensions: its clock, its I/O, its runtime. Reports and
// returns false when the runtime's table is malformed.
bool take_host_extensions(Instance& self, const Config& config, output_step_error_fn on_error, void* context) {
  const output_step_host_t* host = self.host;
  if (host->get_extension == nullptr) return true;
  auto* clock = static_cast<const output_step_host_clock_t*>(host->get_extension(host, OUTPUT_STEP_EXT_HOST_CLOCK));
  if (clock != nullptr && clock->now_ms != nullptr && clock->request_wakeup != nullptr) {
    self.clock.host = host;
    self.clock.clock = clock;
  }
  auto* io = static_cast<const output_step_host_io_t*>(host->get_extension(host, OUTPUT_STEP_EXT_HOST_IO));
  self.host_drives_io = io != nullptr && io->size >= sizeof(output_step_host_io_t);
  auto* runtime = static_cast<const output_step_runtime_t*>(host->get_extension(host, OUTPUT_STEP_EXT_RUNTIME));
  if (runtime == nullptr) return true;
  if (runtime->size < sizeof(output_step_runtime_t) || runtime->io_threads > kMaxIoThreads) {
    report({{"", "create: " OUTPUT_STEP_EXT_RUNTIME ": size " + std::to_string(runtime->size) + " (at least " +
                     std::to_string(sizeof(output_step_runtime_t)) + ") and io_threads " +
                     std::to_string(runtime->io_threads) + " (allowed: 0 to " + std::to_string(kMaxIoThreads) + ")"}},
           on_error, context);
    return false;
  }
  const RuntimeOptions options{std::max<std::uint32_t>(1, runtime->io_threads), self.host_drives_io, config.busy_poll};
  // A host that drives the I/O or the time shares only among its own steps.
  const void* scope = self.host_drives_io || self.clock.clock != nullptr ? host : nullptr;
  self.runtime = shared_runtime(runtime->key != nullptr ? runtime->key : "", scope, options);
  const RuntimeOptions& made = options_of(*self.runtime);
  if (!self.host_drives_io && made.io_threads != options.io_threads) {
    host_log(host, OUTPUT_STEP_LOG_WARNING,
             std::string(OUTPUT_STEP_EXT_RUNTIME) + ": io_threads " + std::to_string(options.io_threads) +
                 " asked; the runtime this step shares was made with " + std::to_string(made.io_threads));
  }
  if (self.host_drives_io) self.runtime_io = {sizeof(output_step_runtime_io_t), self.runtime.get(), runtime_poll};
  return true;
}

EngineHooks hooks_for(Instance& self) {
  const output_step_host_t* host = self.host;
  EngineHooks hooks;
  hooks.on_completion = [host](const Completion& c) {
    output_step_completion_t out{};
    out.token = c.token;
    out.outcome = c.outcome == Outcome::delivered       ? OUTPUT_STEP_DELIVERED
                  : c.outcome == Outcome::dead_lettered ? OUTPUT_STEP_DEAD_LETTERED
                                                        : OUTPUT_STEP_FAILED;
    out.http_status = c.http_status;
    out.attempts = c.attempts;
    out.error = c.error.empty() ? nullptr : c.error.c_str();
    // NUL-terminated (see Completion); NULL when the record has none, as
    // the header says.
    out.delivery_id = c.delivery_id.empty() ? nullptr : c.delivery_id.data();
    host->on_completion(host, &out);
  };
  hooks.log = [host](LogLevel level, const std::string& message) {
    host_log(host, static_cast<output_step_log_level_t>(level), message);
  };
  hooks.clock = self.clock.clock ? &self.clock : nullptr;
  hooks.host_drives_io = self.host_drives_io;
  hooks.runtime = self.runtime;
  return hooks;
}

const output_step_t* create(const output_step_host_t* host, const char* config, size_t size,
                            output_step_error_fn on_error, void* context) {
  try {
    if (host == nullptr || host->on_completion == nullptr) {
      report({{"", "create: the host and its on_completion callback are required"}}, on_error, context);
      return nullptr;
    }
    if (!output_step_version_is_compatible(host->abi_version)) {
      report({{"", "create: host speaks output-step ABI " + std::to_string(host->abi_version.major) +
                       ".x; this module speaks " + std::to_string(OUTPUT_STEP_ABI_MAJOR) + ".x"}},
             on_error, context);
      return nullptr;
    }
    std::vector<ConfigError> errors;
    auto parsed = config ? parse_config(std::string_view(config, size), errors) : std::nullopt;
    if (!config) errors.push_back({"", "no configuration given (NULL)"});
    if (!parsed) {
      report(errors, on_error, context);
      return nullptr;
    }
    auto self = std::make_unique<Instance>();
    self->host = host;
    if (!take_host_extensions(*self, *parsed, on_error, context)) return nullptr;
    EngineHooks hooks = hooks_for(*self);
    self->engine = std::make_unique<Engine>(std::move(*parsed), std::move(hooks));
    self->step.module_data = self.get();
    self->step.submit = submit;
    self->step.flush = flush;
    self->step.stats = stats;
    self->step.get_extension = get_extension;
    self->step.destroy = destroy;
    return &self.release()->step;
  } catch (const std::exception& e) {
    report({{"", e.what()}}, on_error, context);
    return nullptr;
  }
}

}  // namespace

extern "C" OUTPUT_STEP_EXPORT const output_step_entry_t output_step_entry = {
    OUTPUT_STEP_ABI_VERSION_INIT, "webhook", "Webhook output (td_webhook_out compatible)", webhook_common::kVersion,
    validate, create};
