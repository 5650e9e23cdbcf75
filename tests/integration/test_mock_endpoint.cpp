// webhook-mock's contract, seen from a real HTTP client over loopback: every
// admin endpoint, matcher, response option and fault; HTTPS; eviction; bad
// input; the webhook checks; and the C++ assertion API.
#define BOOST_TEST_MODULE integration_mock_endpoint
#include "support/http_client.hpp"
#include "webhook_mock/journal.hpp"
#include "webhook_mock/server.hpp"
#include "webhook_mock/stubs.hpp"
#include "webhook_mock/verify.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <atomic>
#include <thread>

using namespace std::chrono_literals;
namespace json = boost::json;
namespace mock = webhook_mock;
namespace ts = test_support;

namespace {

json::object body_of(const ts::HttpResponse& r) {
  BOOST_REQUIRE_MESSAGE(r.error.empty(), r.error);
  json::value v = json::parse(r.body);
  BOOST_REQUIRE(v.is_object());
  return v.get_object();
}

std::string add_stub(const mock::Server& server, const std::string& stub) {
  auto r = ts::post(server.base_url(), "/__admin/mappings", stub);
  BOOST_REQUIRE_MESSAGE(r.status == 201, r.status << " " << r.body);
  return std::string(body_of(r).at("id").as_string());
}

std::int64_t count(const mock::Server& server, const std::string& pattern) {
  auto r = ts::post(server.base_url(), "/__admin/requests/count", pattern);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  return body_of(r).at("count").as_int64();
}

// Asserts that `pattern` matches the request that `send` makes, and that
// `miss` (same pattern shape) does not.
void check_matcher(mock::Server& server, const std::string& pattern, const std::string& miss,
                   const ts::HttpRequest& request) {
  ts::del(server.base_url(), "/__admin/requests");
  auto r = ts::send(server.base_url(), request);
  BOOST_REQUIRE_MESSAGE(r.error.empty(), r.error);
  BOOST_TEST(count(server, pattern) == 1, pattern);
  BOOST_TEST(count(server, miss) == 0, miss);
}

}  // namespace

BOOST_AUTO_TEST_CASE(unmatched_requests_get_the_default_status_and_are_journaled) {
  mock::Server server;
  auto r = ts::post(server.base_url(), "/hooks/a?x=1&x=2", R"({"a":1})",
                    {{"webhook-id", "m1"}, {"X-Dup", "1"}, {"X-Dup", "2"}});
  BOOST_TEST(r.status == 200);
  auto list = body_of(ts::get(server.base_url(), "/__admin/requests"));
  BOOST_TEST(list.at("meta").as_object().at("total").as_int64() == 1);
  BOOST_TEST(list.at("requestJournalDisabled").as_bool() == false);
  const auto& event = list.at("requests").as_array().at(0).as_object();
  BOOST_TEST(event.at("wasMatched").as_bool() == false);
  BOOST_TEST(!event.at("id").as_string().empty());
  const auto& req = event.at("request").as_object();
  BOOST_TEST(req.at("url").as_string() == "/hooks/a?x=1&x=2");
  BOOST_TEST(req.at("method").as_string() == "POST");
  BOOST_TEST(req.at("body").as_string() == R"({"a":1})");
  BOOST_TEST(req.at("bodyAsBase64").as_string() == "eyJhIjoxfQ==");
  BOOST_TEST(req.at("clientIp").as_string() == "127.0.0.1");
  BOOST_TEST(req.at("headers").as_object().at("webhook-id").as_string() == "m1");
  BOOST_TEST(req.at("headers").as_object().at("X-Dup").as_array().size() == 2u);  // duplicates kept
  BOOST_TEST(req.at("queryParams").as_object().at("x").as_object().at("values").as_array().size() == 2u);
  BOOST_TEST(req.at("absoluteUrl").as_string() == server.base_url() + "/hooks/a?x=1&x=2");
  auto unmatched = body_of(ts::get(server.base_url(), "/__admin/requests/unmatched"));
  BOOST_TEST(unmatched.at("requests").as_array().size() == 1u);

  mock::ServerOptions options;
  options.default_status = 404;
  mock::Server strict(options);
  BOOST_TEST(ts::get(strict.base_url(), "/anything").status == 404);
}

