// Which accepted record is sent next: the ready ones in order, retries
// waiting for their time, and records waiting behind an earlier record of
// their ordering key. It owns every job it holds. [I/O thread]
#pragma once

#include "job_pool.hpp"

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace webhook {

class Scheduler {
 public:
  // A rendered record: ready, or behind its key's record in progress.
  void admit(JobPtr job);
  // A record to send again at once (a stale keep-alive connection).
  void retry_now(JobPtr job) { ready_.push_front(std::move(job)); }
  // A record to send again at job->due_ms.
  void retry_at(JobPtr job);
  // Moves the retries due at `now_ms` to the ready ones.
  void run_due(std::int64_t now_ms);

  bool has_ready() const { return !ready_.empty(); }
  JobPtr next() {
    JobPtr job = std::move(ready_.front());
    ready_.pop_front();
    return job;
  }
  std::size_t waiting() const { return waiting_.size(); }
  std::size_t ready_count() const { return ready_.size(); }
  // The earliest retry's time, -1 with none.
  std::int64_t next_due_ms() const { return waiting_.empty() ? -1 : waiting_.front()->due_ms; }

  // A record of `key` has finished: the key's next record becomes ready.
  void release_key(const std::string& key);

  // Shutdown: every job it holds, in no particular order; each no longer
  // holds its key.
  std::vector<JobPtr> take_all();

 private:
  std::deque<JobPtr> ready_;
  std::vector<JobPtr> waiting_;  // a heap on due_ms, earliest first
  std::unordered_map<std::string, std::deque<JobPtr>> keys_;  // keys in progress -> later records
};

}  // namespace webhook
