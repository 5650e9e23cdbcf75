// One keep-alive HTTP/1.1 connection (plain or TLS) that sends prepared
// requests one at a time and reports what came back. Runs on the engine's
// single I/O thread; not thread-safe by design. A read is always pending
// while it is open, so that a connection the server writes to or closes
// while it is idle (a stray second response, a close) is closed at once and
// never carries another request.
#pragma once

#include <webhook/transport/connection_settings.hpp>
#include <webhook/transport/request.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace webhook {

struct AttemptResult {
  Request request;               // what was sent, handed back to its sender
  int status = 0;                // 0 when no response arrived
  std::string retry_after;       // the Retry-After header, if any
  std::string response_excerpt;  // first bytes of the response body
  std::string error;             // "connect: Connection refused", ...; empty on a response
  bool tls_verification_failed = false;
  bool reusable = false;          // the connection may carry another request
  bool stale_keep_alive = false;  // a reused connection failed before any response byte
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
  // Sends `request`, which the connection owns until it hands it back in
  // the owner's on_attempt_done (or abandon()). Only when idle.
  virtual void send(Request request) = 0;
  // Closes the socket; the owner hears nothing more from this connection.
  // Returns the request it was sending, if any (empty otherwise).
  virtual Request abandon() = 0;
};

// Makes the connections of one origin (one ConnectionSettings) on one
// io_context: Seastar's connection factory; tests may give the pool their own.
class ConnectionFactory {
 public:
  virtual ~ConnectionFactory() = default;
  // [I/O thread] A new, unconnected connection that reports to `owner`.
  virtual std::shared_ptr<Connection> make(ConnectionOwner& owner) = 0;
  virtual const ConnectionSettings& settings() const = 0;
};

// The factory over Asio's sockets; it owns the TLS context of `settings`.
// Throws std::runtime_error naming delivery.tls.ca_file when the CA file
// cannot be loaded.
std::unique_ptr<ConnectionFactory> make_asio_connection_factory(boost::asio::io_context& io,
                                                                ConnectionSettings settings);

}  // namespace webhook
