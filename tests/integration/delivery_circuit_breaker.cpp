// delivery.circuit_breaker on a host clock: a circuit opens after failures
// in a row, holds the records back without spending attempts, lets one
// probe through after the cool-down, doubles it when the probe fails and
// closes when it succeeds; connection failures open it for every activation
// of the endpoint, 5xx only for the activation that got them; a 429 never.
#include "integration/delivery_support.hpp"

#include <webhook/delivery/shared_runtime.hpp>

using namespace delivery_test;

BOOST_AUTO_TEST_SUITE(circuit_breaker)

namespace {

// The test configuration with a retry schedule of ten seconds and a circuit
// breaker opening after three failures, for a minute at first.
json::object breaking_config(const std::string& base_url, const std::string& activation = "welcome") {
  json::object c = config_for_url(base_url);
  c["advanced"].as_object().erase("webhook_retry_count");
  c["activation"].as_object()["name"] = activation;
  c["activation"].as_object()["id"] = activation;
  c["delivery"] = json::object{
      {"retry", {{"schedule", json::array{"1s", "1s", "1s", "1s", "1s", "1s", "1s", "1s", "1s", "1s"}}}},
      {"circuit_breaker", {{"consecutive_failures", 3}, {"cooldown_ms", 60'000}, {"max_cooldown_ms", 100'000}}}};
  return c;
}

json::object stats_of(const Engine& engine) { return json::parse(engine.stats_json()).as_object(); }

}  // namespace

