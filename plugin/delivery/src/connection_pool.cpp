#include "connection_pool.hpp"

#include <algorithm>

namespace webhook {

Request take_request(Job& job) {
  return Request{std::move(job.head), std::move(job.attempt_headers), std::move(job.body), 0, 0};
}

void give_back_request(Job& job, Request& request) {
  job.head = std::move(request.head);
  job.attempt_headers = std::move(request.attempt_headers);
  job.body = std::move(request.body);
}

ConnectionPool::ConnectionPool(IoLoop& loop, std::unique_ptr<ConnectionFactory> factory, std::size_t limit)
    : loop_(loop), factory_(std::move(factory)), limit_(limit) {}

ConnectionPool::~ConnectionPool() {
  *alive_ = false;
  for (Busy& busy : busy_) {
    if (busy.connection) busy.connection->abandon();
  }
  for (auto& connection : idle_) connection->abandon();
}

void ConnectionPool::send(JobPtr job, Request request, AttemptHandler& handler) {
  std::shared_ptr<Connection> connection;
  if (!idle_.empty()) {
    connection = std::move(idle_.back());
    idle_.pop_back();
  } else {
    connection = factory_->make(*this);
    ++open_;
    ++opened_;
  }
  if (free_slots_.empty()) {
    request.tag = busy_.size();
    busy_.emplace_back();
  } else {
    request.tag = free_slots_.back();
    free_slots_.pop_back();
  }
  busy_[request.tag] = {connection, std::move(job), &handler};
  connection->send(std::move(request));
}

void ConnectionPool::wait(AttemptHandler& handler) {
  waiting_.push_back(&handler);
  if (has_room()) serve_soon();
}

void ConnectionPool::on_attempt_done(const std::shared_ptr<Connection>& connection, AttemptResult result) {
  const std::size_t slot = result.request.tag;
  if (slot >= busy_.size() || busy_[slot].connection != connection) return;
  Busy& busy = busy_[slot];
  JobPtr job = std::move(busy.job);
  AttemptHandler& handler = *busy.handler;
  busy = {};
  free_slots_.push_back(slot);
  give_back_request(*job, result.request);
  if (result.reusable) idle_.push_back(connection);
  else --open_;
  handler.on_attempt_done(std::move(job), std::move(result));
  // The room goes to the engines in line first (the handler's own next
  // record waits for a pump it has posted): at once, on the connection that
  // has just answered, whose read for what comes next is pending already.
  serve();
}

void ConnectionPool::on_idle_closed(const std::shared_ptr<Connection>& connection) {
  auto it = std::find(idle_.begin(), idle_.end(), connection);
  if (it == idle_.end()) return;  // not ours any more
  idle_.erase(it);
  --open_;
  if (!waiting_.empty()) serve_soon();
}

// After the handlers already queued have run, so that an idle connection
// whose read has completed (stray bytes, a close) is taken out of the idle
// ones before one is picked.
void ConnectionPool::serve_soon() {
  if (serve_posted_) return;
  serve_posted_ = true;
  loop_.post([this, alive = alive_] {
    if (!*alive) return;
    serve_posted_ = false;
    serve();
  });
}

void ConnectionPool::serve() {
  if (serving_) return;  // a turn's send reported at once: the loop below goes on
  serving_ = true;
  while (has_room() && !waiting_.empty()) {
    AttemptHandler* next = waiting_.front();
    waiting_.pop_front();
    next->on_turn();
  }
  serving_ = false;
}

std::shared_ptr<CircuitBreaker> ConnectionPool::breaker(const CircuitBreakerSettings& settings) {
  std::lock_guard lock(breaker_mutex_);
  if (!breaker_) breaker_ = std::make_shared<CircuitBreaker>(settings);
  return breaker_;
}

void ConnectionPool::wait_for_circuit(AttemptHandler& handler) {
  if (std::find(circuit_waiting_.begin(), circuit_waiting_.end(), &handler) == circuit_waiting_.end()) {
    circuit_waiting_.push_back(&handler);
  }
}

void ConnectionPool::circuit_changed() {
  std::vector<AttemptHandler*> told;
  told.swap(circuit_waiting_);
  for (AttemptHandler* handler : told) handler->on_circuit_change();
}

std::vector<JobPtr> ConnectionPool::abandon(AttemptHandler& handler) {
  waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), &handler), waiting_.end());
  circuit_waiting_.erase(std::remove(circuit_waiting_.begin(), circuit_waiting_.end(), &handler),
                         circuit_waiting_.end());
  std::vector<JobPtr> jobs;
  for (std::size_t slot = 0; slot < busy_.size(); ++slot) {
    Busy& busy = busy_[slot];
    if (!busy.job || busy.handler != &handler) continue;
    Request request = busy.connection->abandon();
    give_back_request(*busy.job, request);
    jobs.push_back(std::move(busy.job));
    busy = {};
    free_slots_.push_back(slot);
    --open_;
  }
  if (!jobs.empty() && !waiting_.empty()) serve_soon();
  return jobs;
}

}  // namespace webhook
