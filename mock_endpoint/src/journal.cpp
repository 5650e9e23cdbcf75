#include "webhook_mock/journal.hpp"

namespace webhook_mock {

void Journal::add(RecordedRequest request) {
  {
    std::lock_guard lock(mutex_);
    request.sequence = ++total_;
    entries_.push_back(std::move(request));
    while (entries_.size() > limit_) {
      entries_.pop_front();
      ++evicted_;
    }
  }
  arrived_.notify_all();
}

std::vector<RecordedRequest> Journal::snapshot() const {
  std::lock_guard lock(mutex_);
  return {entries_.begin(), entries_.end()};
}

void Journal::for_each(const std::function<void(const RecordedRequest&)>& visit) const {
  std::lock_guard lock(mutex_);
  for (const auto& entry : entries_) visit(entry);
}

std::size_t Journal::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::uint64_t Journal::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::uint64_t Journal::evicted() const {
  std::lock_guard lock(mutex_);
  return evicted_;
}

void Journal::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

bool Journal::wait(const std::function<bool()>& ready, std::chrono::milliseconds timeout) const {
  // `ready` may read the journal, so it runs unlocked; a short slice covers
  // an entry that lands between the check and the wait.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ready()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(deadline - now, std::chrono::milliseconds(20)));
  }
  return true;
}

}  // namespace webhook_mock
