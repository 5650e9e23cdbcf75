// The host side every runner shares (output_runner::host): the submit that
// waits while a step is busy, the outcome counts it waits on, the outcome
// line and its file, the extensions a host offers.
#include "output_runner/outcomes.hpp"
#include "output_runner/step_host.hpp"
#include "support/scratch_dir.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace json = boost::json;
using namespace std::chrono_literals;
using output_runner::OutcomeTally;

namespace {

// A step whose submit answers from a script: the statuses in order, the last one from then on.
struct ScriptedStep {
  output_step_t abi{};
  std::vector<output_step_status_t> answers;
  std::size_t calls = 0;
  std::function<void()> on_call;  // run inside each submit, before it answers

  explicit ScriptedStep(std::vector<output_step_status_t> script) : answers(std::move(script)) {
    abi.module_data = this;
    abi.submit = [](const output_step_t* s, const output_step_record_t*, size_t n, size_t* accepted) {
      auto* self = static_cast<ScriptedStep*>(s->module_data);
      if (self->on_call) self->on_call();
      const output_step_status_t status = self->answers[std::min(self->calls++, self->answers.size() - 1)];
      *accepted = status == OUTPUT_STEP_OK ? n : 0;
      return status;
    };
  }
};

const output_step_record_t kRecord{"{}", 2, 7};

}  // namespace

BOOST_AUTO_TEST_SUITE(runner_host)

BOOST_AUTO_TEST_CASE(a_busy_step_is_tried_again_until_it_accepts) {
  ScriptedStep step({OUTPUT_STEP_BUSY, OUTPUT_STEP_BUSY, OUTPUT_STEP_BUSY, OUTPUT_STEP_OK});
  OutcomeTally tally;
  BOOST_TEST(output_runner::submit_waiting(&step.abi, kRecord, tally, 1ms) == OUTPUT_STEP_OK);
  BOOST_TEST(step.calls == 4u);
}

BOOST_AUTO_TEST_CASE(keep_trying_runs_before_each_wait_and_can_give_up) {
  ScriptedStep step({OUTPUT_STEP_BUSY});
  OutcomeTally tally;
  int asked = 0;
  const auto status = output_runner::submit_waiting(&step.abi, kRecord, tally, 1ms, [&] { return ++asked < 3; });
  BOOST_TEST(status == OUTPUT_STEP_BUSY);
  BOOST_TEST(asked == 3);
  BOOST_TEST(step.calls == 3u);
}

BOOST_AUTO_TEST_CASE(a_refusal_is_returned_at_once) {
  for (output_step_status_t refusal : {OUTPUT_STEP_INVALID, OUTPUT_STEP_CLOSED, OUTPUT_STEP_ERROR}) {
    ScriptedStep step({refusal, OUTPUT_STEP_OK});
    OutcomeTally tally;
    BOOST_TEST(output_runner::submit_waiting(&step.abi, kRecord, tally, 1ms) == refusal);
    BOOST_TEST(step.calls == 1u);
  }
}

// A completion ends the wait: with a wait of a minute, the retry comes as
// soon as another thread adds one.
BOOST_AUTO_TEST_CASE(a_completion_ends_the_wait) {
  ScriptedStep step({OUTPUT_STEP_BUSY, OUTPUT_STEP_OK});
  OutcomeTally tally;
  std::thread completer;
  // Started by the busy answer itself: the completion comes after it, however the threads run.
  step.on_call = [&] {
    if (!completer.joinable()) {
      completer = std::thread([&] {
        std::this_thread::sleep_for(20ms);
        tally.add(OUTPUT_STEP_DELIVERED);
      });
    }
  };
  const auto started = std::chrono::steady_clock::now();
  const auto status = output_runner::submit_waiting(&step.abi, kRecord, tally, std::chrono::minutes(1));
  const auto waited = std::chrono::steady_clock::now() - started;
  completer.join();
  BOOST_TEST(status == OUTPUT_STEP_OK);
  BOOST_TEST(waited < std::chrono::seconds(30));
}

BOOST_AUTO_TEST_CASE(the_tally_counts_each_outcome) {
  OutcomeTally tally;
  for (auto o : {OUTPUT_STEP_DELIVERED, OUTPUT_STEP_DELIVERED, OUTPUT_STEP_DEAD_LETTERED, OUTPUT_STEP_FAILED}) {
    tally.add(o);
  }
  const auto counts = tally.counts();
  BOOST_TEST(counts.done == 4u);
  BOOST_TEST(counts.delivered == 2u);
  BOOST_TEST(counts.dead_lettered == 1u);
  BOOST_TEST(counts.failed == 1u);
  BOOST_TEST(tally.wait_past(3, 0ms) == 4u);  // already past: no wait
}

