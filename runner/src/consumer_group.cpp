#include "output_runner/consumer_group.hpp"

#include <charconv>
#include <utility>

namespace output_runner {

using resp::Reply;

namespace {

// [id, [field, value, ...]] (value nil when the entry was deleted); the
// reply's strings moved, not copied.
bool to_entry(Reply& item, StreamEntry& entry, bool& deleted) {
  if (!item.is_array() || item.elements.size() != 2) return false;
  auto& elements = item.elements;
  entry = StreamEntry{};
  entry.id = std::move(elements[0].text);
  deleted = elements[1].is_nil();
  if (deleted) return !entry.id.empty();
  auto& fields = elements[1].elements;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (fields[i].str() == "record") entry.has_record = true, entry.record = std::move(fields[i + 1].text);
    else if (fields[i].str() == "activation") entry.activation = std::move(fields[i + 1].text);
  }
  return !entry.id.empty();
}

bool parse_id(const std::string& id, std::uint64_t& ms, std::uint64_t& seq) {
  const auto dash = id.find('-');
  const char* end = id.data() + id.size();
  const char* mid = dash == std::string::npos ? end : id.data() + dash;
  auto r1 = std::from_chars(id.data(), mid, ms);
  if (r1.ec != std::errc() || r1.ptr != mid) return false;
  seq = 0;
  if (mid == end) return true;
  auto r2 = std::from_chars(mid + 1, end, seq);
  return r2.ec == std::errc() && r2.ptr == end;
}

// A flat [key, value, ...] reply's value by key; null when absent.
const Reply* field(const Reply& map, std::string_view key) {
  for (std::size_t i = 0; i + 1 < map.elements.size(); i += 2) {
    if (map.elements[i].str() == key) return &map.elements[i + 1];
  }
  return nullptr;
}

}  // namespace

bool stream_id_less(const std::string& a, const std::string& b) {
  std::uint64_t am = 0, as = 0, bm = 0, bs = 0;
  if (!parse_id(a, am, as) || !parse_id(b, bm, bs)) return false;
  return std::pair(am, as) < std::pair(bm, bs);
}

ConsumerGroup::ConsumerGroup(RedisConnection& redis, std::string stream, std::string group, std::string consumer)
    : redis_(redis),
      stream_(std::move(stream)),
      group_(std::move(group)),
      consumer_(std::move(consumer)),
      dead_stream_(stream_ + ":dead") {}

bool ConsumerGroup::call(const resp::Command& command, Reply& reply, std::string& error) {
  if (!redis_.command(command, reply, error, std::chrono::milliseconds(0))) return false;
  if (reply.is_error()) return error = command[0] + " " + command[1] + ": " + reply.text, false;
  return true;
}

bool ConsumerGroup::create(std::string& error) {
  Reply reply;
  if (!redis_.command({"XGROUP", "CREATE", stream_, group_, "0", "MKSTREAM"}, reply, error)) return false;
  if (reply.is_error() && !reply.text.starts_with("BUSYGROUP")) {
    return error = "XGROUP CREATE " + stream_ + " " + group_ + ": " + reply.text, false;
  }
  return true;
}

bool ConsumerGroup::read_own(std::string& cursor, std::size_t count, std::vector<StreamEntry>& out, std::string& error) {
  Reply reply;
  if (!call({"XREADGROUP", "GROUP", group_, consumer_, "COUNT", std::to_string(count), "STREAMS", stream_, cursor}, reply,
            error)) {
    return false;
  }
  std::vector<std::string> gone;
  if (reply.is_array() && !reply.elements.empty() && reply.elements[0].elements.size() == 2) {
    for (auto& item : reply.elements[0].elements[1].elements) {
      StreamEntry entry;
      bool deleted = false;
      if (!to_entry(item, entry, deleted)) continue;
      cursor = entry.id;
      if (deleted) gone.push_back(entry.id);
      else out.push_back(std::move(entry));
    }
  }
  std::size_t acked = 0;
  if (!ack(gone, acked, error)) return false;
  return delivery_counts(out, error);
}

bool ConsumerGroup::read_new(std::size_t count, int block_ms, const std::vector<std::string>& ack_first,
                             std::vector<StreamEntry>& out, std::string& error) {
  std::vector<resp::Command> commands;
  if (ack_first.size() > kIdsPerCommand) {  // after an outage: in chunks, before the read
    std::size_t acked = 0;
    if (!ack(ack_first, acked, error)) return false;
  } else if (!ack_first.empty()) {
    commands.push_back({"XACK", stream_, group_});
    commands.back().insert(commands.back().end(), ack_first.begin(), ack_first.end());
  }
  commands.push_back({"XREADGROUP", "GROUP", group_, consumer_, "COUNT", std::to_string(count), "BLOCK",
                      std::to_string(block_ms), "STREAMS", stream_, ">"});
  std::vector<Reply> replies;
  if (!redis_.exchange(commands, replies, error, std::chrono::milliseconds(block_ms))) return false;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].is_error()) return error = commands[i][0] + " " + commands[i][1] + ": " + replies[i].text, false;
  }
  Reply& reply = replies.back();
  if (!reply.is_array() || reply.elements.empty() || reply.elements[0].elements.size() != 2) return true;  // nil: none
  for (auto& item : reply.elements[0].elements[1].elements) {
    StreamEntry entry;
    bool deleted = false;
    if (to_entry(item, entry, deleted) && !deleted) out.push_back(std::move(entry));
  }
  return true;
}

