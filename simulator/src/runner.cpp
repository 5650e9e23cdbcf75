#include "runner.hpp"

#include "journal_checks.hpp"
#include "plugin_loader.hpp"
#include "report.hpp"
#include "webhook_mock/http_client.hpp"
#include "webhook_mock/journal.hpp"
#include "webhook_mock/journal_json.hpp"
#include "webhook_mock/server.hpp"
#include "webhook_mock/stubs.hpp"
#include "webhook_mock/verify.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <condition_variable>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <thread>

namespace journey_sim {
namespace {

namespace json = boost::json;
namespace mock = webhook_mock;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

// Replaces ${endpoint} (the endpoint's base URL) and ${workdir} (a folder
// of the run's own, for dead letters and logs) in every string of `v`.
void substitute(json::value& v, const std::string& endpoint, const std::string& workdir = "/tmp") {
  if (auto* s = v.if_string()) {
    std::string text(*s);
    bool changed = false;
    for (auto [name, value] : {std::pair<std::string_view, const std::string&>{"${endpoint}", endpoint},
                               std::pair<std::string_view, const std::string&>{"${workdir}", workdir}}) {
      for (std::size_t pos; (pos = text.find(name)) != std::string::npos;) {
        text.replace(pos, name.size(), value);
        changed = true;
      }
    }
    if (changed) *s = text;
  } else if (auto* o = v.if_object()) {
    for (auto& m : *o) substitute(m.value(), endpoint, workdir);
  } else if (auto* a = v.if_array()) {
    for (auto& x : *a) substitute(x, endpoint, workdir);
  }
}

// The runner's side of the ABI: one host for every activation's step, on
// the scenario's simulated clock.
struct SimHost {
  output_step_host_t abi{};
  output_step_host_clock_t clock{};
  std::atomic<std::int64_t> now{0};
  std::mutex mutex;
  std::condition_variable completed;
  std::uint64_t done = 0, delivered = 0, dead_lettered = 0, failed = 0;
  std::vector<std::string> log_lines;

  SimHost() {
    abi.abi_version = OUTPUT_STEP_ABI_VERSION_INIT;
    abi.host_data = this;
    abi.name = "journey-sim";
    abi.log = [](const output_step_host_t* h, output_step_log_level_t level, const char* message) {
      if (level < OUTPUT_STEP_LOG_WARNING) return;
      auto* self = static_cast<SimHost*>(h->host_data);
      std::lock_guard lock(self->mutex);
      if (self->log_lines.size() < 1000) self->log_lines.emplace_back(message);
    };
    abi.on_completion = [](const output_step_host_t* h, const output_step_completion_t* c) {
      auto* self = static_cast<SimHost*>(h->host_data);
      {
        std::lock_guard lock(self->mutex);
        ++self->done;
        if (c->outcome == OUTPUT_STEP_DELIVERED) ++self->delivered;
        else if (c->outcome == OUTPUT_STEP_DEAD_LETTERED) ++self->dead_lettered;
        else ++self->failed;
      }
      self->completed.notify_all();
    };
    abi.get_extension = [](const output_step_host_t* h, const char* id) -> const void* {
      if (std::string_view(id) == OUTPUT_STEP_EXT_HOST_CLOCK) return &static_cast<SimHost*>(h->host_data)->clock;
      return nullptr;
    };
    clock.now_ms = [](const output_step_host_t* h) { return static_cast<SimHost*>(h->host_data)->now.load(); };
    // The run loop asks each step for its next wake-up; nothing to record here.
    clock.request_wakeup = [](const output_step_host_t*, std::int64_t) {};
  }
};

struct RunningStep {
  std::string name;
  const output_step_t* step = nullptr;
  const output_step_clock_t* clock = nullptr;
};

std::string count_words(RequestExpectation::Rule rule, std::size_t n) {
  switch (rule) {
    case RequestExpectation::Rule::exactly: return n == 0 ? "none" : "exactly " + std::to_string(n);
    case RequestExpectation::Rule::at_least: return "at least " + std::to_string(n);
    case RequestExpectation::Rule::at_most: return "at most " + std::to_string(n);
  }
  return {};
}

struct ValidationSeen {
  std::string activation, field, message;
};

std::vector<ValidationSeen> validate_activations(const Scenario& s, const output_step_entry_t& plugin,
                                                 const std::string& endpoint) {
  std::vector<ValidationSeen> seen;
  for (const auto& a : s.activations) {
    json::value config = a.config;
    substitute(config, endpoint);
    std::string text = json::serialize(config);
    struct Sink {
      std::vector<ValidationSeen>* out;
      const std::string* activation;
    } sink{&seen, &a.name};
    plugin.validate(text.data(), text.size(),
                    [](void* context, const char* field, const char* message) {
                      auto* sk = static_cast<Sink*>(context);
                      sk->out->push_back({*sk->activation, field, message});
                    },
                    &sink);
  }
  return seen;
}

void check_validation(const Scenario& s, const std::vector<ValidationSeen>& seen, ScenarioResult& result) {
  std::vector<bool> used(seen.size(), false);
  for (const auto& x : s.validation_errors) {
    ExpectationResult r;
    r.kind = "validation";
    r.name = x.activation + ": " + x.field;
    r.expected = "an error at " + x.field + (x.message_contains.empty() ? "" : " containing '" + x.message_contains + "'");
    for (std::size_t i = 0; i < seen.size(); ++i) {
      if (used[i] || seen[i].activation != x.activation || seen[i].field != x.field) continue;
      if (!x.message_contains.empty() && seen[i].message.find(x.message_contains) == std::string::npos) continue;
      used[i] = true;
      r.passed = true;
      r.actual = seen[i].message;
      break;
    }
    if (!r.passed) {
      r.actual = "no such error";
      for (const auto& e : seen) {
        if (e.activation == x.activation) r.detail += e.field + ": " + e.message + "\n";
      }
    }
    result.expectations.push_back(std::move(r));
  }
  // Every error that occurred must have been expected.
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (used[i]) continue;
    ExpectationResult r;
    r.kind = "validation";
    r.name = seen[i].activation + ": " + seen[i].field;
    r.expected = s.validation_errors.empty() ? "a valid activation" : "only the errors listed in expect.validation_errors";
    r.actual = seen[i].message;
    result.expectations.push_back(std::move(r));
  }
}

}  // namespace

