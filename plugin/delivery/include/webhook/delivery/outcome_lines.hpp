// The NDJSON lines a finished record leaves: its dead letter, and its row
// of the delivery log (the original service's columns).
#pragma once

#include <webhook/rendering/config.hpp>
#include <webhook/delivery/job.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace webhook {

// The record as submitted, every attempt, the final error.
std::string dead_letter_line(const Config& config, const Job& job, std::string_view error, std::int64_t now_ms);

// time, delivered, status, timestamp, activation_type, log_time, journey_name,
// journey_stage_name, activation_name, rid, error, activation_id, event_id, response.
std::string delivery_log_line(const Config& config, const Job& job, bool delivered, int status, std::string_view error,
                              std::int64_t now_ms, std::int64_t log_ms);

}  // namespace webhook
