// redis_stream_output.so: an output step that appends each record to a Redis
// stream (XADD, field `record`, and `activation` when configured), completed
// as delivered once Redis answered with the new entry's id (its delivery_id).
// A second module behind the same C ABI as the webhook step: journey-sim and
// output-runner load it alike, so that journeys chain through streams.
#include "output_step/output_step.h"

#include "settings.hpp"

#include <webhook_common/version.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace redis_stream_output {
namespace {

using Clock = std::chrono::steady_clock;

struct Item {
  std::string record;
  std::uint64_t token = 0;
};

class Step {
 public:
  Step(const output_step_host_t* host, Settings settings);
  ~Step();
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;

  output_step_t table{};  // the ABI object
  output_step_status_t submit(const output_step_record_t* records, size_t count, size_t* accepted);
  output_step_status_t flush(std::int64_t timeout_ms);
  std::string stats() const;
  std::uint64_t close(std::int64_t timeout_ms);

 private:
  void work();
  bool send(std::vector<Item>& batch);
  void complete(const Item& item, output_step_outcome_t outcome, const std::string& error, const std::string& id,
                std::uint32_t attempts);
  void log(output_step_log_level_t level, const std::string& message) const {
    if (host_->log != nullptr) host_->log(host_, level, message.c_str());
  }

  const output_step_host_t* host_;
  Settings settings_;
  output_runner::RedisConnection redis_;
  mutable std::mutex mutex_;
  std::condition_variable work_ready_, idle_;
  std::deque<Item> queue_;
  std::size_t unfinished_ = 0;
  bool closing_ = false, aborting_ = false;
  std::atomic<std::uint64_t> submitted_{0}, delivered_{0}, failed_{0}, retried_{0};
  std::thread worker_;
};

Step::Step(const output_step_host_t* host, Settings settings)
    : host_(host), settings_(std::move(settings)), redis_(settings_.redis) {
  worker_ = std::thread([this] { work(); });
}

Step::~Step() {
  {
    std::lock_guard lock(mutex_);
    closing_ = aborting_ = true;
  }
  work_ready_.notify_all();
  if (worker_.joinable()) worker_.join();
}

output_step_status_t Step::submit(const output_step_record_t* records, size_t count, size_t* accepted) {
  if (accepted != nullptr) *accepted = 0;
  if (records == nullptr && count > 0) return OUTPUT_STEP_INVALID;
  output_step_status_t status = OUTPUT_STEP_OK;
  std::string refused;
  std::size_t queued = 0;
  {
    std::lock_guard lock(mutex_);
    if (closing_) return OUTPUT_STEP_CLOSED;
    for (size_t i = 0; i < count; ++i) {
      if (unfinished_ >= settings_.max_in_flight) {
        status = OUTPUT_STEP_BUSY;
        break;
      }
      boost::system::error_code ec;
      const auto value = records[i].data == nullptr
                             ? boost::json::value()
                             : boost::json::parse(std::string_view(records[i].data, records[i].size), ec);
      if (ec || !value.is_object()) {
        refused = ec ? "not valid JSON: " + ec.message() : "a record must be a JSON object";
        status = OUTPUT_STEP_INVALID;
        break;
      }
      queue_.push_back({std::string(records[i].data, records[i].size), records[i].token});
      ++unfinished_, ++submitted_, ++queued;
    }
  }
  if (accepted != nullptr) *accepted = queued;
  if (queued > 0) work_ready_.notify_one();  // the accepted prefix goes out whatever came after it
  if (!refused.empty()) log(OUTPUT_STEP_LOG_WARNING, "record refused: " + refused);
  return status;
}

output_step_status_t Step::flush(std::int64_t timeout_ms) {
  std::unique_lock lock(mutex_);
  const bool done = idle_.wait_for(lock, std::chrono::milliseconds(std::max<std::int64_t>(timeout_ms, 0)),
                                   [&] { return unfinished_ == 0; });
  return done ? OUTPUT_STEP_OK : OUTPUT_STEP_TIMEOUT;
}

// Stops accepting, waits up to `timeout_ms` for what is queued, then fails
// the rest ("cut short at shutdown"). Returns how many were cut short.
std::uint64_t Step::close(std::int64_t timeout_ms) {
  std::unique_lock lock(mutex_);
  closing_ = true;
  idle_.wait_for(lock, std::chrono::milliseconds(std::max<std::int64_t>(timeout_ms, 0)), [&] { return unfinished_ == 0; });
  const std::size_t cut = unfinished_;
  aborting_ = true;
  lock.unlock();
  work_ready_.notify_all();
  if (worker_.joinable()) worker_.join();
  return cut;
}

std::string Step::stats() const {
  std::size_t in_flight = 0;
  {
    std::lock_guard lock(mutex_);
    in_flight = unfinished_;
  }
  return "{\"submitted\":" + std::to_string(submitted_) + ",\"delivered\":" + std::to_string(delivered_) +
         ",\"retried\":" + std::to_string(retried_) + ",\"failed\":" + std::to_string(failed_) +
         ",\"in_flight\":" + std::to_string(in_flight) + "}";
}

void Step::complete(const Item& item, output_step_outcome_t outcome, const std::string& error, const std::string& id,
                    std::uint32_t attempts) {
  output_step_completion_t c{item.token, outcome, 0, attempts, error.empty() ? nullptr : error.c_str(),
                             id.empty() ? nullptr : id.c_str()};
  (outcome == OUTPUT_STEP_DELIVERED ? delivered_ : failed_)++;
  host_->on_completion(host_, &c);
  std::lock_guard lock(mutex_);
  if (--unfinished_ == 0) idle_.notify_all();
}

// The worker: batches of up to 256 queued records, one pipelined exchange
// each; a failed exchange is tried again with backoff, `attempts` times.
void Step::work() {
  for (;;) {
    std::vector<Item> batch;
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [&] { return aborting_ || !queue_.empty(); });
      if (queue_.empty()) return;
      while (!queue_.empty() && batch.size() < 256) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    send(batch);
  }
}

