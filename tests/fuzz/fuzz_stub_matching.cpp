// The mock endpoint's stubs come from tests (WireMock's JSON), the requests
// from whatever the system under test sends. Fuzzed for: no crash on any
// stub or request (regular expressions and JSON paths included), a refused
// stub always says where, a pattern's verdict agrees with its account of
// it: matches() exactly when no part fails, one line of explanation per
// failed part; and every regular expression finishes within its budget
// (webhook_mock/regex.hpp), catastrophic ones included (corpus: catastrophic-*).
//
// Input: the stub (JSON), then 0-separated: method, target (path?query),
// header lines ("Name: value"), body.
#include "fuzz_check.hpp"
#include "webhook_mock/regex.hpp"
#include "webhook_mock/request_pattern.hpp"
#include "webhook_mock/stubs.hpp"

#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace json = boost::json;
namespace mock = webhook_mock;

namespace {

// The next 0-terminated field of `rest` (the rest when there is no 0).
std::string_view next_field(std::string_view& rest) {
  const std::size_t end = rest.find('\0');
  std::string_view field = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return field;
}

using Clock = std::chrono::steady_clock;
// A match's time budget, with room for a sanitizer build on a loaded machine
// (an unbounded catastrophic match takes seconds).
constexpr auto kMatchDeadline = mock::Regex::time_budget + std::chrono::milliseconds(500);

// Every string a stub gives as a regular expression, wherever it stands.
void collect_patterns(const json::value& v, std::string_view key, std::vector<std::string>& out) {
  if (out.size() >= 16) return;
  if (const auto* s = v.if_string()) {
    if (key == "matches" || key == "doesNotMatch" || key == "urlPattern" || key == "urlPathPattern") {
      out.emplace_back(s->data(), s->size());
    }
  } else if (const auto* o = v.if_object()) {
    for (const auto& member : *o) collect_patterns(member.value(), member.key(), out);
  } else if (const auto* a = v.if_array()) {
    for (const auto& element : *a) collect_patterns(element, key, out);
  }
}

// Each of the stub's regular expressions, on each text of the request,
// answers within its budget.
void check_budgets(const json::value& spec, const mock::RecordedRequest& request) {
  std::vector<std::string> patterns;
  collect_patterns(spec, "", patterns);
  for (const auto& pattern : patterns) {
    std::string error;
    auto regex = mock::Regex::compile(pattern, false, error);
    if (!regex) continue;
    std::vector<std::string_view> texts{request.body, request.target, request.path};
    for (const auto& header : request.headers) texts.push_back(header.second);
    for (std::string_view text : texts) {
      const auto started = Clock::now();
      regex->full_match(text);
      FUZZ_CHECK(Clock::now() - started < kMatchDeadline, "a regular expression ran past its budget");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::string_view stub_text = next_field(rest);
  boost::system::error_code ec;
  json::value spec = json::parse(json::string_view(stub_text.data(), stub_text.size()), ec);
  if (ec) return 0;
  std::vector<mock::PatternError> errors;
  auto stub = mock::parse_stub(spec, errors);
  if (!stub) {
    FUZZ_CHECK(!errors.empty(), "a stub refused without a reason");
    return 0;
  }

  mock::RecordedRequest request;
  request.sequence = 1;
  request.method = std::string(next_field(rest));
  request.target = std::string(next_field(rest));
  const std::size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  request.query = question == std::string::npos ? std::string() : request.target.substr(question + 1);
  std::string_view headers = next_field(rest);
  while (!headers.empty()) {
    const std::size_t end = headers.find('\n');
    std::string_view line = headers.substr(0, end);
    headers = end == std::string_view::npos ? std::string_view() : headers.substr(end + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    request.headers.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
  }
  request.body = std::string(rest);

  check_budgets(spec, request);
  std::vector<std::string> why;
  std::string over_budget;
  const std::size_t failed = stub->request.mismatches(request, &why, &over_budget);
  FUZZ_CHECK(over_budget.empty() || failed > 0, "a part over budget did not fail");
  FUZZ_CHECK(stub->request.matches(request) == (failed == 0), "matches() and mismatches() disagree");
  FUZZ_CHECK(why.size() == failed, "not one explanation per failed part");
  FUZZ_CHECK(failed <= stub->request.parts(), "more failed parts than the pattern has");

  mock::StubStore store;
  store.add(*stub);
  auto answer = store.answer(request, 404);
  if (stub->scenario_name.empty()) {
    FUZZ_CHECK((answer.stub_id == stub->id) == (failed == 0), "the store's answer disagrees with the pattern");
  }
  return 0;
}
