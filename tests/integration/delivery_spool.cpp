// The durable spool in the engine: acknowledgements before completions,
// what a shutdown leaves, records that cannot be dead-lettered.
#include "integration/delivery_support.hpp"

using namespace delivery_test;

BOOST_AUTO_TEST_SUITE(spool)

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

// Records a damaged spool hid were told as "skipped 1 torn or corrupt
// entries" and nothing else: their count is in the stats
// (spool_unreadable_records) and an error line.
BOOST_AUTO_TEST_CASE(records_a_damaged_spool_hid_are_counted_in_the_stats) {
  mock::Server server;
  std::atomic<bool> hold{true};
  server.set_responder([&](const mock::RecordedRequest&) {
    mock::Response r;
    r.status = hold ? 503 : 200;
    return r;
  });
  const std::string spool = temp_path("spool-damaged");
  auto config = config_for(server, {{"spool", {{"dir", spool}, {"fsync", "always"}}}});
  config["delivery"].as_object()["retry"] = {{"initial_backoff_ms", 60000}, {"max_backoff_ms", 60000}};
  {
    Fixture f;
    f.start(parse(config));
    for (int i = 0; i < 30; ++i) f.submit(record(i), static_cast<std::uint64_t>(i));
    f.shutdown(200ms);  // every record left in the spool
  }
  // Zeros over records 10 to 19, headers and all.
  std::filesystem::path segment;
  for (const auto& entry : std::filesystem::directory_iterator(spool)) {
    if (entry.path().filename().string().starts_with("segment-") && std::filesystem::file_size(entry) > 0) segment = entry;
  }
  std::string data = slurp(segment.string());
  const auto from = data.find("\"e-10\"") , to = data.find("\"e-20\"");
  BOOST_REQUIRE(from != std::string::npos && to != std::string::npos);
  const auto start = data.rfind("msg_", from) - 21, end = data.rfind("msg_", to) - 21;
  std::fill(data.begin() + static_cast<std::ptrdiff_t>(start), data.begin() + static_cast<std::ptrdiff_t>(end), '\0');
  std::ofstream(segment, std::ios::binary | std::ios::trunc) << data;
  hold = false;
  LogLines logs;
  Fixture next;
  next.start(parse(config), nullptr, logs.hook());
  BOOST_REQUIRE(next.completions.wait_for(20));
  const auto stats = json::parse(next.engine->stats_json()).as_object();
  BOOST_TEST(stats.at("spool_unreadable_records").to_number<int>() == 10);
  BOOST_TEST(logs.count(LogLevel::error, "spool: 10 accepted records are unreadable and cannot be delivered") == 1u);
  next.shutdown(1s);
}

BOOST_AUTO_TEST_SUITE_END()
