// Engines on a shared runtime (output-step.runtime/1): its threads and its
// pools shared, TLS settings kept apart, fairness between the engines of
// one origin, one engine's end while the others deliver, one poll for all.
#include "integration/delivery_support.hpp"

#include <webhook/delivery/shared_runtime.hpp>

using namespace delivery_test;

namespace {

std::size_t threads_now() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// A runtime of the test's own (a key no other test uses).
std::shared_ptr<Runtime> runtime_named(const std::string& key, RuntimeOptions options = {}, const void* scope = nullptr) {
  return shared_runtime("delivery-runtime-test/" + key, scope, options);
}

RuntimeOptions threads(std::uint32_t n) {
  RuntimeOptions o;
  o.io_threads = n;
  return o;
}

RuntimeOptions host_driven() {
  RuntimeOptions o;
  o.host_drives = true;
  return o;
}

// Engines on one runtime, each with its completions.
struct Fleet {
  explicit Fleet(std::shared_ptr<Runtime> r, bool host = false) : runtime(std::move(r)), host_drives(host) {}
  std::shared_ptr<Runtime> runtime;
  bool host_drives = false;
  std::vector<std::unique_ptr<test_support::Completions>> completions;
  std::vector<std::unique_ptr<Engine>> engines;

  Engine& add(Config config) {
    completions.push_back(std::make_unique<test_support::Completions>());
    EngineHooks hooks;
    hooks.on_completion = [c = completions.back().get()](const Completion& done) { c->add(done); };
    hooks.runtime = runtime;
    hooks.host_drives_io = host_drives;
    engines.push_back(std::make_unique<Engine>(std::move(config), std::move(hooks)));
    return *engines.back();
  }
  void submit(std::size_t engine, int i) {
    std::string error;
    BOOST_REQUIRE_MESSAGE(engines[engine]->submit(record(i), static_cast<std::uint64_t>(i), error) ==
                              SubmitStatus::accepted,
                          error);
  }
  std::size_t delivered(std::size_t engine) const {
    std::size_t n = 0;
    for (const auto& c : completions[engine]->all()) n += c.outcome == Outcome::delivered;
    return n;
  }
};

std::uint64_t connections_opened(const Engine& engine) {
  return json::parse(engine.stats_json()).at("connections_opened").to_number<std::uint64_t>();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime)

BOOST_AUTO_TEST_CASE(engines_on_one_runtime_share_its_thread_and_its_pool) {
  mock::Server server;
  server.set_responder(answer_after(1ms));
  const std::size_t before = threads_now();
  Fleet fleet{runtime_named("share")};
  constexpr int kEngines = 50;
  for (int e = 0; e < kEngines; ++e) fleet.add(parse(config_for(server, {{"concurrency", 2}, {"origin_concurrency", 4}})));
  // One I/O thread for all fifty (each alone would start its own).
  BOOST_TEST(threads_now() - before == 1u);
  for (int e = 0; e < kEngines; ++e) {
    for (int i = 0; i < 4; ++i) fleet.submit(e, e * 4 + i);
  }
  for (int e = 0; e < kEngines; ++e) BOOST_REQUIRE(fleet.completions[e]->wait_for(4));
  for (int e = 0; e < kEngines; ++e) BOOST_TEST(fleet.delivered(e) == 4u);
  // 200 records, four connections at most to the origin, reused by all.
  BOOST_TEST(server.connections_accepted() <= 4u);
  std::uint64_t opened = 0;
  for (const auto& engine : fleet.engines) opened += connections_opened(*engine);
  BOOST_TEST(opened == server.connections_accepted());
}

BOOST_AUTO_TEST_CASE(an_engine_without_a_runtime_starts_its_own_thread) {
  mock::Server server;
  const std::size_t before = threads_now();
  std::vector<std::unique_ptr<Engine>> engines;
  for (int e = 0; e < 3; ++e) engines.push_back(std::make_unique<Engine>(parse(config_for(server)), EngineHooks{}));
  BOOST_TEST(threads_now() - before == 3u);
}

BOOST_AUTO_TEST_CASE(differing_tls_settings_never_share_a_connection) {
  TrustedHttpsServer https("ca-runtime.pem");
  Fleet fleet{runtime_named("tls")};
  fleet.add(parse(config_for(https.server, {{"concurrency", 1}, {"tls", {{"ca_file", https.ca_file}}}})));
  fleet.add(parse(config_for(https.server, {{"concurrency", 1}, {"tls", {{"verify", false}}}})));
  for (int i = 0; i < 6; ++i) {
    fleet.submit(static_cast<std::size_t>(i % 2), i);
    BOOST_REQUIRE(fleet.completions[static_cast<std::size_t>(i % 2)]->wait_for(static_cast<std::size_t>(i / 2 + 1)));
  }
  BOOST_TEST(fleet.delivered(0) == 3u);
  BOOST_TEST(fleet.delivered(1) == 3u);
  // Each kept its own keep-alive connection: one each, never the other's.
  BOOST_TEST(connections_opened(*fleet.engines[0]) == 1u);
  BOOST_TEST(connections_opened(*fleet.engines[1]) == 1u);
  BOOST_TEST(https.server.connections_accepted() == 2u);
}

BOOST_AUTO_TEST_CASE(a_hung_endpoint_holds_only_its_engines_slots) {
  mock::Server server;
  server.set_responder([](const mock::RecordedRequest& request) {
    mock::Response r;
    if (request.path.find("/hang/") != std::string::npos) r.delay = 10s;
    return r;
  });
  Fleet fleet{runtime_named("hang")};
  auto hung = config_for(server, {{"concurrency", 4}, {"origin_concurrency", 8}});
  hung["activation"].as_object()["url"] = server.base_url() + "/v1/hang/{{profile.id}}";
  fleet.add(parse(hung));
  fleet.add(parse(config_for(server, {{"concurrency", 4}, {"origin_concurrency", 8}})));
  for (int i = 0; i < 40; ++i) fleet.submit(0, i);
  BOOST_REQUIRE(server.wait_for_total(4, 5s));  // its four slots taken, all hanging
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) fleet.submit(1, 100 + i);
  BOOST_REQUIRE(fleet.completions[1]->wait_for(100, 5s));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  BOOST_TEST(took.count() < 3000, "the other engine's 100 records took " << took.count() << " ms");
  BOOST_TEST(fleet.delivered(1) == 100u);
  BOOST_TEST(fleet.completions[0]->all().empty());
  BOOST_TEST(fleet.engines[0]->shutdown(0ms) == 40u);
}

