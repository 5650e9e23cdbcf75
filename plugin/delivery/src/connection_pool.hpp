// The connections of one connection key on one loop: idle ones to reuse,
// busy ones each with the job whose request it is sending (the pool owns
// that job until the attempt ends) and the engine it is for, a limit on
// how many are open, and the engines waiting for room, served in turn: one
// record each, round-robin, so that an engine with many ready records
// cannot starve the others of an origin they share. New connections come
// from an injected factory. [the loop's thread]
#pragma once

#include "circuit_breaker.hpp"
#include "io_loop.hpp"
#include "job_pool.hpp"

#include <webhook/transport/http_connection.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace webhook {

class AttemptHandler {
 public:
  // An attempt ended: the job (its request back in it) and what happened.
  virtual void on_attempt_done(JobPtr job, AttemptResult result) = 0;
  // The pool has room and it is this handler's turn (it asked with
  // wait()): it may send one record now, and wait() again for the next.
  virtual void on_turn() = 0;
  // The circuit of the pool's connection key changed (it asked with
  // wait_for_circuit()): closed, or open again for a longer cool-down.
  virtual void on_circuit_change() = 0;

 protected:
  ~AttemptHandler() = default;
};

class ConnectionPool final : private ConnectionOwner {
 public:
  ConnectionPool(IoLoop& loop, std::unique_ptr<ConnectionFactory> factory, std::size_t limit);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Whether a handler may send now without taking another's turn: room (an
  // idle connection, or room for one) and nobody waiting for it.
  bool can_send() const { return waiting_.empty() && has_room(); }
  // Sends `request` for `job` on an idle connection or a new one; the
  // result goes to `handler`. Only when can_send(), or from on_turn().
  void send(JobPtr job, Request request, AttemptHandler& handler);
  // `handler`'s on_turn() is called once there is room and the handlers
  // that asked before it have had theirs. Once per turn.
  void wait(AttemptHandler& handler);

  std::uint64_t connections_opened() const { return opened_; }

  // The circuit breaker of connection failures to this key, shared by the
  // engines that ask for one (made with the first one's settings). [any
  // thread: engines are created on their hosts' threads] Its engines keep
  // it, so that their stats may read its state after the pool is gone.
  std::shared_ptr<CircuitBreaker> breaker(const CircuitBreakerSettings& settings);
  // `handler`'s on_circuit_change() is called at the circuit's next change.
  void wait_for_circuit(AttemptHandler& handler);
  // The circuit changed: every handler waiting for it hears.
  void circuit_changed();

  // `handler` is going: it has no turn any more, its connections are
  // closed and its jobs that were being sent come back (their requests in
  // them). Nothing more is reported to it.
  std::vector<JobPtr> abandon(AttemptHandler& handler);

 private:
  bool has_room() const { return !idle_.empty() || open_ < limit_; }
  void on_attempt_done(const std::shared_ptr<Connection>& connection, AttemptResult result) override;
  void on_idle_closed(const std::shared_ptr<Connection>& connection) override;
  // Room was made: the waiting handlers' turns, after the handlers queued
  // (serve_soon), or now.
  void serve_soon();
  void serve();

  struct Busy {
    std::shared_ptr<Connection> connection;
    JobPtr job;  // null: a free slot
    AttemptHandler* handler = nullptr;
  };

  IoLoop& loop_;
  std::unique_ptr<ConnectionFactory> factory_;
  std::size_t limit_;
  std::vector<std::shared_ptr<Connection>> idle_;
  std::vector<Busy> busy_;  // a request's tag is its slot here
  std::vector<std::size_t> free_slots_;
  std::deque<AttemptHandler*> waiting_;
  std::mutex breaker_mutex_;
  std::shared_ptr<CircuitBreaker> breaker_;
  std::vector<AttemptHandler*> circuit_waiting_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for serve_soon's handler
  std::size_t open_ = 0;
  std::uint64_t opened_ = 0;
  bool serve_posted_ = false;
  bool serving_ = false;
};

// The request leaves its job for the connection, and comes back.
Request take_request(Job& job);
void give_back_request(Job& job, Request& request);

}  // namespace webhook
