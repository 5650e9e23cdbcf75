#include "delivery_engine.hpp"

#include "http_connection.hpp"
#include "http_response.hpp"
#include "latency_histogram.hpp"
#include "log_throttle.hpp"
#include "ndjson_file.hpp"
#include "outcome_lines.hpp"
#include "record_reader.hpp"
#include "redact.hpp"
#include "request_builder.hpp"
#include "retry_policy.hpp"
#include "signer.hpp"

#include <webhook_common/log_text.hpp>
#include <webhook_common/utf8.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <future>
#include <mutex>
#include <queue>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace webhook {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The system clock at the kernel's tick (a few ms), a quarter of the cost
// of a precise read: enough for a header in whole seconds.
std::int64_t coarse_system_s() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME_COARSE, &now);
  return now.tv_sec;
}

// Finished jobs go back to a pool that submitters take from: in the steady
// state a record costs no allocation, and no buffer is allocated on one
// thread and freed on another (which makes malloc's arenas contend).
constexpr std::size_t kPoolMax = 4096;
constexpr std::size_t kPoolJobBytes = 16 * 1024;  // larger jobs are freed
constexpr std::size_t kReturnBatch = 32;
// Rendered records reach the I/O thread in groups: one lock and at most one
// wake-up per group, while the I/O thread can start on the first group
// before the batch is rendered.
constexpr std::size_t kEnqueueGroup = 16;

struct DueLater {
  bool operator()(const Job* a, const Job* b) const { return a->due_ms > b->due_ms; }
};

struct KeyState {
  std::deque<Job*> waiting;  // later records of the key, in submit order
};

// The right to run the io_context on this thread when the host drives it:
// one thread at a time, and not again further up the same thread's stack
// (poll called from a completion callback).
class Driving {
 public:
  explicit Driving(std::atomic<bool>& flag)
      : flag_(flag), held_(!flag.exchange(true, std::memory_order_acquire)) {}
  ~Driving() {
    if (held_) flag_.store(false, std::memory_order_release);
  }
  Driving(const Driving&) = delete;
  Driving& operator=(const Driving&) = delete;
  explicit operator bool() const { return held_; }

 private:
  std::atomic<bool>& flag_;
  bool held_;
};

}  // namespace

struct Engine::Impl final : ConnectionOwner {
  Config config;
  EngineHooks hooks;
  BackoffPolicy backoff;
  TransportSettings transport;
  RequestBuilder builder{config};
  Signer signer{config.signing_key};
  bool keep_record_text = false;    // a job keeps its record's text (for dead letters, the spool)

  // Run by one thread, the only one that touches its sockets and timers:
  // no locking around each socket operation (other threads only post).
  // That thread is ours, or with hooks.host_drives_io whichever host thread
  // holds `driving` (in poll, flush or shutdown).
  asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::optional<asio::ssl::context> tls;
  asio::steady_timer timer{io};
  std::thread thread;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::atomic<bool> driving{false};
  std::atomic<bool> shut_down{false};
  asio::steady_timer poll_timer{io};  // bounds a poll's wait
  bool poll_timed_out = false;
  std::uint64_t completed_count = 0;  // records finished: what poll reports

  // Shared with submitters.
  std::mutex inbox_mutex;
  std::vector<Job*> inbox;
  std::mutex pool_mutex;
  std::vector<Job*> pool;
  // Written by both sides: a cache line of its own.
  alignas(64) std::atomic<std::uint64_t> in_flight{0};
  alignas(64) std::atomic<bool> closed{false};
  std::mutex flush_mutex;
  std::condition_variable flushed;

  // Statistics, read anywhere. Those the submitters write and those the I/O
  // thread writes sit on different cache lines, so neither side's updates
  // evict the other's.
  alignas(64) std::atomic<std::uint64_t> submitted{0}, rejected_busy{0}, rejected_invalid{0};
  alignas(64) std::atomic<std::uint64_t> delivered{0}, retried{0}, failed{0}, dead_lettered{0}, attempts_total{0},
      connections_opened{0}, waiting_count{0};
  std::atomic<std::int64_t> next_wakeup{-1};
  // Written by the I/O thread only: submit -> delivered; submit -> the first
  // attempt starts (the wait for a connection and the I/O thread); an
  // attempt's start -> its response (the endpoint, the network and the I/O
  // thread's reaction).
  LatencyHistogram latency, latency_to_send, latency_response;

