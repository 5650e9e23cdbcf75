// The built module, loaded with dlopen and driven through the C ABI alone,
// as a third-party runner would. Only the public header is included from
// the plugin; the receiver is webhook-mock's server.
#define BOOST_TEST_MODULE abi_dlopen
#include "output_step/output_step.h"
#include "webhook_mock/server.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <dlfcn.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace json = boost::json;
namespace mock = webhook_mock;

namespace {

const output_step_entry_t* load_module() {
  static void* handle = dlopen(WEBHOOK_OUTPUT_MODULE, RTLD_NOW | RTLD_LOCAL);
  BOOST_REQUIRE_MESSAGE(handle != nullptr, dlerror());
  auto* entry = static_cast<const output_step_entry_t*>(dlsym(handle, OUTPUT_STEP_ENTRY_SYMBOL));
  BOOST_REQUIRE(entry != nullptr);
  return entry;
}

struct Errors {
  std::vector<std::pair<std::string, std::string>> all;
  static void add(void* context, const char* field, const char* message) {
    static_cast<Errors*>(context)->all.emplace_back(field, message);
  }
  bool has(std::string_view field) const {
    for (const auto& e : all) {
      if (e.first == field) return true;
    }
    return false;
  }
};

// A host with a manual clock, recording completions and log lines.
struct TestHost {
  output_step_host_t abi{};
  output_step_host_clock_t clock{};
  std::atomic<std::int64_t> now{1'900'000'000'000};
  std::atomic<std::int64_t> wakeup{-1};
  bool offer_clock = false;
  output_step_host_io_t io{sizeof(output_step_host_io_t)};
  bool offer_io = false;
  output_step_runtime_t runtime{sizeof(output_step_runtime_t), 0, "abi-test"};
  bool offer_runtime = false;
  // With offer_io: the step (its poll, for a completion callback to call)
  // and the threads completions ran on, with what poll returned inside them.
  const output_step_t* step = nullptr;
  std::set<std::thread::id> completion_threads;
  std::vector<size_t> nested_polls;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<output_step_completion_t> completions;
  std::vector<std::string> errors;
  std::vector<std::string> logs;

  TestHost() {
    abi.abi_version = OUTPUT_STEP_ABI_VERSION_INIT;
    abi.host_data = this;
    abi.name = "abi test host";
    abi.log = [](const output_step_host_t* h, output_step_log_level_t, const char* message) {
      auto* self = static_cast<TestHost*>(h->host_data);
      std::lock_guard lock(self->mutex);
      self->logs.emplace_back(message);
    };
    abi.on_completion = [](const output_step_host_t* h, const output_step_completion_t* c) {
      auto* self = static_cast<TestHost*>(h->host_data);
      size_t nested = 0;  // what a poll from inside the callback returns
      if (self->step != nullptr) {
        auto* step_io = static_cast<const output_step_io_t*>(self->step->get_extension(self->step, OUTPUT_STEP_EXT_IO));
        nested = step_io->poll(self->step, 1000);
      }
      std::lock_guard lock(self->mutex);
      if (self->step != nullptr) self->nested_polls.push_back(nested);
      self->completions.push_back(*c);
      self->errors.emplace_back(c->error ? c->error : "");
      self->completions.back().error = nullptr;  // valid only during the call
      self->completions.back().delivery_id = nullptr;
      self->completion_threads.insert(std::this_thread::get_id());
      self->changed.notify_all();
    };
    abi.get_extension = [](const output_step_host_t* h, const char* id) -> const void* {
      auto* self = static_cast<TestHost*>(h->host_data);
      if (self->offer_clock && std::string_view(id) == OUTPUT_STEP_EXT_HOST_CLOCK) return &self->clock;
      if (self->offer_io && std::string_view(id) == OUTPUT_STEP_EXT_HOST_IO) return &self->io;
      if (self->offer_runtime && std::string_view(id) == OUTPUT_STEP_EXT_RUNTIME) return &self->runtime;
      return nullptr;
    };
    clock.now_ms = [](const output_step_host_t* h) { return static_cast<TestHost*>(h->host_data)->now.load(); };
    clock.request_wakeup = [](const output_step_host_t* h, std::int64_t at) {
      static_cast<TestHost*>(h->host_data)->wakeup = at;
    };
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return completions.size() >= n; });
  }
};

