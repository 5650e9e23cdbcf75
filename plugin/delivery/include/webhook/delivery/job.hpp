// One accepted record on its way: the request rendered once at submit, and
// what happened to each attempt.
#pragma once

#include <webhook/rendering/rendered_record.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace webhook {

struct AttemptRecord {
  std::int64_t time_ms = 0;  // host time the attempt ended
  int status = 0;            // HTTP status, 0 when none arrived
  std::string error;         // empty when a status arrived

  bool operator==(const AttemptRecord&) const = default;
};

struct Job final : RenderedRecord {
  std::uint64_t token = 0;
  std::string record;  // the record's JSON text, for the dead letter
  std::string attempt_headers;  // webhook-timestamp and -signature: their buffer, reused

  std::uint32_t attempts = 0;
  bool fresh_connection_retry_used = false;
  std::vector<AttemptRecord> history;
  std::int64_t accepted_ns = 0;  // steady clock, for latency
  std::int64_t attempt_ns = 0;   // when the current attempt started; 0 before the first
  std::int64_t due_ms = 0;       // host time a waiting retry is due
  std::int64_t first_attempt_ms = 0;  // host time the first attempt started (with delivery.retry.max_age)
  std::string last_response;     // first bytes of the last response body
  std::uint64_t spool_seq = 0;   // its entry in the spool; 0 without one
  bool cut_short = false;        // ended by shutdown, not by a verdict

  // Every field: a test compares a recycled job with a fresh one whole, so a
  // field added here and forgotten in reset() fails it.
  bool operator==(const Job&) const = default;

  // Ready for the next record, keeping the strings' buffers: a recycled job
  // renders without allocating. Jobs that held a large record are not worth
  // keeping (see JobPool).
  void reset() {
    clear_rendering();
    token = 0;
    record.clear();
    attempt_headers.clear();
    attempts = 0;
    fresh_connection_retry_used = false;
    history.clear();
    accepted_ns = 0;
    attempt_ns = 0;
    due_ms = 0;
    first_attempt_ms = 0;
    last_response.clear();
    spool_seq = 0;
    cut_short = false;
  }

  std::size_t capacity_bytes() const { return record.capacity() + head.capacity() + body.capacity(); }
};

}  // namespace webhook
