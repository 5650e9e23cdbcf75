// A minimal HTTP/1.1 server on 127.0.0.1 for Prometheus to scrape:
// GET /metrics answers the text `render` makes; anything else 404. One
// thread, one request per connection, requests bounded in size and time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

namespace output_runner {

class MetricsServer {
 public:
  using Render = std::function<std::string()>;
  MetricsServer() = default;
  ~MetricsServer() { stop(); }
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Listens on 127.0.0.1:`port` (0: any free port); false with `error`.
  bool start(std::uint16_t port, Render render, std::string& error);
  std::uint16_t port() const { return port_; }
  void stop();

 private:
  void serve();
  void answer(int client);

  Render render_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace output_runner
