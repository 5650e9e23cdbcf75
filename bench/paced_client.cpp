// paced-client: the latency reference for the plugin's half-rate benchmark.
// An open-loop HTTP/1.1 client of the fewest moving parts: one thread, one
// epoll, non-blocking keep-alive sockets, one prepared POST sent as is,
// responses read only as far as Content-Length. It sends REQUESTS requests
// at RATE per second, BATCH at a time (4 unless told; as plugin-bench's
// paced runner submits), sleeping in between, and prints one JSON line with
// the latency of each request from the moment its batch was woken for -> its
// whole response. What it sees on a machine, at a rate, against a server is
// about the least that any client sleeping between arrivals can see there:
// the floor the plugin's latency is measured against in the same run.
//
//   paced-client URL REQUESTS --rate N [--batch N] [--connections N]
//                [--body-size N] [--header "Name: value"]...
//
// URL is http://127.0.0.1:PORT/PATH (loopback only: a benchmark sends
// nowhere else). Exit status 0 when every request had a 2xx response, 1
// otherwise, 2 on bad arguments. Percentiles come from the plugin's own
// histogram (bucket upper bounds, within ~10 %), so both sides of the
// comparison are rounded alike.
#include <webhook_common/version.hpp>

#include <webhook/delivery/latency_histogram.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void usage(const char* problem) {
  std::fprintf(stderr,
               "paced-client: %s\n"
               "usage: paced-client URL REQUESTS --rate N [--batch N] [--connections N] [--body-size N]\n"
               "                    [--header \"Name: value\"]...\n"
               "  URL: http://127.0.0.1:PORT/PATH (loopback only)\n",
               problem);
  std::exit(2);
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "paced-client: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

bool parse_count(std::string_view text, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && out > 0;
}

// A connection with at most one request in flight.
struct Connection {
  int fd = -1;
  bool want_out = false;     // registered for EPOLLOUT
  std::size_t sent = 0;      // bytes of the request written so far
  std::int64_t due_ns = 0;   // the request's due time
  std::string in;            // the response so far
};

