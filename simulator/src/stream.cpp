#include "stream.hpp"

#include "plugin_loader.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
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

// Accepted records a damaged spool hid from this start (the plugin's stats
// "spool_unreadable_records"; 0 for a plugin without one).
std::uint64_t spool_unreadable_records(const output_step_t* step) {
  std::string text(step->stats(step, nullptr, 0) + 1, '\0');
  text.resize(step->stats(step, text.data(), text.size()));
  boost::system::error_code ec;
  const json::value stats = json::parse(text, ec);
  const json::value* n = ec || !stats.is_object() ? nullptr : stats.get_object().if_contains("spool_unreadable_records");
  return n != nullptr && n->is_uint64() ? n->get_uint64() : n != nullptr && n->is_int64() ? static_cast<std::uint64_t>(n->get_int64()) : 0;
}

struct RecordInfo {
  std::uint64_t line = 0;
  std::string event_id;
};

struct Host {
  output_step_host_t abi{};
  std::ostream* err = nullptr;
  std::ofstream* outcomes = nullptr;

  std::mutex mutex;
  std::condition_variable completed;
  std::unordered_map<std::uint64_t, RecordInfo> pending;
  std::uint64_t delivered = 0, failed = 0, dead_lettered = 0, done = 0, recovered = 0;

  Host() {
    abi.abi_version = OUTPUT_STEP_ABI_VERSION_INIT;
    abi.host_data = this;
    abi.name = "journey-sim stream";
    abi.log = [](const output_step_host_t* h, output_step_log_level_t level, const char* message) {
      static constexpr const char* names[] = {"debug", "info", "warning", "error"};
      auto* self = static_cast<Host*>(h->host_data);
      if (level < OUTPUT_STEP_LOG_INFO) return;
      // Each line written whole, with one call: lines of two threads never mix.
      const std::string line = std::string("[") + names[level >= 0 && level <= 3 ? level : 3] + "] " + message + "\n";
      std::lock_guard lock(self->mutex);
      self->err->write(line.data(), static_cast<std::streamsize>(line.size()));
      self->err->flush();
    };
    abi.on_completion = [](const output_step_host_t* h, const output_step_completion_t* c) {
      static_cast<Host*>(h->host_data)->complete(*c);
    };
  }

  void complete(const output_step_completion_t& c) {
    std::lock_guard lock(mutex);
    RecordInfo info;
    if (c.token == ~std::uint64_t{0}) ++recovered;  // accepted by an earlier run, from the spool
    if (auto it = pending.find(c.token); it != pending.end()) {
      info = std::move(it->second);
      pending.erase(it);
    }
    const char* outcome = "failed";
    switch (c.outcome) {
      case OUTPUT_STEP_DELIVERED: ++delivered, outcome = "delivered"; break;
      case OUTPUT_STEP_DEAD_LETTERED: ++dead_lettered, outcome = "dead_lettered"; break;
      default: ++failed; break;
    }
    ++done;
    if (outcomes != nullptr) {
      json::object row;
      row["line"] = info.line;
      if (c.token == ~std::uint64_t{0}) row["recovered"] = true;
      row["event_id"] = info.event_id;
      row["outcome"] = outcome;
      row["http_status"] = c.http_status;
      row["attempts"] = c.attempts;
      if (c.error != nullptr) row["error"] = c.error;
      if (c.delivery_id != nullptr) row["delivery_id"] = c.delivery_id;
      *outcomes << json::serialize(row) << '\n';
      outcomes->flush();
    }
    completed.notify_all();
  }
};

bool read_file(const std::string& path, std::string& content) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  content = s.str();
  return true;
}

}  // namespace

