// The glue of the engine's parts: admission (submit side), the scheduler,
// the connection pool, the retry strategy, the outcome files, settlement
// with the spool, and the completions. docs/architecture.md draws them.
#include <webhook/delivery/delivery_engine.hpp>

#include "admission.hpp"
#include "attempt_headers.hpp"
#include "circuits.hpp"
#include "connection_pool.hpp"
#include "engine_log.hpp"
#include "engine_settings.hpp"
#include "io_loop.hpp"
#include "jitter.hpp"
#include "job_pool.hpp"
#include "outcome_files.hpp"
#include "rate_limit.hpp"
#include "runtime.hpp"
#include "scheduler.hpp"
#include "settlement.hpp"
#include "stats.hpp"
#include "steady_ns.hpp"

#include <webhook/delivery/retry_policy.hpp>
#include <webhook/delivery/spool.hpp>
#include <webhook/rendering/request_builder.hpp>
#include <webhook/transport/http_response.hpp>

#include <atomic>
#include <ctime>
#include <numeric>
#include <stdexcept>

namespace webhook {
namespace {

constexpr std::string_view kGone = "endpoint answered 410 Gone: activation disabled";

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

}  // namespace

struct Engine::Impl final : AttemptHandler, IoLoop::Ringer {
  Impl(Config c, EngineHooks h);
  ~Impl();

  // Declared in the order they are made; destroyed the other way.
  Config config;
  EngineHooks hooks;
  EngineLog log{hooks.log};
  RequestBuilder builder{config};
  RetryStrategy retry{retry_policy_of(config)};
  AttemptHeaders attempt_headers{config.signing_key};
  Stats stats;
  std::shared_ptr<Runtime> runtime = runtime_for(config, hooks);
  // Its pool made before the files and the spool: a CA file that cannot
  // be loaded fails creation before anything is opened or locked.
  Runtime::Seat seat =
      runtime->take_seat(connection_settings(config), hooks.runtime ? config.origin_concurrency : config.concurrency);
  IoLoop& io = *seat.loop;
  JobPool& jobs = *seat.jobs;
  ConnectionPool& connections = *seat.pool;
  const std::size_t excerpt_limit = excerpt_bytes(config);
  OutcomeFiles outcome_files{config, hooks.write_file, log};
  RecoveryReport recovery;
  std::unique_ptr<Spool> spool = open_spool(config, hooks.write_file, recovery);
  // False once the engine's last step ran: a handler of the engine still
  // queued on the shared loop then does nothing. [the loop's thread]
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  Admission admission{AdmissionParts{config, builder, jobs, spool.get(), stats, log,
                                     spool != nullptr || outcome_files.has_dead_letters(),
                                     [this] { io.ring(*this, alive); }}};
  std::atomic<bool> shut_down{false};
  std::atomic<std::int64_t> next_wakeup{-1};

  // I/O thread only (the pool above too).
  Circuits circuits{config.circuit_breaker, connections, origin_of(config), log};
  Scheduler scheduler;
  RateLimit rate;
  Settlement settlement;
  boost::asio::steady_timer timer{io.context()};
  std::vector<JobPtr> draining;   // the inbox, taken
  Completion completion;          // reused: no allocation per record
  std::uint64_t cut_count = 0;
  std::size_t sending = 0;  // attempts in progress (in the pool): at most delivery.concurrency
  std::int64_t requested_wakeup = -1;
  std::int64_t circuit_wait = -1;  // a circuit's cool-down ends then: look again
  bool circuit_blocked = false;    // a circuit holds the ready records back
  bool pump_posted = false;
  bool waiting_turn = false;  // in the pool's queue of engines waiting for room
  bool stopping = false;
  bool disabled = false;  // a 410 Gone with delivery.disable_on_410: every record is dead-lettered
  Jitter random;

  std::int64_t now_ms() const { return hooks.clock ? hooks.clock->now_ms() : system_ms(); }
  // Runs `handler` on the loop unless the engine has ended by then.
  template <class Handler>
  void post(Handler&& handler) {
    io.post([alive = alive, handler = std::forward<Handler>(handler)]() mutable {
      if (*alive) handler();
    });
  }
  void report_recovery();

