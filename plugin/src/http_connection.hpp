// One keep-alive HTTP/1.1 connection (plain or TLS) that sends prepared
// requests one at a time and reports what came back. Runs on the engine's
// single I/O thread; not thread-safe by design. A read is always pending
// while it is open, so that a connection the server writes to or closes
// while it is idle (a stray second response, a close) is closed at once and
// never carries another request.
#pragma once

#include "job.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace webhook {

struct AttemptResult {
  int status = 0;                // 0 when no response arrived
  std::string retry_after;       // the Retry-After header, if any
  std::string response_excerpt;  // first bytes of the response body
  std::string error;             // "connect: Connection refused", ...; empty on a response
  bool tls_verification_failed = false;
  bool reusable = false;          // the connection may carry another request
  bool stale_keep_alive = false;  // a reused connection failed before any response byte
};

struct TransportSettings {
  std::string host;  // as in the URL; "[::1]" for IPv6
  std::uint16_t port = 0;
  bool tls = false;
  bool verify = true;
  std::chrono::milliseconds connect_timeout{30'000};
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::size_t excerpt_bytes = 1024;  // of a response body, kept for the owner
};

class Connection;

class ConnectionOwner {
 public:
  virtual void on_attempt_done(const std::shared_ptr<Connection>& connection, AttemptResult result) = 0;
  // An idle connection became readable (bytes no request asked for, or the
  // server's close): it is closed and must not be used again.
  virtual void on_idle_closed(const std::shared_ptr<Connection>& connection) = 0;

 protected:
  ~ConnectionOwner() = default;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // Sends `job`'s request with `attempt_headers` ("name: value\r\n" lines,
  // copied) added; `job` must live until the owner hears back.
  virtual void send(const Job& job, std::string_view attempt_headers) = 0;
  // Closes the socket; the owner hears nothing more from this connection.
  virtual void abandon() = 0;

  // The owner's bookkeeping: where this connection sits among its busy
  // ones (no hash map per request).
  std::size_t busy_slot = static_cast<std::size_t>(-1);
};

std::shared_ptr<Connection> make_connection(boost::asio::io_context& io, boost::asio::ssl::context* tls,
                                            const TransportSettings& settings, ConnectionOwner& owner);

}  // namespace webhook