  // I/O thread only.
  std::vector<Job*> returned;  // finished jobs on their way to the pool
  std::vector<Job*> draining;  // the inbox, taken
  std::deque<Job*> ready;
  std::priority_queue<Job*, std::vector<Job*>, DueLater> waiting;
  std::unordered_map<std::string, KeyState> keys;  // keys with a record in progress
  std::vector<std::shared_ptr<Connection>> idle;
  struct BusyConnection {
    std::shared_ptr<Connection> connection;
    Job* job;
  };
  std::vector<BusyConnection> busy;  // each connection knows its slot
  std::string attempt_headers;       // scratch for start_attempt
  std::int64_t timestamp_second = -1;
  std::string timestamp_header;      // "webhook-timestamp: S\r\n" for timestamp_second
  Completion completion;             // scratch for finish: reused, so no allocation per record
  std::size_t open_connections = 0;
  bool pump_posted = false;
  bool stopping = false;
  std::uint64_t cut_count = 0;
  double tokens = 0;
  std::int64_t tokens_at_ms = 0;
  std::int64_t requested_wakeup = -1;
  std::mt19937_64 random{std::random_device{}()};
  NdjsonFile dead_letters;
  NdjsonFile delivery_log;
  LogThrottle dead_letter_failures, delivery_log_failures;  // a full disk: one warning per 10 s
  std::unique_ptr<Spool> spool;
  std::uint64_t spool_unreadable = 0;  // records a corrupt spool hid at start
  // Records with a verdict whose spool acknowledgement is still to be
  // written: all those of one turn of the event loop are written together
  // (one write, one fsync with "always"), and then each completes. No
  // attempt starts meanwhile (pump waits for them), so what a crash can
  // repeat stays what was in flight: at most `concurrency` records.
  struct Settled {
    Job* job;
    Outcome outcome;
    int status;
    std::string error;
  };
  std::vector<Settled> settled, settled_taken;  // swapped: both keep their capacity
  std::vector<std::uint64_t> settled_seqs;
  std::thread flusher;  // the batch policy's group commit
  std::mutex flusher_mutex;
  std::condition_variable flusher_wake;
  bool flusher_stop = false;

  Impl(Config c, EngineHooks h) : config(std::move(c)), hooks(std::move(h)) {
    backoff.initial_ms = config.initial_backoff_ms;
    backoff.max_ms = config.max_backoff_ms;
    transport.host = config.endpoint.host;
    transport.port = config.endpoint.port;
    transport.tls = config.endpoint.scheme == "https";
    transport.verify = config.tls.verify;
    transport.connect_timeout = std::chrono::seconds(config.connect_timeout_s);
    transport.read_timeout = std::chrono::seconds(config.read_timeout_s);
    transport.write_timeout = std::chrono::seconds(config.write_timeout_s);
    // A secret that straddles the excerpt's cut is still seen whole by the
    // redaction, which runs before the excerpt is cut to its size.
    transport.excerpt_bytes = ResponseReader::kExcerptLimit + (config.redactor.empty() ? 0 : config.redactor.longest() - 1);
    if (transport.tls) {
      tls.emplace(asio::ssl::context::tls_client);
      tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
      boost::system::error_code ec;
      if (!config.tls.ca_file.empty()) tls->load_verify_file(config.tls.ca_file, ec);
      else tls->set_default_verify_paths(ec);
      if (ec) throw std::runtime_error("delivery.tls.ca_file: cannot load CA certificates: " + ec.message());
      if (!config.tls.verify) {
        log(LogLevel::warning, "delivery.tls.verify is false: the server's certificate and host name are NOT checked");
      }
    }
    open_outcome_file(dead_letters, config.dead_letter_file, "delivery.dead_letter_file");
    open_outcome_file(delivery_log, config.delivery_log_file, "delivery.delivery_log_file");
    tokens = config.rate_limit_per_second > 0 ? std::max(1.0, config.rate_limit_per_second / 10) : 0;
    tokens_at_ms = now_ms();
    RecoveryReport recovery;
    if (config.spool) {
      SpoolOptions spool_options = *config.spool;
      spool_options.write = hooks.write_file;
      spool = std::make_unique<Spool>(spool_options, recovery);
      report_recovery(recovery);
      if (!recovery.unacknowledged.empty()) {
        log(LogLevel::info, "spool: recovered " + std::to_string(recovery.unacknowledged.size()) +
                                " accepted records not yet delivered; delivering them first");
      }
      if (config.spool->fsync == FsyncPolicy::batch) {
        flusher = std::thread([this] {
          std::unique_lock lock(flusher_mutex);
          while (!flusher_stop) {
            flusher_wake.wait_for(lock, std::chrono::milliseconds(5));
            lock.unlock();
            spool->sync();
            lock.lock();
          }
        });
      }
    }
    keep_record_text = spool != nullptr || dead_letters.is_open();
    work.emplace(io.get_executor());
    if (!hooks.host_drives_io) {
      thread = std::thread([this] { run_io(); });
    } else if (config.busy_poll_us > 0) {
      log(LogLevel::warning, "delivery.busy_poll_us has no effect: the host drives the step's I/O");
    }
    for (auto& recovered : recovery.unacknowledged) resubmit(recovered);
  }