bool Step::send(std::vector<Item>& batch) {
  std::string error;
  auto backoff = std::chrono::milliseconds(100);
  for (std::uint32_t attempt = 1; attempt <= settings_.attempts; ++attempt) {
    bool aborting = false;
    {
      std::lock_guard lock(mutex_);
      aborting = aborting_;
    }
    if (aborting) error = "cut short at shutdown";
    if (!aborting && (redis_.connected() || redis_.connect(error))) {
      std::vector<output_runner::resp::Command> commands;
      for (const auto& item : batch) {
        output_runner::resp::Command add{"XADD", settings_.stream, "*", "record", item.record};
        if (!settings_.activation.empty()) add.insert(add.end(), {"activation", settings_.activation});
        commands.push_back(std::move(add));
      }
      std::vector<output_runner::resp::Reply> replies;
      if (redis_.exchange(commands, replies, error)) {
        for (std::size_t i = 0; i < batch.size(); ++i) {
          const auto& r = replies[i];
          if (r.is_error()) complete(batch[i], OUTPUT_STEP_FAILED, "XADD refused by Redis: " + r.text, "", attempt);
          else complete(batch[i], OUTPUT_STEP_DELIVERED, "", std::string(r.str()), attempt);
        }
        return true;
      }
    }
    if (aborting) break;
    log(OUTPUT_STEP_LOG_WARNING, "redis: " + error + (attempt < settings_.attempts ? "; trying again" : ""));
    if (attempt < settings_.attempts) {
      retried_ += batch.size();
      std::unique_lock lock(mutex_);
      work_ready_.wait_for(lock, backoff, [&] { return aborting_; });
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
  for (const auto& item : batch) complete(item, OUTPUT_STEP_FAILED, "redis: " + error, "", settings_.attempts);
  return false;
}

Step* step_of(const output_step_t* step) { return static_cast<Step*>(step->module_data); }

uint32_t report(const std::vector<SettingsError>& errors, output_step_error_fn on_error, void* context) {
  if (on_error != nullptr) {
    for (const auto& e : errors) on_error(context, e.field.c_str(), e.message.c_str());
  }
  return static_cast<uint32_t>(errors.size());
}

uint32_t validate(const char* config, size_t size, output_step_error_fn on_error, void* context) {
  std::vector<SettingsError> errors;
  if (config == nullptr) errors.push_back({"", "no configuration"});
  else parse_settings(std::string_view(config, size), errors);
  return report(errors, on_error, context);
}

const output_step_t* create(const output_step_host_t* host, const char* config, size_t size,
                            output_step_error_fn on_error, void* context) {
  if (host == nullptr || host->on_completion == nullptr || !output_step_version_is_compatible(host->abi_version)) {
    report({{"", host == nullptr || host->on_completion == nullptr
                     ? "the host gives no completion callback"
                     : "the host speaks output-step ABI " + std::to_string(host->abi_version.major) +
                           ".x; this module speaks " + std::to_string(OUTPUT_STEP_ABI_MAJOR) + ".x"}},
           on_error, context);
    return nullptr;
  }
  std::vector<SettingsError> errors;
  auto settings = config == nullptr ? std::nullopt : parse_settings(std::string_view(config, size), errors);
  if (!settings) {
    if (config == nullptr) errors.push_back({"", "no configuration"});
    report(errors, on_error, context);
    return nullptr;
  }
  try {
    auto* step = new Step(host, std::move(*settings));
    step->table.module_data = step;
    step->table.submit = [](const output_step_t* s, const output_step_record_t* r, size_t n, size_t* a) {
      return step_of(s)->submit(r, n, a);
    };
    step->table.flush = [](const output_step_t* s, int64_t t) { return step_of(s)->flush(t); };
    step->table.stats = [](const output_step_t* s, char* buffer, size_t capacity) {
      const std::string text = step_of(s)->stats();
      if (buffer != nullptr && capacity > 0) {
        const std::size_t n = std::min(capacity - 1, text.size());
        std::copy_n(text.data(), n, buffer);
        buffer[n] = '\0';
      }
      return text.size();
    };
    step->table.get_extension = [](const output_step_t*, const char*) -> const void* { return nullptr; };
    step->table.destroy = [](const output_step_t* s, int64_t timeout_ms, uint64_t* unfinished) {
      Step* self = step_of(s);
      const std::uint64_t cut = self->close(timeout_ms);
      if (unfinished != nullptr) *unfinished = cut;
      delete self;
    };
    return &step->table;
  } catch (const std::exception& e) {
    report({{"", std::string("cannot create the step: ") + e.what()}}, on_error, context);
    return nullptr;
  }
}

}  // namespace
}  // namespace redis_stream_output

extern "C" OUTPUT_STEP_EXPORT const output_step_entry_t output_step_entry = {
    OUTPUT_STEP_ABI_VERSION_INIT, "redis-stream", "Redis stream output", webhook_common::kVersion,
    redis_stream_output::validate, redis_stream_output::create};
