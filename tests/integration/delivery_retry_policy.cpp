// delivery.retry's policy on a host clock (hours in milliseconds): an
// explicit schedule with its jitter, max_age with and without a long
// Retry-After, extra statuses to retry.
#include "integration/delivery_support.hpp"

using namespace delivery_test;

BOOST_AUTO_TEST_SUITE(retry_policy)

namespace {

// The default test configuration with `retry` as its delivery.retry and no
// advanced.webhook_retry_count (a schedule refuses it).
Config with_retry(const mock::Server& server, json::object retry, json::object delivery = {}) {
  json::object c = config_for(server, std::move(delivery));
  c["advanced"].as_object().erase("webhook_retry_count");
  c["delivery"].as_object()["retry"] = std::move(retry);
  return parse(c);
}

// A responder: these statuses in turn, then 200; `headers` with each.
mock::Responder statuses(std::vector<int> script, std::vector<std::pair<std::string, std::string>> headers = {}) {
  auto calls = std::make_shared<std::atomic<std::size_t>>(0);
  return [=](const mock::RecordedRequest&) {
    mock::Response r;
    const std::size_t n = (*calls)++;
    if (n < script.size()) {
      r.status = script[n];
      r.headers = headers;
    }
    return r;
  };
}

}  // namespace

BOOST_AUTO_TEST_CASE(each_wait_of_the_schedule_within_its_jitter) {
  mock::Server server;
  server.set_responder(statuses({503, 503, 503}));
  HostTime clock;
  Fixture f;
  f.start(with_retry(server, {{"schedule", json::array{"5s", "1h", "10h"}}}), &clock);
  f.submit(record(1), 1);
  for (const std::int64_t wait : {5'000LL, 3'600'000LL, 36'000'000LL}) {
    const std::int64_t wake = next_wakeup(*f.engine, clock);
    BOOST_REQUIRE_MESSAGE(wake > 0, "no retry waiting for the " << wait << " ms step");
    const std::int64_t waited = wake - clock.now.load();
    BOOST_TEST(waited >= wait * 9 / 10, wait << " ms step: " << waited);
    BOOST_TEST(waited <= wait * 11 / 10, wait << " ms step: " << waited);
    BOOST_TEST(f.completions.size() == 0u);
    clock.now = wake;
    f.engine->on_time();
  }
  BOOST_REQUIRE(f.completions.wait_for(1));
  BOOST_TEST((f.completions.all().front().outcome == Outcome::delivered));
  BOOST_TEST(f.completions.all().front().attempts == 4u);
}

BOOST_AUTO_TEST_CASE(the_schedule_s_length_is_the_retry_count) {
  mock::Server server;
  server.set_responder(statuses({503, 503, 503, 503}));
  HostTime clock;
  Fixture f;
  f.start(with_retry(server, {{"schedule", json::array{"1s", "1s"}}}), &clock);
  f.submit(record(1), 1);
  for (int retry = 0; retry < 2; ++retry) {
    BOOST_REQUIRE(advance(*f.engine, clock));
  }
  BOOST_REQUIRE(f.completions.wait_for(1));
  const auto c = f.completions.all().front();
  BOOST_TEST((c.outcome == Outcome::failed));
  BOOST_TEST(c.attempts == 3u);
  BOOST_TEST(c.error.find("gave up after 3 attempts") != std::string::npos, c.error);
  BOOST_TEST(server.requests().size() == 3u);
}

BOOST_AUTO_TEST_CASE(no_attempt_starts_after_max_age) {
  mock::Server server;
  server.set_responder(statuses({503, 503, 503, 503}));
  HostTime clock;
  Fixture f;
  f.start(with_retry(server, {{"schedule", json::array{"1h", "1h", "1h"}}, {"max_age", "90m"}}), &clock);
  f.submit(record(1), 1);
  BOOST_REQUIRE(advance(*f.engine, clock));  // the first retry, about an hour in: within 90m
  // The second retry would start about two hours after the first attempt.
  BOOST_REQUIRE(f.completions.wait_for(1));
  const auto c = f.completions.all().front();
  BOOST_TEST((c.outcome == Outcome::failed));
  BOOST_TEST(c.attempts == 2u);
  BOOST_TEST(c.error.find("delivery.retry.max_age (90m since the first attempt)") != std::string::npos, c.error);
  BOOST_TEST(server.requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_retry_after_past_max_age_dead_letters_at_once) {
  mock::Server server;
  server.set_responder(statuses({429}, {{"Retry-After", "10800"}}));  // three hours
  const std::string dead = temp_path("max-age-dead.ndjson");
  HostTime clock;
  Fixture f;
  f.start(with_retry(server, {{"max_age", "2h"}}, {{"dead_letter_file", dead}}), &clock);
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  const auto c = f.completions.all().front();
  BOOST_TEST((c.outcome == Outcome::dead_lettered));
  BOOST_TEST(c.attempts == 1u);
  BOOST_TEST(c.error.find("Retry-After 3h would start after delivery.retry.max_age (2h") != std::string::npos,
             c.error);
  const auto lines = lines_of(dead);
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  BOOST_TEST(json::serialize(lines[0]).find("max_age") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_retry_after_within_max_age_is_waited_for) {
  mock::Server server;
  server.set_responder(statuses({429}, {{"Retry-After", "3600"}}));
  HostTime clock;
  Fixture f;
  f.start(with_retry(server, {{"max_age", "2h"}}), &clock);
  f.submit(record(1), 1);
  const std::int64_t wake = next_wakeup(*f.engine, clock);
  BOOST_REQUIRE(wake > 0);
  BOOST_TEST(wake - clock.now.load() >= 3'600'000);
  clock.now = wake;
  f.engine->on_time();
  BOOST_REQUIRE(f.completions.wait_for(1));
  BOOST_TEST((f.completions.all().front().outcome == Outcome::delivered));
  BOOST_TEST(f.completions.all().front().attempts == 2u);
}

BOOST_AUTO_TEST_CASE(on_status_retries_what_is_otherwise_permanent) {
  mock::Server server;
  server.set_responder(statuses({404, 409}));
  HostTime clock;
  Fixture f;
  f.start(with_retry(server, {{"schedule", json::array{"10s", "10s"}}, {"on_status", json::array{404, 409}}}), &clock);
  f.submit(record(1), 1);
  for (int retry = 0; retry < 2; ++retry) {
    BOOST_REQUIRE(advance(*f.engine, clock));
  }
  BOOST_REQUIRE(f.completions.wait_for(1));
  BOOST_TEST((f.completions.all().front().outcome == Outcome::delivered));
  BOOST_TEST(f.completions.all().front().attempts == 3u);

  // Without on_status, a 404 ends the record at once.
  mock::Server plain;
  plain.set_responder(statuses({404}));
  Fixture g;
  g.start(with_retry(plain, {{"schedule", json::array{"10s"}}}), &clock);
  g.submit(record(2), 2);
  BOOST_REQUIRE(g.completions.wait_for(1));
  BOOST_TEST((g.completions.all().front().outcome == Outcome::failed));
  BOOST_TEST(g.completions.all().front().attempts == 1u);
}

BOOST_AUTO_TEST_CASE(a_schedule_of_hours_without_a_spool_is_warned_about) {
  mock::Server server;
  Warnings warnings;
  Fixture f;
  f.start(with_retry(server, {{"schedule", json::array{"30m", "31m"}}}), nullptr, warnings.hook());
  const auto all = warnings.get();
  const bool warned = std::any_of(all.begin(), all.end(), [](const std::string& w) {
    return w.find("delivery.retry.schedule spans 61m without delivery.spool") != std::string::npos;
  });
  BOOST_TEST(warned);

  Warnings none;
  Fixture g;
  g.start(with_retry(server, {{"schedule", json::array{"30m", "30m"}}}), nullptr, none.hook());
  BOOST_TEST(none.get().empty());
}

BOOST_AUTO_TEST_CASE(a_410_disables_the_activation_with_disable_on_410) {
  mock::Server server;
  std::atomic<int> requests{0};
  server.set_responder([&](const mock::RecordedRequest& request) {
    ++requests;
    mock::Response r;
    r.status = request.path == "/v1/users/u2" ? 503 : 410;
    return r;
  });
  const std::string dead = temp_path("gone-dead.ndjson");
  HostTime clock;
  LogLines logs;
  Fixture f;
  f.start(with_retry(server, {{"schedule", json::array{"1h"}}},
                     {{"disable_on_410", true}, {"dead_letter_file", dead}}),
          &clock, logs.hook());
  f.submit(record(2), 2);  // 503: waits an hour for its retry
  BOOST_REQUIRE(next_wakeup(*f.engine, clock) > 0);
  f.submit(record(1), 1);  // 410: the activation is disabled, the waiting record dead-lettered at once
  BOOST_REQUIRE(f.completions.wait_for(2));
  f.submit(record(3), 3);  // later: dead-lettered without a request
  BOOST_REQUIRE(f.completions.wait_for(3));
  for (const auto& c : f.completions.all()) {
    BOOST_TEST((c.outcome == Outcome::dead_lettered), c.token);
    BOOST_TEST(c.error == "endpoint answered 410 Gone: activation disabled", c.token);
  }
  BOOST_TEST(requests.load() == 2);
  BOOST_TEST(logs.count(LogLevel::error, "410 Gone: activation disabled") == 1u);
  const auto stats = json::parse(f.engine->stats_json()).as_object();
  BOOST_TEST(stats.at("disabled").as_bool());
  BOOST_TEST(stats.at("waiting_retry").to_number<int>() == 0);
  const auto lines = lines_of(dead);
  BOOST_REQUIRE_EQUAL(lines.size(), 3u);
  for (const auto& line : lines) {
    BOOST_TEST(line.at("error").as_string() == "endpoint answered 410 Gone: activation disabled");
  }
}

BOOST_AUTO_TEST_CASE(without_disable_on_410_a_410_fails_only_its_record) {
  mock::Server server;
  server.set_responder([&](const mock::RecordedRequest& request) {
    mock::Response r;
    if (request.path == "/v1/users/u1") r.status = 410;
    return r;
  });
  Fixture f;
  f.start(parse(config_for(server)));
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  f.submit(record(2), 2);
  BOOST_REQUIRE(f.completions.wait_for(2));
  const auto all = f.completions.all();
  BOOST_TEST((all[0].outcome == Outcome::failed));
  BOOST_TEST(all[0].error == "HTTP 410");
  BOOST_TEST(all[0].attempts == 1u);
  BOOST_TEST((all[1].outcome == Outcome::delivered));
  BOOST_TEST(!json::parse(f.engine->stats_json()).as_object().at("disabled").as_bool());
}

BOOST_AUTO_TEST_SUITE_END()
