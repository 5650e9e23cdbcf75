// Beyond WireMock, what webhook receivers need to know: duplicates by a
// header, order per key, Standard Webhooks signatures, and a summary.
#include "webhook_mock/admin_api.hpp"

#include "webhook_mock/json_path.hpp"
#include "webhook_mock/journal_json.hpp"
#include "webhook_mock/request_pattern.hpp"
#include "webhook_mock/verify.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <map>
#include <unordered_map>

namespace webhook_mock {
namespace {

namespace json = boost::json;

Response bad_request(const std::string& detail) {
  return json_response(422, json::object{{"errors", json::array{json::object{
                                                        {"code", 10}, {"title", "Bad request"}, {"detail", detail}}}}});
}

// Parses the optional "request" pattern of a check; `any` when absent.
std::optional<RequestPattern> filter_of(const json::object& body, std::vector<PatternError>& errors) {
  auto it = body.find("request");
  if (it == body.end()) return RequestPattern::any();
  return RequestPattern::parse(it->value(), "/request", errors);
}

// Whether `filter` matches `r`; a regular expression over its budget sets
// `over_budget` (naming the request) and does not match.
bool filter_matches(const RequestPattern& filter, const RecordedRequest& r, std::string& over_budget) {
  if (filter.matches(r, &over_budget)) return true;
  if (!over_budget.empty()) over_budget = "request " + r.id + ": " + over_budget;
  return false;
}

std::string text_of(const json::value& v) {
  if (const auto* s = v.if_string()) return std::string(*s);
  return json::serialize(v);
}

}  // namespace

// Any of the space-separated "v1,<base64>" entries equal to
// HMAC-SHA256(key, id.timestamp.body), compared in constant time.
bool verify_signature(std::string_view key, const RecordedRequest& r, std::string& reason) {
  std::string id = r.header("webhook-id"), timestamp = r.header("webhook-timestamp"),
              signatures = r.header("webhook-signature");
  if (id.empty() || timestamp.empty() || signatures.empty()) {
    reason = "missing webhook-id, webhook-timestamp or webhook-signature";
    return false;
  }
  std::string content = id + "." + timestamp + "." + r.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
       content.size(), mac, &length);
  std::string_view list = signatures;
  while (!list.empty()) {
    auto space = list.find(' ');
    std::string_view entry = list.substr(0, space);
    if (entry.starts_with("v1,")) {
      std::string given = base64_decode(entry.substr(3)).value_or(std::string());
      if (given.size() == length && CRYPTO_memcmp(given.data(), mac, length) == 0) return true;
    }
    if (space == std::string_view::npos) break;
    list.remove_prefix(space + 1);
  }
  reason = "no v1 signature matches";
  return false;
}

