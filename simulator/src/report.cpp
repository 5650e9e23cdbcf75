#include "journey_sim/report.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <ostream>

namespace journey_sim {
namespace {

namespace json = boost::json;

std::size_t failures(const ScenarioResult& r) {
  return static_cast<std::size_t>(std::count_if(r.expectations.begin(), r.expectations.end(),
                                                [](const ExpectationResult& e) { return !e.passed; }));
}

// A count stays a number in the JSON report ("expected": 1, not "1");
// anything else (a pattern, a text) stays a string.
json::value number_or_text(const std::string& text) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  // Only the integer's own spelling: not "007", "1 of 2" or a number too large.
  if (ec == std::errc() && end == text.data() + text.size() && std::to_string(n) == text) return json::value(n);
  return json::value(text);
}

// Each scenario's test name in JUnit: its name, with its file's name added
// when another scenario of the run has the same name.
std::vector<std::string> unique_names(const std::vector<ScenarioResult>& results) {
  std::vector<std::string> names;
  for (const auto& r : results) {
    const auto same = std::count_if(results.begin(), results.end(),
                                    [&](const ScenarioResult& other) { return other.name == r.name; });
    names.push_back(same > 1 ? r.name + " (" + std::filesystem::path(r.file).filename().string() + ")" : r.name);
  }
  return names;
}

}  // namespace

Masker::Masker(const std::vector<std::string>& secrets) {
  // Each secret as written, and as it appears once percent-encoded in a URL
  // or escaped in JSON.
  static constexpr char hex[] = "0123456789ABCDEF";
  for (auto& secret : secrets) {
    if (secret.size() < 4) continue;  // too short to mask without hiding other text
    std::string encoded, escaped;
    for (unsigned char c : secret) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') encoded += static_cast<char>(c);
      else encoded.append({'%', hex[c >> 4], hex[c & 15]});
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += static_cast<char>(c);
    }
    secrets_.push_back(secret);
    if (encoded != secret) secrets_.push_back(encoded);
    if (escaped != secret) secrets_.push_back(escaped);
  }
  std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string Masker::operator()(std::string text) const {
  for (const auto& secret : secrets_) {
    for (std::size_t pos; (pos = text.find(secret)) != std::string::npos;) text.replace(pos, secret.size(), "***");
  }
  return text;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters, even escaped.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') out += ' ';
        else out += c;
    }
  }
  return out;
}

bool write_json_report(const std::vector<ScenarioResult>& results, const Masker& mask, const std::string& path,
                       std::ostream& err) {
  json::array scenarios;
  bool all = true;
  for (const auto& r : results) {
    json::array expectations;
    for (const auto& e : r.expectations) {
      expectations.push_back(json::object{{"kind", e.kind}, {"name", mask(e.name)}, {"passed", e.passed},
                                          {"expected", number_or_text(mask(e.expected))},
                                          {"actual", number_or_text(mask(e.actual))},
                                          {"detail", mask(e.detail)}});
    }
    json::array errors;
    for (const auto& e : r.errors) errors.emplace_back(mask(e));
    all = all && r.passed();
    scenarios.push_back(json::object{
        {"file", r.file},
        {"name", r.name},
        {"purpose", mask(r.purpose)},
        {"status", r.invalid ? "invalid" : r.passed() ? "passed" : "failed"},
        {"errors", std::move(errors)},
        {"expectations", std::move(expectations)},
        {"journey", json::object{{"events", r.journey.events}, {"entered", r.journey.entered},
                                 {"exited", r.journey.exited}, {"completed", r.journey.completed},
                                 {"activations", r.journey.activations}, {"capped", r.journey.capped}}},
        {"deliveries", json::object{{"submitted", r.submitted}, {"delivered", r.delivered},
                                    {"dead_lettered", r.dead_lettered}, {"failed", r.failed},
                                    {"requests_received", r.requests_received},
                                    {"requests_evicted", r.requests_evicted}}},
        {"wall_seconds", r.wall_seconds},
        {"simulated_ms", r.simulated_ms}});
  }
  std::ofstream file(path, std::ios::trunc);
  if (!file) {
    err << "journey-sim: cannot write --json '" << path << "': " << std::strerror(errno) << "\n";
    return false;
  }
  file << json::serialize(json::object{{"passed", all}, {"scenarios", std::move(scenarios)}}) << "\n";
  if (!file) return false;
  err << "report: " << path << "\n";
  return true;
}

bool write_junit_report(const std::vector<ScenarioResult>& results, const Masker& mask, const std::string& path,
                        std::ostream& err) {
  std::ofstream file(path, std::ios::trunc);
  if (!file) {
    err << "journey-sim: cannot write --junit '" << path << "': " << std::strerror(errno) << "\n";
    return false;
  }
  std::size_t tests = 0, failed = 0, errors = 0;
  double total_time = 0;
  for (const auto& r : results) {
    tests += r.invalid ? 1 : r.expectations.size();
    failed += r.invalid ? 0 : failures(r);
    errors += r.invalid ? 1 : 0;
    total_time += r.wall_seconds;
  }
  file << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  file << "<testsuites name=\"journey-sim\" tests=\"" << tests << "\" failures=\"" << failed << "\" errors=\"" << errors
       << "\" time=\"" << std::fixed << std::setprecision(3) << total_time << "\">\n";
  const std::vector<std::string> names = unique_names(results);
  for (std::size_t i = 0; i < results.size(); ++i) {
    const ScenarioResult& r = results[i];
    const std::string name = xml_escape(names[i]);
    // The expectations are checked after one run: each gets an even share of its time.
    const double each = r.wall_seconds / static_cast<double>(std::max<std::size_t>(1, r.expectations.size()));
    file << "  <testsuite name=\"" << name << "\" tests=\""
         << (r.invalid ? 1 : r.expectations.size()) << "\" failures=\"" << (r.invalid ? 0 : failures(r))
         << "\" errors=\"" << (r.invalid ? 1 : 0) << "\" time=\"" << r.wall_seconds << "\" file=\""
         << xml_escape(r.file) << "\">\n";
    if (r.invalid) {
      std::string all;
      for (const auto& e : r.errors) all += mask(e) + "\n";
      file << "    <testcase name=\"scenario is valid\" classname=\"" << name << "\" time=\"" << r.wall_seconds << "\">\n"
           << "      <error message=\"invalid scenario\">" << xml_escape(all) << "</error>\n    </testcase>\n";
    }
    for (const auto& e : r.expectations) {
      file << "    <testcase name=\"" << xml_escape(e.kind + " " + mask(e.name)) << "\" classname=\"" << name
           << "\" time=\"" << each << "\"";
      if (e.passed) {
        file << "/>\n";
        continue;
      }
      file << ">\n      <failure message=\"" << xml_escape("expected " + mask(e.expected) + "; got " + mask(e.actual))
           << "\">" << xml_escape(mask(e.detail)) << "</failure>\n    </testcase>\n";
    }
    file << "  </testsuite>\n";
  }
  file << "</testsuites>\n";
  if (!file) return false;
  err << "report: " << path << "\n";
  return true;
}

}  // namespace journey_sim