  // A record from the spool: rendered again from its text, under the
  // webhook-id it was first sent with, so that receivers can deduplicate.
  void resubmit(const RecoveredRecord& recovered) {
    auto newline = recovered.payload.find('\n');
    if (newline == std::string::npos) return;
    std::string_view text = std::string_view(recovered.payload).substr(newline + 1);
    RecordReader reader;  // on the thread that opens the spool, once
    std::string error;
    const RecordValues* record = reader.read(config.record_paths, text, error);
    auto job = std::make_unique<Job>();  // once per recovered record: no pool
    job->token = kRecoveredToken;
    job->accepted_ns = steady_ns();
    job->record.assign(text);
    if (record == nullptr) job->render_error = "spool: the recovered record is not a JSON object";
    else if (!RequestBuilder::acceptable(*record, error)) job->render_error = "spool: the recovered " + error;
    else builder.build(*record, *job);
    std::string webhook_id = recovered.payload.substr(0, newline);
    if (job->webhook_id != webhook_id) {
      // builder.build() wrote the id into the head; the first one must stand.
      if (auto at = job->head.find("webhook-id: " + job->webhook_id); at != std::string::npos) {
        job->head.replace(at + 12, job->webhook_id.size(), webhook_id);
      }
      job->webhook_id = webhook_id;
    }
    job->spool_seq = recovered.seq;
    in_flight.fetch_add(1, std::memory_order_acq_rel);
    submitted.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard lock(inbox_mutex);
      inbox.push_back(job.release());
    }
    asio::post(io, [this] { drain(); });
  }

  void open_outcome_file(NdjsonFile& file, const std::string& path, const std::string& field) {
    if (path.empty()) return;
    std::string error;
    if (!file.open(path, error, hooks.write_file)) throw std::runtime_error(field + ": " + error);
    if (file.torn_bytes() > 0) {
      log(LogLevel::warning, field + ": '" + path + "' ended in a line cut short (" + std::to_string(file.torn_bytes()) +
                                 " bytes, a crash while it was written); that part was removed");
    }
  }

  void report_recovery(const RecoveryReport& recovery) {
    spool_unreadable = recovery.unreadable_records;
    if (recovery.unreadable_records > 0) {
      log(LogLevel::error, "spool: " + std::to_string(recovery.unreadable_records) +
                               " accepted records are unreadable and cannot be delivered (" +
                               std::to_string(recovery.corrupt_entries) + " corrupt stretches, " +
                               std::to_string(recovery.skipped_bytes) + " bytes skipped); every intact entry was read");
    } else if (recovery.corrupt_entries > 0) {
      log(LogLevel::warning, "spool: skipped " + std::to_string(recovery.corrupt_entries) +
                                 " torn or corrupt stretches (" + std::to_string(recovery.skipped_bytes) +
                                 " bytes) that held no unacknowledged record; every intact entry was read");
    }
  }

  ~Impl() {
    stop_flusher();
    if (thread.joinable()) {
      work.reset();
      io.stop();
      thread.join();
    }
    for (Job* job : inbox) delete job;
    for (Job* job : pool) delete job;
    for (Job* job : returned) delete job;
  }

  void stop_flusher() {
    if (!flusher.joinable()) return;
    {
      std::lock_guard lock(flusher_mutex);
      flusher_stop = true;
    }
    flusher_wake.notify_all();
    flusher.join();
  }

  // Every line one line: control characters a record brought (a newline
  // or an escape sequence in an event_id) are escaped, so that no line can
  // forge another or drive a terminal.
  void log(LogLevel level, const std::string& message) const {
    if (hooks.log) hooks.log(level, webhook_common::printable(message));
  }

  std::int64_t now_ms() const { return hooks.clock ? hooks.clock->now_ms() : system_ms(); }

  // Never let the API key or the signing secret out in a text we write, in
  // any form a template can make of them.
  void redact(std::string& text) const { config.redactor.apply(text); }

  // The first 1 KiB of a response body as it may be written: secrets out
  // (the reader kept enough bytes past the cut for one that straddles it),
  // valid UTF-8, then cut on a character boundary.
  std::string excerpt_of(std::string body) const {
    redact(body);
    if (!webhook_common::is_utf8(body)) body = webhook_common::utf8_repaired(body);
    webhook_common::cut_utf8(body, ResponseReader::kExcerptLimit);
    return body;
  }

  // ---- submit side (any thread) -------------------------------------

  std::size_t submit_batch(const Engine::RecordView* records, std::size_t count, SubmitStatus& status,
                           std::string& error) {
    status = SubmitStatus::accepted;
    if (closed.load(std::memory_order_acquire)) {
      status = SubmitStatus::closed;
      return 0;
    }
    // One reader per thread: what it keeps of a record lives only while the
    // record is prepared, in memory it reuses.
    thread_local RecordReader reader;
    std::vector<std::unique_ptr<Job>> jobs;  // prepared, not yet enqueued
    std::size_t accepted_count = 0;
    // Slots for the whole batch at once: one atomic operation, not one per record.
    const std::size_t reserved = reserve_slots(count);
    std::vector<Job*> spare = take_from_pool(reserved);  // as many as may be accepted, none when busy
    const std::int64_t accepted_ns = steady_ns();  // one clock read per call: the records arrived together
    std::size_t used = 0;
    for (std::size_t i = 0; i < reserved; ++i) {
      ++used;
      const RecordValues* record = records[i].json.size() > config.max_record_bytes
                                       ? nullptr
                                       : reader.read(config.record_paths, records[i].json, error);
      if (record != nullptr && !RequestBuilder::acceptable(*record, error)) record = nullptr;
      if (record == nullptr) {
        if (records[i].json.size() > config.max_record_bytes) {
          error = "record is " + std::to_string(records[i].json.size()) + " bytes; delivery.max_record_bytes is " +
                  std::to_string(config.max_record_bytes);
        }
        --used;
        rejected_invalid.fetch_add(1, std::memory_order_relaxed);
        status = SubmitStatus::invalid;
        break;
      }
      std::unique_ptr<Job> job;
      if (spare.empty()) {
        job = std::make_unique<Job>();
      } else {
        job.reset(spare.back());
        spare.pop_back();
      }
      job->token = records[i].token;
      job->accepted_ns = accepted_ns;
      // The record's text is kept only where it is written again: a dead
      // letter, the spool.
      if (keep_record_text) job->record.assign(records[i].json);
      builder.build(*record, *job);
      jobs.push_back(std::move(job));
      if (!spool && jobs.size() == kEnqueueGroup) {
        accepted_count += jobs.size();
        enqueue(jobs);  // the I/O thread starts sending while we prepare the next
      }
    }
    give_back(spare);
    release_slots(reserved - used);
    if (reserved < count && status == SubmitStatus::accepted) {
      rejected_busy.fetch_add(1, std::memory_order_relaxed);
      status = SubmitStatus::busy;
    }
    if (spool && !jobs.empty()) {
      // Accepted only once in the spool (on disk with fsync=always).
      std::vector<std::string> payloads(jobs.size());
      std::vector<std::string_view> views(jobs.size());
      std::vector<std::uint64_t> seqs(jobs.size());
      for (std::size_t i = 0; i < jobs.size(); ++i) {
        payloads[i].reserve(jobs[i]->webhook_id.size() + 1 + jobs[i]->record.size());
        payloads[i].append(jobs[i]->webhook_id).append(1, '\n').append(jobs[i]->record);
        views[i] = payloads[i];
      }
      Spool::Append appended = Spool::Append::ok;
      std::string spool_error;
      std::size_t stored = spool->append_many(views.data(), views.size(), seqs.data(), appended, spool_error);
      for (std::size_t i = 0; i < stored; ++i) jobs[i]->spool_seq = seqs[i];
      release_slots(jobs.size() - stored);
      if (stored < jobs.size()) {
        jobs.resize(stored);
        if (appended == Spool::Append::failed) {
          error = spool_error;
          log(LogLevel::error, spool_error + "; the record was not accepted");
          status = SubmitStatus::failed;
        } else {
          rejected_busy.fetch_add(1, std::memory_order_relaxed);
          status = SubmitStatus::busy;
        }
      }
    }
    accepted_count += jobs.size();
    enqueue(jobs);
    return accepted_count;
  }

  std::vector<Job*> take_from_pool(std::size_t count) {
    std::vector<Job*> taken;
    if (count == 0) return taken;
    std::lock_guard lock(pool_mutex);
    std::size_t n = std::min(count, pool.size());
    taken.assign(pool.end() - static_cast<std::ptrdiff_t>(n), pool.end());
    pool.resize(pool.size() - n);
    return taken;
  }

  void give_back(std::vector<Job*>& jobs) {
    if (jobs.empty()) return;
    {
      std::lock_guard lock(pool_mutex);
      while (!jobs.empty() && pool.size() < kPoolMax) {
        pool.push_back(jobs.back());
        jobs.pop_back();
      }
    }
    for (Job* job : jobs) delete job;
    jobs.clear();
  }

  // I/O thread: a finished job, reset, back towards the pool.
  void recycle(Job* job) {
    if (job->capacity_bytes() > kPoolJobBytes) {
      delete job;
      return;
    }
    job->reset();
    returned.push_back(job);
    if (returned.size() >= kReturnBatch) give_back(returned);
  }

  void enqueue(std::vector<std::unique_ptr<Job>>& jobs) {
    if (jobs.empty()) return;
    submitted.fetch_add(jobs.size(), std::memory_order_relaxed);
    bool was_empty = false;
    {
      std::lock_guard lock(inbox_mutex);
      was_empty = inbox.empty();
      for (auto& job : jobs) inbox.push_back(job.release());
    }
    jobs.clear();
    if (was_empty) asio::post(io, [this] { drain(); });
  }

  // Up to `count` slots under max_in_flight; how many were taken.
  std::size_t reserve_slots(std::size_t count) {
    std::uint64_t current = in_flight.load(std::memory_order_relaxed);
    std::uint64_t taken = 0;
    do {
      taken = current >= config.max_in_flight ? 0 : std::min<std::uint64_t>(count, config.max_in_flight - current);
      if (taken == 0) return 0;
    } while (!in_flight.compare_exchange_weak(current, current + taken, std::memory_order_acq_rel));
    return static_cast<std::size_t>(taken);
  }

  void release_slots(std::size_t count) {
    if (count == 0) return;
    if (in_flight.fetch_sub(count, std::memory_order_acq_rel) == count) {
      std::lock_guard lock(flush_mutex);
      flushed.notify_all();
    }
  }

  // ---- I/O thread ------------------------------------------------------

  // The thread's loop. With delivery.busy_poll_us it keeps polling (epoll
  // without a timeout) that long after its last piece of work before it
  // sleeps: a record or a response that comes soon after another is then
  // taken at once instead of after a wake-up, which on a virtual machine
  // (a halted vCPU to be rescheduled by the host) can take milliseconds.
  // It costs CPU while it polls, never more than busy_poll_us per idle spell.
  void run_io() {
    if (config.busy_poll_us == 0) {
      io.run();
      return;
    }
    const std::int64_t poll_ns = std::int64_t{config.busy_poll_us} * 1000;
    std::int64_t idle_since = 0;
    while (!io.stopped()) {
      if (io.poll() > 0) {
        idle_since = 0;
        continue;
      }
      const std::int64_t now = steady_ns();
      if (idle_since == 0) {
        idle_since = now;
      } else if (now - idle_since >= poll_ns) {
        io.run_one();  // sleeps until there is work
        idle_since = 0;
      }
    }
  }

  // With hooks.host_drives_io, on the thread holding `driving`: runs every
  // ready handler; when there was none, waits up to `timeout` for one and
  // runs what became ready. Returns how many records completed.
  std::size_t drive(std::chrono::microseconds timeout) {
    const std::uint64_t before = completed_count;
    if (io.poll() == 0 && timeout.count() > 0 && !io.stopped()) {
      poll_timed_out = false;
      poll_timer.expires_after(timeout);  // a timerfd: woken to the microsecond
      poll_timer.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) poll_timed_out = true;
      });
      io.run_one();
      if (!poll_timed_out) poll_timer.cancel();  // its handler runs below
      io.poll();
    }
    return static_cast<std::size_t>(completed_count - before);
  }

  void drain() {
    {
      std::lock_guard lock(inbox_mutex);
      draining.swap(inbox);  // both keep their capacity
    }
    for (Job* job : draining) admit(job);
    draining.clear();
    pump();
  }

  void admit(Job* job) {
    if (stopping) {
      job->has_ordering_key = false;  // it never held its key
      return cut_short(job);
    }
    if (!job->render_error.empty()) {
      job->has_ordering_key = false;  // it never held its key
      return finish(job, Outcome::failed, job->render_error);
    }
    if (job->has_ordering_key) {
      auto [it, inserted] = keys.try_emplace(job->ordering_key);
      if (!inserted) {
        it->second.waiting.push_back(job);
        return;
      }
    }
    ready.push_back(job);
  }

  bool take_token() {
    if (config.rate_limit_per_second <= 0) return true;
    std::int64_t now = now_ms();
    double burst = std::max(1.0, config.rate_limit_per_second / 10);
    tokens = std::min(burst, tokens + static_cast<double>(now - tokens_at_ms) * config.rate_limit_per_second / 1000.0);
    tokens_at_ms = now;
    if (tokens >= 1.0) {
      tokens -= 1.0;
      return true;
    }
    return false;
  }

  std::int64_t next_token_ms() const {
    double missing = 1.0 - tokens;
    return tokens_at_ms + static_cast<std::int64_t>(std::ceil(missing * 1000.0 / config.rate_limit_per_second));
  }

  // Starts attempts soon: after the handlers already queued have run, so
  // that an idle connection whose read has completed (stray bytes, a
  // close) is taken out of the idle ones before one is picked.
  void pump() {
    if (pump_posted) return;
    pump_posted = true;
    asio::post(io, [this] {
      pump_posted = false;
      pump_now();
    });
  }

  void pump_now() {
    if (!settled.empty()) return;  // acknowledge_settled() pumps once they are written
    bool rate_limited = false;
    while (!ready.empty() && !stopping) {
      std::shared_ptr<Connection> connection;
      if (!idle.empty()) {
        connection = std::move(idle.back());
        idle.pop_back();
      } else if (open_connections < config.concurrency) {
        connection = make_connection(io, tls ? &*tls : nullptr, transport, *this);
        ++open_connections;
        bump(connections_opened);
      } else {
        break;
      }
      if (!take_token()) {
        idle.push_back(std::move(connection));
        rate_limited = true;
        break;
      }
      Job* job = ready.front();
      ready.pop_front();
      start_attempt(std::move(connection), job);
    }
    schedule_wakeup(rate_limited);
  }

  void start_attempt(std::shared_ptr<Connection> connection, Job* job) {
    ++job->attempts;
    const bool first = job->attempt_ns == 0;
    job->attempt_ns = steady_ns();
    if (first) latency_to_send.record((job->attempt_ns - job->accepted_ns) / 1000);
    bump(attempts_total);
    // The header's seconds: the host's clock when it lends one.
    const std::int64_t second = hooks.clock ? hooks.clock->now_ms() / 1000 : coarse_system_s();
    if (second != timestamp_second) {
      timestamp_second = second;
      timestamp_header = "webhook-timestamp: " + std::to_string(second) + "\r\n";
    }
    attempt_headers.assign(timestamp_header);
    if (signer.enabled()) signer.append_header(job->webhook_id, std::to_string(second), job->body, attempt_headers);
    Connection* raw = connection.get();
    raw->busy_slot = busy.size();
    busy.push_back({std::move(connection), job});
    raw->send(*job, attempt_headers);
  }

  // Takes `connection` out of the busy ones; returns its job, or null when
  // it was not busy (abandoned at shutdown).
  Job* release_busy(Connection* connection) {
    std::size_t slot = connection->busy_slot;
    if (slot >= busy.size() || busy[slot].connection.get() != connection) return nullptr;
    Job* job = busy[slot].job;
    connection->busy_slot = static_cast<std::size_t>(-1);
    if (slot + 1 != busy.size()) {
      busy[slot] = std::move(busy.back());
      busy[slot].connection->busy_slot = slot;
    }
    busy.pop_back();
    return job;
  }

  void on_attempt_done(const std::shared_ptr<Connection>& connection, AttemptResult result) override {
    Job* job = release_busy(connection.get());
    if (job == nullptr) return;
    const std::int64_t done_ns = steady_ns();
    if (result.status > 0) latency_response.record((done_ns - job->attempt_ns) / 1000);
    if (result.reusable && !stopping) idle.push_back(connection);
    else --open_connections;

    if (result.stale_keep_alive && !job->fresh_connection_retry_used) {
      // The server closed an idle keep-alive connection as we reused it: not
      // the endpoint's fault, so try once more on a fresh one, uncounted.
      job->fresh_connection_retry_used = true;
      --job->attempts;
      ready.push_front(job);
      return pump();
    }
    std::int64_t now = now_ms();
    redact(result.error);
    job->history.push_back({now, result.status, result.error});
    job->last_response = excerpt_of(std::move(result.response_excerpt));

    Verdict verdict = result.status != 0            ? classify_status(result.status)
                      : result.tls_verification_failed ? Verdict::permanent
                                                       : Verdict::retry;
    if (verdict == Verdict::delivered) {
      latency.record((done_ns - job->accepted_ns) / 1000);
      finish(job, Outcome::delivered, {});
    } else if (verdict == Verdict::retry && job->attempts <= config.retry_count && !stopping) {
      std::uniform_real_distribution<double> unit(0.0, 1.0);
      std::int64_t delay = backoff.delay_ms(job->attempts, unit(random));
      if (!result.retry_after.empty()) {
        if (auto wait = parse_retry_after(result.retry_after, now)) {
          delay = std::max(delay, std::min<std::int64_t>(*wait, 86'400'000));
        }
      }
      job->due_ms = now + delay;
      waiting.push(job);
      waiting_count.fetch_add(1, std::memory_order_relaxed);
      bump(retried);
    } else {
      std::string reason = result.status != 0 ? "HTTP " + std::to_string(result.status) : result.error;
      if (verdict == Verdict::retry) {
        reason += " (gave up after " + std::to_string(job->attempts) + " attempts)";
      } else if (result.status >= 300 && result.status < 400) {
        reason += " (" + describe_redirect(result.status) + ")";
      }
      finish(job, Outcome::failed, reason);
    }
    pump();
  }

  void on_idle_closed(const std::shared_ptr<Connection>& connection) override {
    auto it = std::find(idle.begin(), idle.end(), connection);
    if (it == idle.end()) return;  // not ours any more (shutdown)
    idle.erase(it);
    --open_connections;
    pump();  // room for a fresh one
  }

  void run_due() {
    std::int64_t now = now_ms();
    while (!waiting.empty() && waiting.top()->due_ms <= now) {
      ready.push_back(waiting.top());
      waiting.pop();
      waiting_count.fetch_sub(1, std::memory_order_relaxed);
    }
    pump();
  }

  void schedule_wakeup(bool rate_limited) {
    std::int64_t at = waiting.empty() ? -1 : waiting.top()->due_ms;
    if (rate_limited) {
      std::int64_t token_at = next_token_ms();
      at = at < 0 ? token_at : std::min(at, token_at);
    }
    next_wakeup.store(at, std::memory_order_release);
    if (at < 0 || at == requested_wakeup) return;
    requested_wakeup = at;
    if (hooks.clock) {
      hooks.clock->request_wakeup(at);
      return;
    }
    timer.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(0, at - now_ms())));
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      requested_wakeup = -1;
      run_due();
    });
  }

  // Ends a record: dead letter, delivery log, statistics, completion. (A
  // delivered record's latency is recorded where its response was read.)
  void finish(Job* job, Outcome outcome, std::string error) {
    // The host time is written only into dead letters and the delivery log.
    std::int64_t now = dead_letters.is_open() || delivery_log.is_open() ? now_ms() : 0;
    redact(error);
    int status = job->history.empty() ? 0 : job->history.back().status;
    bool kept_in_spool = job->cut_short && spool;
    if (outcome == Outcome::failed && dead_letters.is_open() && !kept_in_spool) {
      std::string write_error;
      if (dead_letters.append(dead_letter_line(config, *job, error, now), write_error)) {
        outcome = Outcome::dead_lettered;
      } else {
        error += "; dead-letter write failed: " + write_error;
        log_throttled(dead_letter_failures, "delivery.dead_letter_file: cannot write to '" + config.dead_letter_file +
                                                "': " + write_error);
        if (spool) {
          // Not dead-lettered after all: the spool keeps it for the next start.
          kept_in_spool = true;
          error += "; kept in the spool for the next start";
        }
      }
    }
    if (delivery_log.is_open()) {
      std::string write_error;
      if (!delivery_log.append(delivery_log_line(config, *job, outcome == Outcome::delivered, status, error, now,
                                                 system_ms()),
                               write_error)) {
        log_throttled(delivery_log_failures, "delivery.delivery_log_file: cannot write to '" +
                                                 config.delivery_log_file + "': " + write_error);
      }
    }
    switch (outcome) {
      case Outcome::delivered: bump(delivered); break;
      case Outcome::failed: bump(failed); break;
      case Outcome::dead_lettered: bump(dead_lettered); break;
    }
    if (outcome != Outcome::delivered) log(LogLevel::warning, "record " + job->event_id + " not delivered: " + error);

    // A verdict was reached (delivered, dead-lettered, finally failed): the
    // spool lets go, and then the host hears of it. A record cut short by
    // shutdown stays for the next start.
    if (spool && job->spool_seq != 0 && !kept_in_spool) {
      if (stopping) {
        spool->acknowledge(job->spool_seq);
      } else {
        settled.push_back({job, outcome, status, std::move(error)});
        settled_seqs.push_back(job->spool_seq);
        if (settled.size() == 1) asio::post(io, [this] { acknowledge_settled(); });
        return;
      }
    }
    complete(job, outcome, status, std::move(error));
  }

  // A failure that repeats with every record, told once per 10 s.
  void log_throttled(LogThrottle& throttle, std::string message) {
    std::uint64_t suppressed = 0;
    if (!throttle.allow(std::chrono::steady_clock::now(), suppressed)) return;
    if (suppressed > 0) message += " (and " + std::to_string(suppressed) + " more times since the last report)";
    log(LogLevel::error, message);
  }

  // The settled records' acknowledgements in one write; then their
  // completions, and the attempts that waited for them.
  void acknowledge_settled() {
    if (settled.empty()) return;
    spool->acknowledge_many(settled_seqs.data(), settled_seqs.size());
    settled_seqs.clear();
    settled_taken.swap(settled);  // a completion may settle more (a key's next record failing to render)
    for (Settled& s : settled_taken) complete(s.job, s.outcome, s.status, std::move(s.error));
    settled_taken.clear();
    if (!stopping) pump();
  }

  // The host's completion, then the job's resources go.
  void complete(Job* job, Outcome outcome, int status, std::string error) {
    completion.token = job->token;
    completion.outcome = outcome;
    completion.http_status = status;
    completion.attempts = job->attempts;
    completion.error = std::move(error);
    completion.delivery_id = job->webhook_id;  // not copied: the job outlives the callback
    ++completed_count;
    if (hooks.on_completion) hooks.on_completion(completion);
    // After the callback: at shutdown, releasing the key finishes the records
    // queued behind it, which reuses `completion`.
    if (job->has_ordering_key) release_key(job->ordering_key);
    recycle(job);
    release_slots(1);
  }

  void release_key(const std::string& key) {
    auto it = keys.find(key);
    if (it == keys.end()) return;
    if (stopping) {
      // Iteratively, not by recursion through finish(): a key may queue many.
      auto node = keys.extract(it);
      for (Job* queued : node.mapped().waiting) {
        queued->has_ordering_key = false;
        cut_short(queued);
      }
      return;
    }
    if (it->second.waiting.empty()) {
      keys.erase(it);
      return;
    }
    Job* next = it->second.waiting.front();
    it->second.waiting.pop_front();
    ready.push_back(next);
  }

  void cut_short(Job* job) {
    ++cut_count;
    job->cut_short = true;
    finish(job, Outcome::failed,
           "not delivered: the step was destroyed before delivery finished (" + std::to_string(job->attempts) +
               " attempts)" + (spool ? "; kept in the spool for the next start" : ""));
  }

  // Runs on the I/O thread at shutdown: ends every unfinished record.
  std::uint64_t cut_everything_short() {
    stopping = true;
    acknowledge_settled();
    timer.cancel();
    std::vector<Job*> batch;
    {
      std::lock_guard lock(inbox_mutex);
      batch.swap(inbox);
    }
    for (Job* job : batch) {
      job->has_ordering_key = false;  // never admitted: holds no key
      cut_short(job);
    }
    auto in_connections = std::move(busy);
    busy.clear();
    for (auto& entry : in_connections) {
      entry.connection->abandon();
      cut_short(entry.job);  // releasing its key cuts short the key's queue
    }
    for (auto& connection : idle) connection->abandon();
    idle.clear();
    while (!ready.empty()) {
      Job* job = ready.front();
      ready.pop_front();
      cut_short(job);
    }
    while (!waiting.empty()) {
      Job* job = waiting.top();
      waiting.pop();
      waiting_count.fetch_sub(1, std::memory_order_relaxed);
      cut_short(job);
    }
    while (!keys.empty()) {
      auto node = keys.extract(keys.begin());
      for (Job* job : node.mapped().waiting) {
        job->has_ordering_key = false;
        cut_short(job);
      }
    }
    return cut_count;
  }
};