namespace {

// GET /__webhooks/summary
Response check_summary(const Journal& journal) {
  std::map<std::string, std::map<int, std::uint64_t>> by_path;
  std::uint64_t unmatched = 0, total = 0;
  journal.for_each([&](const RecordedRequest& r) {
    ++total;
    ++by_path[r.method + " " + r.path][r.answered_status];
    if (!r.was_matched) ++unmatched;
  });
  json::object paths;
  for (const auto& [p, statuses] : by_path) {
    json::object s;
    for (const auto& [status, count] : statuses) s[status == 0 ? "fault" : std::to_string(status)] = count;
    paths[p] = std::move(s);
  }
  return json_response(200, json::object{{"total", total}, {"unmatched", unmatched}, {"evicted", journal.evicted()},
                                         {"by_path", std::move(paths)}});
}

// GET /__webhooks/duplicates?header=NAME
Response check_duplicates(const RecordedRequest& request, const Journal& journal) {
  std::string header = query_value(request.query, "header");
  if (header.empty()) header = "webhook-id";
  std::unordered_map<std::string, std::uint64_t> seen;
  std::vector<std::string> order;
  std::uint64_t with_header = 0;
  journal.for_each([&](const RecordedRequest& r) {
    std::string value = r.header(header);
    if (value.empty()) return;
    ++with_header;
    if (seen[value]++ == 0) order.push_back(value);
  });
  json::array duplicated;
  for (const auto& value : order) {
    if (seen[value] > 1) duplicated.push_back(json::object{{"value", value}, {"count", seen[value]}});
  }
  std::size_t duplicated_values = duplicated.size();
  return json_response(200, json::object{{"header", header},
                                         {"requests", with_header},
                                         {"distinct", seen.size()},
                                         {"duplicated_values", duplicated_values},
                                         {"duplicates", std::move(duplicated)}});
}

// POST /__webhooks/order
Response check_order(const RecordedRequest& request, const Journal& journal) {
  boost::system::error_code ec;
  json::value body = json::parse(request.body, ec);
  if (ec || !body.is_object()) return bad_request("body must be a JSON object {\"key\": PATH, \"sequence\": PATH}");
  const auto& o = body.get_object();
  if (!o.contains("key") || !o.at("key").is_string() || !o.contains("sequence") || !o.at("sequence").is_string()) {
    return bad_request("\"key\" and \"sequence\" are required: JSON paths into each request body");
  }
  std::string error;
  auto key_path = JsonPath::compile(o.at("key").get_string(), error);
  auto seq_path = key_path ? JsonPath::compile(o.at("sequence").get_string(), error) : std::nullopt;
  if (!key_path || !seq_path) return bad_request(error);
  std::vector<PatternError> errors;
  auto filter = filter_of(o, errors);
  if (!filter) return bad_request(errors.front().pointer + ": " + errors.front().detail);
  // For each key, the sequence values in arrival order; out of order when
  // one is lower than one that arrived before it.
  struct KeyState {
    json::value last;
    std::uint64_t requests = 0;
    json::array violations;
  };
  std::map<std::string, KeyState> keys;
  std::uint64_t considered = 0, skipped = 0;
  auto less = [](const json::value& a, const json::value& b) {
    if (a.is_number() && b.is_number()) return a.to_number<double>() < b.to_number<double>();
    return text_of(a) < text_of(b);
  };
  std::string over_budget;
  journal.for_each([&](const RecordedRequest& r) {
    if (!over_budget.empty() || !filter_matches(*filter, r, over_budget)) return;
    boost::system::error_code body_ec;
    json::value parsed = json::parse(r.body, body_ec);
    auto k = body_ec ? decltype(key_path->select(parsed)){} : key_path->select(parsed);
    auto s = body_ec ? decltype(seq_path->select(parsed)){} : seq_path->select(parsed);
    if (k.empty() || s.empty()) {
      ++skipped;
      return;
    }
    ++considered;
    KeyState& state = keys[text_of(*k.front())];
    if (state.requests++ > 0 && less(*s.front(), state.last)) {
      state.violations.push_back(json::object{{"after", state.last}, {"got", *s.front()}, {"request_id", r.id}});
    } else {
      state.last = *s.front();
    }
  });
  if (!over_budget.empty()) return over_budget_response(over_budget);
  json::array out_of_order;
  for (auto& [key, state] : keys) {
    if (!state.violations.empty()) {
      out_of_order.push_back(json::object{{"key", key}, {"violations", std::move(state.violations)}});
    }
  }
  std::size_t bad_keys = out_of_order.size();
  return json_response(200, json::object{{"requests", considered},
                                         {"skipped", skipped},
                                         {"keys", keys.size()},
                                         {"keys_out_of_order", bad_keys},
                                         {"out_of_order", std::move(out_of_order)}});
}

// POST /__webhooks/signatures
Response check_signatures(const RecordedRequest& request, const Journal& journal) {
  boost::system::error_code ec;
  json::value body = json::parse(request.body, ec);
  if (ec || !body.is_object()) return bad_request("body must be a JSON object {\"secret\": \"whsec_...\"}");
  const auto& o = body.get_object();
  if (!o.contains("secret") || !o.at("secret").is_string()) return bad_request("\"secret\" is required");
  std::string_view secret = o.at("secret").get_string();
  if (!secret.starts_with("whsec_")) return bad_request("\"secret\" must be a Standard Webhooks secret 'whsec_...'");
  std::string key = base64_decode(secret.substr(6)).value_or(std::string());
  if (key.empty()) return bad_request("\"secret\" is not valid base64 after 'whsec_'");
  std::int64_t tolerance = 300;
  if (auto it = o.find("toleranceSeconds"); it != o.end()) {
    if (!it->value().is_int64() || it->value().get_int64() < 0) return bad_request("\"toleranceSeconds\" must be >= 0");
    tolerance = it->value().get_int64();
  }
  std::vector<PatternError> errors;
  auto filter = filter_of(o, errors);
  if (!filter) return bad_request(errors.front().pointer + ": " + errors.front().detail);
  std::uint64_t checked = 0, valid = 0;
  json::array invalid;
  std::string over_budget;
  journal.for_each([&](const RecordedRequest& r) {
    if (!over_budget.empty() || !filter_matches(*filter, r, over_budget)) return;
    ++checked;
    std::string reason;
    bool ok = verify_signature(key, r, reason);
    if (ok && tolerance > 0) {
      std::int64_t ts = 0;
      try {
        ts = std::stoll(r.header("webhook-timestamp"));
      } catch (const std::exception&) {
        ok = false, reason = "webhook-timestamp is not a number";
      }
      if (ok && std::llabs(r.received_ms / 1000 - ts) > tolerance) {
        ok = false, reason = "webhook-timestamp is more than " + std::to_string(tolerance) + " s from arrival";
      }
    }
    if (ok) ++valid;
    else invalid.push_back(json::object{{"request_id", r.id}, {"webhook_id", r.header("webhook-id")}, {"reason", reason}});
  });
  if (!over_budget.empty()) return over_budget_response(over_budget);
  return json_response(200, json::object{{"checked", checked}, {"valid", valid}, {"invalid", std::move(invalid)}});
}

}  // namespace

Response handle_webhook_checks(const RecordedRequest& request, const Journal& journal) {
  std::string_view path = request.path;
  if (path == "/__webhooks/summary" && request.method == "GET") return check_summary(journal);
  if (path == "/__webhooks/duplicates" && request.method == "GET") return check_duplicates(request, journal);
  if (path == "/__webhooks/order" && request.method == "POST") return check_order(request, journal);
  if (path == "/__webhooks/signatures" && request.method == "POST") return check_signatures(request, journal);
  Response r;
  r.status = 404;
  r.headers = {{"Content-Type", "text/plain"}};
  r.body = "No webhook check " + request.method + " " + std::string(path) +
           "; try GET /__webhooks/summary, GET /__webhooks/duplicates?header=webhook-id, POST /__webhooks/order, "
           "POST /__webhooks/signatures\n";
  return r;
}

}  // namespace webhook_mock