BOOST_AUTO_TEST_CASE(journal_listing_limit_since_delete_and_binary_bodies) {
  mock::Server server;
  for (int i = 0; i < 5; ++i) ts::post(server.base_url(), "/r/" + std::to_string(i), "x");
  std::string binary("\xff\xfe\x00\x01", 4);
  ts::post(server.base_url(), "/bin", binary);
  auto limited = body_of(ts::get(server.base_url(), "/__admin/requests?limit=2"));
  const auto& requests = limited.at("requests").as_array();
  BOOST_REQUIRE_EQUAL(requests.size(), 2u);
  // newest first, as WireMock
  BOOST_TEST(requests[0].as_object().at("request").as_object().at("url").as_string() == "/bin");
  BOOST_TEST(requests[0].as_object().at("request").as_object().at("body").as_string() == "");
  BOOST_TEST(requests[0].as_object().at("request").as_object().at("bodyAsBase64").as_string() == "//4AAQ==");
  BOOST_TEST(limited.at("meta").as_object().at("total").as_int64() == 6);
  auto future = body_of(ts::get(server.base_url(), "/__admin/requests?since=2999-01-01T00:00:00Z"));
  BOOST_TEST(future.at("requests").as_array().empty());
  auto past = body_of(ts::get(server.base_url(), "/__admin/requests?since=2000-01-01T00:00:00.000Z"));
  BOOST_TEST(past.at("requests").as_array().size() == 6u);
  std::string id(requests[0].as_object().at("id").as_string());
  BOOST_TEST(ts::get(server.base_url(), "/__admin/requests/" + id).status == 200);
  BOOST_TEST(ts::get(server.base_url(), "/__admin/requests?since=yesterday").status == 422);
  BOOST_TEST(ts::del(server.base_url(), "/__admin/requests").status == 200);
  BOOST_TEST(body_of(ts::get(server.base_url(), "/__admin/requests")).at("requests").as_array().empty());
}

// HTTP carries bytes: a Latin-1 header value or a percent-encoded byte that
// is not UTF-8 must not make the admin API's answers invalid JSON (they
// were, written as received; found by fuzz/fuzz_admin_api.cpp). Such bytes
// read as U+FFFD, as WireMock's decoding has them.
BOOST_AUTO_TEST_CASE(requests_that_are_not_utf8_still_list_as_json) {
  mock::Server server;
  ts::raw_exchange(server.port(), std::string("POST /in?name=caf%E9&ok=1 HTTP/1.1\r\nHost: x\r\nX-Name: caf\xe9\r\n"
                                              "Content-Length: 2\r\nConnection: close\r\n\r\nhi"));
  auto listing = ts::get(server.base_url(), "/__admin/requests");
  BOOST_REQUIRE_EQUAL(listing.status, 200);
  boost::system::error_code ec;
  json::value v = json::parse(listing.body, ec);
  BOOST_REQUIRE_MESSAGE(!ec, "not JSON: " << ec.message());
  const auto& request = v.at("requests").at(0).at("request").as_object();
  BOOST_TEST(request.at("headers").at("X-Name").as_string() == "caf\xEF\xBF\xBD");
  BOOST_TEST(request.at("queryParams").at("name").at("values").at(0).as_string() == "caf\xEF\xBF\xBD");
  BOOST_TEST(request.at("body").as_string() == "hi");
  auto duplicates = ts::get(server.base_url(), "/__webhooks/duplicates?header=X-Name%FF");
  BOOST_TEST(!json::parse(duplicates.body, ec).is_null());
  BOOST_TEST(!ec, duplicates.body);
}

BOOST_AUTO_TEST_CASE(stub_lifecycle) {
  mock::Server server;
  std::string id = add_stub(server, R"({"request": {"method": "GET", "url": "/s"}, "response": {"status": 418}})");
  BOOST_TEST(ts::get(server.base_url(), "/s").status == 418);
  auto list = body_of(ts::get(server.base_url(), "/__admin/mappings"));
  BOOST_TEST(list.at("meta").as_object().at("total").as_int64() == 1);
  auto one = body_of(ts::get(server.base_url(), "/__admin/mappings/" + id));
  BOOST_TEST(one.at("uuid").as_string() == id);
  BOOST_TEST(one.at("response").as_object().at("status").as_int64() == 418);
  ts::HttpRequest put{"PUT", "/__admin/mappings/" + id, R"({"request": {"method": "GET", "url": "/s"}, "response": {"status": 202}})", {}};
  BOOST_TEST(ts::send(server.base_url(), put).status == 200);
  BOOST_TEST(ts::get(server.base_url(), "/s").status == 202);
  auto event = body_of(ts::get(server.base_url(), "/__admin/requests")).at("requests").as_array()[0].as_object();
  BOOST_TEST(event.at("wasMatched").as_bool());
  BOOST_TEST(event.at("stubMapping").as_object().at("id").as_string() == id);
  BOOST_TEST(ts::del(server.base_url(), "/__admin/mappings/" + id).status == 200);
  BOOST_TEST(ts::get(server.base_url(), "/__admin/mappings/" + id).status == 404);
  BOOST_TEST(ts::del(server.base_url(), "/__admin/mappings/" + id).status == 404);
  add_stub(server, R"({"request": {"url": "/t"}, "response": {"status": 500}})");
  BOOST_TEST(ts::del(server.base_url(), "/__admin/mappings").status == 200);
  BOOST_TEST(ts::get(server.base_url(), "/t").status == 200);

  // reset: back to the stubs loaded at start, journal emptied
  std::vector<mock::PatternError> errors;
  auto initial = mock::parse_stub(json::parse(R"({"request": {"url": "/init"}, "response": {"status": 299}})"), errors);
  BOOST_REQUIRE(initial);
  std::vector<mock::StubMapping> stubs;
  stubs.push_back(*initial);
  server.stubs().set_initial(std::move(stubs));
  add_stub(server, R"({"request": {"url": "/extra"}, "response": {"status": 500}})");
  BOOST_TEST(ts::post(server.base_url(), "/__admin/mappings/reset", "").status == 200);
  BOOST_TEST(ts::get(server.base_url(), "/extra").status == 200);
  BOOST_TEST(ts::get(server.base_url(), "/init").status == 299);
  BOOST_TEST(ts::post(server.base_url(), "/__admin/reset", "").status == 200);
  BOOST_TEST(body_of(ts::get(server.base_url(), "/__admin/requests")).at("requests").as_array().empty());
  BOOST_TEST(ts::get(server.base_url(), "/__admin/nope").status == 404);
}

