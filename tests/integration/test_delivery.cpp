// The delivery engine over real loopback sockets, against webhook-mock's
// server started in the test: HTTP, HTTPS, keep-alive, retries, faults,
// dead letters, ordering, rate limit, back-pressure and shutdown.
#define BOOST_TEST_MODULE integration_delivery
#include "config.hpp"
#include "delivery_engine.hpp"
#include "http_connection.hpp"
#include "support/completions.hpp"
#include "support/scratch_dir.hpp"
#include "webhook_mock/certificates.hpp"
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

namespace {

constexpr const char* kApiKey = "sk_live_SECRET-do-not-leak";

json::object config_for_url(const std::string& base_url, json::object delivery = {}) {
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

json::object config_for(const mock::Server& server, json::object delivery = {}) {
  return config_for_url(server.base_url(), std::move(delivery));
}

// Answers each request with the next of a script of raw responses, byte for
// byte: what webhook-mock (which frames every answer with Content-Length)
// never sends: chunked bodies, interim 1xx, HTTP/1.0 bodies ended by the
// close. One connection at a time, on a thread of its own.
class ScriptedServer {
 public:
  struct Step {
    std::string response;
    bool close_after = false;
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

Config parse(const json::object& c) {
  std::vector<ConfigError> errors;
  auto parsed = parse_config(json::serialize(c), errors);
  std::string text;
  for (auto& e : errors) text += e.field + ": " + e.message + "\n";
  BOOST_REQUIRE_MESSAGE(parsed, text);
  return std::move(*parsed);
}

// A responder that answers 200 after `delay`.
mock::Responder answer_after(std::chrono::milliseconds delay) {
  return [delay](const mock::RecordedRequest&) {
    mock::Response r;
    r.delay = delay;
    return r;
  };
}

// Views of `texts` for submit_batch, with tokens from `first_token` on.
std::vector<Engine::RecordView> views_of(const std::vector<std::string>& texts, std::uint64_t first_token = 0) {
  std::vector<Engine::RecordView> views;
  for (std::size_t i = 0; i < texts.size(); ++i) views.push_back({texts[i], first_token + i});
  return views;
}

std::string record(int i, std::string_view extra_profile = "") {
  return R"({"event_id": "e-)" + std::to_string(i) + R"(", "profile": {"id": "u)" + std::to_string(i) +
         R"(", "email": "u)" + std::to_string(i) + R"(@example.com")" + std::string(extra_profile) +
         R"(}, "event": {"name": "purchase", "time": "2026-01-01T00:00:00Z"}, "journey": {"name": "Welcome", "stage": "Day 1"}})";
}

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
bool host_drives_io() {
  static const bool on = std::getenv("WEBHOOK_TEST_HOST_IO") != nullptr;
  return on;
}

struct Fixture {
  test_support::Completions completions;
  std::function<void(const Completion&)> on_completion;  // also called, when set, before `completions` hears
  std::unique_ptr<Engine> engine;
  std::thread driver;
  std::atomic<bool> stop_driving{false};

  void start(Config config, HostClock* clock = nullptr, std::function<void(LogLevel, const std::string&)> log = {}) {
    EngineHooks hooks;
    hooks.on_completion = [this](const Completion& c) {
      if (on_completion) on_completion(c);
      completions.add(c);
    };
    hooks.clock = clock;
    hooks.log = std::move(log);
    hooks.host_drives_io = host_drives_io();
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

std::string temp_path(const std::string& name) {
  auto path = test_support::scratch_dir("webhook-it") / name;
  std::filesystem::remove_all(path);
  return path.string();
}

// webhook-mock over HTTPS with a certificate from a CA made now, and that
// CA written to `ca_file` for a configuration's delivery.tls.ca_file.
struct TrustedHttpsServer {
  explicit TrustedHttpsServer(const std::string& ca_name)
      : certs(mock::generate_certificates()), ca_file(temp_path(ca_name)), server(options(certs)) {
    std::ofstream(ca_file) << certs.ca_certificate_pem;
  }

  static mock::ServerOptions options(const mock::GeneratedCertificates& certs) {
    mock::ServerOptions o;
    o.https = true;
    o.certificate_pem = certs.server_certificate_pem;
    o.private_key_pem = certs.server_key_pem;
    return o;
  }

  mock::GeneratedCertificates certs;
  std::string ca_file;
  mock::Server server;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<json::object> lines_of(const std::string& path) {
  std::vector<json::object> out;
  std::istringstream in(slurp(path));
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line).as_object());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(http_delivery_reuses_at_most_concurrency_connections) {
  mock::Server server;
  Fixture f;
  f.start(parse(config_for(server, {{"concurrency", 4}})));
  const int n = 300;
  for (int i = 0; i < n; ++i) f.submit(record(i), static_cast<std::uint64_t>(i));
  BOOST_REQUIRE(f.completions.wait_for(n));
  for (const auto& c : f.completions.all()) {
    BOOST_TEST((c.outcome == Outcome::delivered));
    BOOST_TEST(c.http_status == 200);
    BOOST_TEST(c.attempts == 1u);
  }
  BOOST_TEST(server.connections_accepted() <= 4u);
  auto requests = server.requests();
  BOOST_REQUIRE_EQUAL(requests.size(), static_cast<std::size_t>(n));
  const auto& r = requests.front();
  BOOST_TEST(r.method == "POST");
  BOOST_TEST(r.path.rfind("/v1/users/u", 0) == 0u);
  BOOST_TEST(r.header("Authorization") == std::string("Bearer ") + kApiKey);
  BOOST_TEST(r.header("X-Tier") == "basic");
  BOOST_TEST(r.header("Content-Type") == "application/json");
  BOOST_TEST(r.header("webhook-id").rfind("msg_", 0) == 0u);
  BOOST_TEST(!r.header("webhook-timestamp").empty());
  auto body = json::parse(r.body).as_object();
  BOOST_TEST(body.at("journey").as_string() == "Welcome");
  BOOST_TEST(body.at("stage").as_string() == "Day 1");
  auto stats = json::parse(f.engine->stats_json()).as_object();
  BOOST_TEST(stats.at("delivered").to_number<std::uint64_t>() == static_cast<std::uint64_t>(n));
  BOOST_TEST(stats.at("connections_opened").to_number<std::uint64_t>() <= 4u);
  BOOST_TEST(f.engine->stats_json().find(kApiKey) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(https_with_generated_ca_and_a_verification_failure) {
  TrustedHttpsServer https("ca.pem");
  mock::Server& server = https.server;

  Fixture trusted;
  trusted.start(parse(config_for(server, {{"tls", {{"ca_file", https.ca_file}}}})));
  for (int i = 0; i < 20; ++i) trusted.submit(record(i), static_cast<std::uint64_t>(i));
  BOOST_REQUIRE(trusted.completions.wait_for(20));
  for (const auto& c : trusted.completions.all()) BOOST_TEST((c.outcome == Outcome::delivered), c.error);

  // The system trust store does not know the generated CA: permanent, quick.
  Fixture untrusted;
  untrusted.start(parse(config_for(server)));
  auto started = std::chrono::steady_clock::now();
  untrusted.submit(record(1), 1);
  BOOST_REQUIRE(untrusted.completions.wait_for(1));
  auto c = untrusted.completions.all().front();
  BOOST_TEST((c.outcome == Outcome::failed));
  BOOST_TEST(c.attempts == 1u);
  BOOST_TEST(c.error.find("certificate verification failed") != std::string::npos, c.error);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 3s));
}

BOOST_AUTO_TEST_CASE(https_bodies_of_the_largest_size_arrive_whole_and_in_order) {
  // TLS writes a request in pieces (records of 16 KiB at most): every byte
  // must arrive once and in order, twice over on one connection.
  TrustedHttpsServer https("ca-large.pem");
  mock::Server& server = https.server;
  auto c = config_for(server, {{"tls", {{"ca_file", https.ca_file}}}, {"concurrency", 1}});
  c["activation"].as_object()["body_format"] = "text";
  c["activation"].as_object()["body"] = "{{profile.blob}}";
  std::string blob(250000, '\0');
  for (std::size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>('0' + (i * 7 + i / 10) % 10);
  Fixture f;
  f.start(parse(c));
  f.submit(record(1, R"(, "blob": ")" + blob + "\""), 1);
  f.submit(record(2, R"(, "blob": ")" + blob + "\""), 2);
  BOOST_REQUIRE(f.completions.wait_for(2));
  for (const auto& done : f.completions.all()) BOOST_TEST((done.outcome == Outcome::delivered), done.error);
  auto requests = server.requests();
  BOOST_REQUIRE_EQUAL(requests.size(), 2u);
  for (const auto& request : requests) BOOST_TEST((request.body == blob));
  BOOST_TEST(server.connections_accepted() == 1u);
}

BOOST_AUTO_TEST_CASE(tls_verify_false_delivers_to_an_untrusted_server_and_warns) {
  mock::ServerOptions options;
  options.https = true;  // a certificate from a CA nobody trusts
  mock::Server server(options);
  Warnings warned;
  Fixture f;
  f.start(parse(config_for(server, {{"tls", {{"verify", false}}}})), nullptr, warned.hook());
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  BOOST_TEST((f.completions.all().front().outcome == Outcome::delivered), f.completions.all().front().error);
  const auto warnings = warned.get();
  BOOST_REQUIRE(!warnings.empty());
  BOOST_TEST(warnings.front().find("delivery.tls.verify is false") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(retry_on_503_keeps_the_webhook_id) {
  mock::Server server;
  std::atomic<int> calls{0};
  server.set_responder([&](const mock::RecordedRequest&) {
    mock::Response r;
    r.status = ++calls <= 2 ? 503 : 200;
    return r;
  });
  Fixture f;
  f.start(parse(config_for(server)));
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  auto c = f.completions.all().front();
  BOOST_TEST((c.outcome == Outcome::delivered));
  BOOST_TEST(c.attempts == 3u);
  auto requests = server.requests();
  BOOST_REQUIRE_EQUAL(requests.size(), 3u);
  BOOST_TEST(requests[0].header("webhook-id") == requests[2].header("webhook-id"));
  BOOST_TEST(requests[0].header("webhook-id") == c.delivery_id);

  // The id derives from the activation and the event id: a resubmission keeps it.
  f.submit(record(1), 2);
  BOOST_REQUIRE(f.completions.wait_for(2));
  BOOST_TEST(server.requests().back().header("webhook-id") == c.delivery_id);
}

namespace {
class ManualClock final : public HostClock {
 public:
  std::int64_t now_ms() override { return now.load(); }
  void request_wakeup(std::int64_t at_ms) override {
    std::lock_guard lock(mutex);
    wakeups.push_back(at_ms);
  }
  std::int64_t last_wakeup() {
    std::lock_guard lock(mutex);
    return wakeups.empty() ? -1 : wakeups.back();
  }
  std::atomic<std::int64_t> now{1'800'000'000'000};
  std::mutex mutex;
  std::vector<std::int64_t> wakeups;
};
}  // namespace

BOOST_AUTO_TEST_CASE(retry_after_of_an_hour_passes_on_host_time) {
  mock::Server server;
  std::atomic<int> calls{0};
  server.set_responder([&](const mock::RecordedRequest&) {
    mock::Response r;
    if (++calls == 1) {
      r.status = 429;
      r.headers = {{"Retry-After", "3600"}};
    }
    return r;
  });
  ManualClock clock;
  Fixture f;
  f.start(parse(config_for(server)), &clock);
  auto started = std::chrono::steady_clock::now();
  f.submit(record(1), 1);
  // Wait until the engine asks to be woken in an hour of host time.
  std::int64_t wake = -1;
  for (int i = 0; i < 500 && (wake = f.engine->next_wakeup_ms()) < 0; ++i) std::this_thread::sleep_for(10ms);
  BOOST_REQUIRE(wake > 0);
  BOOST_TEST(wake - clock.now.load() >= 3'600'000);
  BOOST_TEST(clock.last_wakeup() == wake);
  std::uint64_t unfinished = 0, waiting = 0;
  f.engine->pending(unfinished, waiting);
  BOOST_TEST(unfinished == 1u);
  BOOST_TEST(waiting == 1u);
  BOOST_TEST(f.completions.size() == 0u);
  clock.now = wake;
  f.engine->on_time();
  BOOST_REQUIRE(f.completions.wait_for(1));
  BOOST_TEST((f.completions.all().front().outcome == Outcome::delivered));
  BOOST_TEST(f.completions.all().front().attempts == 2u);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 5s));
  // webhook-timestamp follows host time
  auto requests = server.requests();
  BOOST_TEST(requests.back().header("webhook-timestamp") == std::to_string(wake / 1000));
}

BOOST_AUTO_TEST_CASE(read_timeout_is_retried_then_given_up) {
  mock::Server server;
  server.set_responder(answer_after(2500ms));
  auto c = config_for(server);
  c["advanced"] = {{"webhook_retry_count", 1}, {"webhook_read_timeout", 1}};
  Fixture f;
  f.start(parse(c));
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1, 10s));
  auto done = f.completions.all().front();
  BOOST_TEST((done.outcome == Outcome::failed));
  BOOST_TEST(done.attempts == 2u);
  BOOST_TEST(done.error.find("read: timed out") != std::string::npos, done.error);
}

BOOST_AUTO_TEST_CASE(responses_framed_every_way_are_read_and_connections_reused_only_when_safe) {
  // The server closes only where it says so: a client that reused a
  // connection it should have let go would be answered on it, and the
  // count of connections would show it.
  ScriptedServer server({
      // an interim 100, then a chunked body with an extension and a trailer: delivered, kept
      {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
       "4;x=y\r\nokay\r\n0\r\nX-Trailer: 1\r\n\r\n"},
      // a 503 with a body on the same connection: retried there
      {"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nRetry-After: 0\r\n\r\nbusy"},
      // HTTP/1.0 without keep-alive: delivered, and not reused though the server keeps it open
      {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"},
      // a body ended by the close
      {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the close", true},
      // Connection: close, though the server keeps it open
      {"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"},
  });
  Fixture f;
  f.start(parse(config_for_url(server.base_url(), {{"concurrency", 1}})));
  for (int i = 0; i < 5; ++i) {
    f.submit(record(i), static_cast<std::uint64_t>(i));
    BOOST_REQUIRE(f.engine->flush(5s));  // one at a time: the script's order is the records'
  }
  auto all = f.completions.all();
  BOOST_REQUIRE(all.size() == 5u);
  for (const auto& c : all) BOOST_TEST((c.outcome == Outcome::delivered), c.token << ": " << c.error);
  BOOST_TEST(all[0].attempts == 1u);
  BOOST_TEST(all[1].attempts == 2u);  // 503, then the HTTP/1.0 answer
  BOOST_TEST(all[3].http_status == 204);
  BOOST_TEST(server.requests() == 6);
  // 1-3 on the first connection, 4 on a second, 5 on a third, 6 on a fourth.
  BOOST_TEST(server.connections() == 4);
}

BOOST_AUTO_TEST_CASE(connect_timeout_ends_a_connection_that_is_never_accepted) {
  // A listener whose accept queue is full: the kernel drops further SYNs,
  // so a connect hangs until the connect timeout's watchdog ends it.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  BOOST_REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  BOOST_REQUIRE(::listen(listener, 0) == 0);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(100ms);
  auto c = config_for_url("http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)), {{"concurrency", 1}});
  c["advanced"] = {{"webhook_retry_count", 0}, {"webhook_connection_timeout", 1}};
  Fixture f;
  f.start(parse(c));
  auto started = std::chrono::steady_clock::now();
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1, 10s));
  auto elapsed = std::chrono::steady_clock::now() - started;
  auto done = f.completions.all().front();
  BOOST_TEST((done.outcome == Outcome::failed));
  BOOST_TEST(done.error.find("connect: timed out") != std::string::npos, done.error);
  BOOST_TEST(elapsed >= 900ms);
  BOOST_TEST(elapsed < 3s);
  for (int fd : fillers) ::close(fd);
  ::close(listener);
}

BOOST_AUTO_TEST_CASE(connection_reset_is_retried) {
  mock::Server server;
  std::atomic<int> calls{0};
  server.set_responder([&](const mock::RecordedRequest&) {
    mock::Response r;
    if (++calls == 1) r.fault = mock::Fault::connection_reset_by_peer;
    return r;
  });
  Fixture f;
  f.start(parse(config_for(server)));
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  auto c = f.completions.all().front();
  BOOST_TEST((c.outcome == Outcome::delivered), c.error);
  BOOST_TEST(c.attempts == 2u);
}

BOOST_AUTO_TEST_CASE(permanent_400_goes_to_dead_letters_without_secrets) {
  mock::Server server;
  server.set_responder([](const mock::RecordedRequest& request) {
    mock::Response r;
    r.status = 400;
    r.body = "bad request; you sent " + request.header("Authorization");  // echoes the key
    return r;
  });
  std::string dead = temp_path("dead.ndjson"), log = temp_path("log.ndjson");
  Fixture f;
  f.start(parse(config_for(server, {{"dead_letter_file", dead}, {"delivery_log_file", log}})));
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  auto c = f.completions.all().front();
  BOOST_TEST((c.outcome == Outcome::dead_lettered));
  BOOST_TEST(c.attempts == 1u);
  BOOST_TEST(c.http_status == 400);
  BOOST_TEST(server.requests().size() == 1u);  // never retried
  f.shutdown(1s);

  auto letters = lines_of(dead);
  BOOST_REQUIRE_EQUAL(letters.size(), 1u);
  BOOST_TEST(letters[0].at("activation").as_string() == "welcome");
  BOOST_TEST(letters[0].at("event_id").as_string() == "e-1");
  BOOST_TEST(letters[0].at("record").as_object().at("profile").as_object().at("id").as_string() == "u1");
  BOOST_TEST(letters[0].at("attempts").as_array().size() == 1u);
  BOOST_TEST(letters[0].at("attempts").as_array()[0].as_object().at("status").as_int64() == 400);
  auto rows = lines_of(log);
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  for (const char* column : {"time", "delivered", "status", "timestamp", "activation_type", "log_time", "journey_name",
                             "journey_stage_name", "activation_name", "rid", "error", "activation_id", "event_id",
                             "response"}) {
    BOOST_TEST(rows[0].contains(column), column);
  }
  BOOST_TEST(rows[0].at("delivered").as_bool() == false);
  BOOST_TEST(rows[0].at("journey_name").as_string() == "Welcome");
  BOOST_TEST(rows[0].at("activation_id").as_string() == "act-7");
  BOOST_TEST(slurp(dead).find(kApiKey) == std::string::npos);
  BOOST_TEST(slurp(log).find(kApiKey) == std::string::npos);
  BOOST_TEST(slurp(log).find("[REDACTED]") != std::string::npos);
  BOOST_TEST(c.error.find(kApiKey) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(redirects_are_permanent_failures) {
  mock::Server server;
  server.set_responder([](const mock::RecordedRequest&) {
    mock::Response r;
    r.status = 302;
    r.headers = {{"Location", "http://elsewhere.example/"}};
    return r;
  });
  Fixture f;
  f.start(parse(config_for(server)));
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  auto c = f.completions.all().front();
  BOOST_TEST((c.outcome == Outcome::failed));
  BOOST_TEST(c.attempts == 1u);
  BOOST_TEST(c.error.find("redirects are not followed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(body_size_boundary_250000_bytes) {
  mock::Server server;
  auto c = config_for(server);
  c["activation"].as_object()["body_format"] = "text";
  c["activation"].as_object()["body"] = "{{profile.blob}}";
  std::string dead = temp_path("dead-size.ndjson");
  c["delivery"].as_object()["dead_letter_file"] = dead;
  Fixture f;
  f.start(parse(c));
  f.submit(record(1, R"(, "blob": ")" + std::string(250000, 'a') + "\""), 1);
  f.submit(record(2, R"(, "blob": ")" + std::string(250001, 'a') + "\""), 2);
  BOOST_REQUIRE(f.completions.wait_for(2));
  std::map<std::uint64_t, Completion> by_token;
  for (auto& done : f.completions.all()) by_token[done.token] = done;
  BOOST_TEST((by_token[1].outcome == Outcome::delivered));
  BOOST_TEST((by_token[2].outcome == Outcome::dead_lettered));
  BOOST_TEST(by_token[2].attempts == 0u);
  BOOST_TEST(by_token[2].error.find("250001 bytes; the limit is 250000") != std::string::npos, by_token[2].error);
  auto requests = server.requests();
  BOOST_REQUIRE_EQUAL(requests.size(), 1u);
  BOOST_TEST(requests[0].body.size() == 250000u);
  BOOST_TEST(requests[0].header("Content-Type") == "text/plain; charset=utf-8");
}

BOOST_AUTO_TEST_CASE(hostile_profile_values_cannot_reshape_the_request) {
  mock::Server server;
  Fixture f;
  f.start(parse(config_for(server)));
  // In the URL and body: stays one segment, stays one string.
  f.submit(R"({"event_id": "h1", "profile": {"id": "u1/../../admin?x=1#", "email": "\"}, \"admin\": true, \"x\": {\""},
              "event": {"name": "e"}, "journey": {"name": "J", "stage": "S"}})",
           1);
  // In a header: a CR/LF fails the record before anything is sent.
  f.submit(R"({"event_id": "h2", "profile": {"id": "u2", "email": "a@b", "tier": "gold\r\nX-Admin: yes"},
              "event": {"name": "e"}, "journey": {"name": "J", "stage": "S"}})",
           2);
  BOOST_REQUIRE(f.completions.wait_for(2));
  std::map<std::uint64_t, Completion> by_token;
  for (auto& done : f.completions.all()) by_token[done.token] = done;
  BOOST_TEST((by_token[1].outcome == Outcome::delivered), by_token[1].error);
  BOOST_TEST((by_token[2].outcome == Outcome::failed));
  BOOST_TEST(by_token[2].error.find("control character") != std::string::npos, by_token[2].error);
  auto requests = server.requests();
  BOOST_REQUIRE_EQUAL(requests.size(), 1u);
  BOOST_TEST(requests[0].path == "/v1/users/u1%2F..%2F..%2Fadmin%3Fx%3D1%23");
  BOOST_TEST(requests[0].query.empty());
  auto body = json::parse(requests[0].body).as_object();
  BOOST_TEST(body.size() == 4u);
  BOOST_TEST(!body.contains("admin"));
  for (const auto& [name, value] : requests[0].headers) BOOST_TEST(name != "X-Admin");
}

