// An incremental HTTP/1.1 response reader for the delivery client: fed the
// bytes as they arrive, it finds the status, the headers the engine acts on
// (Retry-After, Connection, the body's framing) and the first bytes of the
// body, and says when the response is complete. The body beyond its excerpt
// is read and dropped, so that the connection can carry the next request.
// Interim (1xx) responses are skipped. No allocation per response once the
// reader has seen a response of the same size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace webhook {

namespace detail {
struct HeadFields;  // what a head says, as parse_head reads it
}  // namespace detail

class ResponseReader {
 public:
  enum class Progress { more, complete, error };

  static constexpr std::size_t kHeaderLimit = std::size_t{64} * 1024;
  static constexpr std::size_t kExcerptLimit = 1024;  // what is written of a body

  // How much of the body excerpt() keeps (kExcerptLimit unless set): more
  // than is written, so that a secret the body echoes across the cut is
  // still whole when it is redacted.
  void set_excerpt_limit(std::size_t bytes) { excerpt_limit_ = bytes; }

  // Ready for the response to a request; `head_request` when it was a HEAD
  // (whose response has no body whatever its headers say).
  void reset(bool head_request = false);

  // Takes the next bytes of the stream. After `complete`, bytes that were
  // not part of the response are counted in surplus(); after `error`,
  // error() says what was wrong.
  Progress feed(const char* data, std::size_t size);

  // The peer closed the connection. A response delimited by the close is
  // complete; anything else is cut short.
  Progress feed_eof();

  int status() const { return status_; }
  const std::string& retry_after() const { return retry_after_; }
  const std::string& excerpt() const { return excerpt_; }
  const std::string& error() const { return error_; }
  // The connection may carry another request.
  bool keep_alive() const { return keep_alive_ && framing_ != Framing::until_close && surplus_ == 0; }
  // Some bytes of a response arrived (a reused connection that fails before
  // any is a stale keep-alive, not the endpoint's answer).
  bool got_some() const { return got_some_; }
  std::size_t surplus() const { return surplus_; }

 private:
  enum class State { head, body, chunk_size, chunk_data, chunk_data_end, trailers, done, failed };
  enum class Framing { none, length, chunked, until_close };

  Progress fail(std::string message);
  // parse_head: the offset just past the head's blank line, or one of these.
  static constexpr std::size_t kIncomplete = static_cast<std::size_t>(-1);  // the text ends first
  static constexpr std::size_t kMalformed = static_cast<std::size_t>(-2);   // error_ says why
  std::size_t parse_head(std::string_view text);
  std::size_t malformed(std::string message);  // kMalformed, error_ set
  void finish_head(int status, const detail::HeadFields& fields);
  void start_body();
  // Each state's part of feed(): they consume from `data`, `size`.
  void feed_head(const char*& data, std::size_t& size);
  void feed_body(const char*& data, std::size_t& size);
  void feed_chunk_line(const char*& data, std::size_t& size);
  bool chunk_size(std::string_view line);
  void keep(const char* data, std::size_t size);

  State state_ = State::head;
  Framing framing_ = Framing::none;
  bool head_request_ = false;
  bool got_some_ = false;
  bool keep_alive_ = true;
  int status_ = 0;
  std::uint64_t remaining_ = 0;  // of the body or of the current chunk
  std::size_t surplus_ = 0;
  std::string line_;  // the head, or the chunk-size / trailer line being read
  std::string retry_after_;
  std::string excerpt_;
  std::size_t excerpt_limit_ = kExcerptLimit;
  std::string error_;
};

}  // namespace webhook
