#include "webhook_mock/regex.hpp"

#include "webhook_mock/journal_json.hpp"

#include <boost/regex.hpp>
#include <re2/re2.h>

#include <iterator>
#include <optional>
#include <stdexcept>

namespace webhook_mock {
namespace {

using Clock = std::chrono::steady_clock;

struct OverBudget {};

// What one Boost.Regex match may spend; a step is a move of the position.
class Budget {
 public:
  Budget() : deadline_(Clock::now() + Regex::time_budget) {}
  void spend() {
    if (++steps_ > Regex::step_budget) throw OverBudget{};
    if ((steps_ & 0xFFF) == 0 && Clock::now() > deadline_) throw OverBudget{};
  }

 private:
  std::uint64_t steps_ = 0;
  Clock::time_point deadline_;
};

// A pointer into the input that charges the budget for every move: how a
// step budget reaches inside Boost.Regex, whose own complexity limit grows
// with the input (its steps are unbounded for a 10 MB body). Throwing from
// it is safe: the matcher unwinds its states and rethrows.
class BudgetedIterator {
 public:
  using iterator_category = std::random_access_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  BudgetedIterator() = default;
  BudgetedIterator(const char* at, Budget* budget) : at_(at), budget_(budget) {}

  reference operator*() const { return *at_; }
  reference operator[](difference_type n) const { return at_[n]; }
  BudgetedIterator& operator++() { return *this += 1; }
  BudgetedIterator& operator--() { return *this -= 1; }
  BudgetedIterator operator++(int) {
    BudgetedIterator before = *this;
    *this += 1;
    return before;
  }
  BudgetedIterator operator--(int) {
    BudgetedIterator before = *this;
    *this -= 1;
    return before;
  }
  BudgetedIterator& operator+=(difference_type n) {
    budget_->spend();
    at_ += n;
    return *this;
  }
  BudgetedIterator& operator-=(difference_type n) { return *this += -n; }
  friend BudgetedIterator operator+(BudgetedIterator i, difference_type n) { return i += n; }
  friend BudgetedIterator operator+(difference_type n, BudgetedIterator i) { return i += n; }
  friend BudgetedIterator operator-(BudgetedIterator i, difference_type n) { return i -= n; }
  friend difference_type operator-(const BudgetedIterator& a, const BudgetedIterator& b) { return a.at_ - b.at_; }
  friend bool operator==(const BudgetedIterator& a, const BudgetedIterator& b) { return a.at_ == b.at_; }
  friend auto operator<=>(const BudgetedIterator& a, const BudgetedIterator& b) { return a.at_ <=> b.at_; }

 private:
  const char* at_ = nullptr;
  Budget* budget_ = nullptr;
};

// Java's '.' matches anything but a line terminator; RE2's anything but
// '\n'. Outside classes and escapes, '.' becomes Java's class, unless the
// pattern sets DOTALL ((?s)), which RE2 then honours itself.
std::string java_dots_for_re2(const std::string& pattern) {
  for (std::size_t at = pattern.find("(?"); at != std::string::npos; at = pattern.find("(?", at + 2)) {
    std::size_t end = pattern.find_first_of(":)", at + 2);
    if (pattern.find('s', at + 2) < end) return pattern;
  }
  std::string out;
  out.reserve(pattern.size());
  int class_depth = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && pattern.compare(i, 2, "\\Q") == 0) {
      std::size_t end = pattern.find("\\E", i + 2);
      end = end == std::string::npos ? pattern.size() : end + 2;
      out.append(pattern, i, end - i);
      i = end - 1;
    } else if (c == '\\') {
      out.append(pattern, i, 2);
      ++i;
    } else if (c == '[') {
      ++class_depth;
      out += c;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];  // a literal ']' first
    } else if (c == ']' && class_depth > 0) {
      --class_depth;
      out += c;
    } else if (c == '.' && class_depth == 0) {
      out += "[^\\n\\r\\x{85}\\x{2028}\\x{2029}]";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

struct Regex::Impl {
  std::string pattern;
  std::optional<re2::RE2> re2;
  std::optional<boost::regex> boost;

  RegexResult boost_match(std::string_view text) const {
    Budget budget;
    BudgetedIterator first(text.data(), &budget), last(text.data() + text.size(), &budget);
    try {
      return boost::regex_match(first, last, *boost, boost::match_not_dot_newline) ? RegexResult::match
                                                                                   : RegexResult::no_match;
    } catch (const OverBudget&) {
      return RegexResult::over_budget;
    } catch (const std::runtime_error&) {
      return RegexResult::over_budget;  // Boost.Regex's own limits (error_complexity, error_stack)
    }
  }
};

Regex::Regex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Regex::~Regex() = default;

std::shared_ptr<const Regex> Regex::compile(const std::string& pattern, bool case_insensitive, std::string& error) {
  auto impl = std::make_unique<Impl>();
  impl->pattern = pattern;
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(!case_insensitive);
  options.set_never_capture(true);
  impl->re2.emplace(java_dots_for_re2(pattern), options);
  if (!impl->re2->ok()) {
    impl->re2.reset();
    try {
      auto flags = boost::regex::perl | boost::regex::no_mod_s;
      if (case_insensitive) flags |= boost::regex::icase;
      impl->boost.emplace(pattern, flags);
    } catch (const boost::regex_error& e) {
      error = "'" + pattern + "' is not a valid regular expression: " + e.what();
      return nullptr;
    }
  }
  return std::shared_ptr<const Regex>(new Regex(std::move(impl)));
}

RegexResult Regex::full_match(std::string_view text) const {
  // As Java's: WireMock matches text decoded from UTF-8, each ill-formed
  // part read as U+FFFD.
  std::string repaired;
  if (!is_utf8(text)) {
    repaired = utf8_repaired(text);
    text = repaired;
  }
  if (impl_->re2) {
    return re2::RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *impl_->re2) ? RegexResult::match
                                                                                        : RegexResult::no_match;
  }
  return impl_->boost_match(text);
}

Regex::Engine Regex::engine() const { return impl_->re2 ? Engine::re2 : Engine::boost; }

const std::string& Regex::pattern() const { return impl_->pattern; }

}  // namespace webhook_mock
