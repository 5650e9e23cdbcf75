#include <webhook/rendering/record_reader.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/value_stack.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>

namespace webhook {

namespace json = boost::json;
using boost::system::error_code;

RecordPaths::RecordPaths() : nodes_(1) {
  // In the order of the fixed slots.
  slot({"event_id"});
  slot({"webhook_id"});
  slot({"journey", "name"});
  slot({"journey", "stage"});
}

int RecordPaths::child(int i, std::string_view key) const {
  for (const auto& [name, index] : nodes_[static_cast<std::size_t>(i)].children) {
    if (name.size() == key.size() && std::memcmp(name.data(), key.data(), key.size()) == 0) return index;
  }
  return -1;
}

int RecordPaths::slot(const std::vector<std::string_view>& path) {
  int at = 0;
  for (std::string_view key : path) {
    int next = child(at, key);
    if (next < 0) {
      next = static_cast<int>(nodes_.size());
      nodes_[static_cast<std::size_t>(at)].children.emplace_back(std::string(key), next);
      nodes_.emplace_back();
    }
    at = next;
  }
  Node& node = nodes_[static_cast<std::size_t>(at)];
  if (node.slot < 0) node.slot = static_cast<int>(slots_++);
  return node.slot;
}

namespace {

// The events of basic_parser, kept when they fall on a wanted path. A wanted
// scalar is made into a value at once; a wanted object or array is built
// whole with a value_stack, as json::parser builds a document.
struct Handler {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  const RecordPaths* paths = nullptr;
  std::vector<std::optional<json::value>>* values = nullptr;
  json::storage_ptr storage;
  json::value_stack stack;
  std::vector<int> frames;  // per open object or array: its node, or -1 when nothing in it is wanted
  int pending = -1;         // the node of the value about to begin, or -1
  int capture_node = -1;    // the node whose object or array is being built
  int capture_depth = 0;
  bool root_is_object = false;
  std::string key_parts, string_parts;  // a key or wanted string the parser hands over in parts
  std::string number_parts;             // a number's text handed over in parts
  // Per node, the record (generation) in which its key was last seen: a key
  // seen again in the same record clears what its first value left.
  std::vector<std::uint32_t> seen;
  std::uint32_t generation = 0;

  bool wanted(int node) const { return node >= 0 && paths->node(node).slot >= 0; }

  template <class... Args>
  void store(int node, Args&&... args) {
    (*values)[static_cast<std::size_t>(paths->node(node).slot)].emplace(std::forward<Args>(args)...);
  }

  // A key seen again in one object: what its first value left must go (the
  // last one stands, as in a document).
  void clear(int node) {
    const auto& n = paths->node(node);
    if (n.slot >= 0) (*values)[static_cast<std::size_t>(n.slot)].reset();
    for (const auto& child : n.children) clear(child.second);
  }

  // Wanted paths below a wanted object: copied out of it.
  void fill_below(int node, const json::value& value) {
    const json::object* object = value.if_object();
    if (object == nullptr) return;
    for (const auto& [key, child] : paths->node(node).children) {
      auto it = object->find(key);
      if (it == object->end()) continue;
      if (wanted(child)) store(child, it->value(), storage);
      fill_below(child, it->value());
    }
  }

  void begin(bool object) {
    if (capture_depth > 0) {
      ++capture_depth;
      return;
    }
    const int node = pending;
    pending = -1;
    if (frames.empty()) root_is_object = object;
    if (wanted(node)) {
      capture_node = node;
      capture_depth = 1;
      stack.reset(storage);
      return;
    }
    // Arrays are not entered: a path is a chain of object keys.
    frames.push_back(object ? node : -1);
  }

  void end(bool object, std::size_t n) {
    if (capture_depth == 0) {
      frames.pop_back();
      return;
    }
    if (object) stack.push_object(n);
    else stack.push_array(n);
    if (--capture_depth == 0) {
      store(capture_node, stack.release());
      fill_below(capture_node, *(*values)[static_cast<std::size_t>(paths->node(capture_node).slot)]);
    }
  }

  template <class T>
  void scalar(T&& value) {
    if (wanted(pending)) store(pending, std::forward<T>(value), storage);
    pending = -1;
  }