BOOST_AUTO_TEST_CASE(url_and_method_matchers) {
  mock::Server server;
  ts::HttpRequest r{"POST", "/v1/users/42?expand=a%20b&x=1", "{}", {}};
  check_matcher(server, R"({"method": "POST", "url": "/v1/users/42?expand=a%20b&x=1"})", R"({"url": "/v1/users/42"})", r);
  check_matcher(server, R"({"method": "ANY", "urlPath": "/v1/users/42"})", R"({"method": "GET", "urlPath": "/v1/users/42"})", r);
  check_matcher(server, R"({"urlPattern": "/v1/users/[0-9]+\\?.*"})", R"({"urlPattern": "/v1/users/[a-z]+.*"})", r);
  check_matcher(server, R"({"urlPathPattern": "/v1/users/\\d+"})", R"({"urlPathPattern": "/v1/users"})", r);
  check_matcher(server, R"({"queryParameters": {"expand": {"equalTo": "a b"}, "x": {"matches": "[0-9]"}}})",
                R"({"queryParameters": {"expand": {"equalTo": "a%20b"}}})", r);
  check_matcher(server, R"({"queryParameters": {"nope": {"absent": true}}})",
                R"({"queryParameters": {"x": {"absent": true}}})", r);
}

BOOST_AUTO_TEST_CASE(header_matchers) {
  mock::Server server;
  ts::HttpRequest r{"POST", "/h", "{}", {{"X-Token", "Bearer abc123"}, {"webhook-id", "msg_1"}}};
  check_matcher(server, R"({"headers": {"x-token": {"equalTo": "Bearer abc123"}}})",
                R"({"headers": {"X-Token": {"equalTo": "bearer ABC123"}}})", r);
  check_matcher(server, R"({"headers": {"X-Token": {"equalTo": "bearer ABC123", "caseInsensitive": true}}})",
                R"({"headers": {"X-Token": {"equalTo": "bearer", "caseInsensitive": true}}})", r);
  check_matcher(server, R"({"headers": {"X-Token": {"contains": "abc"}}})", R"({"headers": {"X-Token": {"contains": "xyz"}}})", r);
  check_matcher(server, R"({"headers": {"X-Token": {"matches": "Bearer [a-z0-9]+"}}})",
                R"({"headers": {"X-Token": {"matches": "abc"}}})", r);  // whole value must match
  check_matcher(server, R"({"headers": {"X-Token": {"doesNotMatch": "Basic .*"}}})",
                R"({"headers": {"X-Token": {"doesNotMatch": "Bearer .*"}}})", r);
  check_matcher(server, R"({"headers": {"X-Missing": {"absent": true}}})", R"({"headers": {"webhook-id": {"absent": true}}})", r);
}

