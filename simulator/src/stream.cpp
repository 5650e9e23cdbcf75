#include "journey_sim/stream.hpp"

#include "output_runner/outcomes.hpp"
#include "output_runner/plugin_loader.hpp"
#include "output_runner/step_host.hpp"
#include <webhook_common/file_text.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <unordered_map>

namespace journey_sim {
namespace {

namespace json = boost::json;

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int) { g_stop.store(true); }

// Without SA_RESTART, so that a blocked read of stdin returns at once.
void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

struct RecordInfo {
  std::uint64_t line = 0;
  std::string event_id;
};

// What the run knows of each record, updated from the module's completions.
struct Host {
  output_runner::OutcomeFile outcomes;
  output_runner::OutcomeTally tally;
  std::mutex mutex;  // guards `pending` and `recovered`
  std::unordered_map<std::uint64_t, RecordInfo> pending;
  std::uint64_t recovered = 0;

  void complete(const output_step_completion_t& c) {
    RecordInfo info;
    {
      std::lock_guard lock(mutex);
      if (c.token == OUTPUT_STEP_TOKEN_RECOVERED) ++recovered;  // accepted by an earlier run, from the spool
      if (auto it = pending.find(c.token); it != pending.end()) {
        info = std::move(it->second);
        pending.erase(it);
      }
    }
    if (outcomes.is_open()) {
      json::object row;
      row["line"] = info.line;
      if (c.token == OUTPUT_STEP_TOKEN_RECOVERED) row["recovered"] = true;
      row["event_id"] = info.event_id;
      output_runner::append_outcome_fields(row, output_runner::Completion::of(0, c));
      outcomes.write(row);
    }
    tally.add(c.outcome);
  }
};

// One `journey-sim stream`: the files opened, the step created, each input
// line submitted, every completion awaited, the summary printed.
class StreamRun {
 public:
  StreamRun(const StreamOptions& options, std::ostream& out, std::ostream& err)
      : options_(options),
        out_(out),
        err_(err),
        step_host_("journey-sim stream", err, {}, [this](const output_step_completion_t& c) { host_.complete(c); }) {}
  StreamRun(const StreamRun&) = delete;
  StreamRun& operator=(const StreamRun&) = delete;
  ~StreamRun() {
    if (accepted_file_ != nullptr) std::fclose(accepted_file_);
  }

  int run();

 private:
  bool open_files();
  bool create_step();
  bool open_accepted();
  void submit_input();
  void submit_line(std::string& line);
  void note_accepted(const std::string& event_id);
  void finish();
  int report();

