#include "journey_sim/journal_checks.hpp"

#include "journey_sim/json_diff.hpp"

#include "webhook_mock/json_path.hpp"
#include "webhook_mock/verify.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <map>

namespace journey_sim {
namespace {

namespace json = boost::json;
namespace mock = webhook_mock;

// The first header named `name` (case-insensitive); nullptr when absent
// (RecordedRequest::header cannot tell absent from empty).
const std::string* find_header(const mock::RecordedRequest& request, std::string_view name) {
  auto same = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  };
  for (const auto& [key, value] : request.headers) {
    if (std::equal(key.begin(), key.end(), name.begin(), name.end(), same)) return &value;
  }
  return nullptr;
}

// "#1, #2, #5" (the first few, then how many more).
std::string request_numbers(const std::vector<std::uint64_t>& sequences) {
  std::string out;
  for (std::size_t i = 0; i < sequences.size() && i < 5; ++i) out += (i ? ", #" : "#") + std::to_string(sequences[i]);
  if (sequences.size() > 5) out += " and " + std::to_string(sequences.size() - 5) + " more";
  return out;
}

std::string count_words(const RequestExpectation& x) {
  switch (x.rule) {
    case RequestExpectation::Rule::exactly: return x.count == 0 ? "none" : "exactly " + std::to_string(x.count);
    case RequestExpectation::Rule::at_least: return "at least " + std::to_string(x.count);
    case RequestExpectation::Rule::at_most: return "at most " + std::to_string(x.count);
    case RequestExpectation::Rule::between:
      return "between " + std::to_string(x.count) + " and " + std::to_string(x.count_max);
  }
  return {};
}

bool meets(const RequestExpectation& x, std::uint64_t n) {
  switch (x.rule) {
    case RequestExpectation::Rule::exactly: return n == x.count;
    case RequestExpectation::Rule::at_least: return n >= x.count;
    case RequestExpectation::Rule::at_most: return n <= x.count;
    case RequestExpectation::Rule::between: return n >= x.count && n <= x.count_max;
  }
  return false;
}

mock::CountRule count_rule(RequestExpectation::Rule rule) {
  switch (rule) {
    case RequestExpectation::Rule::exactly: return mock::CountRule::exactly;
    case RequestExpectation::Rule::at_least:
    case RequestExpectation::Rule::between: return mock::CountRule::at_least;  // and the high bound after
    case RequestExpectation::Rule::at_most: return mock::CountRule::at_most;
  }
  return mock::CountRule::exactly;
}

// The body the nearest request carried (at most 2,000 characters), and for
// each equalToJson of the pattern, how the JSON sent differs from it.
std::string body_sent(const json::value& pattern, const mock::RecordedRequest& nearest,
                      const std::vector<std::string>& secrets) {
  if (nearest.body.empty()) return "\nbody sent: none";
  constexpr std::size_t kShown = 2'000;
  std::string text = "\nbody sent: " + shorten(nearest.body, kShown, secrets);
  if (nearest.body.size() > kShown) text += "... (" + std::to_string(nearest.body.size()) + " bytes in all)";
  const auto* o = pattern.if_object();
  const auto* list = o ? o->if_contains("bodyPatterns") : nullptr;
  if (list == nullptr || !list->is_array()) return text;
  boost::system::error_code ec;
  const json::value sent = json::parse(nearest.body, ec);
  if (ec) return text;  // not JSON: the text above is all there is to compare
  for (std::size_t i = 0; i < list->get_array().size(); ++i) {
    const auto* body = list->get_array()[i].if_object();
    const auto* expected = body ? body->if_contains("equalToJson") : nullptr;
    if (expected == nullptr) continue;
    const json::value wanted = expected->is_string() ? json::parse(expected->get_string(), ec) : *expected;
    if (ec) continue;
    JsonDiffOptions options;
    options.secrets = secrets;
    const auto flag = [&](const char* name) { return body->contains(name) && body->at(name) == json::value(true); };
    options.ignore_extra_elements = flag("ignoreExtraElements");
    options.ignore_array_order = flag("ignoreArrayOrder");
    const auto lines = json_diff(wanted, sent, options);
    if (lines.empty()) continue;
    text += "\nJSON diff against bodyPatterns/" + std::to_string(i) + " (equalToJson):";
    for (const auto& line : lines) text += "\n    " + line;
  }
  return text;
}

}  // namespace