// The length of a whole response at the front of `in`, 0 when incomplete,
// -1 when it is not a response this client reads (no Content-Length).
long response_length(std::string_view in) {
  const std::size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return 0;
  const std::string_view head = in.substr(0, head_end + 2);
  for (std::size_t line = head.find("\r\n") + 2; line < head.size();) {
    const std::size_t end = head.find("\r\n", line);
    const std::string_view field = head.substr(line, end - line);
    constexpr std::string_view kName = "content-length:";
    if (field.size() > kName.size() &&
        std::equal(kName.begin(), kName.end(), field.begin(),
                   [](char a, char b) { return a == (b >= 'A' && b <= 'Z' ? b + 32 : b); })) {
      std::string_view value = field.substr(kName.size());
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      std::uint64_t length = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (ec != std::errc{}) return -1;
      const std::size_t total = head_end + 4 + length;
      return in.size() >= total ? static_cast<long>(total) : 0;
    }
    line = end + 2;
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--version") {
    std::printf("paced-client %s\n", webhook_common::kVersion);
    return 0;
  }
  if (argc < 3) usage("URL and REQUESTS are required");
  const std::string_view url = argv[1];
  std::uint64_t requests = 0, connections = 64, body_size = 0, batch = 4;
  double rate = 0;
  if (!parse_count(argv[2], requests)) usage("REQUESTS must be a positive integer");
  std::vector<std::string> headers;
  for (int i = 3; i < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) usage("an option without its value");
    const std::string_view value = argv[i + 1];
    if (flag == "--rate") {
      rate = std::strtod(argv[i + 1], nullptr);
      if (!(rate > 0)) usage("--rate must be a positive number of requests per second");
    } else if (flag == "--connections") {
      if (!parse_count(value, connections) || connections > 4096) usage("--connections must be 1 to 4096");
    } else if (flag == "--batch") {
      if (!parse_count(value, batch) || batch > 64) usage("--batch must be 1 to 64");
    } else if (flag == "--body-size") {
      if (!parse_count(value, body_size)) usage("--body-size must be a positive integer");
    } else if (flag == "--header") {
      if (value.find(':') == std::string_view::npos || value.find_first_of("\r\n") != std::string_view::npos) {
        usage("--header must be \"Name: value\" on one line");
      }
      headers.emplace_back(value);
    } else {
      usage("unknown option");
    }
  }
  if (!(rate > 0)) usage("--rate is required");

  // http://127.0.0.1:PORT/PATH
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) usage("URL must start with http://");
  const std::string_view authority = url.substr(kScheme.size(), url.find('/', kScheme.size()) - kScheme.size());
  const std::string_view path = url.substr(kScheme.size() + authority.size());
  const std::size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) usage("URL must name a port");
  const std::string host(authority.substr(0, colon));
  std::uint64_t port = 0;
  if (!parse_count(authority.substr(colon + 1), port) || port > 65535) usage("URL's port must be 1 to 65535");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1 || (ntohl(address.sin_addr.s_addr) >> 24) != 127) {
    usage("URL's host must be a loopback address (127.x.x.x)");
  }

  std::string request = "POST " + std::string(path.empty() ? "/" : path) + " HTTP/1.1\r\nHost: ";
  request.append(authority).append("\r\n");
  for (const auto& header : headers) request.append(header).append("\r\n");
  request.append("Content-Length: ").append(std::to_string(body_size)).append("\r\n\r\n");
  request.append(body_size, 'x');

  const int epoll = epoll_create1(EPOLL_CLOEXEC);
  const int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (epoll < 0 || timer < 0) fail("epoll_create1/timerfd_create");
  constexpr std::uint64_t kTimer = ~std::uint64_t{0};
  epoll_event timer_event{EPOLLIN, {.u64 = kTimer}};
  if (epoll_ctl(epoll, EPOLL_CTL_ADD, timer, &timer_event) != 0) fail("epoll_ctl");
  std::vector<Connection> pool(connections);
  std::vector<std::size_t> idle;
  for (std::size_t i = 0; i < pool.size(); ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail("connect");
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) fail("fcntl");
    pool[i].fd = fd;
    epoll_event event{EPOLLIN, {.u64 = i}};
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) != 0) fail("epoll_ctl");
    idle.push_back(i);
  }

  // Writes what is left of the request; waits for room (EPOLLOUT) if the
  // socket takes only part of it.
  auto send_rest = [&](std::size_t i) {
    Connection& c = pool[i];
    while (c.sent < request.size()) {
      const ssize_t n = write(c.fd, request.data() + c.sent, request.size() - c.sent);
      if (n < 0 && errno == EAGAIN) break;
      if (n < 0) fail("write");
      c.sent += static_cast<std::size_t>(n);
    }
    const bool want_out = c.sent < request.size();
    if (want_out == c.want_out) return;
    c.want_out = want_out;
    epoll_event event{want_out ? std::uint32_t{EPOLLIN | EPOLLOUT} : std::uint32_t{EPOLLIN}, {.u64 = i}};
    if (epoll_ctl(epoll, EPOLL_CTL_MOD, c.fd, &event) != 0) fail("epoll_ctl");
  };

  // Requests are due in batches (plugin-bench's paced batches); each is
  // timed from the moment its batch was woken for, as plugin-bench times a
  // record from its submit(), and waits for an idle connection if none is.
  const double interval_ns = 1e9 / rate;
  const std::int64_t start = now_ns();
  auto due_of = [&](std::uint64_t i) { return start + static_cast<std::int64_t>(static_cast<double>(i) * interval_ns); };
  std::deque<std::int64_t> waiting;
  webhook::LatencyHistogram latency;
  std::uint64_t scheduled = 0, completed = 0, failed = 0, over_2ms = 0;
  std::int64_t armed_for = 0;
  std::vector<epoll_event> events(pool.size() + 1);
  char buffer[16384];
  while (completed < requests) {
    const std::int64_t now = now_ns();
    while (scheduled < requests && due_of(scheduled) <= now) {
      const std::uint64_t n = std::min(batch, requests - scheduled);
      waiting.insert(waiting.end(), n, now);
      scheduled += n;
    }
    while (!waiting.empty() && !idle.empty()) {
      const std::size_t i = idle.back();
      idle.pop_back();
      pool[i].due_ns = waiting.front();
      pool[i].sent = 0;
      waiting.pop_front();
      send_rest(i);
    }
    if (scheduled < requests && armed_for != due_of(scheduled)) {
      armed_for = due_of(scheduled);
      itimerspec when{};
      when.it_value = {static_cast<time_t>(armed_for / 1'000'000'000), static_cast<long>(armed_for % 1'000'000'000)};
      if (timerfd_settime(timer, TFD_TIMER_ABSTIME, &when, nullptr) != 0) fail("timerfd_settime");
    }
    const int ready = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) fail("epoll_wait");
    for (int e = 0; e < ready; ++e) {
      if (events[e].data.u64 == kTimer) {
        std::uint64_t expirations;
        if (read(timer, &expirations, sizeof expirations) < 0 && errno != EAGAIN) fail("read timerfd");
        continue;
      }
      const std::size_t i = events[e].data.u64;
      Connection& c = pool[i];
      if (events[e].events & EPOLLOUT) send_rest(i);
      if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      // One read per readiness event, as wrk does (epoll is level-triggered:
      // what is left is reported again), so no read comes back empty but
      // after a spurious event; a full buffer is read on at once.
      for (;;) {
        const ssize_t n = read(c.fd, buffer, sizeof buffer);
        if (n < 0 && errno == EAGAIN) break;
        if (n < 0) fail("read");
        if (n == 0) {
          std::fprintf(stderr, "paced-client: the server closed a connection\n");
          return 1;
        }
        c.in.append(buffer, static_cast<std::size_t>(n));
        if (static_cast<std::size_t>(n) < sizeof buffer) break;
      }
      const long length = response_length(c.in);
      if (length < 0) {
        std::fprintf(stderr, "paced-client: a response without Content-Length: %.80s\n", c.in.c_str());
        return 1;
      }
      if (length == 0) continue;
      if (c.in.size() != static_cast<std::size_t>(length)) {
        std::fprintf(stderr, "paced-client: more bytes than one response\n");
        return 1;
      }
      const std::int64_t micros = (now_ns() - c.due_ns) / 1000;
      latency.record(micros);
      if (micros > 2000) ++over_2ms;
      if (c.in.compare(0, 10, "HTTP/1.1 2") != 0) ++failed;
      c.in.clear();
      ++completed;
      idle.push_back(i);
    }
  }
  const double seconds = static_cast<double>(now_ns() - start) / 1e9;
  std::printf(R"({"requests": %llu, "failed": %llu, "seconds": %.3f, "requests_per_second": %.0f, )"
              R"("latency": {"p50_us": %lld, "p99_us": %lld, "p999_us": %lld, "max_us": %lld}, "over_2ms_percent": %.2f})"
              "\n",
              static_cast<unsigned long long>(requests), static_cast<unsigned long long>(failed), seconds,
              static_cast<double>(requests) / seconds, static_cast<long long>(latency.quantile(0.5)),
              static_cast<long long>(latency.quantile(0.99)), static_cast<long long>(latency.quantile(0.999)),
              static_cast<long long>(latency.max()), 100.0 * static_cast<double>(over_2ms) / static_cast<double>(requests));
  return failed == 0 ? 0 : 1;
}
