#include "webhook_mock/verify.hpp"

#include "webhook_mock/regex.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace webhook_mock {

RequestPattern pattern(std::string_view json_text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json_text, ec);
  if (ec) throw std::invalid_argument("request pattern is not valid JSON: " + ec.message());
  std::vector<PatternError> errors;
  auto p = RequestPattern::parse(v, "", errors);
  if (!p) {
    std::string text = "invalid request pattern:";
    for (const auto& e : errors) text += " " + (e.pointer.empty() ? std::string("/") : e.pointer) + ": " + e.detail + ";";
    throw std::invalid_argument(text);
  }
  return std::move(*p);
}

std::size_t Verifier::count(const RequestPattern& p) const { return count(p, nullptr); }

std::size_t Verifier::count(const RequestPattern& p, std::string* over_budget) const {
  std::size_t n = 0;
  journal_.for_each([&](const RecordedRequest& r) {
    std::string overrun;
    n += p.matches(r, &overrun) ? 1 : 0;
    if (!overrun.empty() && over_budget && over_budget->empty()) {
      *over_budget = "request #" + std::to_string(r.sequence) + ": " + overrun;
    }
  });
  return n;
}

std::vector<RecordedRequest> Verifier::find(const RequestPattern& p) const {
  std::vector<RecordedRequest> out;
  journal_.for_each([&](const RecordedRequest& r) {
    if (p.matches(r)) out.push_back(r);
  });
  return out;
}

std::optional<RecordedRequest> Verifier::nearest(const RequestPattern& p) const {
  std::optional<RecordedRequest> best;
  std::size_t best_misses = 0;
  journal_.for_each([&](const RecordedRequest& r) {
    const std::size_t misses = p.mismatches(r, nullptr);
    if (misses == 0 || (best && misses >= best_misses)) return;
    best_misses = misses;
    best = r;
  });
  return best;
}

std::string Verifier::near_miss(const RequestPattern& p) const {
  const auto best = nearest(p);
  return best ? explain(p, *best) : "";
}

std::string Verifier::explain(const RequestPattern& p, const RecordedRequest& r) {
  std::vector<std::string> why;
  const std::size_t misses = p.mismatches(r, &why);
  std::string text = "nearest request #" + std::to_string(r.sequence) + " " + r.method + " " + r.target +
                     " differs in " + std::to_string(misses) + " of " + std::to_string(p.parts()) + " parts:";
  for (const auto& line : why) text += "\n    " + line;
  return text;
}

Verdict Verifier::expect(const RequestPattern& p, CountRule rule, std::size_t n) const {
  Verdict v;
  std::string over_budget;
  v.count = count(p, &over_budget);
  if (!over_budget.empty()) {  // a count that left requests out decides nothing
    v.message.assign(regex_over_budget_message).append(": ").append(over_budget);
    return v;
  }
  v.ok = rule == CountRule::exactly ? v.count == n : rule == CountRule::at_least ? v.count >= n : v.count <= n;
  if (!v.ok) {
    const char* words = rule == CountRule::exactly ? "exactly" : rule == CountRule::at_least ? "at least" : "at most";
    v.message = "expected " + std::string(words) + " " + std::to_string(n) + " requests matching " +
                boost::json::serialize(p.source()) + ", got " + std::to_string(v.count);
    if (std::string miss = near_miss(p); !miss.empty()) v.message += "\n  " + miss;
  }
  return v;
}

Verdict Verifier::wait_for(const RequestPattern& p, std::size_t n, std::chrono::milliseconds timeout) const {
  journal_.wait([&] { return count(p) >= n; }, timeout);
  return expect(p, CountRule::at_least, n);
}

}  // namespace webhook_mock
