// What RFC 9112 says a server must refuse in a request's framing, checked
// once its header is read and before its body is: the answer is 400 and the
// connection closed, since where the next request starts is unknown.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace webhook_mock {

struct RequestFraming {
  unsigned version = 11;                             // 10 for HTTP/1.0, 11 for HTTP/1.1
  std::size_t host_fields = 0;                       // Host field lines
  std::vector<std::string_view> transfer_encodings;  // each Transfer-Encoding line's value
  bool content_length = false;                       // a Content-Length line is present
};

// Why the request must be refused, or "" when its framing is sound:
// HTTP/1.1 without Host or with two (3.2); Transfer-Encoding with
// Content-Length, in HTTP/1.0, or other than the one coding `chunked` (6.1:
// `chunked` must come last, and no other coding is understood here).
std::string framing_problem(const RequestFraming& request);

}  // namespace webhook_mock