BOOST_AUTO_TEST_CASE(body_matchers) {
  mock::Server server;
  ts::HttpRequest r{"POST", "/b", R"({"user": {"id": "u1", "tags": ["a", "b"]}, "items": [{"sku": "X1", "qty": 2}, {"sku": "Y2", "qty": 1}], "n": 1.0})", {}};
  check_matcher(server, R"({"bodyPatterns": [{"contains": "\"u1\""}]})", R"({"bodyPatterns": [{"contains": "u2"}]})", r);
  check_matcher(server, R"({"bodyPatterns": [{"matches": ".*\"sku\": \"X1\".*"}]})", R"({"bodyPatterns": [{"matches": "sku"}]})", r);
  check_matcher(server, R"({"bodyPatterns": [{"equalTo": )" + json::serialize(json::value(r.body)) + "}]}",
                R"({"bodyPatterns": [{"equalTo": "{}"}]})", r);
  check_matcher(server,
                R"({"bodyPatterns": [{"equalToJson": {"n": 1, "items": [{"qty": 2, "sku": "X1"}, {"sku": "Y2", "qty": 1}], "user": {"tags": ["a", "b"], "id": "u1"}}}]})",
                R"({"bodyPatterns": [{"equalToJson": {"n": 1}}]})", r);
  check_matcher(server, R"({"bodyPatterns": [{"equalToJson": "{\"user\": {\"id\": \"u1\"}}", "ignoreExtraElements": true}]})",
                R"({"bodyPatterns": [{"equalToJson": "{\"user\": {\"id\": \"u2\"}}", "ignoreExtraElements": true}]})", r);
  check_matcher(server,
                R"({"bodyPatterns": [{"equalToJson": {"user": {"tags": ["b", "a"]}}, "ignoreArrayOrder": true, "ignoreExtraElements": true}]})",
                R"({"bodyPatterns": [{"equalToJson": {"user": {"tags": ["b", "a"]}}, "ignoreExtraElements": true}]})", r);
  check_matcher(server, R"({"bodyPatterns": [{"matchesJsonPath": "$.user.id"}]})", R"({"bodyPatterns": [{"matchesJsonPath": "$.user.email"}]})", r);
  check_matcher(server, R"({"bodyPatterns": [{"matchesJsonPath": "$['user']['tags'][1]"}]})",
                R"({"bodyPatterns": [{"matchesJsonPath": "$.user.tags[5]"}]})", r);
  check_matcher(server, R"({"bodyPatterns": [{"matchesJsonPath": {"expression": "$.items[*].sku", "equalTo": "Y2"}}]})",
                R"({"bodyPatterns": [{"matchesJsonPath": {"expression": "$.items[*].sku", "equalTo": "Z9"}}]})", r);
  check_matcher(server, R"({"bodyPatterns": [{"matchesJsonPath": {"expression": "$.items[0].qty", "matches": "[0-9]+"}}]})",
                R"({"bodyPatterns": [{"matchesJsonPath": {"expression": "$.user.id", "contains": "zz"}}]})", r);
  check_matcher(server, R"({"bodyPatterns": [{"matchesJsonPath": "$..sku"}]})", R"({"bodyPatterns": [{"matchesJsonPath": "$..nothing"}]})", r);
}

BOOST_AUTO_TEST_CASE(regex_on_a_large_body_does_not_crash) {
  mock::Server server;
  std::string big(2 * 1024 * 1024, 'a');
  big += "needle";
  ts::post(server.base_url(), "/big", big);
  BOOST_TEST(count(server, R"({"bodyPatterns": [{"matches": "(a|b)*needle"}]})") <= 1);
  BOOST_TEST(count(server, R"({"bodyPatterns": [{"matches": ".*needle"}]})") == 1);
  BOOST_TEST(ts::get(server.base_url(), "/still-alive").status == 200);
}

// One catastrophic regular expression stalled every client: `(x+x+)+y`
// cost seconds per 10 KB body, and a requests/count with it over 200 bodies
// did not answer in 120 s. RE2 now runs it in linear time; what only
// Boost.Regex takes (a lookahead here) stops at its budget: no match, the
// journal entry says why, and the admin API answers 422.
BOOST_AUTO_TEST_CASE(catastrophic_regex_is_bounded_and_reported) {
  mock::Server server;
  const std::string xs(10 * 1024, 'x');
  for (int i = 0; i < 200; ++i) ts::post(server.base_url(), "/j", xs);
  auto started = std::chrono::steady_clock::now();
  BOOST_TEST(count(server, R"({"bodyPatterns": [{"matches": "(x+x+)+y"}]})") == 0);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 5s));
  for (const char* path : {"/__admin/requests/count", "/__admin/requests/find"}) {
    started = std::chrono::steady_clock::now();
    auto r = ts::post(server.base_url(), path, R"json({"bodyPatterns": [{"matches": "(x+x+)+y(?=z)"}]})json");
    BOOST_TEST((std::chrono::steady_clock::now() - started < 2s));
    BOOST_TEST(r.status == 422, r.body);
    auto error = body_of(r).at("errors").as_array().at(0).as_object();
    BOOST_TEST(error.at("title").as_string() == "regular expression over budget");
    BOOST_TEST(error.at("detail").as_string().starts_with("regular expression over budget: request "));
  }
  auto order = ts::post(server.base_url(), "/__webhooks/order",
                        R"json({"key": "$.a", "sequence": "$.b", "request": {"bodyPatterns": [{"matches": "(x+x+)+y(?=z)"}]}})json");
  BOOST_TEST(order.status == 422, order.body);

  std::string id = add_stub(server, R"json({"request": {"bodyPatterns": [{"matches": "(x+x+)+y(?=z)"}]},
                                            "response": {"status": 201}})json");
  ts::del(server.base_url(), "/__admin/requests");
  BOOST_TEST(ts::post(server.base_url(), "/s", xs).status == 200);  // no match: the default
  auto events = body_of(ts::get(server.base_url(), "/__admin/requests")).at("requests").as_array();
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  const auto& event = events[0].as_object();
  BOOST_TEST(event.at("wasMatched").as_bool() == false);
  BOOST_REQUIRE(event.contains("matchError"));
  BOOST_TEST(event.at("matchError").as_string().starts_with("regular expression over budget: stub " + id),
             event.at("matchError").as_string());
}

