// `journey-sim stream`: a generic runner for any output-step module. Submits
// each NDJSON line of the input as a record, waits for every completion and
// prints a one-line JSON summary as the last line of stdout.
#pragma once

#include <iosfwd>
#include <string>

namespace journey_sim {

struct StreamOptions {
  std::string plugin;    // path of the module
  std::string config;    // path of its JSON configuration
  std::string input;     // NDJSON file; "" or "-" for stdin
  std::string outcomes;  // NDJSON file of per-record outcomes; "" for none
  std::string accepted;  // each record's event_id, flushed once the step accepted it; "" for none
  double deadline_s = 0; // after the input ends, wait at most this long (0: no limit)
};

// Exit status: 0 every record delivered; 1 some were not; 2 invalid
// configuration or input, or the plugin could not be loaded.
int run_stream(const StreamOptions& options, std::ostream& out, std::ostream& err);

}  // namespace journey_sim
