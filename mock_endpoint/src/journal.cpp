#include "webhook_mock/journal.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

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
  {
    std::deque<RecordedRequest> gone;
    {
      std::lock_guard lock(mutex_);
      gone.swap(entries_);
    }
  }  // freed here, outside the lock: the server goes on journaling meanwhile
#if defined(__GLIBC__)
  // A journal of a million requests leaves hundreds of MiB in malloc's free
  // lists, resident until reused: give them back to the system, so that a
  // reset mock is as small as a new one.
  malloc_trim(0);
#endif
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
