// One consumer of a Redis stream's consumer group, in Redis's own commands:
// XGROUP CREATE, XREADGROUP (new entries and this consumer's own history),
// XAUTOCLAIM (entries another consumer left idle), XPENDING (delivery
// counts), XCLAIM JUSTID (keeping long-waiting entries this consumer's),
// XACK, MULTI/XADD/XACK/EXEC for dead entries, XTRIM MINID.
//
// Every call returns false, with `error`, when the connection failed or
// Redis answered with an error; the caller reconnects and calls create()
// again (a Redis restarted without its data has lost the group).
#pragma once

#include "output_runner/redis_connection.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace output_runner {

struct StreamEntry {
  std::string id;
  bool has_record = false;
  std::string record;      // the field `record`
  std::string activation;  // the field `activation`; "" when absent
  std::uint64_t deliveries = 1;
};

struct GroupInfo {
  std::int64_t pending = 0;
  std::int64_t lag = -1;  // -1 when Redis cannot tell
};

class ConsumerGroup {
 public:
  ConsumerGroup(RedisConnection& redis, std::string stream, std::string group, std::string consumer);

  const std::string& stream() const { return stream_; }
  const std::string& dead_stream() const { return dead_stream_; }

  bool create(std::string& error);
  // This consumer's own pending entries after `cursor` ("0" to begin);
  // `cursor` moves past what was read. Entries deleted meanwhile are
  // acknowledged and left out.
  bool read_own(std::string& cursor, std::size_t count, std::vector<StreamEntry>& out, std::string& error);
  // New entries, waiting up to `block_ms` for the first; `ack_first`
  // acknowledged in the same round trip, before the read.
  bool read_new(std::size_t count, int block_ms, const std::vector<std::string>& ack_first,
                std::vector<StreamEntry>& out, std::string& error);
  // Entries idle in any consumer's pending list for `min_idle_ms`, made
  // this consumer's, with their delivery counts.
  bool claim_idle(std::int64_t min_idle_ms, std::size_t count, std::vector<StreamEntry>& out, std::string& error);
  // Acknowledges `ids`, kIdsPerCommand per command; on a failure `acked`
  // says how many of them (the first) were acknowledged.
  bool ack(const std::vector<std::string>& ids, std::size_t& acked, std::string& error);
  // Resets the idle time of entries this consumer still works on.
  bool refresh(const std::vector<std::string>& ids, std::string& error);
  // The entry added to NAME:dead with `reason` and acknowledged, at once.
  bool dead_letter(const StreamEntry& entry, const std::string& reason, std::string& error);
  // XTRIM MINID below the oldest entry any group still needs.
  bool trim(std::int64_t& trimmed, std::string& error);
  bool info(GroupInfo& info, std::string& error);

 private:
  // Ids per XACK or XCLAIM: a command and its round trip stay short.
  static constexpr std::size_t kIdsPerCommand = 1000;

  bool call(const resp::Command& command, resp::Reply& reply, std::string& error);
  bool in_chunks(const resp::Command& head, const std::vector<std::string>& ids, const char* tail, std::size_t& sent,
                 std::string& error);
  bool delivery_counts(std::vector<StreamEntry>& entries, std::string& error);

  RedisConnection& redis_;
  std::string stream_, group_, consumer_, dead_stream_;
  std::string claim_cursor_ = "0-0";
};

// Stream ids ("MS-SEQ") compared as numbers; false when `a` is not below `b`
// or either is not an id.
bool stream_id_less(const std::string& a, const std::string& b);

}  // namespace output_runner