// With one server thread, the admin API still answers within 100 ms while
// requests that run into a catastrophic pattern keep arriving: one match
// costs at most its budget.
BOOST_AUTO_TEST_CASE(admin_answers_within_100_ms_while_a_bad_match_runs) {
  mock::ServerOptions options;
  options.threads = 1;
  mock::Server server(options);
  add_stub(server, R"json({"request": {"bodyPatterns": [{"matches": "(x+x+)+\\1y"}]}, "response": {"status": 201}})json");
  add_stub(server, R"json({"request": {"headers": {"X-A": {"matches": "(x+x+)+y(?!z)"}}}, "response": {"status": 202}})json");
  std::atomic<bool> done{false};
  std::thread bad([&] {
    const std::string xs(10 * 1024, 'x');
    while (!done) ts::post(server.base_url(), "/bad", xs, {{"X-A", std::string(4096, 'x')}});
  });
  BOOST_REQUIRE(server.wait_for_total(1, 10s));
  std::vector<std::int64_t> ms;
  for (int i = 0; i < 20; ++i) {
    auto started = std::chrono::steady_clock::now();
    BOOST_TEST(ts::get(server.base_url(), "/__admin/mappings").status == 200);
    ms.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
    std::this_thread::sleep_for(7ms);
  }
  done = true;
  bad.join();
  std::sort(ms.begin(), ms.end());
  BOOST_TEST_MESSAGE("GET /__admin/mappings: median " << ms[10] << " ms, 90th percentile " << ms[18] << " ms, slowest "
                                                      << ms[19] << " ms; " << server.total_received() << " bad requests");
  // Each answer waits for at most the match in progress (2 budgets of 20 ms);
  // unbounded, each waited seconds. The slowest two of 20 may meet a loaded
  // machine's scheduling.
  BOOST_TEST(ms[18] < 100);
  BOOST_TEST(server.total_received() >= 2u);  // the bad matches ran meanwhile
}

BOOST_AUTO_TEST_CASE(response_options_and_priority) {
  mock::Server server;
  add_stub(server, R"({"request": {"urlPath": "/r"}, "response": {"status": 201, "headers": {"X-One": "1", "X-Many": ["a", "b"]}, "body": "hello"}, "priority": 5})");
  add_stub(server, R"({"request": {"urlPath": "/r", "headers": {"X-Special": {"equalTo": "yes"}}}, "response": {"status": 202, "jsonBody": {"ok": true}}, "priority": 1})");
  add_stub(server, R"({"request": {"urlPath": "/b64"}, "response": {"base64Body": "aGk="}})");
  add_stub(server, R"({"request": {"urlPath": "/slow"}, "response": {"status": 200, "fixedDelayMilliseconds": 300}})");
  auto plain = ts::get(server.base_url(), "/r");
  BOOST_TEST(plain.status == 201);
  BOOST_TEST(plain.body == "hello");
  BOOST_TEST(plain.header("X-One") == "1");
  int many = 0;
  for (const auto& [name, value] : plain.headers) many += name == "X-Many" ? 1 : 0;
  BOOST_TEST(many == 2);
  BOOST_TEST(!plain.header("Matched-Stub-Id").empty());
  auto special = ts::send(server.base_url(), {"GET", "/r", {}, {{"X-Special", "yes"}}});
  BOOST_TEST(special.status == 202);
  BOOST_TEST(json::parse(special.body).as_object().at("ok").as_bool());
  BOOST_TEST(ts::get(server.base_url(), "/b64").body == "hi");
  auto started = std::chrono::steady_clock::now();
  BOOST_TEST(ts::get(server.base_url(), "/slow").status == 200);
  BOOST_TEST((std::chrono::steady_clock::now() - started >= 290ms));
  // Of two equal-priority stubs, the newest wins.
  add_stub(server, R"({"request": {"urlPath": "/n"}, "response": {"status": 210}})");
  add_stub(server, R"({"request": {"urlPath": "/n"}, "response": {"status": 211}})");
  BOOST_TEST(ts::get(server.base_url(), "/n").status == 211);
}