BOOST_AUTO_TEST_CASE(engines_of_one_origin_take_its_connection_in_turn) {
  mock::Server server;
  Fleet fleet{runtime_named("turns")};
  // One connection for the origin: a busy engine and a quiet one.
  fleet.add(parse(config_for(server, {{"concurrency", 1}, {"origin_concurrency", 1}})));
  auto quiet = config_for(server, {{"concurrency", 1}, {"origin_concurrency", 1}});
  quiet["activation"].as_object()["url"] = server.base_url() + "/v1/quiet/{{profile.id}}";
  fleet.add(parse(quiet));
  for (int i = 0; i < 200; ++i) fleet.submit(0, i);
  for (int i = 0; i < 10; ++i) fleet.submit(1, 1000 + i);
  BOOST_REQUIRE(fleet.completions[1]->wait_for(10));
  BOOST_REQUIRE(fleet.completions[0]->wait_for(200));
  // Round-robin: once the quiet engine had records, its ten went out one
  // for one with the busy engine's, not after all two hundred.
  std::uint64_t first_quiet = ~std::uint64_t{0}, last_quiet = 0;
  for (const auto& r : server.requests()) {
    if (r.path.find("/quiet/") == std::string::npos) continue;
    first_quiet = std::min(first_quiet, r.sequence);
    last_quiet = std::max(last_quiet, r.sequence);
  }
  BOOST_TEST(last_quiet - first_quiet <= 20u, "the quiet engine's requests were numbers " << first_quiet << " to "
                                                                                          << last_quiet);
  BOOST_TEST(last_quiet < 150u);
  BOOST_TEST(server.connections_accepted() == 1u);
}

