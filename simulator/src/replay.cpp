#include "journey_sim/replay.hpp"

#include "output_runner/outcomes.hpp"
#include "output_runner/plugin_loader.hpp"
#include "output_runner/step_host.hpp"
#include "journey_sim/scenario.hpp"
#include "webhook_common/file_text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <vector>

namespace journey_sim {
namespace {

namespace json = boost::json;

// Each selected letter's outcome, from the module's completions.
struct Host {
  output_runner::OutcomeTally tally;
  std::mutex mutex;
  std::vector<int> outcome;  // per selected letter: -1 pending, else output_step_outcome_t

  void complete(const output_step_completion_t& c) {
    {
      std::lock_guard lock(mutex);
      if (c.token < outcome.size()) outcome[c.token] = c.outcome;
    }
    tally.add(c.outcome);
  }
};

// A letter selected for replay: its line in the file, and its record with
// the webhook-id it was first sent with.
struct Selected {
  std::size_t line = 0;  // index into the file's lines
  std::string record;
};

// The configuration, as JSON, without its dead_letter_file: a letter that
// fails again stays in its file, the replay writes no new ones.
std::optional<std::string> replay_config(const ReplayOptions& options, const std::string& text, std::ostream& err) {
  boost::system::error_code ec;
  json::parse_options parse_options;
  parse_options.allow_comments = parse_options.allow_trailing_commas = true;
  json::value config = json::parse(text, ec, {}, parse_options);
  if (ec || !config.is_object()) {
    err << "journey-sim replay: --config '" << options.config << "' is not a JSON object\n";
    return std::nullopt;
  }
  if (auto* delivery = config.get_object().if_contains("delivery"); delivery && delivery->is_object()) {
    delivery->get_object().erase("dead_letter_file");
  }
  return json::serialize(config);
}

// The HTTP status of a letter's last attempt; 0 when it has none.
int last_status(const json::object& letter) {
  if (auto it = letter.find("attempts"); it != letter.end() && it->value().is_array() && !it->value().get_array().empty()) {
    const auto& attempt = it->value().get_array().back();
    if (const auto* a = attempt.if_object(); a && a->contains("status")) return a->at("status").to_number<int>();
  }
  return 0;
}

// Whether the options select `letter`: its activation, last status, time.
bool selected_by(const ReplayOptions& options, const json::object& letter) {
  auto text = [&](std::string_view key) {
    auto it = letter.find(key);
    return it != letter.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
  };
  if (!options.activation.empty() && text("activation") != options.activation) return false;
  if (options.status && last_status(letter) != *options.status) return false;
  if (options.since_ms || options.until_ms) {
    auto at = parse_timestamp(text("time"));
    if (!at || (options.since_ms && *at < *options.since_ms) || (options.until_ms && *at >= *options.until_ms)) {
      return false;
    }
  }
  return true;
}

// Every line of the file in `lines`; the letters to replay in `selected`.
void select_letters(const ReplayOptions& options, std::istream& file, std::ostream& err,
                    std::vector<std::string>& lines, std::vector<Selected>& selected) {
  for (std::string line; std::getline(file, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    lines.push_back(line);
    boost::system::error_code ec;
    json::value letter = json::parse(line, ec);
    if (ec || !letter.is_object() || !letter.get_object().contains("record")) {
      err << options.dead_letters << ":" << lines.size() << ": not a dead letter (kept as is)\n";
      continue;
    }
    const auto& o = letter.get_object();
    if (!selected_by(options, o)) continue;
    json::value record = o.at("record");
    if (!record.is_object()) continue;
    if (const auto* id = o.if_contains("webhook_id"); id && id->is_string() && !id->get_string().empty()) {
      record.get_object()["webhook_id"] = *id;
    }
    selected.push_back({lines.size() - 1, json::serialize(record)});
  }
}

// Submits each selected record and waits for every outcome (in host.outcome).
bool deliver(const ReplayOptions& options, const output_step_entry_t& plugin, const std::string& config,
             const std::vector<Selected>& selected, Host& host, std::ostream& err) {
  host.outcome.assign(selected.size(), -1);
  output_runner::StepHost step_host("journey-sim replay", err, {OUTPUT_STEP_LOG_WARNING, false},
                                    [&host](const output_step_completion_t& c) { host.complete(c); });
  const output_step_t* step = step_host.create(plugin, config);
  if (step == nullptr) return false;
  for (std::size_t i = 0; i < selected.size(); ++i) {
    const output_step_record_t r{selected[i].record.data(), selected[i].record.size(), i};
    if (output_runner::submit_waiting(step, r, host.tally, std::chrono::milliseconds(20)) != OUTPUT_STEP_OK) {
      err << options.dead_letters << ":" << selected[i].line + 1 << ": not accepted by the plugin; kept\n";
      std::lock_guard lock(host.mutex);
      host.outcome[i] = OUTPUT_STEP_FAILED;
    }
  }
  while (step->flush(step, 1000) != OUTPUT_STEP_OK) {
  }
  step->destroy(step, 1000, nullptr);
  return true;
}

// Rewrites the file without `drop`'s lines, atomically: a crash leaves the
// old file or the new one, never half of one.
bool rewrite_without(const std::string& path, const std::vector<std::string>& lines, const std::vector<bool>& drop,
                     std::ostream& err) {
  std::string temp = path + ".replay-" + std::to_string(::getpid());
  {
    std::ofstream rewritten(temp, std::ios::trunc);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (!drop[i]) rewritten << lines[i] << '\n';
    }
    rewritten.flush();
    if (!rewritten) {
      err << "journey-sim replay: cannot write '" << temp << "'; the dead-letter file is unchanged\n";
      return false;
    }
  }
  std::error_code rename_ec;
  std::filesystem::rename(temp, path, rename_ec);
  if (rename_ec) {
    err << "journey-sim replay: cannot replace '" << path << "': " << rename_ec.message() << "\n";
    return false;
  }
  return true;
}

}  // namespace

int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err) {
  output_runner::LoadedPlugin plugin;
  std::string error;
  if (!plugin.load(options.plugin, error)) {
    err << "journey-sim replay: " << error << "\n";
    return 2;
  }
  const auto config_text = webhook_common::read_file(options.config);
  if (!config_text) {
    err << "journey-sim replay: cannot read --config '" << options.config << "': " << std::strerror(errno) << "\n";
    return 2;
  }
  const auto letters_text = webhook_common::read_file(options.dead_letters);
  if (!letters_text) {
    err << "journey-sim replay: cannot read '" << options.dead_letters << "': " << std::strerror(errno) << "\n";
    return 2;
  }
  std::istringstream letters_file(*letters_text);
  const auto config = replay_config(options, *config_text, err);
  if (!config) return 2;
  std::vector<std::string> lines;
  std::vector<Selected> selected;
  select_letters(options, letters_file, err, lines, selected);
  Host host;
  if (!deliver(options, plugin.entry(), *config, selected, host, err)) return 2;

  std::vector<bool> drop(lines.size(), false);
  std::uint64_t delivered = 0, failed = 0, dead_lettered = 0;
  for (std::size_t i = 0; i < selected.size(); ++i) {
    if (host.outcome[i] == OUTPUT_STEP_DELIVERED) {
      drop[selected[i].line] = true;
      ++delivered;
    } else if (host.outcome[i] == OUTPUT_STEP_DEAD_LETTERED) {
      ++dead_lettered;
    } else {
      ++failed;
    }
  }
  if (!rewrite_without(options.dead_letters, lines, drop, err)) return 2;
  out << "{\"submitted\":" << selected.size() << ",\"delivered\":" << delivered << ",\"failed\":" << failed
      << ",\"dead_lettered\":" << dead_lettered << "}" << std::endl;
  return delivered == selected.size() ? 0 : 1;
}

}  // namespace journey_sim
