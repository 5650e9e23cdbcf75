// Reading a record: one pass over its JSON text that keeps only the values
// the step's templates use, each in a numbered slot, instead of building a
// document of the whole record and looking every variable up in it.
#pragma once

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webhook {

// The paths a step reads from its records (profile.PATH, event.PATH, the
// journey's name and stage, event_id, webhook_id), each with a slot number.
// Built once per step, as its templates are bound (Template::bind).
class RecordPaths {
 public:
  // Slots every step has.
  enum : int { kEventId = 0, kWebhookId, kJourneyName, kJourneyStage, kFixedSlots };

  RecordPaths();

  // The slot of `path` from the top of the record ("profile", "email"),
  // added when new. A path is a chain of object keys: arrays are not
  // entered.
  int slot(const std::vector<std::string_view>& path);
  std::size_t slots() const { return slots_; }
  std::size_t nodes() const { return nodes_.size(); }

  struct Node {
    std::vector<std::pair<std::string, int>> children;  // key, node index
    int slot = -1;                                      // the value here is wanted
  };
  const Node& node(int i) const { return nodes_[static_cast<std::size_t>(i)]; }
  // The child of node `i` under `key`, or -1.
  int child(int i, std::string_view key) const;

 private:
  std::vector<Node> nodes_;  // nodes_[0] is the record itself
  std::size_t slots_ = 0;
};

// An integer that neither int64 nor uint64 holds (-9223372036854775809, a
// 30-digit id) keeps its text rather than becoming a double: it is stored
// as a string that starts with this byte, which no string of a record can
// (records are UTF-8, and 0xFF is never UTF-8), and written as its digits.
inline constexpr char kIntegerTextMark = '\xFF';

// The digits of such an integer, or an empty view for any other value.
inline std::string_view integer_text(const boost::json::value& v) {
  const auto* s = v.if_string();
  if (s == nullptr || s->empty() || s->front() != kIntegerTextMark) return {};
  return std::string_view(s->data() + 1, s->size() - 1);
}

// The values of one record, by slot: valid until the reader reads again.
class RecordValues {
 public:
  // The value at `slot`, or nullptr when the record has none there.
  const boost::json::value* get(int slot) const {
    if (slot < 0 || static_cast<std::size_t>(slot) >= values_.size()) return nullptr;
    const auto& value = values_[static_cast<std::size_t>(slot)];
    return value ? &*value : nullptr;
  }

 private:
  friend class RecordReader;
  std::vector<std::optional<boost::json::value>> values_;
};

// Reads records for one thread at a time (keep one per thread): its memory
// is reused from record to record.
class RecordReader {
 public:
  RecordReader();
  ~RecordReader();
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  // Parses `text` (the whole record, a JSON object) and fills the slots of
  // `paths`. On failure returns nullptr and sets `error`: "record is not
  // valid JSON: ..." or "record must be a JSON object".
  const RecordValues* read(const RecordPaths& paths, std::string_view text, std::string& error);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace webhook
