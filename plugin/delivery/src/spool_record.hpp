// What the spool keeps of an accepted record, written and read here only:
// the webhook-id it was first sent under, a newline, the record's JSON.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace webhook {

struct SpoolRecord {
  std::string_view webhook_id;
  std::string_view record_json;
};

// Appends the payload of `record` to `out`.
void encode_spool_record(const SpoolRecord& record, std::string& out);
// The parts of `payload` (views into it), or nullopt when it has no
// newline (not written by encode_spool_record).
std::optional<SpoolRecord> decode_spool_record(std::string_view payload);

}  // namespace webhook