Engine::Engine(Config config, EngineHooks hooks) {
  const Redactor redactor = config.redactor;
  try {
    impl_ = std::make_unique<Impl>(std::move(config), std::move(hooks));
  } catch (const std::exception& e) {
    // A path or a name in the configuration may hold a pasted secret.
    std::string message = e.what();
    redactor.apply(message);
    throw std::runtime_error(message);
  }
}

Engine::~Engine() { shutdown(std::chrono::milliseconds(0)); }

SubmitStatus Engine::submit(std::string_view record_json, std::uint64_t token, std::string& error) {
  RecordView one{record_json, token};
  SubmitStatus status = SubmitStatus::accepted;
  impl_->submit_batch(&one, 1, status, error);
  return status;
}

std::size_t Engine::submit_batch(const RecordView* records, std::size_t count, SubmitStatus& status,
                                 std::string& error) {
  return impl_->submit_batch(records, count, status, error);
}

bool Engine::flush(std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  auto done = [&i] { return i.in_flight.load(std::memory_order_acquire) == 0; };
  if (!i.hooks.host_drives_io) {
    std::unique_lock lock(i.flush_mutex);
    return i.flushed.wait_for(lock, timeout, done);
  }
  // Nobody else may be running the I/O: run it here until done, or wait
  // for the thread that is (in slices, in case it stops).
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now);
    if (Driving driving{i.driving}) {
      if (i.io.stopped()) return done();
      i.drive(left);
    } else {
      std::unique_lock lock(i.flush_mutex);
      i.flushed.wait_for(lock, std::min<std::chrono::microseconds>(left, std::chrono::milliseconds(1)), done);
    }
  }
  return true;
}

