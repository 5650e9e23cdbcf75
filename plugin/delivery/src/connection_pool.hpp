// The connections of one origin: idle ones to reuse, busy ones each with
// the job whose request it is sending (the pool owns that job until the
// attempt ends), and a limit on how many are open. New connections come
// from an injected factory. Keyed by ConnectionSettings, so that a runtime
// serving many engines can share one pool per origin. [I/O thread]
#pragma once

#include "job_pool.hpp"

#include <webhook/transport/http_connection.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace webhook {

class AttemptHandler {
 public:
  // An attempt ended: the job (its request back in it) and what happened.
  virtual void on_attempt_done(JobPtr job, AttemptResult result) = 0;
  // An idle connection was lost: there is room to open another.
  virtual void on_connection_lost() = 0;

 protected:
  ~AttemptHandler() = default;
};

class ConnectionPool final : private ConnectionOwner {
 public:
  ConnectionPool(std::unique_ptr<ConnectionFactory> factory, std::size_t limit, AttemptHandler& handler);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Whether send() can start now (an idle connection, or room for one).
  bool can_send() const { return !idle_.empty() || open_ < limit_; }
  // Sends `request` for `job` on an idle connection or a new one. Only when
  // can_send().
  void send(JobPtr job, Request request);

  std::uint64_t connections_opened() const { return opened_; }

  // Shutdown: closes every connection; the jobs that were being sent come
  // back (their requests in them). Nothing is reported after this.
  std::vector<JobPtr> abandon_all();

 private:
  void on_attempt_done(const std::shared_ptr<Connection>& connection, AttemptResult result) override;
  void on_idle_closed(const std::shared_ptr<Connection>& connection) override;

  struct Busy {
    std::shared_ptr<Connection> connection;
    JobPtr job;  // null: a free slot
  };

  std::unique_ptr<ConnectionFactory> factory_;
  std::size_t limit_;
  AttemptHandler& handler_;
  std::vector<std::shared_ptr<Connection>> idle_;
  std::vector<Busy> busy_;  // a request's tag is its slot here
  std::vector<std::size_t> free_slots_;
  std::size_t open_ = 0;
  std::uint64_t opened_ = 0;
  bool abandoned_ = false;
};

// The request leaves its job for the connection, and comes back.
Request take_request(Job& job);
void give_back_request(Job& job, Request& request);

}  // namespace webhook
