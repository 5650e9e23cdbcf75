#include <webhook/transport/http_response.hpp>

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <array>
#include <cstring>

namespace webhook {
namespace {

using boost::beast::iequals;  // ASCII, locale-free

constexpr std::size_t kChunkLineLimit = 4096;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each comma-separated, trimmed, non-empty token.
template <class F>
void for_each_token(std::string_view list, F f) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view token = trim(list.substr(0, comma));
    if (!token.empty()) f(token);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// tchar of RFC 9110 section 5.6.2, as a table: the reader looks at every
// byte of every header name.
constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

// The header names the reader acts on. A name is matched by its length
// first, so most headers (Server, Date, Content-Type...) cost one switch.
enum class Known { other, content_length, transfer_encoding, connection, retry_after };

// `token` (already checked to be a token) equals the lower-case `name`,
// ignoring ASCII case: or-ing 0x20 lower-cases letters and leaves '-' as
// it is; no other token character becomes a letter or '-'.
bool is_named(std::string_view token, std::string_view name) {
  for (std::size_t i = 0; i < name.size(); ++i) {
    if ((token[i] | 0x20) != name[i]) return false;
  }
  return true;
}

Known known_header(std::string_view token) {
  switch (token.size()) {
    case 14: return is_named(token, "content-length") ? Known::content_length : Known::other;
    case 17: return is_named(token, "transfer-encoding") ? Known::transfer_encoding : Known::other;
    case 10: return is_named(token, "connection") ? Known::connection : Known::other;
    case 11: return is_named(token, "retry-after") ? Known::retry_after : Known::other;
    default: return Known::other;
  }
}

// The offset just past the blank line that ends a head, or npos. Lines may
// end in CRLF or a bare LF (RFC 9112 section 2.2 lets a recipient accept it).
std::size_t end_of_head(std::string_view text, std::size_t from) {
  for (std::size_t at = text.find('\n', from); at != std::string_view::npos; at = text.find('\n', at + 1)) {
    if (at + 1 < text.size() && text[at + 1] == '\n') return at + 2;
    if (at + 2 < text.size() && text[at + 1] == '\r' && text[at + 2] == '\n') return at + 3;
  }
  return std::string_view::npos;
}

}  // namespace

void ResponseReader::reset(bool head_request) {
  state_ = State::head;
  framing_ = Framing::none;
  head_request_ = head_request;
  got_some_ = false;
  keep_alive_ = true;
  status_ = 0;
  remaining_ = 0;
  surplus_ = 0;
  line_.clear();
  retry_after_.clear();
  excerpt_.clear();
  error_.clear();
}

ResponseReader::Progress ResponseReader::fail(std::string message) {
  state_ = State::failed;
  error_ = std::move(message);
  keep_alive_ = false;
  return Progress::error;
}

void ResponseReader::keep(const char* data, std::size_t size) {
  std::size_t room = excerpt_limit_ - std::min(excerpt_limit_, excerpt_.size());
  excerpt_.append(data, std::min(room, size));
}

namespace detail {

// What a head's headers say about the response's framing and the connection.
struct HeadFields {
  bool keep_alive = true;
  bool http10 = false;
  bool chunked = false;
  bool has_transfer_encoding = false;
  bool has_length = false;
  bool has_retry_after = false;
  std::uint64_t length = 0;
  std::string_view retry_after;
};

}  // namespace detail

namespace {

using detail::HeadFields;

// HTTP-version SP 3DIGIT [SP reason-phrase]: the status, or 0 with `error`.
int parse_status_line(std::string_view line, std::string& error) {
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ' || (line.size() > 12 && line[12] != ' ')) {
    error = "response: not an HTTP/1.x status line";
    return 0;
  }
  int status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    const char c = line[i];
    if (c < '0' || c > '9') {
      error = "response: the status code is not three digits";
      return 0;
    }
    status = status * 10 + (c - '0');
  }
  if (status < 100) {
    error = "response: status code " + std::to_string(status) + " is out of range";
    return 0;
  }
  return status;
}

bool content_length(std::string_view value, HeadFields& fields, std::string& error) {
  if (value.empty() || value.size() > 15 ||
      !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    error = "response: Content-Length is not a number";
    return false;
  }
  std::uint64_t n = 0;
  for (char c : value) n = n * 10 + static_cast<std::uint64_t>(c - '0');
  if (fields.has_length && n != fields.length) {
    error = "response: conflicting Content-Length headers";
    return false;
  }
  fields.has_length = true;
  fields.length = n;
  return true;
}

