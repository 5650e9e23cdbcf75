// `output-runner publish`: NDJSON records from a stream of text, each
// XADDed to a Redis stream in its field `record` (and `activation` when
// given), pipelined, as a producer would.
#pragma once

#include "output_runner/redis_connection.hpp"

#include <iosfwd>
#include <string>

namespace output_runner {

struct PublishOptions {
  RedisOptions redis;
  std::string stream;
  std::string activation;  // "" for none
  std::size_t pipeline = 256;
};

// Prints {"published":N} last. Exit status: 0 every line published, 1 Redis
// failed (what was published before stays), 2 invalid arguments or a line
// that is not a JSON object (reported with its number, not published).
int run_publish(const PublishOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace output_runner
