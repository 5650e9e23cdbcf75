// The checks of an expectation on each record the matching requests carry
// (a record is its webhook-id: its retries share it): signatures, no
// duplicate deliveries, arrival in submit order per key, the answers of
// each record's attempts.
#include "journey_sim/journal_checks.hpp"

#include "webhook_mock/journal_json.hpp"
#include "webhook_mock/verify.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <unordered_map>

namespace journey_sim {
namespace {

namespace json = boost::json;
namespace mock = webhook_mock;

constexpr std::size_t kShown = 5;  // lines of detail per failed check

ExpectationResult result_of(std::string_view kind, const RequestExpectation& x, std::string expected) {
  ExpectationResult r;
  r.kind = std::string(kind);
  r.name = x.name;
  r.expected = std::move(expected) + " (requests matching " + json::serialize(x.pattern) + ")";
  return r;
}

// Adds a line of detail while fewer than kShown are there; counts the rest.
struct Details {
  std::string text;
  std::size_t lines = 0;
  void add(const std::string& line) {
    if (++lines <= kShown) text += line + "\n";
  }
  std::string done() const {
    return lines > kShown ? text + "(and " + std::to_string(lines - kShown) + " more)\n" : text;
  }
};

// The matching requests by webhook-id, each id's in arrival order; those
// without one apart.
struct ByRecord {
  std::vector<std::string> ids;  // in order of first arrival
  std::unordered_map<std::string, std::vector<const mock::RecordedRequest*>> requests;
  std::vector<std::uint64_t> without_id;
};

ByRecord by_record(const std::vector<mock::RecordedRequest>& matching) {
  ByRecord b;
  for (const auto& request : matching) {
    std::string id = request.header("webhook-id");
    if (id.empty()) {
      b.without_id.push_back(request.sequence);
      continue;
    }
    auto& list = b.requests[id];
    if (list.empty()) b.ids.push_back(id);
    list.push_back(&request);
  }
  return b;
}

bool is_2xx(const mock::RecordedRequest& r) { return r.answered_status >= 200 && r.answered_status < 300; }

// "[503, 200]"
std::string status_list(const std::vector<int>& statuses) {
  std::string text = "[";
  for (int status : statuses) text += (text.size() > 1 ? ", " : "") + std::to_string(status);
  return text + "]";
}

std::string statuses(const std::vector<const mock::RecordedRequest*>& requests) {
  std::vector<int> answered;
  answered.reserve(requests.size());
  for (const auto* r : requests) answered.push_back(r->answered_status);
  return status_list(answered);
}

bool fail_without_ids(const ByRecord& b, ExpectationResult& r) {
  if (b.without_id.empty()) return false;
  r.actual = std::to_string(b.without_id.size()) + " request(s) without webhook-id (the first #" +
             std::to_string(b.without_id.front()) + ")";
  return true;
}

// The secret's bytes: "whsec_" and base64, however the activation gives it.
std::optional<std::string> signing_key(const json::object& delivery) {
  const auto values = secret_values(delivery, "signing_secret");
  if (values.empty() || !values.front().starts_with("whsec_")) return std::nullopt;
  return mock::base64_decode(std::string_view(values.front()).substr(6));
}

}  // namespace

std::vector<std::string> signing_keys(const Scenario& s) {
  std::vector<std::string> keys;
  for (const auto& a : s.activations) {
    const auto* delivery = a.config.if_contains("delivery");
    if (delivery && delivery->is_object()) {
      if (auto key = signing_key(delivery->get_object())) keys.push_back(std::move(*key));
    }
  }
  return keys;
}

ExpectationResult check_signature(const RequestExpectation& x, const std::vector<mock::RecordedRequest>& matching,
                                  const std::vector<std::string>& keys) {
  ExpectationResult r = result_of("signature", x, "a valid webhook-signature on every request");
  Details details;
  for (const auto& request : matching) {
    std::string reason = "no activation's signing secret could be read";
    bool valid = false;
    for (const auto& key : keys) valid = valid || mock::verify_signature(key, request, reason);
    if (!valid) details.add("request #" + std::to_string(request.sequence) + ": " + reason);
  }
  r.passed = !matching.empty() && details.lines == 0;
  r.actual = matching.empty() ? "no request matched: nothing to check"
                              : std::to_string(details.lines) + " invalid among " + std::to_string(matching.size());
  r.detail = details.done();
  return r;
}

ExpectationResult check_no_duplicates(const RequestExpectation& x, const std::vector<mock::RecordedRequest>& matching) {
  ExpectationResult r = result_of("no_duplicates", x, "no webhook-id answered 2xx more than once");
  const ByRecord b = by_record(matching);
  if (fail_without_ids(b, r)) return r;
  Details details;
  for (const auto& id : b.ids) {
    const auto& list = b.requests.at(id);
    const auto delivered = std::count_if(list.begin(), list.end(), [](const mock::RecordedRequest* q) { return is_2xx(*q); });
    if (delivered > 1) details.add("webhook-id " + id + ": delivered " + std::to_string(delivered) + " times, answers " + statuses(list));
  }
  r.passed = !matching.empty() && details.lines == 0;
  r.actual = std::to_string(details.lines) + " duplicate(s) among " + std::to_string(b.ids.size()) + " records";
  r.detail = details.done();
  return r;
}

ExpectationResult check_attempts(const RequestExpectation& x, const std::vector<mock::RecordedRequest>& matching) {
  ExpectationResult r = result_of("attempts", x, "each record answered " + status_list(*x.attempts) + " in order");
  const ByRecord b = by_record(matching);
  if (fail_without_ids(b, r)) return r;
  Details details;
  for (const auto& id : b.ids) {
    const auto& list = b.requests.at(id);
    const bool same = std::equal(list.begin(), list.end(), x.attempts->begin(), x.attempts->end(),
                                 [](const mock::RecordedRequest* q, int status) { return q->answered_status == status; });
    if (!same) details.add("webhook-id " + id + ": answered " + statuses(list));
  }
  r.passed = !b.ids.empty() && details.lines == 0;
  r.actual = b.ids.empty() ? "no request matched: nothing to compare"
                           : std::to_string(details.lines) + " of " + std::to_string(b.ids.size()) + " records answered otherwise";
  r.detail = details.done();
  return r;
}

ExpectationResult check_ordered_by(const RequestExpectation& x, const std::vector<mock::RecordedRequest>& matching,
                                   const SubmitOrder& submitted) {
  ExpectationResult r = result_of("ordered_by", x, "per " + x.ordered_by + ", delivery in submit order");
  const ByRecord b = by_record(matching);
  if (fail_without_ids(b, r)) return r;
  std::map<std::string, std::uint64_t> last;  // per key: the submit number of the last record arrived
  Details details;
  std::vector<const mock::RecordedRequest*> delivered;  // each record's first 2xx, in arrival order
  for (const auto& id : b.ids) {
    const auto& list = b.requests.at(id);
    auto ok = std::find_if(list.begin(), list.end(), [](const mock::RecordedRequest* q) { return is_2xx(*q); });
    if (ok != list.end()) delivered.push_back(*ok);
  }
  std::sort(delivered.begin(), delivered.end(),
            [](const mock::RecordedRequest* a, const mock::RecordedRequest* c) { return a->sequence < c->sequence; });
  for (const mock::RecordedRequest* request : delivered) {
    const mock::RecordedRequest& first = *request;
    const std::string id = first.header("webhook-id");
    boost::system::error_code ec;
    const json::value body = json::parse(first.body, ec);
    const json::value* key = ec ? nullptr : body.find_pointer(x.ordered_by, ec);
    const auto number = submitted.find(id);
    if (key == nullptr || number == submitted.end()) {
      details.add("request #" + std::to_string(first.sequence) + ": " +
                  (key == nullptr ? "its body has no " + x.ordered_by : "webhook-id " + id + " was not submitted by this run"));
      continue;
    }
    const std::string key_text = key->is_string() ? std::string(key->get_string()) : json::serialize(*key);
    auto [it, first_of_key] = last.try_emplace(key_text, number->second);
    if (!first_of_key && number->second < it->second) {
      details.add(x.ordered_by + " " + key_text + ": record " + std::to_string(number->second + 1) +
                  " delivered after record " + std::to_string(it->second + 1) + " (request #" +
                  std::to_string(first.sequence) + ")");
    }
    it->second = std::max(it->second, number->second);
  }
  r.passed = !delivered.empty() && details.lines == 0;
  r.actual = std::to_string(details.lines) + " out of order among " + std::to_string(delivered.size()) + " delivered, " +
             std::to_string(last.size()) + " keys";
  r.detail = details.done();
  return r;
}

std::vector<std::string> describe_retries(const mock::Journal& journal, const std::vector<std::string>& ids,
                                          const std::function<std::string(const std::string&)>& retry_after) {
  struct Attempt {
    std::string stub_id;
    int status;
    std::int64_t timestamp;  // the webhook-timestamp: the attempt's simulated second; -1 when absent
  };
  std::map<std::string, std::pair<std::string, std::vector<Attempt>>> by_id;  // "METHOD PATH", attempts
  for (const auto& id : ids) by_id[id];
  journal.for_each([&](const mock::RecordedRequest& request) {
    auto it = by_id.find(request.header("webhook-id"));
    if (it == by_id.end()) return;
    std::int64_t timestamp = -1;
    const std::string stamp = request.header("webhook-timestamp");
    std::from_chars(stamp.data(), stamp.data() + stamp.size(), timestamp);
    if (it->second.first.empty()) it->second.first = request.method + " " + request.path;
    it->second.second.push_back({request.stub_id, request.answered_status, timestamp});
  });
  std::vector<std::string> lines;
  for (const auto& id : ids) {
    const auto& [what, attempts] = by_id.at(id);
    if (attempts.empty()) continue;  // evicted from the journal, or sent elsewhere
    std::string line = what + ":";
    for (std::size_t i = 0; i < attempts.size(); ++i) {
      const Attempt& a = attempts[i];
      line += (i == 0 ? " " : ", then ") + (a.status == 0 ? std::string("a fault") : std::to_string(a.status));
      if (i > 0 && a.timestamp >= 0 && attempts[i - 1].timestamp >= 0) {
        line += " after " + format_duration((a.timestamp - attempts[i - 1].timestamp) * 1000);
      }
      if (const std::string wait = a.stub_id.empty() ? "" : retry_after(a.stub_id); !wait.empty()) {
        line += " (Retry-After: " + wait + ")";
      }
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace journey_sim
