// Regular expressions in Java's syntax (WireMock's), matched in bounded time.
// A pattern RE2 accepts runs with RE2, in time linear in the input; the rest
// (lookaround, backreferences, possessive quantifiers, atomic groups) run
// with Boost.Regex under a budget of steps and of time, so that one
// pathological pattern cannot hold a server thread. Neither RE2 nor
// Boost.Regex reaches this header (or any other public one): both stay in
// src/regex.cpp, behind Regex::Impl.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace webhook_mock {

enum class RegexResult { match, no_match, over_budget };

class Regex {
 public:
  enum class Engine { re2, boost };

  // A Boost.Regex match stops (over_budget) after this many steps (moves of
  // its position in the input) or this much time, whichever comes first.
  static constexpr std::uint64_t step_budget = 1'000'000;
  static constexpr std::chrono::milliseconds time_budget{20};

  // The whole input must match (Java's String.matches); '.' does not match
  // a newline. Null, with `error` set, when neither engine accepts it.
  static std::shared_ptr<const Regex> compile(const std::string& pattern, bool case_insensitive, std::string& error);

  RegexResult full_match(std::string_view text) const;
  Engine engine() const;
  const std::string& pattern() const;

  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  struct Impl;  // opaque

 private:
  explicit Regex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The message of everything that reports a regular expression over budget.
inline constexpr std::string_view regex_over_budget_message = "regular expression over budget";

}  // namespace webhook_mock
