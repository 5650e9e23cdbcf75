// The spools' group commit with fsync "batch": one thread for every spool
// of a runtime, that syncs each of them every 5 ms (a spool with nothing
// written since its last sync costs a lock and a flag). Started with the
// first spool, outside the submitters' way.
#pragma once

#include <webhook/delivery/spool.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace webhook {

class SpoolFlushers {
 public:
  SpoolFlushers() = default;
  ~SpoolFlushers() { stop(); }
  SpoolFlushers(const SpoolFlushers&) = delete;
  SpoolFlushers& operator=(const SpoolFlushers&) = delete;

  // [any thread] `spool` is synced every 5 ms from now on, until remove().
  void add(Spool& spool) {
    std::lock_guard lock(mutex_);
    spools_.push_back(&spool);
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }

  // [any thread] Returns once `spool` is no longer synced here (it waits
  // for a sync of this spool in progress, never for another spool's).
  void remove(Spool& spool) {
    std::unique_lock lock(mutex_);
    spools_.erase(std::remove(spools_.begin(), spools_.end(), &spool), spools_.end());
    synced_.wait(lock, [&] { return syncing_ != &spool; });
  }

  // Idempotent; returns once the thread has ended.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      wake_.wait_for(lock, std::chrono::milliseconds(5));
      for (std::size_t i = 0; i < spools_.size() && !stop_; ++i) {
        syncing_ = spools_[i];
        lock.unlock();
        syncing_->sync();
        lock.lock();
        syncing_ = nullptr;
        synced_.notify_all();
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, synced_;
  std::vector<Spool*> spools_;
  Spool* syncing_ = nullptr;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace webhook
