#include "job_pool.hpp"

#include <algorithm>

namespace webhook {

std::vector<JobPtr> JobPool::take(std::size_t count) {
  std::vector<JobPtr> taken;
  if (count == 0) return taken;
  std::lock_guard lock(mutex_);
  const std::size_t n = std::min(count, pool_.size());
  taken.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    taken.push_back(std::move(pool_.back()));
    pool_.pop_back();
  }
  return taken;
}

void JobPool::give_back(std::vector<JobPtr>& jobs) {
  if (jobs.empty()) return;
  {
    std::lock_guard lock(mutex_);
    while (!jobs.empty() && pool_.size() < kMaxJobs) {
      pool_.push_back(std::move(jobs.back()));
      jobs.pop_back();
    }
  }
  jobs.clear();  // what did not fit
}

void JobPool::recycle(JobPtr job) {
  if (job->capacity_bytes() > kMaxJobBytes) return;  // freed here
  job->reset();
  returned_.push_back(std::move(job));
  if (returned_.size() >= kReturnBatch) give_back(returned_);
}

}  // namespace webhook
