// webhook-mock's server: an HTTP/1.1 (and HTTPS) receiver that records every
// request in a bounded journal and answers as scripted. In-process use (tests,
// the simulator) goes through this class; the webhook-mock executable is a
// thin main over it. No Asio in this header.
#pragma once

#include "webhook_mock/recorded_request.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace webhook_mock {

enum class Fault { none, connection_reset_by_peer, empty_response, malformed_response_chunk, random_data_then_close };

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  std::chrono::milliseconds delay{0};
  Fault fault = Fault::none;
};

// Decides the answer to each request; runs on a server thread.
using Responder = std::function<Response(const RecordedRequest&)>;

struct ServerOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port
  bool https = false;
  std::string certificate_pem;  // with https; empty: generated (see ca_certificate_pem())
  std::string private_key_pem;
  unsigned threads = 1;
  std::size_t journal_limit = 100'000;   // oldest entries evicted beyond this
  std::size_t header_limit = std::size_t{64} * 1024;  // bytes; 431 beyond
  std::size_t body_limit = std::size_t{10} * 1024 * 1024;  // bytes; 413 beyond
  std::chrono::milliseconds idle_timeout{30'000};  // a connection silent this long is closed
  int default_status = 200;     // answered when no stub matches
  std::string record_to;        // NDJSON file that also receives every journal entry
  // Receives the rare events worth a line (out of file descriptors, and
  // recovered), from a server thread; empty: "webhook-mock: LINE" on stderr.
  std::function<void(const std::string& line)> log;
  // Sees every journaled request once, on a server thread, before it enters
  // the journal (and before its answer is sent): counts that eviction from
  // the bounded journal cannot lose. Must be quick and thread-safe.
  std::function<void(const RecordedRequest& request)> observe;
};

class Journal;
class StubStore;

class Server {
 public:
  // Binds and starts serving at once. Throws std::runtime_error when it
  // cannot (port taken, bad certificate).
  explicit Server(ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT"
  // The CA to trust when the certificate was generated; "" otherwise.
  const std::string& ca_certificate_pem() const;

  // Answers every request in place of the stubs (C++ tests); empty: stubs.
  void set_responder(Responder responder);
  StubStore& stubs();
  const Journal& journal() const;
  void stop();                              // idempotent; also by the destructor

  std::vector<RecordedRequest> requests() const;  // oldest first
  std::size_t count() const;                      // in the journal now
  std::uint64_t total_received() const;           // ever, eviction included
  std::uint64_t evicted() const;
  std::uint64_t connections_accepted() const;
  void clear_journal();
  // Waits until at least `n` requests have been received in all.
  bool wait_for_total(std::uint64_t n, std::chrono::milliseconds timeout) const;

  struct Impl;  // opaque

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace webhook_mock
