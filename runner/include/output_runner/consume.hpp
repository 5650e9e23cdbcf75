// `output-runner consume`: one consumer of a Redis stream's consumer group
// hosting one or more activations of an output-step module. At least once:
// an entry is acknowledged only once its record completed delivered or
// dead-lettered; everything else stays pending and comes back.
#pragma once

#include "output_runner/redis_connection.hpp"

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace output_runner {

struct ConsumeOptions {
  RedisOptions redis;
  std::string stream, group, consumer;
  std::string plugin;
  std::vector<std::string> configs;
  std::size_t batch = 64;
  std::uint32_t io_threads = 1;  // of the runtime every activation shares
  std::int64_t claim_idle_ms = 30000;
  std::uint64_t max_deliveries = 5;
  int metrics_port = -1;  // -1: no metrics server
  std::string outcomes;   // NDJSON per completed entry; "" for none
  bool trim = false;
  std::int64_t shutdown_timeout_ms = 10000;  // after a signal, for what is in flight
};

// Exit status: 0 everything consumed was delivered or dead-lettered, 1 some
// were not (also after a signal), 2 invalid configuration or arguments.
int run_consume(const ConsumeOptions& options, std::ostream& out, std::ostream& err);

// The webhook-id of an entry whose record has no event_id: the same for
// every delivery of the entry, "msg_" and 32 hex digits of SHA-256 of
// "STREAM\nENTRY-ID".
std::string entry_webhook_id(const std::string& stream, const std::string& entry_id);

}  // namespace output_runner