bool ScenarioResult::passed() const {
  if (invalid) return false;
  for (const auto& e : expectations) {
    if (!e.passed) return false;
  }
  return true;
}

ScenarioResult run_scenario(const Scenario& s, const output_step_entry_t& plugin, const RunOptions& options,
                            std::ostream& progress) {
  ScenarioResult result;
  result.file = s.file;
  result.name = s.name;
  result.purpose = s.purpose;
  auto started = Clock::now();

  // The endpoint: the embedded mock with the scenario's mappings, or an
  // external one (webhook-mock or WireMock) reset and given them over its
  // admin API.
  std::vector<mock::StubMapping> stubs;
  for (std::size_t i = 0; i < s.mappings.size(); ++i) {
    std::vector<mock::PatternError> errors;
    auto stub = mock::parse_stub(s.mappings[i], errors);
    for (const auto& e : errors) {
      result.errors.push_back(s.file + ": /endpoint/mappings/" + std::to_string(i) + e.pointer + ": " + e.detail);
    }
    if (stub) stubs.push_back(std::move(*stub));
  }
  std::vector<std::optional<mock::RequestPattern>> patterns;
  for (std::size_t i = 0; i < s.requests.size(); ++i) {
    std::vector<mock::PatternError> errors;
    patterns.push_back(mock::RequestPattern::parse(s.requests[i].pattern, "", errors));
    for (const auto& e : errors) {
      result.errors.push_back(s.file + ": /expect/requests/" + std::to_string(i) + "/request" + e.pointer + ": " + e.detail);
    }
  }
  if (!result.errors.empty()) {
    result.invalid = true;
    return result;
  }
  const bool external = options.endpoint != "embedded";
  std::unique_ptr<mock::Server> server;
  std::string endpoint = options.endpoint;
  if (external) {
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    auto reset = mock::client::post(endpoint, "/__admin/reset", "");
    if (reset.status != 200) {
      result.errors.push_back("--endpoint " + endpoint + ": POST /__admin/reset answered " +
                              (reset.error.empty() ? std::to_string(reset.status) : reset.error) +
                              "; is it webhook-mock or WireMock?");
      result.invalid = true;
      return result;
    }
    for (std::size_t i = 0; i < s.mappings.size(); ++i) {
      auto added = mock::client::post(endpoint, "/__admin/mappings", json::serialize(s.mappings[i]));
      if (added.status != 201) {
        result.errors.push_back("--endpoint " + endpoint + ": /endpoint/mappings/" + std::to_string(i) +
                                " was refused (" + std::to_string(added.status) + "): " + added.body);
      }
    }
    if (!result.errors.empty()) {
      result.invalid = true;
      return result;
    }
  } else {
    server = std::make_unique<mock::Server>();
    server->stubs().set_initial(std::move(stubs));
    endpoint = server->base_url();
  }

  // Validation through the ABI; activations with errors are not run.
  auto seen = validate_activations(s, plugin, endpoint);
  check_validation(s, seen, result);

  std::string workdir_template = (std::filesystem::temp_directory_path() / "journey-sim-XXXXXX").string();
  const std::string workdir = ::mkdtemp(workdir_template.data()) ? workdir_template : "/tmp";
  struct RemoveAtEnd {
    std::string path;
    ~RemoveAtEnd() {
      std::error_code ignored;
      if (path != "/tmp") std::filesystem::remove_all(path, ignored);
    }
  } remove_workdir{workdir};

  SimHost host;
  host.now = s.start_ms;
  std::map<std::string, RunningStep> steps;
  for (const auto& a : s.activations) {
    bool invalid = std::any_of(seen.begin(), seen.end(), [&](const ValidationSeen& v) { return v.activation == a.name; });
    if (invalid) continue;
    json::value config = a.config;
    substitute(config, endpoint, workdir);
    std::string text = json::serialize(config);
    RunningStep step;
    step.name = a.name;
    step.step = plugin.create(&host.abi, text.data(), text.size(), nullptr, nullptr);
    if (step.step == nullptr) {
      result.errors.push_back(s.file + ": /activations/" + a.name + ": the plugin refused to create it");
      continue;
    }
    step.clock = static_cast<const output_step_clock_t*>(step.step->get_extension(step.step, OUTPUT_STEP_EXT_CLOCK));
    steps.emplace(a.name, step);
  }

  JourneyEngine engine(s);
  std::uint64_t submitted = 0, skipped = 0;
  auto plugin_state = [&](std::uint64_t& unfinished, std::uint64_t& waiting, std::int64_t& next) {
    unfinished = waiting = 0;
    next = kNever;
    for (auto& [name, st] : steps) {
      if (!st.clock) continue;
      std::uint64_t u = 0, w = 0;
      st.clock->pending(st.step, &u, &w);
      unfinished += u;
      waiting += w;
      std::int64_t n = st.clock->next_wakeup_ms(st.step);
      if (w > 0 && n >= 0) next = std::min(next, n);
    }
  };
  auto advance_to = [&](std::int64_t t) {
    std::int64_t now = host.now.load();
    if (t <= now) return;
    if (options.speed > 0) {
      auto real = std::chrono::duration<double, std::milli>(static_cast<double>(t - now) / options.speed);
      std::this_thread::sleep_for(std::min<std::chrono::duration<double, std::milli>>(real, std::chrono::hours(1)));
    }
    host.now = t;
  };
  auto wake_plugins = [&] {
    for (auto& [name, st] : steps) {
      if (st.clock) st.clock->on_time(st.step);
    }
  };
  auto wait_a_little = [&] {
    std::unique_lock lock(host.mutex);
    std::uint64_t seen_done = host.done;
    host.completed.wait_for(lock, std::chrono::milliseconds(2), [&] { return host.done != seen_done; });
  };
  JourneyEngine::Emit emit = [&](Trigger t) {
    auto it = steps.find(t.activation);
    if (it == steps.end()) {
      ++skipped;  // an activation that failed validation
      return;
    }
    output_step_record_t record{t.record.data(), t.record.size(), submitted};
    for (;;) {
      size_t accepted = 0;
      output_step_status_t status = it->second.step->submit(it->second.step, &record, 1, &accepted);
      if (status == OUTPUT_STEP_OK) break;
      if (status != OUTPUT_STEP_BUSY) {
        ++skipped;
        return;
      }
      // Back-pressure: let deliveries finish, or time pass for those waiting on it.
      std::uint64_t unfinished = 0, waiting = 0;
      std::int64_t next = kNever;
      plugin_state(unfinished, waiting, next);
      if (unfinished > 0 && unfinished == waiting && next != kNever) {
        advance_to(next);
        wake_plugins();
      }
      wait_a_little();
    }
    ++submitted;
  };

  bool tty_progress = options.progress;
  auto last_progress = Clock::now();
  std::size_t next_event = 0;
  for (;;) {
    std::int64_t t_event = next_event < s.events.size() ? s.events[next_event].at_ms : kNever;
    std::int64_t t_wait = engine.next_wait_ms();
    if (t_wait < 0) t_wait = kNever;
    std::uint64_t unfinished = 0, waiting = 0;
    std::int64_t t_plugin = kNever;
    plugin_state(unfinished, waiting, t_plugin);
    std::int64_t t = std::min({t_event, t_wait, t_plugin});
    if (t == kNever) {
      if (unfinished == 0) break;
      wait_a_little();  // only network work is left
      continue;
    }
    advance_to(t);
    std::int64_t now = host.now.load();
    if (t_plugin <= now) wake_plugins();
    engine.run_due(now, emit);
    while (next_event < s.events.size() && s.events[next_event].at_ms <= now) {
      engine.on_event(s.events[next_event++], emit);
    }
    if (tty_progress && Clock::now() - last_progress > std::chrono::milliseconds(250)) {
      last_progress = Clock::now();
      double elapsed = std::chrono::duration<double>(last_progress - started).count();
      double rate = static_cast<double>(next_event) / std::max(elapsed, 1e-6);
      std::uint64_t done;
      {
        std::lock_guard lock(host.mutex);
        done = host.done;
      }
      double eta = rate > 0 ? static_cast<double>(s.events.size() - next_event) / rate : 0;
      progress << "\r  " << s.name << ": " << next_event << "/" << s.events.size() << " events ("
               << static_cast<std::uint64_t>(rate) << "/s), " << done << " deliveries ("
               << static_cast<std::uint64_t>(static_cast<double>(done) / std::max(elapsed, 1e-6)) << "/s), ETA "
               << static_cast<int>(eta) << " s   " << std::flush;
    }
  }
  if (tty_progress) progress << "\r" << std::string(100, ' ') << "\r" << std::flush;
  for (auto& [name, st] : steps) st.step->destroy(st.step, 5000, nullptr);

  result.journey = engine.stats();
  result.submitted = submitted;
  {
    std::lock_guard lock(host.mutex);
    result.delivered = host.delivered;
    result.dead_lettered = host.dead_lettered;
    result.failed = host.failed;
  }
  result.simulated_ms = host.now.load() - s.start_ms;
  (void)skipped;

  // What the endpoint received: the embedded journal, or the external one's.
  std::unique_ptr<mock::Journal> fetched;
  const mock::Journal* journal = server ? &server->journal() : nullptr;
  if (!server) {
    fetched = std::make_unique<mock::Journal>(std::numeric_limits<std::size_t>::max());
    auto listing = mock::client::get(endpoint, "/__admin/requests");
    boost::system::error_code ec;
    json::value doc = json::parse(listing.body, ec);
    if (listing.status != 200 || ec || !doc.is_object() || !doc.get_object().contains("requests")) {
      result.errors.push_back("--endpoint " + endpoint + ": GET /__admin/requests failed (" +
                              (listing.error.empty() ? std::to_string(listing.status) : listing.error) + ")");
    } else if (const auto* events = doc.get_object().at("requests").if_array()) {
      for (auto it = events->rbegin(); it != events->rend(); ++it) {  // newest first there
        if (auto recorded = mock::recorded_from_serve_event(*it)) fetched->add(std::move(*recorded));
      }
    }
    journal = fetched.get();
  }
  result.requests_received = journal->total();

  // Expectations.
  mock::Verifier verify(*journal);
  for (std::size_t i = 0; i < s.requests.size(); ++i) {
    const auto& x = s.requests[i];
    auto rule = x.rule == RequestExpectation::Rule::exactly    ? mock::CountRule::exactly
                : x.rule == RequestExpectation::Rule::at_least ? mock::CountRule::at_least
                                                               : mock::CountRule::at_most;
    auto verdict = verify.expect(*patterns[i], rule, x.count);
    ExpectationResult r;
    r.kind = "requests";
    r.name = x.name;
    r.passed = verdict.ok;
    r.expected = count_words(x.rule, x.count) + " matching " + json::serialize(x.pattern);
    r.actual = std::to_string(verdict.count);
    if (!verdict.ok) {
      r.detail = verify.near_miss(*patterns[i]);
      if (r.detail.empty()) r.detail = "no request came near (" + std::to_string(journal->total()) + " received)";
    }
    result.expectations.push_back(std::move(r));
    if (!x.same_header.empty()) result.expectations.push_back(check_same_header(x, *patterns[i], *journal));
  }
  auto outcome = [&](const char* name, const std::optional<std::uint64_t>& expected, std::uint64_t actual) {
    if (!expected) return;
    ExpectationResult r;
    r.kind = "outcomes";
    r.name = name;
    r.passed = *expected == actual;
    r.expected = std::to_string(*expected);
    r.actual = std::to_string(actual);
    result.expectations.push_back(std::move(r));
  };
  outcome("delivered", s.expect_delivered, result.delivered);
  outcome("dead_lettered", s.expect_dead_lettered, result.dead_lettered);
  outcome("failed", s.expect_failed, result.failed);
  for (const auto& x : s.order) result.expectations.push_back(check_order(x, *journal));
  if (!result.errors.empty()) result.invalid = true;
  result.wall_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return result;
}

