// What the completions of a step come to, the same in every runner here:
// an outcome's name, a completion kept past its callback, the counts a
// submitting thread waits on, the fields of an outcome line and the file
// those lines go to, and the submit that waits while the step is busy.
#pragma once

#include "output_step/output_step.h"

#include <boost/json/object.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>

namespace output_runner {

// "delivered", "dead_lettered" or "failed".
const char* outcome_name(output_step_outcome_t outcome);

// A completion kept past its callback (whose strings live during the call only).
struct Completion {
  std::size_t activation = 0;  // which of the runner's steps
  std::uint64_t token = 0;
  output_step_outcome_t outcome = OUTPUT_STEP_FAILED;
  int http_status = 0;
  std::uint32_t attempts = 0;
  std::string error;
  std::string delivery_id;

  // `delivery_id`: whether to keep it (a copy per record, for outcome lines).
  static Completion of(std::size_t activation, const output_step_completion_t& c, bool delivery_id = true);
};

// The outcome line's fields after the runner's own ("line", "entry_id"...):
// outcome, http_status, attempts, and error and delivery_id when there are.
void append_outcome_fields(boost::json::object& row, const Completion& c);

// Counts of completions, added from the module's threads; the submitting
// thread waits on them for back-pressure.
class OutcomeTally {
 public:
  struct Counts {
    std::uint64_t done = 0, delivered = 0, dead_lettered = 0, failed = 0;
  };

  void add(output_step_outcome_t outcome);  // wakes the waiting thread
  Counts counts() const;
  // Waits up to `timeout` until more than `seen` completions were added;
  // returns how many were added by then.
  std::uint64_t wait_past(std::uint64_t seen, std::chrono::milliseconds timeout) const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable added_;
  Counts counts_;
};

// The --outcomes file: one JSON object per line, each written whole and
// flushed (lines of two threads never mix; a line written survives a kill).
class OutcomeFile {
 public:
  // False when it cannot be opened (errno set). `append`: keep what it holds.
  bool open(const std::string& path, bool append);
  bool is_open() const { return out_.is_open(); }
  void write(const boost::json::object& row);

 private:
  std::mutex mutex_;
  std::ofstream out_;
};

// Submits one record; while the step answers BUSY, waits up to `wait` for a
// completion of `tally` and tries again. Before each wait `keep_trying` (when
// given) may let time pass, or give up by returning false: then BUSY is
// returned. Any other status is returned as the step answered it.
output_step_status_t submit_waiting(const output_step_t* step, const output_step_record_t& record,
                                    const OutcomeTally& tally, std::chrono::milliseconds wait,
                                    const std::function<bool()>& keep_trying = {});

}  // namespace output_runner
