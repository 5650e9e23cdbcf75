// What a connection sends: it owns the request from send() until it hands
// it back with the attempt's result, so nothing it writes from can go away
// under it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace webhook {

struct Request {
  std::string head;             // request line and headers, without the final CRLF
  std::string attempt_headers;  // "name: value\r\n" lines of this attempt only
  std::string body;
  std::uint64_t tag = 0;        // the sender's own: returned with the result, never read
  std::size_t excerpt_bytes = 1024;  // of the response body, kept for the sender

  bool is_head() const { return head.compare(0, 5, "HEAD ") == 0; }
};

}  // namespace webhook