int run_command(const RunOptions& options, std::ostream& out, std::ostream& err) {
  LoadedPlugin plugin;
  std::string error;
  if (!plugin.load(options.plugin, error)) {
    err << "journey-sim run: " << error << "\n";
    return 2;
  }
  if (options.endpoint != "embedded" && !options.endpoint.starts_with("http://")) {
    err << "journey-sim run: --endpoint is 'embedded' or the http:// base URL of a webhook-mock or WireMock, not '"
        << options.endpoint << "'\n";
    return 2;
  }
  std::vector<ScenarioResult> results;
  std::vector<std::string> secrets;
  bool any_invalid = false;
  for (const auto& file : options.scenarios) {
    std::vector<ScenarioError> errors;
    auto scenario = load_scenario(file, errors, options.seed);
    if (!scenario) {
      ScenarioResult r;
      r.file = file;
      r.name = file;
      r.invalid = true;
      for (const auto& e : errors) r.errors.push_back(e.to_string());
      results.push_back(std::move(r));
      any_invalid = true;
      continue;
    }
    secrets.insert(secrets.end(), scenario->secrets.begin(), scenario->secrets.end());
    results.push_back(run_scenario(*scenario, plugin.entry(), options, out));
    if (results.back().invalid) any_invalid = true;
  }
  Masker mask(options.show_secrets ? std::vector<std::string>{} : secrets);
  write_text_report(results, mask, out);
  if (!options.json.empty() && !write_json_report(results, mask, options.json, err)) return 2;
  if (!options.junit.empty() && !write_junit_report(results, mask, options.junit, err)) return 2;
  if (any_invalid) return 2;
  return std::all_of(results.begin(), results.end(), [](const ScenarioResult& r) { return r.passed(); }) ? 0 : 1;
}

