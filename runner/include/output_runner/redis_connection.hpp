// One connection to Redis, plain or TLS, over the project's Asio and
// OpenSSL: `redis://HOST:PORT[/DB]` or `rediss://...`; the password (from
// REDIS_PASSWORD) is sent with AUTH and appears in no error or log line.
// Blocking calls, each bounded by a timeout (Beast's tcp_stream timers).
#pragma once

#include "output_runner/resp.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace output_runner {

struct RedisUrl {
  bool tls = false;
  std::string host;
  std::uint16_t port = 6379;
  std::string user;  // an ACL user name; "" for the default user
  int db = 0;
  std::string text() const;  // as given, for messages (it never holds a password)
};

// The URL, or nullopt and `error` saying what is wrong and what is allowed.
// A password inside the URL is refused: it belongs in REDIS_PASSWORD.
std::optional<RedisUrl> parse_redis_url(const std::string& text, std::string& error);

struct RedisOptions {
  RedisUrl url;
  std::string password;  // "" for none
  std::string ca_file;   // rediss: the CA to trust; "" for the system store
  std::chrono::milliseconds timeout{10000};
};

class RedisConnection {
 public:
  explicit RedisConnection(RedisOptions options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // TCP, then TLS (SNI, host name verified), AUTH, SELECT. False with
  // `error` naming the step that failed.
  bool connect(std::string& error);
  bool connected() const;
  void close();

  // Sends every command in one write and reads one reply for each
  // (pipelined). `extra` extends the timeout (a blocking XREADGROUP).
  // False on an I/O, timeout or protocol failure, the connection then
  // closed; an error reply from Redis is a reply, not a failure.
  bool exchange(const std::vector<resp::Command>& commands, std::vector<resp::Reply>& replies, std::string& error,
                std::chrono::milliseconds extra = std::chrono::milliseconds(0));
  bool command(const resp::Command& command, resp::Reply& reply, std::string& error,
               std::chrono::milliseconds extra = std::chrono::milliseconds(0));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace output_runner