std::string config_for(const mock::Server& server, const std::string& delivery = "{}") {
  return R"({"auth": {"type": "td_webhook_out", "url_prefix": ")" + server.base_url() +
         R"(/hooks/", "api_key": "abi-secret-key"},
             "activation": {"name": "abi", "url": ")" + server.base_url() +
         R"(/hooks/{{profile.id}}", "headers": {"X-Key": "{{auth.api_key}}"},
                            "body": "{\"id\": \"{{profile.id}}\"}"},
             "delivery": )" + delivery + "}";
}

std::string record(int i) {
  return R"({"event_id": "a-)" + std::to_string(i) + R"(", "profile": {"id": "p)" + std::to_string(i) + R"("}})";
}

// A step of the module for `host`, created from `config`, or the test stops.
const output_step_t* create_step(TestHost& host, const std::string& config) {
  Errors errors;
  const output_step_t* step = load_module()->create(&host.abi, config.data(), config.size(), &Errors::add, &errors);
  BOOST_REQUIRE_MESSAGE(step != nullptr, (errors.all.empty() ? "" : errors.all[0].second));
  return step;
}

// The step's output-step.io/1 (offered when the host drives the I/O), or the test stops.
const output_step_io_t* io_of(const output_step_t* step) {
  auto* io = static_cast<const output_step_io_t*>(step->get_extension(step, OUTPUT_STEP_EXT_IO));
  BOOST_REQUIRE(io != nullptr);
  return io;
}

// Threads of this process now (the mock server's included).
std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// Submits records `first` to `first + count - 1`, every one accepted.
void submit_records(const output_step_t* step, int first, int count) {
  std::vector<std::string> texts;
  for (int i = first; i < first + count; ++i) texts.push_back(record(i));
  std::vector<output_step_record_t> records;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    records.push_back({texts[i].data(), texts[i].size(), static_cast<std::uint64_t>(first) + i});
  }
  size_t accepted = 0;
  BOOST_REQUIRE(step->submit(step, records.data(), records.size(), &accepted) == OUTPUT_STEP_OK);
  BOOST_REQUIRE(accepted == records.size());
}

}  // namespace

BOOST_AUTO_TEST_CASE(entry_describes_the_module) {
  auto* entry = load_module();
  BOOST_TEST(entry->abi_version.major == OUTPUT_STEP_ABI_MAJOR);
  BOOST_TEST(std::string(entry->id) == "webhook");
  BOOST_TEST(entry->validate != nullptr);
  BOOST_TEST(entry->create != nullptr);
}

BOOST_AUTO_TEST_CASE(validate_reports_every_error_with_its_field) {
  auto* entry = load_module();
  std::string config = R"({"auth": {"url_prefix": "https://api.example.com/v1/", "api_key": "k"},
    "activation": {"method": "TRACE", "url": "https://api.example.com/v2/x",
                   "headers": {"Host": "x", "X-A": "1", "x-a": "2"}, "body": "{{nope.x}}"},
    "advanced": {"webhook_retry_count": 99}})";
  Errors errors;
  std::uint32_t n = entry->validate(config.data(), config.size(), &Errors::add, &errors);
  BOOST_TEST(n == errors.all.size());
  BOOST_TEST(errors.has("activation.method"));
  BOOST_TEST(errors.has("activation.url"));
  BOOST_TEST(errors.has("activation.headers.Host"));
  BOOST_TEST(errors.has("activation.headers.x-a"));
  BOOST_TEST(errors.has("activation.body"));
  BOOST_TEST(errors.has("advanced.webhook_retry_count"));
  for (const auto& e : errors.all) BOOST_TEST(e.second.find("k\"") == std::string::npos);
  BOOST_TEST(entry->validate("{", 1, nullptr, nullptr) == 1u);
}

