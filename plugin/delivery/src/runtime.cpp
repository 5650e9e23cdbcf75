#include "runtime.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace webhook {

Runtime::Runtime(RuntimeOptions options) : options_(options) {
  const std::size_t lanes = options_.host_drives ? 1 : std::max<std::uint32_t>(1, options_.io_threads);
  for (std::size_t i = 0; i < lanes; ++i) lanes_.push_back(std::make_unique<Lane>(options_.host_drives, options_.busy_poll));
  for (auto& lane : lanes_) lane->loop.start();
}

// Every engine has left: the flushers' thread ends, then the loops (their
// threads joined), with what belongs to each.
Runtime::~Runtime() {
  flushers_.stop();
  lanes_.clear();
}

Runtime::Seat Runtime::take_seat(const ConnectionSettings& settings, std::size_t limit) {
  std::lock_guard lock(mutex_);
  Lane& lane = *lanes_[next_lane_];
  next_lane_ = (next_lane_ + 1) % lanes_.size();
  const std::size_t per_lane = std::max<std::size_t>(1, limit / lanes_.size());
  return Seat{&lane.loop, &lane.jobs, pool_for(lane, settings, per_lane)};
}

std::shared_ptr<ConnectionPool> Runtime::pool_for(Lane& lane, const ConnectionSettings& settings, std::size_t limit) {
  auto& pools = lane.pools;
  auto it = pools.find(settings);
  if (it != pools.end()) {
    if (auto pool = it->second.lock()) return pool;
  }
  // Forget the pools that went (keys that are no longer used), then make
  // this one: its factory loads the CA file, which may throw.
  for (auto gone = pools.begin(); gone != pools.end();) {
    gone = gone->second.expired() ? pools.erase(gone) : std::next(gone);
  }
  auto pool =
      std::make_shared<ConnectionPool>(lane.loop, make_asio_connection_factory(lane.loop.context(), settings), limit);
  pools[settings] = pool;
  return pool;
}

// On the seat's loop, where the pool's connections live.
void Runtime::leave(Seat& seat) { seat.pool.reset(); }

std::size_t Runtime::poll(std::chrono::microseconds timeout) {
  IoLoop& loop = lanes_.front()->loop;
  if (!options_.host_drives) return 0;
  IoLoop::Driving driving{loop};
  if (!driving) return 0;
  const std::uint64_t before = completed_;
  loop.drive(timeout);
  return static_cast<std::size_t>(completed_ - before);
}

namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::pair<std::string, const void*>, std::weak_ptr<Runtime>> runtimes;
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: engines may outlive static destruction
  return *r;
}

}  // namespace

std::shared_ptr<Runtime> shared_runtime(const std::string& key, const void* scope, const RuntimeOptions& options) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto& slot = r.runtimes[{key, scope}];
  if (auto runtime = slot.lock()) return runtime;
  for (auto gone = r.runtimes.begin(); gone != r.runtimes.end();) {
    gone = gone->second.expired() && &gone->second != &slot ? r.runtimes.erase(gone) : std::next(gone);
  }
  auto runtime = std::make_shared<Runtime>(options);
  slot = runtime;
  return runtime;
}

const RuntimeOptions& options_of(const Runtime& runtime) { return runtime.options(); }

std::size_t poll_runtime(Runtime& runtime, std::chrono::microseconds timeout) { return runtime.poll(timeout); }

}  // namespace webhook
