// Collects an engine's completions for tests and waits for them.
#pragma once

#include "delivery_engine.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace test_support {

class Completions {
 public:
  void add(const webhook::Completion& c) {
    {
      std::lock_guard lock(mutex_);
      all_.push_back(c);
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
};

}  // namespace test_support
