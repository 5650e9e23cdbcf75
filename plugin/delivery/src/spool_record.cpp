#include "spool_record.hpp"

namespace webhook {

void encode_spool_record(const SpoolRecord& record, std::string& out) {
  out.reserve(out.size() + record.webhook_id.size() + 1 + record.record_json.size());
  out.append(record.webhook_id).append(1, '\n').append(record.record_json);
}

std::optional<SpoolRecord> decode_spool_record(std::string_view payload) {
  const auto newline = payload.find('\n');
  if (newline == std::string_view::npos) return std::nullopt;
  return SpoolRecord{payload.substr(0, newline), payload.substr(newline + 1)};
}

}  // namespace webhook