BOOST_AUTO_TEST_CASE(create_refuses_another_major_version_and_says_why) {
  auto* entry = load_module();
  mock::Server server;
  TestHost host;
  host.abi.abi_version.major = OUTPUT_STEP_ABI_MAJOR + 1;
  std::string config = config_for(server);
  Errors errors;
  BOOST_TEST(entry->create(&host.abi, config.data(), config.size(), &Errors::add, &errors) == nullptr);
  BOOST_REQUIRE(!errors.all.empty());
  BOOST_TEST(errors.all[0].second.find("ABI") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(submit_batch_flush_stats_destroy) {
  mock::Server server;
  TestHost host;
  std::string config = config_for(server);
  const output_step_t* step = create_step(host, config);

  std::vector<std::string> texts;
  for (int i = 0; i < 100; ++i) texts.push_back(record(i));
  std::vector<output_step_record_t> records;
  for (std::size_t i = 0; i < texts.size(); ++i) records.push_back({texts[i].data(), texts[i].size(), i});
  size_t accepted = 0;
  BOOST_TEST(step->submit(step, records.data(), records.size(), &accepted) == OUTPUT_STEP_OK);
  BOOST_TEST(accepted == records.size());

  // A record that is not a JSON object is refused, and nothing after it.
  std::string bad = "[1,2]";
  output_step_record_t two[2] = {{bad.data(), bad.size(), 1000}, {texts[0].data(), texts[0].size(), 1001}};
  BOOST_TEST(step->submit(step, two, 2, &accepted) == OUTPUT_STEP_INVALID);
  BOOST_TEST(accepted == 0u);

  BOOST_TEST(step->flush(step, 10000) == OUTPUT_STEP_OK);
  BOOST_TEST(host.completions.size() == 100u);
  for (const auto& c : host.completions) BOOST_TEST(c.outcome == OUTPUT_STEP_DELIVERED);
  BOOST_TEST(server.total_received() == 100u);
  BOOST_TEST(server.requests().front().header("X-Key") == "abi-secret-key");

  size_t needed = step->stats(step, nullptr, 0);
  std::string stats(needed + 1, '\0');
  BOOST_TEST(step->stats(step, stats.data(), stats.size()) == needed);
  stats.resize(needed);
  auto parsed = json::parse(stats).as_object();
  BOOST_TEST(parsed.at("delivered").to_number<int>() == 100);
  BOOST_TEST(parsed.at("rejected_invalid").to_number<int>() == 1);
  BOOST_TEST(stats.find("abi-secret-key") == std::string::npos);
  char small[8];
  BOOST_TEST(step->stats(step, small, sizeof small) == needed);
  BOOST_TEST(std::string(small).size() == 7u);  // truncated, NUL-terminated
  for (const auto& line : host.logs) BOOST_TEST(line.find("abi-secret-key") == std::string::npos);

  BOOST_TEST(step->get_extension(step, OUTPUT_STEP_EXT_CLOCK) == nullptr);  // no host clock offered
  uint64_t unfinished = 99;
  step->destroy(step, 1000, &unfinished);
  BOOST_TEST(unfinished == 0u);
}

BOOST_AUTO_TEST_CASE(busy_at_max_in_flight_and_one_completion_each_on_destroy) {
  mock::Server server;
  server.set_responder([](const mock::RecordedRequest&) {
    mock::Response r;
    r.delay = 1500ms;
    return r;
  });
  TestHost host;
  std::string config = config_for(server, R"({"max_in_flight": 10, "concurrency": 2})");
  const output_step_t* step = create_step(host, config);
  std::vector<std::string> texts;
  for (int i = 0; i < 15; ++i) texts.push_back(record(i));
  std::vector<output_step_record_t> records;
  for (std::size_t i = 0; i < texts.size(); ++i) records.push_back({texts[i].data(), texts[i].size(), i});
  size_t accepted = 0;
  BOOST_TEST(step->submit(step, records.data(), records.size(), &accepted) == OUTPUT_STEP_BUSY);
  BOOST_TEST(accepted == 10u);
  BOOST_TEST(step->flush(step, 50) == OUTPUT_STEP_TIMEOUT);
  uint64_t unfinished = 0;
  step->destroy(step, 100, &unfinished);
  BOOST_TEST(unfinished == 10u);
  BOOST_TEST(host.completions.size() == 10u);
  std::set<std::uint64_t> tokens;
  for (const auto& c : host.completions) {
    tokens.insert(c.token);
    BOOST_TEST(c.outcome == OUTPUT_STEP_FAILED);  // no dead-letter file configured
  }
  BOOST_TEST(tokens.size() == 10u);
}

BOOST_AUTO_TEST_CASE(host_clock_makes_hours_of_backoff_pass_instantly) {
  mock::Server server;
  std::atomic<int> calls{0};
  server.set_responder([&](const mock::RecordedRequest&) {
    mock::Response r;
    if (++calls <= 2) {
      r.status = 503;
      r.headers = {{"Retry-After", "7200"}};  // two hours
    }
    return r;
  });
  TestHost host;
  host.offer_clock = true;
  std::string config = config_for(server);
  const output_step_t* step = create_step(host, config);
  auto* clock = static_cast<const output_step_clock_t*>(step->get_extension(step, OUTPUT_STEP_EXT_CLOCK));
  BOOST_REQUIRE(clock != nullptr);
  std::string text = record(1);
  output_step_record_t r{text.data(), text.size(), 42};
  size_t accepted = 0;
  BOOST_REQUIRE(step->submit(step, &r, 1, &accepted) == OUTPUT_STEP_OK);

  auto started = std::chrono::steady_clock::now();
  const std::int64_t begin = host.now.load();
  // The runner's loop: when everything unfinished only waits for time, jump.
  while (!host.wait_for(1, 10ms)) {
    uint64_t unfinished = 0, waiting = 0;
    clock->pending(step, &unfinished, &waiting);
    std::int64_t next = clock->next_wakeup_ms(step);
    if (unfinished > 0 && unfinished == waiting && next > host.now.load()) {
      host.now = next;
      clock->on_time(step);
    }
    BOOST_REQUIRE((std::chrono::steady_clock::now() - started < 10s));
  }
  BOOST_TEST(host.completions[0].outcome == OUTPUT_STEP_DELIVERED);
  BOOST_TEST(host.completions[0].attempts == 3u);
  BOOST_TEST(host.now.load() - begin >= 2 * 7'200'000);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 5s));
  step->destroy(step, 1000, nullptr);
}

