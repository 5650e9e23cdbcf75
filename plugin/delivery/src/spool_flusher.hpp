// The spool's group commit with fsync "batch": a thread that syncs the
// spool every 5 ms, outside the submitters' way.
#pragma once

#include <webhook/delivery/spool.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace webhook {

class SpoolFlusher {
 public:
  explicit SpoolFlusher(Spool& spool) : thread_([this, &spool] { run(spool); }) {}
  ~SpoolFlusher() { stop(); }
  SpoolFlusher(const SpoolFlusher&) = delete;
  SpoolFlusher& operator=(const SpoolFlusher&) = delete;

  // Idempotent; returns once the thread has ended.
  void stop() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void run(Spool& spool) {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      wake_.wait_for(lock, std::chrono::milliseconds(5));
      lock.unlock();
      spool.sync();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the rest is made
};

}  // namespace webhook