BOOST_AUTO_TEST_CASE(missing_variable_fails_the_record_unless_defaulted) {
  mock::Server server;
  Fixture f;
  f.start(parse(config_for(server)));
  // No profile.email: the body template has no default for it.
  f.submit(R"({"event_id": "m1", "profile": {"id": "u1"}, "event": {"name": "e"}, "journey": {"name": "J", "stage": "S"}})",
           1);
  // No profile.tier: the header has a default.
  f.submit(record(2), 2);
  BOOST_REQUIRE(f.completions.wait_for(2));
  std::map<std::uint64_t, Completion> by_token;
  for (auto& done : f.completions.all()) by_token[done.token] = done;
  BOOST_TEST((by_token[1].outcome == Outcome::failed));
  BOOST_TEST(by_token[1].error.find("profile.email") != std::string::npos, by_token[1].error);
  BOOST_TEST((by_token[2].outcome == Outcome::delivered));
  BOOST_TEST(server.requests().at(0).header("X-Tier") == "basic");
}

BOOST_AUTO_TEST_CASE(ordering_key_holds_later_records_behind_a_retry) {
  mock::ServerOptions two_threads;
  two_threads.threads = 2;
  mock::Server server(two_threads);
  std::mutex mutex;
  std::map<std::string, int> first_seen;
  server.set_responder([&](const mock::RecordedRequest& request) {
    mock::Response r;
    auto body = json::parse(request.body).as_object();
    std::string email(body.at("email").as_string());
    std::lock_guard lock(mutex);
    // The first attempt of every record fails once: each retry must hold
    // back the later records of its key.
    if (first_seen[email]++ == 0) r.status = 503;
    return r;
  });
  auto c = config_for(server, {{"concurrency", 16}, {"ordering_key", "{{profile.id}}"}});
  c["activation"].as_object()["body"] = R"({"email": "{{profile.email}}", "seq": {{event.seq}}})";
  Fixture f;
  f.start(parse(c));
  const int keys = 5, per_key = 20;
  int token = 0;
  for (int s = 0; s < per_key; ++s) {
    for (int k = 0; k < keys; ++k) {
      f.submit(R"({"event_id": "o-)" + std::to_string(k) + "-" + std::to_string(s) + R"(", "profile": {"id": "k)" +
                   std::to_string(k) + R"(", "email": "k)" + std::to_string(k) + "-" + std::to_string(s) +
                   R"("}, "event": {"name": "e", "seq": )" + std::to_string(s) + "}}",
               static_cast<std::uint64_t>(token++));
    }
  }
  BOOST_REQUIRE(f.completions.wait_for(keys * per_key));
  for (const auto& done : f.completions.all()) BOOST_TEST((done.outcome == Outcome::delivered), done.error);
  std::map<std::string, int> last_seq;
  for (const auto& request : server.requests()) {
    auto body = json::parse(request.body).as_object();
    std::string email(body.at("email").as_string());
    std::string key = email.substr(0, email.find('-'));
    int seq = static_cast<int>(body.at("seq").as_int64());
    auto it = last_seq.find(key);
    // Every request of a key is for the same or the next record: none overtakes.
    if (it != last_seq.end()) BOOST_TEST((seq == it->second || seq == it->second + 1), key << " " << seq);
    last_seq[key] = seq;
  }
}