  bool on_document_begin(error_code&) {
    frames.clear();
    pending = 0;  // the record itself
    capture_depth = 0;
    root_is_object = false;
    key_parts.clear();
    string_parts.clear();
    number_parts.clear();
    return true;
  }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) {
    begin(true);
    return true;
  }
  bool on_object_end(std::size_t n, error_code&) {
    end(true, n);
    return true;
  }
  bool on_array_begin(error_code&) {
    begin(false);
    return true;
  }
  bool on_array_end(std::size_t n, error_code&) {
    end(false, n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    if (capture_depth > 0) stack.push_chars(s);
    else if (frames.back() >= 0) key_parts.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, error_code&) {
    if (capture_depth > 0) {
      stack.push_key(s);
      return true;
    }
    const int object = frames.back();
    if (object < 0) return true;
    if (key_parts.empty()) {
      pending = paths->child(object, std::string_view(s.data(), s.size()));
    } else {
      key_parts.append(s.data(), s.size());
      pending = paths->child(object, key_parts);
      key_parts.clear();
    }
    if (pending >= 0) {
      if (seen[static_cast<std::size_t>(pending)] == generation) clear(pending);
      else seen[static_cast<std::size_t>(pending)] = generation;
    }
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    if (capture_depth > 0) stack.push_chars(s);
    else if (wanted(pending)) string_parts.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, error_code&) {
    if (capture_depth > 0) {
      stack.push_string(s);
    } else if (string_parts.empty()) {
      scalar(s);
    } else {
      string_parts.append(s.data(), s.size());
      scalar(json::string_view(string_parts));
      string_parts.clear();
    }
    return true;
  }
  bool on_number_part(json::string_view s, error_code&) {
    number_parts.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, error_code&) {
    number_parts.clear();
    if (capture_depth > 0) stack.push_int64(i);
    else scalar(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, error_code&) {
    number_parts.clear();
    if (capture_depth > 0) stack.push_uint64(u);
    else scalar(u);
    return true;
  }
  bool on_double(double d, json::string_view s, error_code&) {
    number_parts.append(s.data(), s.size());
    if (number_parts.find_first_of(".eE") == std::string::npos) {
      // An integer too large for int64 and uint64: its text, marked.
      number_parts.insert(number_parts.begin(), kIntegerTextMark);
      if (capture_depth > 0) stack.push_string(number_parts);
      else scalar(json::string_view(number_parts));
    } else if (capture_depth > 0) {
      stack.push_double(d);
    } else {
      scalar(d);
    }
    number_parts.clear();
    return true;
  }
  bool on_bool(bool b, error_code&) {
    if (capture_depth > 0) stack.push_bool(b);
    else scalar(b);
    return true;
  }
  bool on_null(error_code&) {
    if (capture_depth > 0) stack.push_null();
    else scalar(nullptr);
    return true;
  }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }
};

// Memory for one record's values: what does not fit goes to the heap.
constexpr std::size_t kArenaBytes = std::size_t{16} * 1024;

}  // namespace

struct RecordReader::Impl {
  json::basic_parser<Handler> parser{json::parse_options{}};
  std::unique_ptr<unsigned char[]> arena{new unsigned char[kArenaBytes]};
  std::optional<json::monotonic_resource> memory;
  RecordValues values;
};

RecordReader::RecordReader() : impl_(std::make_unique<Impl>()) {}
RecordReader::~RecordReader() = default;

const RecordValues* RecordReader::read(const RecordPaths& paths, std::string_view text, std::string& error) {
  Impl& m = *impl_;
  Handler& h = m.parser.handler();
  // The last record's values go before the memory they live in.
  auto& values = m.values.values_;
  for (auto& value : values) value.reset();
  h.stack.reset(json::storage_ptr());
  m.memory.reset();
  m.memory.emplace(m.arena.get(), kArenaBytes);
  values.resize(paths.slots());
  h.paths = &paths;
  h.values = &values;
  if (h.seen.size() < paths.nodes()) h.seen.resize(paths.nodes(), 0);
  if (++h.generation == 0) {  // wrapped: no mark may look current
    std::fill(h.seen.begin(), h.seen.end(), 0);
    h.generation = 1;
  }
  h.storage = json::storage_ptr(&*m.memory);

  error_code ec;
  m.parser.reset();
  std::size_t used = m.parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && used < text.size()) ec = json::error::extra_data;
  if (ec) {
    for (auto& value : values) value.reset();
    error = "record is not valid JSON: " + ec.message();
    return nullptr;
  }
  if (!h.root_is_object) {
    error = "record must be a JSON object";
    return nullptr;
  }
  return &m.values;
}

}  // namespace webhook
