#include "io_loop.hpp"

#include "steady_ns.hpp"

namespace webhook {

IoLoop::IoLoop(bool host_drives, std::chrono::microseconds busy_poll)
    : host_drives_(host_drives), busy_poll_ns_(std::chrono::nanoseconds(busy_poll).count()) {
  work_.emplace(io_.get_executor());
}

IoLoop::~IoLoop() {
  if (!thread_.joinable()) return;
  work_.reset();
  io_.stop();
  thread_.join();
}

void IoLoop::ring(Ringer& ringer, const std::shared_ptr<bool>& alive) {
  bool first = false;
  {
    std::lock_guard lock(rings_mutex_);
    first = rings_.empty();
    rings_.push_back({&ringer, alive});
  }
  if (first) post([this] { answer_rings(); });
}

void IoLoop::answer_rings() {
  {
    std::lock_guard lock(rings_mutex_);
    answering_.swap(rings_);
  }
  for (Ring& ring : answering_) {
    if (*ring.alive) ring.ringer->on_ring();
  }
  answering_.clear();
}

void IoLoop::start() {
  if (!host_drives_) thread_ = std::thread([this] { run(); });
}

// With busy polling the thread keeps polling (epoll without a timeout)
// that long after its last piece of work before it sleeps: a record or a
// response that comes soon after another is then taken at once instead of
// after a wake-up, which on a virtual machine (a halted vCPU to be
// rescheduled by the host) can take milliseconds. It costs CPU while it
// polls, never more than busy_poll_us per idle spell.
void IoLoop::run() {
  if (busy_poll_ns_ == 0) {
    io_.run();
    return;
  }
  std::int64_t idle_since = 0;
  while (!io_.stopped()) {
    if (io_.poll() > 0) {
      idle_since = 0;
      continue;
    }
    const std::int64_t now = steady_ns();
    if (idle_since == 0) {
      idle_since = now;
    } else if (now - idle_since >= busy_poll_ns_) {
      io_.run_one();  // sleeps until there is work
      idle_since = 0;
    }
  }
}

IoLoop::Driving::Driving(IoLoop& loop)
    : loop_(loop), held_(!loop.driving_.exchange(true, std::memory_order_acquire)) {}

IoLoop::Driving::~Driving() {
  if (!held_) return;
  {
    std::lock_guard lock(loop_.driving_mutex_);
    loop_.driving_.store(false, std::memory_order_release);
  }
  loop_.driving_released_.notify_all();
}

void IoLoop::drive(std::chrono::microseconds timeout) {
  if (io_.poll() > 0 || timeout.count() <= 0 || io_.stopped()) return;
  poll_timed_out_ = false;
  poll_timer_.expires_after(timeout);  // a timerfd: woken to the microsecond
  poll_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) poll_timed_out_ = true;
  });
  io_.run_one();
  if (!poll_timed_out_) poll_timer_.cancel();  // its handler runs below
  io_.poll();
}

}  // namespace webhook
