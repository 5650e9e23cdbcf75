#include "output_runner/outcomes.hpp"

#include <boost/json/serialize.hpp>

namespace output_runner {

const char* outcome_name(output_step_outcome_t outcome) {
  switch (outcome) {
    case OUTPUT_STEP_DELIVERED: return "delivered";
    case OUTPUT_STEP_DEAD_LETTERED: return "dead_lettered";
    default: return "failed";
  }
}

Completion Completion::of(std::size_t activation, const output_step_completion_t& c, bool delivery_id) {
  return {activation,        c.token, c.outcome, c.http_status, c.attempts, c.error != nullptr ? c.error : "",
          delivery_id && c.delivery_id != nullptr ? c.delivery_id : ""};
}

void append_outcome_fields(boost::json::object& row, const Completion& c) {
  row["outcome"] = outcome_name(c.outcome);
  row["http_status"] = c.http_status;
  row["attempts"] = c.attempts;
  if (!c.error.empty()) row["error"] = c.error;
  if (!c.delivery_id.empty()) row["delivery_id"] = c.delivery_id;
}

void OutcomeTally::add(output_step_outcome_t outcome) {
  {
    std::lock_guard lock(mutex_);
    ++counts_.done;
    switch (outcome) {
      case OUTPUT_STEP_DELIVERED: ++counts_.delivered; break;
      case OUTPUT_STEP_DEAD_LETTERED: ++counts_.dead_lettered; break;
      default: ++counts_.failed; break;
    }
  }
  added_.notify_all();
}

OutcomeTally::Counts OutcomeTally::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

std::uint64_t OutcomeTally::wait_past(std::uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  added_.wait_for(lock, timeout, [&] { return counts_.done > seen; });
  return counts_.done;
}

bool OutcomeFile::open(const std::string& path, bool append) {
  out_.open(path, append ? std::ios::app : std::ios::trunc);
  return out_.is_open();
}

void OutcomeFile::write(const boost::json::object& row) {
  std::string line = boost::json::serialize(row);
  line += '\n';
  std::lock_guard lock(mutex_);
  out_.write(line.data(), static_cast<std::streamsize>(line.size()));
  out_.flush();
}

output_step_status_t submit_waiting(const output_step_t* step, const output_step_record_t& record,
                                    const OutcomeTally& tally, std::chrono::milliseconds wait,
                                    const std::function<bool()>& keep_trying) {
  // Counted before the first try: a completion between a BUSY and the wait
  // is not waited for again.
  std::uint64_t seen = tally.counts().done;
  for (;;) {
    size_t accepted = 0;
    const output_step_status_t status = step->submit(step, &record, 1, &accepted);
    if (status != OUTPUT_STEP_BUSY) return status;
    if (keep_trying && !keep_trying()) return status;
    seen = tally.wait_past(seen, wait);
  }
}

}  // namespace output_runner