std::size_t Engine::poll(std::chrono::microseconds timeout) {
  Impl& i = *impl_;
  if (!i.hooks.host_drives_io || i.shut_down.load(std::memory_order_acquire)) return 0;
  Driving driving{i.driving};
  return driving ? i.drive(timeout) : 0;
}

void Engine::on_time() {
  asio::post(impl_->io, [impl = impl_.get()] {
    impl->requested_wakeup = -1;
    impl->run_due();
  });
}

std::int64_t Engine::next_wakeup_ms() const { return impl_->next_wakeup.load(std::memory_order_acquire); }

void Engine::pending(std::uint64_t& unfinished, std::uint64_t& waiting) const {
  unfinished = impl_->in_flight.load(std::memory_order_acquire);
  waiting = impl_->waiting_count.load(std::memory_order_acquire);
}

std::string Engine::stats_json() const {
  const Impl& i = *impl_;
  json::object o;
  o["submitted"] = i.submitted.load();
  o["delivered"] = i.delivered.load();
  o["retried"] = i.retried.load();
  o["failed"] = i.failed.load();
  o["dead_lettered"] = i.dead_lettered.load();
  o["in_flight"] = i.in_flight.load();
  o["waiting_retry"] = i.waiting_count.load();
  o["rejected_busy"] = i.rejected_busy.load();
  o["rejected_invalid"] = i.rejected_invalid.load();
  o["attempts"] = i.attempts_total.load();
  o["connections_opened"] = i.connections_opened.load();
  if (i.spool) {
    o["spool_bytes"] = i.spool->bytes();
    o["spool_unreadable_records"] = i.spool_unreadable;
  }
  auto percentiles = [](const LatencyHistogram& h) {
    json::object p;
    p["count"] = h.total();
    p["p50_us"] = h.quantile(0.50);
    p["p90_us"] = h.quantile(0.90);
    p["p99_us"] = h.quantile(0.99);
    p["max_us"] = h.max();
    return p;
  };
  o["latency"] = percentiles(i.latency);
  o["latency_to_send"] = percentiles(i.latency_to_send);
  o["latency_response"] = percentiles(i.latency_response);
  return json::serialize(o);
}

std::uint64_t Engine::shutdown(std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  if (i.shut_down.exchange(true)) return 0;
  i.closed.store(true, std::memory_order_release);
  flush(timeout);
  std::uint64_t count = 0;
  if (i.thread.joinable()) {
    std::promise<std::uint64_t> cut;
    asio::post(i.io, [&] { cut.set_value(i.cut_everything_short()); });
    count = cut.get_future().get();
    i.work.reset();
    i.io.stop();
    i.thread.join();
  } else {
    // The host drives the I/O: take it over and end what is left here. A
    // poll still running on another thread is woken, and polls from now on
    // return at once.
    for (;;) {
      if (Driving driving{i.driving}) {
        count = i.cut_everything_short();
        i.work.reset();
        i.io.stop();
        break;
      }
      asio::post(i.io, [] {});
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  i.stop_flusher();
  if (i.spool) i.spool->sync();
  return count;
}

}  // namespace webhook