BOOST_AUTO_TEST_CASE(an_outcome_line_has_its_fields_after_the_runners_own) {
  const char* error = "HTTP 400 from the endpoint";
  const output_step_completion_t failed{3, OUTPUT_STEP_DEAD_LETTERED, 400, 2, error, "msg_1"};
  json::object row;
  row["line"] = 3;
  output_runner::append_outcome_fields(row, output_runner::Completion::of(0, failed));
  BOOST_TEST(json::serialize(row) ==
             R"({"line":3,"outcome":"dead_lettered","http_status":400,"attempts":2,"error":"HTTP 400 from the endpoint","delivery_id":"msg_1"})");

  const output_step_completion_t delivered{4, OUTPUT_STEP_DELIVERED, 200, 1, nullptr, "msg_2"};
  json::object plain;
  output_runner::append_outcome_fields(plain, output_runner::Completion::of(0, delivered, /*delivery_id=*/false));
  BOOST_TEST(json::serialize(plain) == R"({"outcome":"delivered","http_status":200,"attempts":1})");
}

BOOST_AUTO_TEST_CASE(the_outcome_file_is_replaced_or_appended_to) {
  const std::string path = (test_support::scratch_dir("webhook-unit") / "outcomes.ndjson").string();
  auto lines = [&] {
    std::ifstream in(path);
    std::vector<std::string> all;
    for (std::string line; std::getline(in, line);) all.push_back(line);
    return all;
  };
  {
    output_runner::OutcomeFile file;
    BOOST_REQUIRE(file.open(path, /*append=*/false));
    file.write(json::object{{"n", 1}});
    BOOST_TEST(lines().size() == 1u);  // flushed at once
  }
  {
    output_runner::OutcomeFile file;
    BOOST_REQUIRE(file.open(path, /*append=*/true));
    file.write(json::object{{"n", 2}});
  }
  BOOST_TEST(lines() == (std::vector<std::string>{R"({"n":1})", R"({"n":2})"}));
  output_runner::OutcomeFile again;
  BOOST_REQUIRE(again.open(path, /*append=*/false));
  BOOST_TEST(lines().empty());
  output_runner::OutcomeFile nowhere;
  BOOST_TEST(!nowhere.open(path + "/not-a-directory/x", false));
}

BOOST_AUTO_TEST_CASE(a_host_offers_the_clock_and_runtime_it_was_given) {
  std::ostringstream log;
  output_runner::StepHost host("test", log, {}, [](const output_step_completion_t&) {});
  const output_step_host_t* abi = host.abi();
  BOOST_TEST(abi->get_extension(abi, OUTPUT_STEP_EXT_HOST_CLOCK) == nullptr);
  BOOST_TEST(abi->get_extension(abi, OUTPUT_STEP_EXT_RUNTIME) == nullptr);

  std::atomic<std::int64_t> now{1'700'000'000'000};
  host.offer_clock(&now);
  const auto* clock = static_cast<const output_step_host_clock_t*>(abi->get_extension(abi, OUTPUT_STEP_EXT_HOST_CLOCK));
  BOOST_REQUIRE(clock != nullptr);
  BOOST_TEST(clock->now_ms(abi) == 1'700'000'000'000);
  now = 1'700'000'060'000;
  BOOST_TEST(clock->now_ms(abi) == 1'700'000'060'000);

  const output_step_runtime_t runtime{sizeof(output_step_runtime_t), 1, "test"};
  host.offer_runtime(&runtime);
  BOOST_TEST(abi->get_extension(abi, OUTPUT_STEP_EXT_RUNTIME) == &runtime);
  BOOST_TEST(abi->get_extension(abi, "output-step.unknown/1") == nullptr);
}

BOOST_AUTO_TEST_CASE(a_silent_host_writes_nothing_and_a_default_one_tags_levels) {
  std::ostringstream quiet_log, log;
  output_runner::StepHost quiet("test", quiet_log, {.silent = true}, [](const output_step_completion_t&) {});
  output_runner::StepHost loud("test", log, {}, [](const output_step_completion_t&) {});
  for (const auto* h : {quiet.abi(), loud.abi()}) {
    h->log(h, OUTPUT_STEP_LOG_ERROR, "spool cannot write");
    h->log(h, OUTPUT_STEP_LOG_DEBUG, "connected");
  }
  BOOST_TEST(quiet_log.str().empty());
  BOOST_TEST(log.str() == "[error] spool cannot write\n");
}

BOOST_AUTO_TEST_SUITE_END()
