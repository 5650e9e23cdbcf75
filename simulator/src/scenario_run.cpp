// run_scenario: one scenario played once, as a ScenarioRun whose members
// are its phases, in order: the endpoint, the activations, the events on
// simulated time, what the endpoint received, the expectations.
#include "journey_sim/activation_checks.hpp"
#include "journey_sim/generator.hpp"
#include "journey_sim/journal_checks.hpp"
#include "journey_sim/runner.hpp"
#include "output_runner/outcomes.hpp"
#include "output_runner/step_host.hpp"
#include <webhook_common/http_client.hpp>
#include "webhook_mock/journal.hpp"
#include "webhook_mock/journal_json.hpp"
#include "webhook_mock/server.hpp"
#include "webhook_mock/stubs.hpp"
#include "webhook_mock/verify.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <ostream>
#include <thread>
#include <tuple>

namespace journey_sim {
namespace {

namespace json = boost::json;
namespace mock = webhook_mock;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

struct RunningStep {
  std::string name;
  std::uint64_t index = 0;  // in the scenario's activations: the low bits of its records' tokens
  const output_step_t* step = nullptr;
  const output_step_clock_t* clock = nullptr;
};

// The plugin's reason, with the last HTTP status when the reason lacks it.
std::string reason(const output_step_completion_t& c) {
  std::string why = c.error != nullptr && *c.error != '\0' ? c.error : "no reason given";
  if (c.http_status != 0 && why.find(std::to_string(c.http_status)) == std::string::npos) {
    why += " (last HTTP " + std::to_string(c.http_status) + ")";
  }
  return why;
}

// A record's token: its number among the run's submits, and its activation.
constexpr int kActivationBits = 16;
constexpr std::uint64_t kActivationMask = (std::uint64_t{1} << kActivationBits) - 1;

// The records a run did not deliver, with the plugin's reason: the first
// few in full, and how many in all (a run of millions keeps only those).
class Undelivered {
 public:
  explicit Undelivered(const Scenario& s) : s_(s) {}

  // [a module thread] One completion that is not a delivery.
  void add(const output_step_completion_t& c) {
    std::lock_guard lock(mutex_);
    if (++count_ > kShown) return;  // only counted: a failing run of millions formats ten lines
    const std::uint64_t index = c.token & kActivationMask;
    lines_.push_back("activation " + (index < s_.activations.size() ? s_.activations[index].name : "?") +
                     ", record " + std::to_string((c.token >> kActivationBits) + 1) + ": " +
                     (c.outcome == OUTPUT_STEP_DEAD_LETTERED ? "dead-lettered" : "failed") + " after " +
                     std::to_string(c.attempts) + " attempt(s): " + reason(c));
  }

  // "" when every record was delivered; else the reasons, a line each.
  std::string describe() const {
    std::lock_guard lock(mutex_);
    if (count_ == 0) return "";
    std::string text = std::to_string(count_) + " record(s) not delivered:\n";
    for (const auto& line : lines_) text += "  " + line + "\n";
    if (count_ > lines_.size()) text += "  (and " + std::to_string(count_ - lines_.size()) + " more)\n";
    return text;
  }