int run_stream(const StreamOptions& options, std::ostream& out, std::ostream& err) {
  LoadedPlugin plugin;
  std::string error;
  if (!plugin.load(options.plugin, error)) {
    err << "journey-sim stream: " << error << "\n";
    return 2;
  }
  std::string config;
  if (!read_file(options.config, config)) {
    err << "journey-sim stream: cannot read --config '" << options.config << "': " << std::strerror(errno) << "\n";
    return 2;
  }
  std::ifstream input_file;
  std::istream* input = &std::cin;
  if (!options.input.empty() && options.input != "-") {
    input_file.open(options.input);
    if (!input_file) {
      err << "journey-sim stream: cannot read --input '" << options.input << "': " << std::strerror(errno) << "\n";
      return 2;
    }
    input = &input_file;
  }
  std::ofstream outcomes_file;
  Host host;
  host.err = &err;
  if (!options.outcomes.empty()) {
    outcomes_file.open(options.outcomes, std::ios::trunc);
    if (!outcomes_file) {
      err << "journey-sim stream: cannot write --outcomes '" << options.outcomes << "': " << std::strerror(errno)
          << "\n";
      return 2;
    }
    host.outcomes = &outcomes_file;
  }

  struct ErrorSink {
    std::ostream* err;
    std::mutex* mutex;
  } sink{&err, &host.mutex};
  auto on_error = [](void* context, const char* field, const char* message) {
    auto* s = static_cast<ErrorSink*>(context);
    *s->err << "config: " << (*field ? field : "(top level)") << ": " << message << "\n";
  };
  const output_step_t* step = plugin.entry().create(&host.abi, config.data(), config.size(), on_error, &sink);
  if (step == nullptr) {
    err << "journey-sim stream: the configuration in '" << options.config << "' is invalid (errors above)\n";
    return 2;
  }

  std::FILE* accepted_file = nullptr;
  if (!options.accepted.empty()) {
    accepted_file = std::fopen(options.accepted.c_str(), "a");
    if (accepted_file == nullptr) {
      err << "journey-sim stream: cannot write --accepted '" << options.accepted << "': " << std::strerror(errno) << "\n";
      step->destroy(step, 0, nullptr);
      return 2;
    }
  }
  install_signal_handlers();
  std::uint64_t submitted = 0, line_number = 0, invalid_lines = 0, not_accepted = 0;
  std::string line;
  while (!g_stop.load() && std::getline(*input, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    boost::system::error_code ec;
    json::value record = json::parse(line, ec);
    if (ec || !record.is_object()) {
      err << "input line " << line_number << ": "
          << (ec ? "not valid JSON: " + ec.message() : std::string("a record must be a JSON object")) << "\n";
      ++invalid_lines;
      continue;
    }
    RecordInfo info;
    info.line = line_number;
    if (auto it = record.get_object().find("event_id"); it != record.get_object().end()) {
      info.event_id = it->value().is_string() ? std::string(it->value().get_string()) : json::serialize(it->value());
    }
    {
      std::lock_guard lock(host.mutex);
      host.pending.emplace(line_number, std::move(info));
    }
    output_step_record_t r{line.data(), line.size(), line_number};
    for (;;) {
      size_t accepted = 0;
      output_step_status_t status = step->submit(step, &r, 1, &accepted);
      if (status == OUTPUT_STEP_OK) {
        ++submitted;
        if (accepted_file != nullptr) {
          std::string event_id;
          {
            std::lock_guard lock(host.mutex);
            if (auto it = host.pending.find(line_number); it != host.pending.end()) event_id = it->second.event_id;
          }
          std::fprintf(accepted_file, "%s\n", event_id.c_str());
          std::fflush(accepted_file);  // in the kernel: survives a kill of this process
        }
        break;
      }
      if (status == OUTPUT_STEP_BUSY && !g_stop.load()) {
        // Back-pressure: wait for a completion, then try again.
        std::unique_lock lock(host.mutex);
        std::uint64_t seen = host.done;
        host.completed.wait_for(lock, std::chrono::milliseconds(50), [&] { return host.done != seen; });
        continue;
      }
      std::lock_guard lock(host.mutex);
      host.pending.erase(line_number);
      if (status == OUTPUT_STEP_INVALID) {
        err << "input line " << line_number << ": refused by the plugin\n";
        ++invalid_lines;
      } else if (status == OUTPUT_STEP_ERROR) {
        err << "input line " << line_number << ": not accepted by the plugin (its log says why)\n";
        ++not_accepted;
      }
      break;
    }
  }

  // Wait for every completion, those of records recovered from a spool too
  // (or the deadline, or a signal), then destroy.
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<std::int64_t>(options.deadline_s * 1000));
  while (!g_stop.load()) {
    if (options.deadline_s > 0 && std::chrono::steady_clock::now() >= deadline) break;
    if (step->flush(step, 100) == OUTPUT_STEP_OK) break;
  }
  if (accepted_file != nullptr) std::fclose(accepted_file);
  const std::uint64_t unreadable = spool_unreadable_records(step);
  uint64_t unfinished = 0;
  step->destroy(step, g_stop.load() ? 5000 : 0, &unfinished);
  if (unfinished > 0) err << "journey-sim stream: " << unfinished << " records were cut short at shutdown\n";

  std::lock_guard lock(host.mutex);
  if (host.recovered > 0) err << "journey-sim stream: " << host.recovered << " records recovered from the spool\n";
  submitted += host.recovered;
  out << "{\"submitted\":" << submitted << ",\"delivered\":" << host.delivered << ",\"failed\":" << host.failed
      << ",\"dead_lettered\":" << host.dead_lettered;
  if (unreadable > 0) out << ",\"unreadable\":" << unreadable;
  out << "}" << std::endl;
  if (invalid_lines > 0) return 2;
  return host.delivered == submitted && not_accepted == 0 && unreadable == 0 ? 0 : 1;
}

}  // namespace journey_sim
