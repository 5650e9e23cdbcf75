// When records go: order per key, the rate limit, back-pressure, the
// latency split, busy polling, batches.
#include "integration/delivery_support.hpp"

using namespace delivery_test;

BOOST_AUTO_TEST_SUITE(scheduling)

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

BOOST_AUTO_TEST_SUITE_END()
