// What the delivery suites share: configurations for a webhook-mock server
// started in the test, a scripted raw server, the engine fixture (run both
// ways: its own I/O thread, or driven by the host), files in scratch.
#pragma once
#include <webhook/rendering/config.hpp>
#include <webhook/delivery/delivery_engine.hpp>
#include <webhook/transport/http_connection.hpp>
#include "support/completions.hpp"
#include "support/scratch_dir.hpp"
#include <webhook_common/certificates.hpp>
#include "webhook_mock/server.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <mutex>
#include <sstream>
#include <thread>

using namespace webhook;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace mock = webhook_mock;

namespace delivery_test {

inline constexpr const char* kApiKey = "sk_live_SECRET-do-not-leak";

inline json::object config_for_url(const std::string& base_url, json::object delivery = {}) {
  json::object c{
      {"auth", {{"type", "td_webhook_out"}, {"url_prefix", base_url + "/v1/"}, {"api_key", kApiKey}}},
      {"activation",
       {{"name", "welcome"},
        {"id", "act-7"},
        {"method", "POST"},
        {"url", base_url + "/v1/users/{{profile.id}}"},
        {"headers", {{"Authorization", "Bearer {{auth.api_key}}"}, {"X-Tier", "{{profile.tier | default: \"basic\"}}"}}},
        {"body", R"({"email": "{{profile.email}}", "event": "{{event.name}}", "journey": "{{journey.name}}", "stage": "{{journey.stage}}"})"}}},
      {"advanced", {{"webhook_retry_count", 3}, {"webhook_read_timeout", 5}}}};
  delivery.emplace("retry", json::object{{"initial_backoff_ms", 5}, {"max_backoff_ms", 50}});
  c["delivery"] = std::move(delivery);
  return c;
}

inline json::object config_for(const mock::Server& server, json::object delivery = {}) {
  return config_for_url(server.base_url(), std::move(delivery));
}

// Answers each request with the next of a script of raw responses, byte for
// byte: what webhook-mock (which frames every answer with Content-Length)
// never sends: chunked bodies, interim 1xx, HTTP/1.0 bodies ended by the
// close. One connection at a time, on a thread of its own.
class ScriptedServer {
 public:
  struct Step {
    Step(std::string response_, bool close_after_ = false, std::string stray_ = {},
         std::chrono::milliseconds stray_after_ = {})
        : response(std::move(response_)), close_after(close_after_), stray(std::move(stray_)), stray_after(stray_after_) {}
    std::string response;
    bool close_after = false;
    // Sent on the same connection `stray_after` after the response, before
    // the next request: bytes no request asked for.
    std::string stray;
    std::chrono::milliseconds stray_after{0};
  };

  explicit ScriptedServer(std::vector<Step> steps) : steps_(std::move(steps)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    BOOST_REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    BOOST_REQUIRE(::listen(listen_fd_, 16) == 0);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }
  int requests() const { return requests_; }

 private:
  bool wait_readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    while (!stop_) {
      if (::poll(&p, 1, 50) > 0) return true;
    }
    return false;
  }

  void run() {
    while (wait_readable(listen_fd_)) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      serve(fd);
      ::close(fd);
    }
  }

  void serve(int fd) {
    std::string in;
    for (;;) {
      std::size_t head_end;
      while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
        if (!read_more(fd, in)) return;
      }
      std::size_t length = 0;
      if (auto at = in.find("Content-Length: "); at != std::string::npos && at < head_end) {
        length = std::stoul(in.substr(at + 16));
      }
      while (in.size() < head_end + 4 + length) {
        if (!read_more(fd, in)) return;
      }
      in.erase(0, head_end + 4 + length);
      ++requests_;
      Step step = next_ < steps_.size() ? steps_[next_++] : Step{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"};
      if (::send(fd, step.response.data(), step.response.size(), MSG_NOSIGNAL) < 0 || step.close_after) return;
      if (!step.stray.empty()) {
        std::this_thread::sleep_for(step.stray_after);
        if (::send(fd, step.stray.data(), step.stray.size(), MSG_NOSIGNAL) < 0) return;
      }
    }
  }

  bool read_more(int fd, std::string& in) {
    if (!wait_readable(fd)) return false;
    char buffer[4096];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    in.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

  std::vector<Step> steps_;
  std::size_t next_ = 0;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0}, requests_{0};
  std::thread thread_;
};