// One header the reader cares about. False, with `error`, when malformed.
bool header_field(Known known, std::string_view value, HeadFields& fields, std::string& error) {
  switch (known) {
    case Known::content_length: return content_length(value, fields, error);
    case Known::transfer_encoding:
      fields.has_transfer_encoding = true;
      fields.chunked = false;  // chunked counts only as the last coding
      for_each_token(value, [&](std::string_view coding) { fields.chunked = iequals(coding, "chunked"); });
      return true;
    case Known::connection:
      for_each_token(value, [&](std::string_view option) {
        if (iequals(option, "close")) fields.keep_alive = false;
        else if (fields.http10 && iequals(option, "keep-alive")) fields.keep_alive = true;
      });
      return true;
    case Known::retry_after:
      fields.retry_after = value;
      fields.has_retry_after = true;
      return true;
    case Known::other: return true;
  }
  return true;
}

}  // namespace

std::size_t ResponseReader::parse_head(std::string_view text) {
  const char* const end = text.data() + text.size();
  const auto* eol = static_cast<const char*>(std::memchr(text.data(), '\n', text.size()));
  if (eol == nullptr) return kIncomplete;
  const std::string_view status_line = trim(std::string_view(text.data(), static_cast<std::size_t>(eol - text.data())));
  const int status = parse_status_line(status_line, error_);
  if (status == 0) return kMalformed;
  detail::HeadFields fields;
  fields.keep_alive = status_line[7] != '0';  // HTTP/1.1 persists unless told otherwise; 1.0 the reverse
  fields.http10 = !fields.keep_alive;
  // One pass over each header line: the name's bytes are checked as they
  // are read, up to the colon; the value is found with one memchr. The pass
  // ends at the blank line, which it finds itself (no scan for the end of
  // the head first).
  const char* p = eol + 1;
  for (;;) {
    if (p == end) return kIncomplete;
    if (*p == '\n' || *p == '\r') {  // the blank line, LF or CRLF
      if (*p == '\r' && p + 1 == end) return kIncomplete;
      if (*p == '\r' && p[1] != '\n') return malformed("response: malformed header line");
      finish_head(status, fields);
      return static_cast<std::size_t>(p - text.data()) + (*p == '\r' ? 2 : 1);
    }
    if (*p == ' ' || *p == '\t') return malformed("response: folded header lines are not allowed");
    const char* name_start = p;
    while (p < end && kTokenChars[static_cast<unsigned char>(*p)]) ++p;
    if (p == end) return kIncomplete;
    if (*p != ':' || p == name_start) return malformed("response: malformed header line");
    const Known known = known_header(std::string_view(name_start, static_cast<std::size_t>(p - name_start)));
    const char* value_start = p + 1;
    const auto* newline =
        static_cast<const char*>(std::memchr(value_start, '\n', static_cast<std::size_t>(end - value_start)));
    if (newline == nullptr) return kIncomplete;
    p = newline + 1;
    if (known == Known::other) continue;
    if (!header_field(known, trim(std::string_view(value_start, static_cast<std::size_t>(newline - value_start))),
                      fields, error_)) {
      return kMalformed;
    }
  }
}

std::size_t ResponseReader::malformed(std::string message) {
  error_ = std::move(message);
  return kMalformed;
}

// The whole head is read: what it says is kept (never the half of one).
void ResponseReader::finish_head(int status, const detail::HeadFields& fields) {
  status_ = status;
  keep_alive_ = fields.keep_alive;
  if (fields.has_retry_after) retry_after_.assign(fields.retry_after);
  if (head_request_ || status_ == 204 || status_ == 304 || status_ < 200) {
    framing_ = Framing::none;
  } else if (fields.has_transfer_encoding) {
    // RFC 9112 section 6.3: Transfer-Encoding overrides Content-Length, and
    // such a message is not to be trusted with the next request.
    if (fields.has_length) keep_alive_ = false;
    framing_ = fields.chunked ? Framing::chunked : Framing::until_close;
  } else if (fields.has_length) {
    framing_ = Framing::length;
    remaining_ = fields.length;
  } else {
    framing_ = Framing::until_close;
  }
}

void ResponseReader::start_body() {
  line_.clear();
  switch (framing_) {
    case Framing::none: state_ = State::done; break;
    case Framing::length: state_ = remaining_ == 0 ? State::done : State::body; break;
    case Framing::until_close: state_ = State::body; break;
    case Framing::chunked: state_ = State::chunk_size; break;
  }
}

