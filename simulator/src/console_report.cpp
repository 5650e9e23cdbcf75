// The console report: a verdict per scenario, each expectation, what the
// journey and the deliveries did, and the records that needed retries; on a
// terminal with colours (NO_COLOR respected) and within 100 columns.
#include "journey_sim/report.hpp"

#include <iomanip>
#include <ostream>
#include <sstream>

namespace journey_sim {
namespace {

constexpr std::string_view kGreen = "\033[32m", kRed = "\033[31m", kYellow = "\033[33m", kDim = "\033[2m",
                           kReset = "\033[0m";

// `text` broken at spaces into lines of at most `width` columns (a word
// longer than that is cut), the first after `first`, the others after
// `rest`; one line when width is 0.
std::vector<std::string> wrap(std::string_view text, std::size_t width, std::string_view first, std::string_view rest) {
  std::vector<std::string> lines{std::string(first)};
  if (width == 0) {
    lines.back() += text;
    return lines;
  }
  while (!text.empty()) {
    std::string& line = lines.back();
    const std::size_t room = width > line.size() ? width - line.size() : 0;
    if (text.size() <= room) {
      line += text;
      break;
    }
    std::size_t cut = text.rfind(' ', room);
    const bool at_space = cut != std::string_view::npos && cut > 0 && line.size() + cut > rest.size();
    if (!at_space) cut = std::max<std::size_t>(room, 1);
    if (room == 0 && line.size() > rest.size()) cut = 0;  // nothing fits after the prefix: a new line
    line += text.substr(0, cut);
    text.remove_prefix(std::min(text.size(), cut + (at_space ? 1 : 0)));
    if (!text.empty()) lines.emplace_back(rest);
  }
  return lines;
}

class Console {
 public:
  Console(std::ostream& out, const TextStyle& style) : out_(out), style_(style) {}

  // A line whose first word (after `indent`) is `status`, painted.
  void status_line(std::string_view indent, std::string_view status, std::string_view colour, const std::string& text,
                   std::string_view rest = "             ") {
    auto lines = wrap(std::string(status) + text, style_.width, indent, rest);
    if (style_.colour) lines.front().replace(indent.size(), status.size(), paint(status, colour));
    for (const auto& line : lines) out_ << line << "\n";
  }
  void line(std::string_view indent, const std::string& text, std::string_view rest) {
    for (const auto& l : wrap(text, style_.width, indent, rest)) out_ << l << "\n";
  }
  // Each line of `text`, under `indent`.
  void block(std::string_view indent, const std::string& text) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) line(indent, l, std::string(indent) + "  ");
  }
  std::string paint(std::string_view text, std::string_view colour) const {
    return style_.colour ? std::string(colour) + std::string(text) + std::string(kReset) : std::string(text);
  }

 private:
  std::ostream& out_;
  const TextStyle& style_;
};

void write_summary(Console& c, const ScenarioResult& r, const Masker& mask) {
  c.line("      ", "journey: " + std::to_string(r.journey.events) + " events, " + std::to_string(r.journey.entered) +
                        " entered, " + std::to_string(r.journey.exited) + " exited, " +
                        std::to_string(r.journey.completed) + " completed, " + std::to_string(r.journey.activations) +
                        " activations (" + std::to_string(r.journey.capped) + " capped)",
         "        ");
  std::ostringstream wall;
  wall << std::fixed << std::setprecision(2) << r.wall_seconds;
  c.line("      ", "deliveries: " + std::to_string(r.submitted) + " submitted, " + std::to_string(r.delivered) +
                        " delivered, " + std::to_string(r.dead_lettered) + " dead-lettered, " +
                        std::to_string(r.failed) + " failed; " + wall.str() + " s for " +
                        format_duration(r.simulated_ms) + " simulated",
         "        ");
  if (r.requests_evicted > 0) {
    c.line("      ", "the endpoint's journal kept the last " + std::to_string(r.requests_received - r.requests_evicted) +
                        " of " + std::to_string(r.requests_received) +
                        " requests: counts are of every request, the other checks and near misses of those kept",
           "        ");
  }
  for (const auto& retry : r.retried) c.line("      ", mask("retried: " + retry), "        ");
  if (r.retried_count > r.retried.size()) {
    c.line("      ", "retried: (and " + std::to_string(r.retried_count - r.retried.size()) + " more records)", "        ");
  }
}

void write_scenario(Console& c, const ScenarioResult& r, const Masker& mask) {
  const bool passed = r.passed();
  c.status_line("", r.invalid ? "INVALID" : passed ? "PASS" : "FAIL", passed ? kGreen : kRed,
                "  " + r.name + "  (" + r.file + ")", "      ");
  if (!r.purpose.empty()) c.line("      ", mask(r.purpose), "      ");
  for (const auto& e : r.errors) c.status_line("      ", "error", kRed, ": " + mask(e));
  if (!r.invalid || !r.expectations.empty()) {
    for (const auto& e : r.expectations) {
      c.status_line("      ", e.passed ? "ok  " : "FAIL", e.passed ? kGreen : kRed,
                    " " + e.kind + " '" + mask(e.name) + "': expected " + mask(e.expected) + "; got " + mask(e.actual));
      if (!e.passed && !e.detail.empty()) c.block("             ", mask(e.detail));
    }
  }
  if (!r.invalid) write_summary(c, r, mask);
}

}  // namespace

std::optional<TextStyle> text_style(std::string_view when, bool is_terminal, const char* no_color, const char* term) {
  TextStyle style;
  style.width = is_terminal ? 100 : 0;
  if (when == "always") style.colour = true;
  else if (when == "never") style.colour = false;
  else if (when == "auto") {
    style.colour = is_terminal && (no_color == nullptr || *no_color == '\0') &&
                   (term == nullptr || std::string_view(term) != "dumb");
  } else {
    return std::nullopt;
  }
  return style;
}

void write_text_report(const std::vector<ScenarioResult>& results, const Masker& mask, std::ostream& out,
                       const TextStyle& style) {
  Console console(out, style);
  std::size_t passed = 0;
  for (const auto& r : results) {
    write_scenario(console, r, mask);
    if (r.passed()) ++passed;
  }
  const std::size_t failed = results.size() - passed;
  out << console.paint(std::to_string(passed) + " passed", passed > 0 ? kGreen : kDim) << ", "
      << console.paint(std::to_string(failed) + " failed", failed > 0 ? kRed : kDim) << "\n";
}

}  // namespace journey_sim