BOOST_AUTO_TEST_CASE(rate_limit_holds) {
  mock::Server server;
  Fixture f;
  f.start(parse(config_for(server, {{"rate_limit_per_second", 50}})));
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 30; ++i) f.submit(record(i), static_cast<std::uint64_t>(i));
  BOOST_REQUIRE(f.completions.wait_for(30));
  auto elapsed = std::chrono::steady_clock::now() - started;
  // A burst of 5 tokens, then 50/s: 25 more need at least 0.5 s.
  BOOST_TEST((elapsed >= 450ms));
  BOOST_TEST((elapsed < 3s));
}

BOOST_AUTO_TEST_CASE(back_pressure_at_max_in_flight) {
  mock::Server server;
  server.set_responder(answer_after(300ms));
  Fixture f;
  f.start(parse(config_for(server, {{"max_in_flight", 5}})));
  for (int i = 0; i < 5; ++i) f.submit(record(i), static_cast<std::uint64_t>(i));
  std::string error;
  BOOST_TEST((f.engine->submit(record(5), 5, error) == SubmitStatus::busy));
  BOOST_TEST(f.engine->flush(5s));
  BOOST_TEST((f.engine->submit(record(5), 5, error) == SubmitStatus::accepted));
  BOOST_TEST(f.engine->flush(5s));
  BOOST_TEST(f.completions.size() == 6u);
  auto stats = json::parse(f.engine->stats_json()).as_object();
  BOOST_TEST(stats.at("rejected_busy").to_number<std::uint64_t>() == 1u);
}

