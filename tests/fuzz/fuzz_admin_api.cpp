// The mock endpoint's admin API (WireMock's, and its own /__webhooks/
// checks) takes whatever tests send it. Fuzzed for: no crash through any
// sequence of calls on one endpoint's state, a status in range, and every
// JSON answer valid JSON. The journal holds a few webhook requests first, so
// that searches, counts and checks have something to read.
//
// Input: calls separated by 0x01, each "METHOD PATH[?QUERY]", a newline,
// then the body.
#include "webhook_mock/admin_api.hpp"
#include "fuzz_check.hpp"

#include <boost/json/parse.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace json = boost::json;
namespace mock = webhook_mock;

namespace {

mock::RecordedRequest webhook(int n, std::string body) {
  mock::RecordedRequest r;
  r.id = "00000000-0000-4000-8000-00000000000" + std::to_string(n % 10);
  r.method = "POST";
  r.path = "/hook/" + std::to_string(n % 3);
  r.target = r.path + "?n=" + std::to_string(n);
  r.query = "n=" + std::to_string(n);
  r.headers = {{"Content-Type", "application/json"}, {"webhook-id", "msg_" + std::to_string(n % 4)},
               {"webhook-timestamp", "1795749174"}, {"webhook-signature", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="}};
  r.body = std::move(body);
  r.answered_status = n % 2 == 0 ? 200 : 503;
  r.was_matched = n % 2 == 0;
  return r;
}

void check(const mock::Response& response) {
  FUZZ_CHECK(response.status >= 100 && response.status <= 599, "a status out of range");
  bool json_body = false;
  for (const auto& [name, value] : response.headers) {
    if ((name == "Content-Type" || name == "content-type") && value.find("json") != std::string::npos) json_body = true;
  }
  if (json_body && !response.body.empty()) {
    boost::system::error_code ec;
    json::parse(response.body, ec);
    FUZZ_CHECK(!ec, "a JSON answer that is not JSON");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mock::Journal journal(64);
  mock::StubStore stubs;
  mock::AdminTargets targets{journal, stubs, "http://127.0.0.1:1"};
  for (int n = 0; n < 6; ++n) {
    journal.add(webhook(n, R"({"user": {"id": "u)" + std::to_string(n % 3) + R"("}, "seq": )" + std::to_string(6 - n) + "}"));
  }

  std::string_view rest(reinterpret_cast<const char*>(data), size);
  int calls = 0;
  while (!rest.empty() && calls++ < 16) {
    const std::size_t end = rest.find('\x01');
    std::string_view call = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    const std::size_t newline = call.find('\n');
    std::string_view line = call.substr(0, newline);
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) continue;
    mock::RecordedRequest request;
    request.method = std::string(line.substr(0, space));
    request.target = std::string(line.substr(space + 1));
    const std::size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    request.query = question == std::string::npos ? std::string() : request.target.substr(question + 1);
    request.body = newline == std::string_view::npos ? std::string() : std::string(call.substr(newline + 1));
    request.headers = {{"Content-Type", "application/json"}};
    if (request.path.starts_with("/__admin/")) check(mock::handle_admin(request, targets));
    else if (request.path.starts_with("/__webhooks/")) check(mock::handle_webhook_checks(request, journal));
  }
  // The stubs the calls left answer a request.
  auto answer = stubs.answer(webhook(1, R"({"user": {"id": "u1"}})"), 404);
  FUZZ_CHECK(answer.response.status >= 100 && answer.response.status <= 599, "a stub answers with a status out of range");
  return 0;
}
