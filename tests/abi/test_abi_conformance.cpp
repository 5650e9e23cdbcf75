// What every output-step module owes a host, checked through the C ABI alone
// (dlopen of the file, nothing else of the module): run against each module
// the project builds (the webhook step and the redis-stream step) by
// tests/abi/conformance.py, which starts the module's receiver and reads
// back what arrived.
//
// Environment: OUTPUT_STEP_MODULE (the .so), OUTPUT_STEP_CONFIG (a working
// configuration), OUTPUT_STEP_BAD_CONFIG (one with errors), OUTPUT_STEP_RECORDS
// (how many records to deliver).
#define BOOST_TEST_MODULE abi_conformance
#include "output_step/output_step.h"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <dlfcn.h>

#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  BOOST_REQUIRE_MESSAGE(v != nullptr, name << " is not set");
  return v;
}

std::string file(const std::string& path) {
  std::ifstream in(path);
  BOOST_REQUIRE_MESSAGE(in, "cannot read " << path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const output_step_entry_t* entry() {
  static void* handle = dlopen(env("OUTPUT_STEP_MODULE").c_str(), RTLD_NOW | RTLD_LOCAL);
  BOOST_REQUIRE_MESSAGE(handle != nullptr, dlerror());
  auto* e = static_cast<const output_step_entry_t*>(dlsym(handle, OUTPUT_STEP_ENTRY_SYMBOL));
  BOOST_REQUIRE(e != nullptr);
  return e;
}

struct Errors {
  std::vector<std::pair<std::string, std::string>> all;
  static void add(void* context, const char* field, const char* message) {
    BOOST_REQUIRE(field != nullptr && message != nullptr);
    static_cast<Errors*>(context)->all.emplace_back(field, message);
  }
};

// A host counting each token's completions.
struct Host {
  output_step_host_t abi{};
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::uint64_t, int> completions;
  std::map<std::uint64_t, output_step_outcome_t> outcomes;
  std::size_t without_delivery_id = 0;

  explicit Host(output_step_version_t version = OUTPUT_STEP_ABI_VERSION_INIT) {
    abi.abi_version = version;
    abi.host_data = this;
    abi.name = "abi-conformance";
    abi.log = [](const output_step_host_t*, output_step_log_level_t, const char* message) {
      BOOST_REQUIRE(message != nullptr);
    };
    abi.on_completion = [](const output_step_host_t* h, const output_step_completion_t* c) {
      auto* self = static_cast<Host*>(h->host_data);
      std::lock_guard lock(self->mutex);
      ++self->completions[c->token];
      self->outcomes[c->token] = c->outcome;
      if (c->outcome == OUTPUT_STEP_DELIVERED && c->delivery_id == nullptr) ++self->without_delivery_id;
      self->changed.notify_all();
    };
    abi.get_extension = [](const output_step_host_t*, const char*) -> const void* { return nullptr; };
  }
};

const output_step_t* create(Host& host, Errors& errors, const std::string& config) {
  return entry()->create(&host.abi, config.data(), config.size(), Errors::add, &errors);
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_entry_describes_the_module) {
  const auto* e = entry();
  BOOST_TEST(e->abi_version.major == OUTPUT_STEP_ABI_MAJOR);
  BOOST_TEST(e->id != nullptr);
  BOOST_TEST(*e->id != '\0');
  BOOST_TEST(*e->name != '\0');
  BOOST_TEST(*e->version != '\0');
  BOOST_TEST((e->validate != nullptr && e->create != nullptr));
}

BOOST_AUTO_TEST_CASE(validate_accepts_the_working_configuration_and_names_each_error_of_the_bad_one) {
  const std::string good = file(env("OUTPUT_STEP_CONFIG")), bad = file(env("OUTPUT_STEP_BAD_CONFIG"));
  Errors none, some;
  BOOST_TEST(entry()->validate(good.data(), good.size(), Errors::add, &none) == 0u);
  const std::uint32_t n = entry()->validate(bad.data(), bad.size(), Errors::add, &some);
  BOOST_TEST(n > 0u);
  BOOST_TEST(some.all.size() == n);
  for (const auto& [field, message] : some.all) BOOST_TEST(!message.empty(), field);
  Host host;
  Errors at_create;
  BOOST_TEST(create(host, at_create, bad) == nullptr);
  BOOST_TEST(at_create.all.size() == n);
}

BOOST_AUTO_TEST_CASE(create_refuses_another_major_version_and_says_why) {
  Host host(output_step_version_t{OUTPUT_STEP_ABI_MAJOR + 1, 0, 0});
  Errors errors;
  BOOST_TEST(create(host, errors, file(env("OUTPUT_STEP_CONFIG"))) == nullptr);
  BOOST_REQUIRE(!errors.all.empty());
  BOOST_TEST(errors.all.front().second.find("ABI") != std::string::npos, errors.all.front().second);
}

BOOST_AUTO_TEST_CASE(every_accepted_record_completes_once_delivered_and_stats_are_json) {
  const std::size_t count = std::stoul(env("OUTPUT_STEP_RECORDS"));
  Host host;
  Errors errors;
  const output_step_t* step = create(host, errors, file(env("OUTPUT_STEP_CONFIG")));
  BOOST_REQUIRE(step != nullptr);
  BOOST_TEST(step->get_extension(step, "no-such-extension/1") == nullptr);
  const std::string bad = "[not a record";
  output_step_record_t refused{bad.data(), bad.size(), 0};
  size_t accepted = 7;
  BOOST_TEST(step->submit(step, &refused, 1, &accepted) == OUTPUT_STEP_INVALID);
  BOOST_TEST(accepted == 0u);
  std::vector<std::string> texts;
  for (std::size_t i = 1; i <= count; ++i) texts.push_back("{\"event_id\":\"conf-" + std::to_string(i) + "\"}");
  for (std::size_t i = 0; i < count;) {
    std::vector<output_step_record_t> batch;
    for (std::size_t j = i; j < std::min(count, i + 10); ++j) batch.push_back({texts[j].data(), texts[j].size(), j + 1});
    const auto status = step->submit(step, batch.data(), batch.size(), &accepted);
    BOOST_REQUIRE((status == OUTPUT_STEP_OK || status == OUTPUT_STEP_BUSY));
    i += accepted;
    if (status == OUTPUT_STEP_BUSY) step->flush(step, 10);
  }
  BOOST_TEST(step->flush(step, 30000) == OUTPUT_STEP_OK);
  const std::size_t size = step->stats(step, nullptr, 0);
  std::string stats(size + 1, '\0');
  BOOST_TEST(step->stats(step, stats.data(), stats.size()) == size);
  stats.resize(size);
  BOOST_TEST(boost::json::parse(stats).is_object(), stats);
  char small[4] = {'x', 'x', 'x', 'x'};
  BOOST_TEST(step->stats(step, small, sizeof small) == size);
  BOOST_TEST(small[3] == '\0');
  std::uint64_t unfinished = 99;
  step->destroy(step, 5000, &unfinished);
  BOOST_TEST(unfinished == 0u);
  std::lock_guard lock(host.mutex);
  BOOST_TEST(host.completions.size() == count);
  for (const auto& [token, n] : host.completions) BOOST_TEST(n == 1, "token " << token << " completed " << n << " times");
  for (const auto& [token, outcome] : host.outcomes) BOOST_TEST(outcome == OUTPUT_STEP_DELIVERED, "token " << token);
  BOOST_TEST(host.without_delivery_id == 0u);
}

BOOST_AUTO_TEST_CASE(an_accepted_prefix_is_delivered_though_the_rest_of_its_batch_is_refused) {
  Host host;
  Errors errors;
  const output_step_t* step = create(host, errors, file(env("OUTPUT_STEP_CONFIG")));
  BOOST_REQUIRE(step != nullptr);
  const std::string good = "{\"event_id\":\"prefix-1\"}", bad = "[not a record";
  const output_step_record_t batch[] = {{good.data(), good.size(), 1}, {bad.data(), bad.size(), 2}};
  size_t accepted = 0;
  BOOST_TEST(step->submit(step, batch, 2, &accepted) == OUTPUT_STEP_INVALID);
  BOOST_TEST(accepted == 1u);
  BOOST_TEST(step->flush(step, 10000) == OUTPUT_STEP_OK);  // nothing else submitted: no later wake-up
  step->destroy(step, 1000, nullptr);
  std::lock_guard lock(host.mutex);
  BOOST_TEST(host.completions.size() == 1u);
  BOOST_TEST(host.outcomes[1] == OUTPUT_STEP_DELIVERED);
}
