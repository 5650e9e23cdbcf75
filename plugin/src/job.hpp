// One accepted record on its way: the request rendered once at submit, and
// what happened to each attempt.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace webhook {

struct AttemptRecord {
  std::int64_t time_ms = 0;  // host time the attempt ended
  int status = 0;            // HTTP status, 0 when none arrived
  std::string error;         // empty when a status arrived
};

struct Job {
  std::uint64_t token = 0;
  std::string event_id;
  std::string webhook_id;
  std::string record;  // the record's JSON text, for the dead letter
  std::string journey_name;
  std::string journey_stage;

  // The request: head without the per-attempt headers (webhook-timestamp,
  // webhook-signature) and the final CRLF, then the body.
  std::string head;
  std::string body;

  std::string ordering_key;
  bool has_ordering_key = false;

  // Set when the record could not be rendered: it fails without a request.
  std::string render_error;

  std::uint32_t attempts = 0;
  bool fresh_connection_retry_used = false;
  std::vector<AttemptRecord> history;
  std::int64_t accepted_ns = 0;  // steady clock, for latency
  std::int64_t attempt_ns = 0;   // when the current attempt started; 0 before the first
  std::int64_t due_ms = 0;       // host time a waiting retry is due
  std::string last_response;     // first bytes of the last response body
  std::uint64_t spool_seq = 0;   // its entry in the spool; 0 without one
  bool cut_short = false;        // ended by shutdown, not by a verdict

  // Ready for the next record, keeping the strings' buffers: a recycled job
  // renders without allocating. Jobs that held a large record are not worth
  // keeping (see Engine's pool).
  void reset() {
    token = 0;
    event_id.clear();
    webhook_id.clear();
    record.clear();
    journey_name.clear();
    journey_stage.clear();
    head.clear();
    body.clear();
    ordering_key.clear();
    has_ordering_key = false;
    render_error.clear();
    attempts = 0;
    fresh_connection_retry_used = false;
    history.clear();
    accepted_ns = 0;
    attempt_ns = 0;
    due_ms = 0;
    last_response.clear();
    spool_seq = 0;
    cut_short = false;
  }

  std::size_t capacity_bytes() const { return record.capacity() + head.capacity() + body.capacity(); }
};

}  // namespace webhook