ExpectationResult check_count(const RequestExpectation& x, const mock::RequestPattern& pattern,
                              const mock::Journal& journal, const std::vector<std::string>& secrets,
                              std::optional<std::uint64_t> arrived) {
  mock::Verifier verify(journal);
  const auto verdict = verify.expect(pattern, count_rule(x.rule), x.count);  // not ok either when a regex ran over
  ExpectationResult r;
  r.kind = "requests";
  r.name = x.name;
  if (arrived && journal.evicted() > 0) {  // the journal lost the oldest: count them as they came
    r.passed = meets(x, *arrived);
    r.actual = std::to_string(*arrived);
  } else {
    r.passed = verdict.ok && meets(x, verdict.count);
    r.actual = std::to_string(verdict.count);
  }
  r.expected = count_words(x) + " matching " + json::serialize(x.pattern);
  if (!r.passed) {
    if (const auto nearest = verify.nearest(pattern)) {  // one scan: the request, why, and what it sent
      r.detail = mock::Verifier::explain(pattern, *nearest) + body_sent(x.pattern, *nearest, secrets);
    } else {
      r.detail = "no request came near (" + std::to_string(journal.total()) + " received)";
    }
  }
  return r;
}

ExpectationResult check_same_header(const RequestExpectation& x, const mock::RequestPattern& pattern,
                                    const mock::Journal& journal) {
  ExpectationResult r;
  r.kind = "same_header";
  r.name = x.name;
  r.expected = "one value of " + x.same_header + " on every request matching " + json::serialize(x.pattern);
  std::map<std::string, std::vector<std::uint64_t>> by_value;
  std::vector<std::uint64_t> without;
  std::size_t matched = 0;
  journal.for_each([&](const mock::RecordedRequest& request) {
    if (!pattern.matches(request)) return;
    ++matched;
    if (const std::string* value = find_header(request, x.same_header)) by_value[*value].push_back(request.sequence);
    else without.push_back(request.sequence);
  });
  r.passed = matched > 0 && by_value.size() <= 1 && without.empty();
  if (matched == 0) {
    r.actual = "no request matched: nothing to compare";
    return r;
  }
  r.actual = std::to_string(by_value.size()) + (by_value.size() == 1 ? " value" : " values") + " among " +
             std::to_string(matched) + (matched == 1 ? " request" : " requests");
  if (!without.empty()) r.actual += ", " + std::to_string(without.size()) + " without " + x.same_header;
  if (r.passed) return r;
  std::size_t shown = 0;
  for (const auto& [value, sequences] : by_value) {
    if (++shown > 5) break;
    r.detail += x.same_header + ": '" + value + "' on request " + request_numbers(sequences) + "\n";
  }
  if (!without.empty()) r.detail += "no " + x.same_header + " on request " + request_numbers(without) + "\n";
  return r;
}

ExpectationResult check_order(const OrderExpectation& x, const mock::Journal& journal) {
  ExpectationResult r;
  r.kind = "order";
  r.name = x.name;
  r.expected = "per " + x.key + ", " + x.sequence + " never goes back";
  std::string error;
  auto key = mock::JsonPath::compile(x.key, error);
  auto seq = key ? mock::JsonPath::compile(x.sequence, error) : std::nullopt;
  std::optional<mock::RequestPattern> filter = mock::RequestPattern::any();
  if (!x.pattern.is_null()) {
    std::vector<mock::PatternError> errors;
    filter = mock::RequestPattern::parse(x.pattern, "", errors);
    if (!filter && !errors.empty()) error = errors[0].pointer + ": " + errors[0].detail;
  }
  if (!key || !seq || !filter) {
    r.actual = "invalid: " + error;
    return r;
  }
  std::map<std::string, json::value> last;
  std::size_t considered = 0, violations = 0;
  journal.for_each([&](const mock::RecordedRequest& req) {
    if (!filter->matches(req)) return;
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    if (ec) return;
    auto k = key->select(body);
    auto q = seq->select(body);
    if (k.empty() || q.empty()) return;
    ++considered;
    std::string key_text = k.front()->is_string() ? std::string(k.front()->get_string()) : json::serialize(*k.front());
    auto it = last.find(key_text);
    if (it != last.end()) {
      const json::value& before = it->second;
      const json::value& now = *q.front();
      bool back = (before.is_number() && now.is_number()) ? now.to_number<double>() < before.to_number<double>()
                                                          : json::serialize(now) < json::serialize(before);
      if (back) {
        if (++violations <= 5) {
          r.detail += "key " + key_text + ": " + json::serialize(now) + " arrived after " + json::serialize(before) +
                      " (request #" + std::to_string(req.sequence) + ")\n";
        }
        return;
      }
    }
    last[key_text] = *q.front();
  });
  r.passed = violations == 0;
  r.actual = std::to_string(violations) + " out of order among " + std::to_string(considered) + " requests, " +
             std::to_string(last.size()) + " keys";
  return r;
}

}  // namespace journey_sim
