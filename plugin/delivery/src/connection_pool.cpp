#include "connection_pool.hpp"

#include <algorithm>

namespace webhook {

Request take_request(Job& job) {
  return Request{std::move(job.head), std::move(job.attempt_headers), std::move(job.body), 0};
}

void give_back_request(Job& job, Request& request) {
  job.head = std::move(request.head);
  job.attempt_headers = std::move(request.attempt_headers);
  job.body = std::move(request.body);
}

ConnectionPool::ConnectionPool(std::unique_ptr<ConnectionFactory> factory, std::size_t limit, AttemptHandler& handler)
    : factory_(std::move(factory)), limit_(limit), handler_(handler) {}

ConnectionPool::~ConnectionPool() { abandon_all(); }

void ConnectionPool::send(JobPtr job, Request request) {
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
  busy_[request.tag] = {connection, std::move(job)};
  connection->send(std::move(request));
}

void ConnectionPool::on_attempt_done(const std::shared_ptr<Connection>& connection, AttemptResult result) {
  const std::size_t slot = result.request.tag;
  if (abandoned_ || slot >= busy_.size() || busy_[slot].connection != connection) return;
  JobPtr job = std::move(busy_[slot].job);
  busy_[slot].connection.reset();
  free_slots_.push_back(slot);
  give_back_request(*job, result.request);
  if (result.reusable) idle_.push_back(connection);
  else --open_;
  handler_.on_attempt_done(std::move(job), std::move(result));
}

void ConnectionPool::on_idle_closed(const std::shared_ptr<Connection>& connection) {
  auto it = std::find(idle_.begin(), idle_.end(), connection);
  if (it == idle_.end()) return;  // not ours any more (shutdown)
  idle_.erase(it);
  --open_;
  handler_.on_connection_lost();
}

std::vector<JobPtr> ConnectionPool::abandon_all() {
  abandoned_ = true;
  std::vector<JobPtr> jobs;
  for (Busy& busy : busy_) {
    if (!busy.job) continue;
    Request request = busy.connection->abandon();
    give_back_request(*busy.job, request);
    jobs.push_back(std::move(busy.job));
  }
  busy_.clear();
  free_slots_.clear();
  for (auto& connection : idle_) connection->abandon();
  idle_.clear();
  open_ = 0;
  return jobs;
}

}  // namespace webhook