BOOST_AUTO_TEST_CASE(a_host_driving_the_io_gets_every_completion_on_its_own_thread) {
  mock::Server server;
  TestHost host;
  host.offer_io = true;
  std::string config = config_for(server, R"({"concurrency": 4})");
  const std::size_t threads_before = thread_count();
  const output_step_t* step = create_step(host, config);
  const output_step_io_t* io = io_of(step);

  // Nothing moves between polls: the step has no thread of its own.
  submit_records(step, 0, 10);
  std::this_thread::sleep_for(100ms);
  BOOST_TEST(server.total_received() == 0u);
  BOOST_TEST(host.completions.empty());

  // The runner's loop: submit a batch, poll until the next is due.
  std::size_t reported = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int batch = 1; batch < 25; ++batch) {
    submit_records(step, batch * 10, 10);
    const auto due = std::chrono::steady_clock::now() + 2ms;
    while (std::chrono::steady_clock::now() < due) reported += io->poll(step, 500);
  }
  while (reported < 250 && std::chrono::steady_clock::now() - started < 20s) reported += io->poll(step, 10'000);
  BOOST_TEST(reported == 250u);  // poll counts the completions it ran
  BOOST_TEST(host.completions.size() == 250u);
  for (const auto& c : host.completions) BOOST_TEST(c.outcome == OUTPUT_STEP_DELIVERED);
  BOOST_TEST(server.total_received() == 250u);
  BOOST_TEST(server.connections_accepted() <= 4u);
  BOOST_TEST(host.completion_threads == std::set<std::thread::id>{std::this_thread::get_id()});
  BOOST_TEST(thread_count() == threads_before);  // no I/O thread, no resolver thread
  // Idle: a poll waits its timeout, to the millisecond, and reports nothing.
  const auto idle = std::chrono::steady_clock::now();
  BOOST_TEST(io->poll(step, 20'000) == 0u);
  const auto waited = std::chrono::steady_clock::now() - idle;
  BOOST_TEST((waited >= 19ms && waited < 500ms));
  step->destroy(step, 1000, nullptr);
}

BOOST_AUTO_TEST_CASE(a_host_driving_the_io_may_flush_and_destroy_without_polling) {
  mock::Server server;
  TestHost host;
  host.offer_io = true;
  std::string config = config_for(server);
  const output_step_t* step = create_step(host, config);
  submit_records(step, 0, 20);
  BOOST_TEST(step->flush(step, 10000) == OUTPUT_STEP_OK);  // runs the I/O itself
  BOOST_TEST(host.completions.size() == 20u);
  submit_records(step, 20, 20);
  uint64_t unfinished = 99;
  step->destroy(step, 10000, &unfinished);  // drains on this thread
  BOOST_TEST(unfinished == 0u);
  BOOST_TEST(host.completions.size() == 40u);
  for (const auto& c : host.completions) BOOST_TEST(c.outcome == OUTPUT_STEP_DELIVERED);
  BOOST_TEST(server.total_received() == 40u);
  BOOST_TEST(host.completion_threads == std::set<std::thread::id>{std::this_thread::get_id()});
}

BOOST_AUTO_TEST_CASE(poll_inside_a_completion_returns_at_once_and_a_submit_wakes_a_poll) {
  mock::Server server;
  TestHost host;
  host.offer_io = true;
  std::string config = config_for(server, R"({"busy_poll_us": 100})");
  const output_step_t* step = create_step(host, config);
  {
    std::lock_guard lock(host.mutex);
    BOOST_TEST(host.logs.size() == 1u);
    BOOST_TEST(host.logs.at(0) == "delivery.busy_poll_us has no effect: the host drives the step's I/O");
  }
  const output_step_io_t* io = io_of(step);
  host.step = step;  // its completion callback polls (for 1 s, were it allowed to)

  // A record submitted from another thread while this one waits in poll.
  std::thread submitter([step] {
    std::this_thread::sleep_for(50ms);
    submit_records(step, 0, 1);
  });
  const auto started = std::chrono::steady_clock::now();
  std::size_t reported = 0;
  while (reported == 0 && std::chrono::steady_clock::now() - started < 10s) reported += io->poll(step, 5'000'000);
  submitter.join();
  BOOST_TEST(reported == 1u);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 2s));  // woken by the submit, not the 5 s timeout
  std::lock_guard lock(host.mutex);
  BOOST_TEST(host.nested_polls == std::vector<size_t>{0});
  host.step = nullptr;
  step->destroy(step, 1000, nullptr);
}

