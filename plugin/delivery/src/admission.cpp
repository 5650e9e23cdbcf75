#include "admission.hpp"

#include "spool_record.hpp"
#include "steady_ns.hpp"

#include <webhook/rendering/record_reader.hpp>

#include <algorithm>

namespace webhook {
namespace {

// Rendered records reach the I/O thread in groups: one lock and at most one
// wake-up per group, while the I/O thread can start on the first group
// before the batch is rendered.
constexpr std::size_t kEnqueueGroup = 16;

}  // namespace

std::size_t Admission::submit_batch(const Engine::RecordView* records, std::size_t count, SubmitStatus& status,
                                    std::string& error) {
  status = SubmitStatus::accepted;
  if (closed()) {
    status = SubmitStatus::closed;
    return 0;
  }
  // Slots for the whole batch at once: one atomic operation, not one per record.
  const std::size_t reserved = reserve(count);
  std::vector<JobPtr> spare = p_.pool.take(reserved);  // as many as may be accepted, none when busy
  const std::int64_t accepted_ns = steady_ns();        // one clock read per call: the records arrived together
  std::vector<JobPtr> jobs;                            // rendered, not yet enqueued
  std::size_t accepted = 0;
  std::size_t used = 0;
  for (; used < reserved; ++used) {
    if (!render(records[used], spare, accepted_ns, jobs, error)) {
      bump(p_.stats.rejected_invalid);
      status = SubmitStatus::invalid;
      break;
    }
    if (p_.spool == nullptr && jobs.size() == kEnqueueGroup) {
      accepted += jobs.size();
      enqueue(jobs);  // the I/O thread starts sending while we render the next
    }
  }
  p_.pool.give_back(spare);
  release(reserved - used);
  if (reserved < count && status == SubmitStatus::accepted) {
    bump(p_.stats.rejected_busy);
    status = SubmitStatus::busy;
  }
  if (p_.spool != nullptr) store_in_spool(jobs, status, error);
  accepted += jobs.size();
  enqueue(jobs);
  return accepted;
}

// Reads and renders one record into a job (a spare one when there is one).
// False, with `error`, when the record is not accepted at all.
bool Admission::render(const Engine::RecordView& view, std::vector<JobPtr>& spare, std::int64_t accepted_ns,
                       std::vector<JobPtr>& jobs, std::string& error) {
  if (view.json.size() > p_.config.max_record_bytes) {
    error = "record is " + std::to_string(view.json.size()) + " bytes; delivery.max_record_bytes is " +
            std::to_string(p_.config.max_record_bytes);
    return false;
  }
  // One reader per thread: what it keeps of a record lives only while the
  // record is rendered, in memory it reuses.
  thread_local RecordReader reader;
  const RecordValues* record = reader.read(p_.config.record_paths, view.json, error);
  if (record == nullptr || !RequestBuilder::acceptable(*record, error)) return false;
  JobPtr job;
  if (spare.empty()) {
    job = std::make_unique<Job>();
  } else {
    job = std::move(spare.back());
    spare.pop_back();
  }
  job->token = view.token;
  job->accepted_ns = accepted_ns;
  // The record's text is kept only where it is written again: a dead
  // letter, the spool.
  if (p_.keep_record_text) job->record.assign(view.json);
  p_.builder.build(*record, *job);
  jobs.push_back(std::move(job));
  return true;
}

// Accepted only once in the spool (on disk with fsync=always): what the
// spool did not take is not accepted, and its slots are freed.
void Admission::store_in_spool(std::vector<JobPtr>& jobs, SubmitStatus& status, std::string& error) {
  if (jobs.empty()) return;
  std::vector<std::string> payloads(jobs.size());
  std::vector<std::string_view> views(jobs.size());
  std::vector<std::uint64_t> seqs(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    encode_spool_record({jobs[i]->webhook_id, jobs[i]->record}, payloads[i]);
    views[i] = payloads[i];
  }
  Spool::Append appended = Spool::Append::ok;
  std::string spool_error;
  const std::size_t stored = p_.spool->append_many(views.data(), views.size(), seqs.data(), appended, spool_error);
  for (std::size_t i = 0; i < stored; ++i) jobs[i]->spool_seq = seqs[i];
  release(jobs.size() - stored);
  if (stored == jobs.size()) return;
  jobs.resize(stored);
  if (appended == Spool::Append::failed) {
    error = spool_error;
    p_.log(LogLevel::error, spool_error + "; the record was not accepted");
    status = SubmitStatus::failed;
  } else {
    bump(p_.stats.rejected_busy);
    status = SubmitStatus::busy;
  }
}

void Admission::resubmit(const RecoveredRecord& recovered) {
  const auto stored = decode_spool_record(recovered.payload);
  if (!stored) return;
  RecordReader reader;  // on the thread that opens the spool, once
  std::string error;
  const RecordValues* record = reader.read(p_.config.record_paths, stored->record_json, error);
  auto job = std::make_unique<Job>();  // once per recovered record: no pool
  job->token = kRecoveredToken;
  job->accepted_ns = steady_ns();
  job->record.assign(stored->record_json);
  job->webhook_id.assign(stored->webhook_id);
  if (record == nullptr) job->render_error = "spool: the recovered record is not a JSON object";
  else if (!RequestBuilder::acceptable(*record, error)) job->render_error = "spool: the recovered " + error;
  else p_.builder.build(*record, *job, stored->webhook_id);
  job->spool_seq = recovered.seq;
  in_flight_.fetch_add(1, std::memory_order_acq_rel);
  std::vector<JobPtr> one;
  one.push_back(std::move(job));
  enqueue(one);
}

void Admission::enqueue(std::vector<JobPtr>& jobs) {
  if (jobs.empty()) return;
  p_.stats.submitted.fetch_add(jobs.size(), std::memory_order_relaxed);
  bool was_empty = false;
  {
    std::lock_guard lock(inbox_mutex_);
    was_empty = inbox_.empty();
    for (auto& job : jobs) inbox_.push_back(std::move(job));
  }
  jobs.clear();
  if (was_empty) p_.wake();
}

void Admission::take(std::vector<JobPtr>& out) {
  std::lock_guard lock(inbox_mutex_);
  if (out.empty()) {
    out.swap(inbox_);  // both keep their capacity
    return;
  }
  for (auto& job : inbox_) out.push_back(std::move(job));
  inbox_.clear();
}

// Up to `count` slots under max_in_flight; how many were taken.
std::size_t Admission::reserve(std::size_t count) {
  const std::uint64_t limit = p_.config.max_in_flight;
  std::uint64_t current = in_flight_.load(std::memory_order_relaxed);
  std::uint64_t taken = 0;
  do {
    taken = current >= limit ? 0 : std::min<std::uint64_t>(count, limit - current);
    if (taken == 0) return 0;
  } while (!in_flight_.compare_exchange_weak(current, current + taken, std::memory_order_acq_rel));
  return static_cast<std::size_t>(taken);
}

void Admission::release(std::size_t count) {
  if (count == 0) return;
  if (in_flight_.fetch_sub(count, std::memory_order_acq_rel) == count) {
    std::lock_guard lock(idle_mutex_);
    idle_.notify_all();
  }
}

bool Admission::wait_until_idle(std::chrono::microseconds timeout) {
  std::unique_lock lock(idle_mutex_);
  return idle_.wait_for(lock, timeout, [this] { return in_flight() == 0; });
}

}  // namespace webhook