BOOST_AUTO_TEST_CASE(five_xx_open_the_circuit_which_probes_doubles_and_closes) {
  mock::Server server;
  std::atomic<bool> failing{true};
  server.set_responder([&](const mock::RecordedRequest&) {
    mock::Response r;
    if (failing) r.status = 503;
    return r;
  });
  HostTime clock;
  LogLines logs;
  Fixture f;
  f.start(parse(breaking_config(server.base_url())), &clock, logs.hook());
  f.submit(record(1), 1);
  BOOST_REQUIRE(eventually([&] { return server.total_received() == 1u; }));
  for (std::size_t n = 2; n <= 3; ++n) {
    BOOST_REQUIRE(advance(*f.engine, clock));
    BOOST_REQUIRE(eventually([&] { return server.total_received() == n; }));
  }
  // Three 503s in a row: open for a minute from the third.
  BOOST_REQUIRE(eventually([&] { return stats_of(*f.engine).at("circuits_open").to_number<int>() == 1; }));
  const std::int64_t opened_at = clock.now.load();
  f.submit(record(2), 2);
  BOOST_REQUIRE(eventually([&] { return stats_of(*f.engine).at("waiting_retry").to_number<int>() == 2; }));
  // The first record's retry falls due in the cool-down: no attempt, and
  // the engine asks to be woken when the cool-down ends.
  BOOST_REQUIRE(advance(*f.engine, clock));
  BOOST_TEST(clock.now.load() < opened_at + 60'000);
  BOOST_REQUIRE(eventually([&] { return f.engine->next_wakeup_ms() == opened_at + 60'000; }));
  BOOST_TEST(server.total_received() == 3u);
  BOOST_TEST(stats_of(*f.engine).at("attempts").to_number<int>() == 3);

  // One probe; it fails: open again, for twice the cool-down (at most 100 s).
  const std::int64_t reopened_at = opened_at + 60'000;
  clock.now = reopened_at;
  f.engine->on_time();
  BOOST_REQUIRE(eventually([&] { return logs.count(LogLevel::warning, "circuit open again") == 1u; }));
  BOOST_TEST(server.total_received() == 4u);
  BOOST_TEST(logs.count(LogLevel::warning, "no attempt for 100s") == 1u);
  // The probe's own retry, a second later, waits too.
  BOOST_REQUIRE(advance(*f.engine, clock));
  BOOST_TEST(clock.now.load() < reopened_at + 100'000);
  BOOST_REQUIRE(eventually([&] { return f.engine->next_wakeup_ms() == reopened_at + 100'000; }));
  BOOST_TEST(server.total_received() == 4u);

  // The endpoint is back: the probe succeeds, the circuit closes, both go.
  failing = false;
  clock.now = reopened_at + 100'000;
  f.engine->on_time();
  BOOST_REQUIRE(f.completions.wait_for(2));
  for (const auto& c : f.completions.all()) BOOST_TEST((c.outcome == Outcome::delivered));
  BOOST_TEST(server.total_received() == 6u);
  BOOST_TEST(logs.count(LogLevel::warning, "circuit open for") == 1u);  // each change told once
  BOOST_TEST(logs.count(LogLevel::info, "circuit closed for") == 1u);
  const auto stats = stats_of(*f.engine);
  BOOST_TEST(stats.at("circuits_open").to_number<int>() == 0);
  BOOST_TEST(stats.at("waiting_retry").to_number<int>() == 0);
}

BOOST_AUTO_TEST_CASE(a_429_never_opens_a_circuit) {
  mock::Server server;
  std::atomic<int> calls{0};
  server.set_responder([&](const mock::RecordedRequest&) {
    mock::Response r;
    if (++calls <= 5) r.status = 429;
    return r;
  });
  HostTime clock;
  LogLines logs;
  Fixture f;
  f.start(parse(breaking_config(server.base_url())), &clock, logs.hook());
  f.submit(record(1), 1);
  for (int retry = 0; retry < 5; ++retry) {
    BOOST_REQUIRE(eventually([&] { return calls.load() == retry + 1; }));
    BOOST_TEST(stats_of(*f.engine).at("circuits_open").to_number<int>() == 0);
    BOOST_REQUIRE(advance(*f.engine, clock));
  }
  BOOST_REQUIRE(f.completions.wait_for(1));
  BOOST_TEST((f.completions.all().front().outcome == Outcome::delivered));
  BOOST_TEST(f.completions.all().front().attempts == 6u);
  BOOST_TEST(logs.count(LogLevel::warning, "circuit open") == 0u);
}

// A certificate the activation does not trust fails every activation of the
// key alike: it counts as a connection failure (a probe that met it once
// held the circuit half-open for good).
BOOST_AUTO_TEST_CASE(tls_verification_failures_open_the_connection_circuit) {
  TrustedHttpsServer https("ca-circuit.pem");  // its CA not given to the activation: untrusted
  const std::string base = "https://127.0.0.1:" + std::to_string(https.server.port());
  HostTime clock;
  Fixture f;
  f.start(parse(breaking_config(base)), &clock);
  for (int i = 1; i <= 3; ++i) f.submit(record(i), static_cast<std::uint64_t>(i));
  BOOST_REQUIRE(f.completions.wait_for(3));
  for (const auto& c : f.completions.all()) {
    BOOST_TEST(c.error.find("certificate verification failed") != std::string::npos, c.error);
    BOOST_TEST(c.attempts == 1u);  // permanent: no retry
  }
  BOOST_REQUIRE(eventually([&] { return stats_of(*f.engine).at("circuits_open").to_number<int>() == 1; }));
  f.submit(record(4), 4);
  BOOST_REQUIRE(eventually([&] { return stats_of(*f.engine).at("waiting_retry").to_number<int>() == 1; }));
  BOOST_TEST(stats_of(*f.engine).at("attempts").to_number<int>() == 3);
  // After the cool-down the probe fails the same way: the circuit opens
  // again rather than waiting for a probe that never reports.
  clock.now = clock.now.load() + 60'000;
  f.engine->on_time();
  BOOST_REQUIRE(f.completions.wait_for(4));
  BOOST_REQUIRE(eventually([&] { return stats_of(*f.engine).at("circuits_open").to_number<int>() == 1; }));
  BOOST_TEST(stats_of(*f.engine).at("attempts").to_number<int>() == 4);
}

// Two activations of one endpoint on one runtime (one pool, one key).
struct Pair {
  explicit Pair(const std::string& base_url, const std::string& key)
      : runtime(shared_runtime("circuit-breaker-test/" + key, nullptr, RuntimeOptions{})) {
    for (const char* name : {"first", "second"}) {
      EngineHooks hooks;
      auto& done = completions.emplace_back(std::make_unique<test_support::Completions>());
      hooks.on_completion = [c = done.get()](const Completion& completion) { c->add(completion); };
      hooks.clock = &clock;
      hooks.log = logs.hook();
      hooks.runtime = runtime;
      engines.push_back(std::make_unique<Engine>(parse(breaking_config(base_url, name)), std::move(hooks)));
    }
  }
  void submit(std::size_t engine, int i) {
    std::string error;
    BOOST_REQUIRE_MESSAGE(engines[engine]->submit(record(i), static_cast<std::uint64_t>(i), error) ==
                              SubmitStatus::accepted,
                          error);
  }
  HostTime clock;
  LogLines logs;
  std::shared_ptr<Runtime> runtime;
  std::vector<std::unique_ptr<test_support::Completions>> completions;
  std::vector<std::unique_ptr<Engine>> engines;
};

BOOST_AUTO_TEST_CASE(connection_failures_open_the_circuit_for_every_activation_of_the_endpoint) {
  // Three connections closed before an answer (status 0), then 200s.
  ScriptedServer server({{"", true}, {"", true}, {"", true}});
  Pair pair(server.base_url(), "connection");
  Engine& first = *pair.engines[0];
  pair.submit(0, 1);
  BOOST_REQUIRE(eventually([&] { return server.requests() == 1; }));
  for (int n = 2; n <= 3; ++n) {
    BOOST_REQUIRE(advance(first, pair.clock));
    BOOST_REQUIRE(eventually([&] { return server.requests() == n; }));
  }
  const std::int64_t opened_at = pair.clock.now.load();
  BOOST_REQUIRE(eventually([&] { return stats_of(first).at("circuits_open").to_number<int>() == 1; }));
  // The other activation, which never failed, waits as well: the key is down.
  Engine& second = *pair.engines[1];
  pair.submit(1, 2);
  BOOST_REQUIRE(eventually([&] { return stats_of(second).at("waiting_retry").to_number<int>() == 1; }));
  BOOST_TEST(stats_of(second).at("circuits_open").to_number<int>() == 1);
  BOOST_TEST(stats_of(second).at("attempts").to_number<int>() == 0);
  BOOST_TEST(server.requests() == 3);
  BOOST_TEST(pair.logs.count(LogLevel::warning, "circuit open for http://127.0.0.1:") == 1u);

  // After the cool-down one probe goes (the second activation's); its
  // success closes the circuit for both.
  pair.clock.now = opened_at + 60'000;
  second.on_time();
  first.on_time();
  BOOST_REQUIRE(pair.completions[1]->wait_for(1));
  BOOST_REQUIRE(pair.completions[0]->wait_for(1));
  BOOST_TEST((pair.completions[0]->all().front().outcome == Outcome::delivered));
  BOOST_TEST((pair.completions[1]->all().front().outcome == Outcome::delivered));
  BOOST_TEST(server.requests() == 5);
  BOOST_TEST(stats_of(first).at("circuits_open").to_number<int>() == 0);
}

BOOST_AUTO_TEST_CASE(five_xx_open_only_the_activation_that_got_them) {
  mock::Server server;
  server.set_responder([&](const mock::RecordedRequest& request) {
    mock::Response r;
    if (request.path == "/v1/users/u1") r.status = 500;  // the first activation's record
    return r;
  });
  Pair pair(server.base_url(), "five-xx");
  pair.submit(0, 1);
  BOOST_REQUIRE(eventually([&] { return server.total_received() == 1u; }));
  for (std::size_t n = 2; n <= 3; ++n) {
    BOOST_REQUIRE(advance(*pair.engines[0], pair.clock));
    BOOST_REQUIRE(eventually([&] { return server.total_received() == n; }));
  }
  BOOST_REQUIRE(eventually([&] { return stats_of(*pair.engines[0]).at("circuits_open").to_number<int>() == 1; }));
  // The second activation on the same origin keeps delivering.
  for (int i = 2; i <= 4; ++i) pair.submit(1, i);
  BOOST_REQUIRE(pair.completions[1]->wait_for(3));
  for (const auto& c : pair.completions[1]->all()) BOOST_TEST((c.outcome == Outcome::delivered));
  BOOST_TEST(stats_of(*pair.engines[1]).at("circuits_open").to_number<int>() == 0);
  BOOST_TEST(stats_of(*pair.engines[0]).at("circuits_open").to_number<int>() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
