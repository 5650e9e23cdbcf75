// `journey-sim replay`: resubmits dead letters through an output-step
// plugin, under the webhook-id each was first sent with; a replayed record
// leaves the dead-letter file only once it is delivered.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace journey_sim {

struct ReplayOptions {
  std::string dead_letters;  // the NDJSON dead-letter file (rewritten in place)
  std::string plugin;
  std::string config;
  std::string activation;            // only letters of this activation; "" all
  std::optional<int> status;         // only letters whose last attempt had this HTTP status
  std::optional<std::int64_t> since_ms, until_ms;  // only letters written in [since, until)
};

// Exit status: 0 every selected letter delivered (and removed), 1 some were
// not (they stay in the file), 2 invalid options, file or configuration.
int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err);

}  // namespace journey_sim
