// One I/O loop of a runtime: an io_context run by a thread of its own,
// or, when the host drives the I/O (output-step.host-io/1), by whichever
// host thread holds the right to (in poll, flush or destroy). Only that
// thread touches the sockets and timers of the engines on it: no locking
// around each socket operation; other threads only post.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace webhook {

class IoLoop {
 public:
  // With `host_drives`, no thread is started: the host runs the loop.
  // `busy_poll` (own thread only): how long the thread keeps polling
  // after its last piece of work before it sleeps.
  IoLoop(bool host_drives, std::chrono::microseconds busy_poll);
  ~IoLoop();
  IoLoop(const IoLoop&) = delete;
  IoLoop& operator=(const IoLoop&) = delete;

  boost::asio::io_context& context() { return io_; }
  bool host_drives() const { return host_drives_; }

  // Starts the thread (own thread only).
  void start();

  template <class Handler>
  void post(Handler&& handler) {
    boost::asio::post(io_, std::forward<Handler>(handler));
  }

  // What rings the doorbell: told on the loop's thread, unless `alive`
  // (its own, cleared on the loop's thread) says it has gone.
  class Ringer {
   public:
    virtual void on_ring() = 0;

   protected:
    ~Ringer() = default;
  };
  // [any thread] `ringer` has work for the loop (its inbox was empty and is
  // not any more). The rings of many engines before the loop gets to them
  // cost one post and one wake-up, not one each.
  void ring(Ringer& ringer, const std::shared_ptr<bool>& alive);

  // The right to run the loop on this thread: one thread at a time, and not
  // again further up the same thread's stack (poll called from a completion).
  class Driving {
   public:
    explicit Driving(IoLoop& loop);
    ~Driving();
    Driving(const Driving&) = delete;
    Driving& operator=(const Driving&) = delete;
    explicit operator bool() const { return held_; }

   private:
    IoLoop& loop_;
    bool held_;
  };

  // [the driving thread] Runs every ready handler; when there was none,
  // waits up to `timeout` for one and runs what became ready.
  void drive(std::chrono::microseconds timeout);
  bool stopped() const { return io_.stopped(); }

  // Runs `last` on the loop's thread and returns once it has: posted to
  // the own thread and waited for; with the host driving, here, once this
  // thread holds the right to drive (a poll in progress is woken and waited
  // for). Handlers posted before it run before it. Not from the loop's
  // thread (a completion).
  template <class Last>
  void run_exclusive(Last&& last);

 private:
  void run();  // the own thread's loop
  void answer_rings();

  struct Ring {
    Ringer* ringer;
    std::shared_ptr<bool> alive;
  };
  std::mutex rings_mutex_;
  std::vector<Ring> rings_, answering_;  // answering_: the loop's thread only

  bool host_drives_;
  std::int64_t busy_poll_ns_;
  boost::asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  boost::asio::steady_timer poll_timer_{io_};  // bounds a drive's wait
  bool poll_timed_out_ = false;
  std::atomic<bool> driving_{false};
  std::mutex driving_mutex_;
  std::condition_variable driving_released_;
};

template <class Last>
void IoLoop::run_exclusive(Last&& last) {
  if (thread_.joinable()) {
    std::promise<void> done;
    post([&] {
      last();
      done.set_value();
    });
    done.get_future().get();
    return;
  }
  std::unique_lock lock(driving_mutex_);
  while (driving_.exchange(true, std::memory_order_acquire)) {
    post([] {});  // wakes a poll waiting in the loop: it returns and lets go
    driving_released_.wait(lock, [this] { return !driving_.load(std::memory_order_acquire); });
  }
  lock.unlock();
  last();
  lock.lock();
  driving_.store(false, std::memory_order_release);
  lock.unlock();
  driving_released_.notify_all();
}

}  // namespace webhook