bool ConsumerGroup::claim_idle(std::int64_t min_idle_ms, std::size_t count, std::vector<StreamEntry>& out,
                               std::string& error) {
  Reply reply;
  if (!call({"XAUTOCLAIM", stream_, group_, consumer_, std::to_string(min_idle_ms), claim_cursor_, "COUNT",
             std::to_string(count)},
            reply, error)) {
    return false;
  }
  if (!reply.is_array() || reply.elements.size() < 2) return error = "XAUTOCLAIM: an unexpected reply", false;
  claim_cursor_ = reply.elements[0].str().empty() ? "0-0" : std::string(reply.elements[0].str());
  std::size_t first = out.size();
  for (auto& item : reply.elements[1].elements) {
    StreamEntry entry;
    bool deleted = false;
    if (to_entry(item, entry, deleted) && !deleted) out.push_back(std::move(entry));
  }
  std::vector<StreamEntry> claimed(std::make_move_iterator(out.begin() + static_cast<std::ptrdiff_t>(first)),
                                   std::make_move_iterator(out.end()));
  out.resize(first);
  if (!delivery_counts(claimed, error)) return false;
  for (auto& e : claimed) out.push_back(std::move(e));
  return true;
}

// XPENDING of each entry, pipelined: how often it has been delivered.
bool ConsumerGroup::delivery_counts(std::vector<StreamEntry>& entries, std::string& error) {
  if (entries.empty()) return true;
  std::vector<resp::Command> commands;
  commands.reserve(entries.size());
  for (const auto& e : entries) commands.push_back({"XPENDING", stream_, group_, e.id, e.id, "1"});
  std::vector<Reply> replies;
  if (!redis_.exchange(commands, replies, error)) return false;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Reply& r = replies[i];
    if (r.is_array() && !r.elements.empty() && r.elements[0].elements.size() == 4) {
      entries[i].deliveries = static_cast<std::uint64_t>(std::max<std::int64_t>(1, r.elements[0].elements[3].integer));
    }
  }
  return true;
}

// `head`, then at most kIdsPerCommand of `ids`, then `tail`, until every id
// was sent; `sent` counts the ids of the commands Redis answered.
bool ConsumerGroup::in_chunks(const resp::Command& head, const std::vector<std::string>& ids, const char* tail,
                              std::size_t& sent, std::string& error) {
  resp::Command command;
  for (sent = 0; sent < ids.size();) {
    const std::size_t n = std::min(kIdsPerCommand, ids.size() - sent);
    const auto first = ids.begin() + static_cast<std::ptrdiff_t>(sent);
    command = head;
    command.insert(command.end(), first, first + static_cast<std::ptrdiff_t>(n));
    if (tail != nullptr) command.emplace_back(tail);
    Reply reply;
    if (!call(command, reply, error)) return false;
    sent += n;
  }
  return true;
}

bool ConsumerGroup::ack(const std::vector<std::string>& ids, std::size_t& acked, std::string& error) {
  return in_chunks({"XACK", stream_, group_}, ids, nullptr, acked, error);
}

bool ConsumerGroup::refresh(const std::vector<std::string>& ids, std::string& error) {
  std::size_t refreshed = 0;
  return in_chunks({"XCLAIM", stream_, group_, consumer_, "0"}, ids, "JUSTID", refreshed, error);
}

bool ConsumerGroup::dead_letter(const StreamEntry& entry, const std::string& reason, std::string& error) {
  resp::Command add{"XADD", dead_stream_, "*", "id", entry.id, "reason", reason};
  if (entry.has_record) add.insert(add.end(), {"record", entry.record});
  if (!entry.activation.empty()) add.insert(add.end(), {"activation", entry.activation});
  std::vector<Reply> replies;
  if (!redis_.exchange({{"MULTI"}, add, {"XACK", stream_, group_, entry.id}, {"EXEC"}}, replies, error)) return false;
  const Reply& exec = replies.back();
  if (!exec.is_array() || exec.elements.size() != 2 || exec.elements[0].is_error()) {
    return error = "MULTI/EXEC of the dead entry " + entry.id + ": " +
                   (exec.is_error() ? exec.text : !exec.elements.empty() ? exec.elements[0].text : "no result"),
           false;
  }
  return true;
}

bool ConsumerGroup::trim(std::int64_t& trimmed, std::string& error) {
  trimmed = 0;
  Reply groups;
  if (!call({"XINFO", "GROUPS", stream_}, groups, error)) return false;
  std::string min_id;
  for (const auto& g : groups.elements) {
    const Reply* name = field(g, "name");
    const Reply* pending = field(g, "pending");
    const Reply* last = field(g, "last-delivered-id");
    if (name == nullptr || pending == nullptr || last == nullptr) return error = "XINFO GROUPS: an unexpected reply", false;
    std::string needed(last->str());
    if (pending->integer > 0) {
      Reply summary;
      if (!call({"XPENDING", stream_, std::string(name->str())}, summary, error)) return false;
      if (summary.elements.size() >= 2 && !summary.elements[1].str().empty()) needed = summary.elements[1].str();
    }
    if (min_id.empty() || stream_id_less(needed, min_id)) min_id = needed;
  }
  if (min_id.empty() || min_id == "0-0") return true;
  Reply reply;
  if (!call({"XTRIM", stream_, "MINID", min_id}, reply, error)) return false;
  trimmed = reply.integer;
  return true;
}

bool ConsumerGroup::info(GroupInfo& out, std::string& error) {
  Reply groups;
  if (!call({"XINFO", "GROUPS", stream_}, groups, error)) return false;
  for (const auto& g : groups.elements) {
    const Reply* name = field(g, "name");
    if (name == nullptr || name->str() != group_) continue;
    if (const Reply* p = field(g, "pending")) out.pending = p->integer;
    const Reply* lag = field(g, "lag");
    out.lag = lag != nullptr && lag->type == Reply::Type::integer ? lag->integer : -1;
  }
  return true;
}

}  // namespace output_runner
