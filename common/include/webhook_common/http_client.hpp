// A small blocking HTTP/1.1 client (plain or TLS): how journey-sim talks to
// an external endpoint's admin API (webhook-mock or WireMock), and how tests
// talk to servers; plus a raw socket exchange for malformed input and faults.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace webhook_common::client {

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string error;  // set when no response arrived ("read: connection reset", ...)
  std::string header(std::string_view name) const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// `base_url` is "http://127.0.0.1:PORT" or "https://...". For https,
// `ca_pem` is the CA to trust.
HttpResponse send(const std::string& base_url, const HttpRequest& request, const std::string& ca_pem = {});

// Shorthands.
HttpResponse get(const std::string& base_url, const std::string& target);
HttpResponse post(const std::string& base_url, const std::string& target, const std::string& body,
                  std::vector<std::pair<std::string, std::string>> headers = {});
HttpResponse del(const std::string& base_url, const std::string& target);

struct RawResult {
  std::string received;
  bool reset = false;   // the peer reset the connection
  bool closed = false;  // the peer closed it (EOF)
};
// Writes `bytes` to 127.0.0.1:`port`, then reads until the peer closes,
// resets, or `timeout` passes.
RawResult raw_exchange(std::uint16_t port, const std::string& bytes,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace webhook_common::client