BOOST_AUTO_TEST_CASE(faults_seen_from_a_client_socket) {
  mock::Server server;
  for (const char* fault : {"CONNECTION_RESET_BY_PEER", "EMPTY_RESPONSE", "MALFORMED_RESPONSE_CHUNK", "RANDOM_DATA_THEN_CLOSE"}) {
    add_stub(server, std::string(R"({"request": {"urlPath": "/)") + fault + R"("}, "response": {"fault": ")" + fault + R"("}})");
  }
  auto request = [](const char* path) { return std::string("GET /") + path + " HTTP/1.1\r\nHost: x\r\n\r\n"; };
  auto reset = ts::raw_exchange(server.port(), request("CONNECTION_RESET_BY_PEER"));
  BOOST_TEST(reset.reset);
  BOOST_TEST(reset.received.empty());
  auto empty = ts::raw_exchange(server.port(), request("EMPTY_RESPONSE"));
  BOOST_TEST(empty.closed);
  BOOST_TEST(empty.received.empty());
  auto chunk = ts::raw_exchange(server.port(), request("MALFORMED_RESPONSE_CHUNK"));
  BOOST_TEST(chunk.received.starts_with("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
  BOOST_TEST(chunk.received.find("0\r\n\r\n") == std::string::npos);  // never a valid end
  auto random = ts::raw_exchange(server.port(), request("RANDOM_DATA_THEN_CLOSE"));
  BOOST_TEST(random.received.size() == 512u);
  BOOST_TEST(!random.received.starts_with("HTTP/"));
  // journaled with the fault
  auto events = body_of(ts::get(server.base_url(), "/__admin/requests")).at("requests").as_array();
  BOOST_TEST(events.size() == 4u);
  BOOST_TEST(events[0].as_object().at("response").as_object().at("fault").as_string() == "RANDOM_DATA_THEN_CLOSE");
}

BOOST_AUTO_TEST_CASE(scenarios_step_through_states) {
  mock::Server server;
  add_stub(server, R"({"scenarioName": "flaky", "requiredScenarioState": "Started", "newScenarioState": "recovered",
                       "request": {"method": "POST", "url": "/s"}, "response": {"status": 503}})");
  add_stub(server, R"({"scenarioName": "flaky", "requiredScenarioState": "recovered",
                       "request": {"method": "POST", "url": "/s"}, "response": {"status": 200}})");
  BOOST_TEST(ts::post(server.base_url(), "/s", "").status == 503);
  BOOST_TEST(ts::post(server.base_url(), "/s", "").status == 200);
  BOOST_TEST(ts::post(server.base_url(), "/s", "").status == 200);
  auto scenarios = body_of(ts::get(server.base_url(), "/__admin/scenarios")).at("scenarios").as_array();
  BOOST_REQUIRE_EQUAL(scenarios.size(), 1u);
  BOOST_TEST(scenarios[0].as_object().at("name").as_string() == "flaky");
  BOOST_TEST(scenarios[0].as_object().at("state").as_string() == "recovered");
  BOOST_TEST(scenarios[0].as_object().at("possibleStates").as_array().size() == 2u);
  BOOST_TEST(ts::post(server.base_url(), "/__admin/scenarios/reset", "").status == 200);
  BOOST_TEST(ts::post(server.base_url(), "/s", "").status == 503);
}

BOOST_AUTO_TEST_CASE(bad_admin_input_is_422_with_a_pointer_and_loses_nothing) {
  mock::Server server;
  ts::post(server.base_url(), "/keep", "me");
  struct Case {
    const char* path;
    const char* body;
    const char* pointer;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"/__admin/mappings", "{not json", nullptr},
           {"/__admin/mappings", R"({"request": {"headers": {"A": {"bogus": "1"}}}})", "/request/headers/A"},
           {"/__admin/mappings", R"({"request": {"url": "/x"}, "response": {"status": "abc"}})", "/response/status"},
           {"/__admin/mappings", R"({"request": {"url": "/x"}, "response": {"fault": "NOPE"}})", "/response/fault"},
           {"/__admin/mappings", R"({"bogusTop": 1})", "/bogusTop"},
           {"/__admin/mappings", R"({"request": {"urlPattern": "(unclosed"}})", "/request/urlPattern"},
           {"/__admin/requests/count", R"({"bodyPatterns": [{"nope": 1}]})", "/bodyPatterns/0"},
           {"/__admin/requests/find", R"({"method": 7})", "/method"},
       }) {
    auto r = ts::post(server.base_url(), c.path, c.body);
    BOOST_TEST(r.status == 422, c.body);
    auto errors = body_of(r).at("errors").as_array();
    BOOST_REQUIRE(!errors.empty());
    BOOST_TEST(!errors[0].as_object().at("detail").as_string().empty());
    if (c.pointer) {
      BOOST_TEST(errors[0].as_object().at("source").as_object().at("pointer").as_string() == c.pointer, c.body);
    }
  }
  BOOST_TEST(count(server, R"({"url": "/keep"})") == 1);
  BOOST_TEST(body_of(ts::get(server.base_url(), "/__admin/mappings")).at("mappings").as_array().empty());
}

