// Reports of a run: a readable summary, JSON, and JUnit XML for CI. Every
// text goes through a Masker so that a scenario's secrets (API keys,
// signing secrets) never reach a report unless --show-secrets is given.
#pragma once

#include "journey_sim/runner.hpp"

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace journey_sim {

class Masker {
 public:
  explicit Masker(const std::vector<std::string>& secrets);
  std::string operator()(std::string text) const;

 private:
  std::vector<std::string> secrets_;
};

// The style for stdout: `when` is "auto" (colours on a terminal, unless
// NO_COLOR is set and not empty or TERM is dumb), "always" or "never";
// lines are wrapped to 100 columns on a terminal. nullopt for another `when`.
std::optional<TextStyle> text_style(std::string_view when, bool is_terminal, const char* no_color, const char* term);

void write_text_report(const std::vector<ScenarioResult>& results, const Masker& mask, std::ostream& out,
                       const TextStyle& style = {});
// Each writes its file, then says `report: PATH` on `err` (a line CI logs
// point at); false, with the reason on `err`, when it cannot be written.
// In JUnit, scenarios sharing a name get their file's name added, and every
// <testcase> carries a time (an even share of its scenario's run).
bool write_json_report(const std::vector<ScenarioResult>& results, const Masker& mask, const std::string& path,
                       std::ostream& err);
bool write_junit_report(const std::vector<ScenarioResult>& results, const Masker& mask, const std::string& path,
                        std::ostream& err);
// XML text and attribute escaping (exposed for tests).
std::string xml_escape(std::string_view text);

}  // namespace journey_sim
