// A blocking TCP connection to 127.0.0.1 for tests that speak HTTP by hand:
// several requests on one connection, each read with a deadline, and
// whether the server closed it. POSIX sockets only, so that it compiles fast.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace test_support {

class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool ok() const { return fd_ >= 0; }
  bool closed() const { return closed_; }  // the peer closed (EOF or reset) during a read

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads until `marker` has arrived, the peer closes, or `timeout` passes;
  // returns what came up to and including the marker (everything, without
  // it), keeping the rest for the next read.
  std::string read_until(std::string_view marker, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t at;
    while ((at = pending_.find(marker)) == std::string::npos && fill(deadline)) {
    }
    return take(at == std::string::npos ? pending_.size() : at + marker.size());
  }

  // One response: its head, then as many bytes as its Content-Length says.
  std::string read_response(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos && fill(deadline)) {
    }
    if (end == std::string::npos) return take(pending_.size());
    std::string head = pending_.substr(0, end);
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    std::size_t length = 0;
    if (auto field = head.find("\r\ncontent-length:"); field != std::string::npos) {
      length = std::stoul(head.substr(field + 17));
    }
    while (pending_.size() < end + 4 + length && fill(deadline)) {
    }
    return take(std::min(pending_.size(), end + 4 + length));
  }

 private:
  // Waits for bytes until `deadline`; false on timeout, close or error.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0 || closed_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    pending_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  std::string take(std::size_t n) {
    std::string out = pending_.substr(0, n);
    pending_.erase(0, n);
    return out;
  }

  int fd_ = -1;
  bool closed_ = false;
  std::string pending_;
};

}  // namespace test_support
