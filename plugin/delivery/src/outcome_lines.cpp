#include <webhook/delivery/outcome_lines.hpp>

#include <webhook/delivery/ndjson_file.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace webhook {

namespace json = boost::json;

std::string dead_letter_line(const Config& config, const Job& job, std::string_view error, std::int64_t now_ms) {
  json::object letter;
  letter["time"] = iso8601_utc(now_ms);
  letter["activation"] = config.activation_name;
  if (!config.activation_id.empty()) letter["activation_id"] = config.activation_id;
  letter["event_id"] = job.event_id;
  letter["webhook_id"] = job.webhook_id;
  letter["error"] = error;
  json::array attempts;
  for (const auto& attempt : job.history) {
    json::object a;
    a["time"] = iso8601_utc(attempt.time_ms);
    if (attempt.status != 0) a["status"] = attempt.status;
    if (!attempt.error.empty()) a["error"] = attempt.error;
    attempts.push_back(std::move(a));
  }
  letter["attempts"] = std::move(attempts);
  boost::system::error_code ec;
  json::value record = json::parse(job.record, ec);
  if (ec) letter["record_text"] = job.record;
  else letter["record"] = std::move(record);
  return json::serialize(letter);
}

std::string delivery_log_line(const Config& config, const Job& job, bool delivered, int status, std::string_view error,
                              std::int64_t now_ms, std::int64_t log_ms) {
  json::object row;
  row["time"] = now_ms / 1000;
  row["delivered"] = delivered;
  row["status"] = status;
  row["timestamp"] = iso8601_utc(now_ms);
  row["activation_type"] = "webhook";
  row["log_time"] = iso8601_utc(log_ms);
  row["journey_name"] = job.journey_name;
  row["journey_stage_name"] = job.journey_stage;
  row["activation_name"] = config.activation_name;
  row["rid"] = job.webhook_id;
  row["error"] = error;
  row["activation_id"] = config.activation_id;
  row["event_id"] = job.event_id;
  row["response"] = job.last_response;
  return json::serialize(row);
}

}  // namespace webhook