inline Config parse(const json::object& c) {
  std::vector<ConfigError> errors;
  auto parsed = parse_config(json::serialize(c), errors);
  std::string text;
  for (auto& e : errors) text += e.field + ": " + e.message + "\n";
  BOOST_REQUIRE_MESSAGE(parsed, text);
  return std::move(*parsed);
}

// A responder that answers 200 after `delay`.
inline mock::Responder answer_after(std::chrono::milliseconds delay) {
  return [delay](const mock::RecordedRequest&) {
    mock::Response r;
    r.delay = delay;
    return r;
  };
}

// Views of `texts` for submit_batch, with tokens from `first_token` on.
inline std::vector<Engine::RecordView> views_of(const std::vector<std::string>& texts, std::uint64_t first_token = 0) {
  std::vector<Engine::RecordView> views;
  for (std::size_t i = 0; i < texts.size(); ++i) views.push_back({texts[i], first_token + i});
  return views;
}

inline std::string record(int i, std::string_view extra_profile = "") {
  return R"({"event_id": "e-)" + std::to_string(i) + R"(", "profile": {"id": "u)" + std::to_string(i) +
         R"(", "email": "u)" + std::to_string(i) + R"(@example.com")" + std::string(extra_profile) +
         R"(}, "event": {"name": "purchase", "time": "2026-01-01T00:00:00Z"}, "journey": {"name": "Welcome", "stage": "Day 1"}})";
}

// Every line the engine logs (hooks.log), with its level.
struct LogLines {
  std::function<void(LogLevel, const std::string&)> hook() {
    return [this](LogLevel level, const std::string& message) {
      std::lock_guard lock(mutex);
      all.emplace_back(level, message);
    };
  }
  std::vector<std::pair<LogLevel, std::string>> get() {
    std::lock_guard lock(mutex);
    return all;
  }
  std::size_t count(LogLevel level, std::string_view words) {
    std::size_t n = 0;
    for (const auto& [l, message] : get()) n += l == level && message.find(words) != std::string::npos;
    return n;
  }

 private:
  std::mutex mutex;
  std::vector<std::pair<LogLevel, std::string>> all;
};

// The engine's warnings (hooks.log), kept for the test to read.
struct Warnings {
  std::function<void(LogLevel, const std::string&)> hook() {
    return [this](LogLevel level, const std::string& message) {
      std::lock_guard lock(mutex);
      if (level == LogLevel::warning) all.push_back(message);
    };
  }
  std::vector<std::string> get() {
    std::lock_guard lock(mutex);
    return all;
  }

 private:
  std::mutex mutex;
  std::vector<std::string> all;
};

// With WEBHOOK_TEST_HOST_IO set (CTest's integration.delivery_host_io),
// every test runs with the host driving the engine's I/O through poll(), on
// a thread of the fixture's, as a runner offering output-step.host-io/1
// does; flush and shutdown then run the I/O on the test's thread.
inline bool host_drives_io() {
  static const bool on = std::getenv("WEBHOOK_TEST_HOST_IO") != nullptr;
  return on;
}

// The third way the suites run: every engine on a shared runtime, beside
// an idle neighbour on the same origin (the same pool).
inline bool on_shared_runtime() {
  static const bool on = std::getenv("WEBHOOK_TEST_SHARED_RUNTIME") != nullptr;
  return on;
}

// The neighbour: the same endpoint and connection settings (the same
// pool), no files.
inline Config neighbour_of(const Config& config) {
  const std::string origin =
      config.endpoint.scheme + "://" + config.endpoint.host + ":" + std::to_string(config.endpoint.port);
  json::object c{{"auth", {{"type", "td_webhook_out"}, {"url_prefix", origin + "/"}, {"api_key", "neighbour"}}},
                 {"activation", {{"name", "neighbour"}, {"url", origin + "/neighbour/{{profile.id}}"}, {"body", "{}"}}},
                 {"advanced",
                  {{"webhook_connection_timeout", config.connect_timeout.count()},
                   {"webhook_read_timeout", config.read_timeout.count()},
                   {"webhook_write_timeout", config.write_timeout.count()}}}};
  json::object tls{{"verify", config.tls.verify}};
  if (!config.tls.ca_file.empty()) tls["ca_file"] = config.tls.ca_file;
  c["delivery"] = json::object{{"tls", std::move(tls)}};
  std::vector<ConfigError> errors;
  auto parsed = parse_config(json::serialize(c), errors);
  BOOST_REQUIRE_MESSAGE(parsed, "the neighbour's configuration: " << (errors.empty() ? "" : errors[0].message));
  return std::move(*parsed);
}

