// WireMock's admin API (the subset in the README) over the journal and the
// stub store, with WireMock's paths, JSON shapes and status codes.
#include "webhook_mock/admin_api.hpp"

#include "webhook_mock/regex.hpp"
#include "webhook_mock/journal_json.hpp"

#include <webhook_common/iso_time.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <ctime>

namespace webhook_mock {
namespace {

namespace json = boost::json;

Response empty_response(int status) {
  Response r;
  r.status = status;
  return r;
}

// WireMock answers bad admin input with 422 and this shape.
Response errors_response(const std::vector<PatternError>& errors) {
  json::array list;
  for (const auto& e : errors) {
    json::object source;
    if (!e.pointer.empty()) source["pointer"] = e.pointer;
    list.push_back(json::object{{"code", 10}, {"source", std::move(source)}, {"title", "Error parsing JSON"},
                                {"detail", e.detail}});
  }
  return json_response(422, json::object{{"errors", std::move(list)}});
}

std::optional<json::value> parse_body(const RecordedRequest& request, std::vector<PatternError>& errors) {
  boost::system::error_code ec;
  json::value v = json::parse(request.body, ec);
  if (ec) {
    errors.push_back({"", "Error parsing JSON: " + ec.message()});
    return std::nullopt;
  }
  return v;
}

json::value stub_json_or_null(const StubStore& stubs, const std::string& id) {
  if (id.empty()) return nullptr;
  auto stub = stubs.get(id);
  return stub ? json::value(std::move(*stub)) : json::value(nullptr);
}

json::value response_definition(const RecordedRequest& r, const json::value& stub) {
  if (const auto* o = stub.if_object()) {
    if (auto it = o->find("response"); it != o->end()) return it->value();
  }
  if (r.was_matched) return json::object{{"status", r.answered_status}};
  return json::object{{"status", r.answered_status}, {"fromConfiguredStub", false}};
}

}  // namespace

Response json_response(int status, const json::value& body) {
  Response r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  // What requests carried goes into answers: bytes that are not UTF-8
  // (a Latin-1 header, a percent-encoded byte) read as U+FFFD, so that the
  // answer is JSON.
  if (all_utf8(body)) {
    r.body = json::serialize(body);
  } else {
    json::value repaired = body;  // rare: copied only then
    repair_utf8(repaired);
    r.body = json::serialize(repaired);
  }
  return r;
}

std::string query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    auto eq = part.find('=');
    if (decode_query_component(part.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : decode_query_component(part.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

namespace {

// GET /__admin/requests[?limit=N&since=ISO-8601]
Response list_requests(const RecordedRequest& request, AdminTargets& t) {
  std::size_t limit = SIZE_MAX;
  std::optional<std::int64_t> since;
  if (std::string l = query_value(request.query, "limit"); !l.empty()) {
    try {
      limit = static_cast<std::size_t>(std::stoull(l));
    } catch (const std::exception&) {
      return errors_response({{"", "limit must be a whole number"}});
    }
  }
  if (std::string s = query_value(request.query, "since"); !s.empty()) {
    since = webhook_common::parse_iso8601(s, webhook_common::ZoneSuffix::optional);
    if (!since) return errors_response({{"", "since must be an ISO 8601 date-time, e.g. 2026-01-02T03:04:05Z"}});
  }
  auto entries = t.journal.snapshot();
  json::array list;
  std::size_t total = entries.size();
  for (auto it = entries.rbegin(); it != entries.rend() && list.size() < limit; ++it) {
    if (since && it->received_ms <= *since) continue;
    json::value stub = stub_json_or_null(t.stubs, it->stub_id);
    list.push_back(serve_event_json(*it, t.base_url, response_definition(*it, stub), stub));
  }
  return json_response(200, json::object{{"requests", std::move(list)},
                                         {"meta", json::object{{"total", total}}},
                                         {"requestJournalDisabled", false}});
}

// POST /__admin/requests/count and /find: a regular expression over its
// budget on any journaled request answers 422 rather than a count that
// would silently leave that request out.
Response count_or_find(const RecordedRequest& request, AdminTargets& t, bool count_only) {
  std::vector<PatternError> errors;
  auto body = parse_body(request, errors);
  if (!body) return errors_response(errors);
  auto pattern = RequestPattern::parse(*body, "", errors);
  if (!pattern) return errors_response(errors);
  std::size_t count = 0;
  json::array found;
  std::string over_budget;
  t.journal.for_each([&](const RecordedRequest& r) {
    if (!over_budget.empty()) return;
    if (!pattern->matches(r, &over_budget)) {
      if (!over_budget.empty()) over_budget = "request " + r.id + ": " + over_budget;
      return;
    }
    ++count;
    if (!count_only) found.push_back(logged_request_json(r, t.base_url));
  });
  if (!over_budget.empty()) return over_budget_response(over_budget);
  if (count_only) return json_response(200, json::object{{"count", count}, {"requestJournalDisabled", false}});
  return json_response(200, json::object{{"requests", std::move(found)}, {"requestJournalDisabled", false}});
}

// Everything under /__admin/requests; nullopt when none of it.
std::optional<Response> handle_requests(const RecordedRequest& request, AdminTargets& t) {
  std::string_view path = request.path;
  const std::string& method = request.method;
  if (path == "/__admin/requests" && method == "GET") return list_requests(request, t);
  if (path == "/__admin/requests" && method == "DELETE") {
    t.journal.clear();
    return json_response(200, json::object{});
  }
  if ((path == "/__admin/requests/count" || path == "/__admin/requests/find") && method == "POST") {
    return count_or_find(request, t, path.ends_with("/count"));
  }
  if (path == "/__admin/requests/unmatched" && method == "GET") {
    json::array found;
    t.journal.for_each([&](const RecordedRequest& r) {
      if (!r.was_matched) found.push_back(logged_request_json(r, t.base_url));
    });
    return json_response(200, json::object{{"requests", std::move(found)}, {"requestJournalDisabled", false}});
  }
  if (path.starts_with("/__admin/requests/") && method == "GET") {
    std::string id(path.substr(std::string_view("/__admin/requests/").size()));
    std::optional<json::object> event;
    t.journal.for_each([&](const RecordedRequest& r) {
      if (r.id != id) return;
      json::value stub = stub_json_or_null(t.stubs, r.stub_id);
      event = serve_event_json(r, t.base_url, response_definition(r, stub), stub);
    });
    if (!event) return empty_response(404);
    return json_response(200, *event);
  }
  return std::nullopt;
}

// The stub a POST or PUT of /__admin/mappings carries, or its errors.
std::optional<StubMapping> stub_of(const RecordedRequest& request, std::vector<PatternError>& errors) {
  auto body = parse_body(request, errors);
  if (!body) return std::nullopt;
  return parse_stub(*body, errors);
}

// PUT /__admin/mappings/{id}
Response replace_stub(const RecordedRequest& request, AdminTargets& t, const std::string& id) {
  std::vector<PatternError> errors;
  auto stub = stub_of(request, errors);
  if (!stub) return errors_response(errors);
  json::object source = stub->source;
  source["id"] = id;
  source["uuid"] = id;
  return t.stubs.replace(id, std::move(*stub)) ? json_response(200, source) : empty_response(404);
}

// Everything under /__admin/mappings; nullopt when none of it.
std::optional<Response> handle_mappings(const RecordedRequest& request, AdminTargets& t) {
  std::string_view path = request.path;
  const std::string& method = request.method;
  if (path == "/__admin/mappings" && method == "POST") {
    std::vector<PatternError> errors;
    auto stub = stub_of(request, errors);
    if (!stub) return errors_response(errors);
    json::object source = stub->source;
    t.stubs.add(std::move(*stub));
    return json_response(201, source);
  }
  if (path == "/__admin/mappings" && method == "GET") {
    json::array list = t.stubs.list();
    std::size_t total = list.size();
    return json_response(200, json::object{{"mappings", std::move(list)}, {"meta", json::object{{"total", total}}}});
  }
  if (path == "/__admin/mappings" && method == "DELETE") {
    t.stubs.clear();
    return json_response(200, json::object{});
  }
  if (path == "/__admin/mappings/reset" && method == "POST") {
    t.stubs.reset();
    return empty_response(200);
  }
  if (path.starts_with("/__admin/mappings/")) {
    std::string id(path.substr(std::string_view("/__admin/mappings/").size()));
    if (method == "GET") {
      auto stub = t.stubs.get(id);
      return stub ? json_response(200, *stub) : empty_response(404);
    }
    if (method == "DELETE") return t.stubs.remove(id) ? json_response(200, json::object{}) : empty_response(404);
    if (method == "PUT") return replace_stub(request, t, id);
  }
  return std::nullopt;
}

}  // namespace

Response over_budget_response(const std::string& where) {
  const std::string message(regex_over_budget_message);
  return json_response(422, json::object{{"errors", json::array{json::object{
                                                        {"code", 10},
                                                        {"source", json::object{}},
                                                        {"title", message},
                                                        {"detail", message + ": " + where}}}}});
}

Response handle_admin(const RecordedRequest& request, AdminTargets& t) {
  if (auto r = handle_requests(request, t)) return std::move(*r);
  if (auto r = handle_mappings(request, t)) return std::move(*r);
  std::string_view path = request.path;
  const std::string& method = request.method;
  if (path == "/__admin/reset" && method == "POST") {
    t.journal.clear();
    t.stubs.reset();
    return empty_response(200);
  }
  if (path == "/__admin/scenarios" && method == "GET") {
    return json_response(200, json::object{{"scenarios", t.stubs.scenarios()}});
  }
  if (path == "/__admin/scenarios/reset" && method == "POST") {
    t.stubs.reset_scenarios();
    return json_response(200, json::object{});
  }
  if (path == "/__admin/health" && method == "GET") {
    return json_response(200, json::object{{"status", "healthy"}, {"journal", t.journal.size()},
                                           {"mappings", t.stubs.size()}});
  }
  Response r = empty_response(404);
  r.headers = {{"Content-Type", "text/plain"}};
  r.body = "No admin endpoint " + method + " " + std::string(path) + "\n";
  return r;
}

}  // namespace webhook_mock