  const StreamOptions& options_;
  std::ostream& out_;
  std::ostream& err_;
  output_runner::LoadedPlugin plugin_;
  std::string config_;
  std::ifstream input_file_;
  std::istream* input_ = &std::cin;
  std::FILE* accepted_file_ = nullptr;
  Host host_;
  output_runner::StepHost step_host_;
  const output_step_t* step_ = nullptr;
  std::uint64_t submitted_ = 0, line_number_ = 0, invalid_lines_ = 0, not_accepted_ = 0, unreadable_ = 0;
};

int StreamRun::run() {
  std::string error;
  if (!plugin_.load(options_.plugin, error)) {
    err_ << "journey-sim stream: " << error << "\n";
    return 2;
  }
  if (!open_files() || !create_step()) return 2;
  if (!open_accepted()) {
    step_->destroy(step_, 0, nullptr);
    return 2;
  }
  install_signal_handlers();
  submit_input();
  finish();
  return report();
}

bool StreamRun::open_files() {
  if (auto file = webhook_common::read_file(options_.config)) {
    config_ = std::move(*file);
  } else {
    err_ << "journey-sim stream: cannot read --config '" << options_.config << "': " << std::strerror(errno) << "\n";
    return false;
  }
  if (!options_.input.empty() && options_.input != "-") {
    input_file_.open(options_.input);
    if (!input_file_) {
      err_ << "journey-sim stream: cannot read --input '" << options_.input << "': " << std::strerror(errno) << "\n";
      return false;
    }
    input_ = &input_file_;
  }
  if (!options_.outcomes.empty() && !host_.outcomes.open(options_.outcomes, /*append=*/false)) {
    err_ << "journey-sim stream: cannot write --outcomes '" << options_.outcomes << "': " << std::strerror(errno)
         << "\n";
    return false;
  }
  return true;
}

bool StreamRun::create_step() {
  step_ = step_host_.create(plugin_.entry(), config_);
  if (step_ == nullptr) {
    err_ << "journey-sim stream: the configuration in '" << options_.config << "' is invalid (errors above)\n";
    return false;
  }
  return true;
}

bool StreamRun::open_accepted() {
  if (options_.accepted.empty()) return true;
  accepted_file_ = std::fopen(options_.accepted.c_str(), "a");
  if (accepted_file_ == nullptr) {
    err_ << "journey-sim stream: cannot write --accepted '" << options_.accepted << "': " << std::strerror(errno) << "\n";
    return false;
  }
  return true;
}

void StreamRun::submit_input() {
  std::string line;
  while (!g_stop.load() && std::getline(*input_, line)) {
    ++line_number_;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    submit_line(line);
  }
}

void StreamRun::submit_line(std::string& line) {
  boost::system::error_code ec;
  json::value record = json::parse(line, ec);
  if (ec || !record.is_object()) {
    err_ << "input line " << line_number_ << ": "
         << (ec ? "not valid JSON: " + ec.message() : std::string("a record must be a JSON object")) << "\n";
    ++invalid_lines_;
    return;
  }
  RecordInfo info;
  info.line = line_number_;
  if (auto it = record.get_object().find("event_id"); it != record.get_object().end()) {
    info.event_id = it->value().is_string() ? std::string(it->value().get_string()) : json::serialize(it->value());
  }
  const std::string event_id = info.event_id;  // its completion may come before note_accepted
  {
    std::lock_guard lock(host_.mutex);
    host_.pending.emplace(line_number_, std::move(info));
  }
  const output_step_record_t r{line.data(), line.size(), line_number_};
  // Back-pressure: each BUSY waits for a completion (up to 50 ms), until a signal.
  const output_step_status_t status = output_runner::submit_waiting(step_, r, host_.tally, std::chrono::milliseconds(50),
                                                                    [] { return !g_stop.load(); });
  if (status == OUTPUT_STEP_OK) {
    ++submitted_;
    note_accepted(event_id);
    return;
  }
  {
    std::lock_guard lock(host_.mutex);
    host_.pending.erase(line_number_);
  }
  if (status == OUTPUT_STEP_INVALID) {
    err_ << "input line " << line_number_ << ": refused by the plugin\n";
    ++invalid_lines_;
  } else if (status == OUTPUT_STEP_ERROR) {
    err_ << "input line " << line_number_ << ": not accepted by the plugin (its log says why)\n";
    ++not_accepted_;
  }
}

// The accepted record's event_id, in the kernel before the next record:
// it survives a kill of this process.
void StreamRun::note_accepted(const std::string& event_id) {
  if (accepted_file_ == nullptr) return;
  std::fprintf(accepted_file_, "%s\n", event_id.c_str());
  std::fflush(accepted_file_);
}

// Waits for every completion, those of records recovered from a spool too
// (or the deadline, or a signal), then destroys the step.
void StreamRun::finish() {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<std::int64_t>(options_.deadline_s * 1000));
  while (!g_stop.load()) {
    if (options_.deadline_s > 0 && std::chrono::steady_clock::now() >= deadline) break;
    if (step_->flush(step_, 100) == OUTPUT_STEP_OK) break;
  }
  if (accepted_file_ != nullptr) std::fclose(accepted_file_);
  accepted_file_ = nullptr;
  unreadable_ = output_runner::stats_count(output_runner::step_stats(step_), "spool_unreadable_records");
  uint64_t unfinished = 0;
  step_->destroy(step_, g_stop.load() ? 5000 : 0, &unfinished);
  step_ = nullptr;
  if (unfinished > 0) err_ << "journey-sim stream: " << unfinished << " records were cut short at shutdown\n";
}

int StreamRun::report() {
  std::lock_guard lock(host_.mutex);
  if (host_.recovered > 0) err_ << "journey-sim stream: " << host_.recovered << " records recovered from the spool\n";
  submitted_ += host_.recovered;
  const auto counts = host_.tally.counts();
  out_ << "{\"submitted\":" << submitted_ << ",\"delivered\":" << counts.delivered << ",\"failed\":" << counts.failed
       << ",\"dead_lettered\":" << counts.dead_lettered;
  if (unreadable_ > 0) out_ << ",\"unreadable\":" << unreadable_;
  out_ << "}" << std::endl;
  if (invalid_lines_ > 0) return 2;
  return counts.delivered == submitted_ && not_accepted_ == 0 && unreadable_ == 0 ? 0 : 1;
}

}  // namespace

int run_stream(const StreamOptions& options, std::ostream& out, std::ostream& err) {
  return StreamRun(options, out, err).run();
}

}  // namespace journey_sim