// A host clock the test moves by hand (output-step.host-clock/1): hours of
// retries in milliseconds.
class HostTime final : public HostClock {
 public:
  std::int64_t now_ms() override { return now.load(); }
  void request_wakeup(std::int64_t) override {}
  std::atomic<std::int64_t> now{1'800'000'000'000};
};

// Polls `done` for about five seconds.
template <class Predicate>
bool eventually(Predicate done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

// The host time the engine next asks to be woken, once it is later than the
// clock's now (the engine has taken in what happened); -1 when it asks for
// none within a few seconds.
inline std::int64_t next_wakeup(const Engine& engine, const HostTime& clock) {
  std::int64_t wake = -1;
  return eventually([&] { return (wake = engine.next_wakeup_ms()) > clock.now.load(); }) ? wake : -1;
}

// Moves the clock to the engine's next wake-up and tells it; false when it
// asks for none.
inline bool advance(Engine& engine, HostTime& clock) {
  const std::int64_t wake = next_wakeup(engine, clock);
  if (wake < 0) return false;
  clock.now = wake;
  engine.on_time();
  return true;
}

struct Fixture {
  test_support::Completions completions;
  std::function<void(const Completion&)> on_completion;  // also called, when set, before `completions` hears
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Engine> neighbour;  // on_shared_runtime()
  std::thread driver;
  std::atomic<bool> stop_driving{false};
  WriteFunction write_file = nullptr;  // the engine's files' write(2), when a test replaces it

  void start(Config config, HostClock* clock = nullptr, std::function<void(LogLevel, const std::string&)> log = {}) {
    EngineHooks hooks;
    hooks.on_completion = [this](const Completion& c) {
      if (on_completion) on_completion(c);
      completions.add(c);
    };
    hooks.clock = clock;
    hooks.log = std::move(log);
    hooks.host_drives_io = host_drives_io();
    hooks.write_file = write_file;
    if (on_shared_runtime()) {
      RuntimeOptions options;
      options.busy_poll = config.busy_poll;  // as the module makes one: with its first step's
      hooks.runtime = shared_runtime("delivery-test", nullptr, options);
      EngineHooks idle;
      idle.runtime = hooks.runtime;
      neighbour = std::make_unique<Engine>(neighbour_of(config), std::move(idle));
    }
    engine = std::make_unique<Engine>(std::move(config), std::move(hooks));
    if (host_drives_io()) {
      driver = std::thread([this, e = engine.get()] {
        while (!stop_driving.load()) e->poll(10ms);
      });
    }
  }
  // Stops the host's polling first: the ABI has destroy's caller take over.
  std::uint64_t shutdown(std::chrono::milliseconds timeout) {
    stop();
    return engine->shutdown(timeout);
  }
  void stop() {
    stop_driving = true;
    if (driver.joinable()) driver.join();
  }
  ~Fixture() { stop(); }
  void submit(const std::string& text, std::uint64_t token) {
    std::string error;
    BOOST_REQUIRE_MESSAGE(engine->submit(text, token, error) == SubmitStatus::accepted, error);
  }
};

inline std::string temp_path(const std::string& name) {
  auto path = test_support::scratch_dir("webhook-it") / name;
  std::filesystem::remove_all(path);
  return path.string();
}

// webhook-mock over HTTPS with a certificate from a CA made now, and that
// CA written to `ca_file` for a configuration's delivery.tls.ca_file.
struct TrustedHttpsServer {
  explicit TrustedHttpsServer(const std::string& ca_name)
      : certs(webhook_common::generate_certificates()), ca_file(temp_path(ca_name)), server(options(certs)) {
    std::ofstream(ca_file) << certs.ca_certificate_pem;
  }

  static mock::ServerOptions options(const webhook_common::GeneratedCertificates& certs) {
    mock::ServerOptions o;
    o.https = true;
    o.certificate_pem = certs.server_certificate_pem;
    o.private_key_pem = certs.server_key_pem;
    return o;
  }

  webhook_common::GeneratedCertificates certs;
  std::string ca_file;
  mock::Server server;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::vector<json::object> lines_of(const std::string& path) {
  std::vector<json::object> out;
  std::istringstream in(slurp(path));
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line).as_object());
  return out;
}

}  // namespace delivery_test
