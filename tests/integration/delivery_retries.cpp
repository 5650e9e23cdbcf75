// What follows an attempt: retries with their webhook-id, Retry-After on
// host time, permanent failures, dead letters, redirects.
#include "integration/delivery_support.hpp"

using namespace delivery_test;

BOOST_AUTO_TEST_SUITE(retries)

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

// A 304 read "redirects are not followed": it is no redirect, and the
// message says what it is.
BOOST_AUTO_TEST_CASE(a_3xx_is_described_for_what_it_is) {
  mock::Server server;
  std::atomic<int> status{304};
  server.set_responder([&](const mock::RecordedRequest&) {
    mock::Response r;
    r.status = status;
    return r;
  });
  Fixture f;
  f.start(parse(config_for(server, {{"concurrency", 1}})));
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  status = 308;
  f.submit(record(2), 2);
  BOOST_REQUIRE(f.completions.wait_for(2));
  const auto all = f.completions.all();
  BOOST_TEST(all[0].error == "HTTP 304 (Not Modified: the answer to a conditional request, which the step never sends; "
                             "the endpoint did not process the webhook)");
  BOOST_TEST(all[1].error == "HTTP 308 (Permanent Redirect: redirects are not followed; update activation.url)");
}

BOOST_AUTO_TEST_SUITE_END()