BOOST_AUTO_TEST_CASE(latency_is_split_into_the_wait_to_send_and_the_response) {
  // One connection and an endpoint that takes 100 ms: three records sent
  // together wait 0, 100 and 200 ms for the connection, and each response
  // takes 100 ms.
  mock::Server server;
  server.set_responder(answer_after(100ms));
  Fixture f;
  f.start(parse(config_for(server, {{"concurrency", 1}})));
  std::vector<std::string> texts{record(0), record(1), record(2)};
  std::vector<Engine::RecordView> views = views_of(texts);
  SubmitStatus status = SubmitStatus::accepted;
  std::string error;
  BOOST_REQUIRE(f.engine->submit_batch(views.data(), views.size(), status, error) == 3u);
  BOOST_REQUIRE(f.engine->flush(10s));
  auto stats = json::parse(f.engine->stats_json()).as_object();
  auto figure = [&stats](const char* name, const char* key) {
    return stats.at(name).as_object().at(key).to_number<std::int64_t>();
  };
  for (const char* name : {"latency", "latency_to_send", "latency_response"}) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(figure(name, "count") == 3);
      BOOST_TEST(figure(name, "p50_us") <= figure(name, "p99_us"));
      BOOST_TEST(figure(name, "p99_us") <= figure(name, "max_us") * 11 / 10);  // buckets are ~10 % wide
    }
  }
  BOOST_TEST(figure("latency_response", "p50_us") >= 90'000);
  BOOST_TEST(figure("latency_response", "max_us") < 1'000'000);
  BOOST_TEST(figure("latency_to_send", "max_us") >= 180'000);  // the third waited for two responses
  BOOST_TEST(figure("latency_to_send", "p50_us") < figure("latency_to_send", "max_us"));
  BOOST_TEST(figure("latency", "max_us") >= 280'000);
}

// CPU time this process has used so far (user and system), in microseconds.
std::int64_t process_cpu_us() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto us = [](const timeval& t) { return std::int64_t{t.tv_sec} * 1'000'000 + t.tv_usec; };
  return us(usage.ru_utime) + us(usage.ru_stime);
}

BOOST_AUTO_TEST_CASE(busy_polling_delivers_then_sleeps_when_idle) {
  // delivery.busy_poll_us: after its last work the I/O thread polls for
  // 10 ms, then sleeps. Records in bursts further apart than that are all
  // delivered; once idle, the process uses next to no CPU (a thread that
  // never stopped polling would use 300 ms of it in 300 ms); and after a
  // record, it does poll (several ms of CPU for one delivery).
  mock::Server server;
  if (host_drives_io()) {
    // No I/O thread to poll: the setting is refused with a warning, and records still flow.
    Warnings warned;
    Fixture f;
    f.start(parse(config_for(server, {{"busy_poll_us", 10'000}})), nullptr, warned.hook());
    f.submit(record(1), 1);
    BOOST_REQUIRE(f.completions.wait_for(1));
    BOOST_TEST((f.completions.all().front().outcome == Outcome::delivered));
    BOOST_TEST(warned.get() == std::vector<std::string>{"delivery.busy_poll_us has no effect: the host drives the step's I/O"});
    return;
  }
  Fixture f;
  f.start(parse(config_for(server, {{"busy_poll_us", 10'000}})));
  for (int burst = 0; burst < 5; ++burst) {
    for (int i = 0; i < 20; ++i) f.submit(record(burst * 20 + i), static_cast<std::uint64_t>(burst * 20 + i));
    std::this_thread::sleep_for(25ms);
  }
  BOOST_REQUIRE(f.completions.wait_for(100));
  for (const auto& c : f.completions.all()) BOOST_TEST((c.outcome == Outcome::delivered));
  BOOST_TEST(server.requests().size() == 100u);

  std::this_thread::sleep_for(50ms);
  std::int64_t cpu = process_cpu_us();
  std::this_thread::sleep_for(300ms);
  BOOST_TEST(process_cpu_us() - cpu < 60'000);

  cpu = process_cpu_us();
  f.submit(record(100), 100);
  BOOST_REQUIRE(f.completions.wait_for(101));
  std::this_thread::sleep_for(50ms);
  BOOST_TEST(process_cpu_us() - cpu >= 3'000);
}

BOOST_AUTO_TEST_CASE(a_batch_is_accepted_up_to_its_first_invalid_or_busy_record) {
  mock::Server server;
  server.set_responder(answer_after(200ms));
  Fixture f;
  f.start(parse(config_for(server, {{"max_in_flight", 4}})));
  // A parse that fails half-way through an object, then good records: the
  // parser's leftovers must not outlive the record's memory (ASan checks).
  std::vector<std::string> texts{record(0), record(1), R"({"event_id": "e-2", "profile": {"id": )", record(3)};
  std::vector<Engine::RecordView> views = views_of(texts);
  SubmitStatus status = SubmitStatus::accepted;
  std::string error;
  BOOST_TEST(f.engine->submit_batch(views.data(), views.size(), status, error) == 2u);
  BOOST_TEST((status == SubmitStatus::invalid));
  BOOST_TEST(error.find("record is not valid JSON") == 0u, error);
  // Two slots of four are taken: of three more, two are accepted, then busy.
  std::vector<std::string> more{record(10), record(11), record(12)};
  std::vector<Engine::RecordView> more_views = views_of(more, 10);
  BOOST_TEST(f.engine->submit_batch(more_views.data(), more_views.size(), status, error) == 2u);
  BOOST_TEST((status == SubmitStatus::busy));
  BOOST_TEST(f.engine->flush(5s));
  BOOST_TEST(f.engine->submit_batch(more_views.data() + 2, 1, status, error) == 1u);
  BOOST_TEST((status == SubmitStatus::accepted));
  BOOST_TEST(f.engine->flush(5s));
  BOOST_TEST(f.completions.size() == 5u);
  auto stats = json::parse(f.engine->stats_json()).as_object();
  BOOST_TEST(stats.at("rejected_invalid").to_number<std::uint64_t>() == 1u);
  BOOST_TEST(stats.at("rejected_busy").to_number<std::uint64_t>() == 1u);
  BOOST_TEST(stats.at("in_flight").to_number<std::uint64_t>() == 0u);
  BOOST_TEST(server.count() == 5u);
}

BOOST_AUTO_TEST_CASE(one_completion_per_record_when_destroyed_mid_stream) {
  mock::Server server;
  server.set_responder(answer_after(2s));
  std::string dead = temp_path("dead-shutdown.ndjson");
  Fixture f;
  f.start(parse(config_for(server, {{"concurrency", 4}, {"dead_letter_file", dead},
                                    {"ordering_key", "{{profile.tier | default: \"k\"}}"}})));
  const int n = 60;
  for (int i = 0; i < n; ++i) f.submit(record(i), static_cast<std::uint64_t>(i));
  std::uint64_t cut = f.shutdown(200ms);
  BOOST_TEST(cut == static_cast<std::uint64_t>(n));
  BOOST_REQUIRE_EQUAL(f.completions.size(), static_cast<std::size_t>(n));
  std::set<std::uint64_t> tokens;
  for (const auto& done : f.completions.all()) {
    tokens.insert(done.token);
    BOOST_TEST((done.outcome == Outcome::dead_lettered));
    BOOST_TEST(done.error.find("destroyed before delivery finished") != std::string::npos);
  }
  BOOST_TEST(tokens.size() == static_cast<std::size_t>(n));
  BOOST_TEST(lines_of(dead).size() == static_cast<std::size_t>(n));
  std::string error;
  BOOST_TEST((f.engine->submit(record(99), 99, error) == SubmitStatus::closed));
}

BOOST_AUTO_TEST_CASE(standard_webhooks_signature) {
  mock::Server server;
  // whsec_ + base64("0123456789abcdef0123456789abcdef")
  const std::string secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
  Fixture f;
  f.start(parse(config_for(server, {{"signing_secret", secret}})));
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  auto r = server.requests().at(0);
  std::string content = r.header("webhook-id") + "." + r.header("webhook-timestamp") + "." + r.body;
  std::string key = "0123456789abcdef0123456789abcdef";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
       content.size(), mac, &length);
  std::string expected(4 * ((length + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(expected.data()), mac, static_cast<int>(length));
  BOOST_TEST(r.header("webhook-signature") == "v1," + expected);
}

// The acknowledgements (type 2 entries) in a spool directory's segments.
std::size_t spool_acknowledgements(const std::string& dir) {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.path().filename().string().starts_with("segment-")) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // magic u32 | length u32 | crc32c u32 | type u8 | seq u64 | payload
    for (std::size_t pos = 0; pos + 21 <= data.size();) {
      std::uint32_t length = 0;
      std::memcpy(&length, data.data() + pos + 4, 4);
      if (data[pos + 12] == 2) ++count;
      pos += 21 + length;
    }
  }
  return count;
}

BOOST_AUTO_TEST_CASE(a_completion_comes_after_its_spool_acknowledgement) {
  // Acknowledgements are written once per turn of the event loop, for all
  // the records settled in it: each completion still follows its own, so
  // a host that counts a completed record as done never sees it again
  // after a crash.
  mock::Server server;
  std::string spool = temp_path("spool-ack-order");
  auto config = config_for(server, {{"concurrency", 8}, {"spool", {{"dir", spool}, {"fsync", "off"}}}});
  Fixture f;
  std::atomic<std::size_t> seen{0}, early{0};
  f.on_completion = [&](const Completion&) {
    const std::size_t n = ++seen;
    if (spool_acknowledgements(spool) < n) ++early;
  };
  f.start(parse(config));
  constexpr int kRecords = 300;
  for (int i = 0; i < kRecords; ++i) f.submit(record(i), static_cast<std::uint64_t>(i));
  BOOST_REQUIRE(f.completions.wait_for(kRecords));
  BOOST_TEST(early.load() == 0u);
  BOOST_TEST(spool_acknowledgements(spool) == static_cast<std::size_t>(kRecords));
  for (const auto& c : f.completions.all()) BOOST_TEST((c.outcome == Outcome::delivered), c.error);
  f.shutdown(1s);
}

// The attempts a connection reports, kept for the test to read.
struct RecordingOwner final : ConnectionOwner {
  std::vector<AttemptResult> results;
  void on_attempt_done(const std::shared_ptr<Connection>&, AttemptResult result) override {
    results.push_back(std::move(result));
  }
};

BOOST_AUTO_TEST_CASE(an_abandoned_connection_ignores_the_handlers_already_queued) {
  // At shutdown the engine abandons its busy connections. A request just
  // written on a kept-alive connection (Asio sends at once and queues the
  // handler) then has its write handler still to run: it must find nothing
  // to do, and tell the owner nothing. (It read the job it no longer had:
  // a crash at shutdown while responses were arriving.)
  mock::Server server;
  boost::asio::io_context io;
  RecordingOwner owner;
  TransportSettings settings;
  settings.host = "127.0.0.1";
  settings.port = server.port();
  auto connection = make_connection(io, nullptr, settings, owner);
  Job job;
  job.head = "POST /v1/hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n";
  job.body = "{}";
  connection->send(job, "");
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (owner.results.empty() && std::chrono::steady_clock::now() < give_up) io.run_one_for(100ms);
  BOOST_REQUIRE_EQUAL(owner.results.size(), 1u);
  BOOST_TEST(owner.results[0].status == 200);
  BOOST_REQUIRE(owner.results[0].reusable);

  connection->send(job, "");  // kept alive: written now, its handler queued
  connection->abandon();
  io.restart();
  io.poll();  // runs the queued handlers
  BOOST_TEST(owner.results.size() == 1u);
}

BOOST_AUTO_TEST_CASE(destroying_the_step_mid_stream_over_https_completes_every_record_once) {
  // Shutdown while TLS handshakes, writes and responses are under way
  // (every answer says "Connection: close", so each record opens a
  // connection and shakes hands): every record completes exactly once,
  // delivered or cut short.
  TrustedHttpsServer https("ca-shutdown.pem");
  https.server.set_responder([](const mock::RecordedRequest&) {
    mock::Response r;
    r.delay = 2ms;
    r.headers.emplace_back("Connection", "close");
    return r;
  });
  Fixture f;
  f.start(parse(config_for(https.server, {{"concurrency", 8}, {"tls", {{"ca_file", https.ca_file}}}})));
  constexpr int kRecords = 300;
  for (int i = 0; i < kRecords; ++i) f.submit(record(i), static_cast<std::uint64_t>(i));
  BOOST_REQUIRE(f.completions.wait_for(20));
  f.shutdown(0ms);
  std::map<std::uint64_t, int> seen;
  for (const auto& c : f.completions.all()) ++seen[c.token];
  BOOST_TEST(seen.size() == static_cast<std::size_t>(kRecords));
  for (const auto& [token, count] : seen) BOOST_TEST(count == 1, "record " << token << " completed " << count << " times");
  const auto stats = json::parse(f.engine->stats_json());
  BOOST_TEST(stats.at("connections_opened").to_number<std::uint64_t>() >= 20u);
}

BOOST_AUTO_TEST_CASE(after_a_shutdown_mid_stream_the_spool_holds_exactly_what_did_not_complete) {
  // Shut down while responses are arriving: the records settled in the
  // last turn are acknowledged before their completions and before the
  // rest is cut short. The next instance then delivers exactly the records
  // the first did not report delivered: none twice, none lost.
  mock::Server server;
  server.set_responder(answer_after(5ms));
  std::string spool = temp_path("spool-shutdown");
  auto config = config_for(server, {{"concurrency", 8}, {"spool", {{"dir", spool}}}});
  constexpr int kRecords = 400;
  std::set<std::string> delivered, not_delivered;
  {
    Fixture f;
    f.start(parse(config));
    for (int i = 0; i < kRecords; ++i) f.submit(record(i), static_cast<std::uint64_t>(i));
    BOOST_REQUIRE(f.completions.wait_for(60));
    f.shutdown(0ms);
    BOOST_REQUIRE_EQUAL(f.completions.size(), static_cast<std::size_t>(kRecords));
    for (const auto& c : f.completions.all()) {
      (c.outcome == Outcome::delivered ? delivered : not_delivered).insert(std::string(c.delivery_id));
    }
  }
  BOOST_TEST(delivered.size() >= 60u);
  BOOST_TEST(!not_delivered.empty());
  Fixture next;
  next.start(parse(config));
  BOOST_REQUIRE(next.completions.wait_for(not_delivered.size()));
  BOOST_TEST(next.engine->flush(10s));
  std::set<std::string> recovered;
  for (const auto& c : next.completions.all()) {
    BOOST_TEST(c.token == kRecoveredToken);
    BOOST_TEST((c.outcome == Outcome::delivered), c.error);
    recovered.insert(std::string(c.delivery_id));
  }
  BOOST_TEST(next.completions.size() == not_delivered.size());
  BOOST_TEST((recovered == not_delivered));
  next.shutdown(1s);
}

BOOST_AUTO_TEST_CASE(a_record_that_cannot_be_dead_lettered_stays_in_the_spool) {
  mock::Server server;
  std::atomic<bool> refuse{true};
  server.set_responder([&](const mock::RecordedRequest&) {
    mock::Response r;
    r.status = refuse ? 400 : 200;
    return r;
  });
  std::string spool = temp_path("spool-dead");
  std::filesystem::remove_all(spool);
  // /dev/full: every dead-letter write fails with ENOSPC.
  auto config = config_for(server, {{"dead_letter_file", "/dev/full"}, {"spool", {{"dir", spool}}}});
  std::string first_id;
  {
    Fixture f;
    f.start(parse(config));
    f.submit(record(1), 1);
    BOOST_REQUIRE(f.completions.wait_for(1));
    auto c = f.completions.all().front();
    BOOST_TEST((c.outcome == Outcome::failed));
    BOOST_TEST(c.error.find("kept in the spool") != std::string::npos, c.error);
    first_id = c.delivery_id;
    f.shutdown(1s);
  }
  refuse = false;
  Fixture next;
  next.start(parse(config));  // the next instance over the same spool delivers it
  BOOST_REQUIRE(next.completions.wait_for(1));
  auto c = next.completions.all().front();
  BOOST_TEST((c.outcome == Outcome::delivered), c.error);
  BOOST_TEST(c.token == kRecoveredToken);
  BOOST_TEST(c.delivery_id == first_id);
  BOOST_TEST(server.requests().back().header("webhook-id") == first_id);
}