BOOST_AUTO_TEST_CASE(without_the_host_extension_the_step_offers_no_poll) {
  mock::Server server;
  TestHost host;
  std::string config = config_for(server);
  const output_step_t* step = create_step(host, config);
  BOOST_TEST(step->get_extension(step, OUTPUT_STEP_EXT_IO) == nullptr);
  submit_records(step, 0, 5);
  BOOST_TEST(host.wait_for(5));  // its own thread delivers, unpolled
  step->destroy(step, 1000, nullptr);
}

// ---- output-step.runtime/1 -----------------------------------------------

std::size_t threads_now() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

BOOST_AUTO_TEST_CASE(steps_of_a_host_offering_a_runtime_share_its_thread) {
  mock::Server server;
  TestHost host;
  host.offer_runtime = true;
  host.runtime.key = "abi-test/threads";
  const std::size_t before = threads_now();
  std::vector<const output_step_t*> steps;
  for (int i = 0; i < 20; ++i) steps.push_back(create_step(host, config_for(server)));
  BOOST_TEST(threads_now() - before == 1u);  // one I/O thread for the twenty
  for (std::size_t i = 0; i < steps.size(); ++i) submit_records(steps[i], static_cast<int>(i) * 10, 2);
  BOOST_TEST(host.wait_for(40));
  // Its steps do not drive their I/O: no poll of either kind.
  BOOST_TEST(steps[0]->get_extension(steps[0], OUTPUT_STEP_EXT_RUNTIME_IO) == nullptr);
  for (const output_step_t* step : steps) step->destroy(step, 1000, nullptr);
}