  void drain();
  void on_ring() override { drain(); }
  void admit(JobPtr job);
  void pump();
  void pump_now();
  bool may_send() const { return scheduler.has_ready() && !stopping && sending < config.concurrency; }
  void wait_for_turn();
  void start_attempt(JobPtr job);
  void on_attempt_done(JobPtr job, AttemptResult result) override;
  void on_turn() override;
  void on_circuit_change() override { pump(); }
  bool circuits_allow();
  void run_due();
  void schedule_wakeup(bool rate_limited);
  void finish(JobPtr job, Outcome outcome, std::string error);
  bool write_outcome(const Job& job, Outcome& outcome, std::string& error, int status);
  void acknowledge_settled();
  void complete(JobPtr job, Outcome outcome, int status, std::string error);
  void disable();
  void cut_short(JobPtr job);
  std::uint64_t cut_everything_short();
  void last_step(std::uint64_t& cut);
};

Engine::Impl::Impl(Config c, EngineHooks h)
    : config(std::move(c)), hooks(std::move(h)), rate(config.rate_limit_per_second, now_ms()) {
  if (config.endpoint.scheme == "https" && !config.tls.verify) {
    log(LogLevel::warning, "delivery.tls.verify is false: the server's certificate and host name are NOT checked");
  }
  if (spool) {
    report_recovery();
    if (config.spool->fsync == FsyncPolicy::batch) runtime->flushers().add(*spool);
  }
  const auto schedule_span = std::accumulate(config.retry_schedule.begin(), config.retry_schedule.end(),
                                             std::chrono::milliseconds(0));
  if (schedule_span > std::chrono::hours(1) && !spool) {
    log(LogLevel::warning, "delivery.retry.schedule spans " + duration_text(schedule_span.count()) +
                               " without delivery.spool: records waiting that long for a retry live only in "
                               "memory, and are lost if the process ends");
  }
  if (hooks.host_drives_io && config.busy_poll.count() > 0) {
    log(LogLevel::warning, "delivery.busy_poll_us has no effect: the host drives the step's I/O");
  }
  try {
    for (auto& recovered : recovery.unacknowledged) admission.resubmit(recovered);
  } catch (...) {
    // Out of memory half-way: what was resubmitted may be on the loop
    // already, which may be shared: the engine's last step, then the error.
    admission.close();
    std::uint64_t cut = 0;
    io.run_exclusive([&] { last_step(cut); });
    if (spool) runtime->flushers().remove(*spool);
    throw;
  }
  recovery.unacknowledged.clear();
}

Engine::Impl::~Impl() {
  if (spool) runtime->flushers().remove(*spool);
}

void Engine::Impl::report_recovery() {
  if (!recovery.unacknowledged.empty()) {
    log(LogLevel::info, "spool: recovered " + std::to_string(recovery.unacknowledged.size()) +
                            " accepted records not yet delivered; delivering them first");
  }
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

// ---- I/O thread ----------------------------------------------------------

void Engine::Impl::drain() {
  admission.take(draining);
  for (JobPtr& job : draining) admit(std::move(job));
  draining.clear();
  pump();
}

void Engine::Impl::admit(JobPtr job) {
  if (stopping || disabled || !job->render_error.empty()) job->has_ordering_key = false;  // it never held its key
  if (stopping) return cut_short(std::move(job));
  if (disabled) return finish(std::move(job), Outcome::failed, std::string(kGone));
  if (!job->render_error.empty()) {
    std::string error = job->render_error;
    return finish(std::move(job), Outcome::failed, std::move(error));
  }
  scheduler.admit(std::move(job));
}

// Starts attempts soon: after the handlers already queued have run, so
// that an idle connection whose read has completed (stray bytes, a close)
// is taken out of the idle ones before one is picked.
void Engine::Impl::pump() {
  if (pump_posted) return;
  pump_posted = true;
  post([this] {
    pump_posted = false;
    pump_now();
  });
}

void Engine::Impl::pump_now() {
  if (!settlement.empty()) return;  // acknowledge_settled() pumps once they are written
  bool rate_limited = false;
  while (may_send()) {
    if (!connections.can_send()) {
      wait_for_turn();
      break;
    }
    if (!circuits_allow()) break;
    if (!rate.take(now_ms())) {
      rate_limited = true;
      break;
    }
    start_attempt(scheduler.next());
  }
  schedule_wakeup(rate_limited);
}

// The pool is full, or other engines wait for it before this one: in line.
void Engine::Impl::wait_for_turn() {
  if (waiting_turn) return;
  waiting_turn = true;
  connections.wait(*this);
}

// This engine's turn in the pool: one record, then back in line for the
// next (round-robin between the engines of an origin).
void Engine::Impl::on_turn() {
  waiting_turn = false;
  if (!settlement.empty() || !may_send()) return;  // pumped again when that changes
  if (!circuits_allow()) return schedule_wakeup(false);
  if (!rate.take(now_ms())) return schedule_wakeup(true);
  start_attempt(scheduler.next());
  if (may_send()) wait_for_turn();
}

// With delivery.circuit_breaker: whether the circuits let an attempt start;
// while they do not, the ready records count as waiting for a retry.
bool Engine::Impl::circuits_allow() {
  if (!circuits.enabled()) return true;
  std::int64_t until = -1;
  const bool allowed = circuits.may_start(now_ms(), *this, until);
  circuit_wait = allowed ? -1 : until;
  if (!allowed || circuit_blocked) {
    stats.waiting_retry.store(scheduler.waiting() + (allowed ? 0 : scheduler.ready_count()), std::memory_order_relaxed);
  }
  circuit_blocked = !allowed;
  return allowed;
}

void Engine::Impl::start_attempt(JobPtr job) {
  ++job->attempts;
  const bool first = job->attempt_ns == 0;
  job->attempt_ns = steady_ns();
  if (first && config.retry_max_age.count() > 0) job->first_attempt_ms = now_ms();
  if (circuits.enabled()) circuits.started(now_ms());
  if (first) stats.latencies().latency_to_send.record((job->attempt_ns - job->accepted_ns) / 1000);
  bump(stats.attempts);
  // The header's seconds: the host's clock when it lends one.
  const std::int64_t second = hooks.clock ? hooks.clock->now_ms() / 1000 : coarse_system_s();
  Request request = take_request(*job);
  request.excerpt_bytes = excerpt_limit;
  attempt_headers.write(second, job->webhook_id, request.body, request.attempt_headers);
  const std::uint64_t opened = connections.connections_opened();
  ++sending;
  connections.send(std::move(job), std::move(request), *this);
  if (connections.connections_opened() != opened) bump(stats.connections_opened);
}

void Engine::Impl::on_attempt_done(JobPtr job, AttemptResult result) {
  --sending;
  const std::int64_t done_ns = steady_ns();
  if (result.status > 0) stats.latencies().latency_response.record((done_ns - job->attempt_ns) / 1000);
  if (result.stale_keep_alive && !job->fresh_connection_retry_used) {
    // The server closed an idle keep-alive connection as we reused it: not
    // the endpoint's fault, so try once more on a fresh one, uncounted.
    job->fresh_connection_retry_used = true;
    --job->attempts;
    circuits.on_void();
    scheduler.retry_now(std::move(job));
    return pump();
  }
  const std::int64_t now = now_ms();
  config.redactor.apply(result.error);
  circuits.on_result(result.status, result.status == 0, now, result.error);  // a TLS verification failure too
  job->history.push_back({now, result.status, result.error});
  job->last_response = excerpt_of(config, std::move(result.response_excerpt));
  if (result.status == 410 && config.disable_on_410) disable();
  if (disabled && (result.status < 200 || result.status >= 300)) {
    finish(std::move(job), Outcome::failed, std::string(kGone));
    return pump();
  }
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Decision decision = retry.decide(
      {result.status, result.tls_verification_failed, result.error, result.retry_after, job->first_attempt_ms},
      job->attempts, !stopping, now, unit(random));
  switch (decision.kind) {
    case Decision::Kind::delivered:
      stats.latencies().latency.record((done_ns - job->accepted_ns) / 1000);
      finish(std::move(job), Outcome::delivered, {});
      break;
    case Decision::Kind::retry:
      job->due_ms = now + decision.delay_ms;
      scheduler.retry_at(std::move(job));
      stats.waiting_retry.store(scheduler.waiting(), std::memory_order_relaxed);
      bump(stats.retried);
      break;
    case Decision::Kind::fail: finish(std::move(job), Outcome::failed, std::move(decision.reason)); break;
  }
  // In the pool's line already, its turn comes: only a retry's time may
  // have changed.
  if (waiting_turn) schedule_wakeup(false);
  else pump();
}

void Engine::Impl::run_due() {
  scheduler.run_due(now_ms());
  stats.waiting_retry.store(scheduler.waiting(), std::memory_order_relaxed);
  pump();
}

void Engine::Impl::schedule_wakeup(bool rate_limited) {
  std::int64_t at = scheduler.next_due_ms();
  if (circuit_blocked && circuit_wait >= 0) at = at < 0 ? circuit_wait : std::min(at, circuit_wait);
  if (rate_limited) {
    const std::int64_t token_at = rate.next_token_ms();
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
  timer.async_wait([this, alive = alive](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    requested_wakeup = -1;
    run_due();
  });
}

// Ends a record: dead letter, delivery log, statistics; then the spool's
// acknowledgement (settled in batches) and the completion.
void Engine::Impl::finish(JobPtr job, Outcome outcome, std::string error) {
  config.redactor.apply(error);
  const int status = job->history.empty() ? 0 : job->history.back().status;
  const bool kept_in_spool = write_outcome(*job, outcome, error, status);
  switch (outcome) {
    case Outcome::delivered: bump(stats.delivered); break;
    case Outcome::failed: bump(stats.failed); break;
    case Outcome::dead_lettered: bump(stats.dead_lettered); break;
  }
  if (outcome != Outcome::delivered) log(LogLevel::warning, "record " + job->event_id + " not delivered: " + error);
  // A verdict was reached (delivered, dead-lettered, finally failed): the
  // spool lets go, and then the host hears of it. A record cut short by
  // shutdown stays for the next start.
  if (spool && job->spool_seq != 0 && !kept_in_spool) {
    if (stopping) {
      spool->acknowledge(job->spool_seq);
    } else {
      if (settlement.add({std::move(job), outcome, status, std::move(error)})) {
        post([this] { acknowledge_settled(); });
      }
      return;
    }
  }
  complete(std::move(job), outcome, status, std::move(error));
}

// The dead letter and the delivery log's row. Returns whether the spool
// keeps the record for the next start (cut short, or its dead letter could
// not be written); `outcome` becomes dead_lettered once the letter is written.
bool Engine::Impl::write_outcome(const Job& job, Outcome& outcome, std::string& error, int status) {
  // The host time is written only into dead letters and the delivery log.
  const std::int64_t now = outcome_files.any_open() ? now_ms() : 0;
  bool kept_in_spool = job.cut_short && spool;
  if (outcome == Outcome::failed && outcome_files.has_dead_letters() && !kept_in_spool) {
    std::string write_error;
    if (outcome_files.write_dead_letter(job, error, now, write_error)) {
      outcome = Outcome::dead_lettered;
    } else {
      error += "; dead-letter write failed: " + write_error;
      if (spool) {
        kept_in_spool = true;  // not dead-lettered after all: the spool keeps it for the next start
        error += "; kept in the spool for the next start";
      }
    }
  }
  outcome_files.write_delivery_log(job, outcome == Outcome::delivered, status, error, now, system_ms());
  return kept_in_spool;
}

// The settled records' acknowledgements in one write; then their
// completions, and the attempts that waited for them.
void Engine::Impl::acknowledge_settled() {
  if (settlement.empty()) return;
  for (Settled& s : settlement.acknowledge(*spool)) complete(std::move(s.job), s.outcome, s.status, std::move(s.error));
  if (!stopping) pump();
}

// The host's completion, then the job's resources go.
void Engine::Impl::complete(JobPtr job, Outcome outcome, int status, std::string error) {
  completion.token = job->token;
  completion.outcome = outcome;
  completion.http_status = status;
  completion.attempts = job->attempts;
  completion.error = std::move(error);
  completion.delivery_id = job->webhook_id;  // not copied: the job outlives the callback
  runtime->count_completion();
  if (hooks.on_completion) hooks.on_completion(completion);
  if (job->has_ordering_key) scheduler.release_key(job->ordering_key);
  jobs.recycle(std::move(job));
  admission.release(1);
}

// A 410 Gone with delivery.disable_on_410: the endpoint says it is gone for
// good. Every record held, and every later one, is dead-lettered (for
// journey-sim replay) until the host creates the step again.
void Engine::Impl::disable() {
  if (disabled) return;
  disabled = true;
  stats.disabled.store(true, std::memory_order_relaxed);
  log(LogLevel::error, std::string(kGone) + " (delivery.disable_on_410): its records are dead-lettered until the "
                                            "step is created again");
  for (JobPtr& job : scheduler.take_all()) {
    job->has_ordering_key = false;
    finish(std::move(job), Outcome::failed, std::string(kGone));
  }
  stats.waiting_retry.store(0, std::memory_order_relaxed);
}

void Engine::Impl::cut_short(JobPtr job) {
  ++cut_count;
  job->cut_short = true;
  const std::string error = "not delivered: the step was destroyed before delivery finished (" +
                            std::to_string(job->attempts) + " attempts)" +
                            (spool ? "; kept in the spool for the next start" : "");
  finish(std::move(job), Outcome::failed, error);
}

// At shutdown, on the loop's thread: ends every unfinished record.
std::uint64_t Engine::Impl::cut_everything_short() {
  stopping = true;
  acknowledge_settled();
  timer.cancel();
  std::vector<JobPtr> left;
  admission.take(left);
  for (JobPtr& job : left) job->has_ordering_key = false;  // never admitted: holds no key
  for (JobPtr& job : connections.abandon(*this)) left.push_back(std::move(job));
  sending = 0;
  waiting_turn = false;
  for (JobPtr& job : scheduler.take_all()) left.push_back(std::move(job));
  for (JobPtr& job : left) {
    job->has_ordering_key = false;
    cut_short(std::move(job));
  }
  stats.waiting_retry.store(0, std::memory_order_relaxed);
  return cut_count;
}

// The engine's last moment on the loop: what is unfinished is cut short,
// its place in the pool given up; nothing of it runs on the loop after.
void Engine::Impl::last_step(std::uint64_t& cut) {
  cut = cut_everything_short();
  circuits.leave();
  runtime->leave(seat);
  *alive = false;
}

// ---- Engine --------------------------------------------------------------

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

Engine::~Engine() {
  try {
    shutdown(std::chrono::milliseconds(0));
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; shutdown reports nothing more
  }
}

SubmitStatus Engine::submit(std::string_view record_json, std::uint64_t token, std::string& error) {
  RecordView one{record_json, token};
  SubmitStatus status = SubmitStatus::accepted;
  impl_->admission.submit_batch(&one, 1, status, error);
  return status;
}

std::size_t Engine::submit_batch(const RecordView* records, std::size_t count, SubmitStatus& status,
                                 std::string& error) {
  return impl_->admission.submit_batch(records, count, status, error);
}

bool Engine::flush(std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  auto done = [&i] { return i.admission.in_flight() == 0; };
  if (!i.io.host_drives()) return i.admission.wait_until_idle(timeout);
  // Nobody else may be running the I/O: run it here until done, or wait
  // for the thread that is (in slices, in case it stops).
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now);
    if (IoLoop::Driving driving{i.io}) {
      if (i.io.stopped()) return done();
      i.io.drive(left);
    } else {
      i.admission.wait_until_idle(std::min<std::chrono::microseconds>(left, std::chrono::milliseconds(1)));
    }
  }
  return true;
}

std::size_t Engine::poll(std::chrono::microseconds timeout) {
  Impl& i = *impl_;
  if (!i.io.host_drives() || i.shut_down.load(std::memory_order_acquire)) return 0;
  return i.runtime->poll(timeout);
}

void Engine::on_time() {
  impl_->post([impl = impl_.get()] {
    impl->requested_wakeup = -1;
    impl->run_due();
  });
}

std::int64_t Engine::next_wakeup_ms() const noexcept { return impl_->next_wakeup.load(std::memory_order_acquire); }

void Engine::pending(std::uint64_t& unfinished, std::uint64_t& waiting) const noexcept {
  unfinished = impl_->admission.in_flight();
  waiting = impl_->stats.waiting_retry.load(std::memory_order_acquire);
}

std::string Engine::stats_json() const {
  const Impl& i = *impl_;
  std::optional<Stats::SpoolFigures> spool;
  if (i.spool) spool = Stats::SpoolFigures{i.spool->bytes(), i.recovery.unreadable_records};
  return i.stats.to_json(i.admission.in_flight(), i.circuits.open_count(), spool);
}

std::uint64_t Engine::shutdown(std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  if (i.shut_down.exchange(true)) return 0;
  i.admission.close();
  flush(timeout);
  std::uint64_t count = 0;
  i.io.run_exclusive([&] { i.last_step(count); });
  if (i.spool) {
    i.runtime->flushers().remove(*i.spool);
    i.spool->sync();
  }
  return count;
}

}  // namespace webhook
