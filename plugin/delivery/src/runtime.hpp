// What engines share: the I/O loops (threads of their own, or one the host
// drives), the connection pools per connection key on each loop, the
// recycled jobs and the spool's group commit. An engine alone gets a
// runtime of its own (today's behaviour: one thread, one pool limited by
// delivery.concurrency); engines whose host offers output-step.runtime/1
// with the same key share one (Envoy's workers serving every cluster
// through per-host pools; Vector's sinks as tasks on one runtime).
#pragma once

#include "connection_pool.hpp"
#include "io_loop.hpp"
#include "job_pool.hpp"
#include "spool_flushers.hpp"

#include <webhook/delivery/shared_runtime.hpp>
#include <webhook/transport/connection_settings.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace webhook {

class Runtime {
 public:
  explicit Runtime(RuntimeOptions options);
  ~Runtime();  // once every engine has let go of it
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const RuntimeOptions& options() const { return options_; }
  bool host_drives() const { return options_.host_drives; }

  // Where one engine runs: a loop (the runtime's loops in turn), the
  // recycled jobs of that loop, and the pool of its connection key there.
  struct Seat {
    IoLoop* loop = nullptr;
    JobPool* jobs = nullptr;
    std::shared_ptr<ConnectionPool> pool;
  };
  // [any thread] A seat for an engine whose connections are `settings`.
  // The pool is made on first use with room for `limit` connections
  // divided among the loops (at least one each); a pool already made keeps
  // its own. Throws std::runtime_error when the pool's
  // connections cannot be set up (a CA file that cannot be loaded).
  Seat take_seat(const ConnectionSettings& settings, std::size_t limit);
  // [the seat's loop] The engine's last step: the pool goes with its last
  // user.
  void leave(Seat& seat);

  SpoolFlushers& flushers() { return flushers_; }

  // With host_drives: see poll_runtime().
  std::size_t poll(std::chrono::microseconds timeout);
  // [the loop's thread] A record of an engine on this runtime completed
  // (what poll() reports).
  void count_completion() {
    if (options_.host_drives) ++completed_;  // one loop: one thread at a time
  }

 private:
  // One loop and what belongs to it.
  struct Lane {
    Lane(bool host_drives, std::chrono::microseconds busy_poll) : loop(host_drives, busy_poll) {}
    IoLoop loop;
    JobPool jobs;  // recycled on this loop's thread
    std::unordered_map<ConnectionSettings, std::weak_ptr<ConnectionPool>, ConnectionSettingsHash> pools;
  };
  std::shared_ptr<ConnectionPool> pool_for(Lane& lane, const ConnectionSettings& settings, std::size_t limit);

  RuntimeOptions options_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::mutex mutex_;  // the lanes' pools, the next lane
  std::size_t next_lane_ = 0;
  SpoolFlushers flushers_;
  std::uint64_t completed_ = 0;  // host_drives only (one loop): its driving thread
};

}  // namespace webhook