 private:
  static constexpr std::uint64_t kShown = 10;
  const Scenario& s_;
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
  std::uint64_t count_ = 0;
};

// What the steps have in hand, summed over all of them.
struct PluginState {
  std::uint64_t unfinished = 0;
  std::uint64_t waiting = 0;      // of those, waiting for time (a backoff, a rate limit)
  std::int64_t next_ms = kNever;  // the earliest wake-up those wait for
};

// A folder of the run's own (${workdir}), removed with what it holds.
class Workdir {
 public:
  Workdir() {
    std::string name = (std::filesystem::temp_directory_path() / "journey-sim-XXXXXX").string();
    path_ = ::mkdtemp(name.data()) ? name : "/tmp";
  }
  Workdir(const Workdir&) = delete;
  Workdir& operator=(const Workdir&) = delete;
  ~Workdir() {
    std::error_code ignored;
    if (path_ != "/tmp") std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ScenarioRun {
 public:
  ScenarioRun(const Scenario& s, const output_step_entry_t& plugin, const RunOptions& options, std::ostream& progress)
      : s_(s),
        plugin_(plugin),
        options_(options),
        progress_(progress),
        undelivered_(s),
        wants_order_(std::any_of(s.requests.begin(), s.requests.end(),
                                 [](const RequestExpectation& x) { return x.needs_submit_order(); })),
        host_("journey-sim", progress, {.silent = true}, [this](const output_step_completion_t& c) {
          if (c.outcome != OUTPUT_STEP_DELIVERED) undelivered_.add(c);
          if ((wants_order_ || c.attempts > 1) && c.delivery_id != nullptr) {
            std::lock_guard lock(order_mutex_);
            if (wants_order_) submit_order_.emplace(c.delivery_id, c.token >> kActivationBits);
            if (c.attempts > 1 && retried_.size() < kRetriesShown) retried_.emplace_back(c.delivery_id);
            if (c.attempts > 1) ++retried_count_;
          }
          tally_.add(c.outcome);
        }) {
    host_.offer_clock(&now_);
    result_.file = s.file;
    result_.name = s.name;
    result_.purpose = s.purpose;
  }
  ScenarioRun(const ScenarioRun&) = delete;
  ScenarioRun& operator=(const ScenarioRun&) = delete;
  ~ScenarioRun() { destroy_steps(); }

  ScenarioResult run();

 private:
  // ---- before: the endpoint and the activations
  bool read_patterns();
  bool start_endpoint();
  bool configure_external_endpoint();
  void create_steps(const std::vector<ValidationSeen>& seen);
  // ---- the events on simulated time
  void play();
  void submit(const Trigger& t);
  PluginState plugin_state() const;
  void advance_to(std::int64_t t);
  void wake_plugins();
  void wait_a_little();
  void show_progress(std::uint64_t events_played);
  void destroy_steps();
  // ---- after: what was delivered and received, against the expectations
  void count_outcomes();
  const mock::Journal& received();
  void check_requests(const mock::Journal& journal);
  void check_outcomes();
  void check_gotos();
  void describe_retried(const mock::Journal& journal);

  const Scenario& s_;
  const output_step_entry_t& plugin_;
  const RunOptions& options_;
  std::ostream& progress_;
  const Clock::time_point started_ = Clock::now();
  ScenarioResult result_;

  std::vector<mock::StubMapping> stubs_;
  std::vector<std::optional<mock::RequestPattern>> patterns_;  // one per s_.requests
  std::unique_ptr<std::atomic<std::uint64_t>[]> arrived_;      // per pattern: matches as they arrived (embedded)
  std::unique_ptr<mock::Server> server_;                       // the embedded endpoint, or null
  std::string endpoint_;                                       // its base URL
  std::unique_ptr<mock::Journal> fetched_;                     // an external endpoint's journal
  std::optional<Workdir> workdir_;

  // One host for every activation's step, on the scenario's simulated
  // clock. The steps' log is not shown: the report says what happened.
  std::atomic<std::int64_t> now_{0};
  output_runner::OutcomeTally tally_;
  Undelivered undelivered_;
  const bool wants_order_;  // an expectation compares arrival with submit order
  std::mutex order_mutex_;
  SubmitOrder submit_order_;  // webhook-id -> submit number, when wanted
  static constexpr std::size_t kRetriesShown = 5;
  std::vector<std::string> retried_;  // the webhook-ids of the first records sent more than once
  std::size_t retried_count_ = 0;
  output_runner::StepHost host_;
  std::map<std::string, RunningStep> steps_;  // by activation; those that passed validation
  std::optional<JourneyEngine> engine_;  // once the steps run
  std::uint64_t submitted_ = 0;
  std::uint64_t skipped_ = 0;  // triggers of activations not running, or refused
  Clock::time_point last_progress_ = Clock::now();
};

ScenarioResult ScenarioRun::run() {
  if (!read_patterns() || !start_endpoint()) {
    result_.invalid = true;
    return std::move(result_);
  }
  // Validation through the ABI; activations with errors are not run.
  const auto seen = validate_activations(s_, plugin_, endpoint_);
  check_validation(s_, seen, result_);
  if (!result_.errors.empty()) {  // an error the scenario does not expect: as validate, invalid
    result_.invalid = true;
    return std::move(result_);
  }
  workdir_.emplace();
  now_ = s_.start_ms;
  create_steps(seen);
  engine_.emplace(s_);
  play();
  destroy_steps();
  result_.journey = engine_->stats();
  check_gotos();
  result_.submitted = submitted_;
  count_outcomes();
  result_.simulated_ms = now_.load() - s_.start_ms;
  const mock::Journal& journal = received();
  result_.requests_received = journal.total();
  result_.requests_evicted = journal.evicted();
  describe_retried(journal);
  check_requests(journal);
  check_outcomes();
  for (const auto& x : s_.order) result_.expectations.push_back(check_order(x, journal));
  if (!result_.errors.empty()) result_.invalid = true;
  result_.wall_seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  return std::move(result_);
}

// The endpoint's mappings and the expectations' request patterns, each
// error with where it is in the scenario.
bool ScenarioRun::read_patterns() {
  for (std::size_t i = 0; i < s_.mappings.size(); ++i) {
    std::vector<mock::PatternError> errors;
    auto stub = mock::parse_stub(s_.mappings[i], errors);
    for (const auto& e : errors) {
      result_.errors.push_back(s_.file + ": /endpoint/mappings/" + std::to_string(i) + e.pointer + ": " + e.detail);
    }
    if (stub) stubs_.push_back(std::move(*stub));
  }
  for (std::size_t i = 0; i < s_.requests.size(); ++i) {
    std::vector<mock::PatternError> errors;
    patterns_.push_back(mock::RequestPattern::parse(s_.requests[i].pattern, "", errors));
    if (!patterns_.back() && errors.empty()) errors.push_back({"", "is not a request pattern"});
    for (const auto& e : errors) {
      result_.errors.push_back(s_.file + ": /expect/requests/" + std::to_string(i) + "/request" + e.pointer + ": " +
                               e.detail);
    }
  }
  return result_.errors.empty();
}

// The embedded mock with the scenario's mappings, or an external one
// (webhook-mock or WireMock) reset and given them over its admin API.
bool ScenarioRun::start_endpoint() {
  if (options_.endpoint != "embedded") return configure_external_endpoint();
  arrived_ = std::make_unique<std::atomic<std::uint64_t>[]>(patterns_.size());
  mock::ServerOptions options;
  options.journal_limit = options_.journal_limit;
  options.observe = [this](const mock::RecordedRequest& r) {
    for (std::size_t i = 0; i < patterns_.size(); ++i) {
      if (patterns_[i]->matches(r)) arrived_[i].fetch_add(1, std::memory_order_relaxed);
    }
  };
  server_ = std::make_unique<mock::Server>(std::move(options));
  server_->stubs().set_initial(std::move(stubs_));
  endpoint_ = server_->base_url();
  return true;
}

bool ScenarioRun::configure_external_endpoint() {
  endpoint_ = options_.endpoint;
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
  auto reset = webhook_common::client::post(endpoint_, "/__admin/reset", "");
  if (reset.status != 200) {
    result_.errors.push_back("--endpoint " + endpoint_ + ": POST /__admin/reset answered " +
                             (reset.error.empty() ? std::to_string(reset.status) : reset.error) +
                             "; is it webhook-mock or WireMock?");
    return false;
  }
  for (std::size_t i = 0; i < s_.mappings.size(); ++i) {
    auto added = webhook_common::client::post(endpoint_, "/__admin/mappings", json::serialize(s_.mappings[i]));
    if (added.status != 201) {
      result_.errors.push_back("--endpoint " + endpoint_ + ": /endpoint/mappings/" + std::to_string(i) +
                               " was refused (" + std::to_string(added.status) + "): " + added.body);
    }
  }
  return result_.errors.empty();
}

void ScenarioRun::create_steps(const std::vector<ValidationSeen>& seen) {
  for (std::size_t index = 0; index < s_.activations.size(); ++index) {
    const auto& a = s_.activations[index];
    if (std::any_of(seen.begin(), seen.end(), [&](const ValidationSeen& v) { return v.activation == a.name; })) {
      continue;
    }
    json::value config = a.config;
    substitute(config, endpoint_, workdir_->path());
    const std::string text = json::serialize(config);
    RunningStep step;
    step.name = a.name;
    step.index = std::min<std::uint64_t>(index, kActivationMask);
    step.step = host_.create(plugin_, text);
    if (step.step == nullptr) {
      result_.errors.push_back(s_.file + ": /activations/" + a.name + ": the plugin refused to create it");
      continue;
    }
    step.clock = static_cast<const output_step_clock_t*>(step.step->get_extension(step.step, OUTPUT_STEP_EXT_CLOCK));
    steps_.emplace(a.name, step);
  }
}

// The events, the journey's waits and the steps' wake-ups in time order,
// until nothing is left to happen and no delivery is unfinished.
void ScenarioRun::play() {
  const JourneyEngine::Emit emit = [this](const Trigger& t) { submit(t); };
  ScenarioEvents events(s_);
  for (;;) {
    const std::int64_t t_event = events.peek() != nullptr ? events.peek()->at_ms : kNever;
    std::int64_t t_wait = engine_->next_wait_ms();
    if (t_wait < 0) t_wait = kNever;
    const PluginState plugins = plugin_state();
    const std::int64_t t = std::min({t_event, t_wait, plugins.next_ms});
    if (t == kNever) {
      if (plugins.unfinished == 0) break;
      wait_a_little();  // only network work is left
      continue;
    }
    advance_to(t);
    const std::int64_t now = now_.load();
    if (plugins.next_ms <= now) wake_plugins();
    engine_->run_due(now, emit);
    for (const Event* e; (e = events.peek()) != nullptr && e->at_ms <= now; events.pop()) engine_->on_event(*e, emit);
    if (options_.progress) show_progress(events.played());
  }
  if (options_.progress) progress_ << "\r" << std::string(100, ' ') << "\r" << std::flush;
}

void ScenarioRun::submit(const Trigger& t) {
  auto it = steps_.find(t.activation);
  if (it == steps_.end()) {
    ++skipped_;  // an activation that failed validation
    return;
  }
  const output_step_record_t record{t.record.data(), t.record.size(),
                                    submitted_ << kActivationBits | it->second.index};
  // Back-pressure: let deliveries finish, or time pass for those waiting on it.
  const auto let_time_pass = [this] {
    const PluginState plugins = plugin_state();
    if (plugins.unfinished > 0 && plugins.unfinished == plugins.waiting && plugins.next_ms != kNever) {
      advance_to(plugins.next_ms);
      wake_plugins();
    }
    return true;
  };
  if (output_runner::submit_waiting(it->second.step, record, tally_, std::chrono::milliseconds(2), let_time_pass) !=
      OUTPUT_STEP_OK) {
    ++skipped_;
    return;
  }
  ++submitted_;
}

PluginState ScenarioRun::plugin_state() const {
  PluginState state;
  for (const auto& [name, st] : steps_) {
    if (!st.clock) continue;
    std::uint64_t unfinished = 0, waiting = 0;
    st.clock->pending(st.step, &unfinished, &waiting);
    state.unfinished += unfinished;
    state.waiting += waiting;
    const std::int64_t next = st.clock->next_wakeup_ms(st.step);
    if (waiting > 0 && next >= 0) state.next_ms = std::min(state.next_ms, next);
  }
  return state;
}

// Simulated time jumps to `t`; with --speed N, after N-times-faster real time.
void ScenarioRun::advance_to(std::int64_t t) {
  const std::int64_t now = now_.load();
  if (t <= now) return;
  if (options_.speed > 0) {
    auto real = std::chrono::duration<double, std::milli>(static_cast<double>(t - now) / options_.speed);
    std::this_thread::sleep_for(std::min<std::chrono::duration<double, std::milli>>(real, std::chrono::hours(1)));
  }
  now_ = t;
}

void ScenarioRun::wake_plugins() {
  for (auto& [name, st] : steps_) {
    if (st.clock) st.clock->on_time(st.step);
  }
}

void ScenarioRun::wait_a_little() { tally_.wait_past(tally_.counts().done, std::chrono::milliseconds(2)); }

// A progress line, at most four times a second.
void ScenarioRun::show_progress(std::uint64_t events_played) {
  if (Clock::now() - last_progress_ <= std::chrono::milliseconds(250)) return;
  last_progress_ = Clock::now();
  const double elapsed = std::chrono::duration<double>(last_progress_ - started_).count();
  const double rate = static_cast<double>(events_played) / std::max(elapsed, 1e-6);
  const std::uint64_t done = tally_.counts().done;
  const double eta = rate > 0 ? static_cast<double>(s_.event_count() - events_played) / rate : 0;
  progress_ << "\r  " << s_.name << ": " << events_played << "/" << s_.event_count() << " events ("
            << static_cast<std::uint64_t>(rate) << "/s), " << done << " deliveries ("
            << static_cast<std::uint64_t>(static_cast<double>(done) / std::max(elapsed, 1e-6)) << "/s), ETA "
            << static_cast<int>(eta) << " s   " << std::flush;
}

void ScenarioRun::destroy_steps() {
  for (auto& [name, st] : steps_) st.step->destroy(st.step, 5000, nullptr);
  steps_.clear();
}

void ScenarioRun::count_outcomes() {
  const auto counts = tally_.counts();
  result_.delivered = counts.delivered;
  result_.dead_lettered = counts.dead_lettered;
  result_.failed = counts.failed;
}

// What the endpoint received: the embedded journal, or the external one's.
const mock::Journal& ScenarioRun::received() {
  if (server_) return server_->journal();
  fetched_ = std::make_unique<mock::Journal>(std::numeric_limits<std::size_t>::max());
  auto listing = webhook_common::client::get(endpoint_, "/__admin/requests");
  boost::system::error_code ec;
  const json::value doc = json::parse(listing.body, ec);
  if (listing.status != 200 || ec || !doc.is_object() || !doc.get_object().contains("requests")) {
    result_.errors.push_back("--endpoint " + endpoint_ + ": GET /__admin/requests failed (" +
                             (listing.error.empty() ? std::to_string(listing.status) : listing.error) + ")");
  } else if (const auto* events = doc.get_object().at("requests").if_array()) {
    for (auto it = events->rbegin(); it != events->rend(); ++it) {  // newest first there
      if (auto recorded = mock::recorded_from_serve_event(*it)) fetched_->add(std::move(*recorded));
    }
  }
  return *fetched_;
}

void ScenarioRun::check_requests(const mock::Journal& journal) {
  const std::vector<std::string> keys = signing_keys(s_);
  std::lock_guard lock(order_mutex_);  // the steps are gone; for the analysis
  for (std::size_t i = 0; i < s_.requests.size(); ++i) {
    const auto& x = s_.requests[i];
    const auto& pattern = *patterns_[i];
    ExpectationResult r =
        check_count(x, pattern, journal, s_.secrets, server_ ? std::optional<std::uint64_t>(arrived_[i].load()) : std::nullopt);
    if (!r.passed) {
      if (const std::string why = undelivered_.describe(); !why.empty()) r.detail += "\n" + why;
    }
    result_.expectations.push_back(std::move(r));
    if (!x.same_header.empty()) result_.expectations.push_back(check_same_header(x, pattern, journal));
    if (!x.signature_valid && !x.no_duplicates && x.ordered_by.empty() && !x.attempts) continue;
    const auto matching = mock::Verifier(journal).find(pattern);
    if (x.signature_valid) result_.expectations.push_back(check_signature(x, matching, keys));
    if (x.no_duplicates) result_.expectations.push_back(check_no_duplicates(x, matching));
    if (!x.ordered_by.empty()) result_.expectations.push_back(check_ordered_by(x, matching, submit_order_));
    if (x.attempts) result_.expectations.push_back(check_attempts(x, matching));
  }
}

void ScenarioRun::check_outcomes() {
  for (auto [name, expected, actual] : {std::tuple{"delivered", &s_.expect_delivered, result_.delivered},
                                        std::tuple{"dead_lettered", &s_.expect_dead_lettered, result_.dead_lettered},
                                        std::tuple{"failed", &s_.expect_failed, result_.failed}}) {
    if (!*expected) continue;
    ExpectationResult r;
    r.kind = "outcomes";
    r.name = name;
    r.passed = **expected == actual;
    r.expected = std::to_string(**expected);
    r.actual = std::to_string(actual);
    if (!r.passed) r.detail = undelivered_.describe();
    result_.expectations.push_back(std::move(r));
  }
}

// The records sent more than once, as the endpoint saw them; the
// Retry-After of the embedded endpoint's stubs.
void ScenarioRun::describe_retried(const mock::Journal& journal) {
  std::lock_guard lock(order_mutex_);
  result_.retried_count = retried_count_;
  result_.retried = describe_retries(journal, retried_, [this](const std::string& stub_id) -> std::string {
    const auto stub = server_ ? server_->stubs().get(stub_id) : std::nullopt;
    const auto* response = stub ? stub->if_contains("response") : nullptr;
    const auto* headers = response && response->is_object() ? response->get_object().if_contains("headers") : nullptr;
    if (headers == nullptr || !headers->is_object()) return "";
    for (const auto& h : headers->get_object()) {
      if (h.key().size() == 11 && std::equal(h.key().begin(), h.key().end(), "retry-after", [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == b;
          })) {
        return h.value().is_string() ? std::string(h.value().get_string()) : json::serialize(h.value());
      }
    }
    return "";
  });
}

// A profile that went round more than kMaxGotos goto steps left the
// journey: the run fails and says which profiles.
void ScenarioRun::check_gotos() {
  const JourneyStats& j = result_.journey;
  if (j.goto_limited == 0) return;
  ExpectationResult r;
  r.kind = "journey";
  r.name = "goto limit";
  r.expected = "at most " + std::to_string(kMaxGotos) + " goto steps per profile";
  r.actual = std::to_string(j.goto_limited) + " profile(s) went beyond and left the journey";
  r.detail = "profiles:";
  for (const auto& id : j.goto_limited_profiles) r.detail += " " + id;
  if (j.goto_limited > j.goto_limited_profiles.size()) {
    r.detail += " (and " + std::to_string(j.goto_limited - j.goto_limited_profiles.size()) + " more)";
  }
  result_.expectations.push_back(std::move(r));
}

}  // namespace

ScenarioResult run_scenario(const Scenario& scenario, const output_step_entry_t& plugin, const RunOptions& options,
                            std::ostream& progress) {
  return ScenarioRun(scenario, plugin, options, progress).run();
}

}  // namespace journey_sim