int validate_command(const std::vector<std::string>& files, const std::string& plugin_path, std::ostream& out,
                     std::ostream& err) {
  LoadedPlugin plugin;
  std::string error;
  if (!plugin_path.empty() && !plugin.load(plugin_path, error)) {
    err << "journey-sim validate: " << error << "\n";
    return 2;
  }
  int status = 0;
  for (const auto& file : files) {
    std::vector<ScenarioError> errors;
    auto scenario = load_scenario(file, errors);
    if (!scenario) {
      for (const auto& e : errors) err << e.to_string() << "\n";
      status = 2;
      continue;
    }
    std::size_t problems = 0;
    if (!plugin_path.empty()) {
      // Activations are checked against a stand-in endpoint address.
      auto seen = validate_activations(*scenario, plugin.entry(), "http://127.0.0.1:1");
      ScenarioResult r;
      check_validation(*scenario, seen, r);
      for (const auto& x : r.expectations) {
        if (x.passed) continue;
        ++problems;
        err << file << ": /activations/" << x.name << ": " << x.actual << " (expected " << x.expected << ")\n";
      }
    }
    if (problems > 0) status = 2;
    else out << file << ": valid (" << scenario->events.size() << " events, " << scenario->activations.size()
             << " activations, " << scenario->journey.stages.size() << " stages)\n";
  }
  return status;
}

}  // namespace journey_sim
