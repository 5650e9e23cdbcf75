// The submit side: a slot under delivery.max_in_flight for every record
// accepted, the record read and rendered on the submitter's thread, the
// spool's append (accepted only once in it), and the inbox the I/O thread
// takes the accepted jobs from. [any thread] unless said otherwise.
#pragma once

#include "engine_log.hpp"
#include "job_pool.hpp"
#include "stats.hpp"

#include <webhook/delivery/delivery_engine.hpp>
#include <webhook/delivery/spool.hpp>
#include <webhook/rendering/config.hpp>
#include <webhook/rendering/request_builder.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

namespace webhook {

struct AdmissionParts {
  const Config& config;
  const RequestBuilder& builder;
  JobPool& pool;
  Spool* spool;  // null without one
  Stats& stats;
  const EngineLog& log;
  bool keep_record_text;         // a job keeps its record's text (for dead letters, the spool)
  std::function<void()> wake;    // the inbox was empty and is not any more
};

class Admission {
 public:
  explicit Admission(AdmissionParts parts) : p_(std::move(parts)) {}

  // Accepts a prefix of `count` records and returns its length; `status`
  // says why it stopped short (accepted when it did not).
  std::size_t submit_batch(const Engine::RecordView* records, std::size_t count, SubmitStatus& status,
                           std::string& error);
  // A record an earlier instance left in the spool, rendered again under
  // the webhook-id it was first sent with. [the constructor's thread]
  void resubmit(const RecoveredRecord& recovered);

  void close() { closed_.store(true, std::memory_order_release); }
  bool closed() const { return closed_.load(std::memory_order_acquire); }

  // [I/O thread] The jobs accepted since the last call, appended to `out`.
  void take(std::vector<JobPtr>& out);

  std::uint64_t in_flight() const { return in_flight_.load(std::memory_order_acquire); }
  // A record accepted earlier is finished: its slot is free.
  void release(std::size_t count);
  // Until no accepted record is unfinished, or `timeout` passes.
  bool wait_until_idle(std::chrono::microseconds timeout);

 private:
  std::size_t reserve(std::size_t count);
  bool render(const Engine::RecordView& view, std::vector<JobPtr>& spare, std::int64_t accepted_ns,
              std::vector<JobPtr>& jobs, std::string& error);
  void store_in_spool(std::vector<JobPtr>& jobs, SubmitStatus& status, std::string& error);
  void enqueue(std::vector<JobPtr>& jobs);

  AdmissionParts p_;
  std::mutex inbox_mutex_;
  std::vector<JobPtr> inbox_;
  // Written by both sides: a cache line each.
  alignas(64) std::atomic<std::uint64_t> in_flight_{0};
  alignas(64) std::atomic<bool> closed_{false};
  std::mutex idle_mutex_;
  std::condition_variable idle_;
};

}  // namespace webhook
