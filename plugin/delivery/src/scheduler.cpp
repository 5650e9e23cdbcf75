#include "scheduler.hpp"

#include <algorithm>

namespace webhook {
namespace {

bool due_later(const JobPtr& a, const JobPtr& b) { return a->due_ms > b->due_ms; }

}  // namespace

void Scheduler::admit(JobPtr job) {
  if (job->has_ordering_key) {
    auto [it, inserted] = keys_.try_emplace(job->ordering_key);
    if (!inserted) {
      it->second.push_back(std::move(job));
      return;
    }
  }
  ready_.push_back(std::move(job));
}

void Scheduler::retry_at(JobPtr job) {
  waiting_.push_back(std::move(job));
  std::push_heap(waiting_.begin(), waiting_.end(), due_later);
}

void Scheduler::run_due(std::int64_t now_ms) {
  while (!waiting_.empty() && waiting_.front()->due_ms <= now_ms) {
    std::pop_heap(waiting_.begin(), waiting_.end(), due_later);
    ready_.push_back(std::move(waiting_.back()));
    waiting_.pop_back();
  }
}

void Scheduler::release_key(const std::string& key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return;
  if (it->second.empty()) {
    keys_.erase(it);
    return;
  }
  ready_.push_back(std::move(it->second.front()));
  it->second.pop_front();
}

std::vector<JobPtr> Scheduler::take_all() {
  std::vector<JobPtr> all;
  for (auto& job : ready_) all.push_back(std::move(job));
  ready_.clear();
  for (auto& job : waiting_) all.push_back(std::move(job));
  waiting_.clear();
  for (auto& [key, queued] : keys_) {
    for (auto& job : queued) all.push_back(std::move(job));
  }
  keys_.clear();
  for (auto& job : all) job->has_ordering_key = false;
  return all;
}

}  // namespace webhook