BOOST_AUTO_TEST_CASE(one_engine_ends_while_the_others_deliver) {
  mock::Server server;
  server.set_responder(answer_after(2ms));
  Fleet fleet{runtime_named("destroy", threads(2))};
  for (int e = 0; e < 3; ++e) fleet.add(parse(config_for(server, {{"concurrency", 4}})));
  constexpr int kRecords = 200;
  for (int e = 0; e < 3; ++e) {
    for (int i = 0; i < kRecords; ++i) fleet.submit(static_cast<std::size_t>(e), e * 1000 + i);
  }
  BOOST_REQUIRE(fleet.completions[0]->wait_for(20));
  fleet.engines[0]->shutdown(0ms);
  fleet.engines[0].reset();
  for (std::size_t e = 1; e < 3; ++e) {
    BOOST_REQUIRE(fleet.completions[e]->wait_for(kRecords));
    BOOST_TEST(fleet.delivered(e) == static_cast<std::size_t>(kRecords));
  }
  std::map<std::uint64_t, int> seen;
  for (const auto& c : fleet.completions[0]->all()) ++seen[c.token];
  BOOST_TEST(seen.size() == static_cast<std::size_t>(kRecords));
  for (const auto& [token, count] : seen) BOOST_TEST(count == 1, "record " << token << " completed " << count << " times");
}

BOOST_AUTO_TEST_CASE(one_poll_runs_every_engine_a_host_drives) {
  mock::Server server;
  const int scope = 0;  // this test is the host
  Fleet fleet{runtime_named("poll", host_driven(), &scope), true};
  const std::size_t before = threads_now();
  for (int e = 0; e < 10; ++e) fleet.add(parse(config_for(server)));
  BOOST_TEST(threads_now() <= before);  // no thread: the host's is the one
  for (int e = 0; e < 10; ++e) {
    for (int i = 0; i < 5; ++i) fleet.submit(static_cast<std::size_t>(e), e * 10 + i);
  }
  std::size_t completed = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (completed < 50 && std::chrono::steady_clock::now() < deadline) {
    completed += poll_runtime(*fleet.runtime, 10ms);
  }
  BOOST_TEST(completed == 50u);
  for (int e = 0; e < 10; ++e) BOOST_TEST(fleet.delivered(static_cast<std::size_t>(e)) == 5u);
}

BOOST_AUTO_TEST_CASE(a_host_driven_engine_cannot_join_a_runtime_with_threads) {
  mock::Server server;
  EngineHooks hooks;
  hooks.runtime = runtime_named("mismatch");
  hooks.host_drives_io = true;
  try {
    Engine engine(parse(config_for(server)), std::move(hooks));
    BOOST_ERROR("an engine the host drives joined a runtime with threads of its own");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("driven by its host, or not, for every step on it") != std::string::npos);
  }
}

// Several host threads submitting to engines on two I/O threads (the TSan
// build runs this).
BOOST_AUTO_TEST_CASE(several_threads_submit_to_engines_on_a_shared_runtime) {
  mock::ServerOptions two_threads;
  two_threads.threads = 2;
  mock::Server server(two_threads);
  Fleet fleet{runtime_named("threads", threads(2))};
  constexpr int kEngines = 8, kThreads = 4, kPerThread = 200;
  for (int e = 0; e < kEngines; ++e) fleet.add(parse(config_for(server, {{"concurrency", 8}})));
  std::vector<std::thread> submitters;
  for (int t = 0; t < kThreads; ++t) {
    submitters.emplace_back([&fleet, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string error;
        const int n = t * kPerThread + i;
        auto& engine = *fleet.engines[static_cast<std::size_t>(n % kEngines)];
        while (engine.submit(record(n), static_cast<std::uint64_t>(n), error) == SubmitStatus::busy) {
          std::this_thread::sleep_for(1ms);
        }
      }
    });
  }
  for (auto& s : submitters) s.join();
  std::size_t delivered = 0;
  for (int e = 0; e < kEngines; ++e) {
    BOOST_REQUIRE(fleet.completions[static_cast<std::size_t>(e)]->wait_for(kThreads * kPerThread / kEngines));
    delivered += fleet.delivered(static_cast<std::size_t>(e));
  }
  BOOST_TEST(delivered == static_cast<std::size_t>(kThreads * kPerThread));
}

BOOST_AUTO_TEST_SUITE_END()