// Stub headers are refused at creation when, sent as given, they would
// split the response or frame it twice; what is accepted goes on the wire
// with one Content-Length.
BOOST_AUTO_TEST_CASE(stub_headers_that_would_split_the_response_are_refused) {
  mock::Server server;
  for (const char* headers : {R"({"X-A": "a\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK"})",
                              R"({"Content-Length": "3"})", R"({"Transfer-Encoding": "chunked"})",
                              R"({"X-Nul": "a\u0000b"})"}) {
    const std::string stub = std::string(R"({"request": {"urlPath": "/split"}, "response": {"body": "hello", "headers": )") +
                             headers + "}}";
    auto created = ts::post(server.base_url(), "/__admin/mappings", stub);
    BOOST_TEST(created.status == 422, headers);
    const json::object answer = body_of(created);
    const auto& error = answer.at("errors").as_array().at(0).as_object();
    std::string name = json::parse(headers).as_object().begin()->key();
    BOOST_TEST(error.at("source").as_object().at("pointer").as_string() == "/response/headers/" + name);
    BOOST_TEST(error.at("detail").as_string().find("header '" + name.substr(0, 4)) != std::string::npos,
               error.at("detail").as_string());
  }
  BOOST_TEST(body_of(ts::get(server.base_url(), "/__admin/mappings")).at("mappings").as_array().empty());
  std::string id = add_stub(server, R"({"request": {"urlPath": "/split"}, "response": {"body": "hello", "headers": {"X-Ok": "1"}}})");
  ts::HttpRequest put{"PUT", "/__admin/mappings/" + id, R"({"response": {"headers": {"Content-Length": "1"}}})", {}};
  BOOST_TEST(ts::send(server.base_url(), put).status == 422);
  auto raw = ts::raw_exchange(server.port(), "GET /split HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::size_t lengths = 0;
  for (std::size_t at = raw.received.find("Content-Length:"); at != std::string::npos;
       at = raw.received.find("Content-Length:", at + 1)) {
    ++lengths;
  }
  BOOST_TEST(lengths == 1u, raw.received);
  BOOST_TEST(raw.received.ends_with("\r\n\r\nhello"), raw.received);
}

BOOST_AUTO_TEST_CASE(malformed_http_oversized_headers_and_bodies) {
  mock::ServerOptions options;
  options.body_limit = 1024;
  mock::Server server(options);
  auto garbage = ts::raw_exchange(server.port(), "THIS IS NOT HTTP\r\n\r\n");
  BOOST_TEST(garbage.received.starts_with("HTTP/1.1 400"));
  BOOST_TEST(garbage.closed);
  auto huge_header = ts::raw_exchange(server.port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n");
  BOOST_TEST(huge_header.received.starts_with("HTTP/1.1 431"));
  auto big_body = ts::post(server.base_url(), "/big", std::string(2048, 'b'));
  BOOST_TEST(big_body.status == 413);
  BOOST_TEST(ts::get(server.base_url(), "/fine").status == 200);  // still serving
}

BOOST_AUTO_TEST_CASE(slow_clients_time_out_others_are_served) {
  mock::ServerOptions options;
  options.idle_timeout = 300ms;
  mock::Server server(options);
  auto started = std::chrono::steady_clock::now();
  // Half a request, then silence: closed after the idle timeout.
  auto slow = ts::raw_exchange(server.port(), "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Le", 5s);
  auto waited = std::chrono::steady_clock::now() - started;
  BOOST_TEST((slow.closed || slow.reset));
  BOOST_TEST((waited >= 250ms));
  BOOST_TEST((waited < 3s));
  // A response delayed beyond the idle timeout is still delivered.
  add_stub(server, R"({"request": {"urlPath": "/late"}, "response": {"fixedDelayMilliseconds": 600}})");
  BOOST_TEST(ts::get(server.base_url(), "/late").status == 200);
}

BOOST_AUTO_TEST_CASE(https_with_a_generated_ca) {
  mock::ServerOptions options;
  options.https = true;
  mock::Server server(options);
  BOOST_TEST(server.base_url().starts_with("https://127.0.0.1:"));
  BOOST_REQUIRE(!server.ca_certificate_pem().empty());
  auto r = ts::send(server.base_url(), {"POST", "/secure", "{}", {}}, server.ca_certificate_pem());
  BOOST_TEST(r.status == 200, r.error);
  auto untrusted = ts::send(server.base_url(), {"POST", "/secure", "{}", {}}, "");
  BOOST_TEST(untrusted.status == 0);
  BOOST_TEST(server.total_received() == 1u);
}

BOOST_AUTO_TEST_CASE(journal_eviction_is_bounded_and_counted) {
  mock::ServerOptions options;
  options.journal_limit = 5;
  mock::Server server(options);
  for (int i = 0; i < 8; ++i) ts::get(server.base_url(), "/e/" + std::to_string(i));
  BOOST_TEST(server.count() == 5u);
  BOOST_TEST(server.evicted() == 3u);
  BOOST_TEST(server.total_received() == 8u);
  BOOST_TEST(server.requests().front().path == "/e/3");
  auto summary = body_of(ts::get(server.base_url(), "/__webhooks/summary"));
  BOOST_TEST(summary.at("evicted").as_int64() == 3);
}

BOOST_AUTO_TEST_CASE(webhook_checks_duplicates_order_signatures_summary) {
  mock::Server server;
  const std::string key = "0123456789abcdef0123456789abcdef";
  const std::string secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
  auto sign = [&](const std::string& id, const std::string& timestamp, const std::string& body) {
    std::string content = id + "." + timestamp + "." + body;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
         content.size(), mac, &length);
    std::string out(4 * ((length + 2) / 3), '\0');
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(length));
    return "v1," + out;
  };
  std::string now = std::to_string(std::time(nullptr));
  auto deliver = [&](const std::string& id, const std::string& user, int seq, bool good_signature = true) {
    std::string body = R"({"user": ")" + user + R"(", "seq": )" + std::to_string(seq) + "}";
    std::string signature = good_signature ? sign(id, now, body) : "v1,AAAA";
    ts::post(server.base_url(), "/wh", body, {{"webhook-id", id}, {"webhook-timestamp", now}, {"webhook-signature", "v0,x " + signature}});
  };
  deliver("m1", "a", 1);
  deliver("m2", "a", 2);
  deliver("m2", "a", 2);  // a duplicate delivery
  deliver("m3", "b", 2);
  deliver("m4", "b", 1, false);  // out of order for b, bad signature

  auto dups = body_of(ts::get(server.base_url(), "/__webhooks/duplicates?header=webhook-id"));
  BOOST_TEST(dups.at("requests").as_int64() == 5);
  BOOST_TEST(dups.at("distinct").as_int64() == 4);
  BOOST_TEST(dups.at("duplicated_values").as_int64() == 1);
  BOOST_TEST(dups.at("duplicates").as_array()[0].as_object().at("value").as_string() == "m2");

  auto order = body_of(ts::post(server.base_url(), "/__webhooks/order", R"({"key": "$.user", "sequence": "$.seq"})"));
  BOOST_TEST(order.at("keys").as_int64() == 2);
  BOOST_TEST(order.at("keys_out_of_order").as_int64() == 1);
  BOOST_TEST(order.at("out_of_order").as_array()[0].as_object().at("key").as_string() == "b");

  auto sigs = body_of(ts::post(server.base_url(), "/__webhooks/signatures", R"({"secret": ")" + secret + R"("})"));
  BOOST_TEST(sigs.at("checked").as_int64() == 5);
  BOOST_TEST(sigs.at("valid").as_int64() == 4);
  BOOST_TEST(sigs.at("invalid").as_array()[0].as_object().at("webhook_id").as_string() == "m4");
  BOOST_TEST(ts::post(server.base_url(), "/__webhooks/signatures", R"({"secret": "nope"})").status == 422);

  auto summary = body_of(ts::get(server.base_url(), "/__webhooks/summary"));
  BOOST_TEST(summary.at("total").as_int64() == 5);
  BOOST_TEST(summary.at("by_path").as_object().at("POST /wh").as_object().at("200").as_int64() == 5);
}

