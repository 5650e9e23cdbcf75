// RESP2, the protocol Redis speaks (https://redis.io/docs/reference/protocol-spec/):
// commands encoded as arrays of bulk strings, replies parsed incrementally
// from whatever bytes have arrived, with limits on what a hostile or broken
// server can make this process hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace output_runner::resp {

struct Reply {
  enum class Type { status, error, integer, bulk, nil, array };
  Type type = Type::nil;
  std::string text;  // status, error and bulk
  std::int64_t integer = 0;
  std::vector<Reply> elements;  // array

  bool is_error() const { return type == Type::error; }
  bool is_nil() const { return type == Type::nil; }
  bool is_array() const { return type == Type::array; }
  // A status or bulk reply's text ("" for another type).
  std::string_view str() const { return type == Type::status || type == Type::bulk ? text : std::string_view(); }
};

using Command = std::vector<std::string>;

// Appends `command` as a RESP array of bulk strings.
void encode(const Command& command, std::string& out);

struct Limits {
  std::size_t max_bulk_bytes = 512u << 20;      // Redis's own limit on a string
  std::size_t max_array_elements = 1u << 24;
  std::size_t max_depth = 8;
};

// Parses replies from the front of a buffer. `parse` returns `complete`
// with the reply and the bytes it used, `incomplete` when more bytes are
// needed, or `invalid` with a reason (the connection is then unusable).
class Parser {
 public:
  enum class Result { complete, incomplete, invalid };
  explicit Parser(Limits limits = {}) : limits_(limits) {}

  Result parse(std::string_view data, Reply& reply, std::size_t& used, std::string& error);
  // After `incomplete`: how many bytes the buffer needs before another
  // parse can get further (a large reply is not re-parsed per read).
  std::size_t wanted() const { return wanted_; }

 private:
  Result parse_at(std::string_view data, std::size_t& pos, Reply& reply, std::size_t depth, std::string& error);
  Limits limits_;
  std::size_t wanted_ = 0;
};

}  // namespace output_runner::resp
