// Finished jobs go back to a pool that submitters take from: in the steady
// state a record costs no allocation, and no buffer is allocated on one
// thread and freed on another (which makes malloc's arenas contend).
#pragma once

#include <webhook/delivery/job.hpp>

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace webhook {

using JobPtr = std::unique_ptr<Job>;

class JobPool {
 public:
  static constexpr std::size_t kMaxJobs = 4096;
  static constexpr std::size_t kMaxJobBytes = std::size_t{16} * 1024;  // larger jobs are freed
  static constexpr std::size_t kReturnBatch = 32;

  // [any thread] Up to `count` recycled jobs (fewer when the pool has
  // fewer; the caller makes the rest).
  std::vector<JobPtr> take(std::size_t count);
  // [any thread] Keeps what fits in the pool; frees the rest. Empties `jobs`.
  void give_back(std::vector<JobPtr>& jobs);
  // [I/O thread] A finished job, reset, on its way back (in batches).
  void recycle(JobPtr job);

 private:
  std::mutex mutex_;
  std::vector<JobPtr> pool_;
  std::vector<JobPtr> returned_;  // I/O thread only
};

}  // namespace webhook
