#include "journey_sim/scenario.hpp"

#include "journey_sim/scenario_reader.hpp"

#include <webhook_common/file_text.hpp>
#include <webhook_common/iso_time.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/stream_parser.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace journey_sim {
namespace {

namespace json = boost::json;
using scenario_parser::ScenarioReader;

constexpr std::int64_t kDefaultStartMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

std::string first_comment_line(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    if (line.compare(start, 2, "//") != 0) return {};
    std::string purpose = line.substr(start + 2);
    purpose.erase(0, purpose.find_first_not_of(' '));
    return purpose;
  }
  return {};
}

// The document (comments and trailing commas allowed), or an error with
// the line and column where it stops being JSON.
std::optional<json::value> parse_document(const std::string& path, const std::string& text,
                                          std::vector<ScenarioError>& errors) {
  json::parse_options options;
  options.allow_comments = true;
  options.allow_trailing_commas = true;
  json::stream_parser parser({}, options);
  boost::system::error_code ec;
  std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (!ec) return parser.release();
  int line = 1, column = 1;
  for (std::size_t i = 0; i < consumed && i < text.size(); ++i) {
    if (text[i] == '\n') ++line, column = 1;
    else ++column;
  }
  errors.push_back({path, "", line, column, "not valid JSON: " + ec.message()});
  return std::nullopt;
}

// The scenario's own fields: its name and when its time starts.
void parse_header(ScenarioReader& r, const json::object& top, Scenario& s) {
  s.name = r.string(top, "", "name", false).value_or(std::filesystem::path(r.file()).stem().string());
  s.start_ms = kDefaultStartMs;
  if (auto start = r.string(top, "", "start", false)) {
    if (auto t = parse_timestamp(*start)) s.start_ms = *t;
    else r.error("/start", "'" + *start + "' is not an ISO 8601 UTC time such as 2026-01-01T00:00:00Z");
  }
}

}  // namespace

namespace scenario_parser {

ScenarioReader::ScenarioReader(std::string file, std::vector<ScenarioError>& errors)
    : JsonChecker({.style = Style::pointer, .name_unknown_key = true},
                  [&errors, file](std::string pointer, std::string message) {
                    errors.push_back({file, std::move(pointer), 0, 0, std::move(message)});
                  }),
      file_(std::move(file)) {}

std::optional<std::int64_t> ScenarioReader::duration(const json::object& parent, const std::string& where,
                                                     std::string_view key, bool required) {
  auto text = string(parent, where, key, required);
  if (!text) return std::nullopt;
  bool too_long = false;
  auto ms = parse_duration(*text, &too_long);
  if (too_long) error(join(where, key), "'" + *text + "' is longer than 100 years; a duration is at most 36525d");
  else if (!ms) error(join(where, key), "'" + *text + "' is not a duration; write e.g. 500ms, 90s, 5m, 2h, 3d, 1w, 1h30m");
  return ms;
}

std::vector<std::pair<int, json::object>> ScenarioReader::read_ndjson(const std::string& path, const std::string& at) {
  std::filesystem::path full = path;
  if (full.is_relative()) full = std::filesystem::path(file_).parent_path() / full;
  std::ifstream in(full);
  std::vector<std::pair<int, json::object>> out;
  if (!in) {
    error(at, "cannot read '" + full.string() + "'");
    return out;
  }
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) {
      error(at, full.string() + ":" + std::to_string(line_number) + ": not a JSON object" +
                    (ec ? " (" + ec.message() + ")" : std::string()));
      continue;
    }
    out.emplace_back(line_number, std::move(v.get_object()));
  }
  return out;
}

}  // namespace scenario_parser

std::string ScenarioError::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!pointer.empty()) out += pointer + ": ";
  return out + message;
}

std::optional<std::int64_t> parse_duration(std::string_view text, bool* too_long) {
  if (too_long != nullptr) *too_long = false;
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  bool beyond = false;  // past the bound: read on, so that a typo is still told apart
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    std::int64_t n = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (n <= kMaxDurationMs) n = n * 10 + (text[i] - '0');  // no further once past the bound: no overflow
    }
    if (i == start) return std::nullopt;
    std::size_t unit_start = i;
    while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    std::int64_t factor = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60'000 : unit == "h" ? 3'600'000
                        : unit == "d" ? 86'400'000 : unit == "w" ? 604'800'000 : 0;
    if (factor == 0) return std::nullopt;
    if (beyond || n > (kMaxDurationMs - total) / factor) beyond = true;
    else total += n * factor;
  }
  if (beyond) {
    if (too_long != nullptr) *too_long = true;
    return std::nullopt;
  }
  return total;
}

std::string format_duration(std::int64_t ms) {
  if (ms <= 0) return "0s";
  constexpr std::pair<std::int64_t, const char*> kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}, {1, "ms"}};
  std::string text;
  int shown = 0;
  for (const auto& [size, unit] : kUnits) {
    if (ms < size && shown == 0) continue;
    const std::int64_t n = ms / size;
    ms %= size;
    if (n > 0) text += (text.empty() ? "" : " ") + std::to_string(n) + unit;
    if (++shown == 2) break;
  }
  return text;
}

std::optional<std::int64_t> parse_timestamp(std::string_view text) { return webhook_common::parse_iso8601(text); }

std::string format_timestamp(std::int64_t unix_ms) { return webhook_common::format_iso8601(unix_ms); }

std::optional<Scenario> load_scenario(const std::string& path, std::vector<ScenarioError>& errors, std::uint64_t seed) {
  const std::size_t before = errors.size();
  auto s = read_scenario(path, errors, seed);
  if (errors.size() != before) return std::nullopt;
  return s;
}

std::optional<Scenario> read_scenario(const std::string& path, std::vector<ScenarioError>& errors, std::uint64_t seed) {
  const auto text = webhook_common::read_file(path);
  if (!text) {
    errors.push_back({path, "", 0, 0, std::string("cannot read the file: ") + std::strerror(errno)});
    return std::nullopt;
  }
  const auto root = parse_document(path, *text, errors);
  if (!root) return std::nullopt;
  ScenarioReader r(path, errors);
  const auto* top = r.object(*root, "");
  if (!top) return std::nullopt;
  r.only_keys(*top, "", {"name", "description", "start", "authentications", "activations", "journey",
                         "realtime_attributes", "profiles", "events", "endpoint", "expect"});
  Scenario s;
  s.file = path;
  s.purpose = first_comment_line(*text);
  parse_header(r, *top, s);
  scenario_parser::parse_activations(r, *top, s);
  scenario_parser::parse_journey(r, *top, s);
  scenario_parser::parse_realtime_attributes(r, *top, s);
  scenario_parser::parse_profiles(r, *top, s);
  scenario_parser::parse_events(r, *top, seed, s);
  scenario_parser::parse_endpoint(r, *top, s);
  scenario_parser::parse_expectations(r, *top, s);
  return s;
}

}  // namespace journey_sim
