// The request journal: bounded, oldest entries evicted (and counted).
// Thread-safe; shared by the server threads, the admin API and tests.
#pragma once

#include "webhook_mock/recorded_request.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

namespace webhook_mock {

class Journal {
 public:
  explicit Journal(std::size_t limit) : limit_(limit) {}

  // Stamps `request.sequence` and keeps it.
  void add(RecordedRequest request);
  std::vector<RecordedRequest> snapshot() const;  // oldest first
  // Visits every entry, oldest first, under the journal's lock: `visit`
  // must be quick and must not call back into the journal.
  void for_each(const std::function<void(const RecordedRequest&)>& visit) const;
  std::size_t size() const;
  std::uint64_t total() const;
  std::uint64_t evicted() const;
  // Drops every entry and returns the memory they held to the system.
  void clear();
  // Waits until `ready()` holds (checked at every new entry) or `timeout` passes.
  bool wait(const std::function<bool()>& ready, std::chrono::milliseconds timeout) const;

 private:
  std::size_t limit_;
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::deque<RecordedRequest> entries_;
  std::uint64_t total_ = 0;
  std::uint64_t evicted_ = 0;
};

}  // namespace webhook_mock