BOOST_AUTO_TEST_CASE(cpp_assertion_api_reports_the_nearest_near_miss) {
  mock::Server server;
  ts::post(server.base_url(), "/orders/1", R"({"total": 10})", {{"X-Source", "shop"}});
  ts::post(server.base_url(), "/orders/2", R"({"total": 20})", {{"X-Source", "app"}});
  mock::Verifier verify(server.journal());
  auto any_order = mock::pattern(R"({"method": "POST", "urlPathPattern": "/orders/[0-9]+"})");
  BOOST_TEST(verify.count(any_order) == 2u);
  BOOST_TEST(verify.find(mock::pattern(R"({"url": "/orders/2"})")).size() == 1u);
  BOOST_TEST(verify.expect(any_order, mock::CountRule::exactly, 2).ok);
  auto wrong = mock::pattern(R"({"method": "POST", "url": "/orders/2", "headers": {"X-Source": {"equalTo": "web"}}})");
  auto verdict = verify.expect(wrong, mock::CountRule::at_least, 1);
  BOOST_TEST(!verdict.ok);
  BOOST_TEST(verdict.message.find("nearest request") != std::string::npos, verdict.message);
  BOOST_TEST(verdict.message.find("nearest request #2 POST /orders/2 differs in 1 of 3 parts") != std::string::npos, verdict.message);
  BOOST_TEST(verdict.message.find("header X-Source: expected equalTo 'web', got 'app'") != std::string::npos, verdict.message);
  // wait_for sees requests that arrive while it waits
  std::thread later([&] {
    std::this_thread::sleep_for(100ms);
    ts::post(server.base_url(), "/orders/3", "{}");
  });
  BOOST_TEST(verify.wait_for(any_order, 3, 5s).ok);
  later.join();
  BOOST_TEST(!verify.wait_for(any_order, 4, 50ms).ok);
  BOOST_CHECK_THROW(mock::pattern(R"({"headers": {"A": {"nope": 1}}})"), std::invalid_argument);
}
