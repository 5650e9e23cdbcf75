// The host side of an output step, as every runner here needs it: the host
// table whose log and completion callbacks go to this object, the extensions
// it offers (a shared runtime, a simulated clock), the step's creation with
// each configuration error printed, and its statistics.
#pragma once

#include "output_step/output_step.h"

#include <boost/json/value.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <string>
#include <string_view>

namespace output_runner {

class StepHost {
 public:
  // How the module's log lines are written: from `min_level` up, each
  // prefixed with its level ("[warning] ...") or with "[plugin] ".
  struct LogStyle {
    output_step_log_level_t min_level = OUTPUT_STEP_LOG_INFO;
    bool level_tags = true;
    bool silent = false;  // nothing written at all (configuration errors neither)
  };
  // Called from the module's threads (its completion context).
  using CompletionHandler = std::function<void(const output_step_completion_t&)>;

  StepHost(const char* name, std::ostream& err, LogStyle style, CompletionHandler on_completion);
  StepHost(const StepHost&) = delete;
  StepHost& operator=(const StepHost&) = delete;

  const output_step_host_t* abi() const { return &abi_; }

  // Offers output-step.runtime/1: steps of hosts offering the same runtime
  // share its I/O threads and connection pools. `runtime` outlives the steps.
  void offer_runtime(const output_step_runtime_t* runtime) { runtime_ = runtime; }

  // Offers output-step.host-clock/1: the steps read the time from `now_ms`
  // (simulated; the host moves it on), and the host asks each step for its
  // next wake-up (output-step.clock/1) rather than being told. `now_ms`
  // outlives the steps.
  void offer_clock(const std::atomic<std::int64_t>* now_ms);

  // A step of `entry` made from `config`; each configuration error printed
  // as "config: FIELD: MESSAGE". Null when the module refused it.
  const output_step_t* create(const output_step_entry_t& entry, std::string_view config);

  // One line on the error stream, written whole: lines of two threads never mix.
  void write_line(std::string_view line);

 private:
  output_step_host_t abi_{};
  std::ostream& err_;
  LogStyle style_;
  CompletionHandler on_completion_;
  const output_step_runtime_t* runtime_ = nullptr;
  const std::atomic<std::int64_t>* now_ms_ = nullptr;
  output_step_host_clock_t clock_{};
  std::mutex log_mutex_;
};

// The step's statistics (its stats() JSON object); null when it wrote none.
boost::json::value step_stats(const output_step_t* step);

// A non-negative count in `stats` by key; 0 when absent.
std::uint64_t stats_count(const boost::json::value& stats, std::string_view key);

}  // namespace output_runner
