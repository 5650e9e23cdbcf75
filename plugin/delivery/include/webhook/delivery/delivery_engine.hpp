// The delivery engine behind one output step: renders records at submit (on
// the caller's thread), then schedules, sends, retries and reports them on
// one I/O thread of its runtime: its own, a shared runtime's, or the host's
// (EngineHooks::host_drives_io, then only inside poll, flush and shutdown).
// No Asio in this header: callers stay cheap to compile.
#pragma once

#include <webhook/rendering/config.hpp>
#include <webhook/delivery/file_write.hpp>
#include <webhook/delivery/shared_runtime.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace webhook {

enum class Outcome { delivered, failed, dead_lettered };

struct Completion {
  std::uint64_t token = 0;
  Outcome outcome = Outcome::failed;
  int http_status = 0;
  std::uint32_t attempts = 0;
  std::string error;  // empty when delivered; never holds a secret
  // The webhook-id: valid during the callback only. It views the whole of a
  // std::string, so data() is NUL-terminated.
  std::string_view delivery_id;
};

// Time for every wait the engine makes (backoff, Retry-After, rate limit)
// and for webhook-timestamp. Without one the engine uses the system clock
// and its own timers. Network timeouts always run on real time.
class HostClock {
 public:
  virtual ~HostClock() = default;
  virtual std::int64_t now_ms() = 0;                  // Unix ms, any thread
  virtual void request_wakeup(std::int64_t at_ms) = 0;  // call Engine::on_time at/after
};

enum class LogLevel { debug, info, warning, error };

struct EngineHooks {
  // Called on the engine's thread (or shutdown's caller), one at a time;
  // with host_drives_io, on the thread in poll, flush or shutdown.
  std::function<void(const Completion&)> on_completion;
  std::function<void(LogLevel, const std::string&)> log;  // may be empty
  HostClock* clock = nullptr;                              // borrowed; may be null
  // The host runs the engine's I/O through poll(): no I/O thread is started.
  bool host_drives_io = false;
  // The write(2) of the spool and the outcome files (tests inject failures).
  WriteFunction write_file = nullptr;
  // A runtime shared with other engines (shared_runtime()): its threads and
  // its pools, delivery.origin_concurrency connections per origin. Null: a
  // runtime of the engine's own (one thread, or the host's with
  // host_drives_io; a pool of delivery.concurrency connections). A shared
  // runtime's host_drives must equal host_drives_io.
  std::shared_ptr<Runtime> runtime;
};

enum class SubmitStatus { accepted, busy, invalid, closed, failed };

// The token of records recovered from the spool (accepted by an earlier
// instance): their completions carry it.
inline constexpr std::uint64_t kRecoveredToken = ~std::uint64_t{0};

class Engine {
 public:
  // Starts the I/O thread, and with a spool resubmits every record an
  // earlier instance left unacknowledged. Throws std::runtime_error when the
  // transport or the spool cannot be set up (unreadable CA file, unwritable
  // dead-letter file, spool locked by another instance).
  Engine(Config config, EngineHooks hooks);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Any thread. `error` is set for `invalid` and `failed`.
  SubmitStatus submit(std::string_view record_json, std::uint64_t token, std::string& error);

  struct RecordView {
    std::string_view json;
    std::uint64_t token;
  };
  // Accepts a prefix of `count` records (one spool write for all of them)
  // and returns its length; `status` says why it stopped short (accepted
  // when it did not). Any thread.
  std::size_t submit_batch(const RecordView* records, std::size_t count, SubmitStatus& status, std::string& error);

  // Waits until no accepted record is unfinished, or `timeout` passes. With
  // host_drives_io it runs the I/O itself meanwhile (unless another thread
  // is in poll, which then does).
  bool flush(std::chrono::milliseconds timeout);

  // With host_drives_io: runs every ready piece of I/O work on the calling
  // thread (of every engine on the runtime), first waiting up to `timeout`
  // for one when none is ready. Returns how many records completed (of
  // every engine on the runtime). Returns 0 at once when another
  // thread (or this one, further up: a completion callback) is running the
  // I/O, and always without host_drives_io.
  std::size_t poll(std::chrono::microseconds timeout);

  std::string stats_json() const;

  // Host clock support.
  void on_time();
  std::int64_t next_wakeup_ms() const noexcept;
  void pending(std::uint64_t& unfinished, std::uint64_t& waiting) const noexcept;

  // Stops accepting, drains within `timeout`, then completes every record
  // still unfinished as cut short. Returns how many were. Idempotent.
  std::uint64_t shutdown(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace webhook
