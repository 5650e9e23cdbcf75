// Collects an engine's completions for tests and waits for them.
#pragma once

#include <webhook/delivery/delivery_engine.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <string>
#include <mutex>
#include <vector>

namespace test_support {

class Completions {
 public:
  void add(const webhook::Completion& c) {
    {
      std::lock_guard lock(mutex_);
      // The id is valid during the callback only: kept here, where a deque
      // does not move it.
      ids_.emplace_back(c.delivery_id);
      all_.push_back(c);
      all_.back().delivery_id = ids_.back();
    }
    changed_.notify_all();
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return all_.size() >= n; });
  }
  std::vector<webhook::Completion> all() const {
    std::lock_guard lock(mutex_);
    return all_;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return all_.size();
  }
  std::function<void(const webhook::Completion&)> callback() {
    return [this](const webhook::Completion& c) { add(c); };
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<webhook::Completion> all_;
  std::deque<std::string> ids_;
};

}  // namespace test_support