ResponseReader::Progress ResponseReader::feed(const char* data, std::size_t size) {
  if (size > 0) got_some_ = true;
  while (size > 0) {
    switch (state_) {
      case State::head: feed_head(data, size); break;
      case State::body: feed_body(data, size); break;
      case State::chunk_size:
      case State::chunk_data_end:
      case State::trailers: feed_chunk_line(data, size); break;
      case State::chunk_data: {
        const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size));
        keep(data, take);
        data += take;
        size -= take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::chunk_data_end;
        break;
      }
      case State::done:
        surplus_ += size;  // never asked for: the connection is not reused
        size = 0;
        break;
      case State::failed: return Progress::error;
    }
  }
  if (state_ == State::done) return Progress::complete;
  if (state_ == State::failed) return Progress::error;
  return Progress::more;
}

void ResponseReader::feed_head(const char*& data, std::size_t& size) {
  std::size_t end = kIncomplete;
  if (line_.empty()) {
    // Usually a whole head arrives in one read: parsed where it lies, in one
    // pass, not copied first. (A line is judged only once it is whole: a
    // malformed one is the same error in any split.)
    end = parse_head(std::string_view(data, std::min(size, kHeaderLimit + 1)));
    if (end == kMalformed) {
      fail(error_);
      return;
    }
  }
  std::size_t used = end;  // bytes of this call that belong to the head
  if (end == kIncomplete) {
    const std::size_t from = line_.size() >= 3 ? line_.size() - 3 : 0;
    const std::size_t take = std::min(size, kHeaderLimit + 1 - std::min(kHeaderLimit + 1, line_.size()));
    line_.append(data, take);
    end = end_of_head(line_, from);
    if (end == std::string::npos) {
      if (line_.size() > kHeaderLimit) {
        fail("response: the header is larger than " + std::to_string(kHeaderLimit / 1024) + " KiB");
        return;
      }
      data += take;
      size -= take;
      return;
    }
    used = take - (line_.size() - end);
    const std::size_t parsed = parse_head(std::string_view(line_).substr(0, end));
    if (parsed != end) {
      fail(parsed == kMalformed ? error_ : "response: malformed head");
      return;
    }
  }
  data += used;
  size -= used;
  if (status_ >= 200) return start_body();
  if (status_ == 101) {
    fail("response: 101 Switching Protocols was not asked for");
    return;
  }
  // An interim response: the real one follows.
  line_.clear();
  retry_after_.clear();
  status_ = 0;
}

void ResponseReader::feed_body(const char*& data, std::size_t& size) {
  std::size_t take = size;
  if (framing_ == Framing::length) take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size));
  keep(data, take);
  data += take;
  size -= take;
  if (framing_ != Framing::length) return;
  remaining_ -= take;
  if (remaining_ == 0) state_ = State::done;
}

// A chunk-size line, the CRLF after a chunk's data, or a trailer line.
void ResponseReader::feed_chunk_line(const char*& data, std::size_t& size) {
  const auto* newline = static_cast<const char*>(std::memchr(data, '\n', size));
  const std::size_t take = newline ? static_cast<std::size_t>(newline - data) + 1 : size;
  if (line_.size() + take > kChunkLineLimit) {
    fail("response: a chunk line is too long");
    return;
  }
  line_.append(data, take);
  data += take;
  size -= take;
  if (!newline) return;
  std::string_view line = line_;
  line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (state_ == State::chunk_data_end) {
    if (!line.empty()) {
      fail("response: a chunk does not end where its size says");
      return;
    }
    state_ = State::chunk_size;
  } else if (state_ == State::trailers) {
    if (line.empty()) state_ = State::done;
  } else if (!chunk_size(line)) {
    return;
  }
  line_.clear();
}

bool ResponseReader::chunk_size(std::string_view line) {
  const std::string_view digits = trim(line.substr(0, line.find(';')));
  std::uint64_t n = 0;
  if (digits.empty() || digits.size() > 15) {
    fail("response: a chunk size is not a hex number");
    return false;
  }
  for (char c : digits) {
    const int v = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
    if (v < 0) {
      fail("response: a chunk size is not a hex number");
      return false;
    }
    n = n * 16 + static_cast<std::uint64_t>(v);
  }
  remaining_ = n;
  state_ = n == 0 ? State::trailers : State::chunk_data;
  return true;
}

ResponseReader::Progress ResponseReader::feed_eof() {
  keep_alive_ = false;
  if (state_ == State::done) return Progress::complete;
  if (state_ == State::body && framing_ == Framing::until_close) {
    state_ = State::done;
    return Progress::complete;
  }
  if (state_ == State::failed) return Progress::error;
  return fail(got_some_ ? "read: the connection closed in the middle of the response"
                        : "read: the connection closed before a response");
}

}  // namespace webhook
