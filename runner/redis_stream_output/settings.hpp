// The configuration of the redis-stream output step, parsed once:
//   {"url": "redis://HOST:PORT[/DB]" | "rediss://...", "stream": "NAME",
//    "activation": "NAME"?, "ca_file": "PEM"?, "max_in_flight": 10000?,
//    "timeout_ms": 10000?, "attempts": 5?}
// The password, if any, comes from the environment variable REDIS_PASSWORD.
#pragma once

#include "output_runner/redis_connection.hpp"

#include <optional>
#include <string>
#include <vector>

namespace redis_stream_output {

struct Settings {
  output_runner::RedisOptions redis;
  std::string stream;
  std::string activation;  // added as the entry's field `activation`; "" for none
  std::size_t max_in_flight = 10000;
  unsigned attempts = 5;  // XADDs tried per record before it fails
};

struct SettingsError {
  std::string field, message;
};

std::optional<Settings> parse_settings(std::string_view json, std::vector<SettingsError>& errors);

}  // namespace redis_stream_output
