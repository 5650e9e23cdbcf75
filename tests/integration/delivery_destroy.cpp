// Destroying the step mid-stream: exactly one completion per record.
#include "integration/delivery_support.hpp"

using namespace delivery_test;

BOOST_AUTO_TEST_SUITE(destroy)

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

BOOST_AUTO_TEST_SUITE_END()
