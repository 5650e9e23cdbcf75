// The console report on a terminal: colours unless NO_COLOR (or TERM=dumb),
// lines within 100 columns, durations as people read them; and plain text,
// unwrapped, everywhere else.
#include "journey_sim/report.hpp"
#include "journey_sim/scenario.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>

using namespace journey_sim;

namespace {

// A failed scenario with a long pattern, a long detail and a retry.
ScenarioResult long_result() {
  ScenarioResult r;
  r.file = "scenarios/a-file-with-a-long-name.json";
  r.name = "long";
  r.purpose = std::string(150, 'p');
  ExpectationResult e;
  e.kind = "requests";
  e.name = "a request with a pattern far wider than any terminal";
  e.expected = "exactly 1 matching {\"urlPath\":\"/v1/" + std::string(120, 'x') + "\",\"method\":\"POST\"}";
  e.actual = "0";
  e.detail = "nearest request #1 POST /v1/y differs in 1 of 1 parts: " + std::string(90, 'd') + "\n    second line";
  r.expectations.push_back(e);
  r.simulated_ms = 435'600'000;
  r.retried = {"POST /v1/y: 503 (Retry-After: 3600), then 200 after 1h"};
  return r;
}

// The text without its colour codes (ESC [ ... m).
std::string without_colours(const std::string& text) {
  std::string plain;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\033') {
      i = text.find('m', i);
      if (i == std::string::npos) break;
      continue;
    }
    plain += text[i];
  }
  return plain;
}

std::string report(const TextStyle& style) {
  std::ostringstream out;
  write_text_report({long_result()}, Masker({}), out, style);
  return out.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(console_report)

BOOST_AUTO_TEST_CASE(colours_only_on_a_terminal_without_no_color) {
  auto on_terminal = text_style("auto", true, nullptr, "xterm");
  BOOST_TEST((on_terminal->colour && on_terminal->width == 100));
  BOOST_TEST(!text_style("auto", true, "1", "xterm")->colour);  // NO_COLOR
  BOOST_TEST(text_style("auto", true, "", "xterm")->colour);    // NO_COLOR set but empty does not count
  BOOST_TEST(!text_style("auto", true, nullptr, "dumb")->colour);
  auto piped = text_style("auto", false, nullptr, "xterm");
  BOOST_TEST((!piped->colour && piped->width == 0));
  BOOST_TEST(text_style("always", false, "1", "dumb")->colour);
  BOOST_TEST(!text_style("never", true, nullptr, "xterm")->colour);
  BOOST_TEST(!text_style("sometimes", true, nullptr, "xterm"));
}

BOOST_AUTO_TEST_CASE(terminal_lines_fit_100_columns_and_say_everything) {
  const std::string text = report({.colour = true, .width = 100});
  BOOST_TEST(text.find("\033[31mFAIL\033[0m  long") != std::string::npos);
  const std::string plain = without_colours(text);
  std::istringstream lines(plain);
  std::string joined;
  for (std::string line; std::getline(lines, line);) {
    BOOST_TEST(line.size() <= 100u, line.size() << ": " << line);
    joined += line.substr(line.find_first_not_of(' ') == std::string::npos ? 0 : line.find_first_not_of(' '));
  }
  for (const std::string& part : {std::string(120, 'x'), std::string(90, 'd'), std::string(150, 'p')}) {
    BOOST_TEST(joined.find(part) != std::string::npos);  // wrapped, nothing lost
  }
  BOOST_TEST(plain.find("for 5d 1h simulated") != std::string::npos);
  BOOST_TEST(plain.find("retried: POST /v1/y: 503 (Retry-After: 3600), then 200 after 1h") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(elsewhere_plain_and_unwrapped) {
  const std::string text = report({});
  BOOST_TEST(text.find('\033') == std::string::npos);
  BOOST_TEST(text.find("      FAIL requests 'a request with a pattern far wider than any terminal': expected exactly 1 "
                       "matching {\"urlPath\":\"/v1/" + std::string(120, 'x')) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(durations_as_people_read_them) {
  BOOST_TEST(format_duration(0) == "0s");
  BOOST_TEST(format_duration(500) == "500ms");
  BOOST_TEST(format_duration(1'500) == "1s 500ms");
  BOOST_TEST(format_duration(90'000) == "1m 30s");
  BOOST_TEST(format_duration(3'600'000) == "1h");
  BOOST_TEST(format_duration(435'600'000) == "5d 1h");
  BOOST_TEST(format_duration(86'400'000 + 59'000) == "1d");  // two largest units: days and hours
  BOOST_TEST(format_duration(36'525LL * 86'400'000) == "36525d");
}

BOOST_AUTO_TEST_SUITE_END()