BOOST_AUTO_TEST_CASE(without_the_runtime_extension_each_step_has_its_own_thread) {
  mock::Server server;
  TestHost host;
  const std::size_t before = threads_now();
  std::vector<const output_step_t*> steps;
  for (int i = 0; i < 3; ++i) steps.push_back(create_step(host, config_for(server)));
  BOOST_TEST(threads_now() - before == 3u);
  for (const output_step_t* step : steps) step->destroy(step, 1000, nullptr);
}

BOOST_AUTO_TEST_CASE(one_runtime_poll_serves_every_step_a_host_drives) {
  mock::Server server;
  TestHost host;
  host.offer_io = true;
  host.offer_runtime = true;
  host.runtime.key = "abi-test/poll";
  const std::size_t before = threads_now();
  std::vector<const output_step_t*> steps;
  for (int i = 0; i < 8; ++i) steps.push_back(create_step(host, config_for(server)));
  BOOST_TEST(threads_now() <= before);
  auto* runtime_io = static_cast<const output_step_runtime_io_t*>(
      steps[0]->get_extension(steps[0], OUTPUT_STEP_EXT_RUNTIME_IO));
  BOOST_REQUIRE(runtime_io != nullptr);
  BOOST_TEST(runtime_io->size == sizeof(output_step_runtime_io_t));
  for (const output_step_t* step : steps) {
    auto* other = static_cast<const output_step_runtime_io_t*>(step->get_extension(step, OUTPUT_STEP_EXT_RUNTIME_IO));
    BOOST_REQUIRE(other != nullptr);
    BOOST_TEST(other->runtime == runtime_io->runtime);  // one runtime, one pointer
  }
  for (std::size_t i = 0; i < steps.size(); ++i) submit_records(steps[i], static_cast<int>(i) * 10, 3);
  std::size_t reported = 0;
  const auto started = std::chrono::steady_clock::now();
  while (reported < 24 && std::chrono::steady_clock::now() - started < 20s) {
    reported += runtime_io->poll(runtime_io->runtime, 10'000);
  }
  BOOST_TEST(reported == 24u);
  {
    std::lock_guard lock(host.mutex);
    BOOST_TEST(host.completions.size() == 24u);
    BOOST_TEST(host.completion_threads == std::set<std::thread::id>{std::this_thread::get_id()});
  }
  for (const output_step_t* step : steps) step->destroy(step, 1000, nullptr);
}

BOOST_AUTO_TEST_CASE(a_runtime_table_out_of_shape_is_refused_at_create) {
  mock::Server server;
  TestHost host;
  host.offer_runtime = true;
  host.runtime.io_threads = 65;
  const std::string config = config_for(server);
  Errors errors;
  BOOST_TEST(load_module()->create(&host.abi, config.data(), config.size(), &Errors::add, &errors) == nullptr);
  BOOST_REQUIRE(errors.all.size() == 1u);
  BOOST_TEST(errors.all[0].second.find("output-step.runtime/1") != std::string::npos);
  BOOST_TEST(errors.all[0].second.find("io_threads 65 (allowed: 0 to 64)") != std::string::npos, errors.all[0].second);
  host.runtime.io_threads = 1;
  host.runtime.size = 4;
  errors.all.clear();
  BOOST_TEST(load_module()->create(&host.abi, config.data(), config.size(), &Errors::add, &errors) == nullptr);
  BOOST_REQUIRE(errors.all.size() == 1u);
  BOOST_TEST(errors.all[0].second.find("size 4 (at least") != std::string::npos, errors.all[0].second);
}
