#include "output_runner/metrics_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace output_runner {

bool MetricsServer::start(std::uint16_t port, Render render, std::string& error) {
  render_ = std::move(render);
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0) return error = std::string("metrics: socket: ") + std::strerror(errno), false;
  int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 16) != 0) {
    error = "--metrics-port " + std::to_string(port) + ": cannot listen on 127.0.0.1: " + std::strerror(errno);
    ::close(listener_);
    listener_ = -1;
    return false;
  }
  socklen_t length = sizeof address;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
  return true;
}

void MetricsServer::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (listener_ >= 0) ::close(listener_);
  listener_ = -1;
}

void MetricsServer::serve() {
  while (!stopping_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    answer(client);
    ::close(client);
  }
}

namespace {

void send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace

// Reads the request head (at most 8 KiB, within 2 s), answers, closes.
void MetricsServer::answer(int client) {
  std::string head;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  char chunk[2048];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 8192 &&
         std::chrono::steady_clock::now() < deadline) {
    pollfd p{client, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(client, chunk, sizeof chunk, 0);
    if (n <= 0) return;
    head.append(chunk, static_cast<std::size_t>(n));
  }
  const bool metrics = head.starts_with("GET /metrics ") || head.starts_with("GET /metrics?");
  const std::string body = metrics ? render_() : "not found; metrics are at /metrics\n";
  const std::string response = std::string(metrics ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 404 Not Found\r\n") +
                               (metrics ? "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                                        : "Content-Type: text/plain; charset=utf-8\r\n") +
                               "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
                               body;
  send_all(client, response);
}

}  // namespace output_runner
