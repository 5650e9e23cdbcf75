#include "output_runner/resp.hpp"

#include <charconv>

namespace output_runner::resp {

void encode(const Command& command, std::string& out) {
  out.append(1, '*').append(std::to_string(command.size())).append("\r\n");
  for (const auto& arg : command) {
    out.append(1, '$').append(std::to_string(arg.size())).append("\r\n").append(arg).append("\r\n");
  }
}

namespace {

using Result = Parser::Result;

// The line from `pos` up to CRLF, and `pos` past it; false when incomplete.
bool take_line(std::string_view data, std::size_t& pos, std::string_view& line) {
  const std::size_t end = data.find("\r\n", pos);
  if (end == std::string_view::npos) return false;
  line = data.substr(pos, end - pos);
  pos = end + 2;
  return true;
}

bool to_integer(std::string_view text, std::int64_t& value) {
  if (text.empty()) return false;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

Result Parser::parse(std::string_view data, Reply& reply, std::size_t& used, std::string& error) {
  std::size_t pos = 0;
  wanted_ = data.size() + 1;
  reply = Reply{};
  const Result result = parse_at(data, pos, reply, 0, error);
  if (result == Result::complete) used = pos;
  return result;
}

Result Parser::parse_at(std::string_view data, std::size_t& pos, Reply& reply, std::size_t depth,
                        std::string& error) {
  if (pos >= data.size()) return Result::incomplete;
  const char kind = data[pos++];
  std::string_view line;
  if (!take_line(data, pos, line)) {
    // A line longer than any bulk header or status Redis sends is not one.
    if (data.size() - pos > std::size_t{64} * 1024) return error = "a reply line without its end", Result::invalid;
    return Result::incomplete;
  }
  std::int64_t n = 0;
  switch (kind) {
    case '+': reply.type = Reply::Type::status, reply.text = line; return Result::complete;
    case '-': reply.type = Reply::Type::error, reply.text = line; return Result::complete;
    case ':':
      if (!to_integer(line, reply.integer)) return error = "an integer reply that is not a number", Result::invalid;
      reply.type = Reply::Type::integer;
      return Result::complete;
    case '$':
      if (!to_integer(line, n) || n < -1) return error = "a bulk length that is not a length", Result::invalid;
      if (n == -1) return reply.type = Reply::Type::nil, Result::complete;
      if (static_cast<std::uint64_t>(n) > limits_.max_bulk_bytes) return error = "a bulk string over the limit", Result::invalid;
      if (data.size() - pos < static_cast<std::size_t>(n) + 2) {
        wanted_ = pos + static_cast<std::size_t>(n) + 2;
        return Result::incomplete;
      }
      if (data.substr(pos + static_cast<std::size_t>(n), 2) != "\r\n") return error = "a bulk string without its end", Result::invalid;
      reply.type = Reply::Type::bulk;
      reply.text = data.substr(pos, static_cast<std::size_t>(n));
      pos += static_cast<std::size_t>(n) + 2;
      return Result::complete;
    case '*':
      if (!to_integer(line, n) || n < -1) return error = "an array length that is not a length", Result::invalid;
      if (n == -1) return reply.type = Reply::Type::nil, Result::complete;
      if (static_cast<std::uint64_t>(n) > limits_.max_array_elements) return error = "an array over the limit", Result::invalid;
      if (depth + 1 > limits_.max_depth) return error = "arrays nested too deep", Result::invalid;
      // Every element takes 3 bytes at least: nothing is allocated for
      // elements that have not arrived.
      if (static_cast<std::uint64_t>(n) * 3 > data.size() - pos) {
        wanted_ = pos + static_cast<std::size_t>(n) * 3;
        return Result::incomplete;
      }
      reply.type = Reply::Type::array;
      reply.elements.resize(static_cast<std::size_t>(n));
      for (auto& element : reply.elements) {
        const Result r = parse_at(data, pos, element, depth + 1, error);
        if (r != Result::complete) return r;
      }
      return Result::complete;
    default:
      return error = "a reply of unknown type", Result::invalid;
  }
}

}  // namespace output_runner::resp
