// What /expect accepts and refuses: the counts (exactly, at_least or
// atLeast, at_most or atMost, between, none), the checks on the matching
// requests (signature, no_duplicates, ordered_by, attempts), methods in any
// case, and "expect" itself required.
#include "journey_sim/activation_checks.hpp"
#include "journey_sim/journal_checks.hpp"
#include "support/simulator_support.hpp"
#include "webhook_mock/journal_json.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

using namespace simulator_support;
namespace json = boost::json;

namespace {

// kBase and a journey, with `expect` and the activations' delivery settings.
std::string scenario(const std::string& expect, const std::string& delivery = "{}") {
  return R"({
    "authentications": {"a": {"url_prefix": "http://h/", "api_key": "secret-key-1"}},
    "activations": {"x": {"authentication": "a", "url": "http://h/x", "delivery": )" + delivery + R"(}},
    "journey": {"name": "J", "stages": [{"name": "S", "entry": {"event": "e"}, "steps": [{"activate": "x"}]}]},
    "expect": )" + expect + "}";
}

constexpr const char* kSigned = R"({"signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})";

}  // namespace

BOOST_AUTO_TEST_SUITE(expectations)

BOOST_AUTO_TEST_CASE(counts_in_both_spellings_and_between) {
  auto s = load(scenario(R"({"requests": [{"atLeast": 2}, {"at_least": 3}, {"atMost": 4}, {"between": [1, 5]},
                                          {"none": true}]})"));
  using Rule = RequestExpectation::Rule;
  BOOST_REQUIRE_EQUAL(s.requests.size(), 5u);
  BOOST_TEST((s.requests[0].rule == Rule::at_least && s.requests[0].count == 2));
  BOOST_TEST((s.requests[1].rule == Rule::at_least && s.requests[1].count == 3));
  BOOST_TEST((s.requests[2].rule == Rule::at_most && s.requests[2].count == 4));
  BOOST_TEST((s.requests[3].rule == Rule::between && s.requests[3].count == 1 && s.requests[3].count_max == 5));
  BOOST_TEST((s.requests[4].rule == Rule::exactly && s.requests[4].count == 0));

  auto errors = errors_of(scenario(R"({"requests": [{"between": [5, 1]}, {"between": 3}, {"exactly": 1, "atMost": 2}, {}]})"));
  BOOST_TEST(message_at(errors, "/expect/requests/0/between") == "its low bound is above its high bound");
  BOOST_TEST(message_at(errors, "/expect/requests/1/between") == "must be [LOW, HIGH]: two counts, the bounds included");
  for (const char* at : {"/expect/requests/2", "/expect/requests/3"}) {
    BOOST_TEST(message_at(errors, at) == "give exactly one of exactly, at_least (atLeast), at_most (atMost), between, none", at);
  }
}

BOOST_AUTO_TEST_CASE(checks_on_the_matching_requests) {
  auto s = load(scenario(R"({"requests": [{"request": {"method": "post"}, "signature": "valid", "no_duplicates": true,
                                           "ordered_by": "/profile/id", "attempts": [503, 200]}]})", kSigned));
  const auto& x = s.requests.at(0);
  BOOST_TEST(x.signature_valid);
  BOOST_TEST(x.no_duplicates);
  BOOST_TEST(x.ordered_by == "/profile/id");
  BOOST_TEST(x.attempts.value() == (std::vector<int>{503, 200}));
  // no count given: at least one request, since the checks need some
  BOOST_TEST((x.rule == RequestExpectation::Rule::at_least && x.count == 1));
  BOOST_TEST(json::serialize(x.pattern) == R"({"method":"POST"})");  // methods are case-insensitive
}

BOOST_AUTO_TEST_CASE(checks_refused_with_what_is_allowed) {
  auto errors = errors_of(scenario(R"({"requests": [
      {"signature": "yes"}, {"no_duplicates": false}, {"ordered_by": "profile.id"}, {"ordered_by": "/a~2"},
      {"attempts": []}, {"attempts": [99]}, {"none": true, "no_duplicates": true}]})", kSigned));
  BOOST_TEST(message_at(errors, "/expect/requests/0/signature") == "is 'yes'; allowed: valid");
  BOOST_TEST(message_at(errors, "/expect/requests/1/no_duplicates") == "must be true");
  for (const char* at : {"/expect/requests/2/ordered_by", "/expect/requests/3/ordered_by"}) {
    BOOST_TEST(message_at(errors, at).find("is not a JSON pointer into the body") != std::string::npos, at);
  }
  BOOST_TEST(message_at(errors, "/expect/requests/4/attempts").find("give at least one") != std::string::npos);
  BOOST_TEST(has(errors, "/expect/requests/5/attempts/0"));
  BOOST_TEST(message_at(errors, "/expect/requests/6/no_duplicates") ==
             "compares the requests that match, so it needs some: not with none, exactly 0, at_most 0 or between [0, 0]");

  auto unsigned_errors = errors_of(scenario(R"({"requests": [{"signature": "valid"}]})"));
  BOOST_TEST(message_at(unsigned_errors, "/expect/requests/0/signature") ==
             "needs an activation with delivery.signing_secret (or _env, _file) to check against");
}

BOOST_AUTO_TEST_CASE(attempts_take_0_for_a_fault_and_bounds_of_0_are_refused_with_checks) {
  auto s = load(scenario(R"({"requests": [{"attempts": [0, 503, 200]}]})"));
  BOOST_TEST(s.requests.at(0).attempts.value() == (std::vector<int>{0, 503, 200}));
  auto errors = errors_of(scenario(R"({"requests": [{"attempts": [99]}, {"attempts": [600]},
      {"at_most": 0, "attempts": [200]}, {"between": [0, 0], "no_duplicates": true}]})"));
  BOOST_TEST(message_at(errors, "/expect/requests/0/attempts/0") == "is an HTTP status 100 to 599, or 0 for a fault");
  BOOST_TEST(has(errors, "/expect/requests/1/attempts/0"));
  BOOST_TEST(message_at(errors, "/expect/requests/2/attempts").find("at_most 0") != std::string::npos);
  BOOST_TEST(has(errors, "/expect/requests/3/no_duplicates"));
}

// A request signed under another key fails; the missing headers are not
// the only thing the check looks at.
BOOST_AUTO_TEST_CASE(a_signature_under_another_key_is_invalid) {
  const std::string key = "journey-sim placeholder!", other = "another key of 24 bytes!";
  webhook_mock::RecordedRequest request;
  request.sequence = 7;
  request.body = R"({"a":1})";
  request.headers = {{"webhook-id", "msg_1"}, {"webhook-timestamp", "1767225600"}};
  const std::string content = "msg_1.1767225600." + request.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
       content.size(), mac, &length);
  request.headers.emplace_back("webhook-signature",
                               "v1," + webhook_mock::base64_encode(std::string(reinterpret_cast<char*>(mac), length)));
  RequestExpectation x;
  x.name = "signed";
  BOOST_TEST(check_signature(x, {request}, {key}).passed);
  const auto wrong = check_signature(x, {request}, {other});
  BOOST_TEST(!wrong.passed);
  BOOST_TEST(wrong.detail == "request #7: no v1 signature matches\n");
  request.body += " ";  // the body changed after signing
  BOOST_TEST(!check_signature(x, {request}, {key}).passed);
}

BOOST_AUTO_TEST_CASE(placeholders_only_where_the_plugin_could_not_judge_otherwise) {
  auto s = load(scenario(R"({})", R"({"signing_secret_env": "JOURNEY_SIM_UNIT_UNSET_1",
                                      "signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})"));
  BOOST_TEST(stand_in_for_unset_variables(s).empty());  // given twice: the plugin says so, as in run
  BOOST_TEST(s.activations[0].config.at("delivery").as_object().contains("signing_secret_env"));
  auto alone = load(scenario(R"({})", R"({"signing_secret_env": "JOURNEY_SIM_UNIT_UNSET_1"})"));
  const auto unset = stand_in_for_unset_variables(alone);
  BOOST_REQUIRE_EQUAL(unset.size(), 1u);
  BOOST_TEST(unset[0].field == "delivery.signing_secret_env");
  BOOST_TEST(alone.activations[0].config.at("delivery").as_object().contains("signing_secret"));
  auto expected = load(scenario(R"({"validation_errors": [{"activation": "x", "field": "delivery.signing_secret_env"}]})",
                                R"({"signing_secret_env": "JOURNEY_SIM_UNIT_UNSET_1"})"));
  BOOST_TEST(stand_in_for_unset_variables(expected).empty());  // the error the scenario expects stays
}

BOOST_AUTO_TEST_CASE(expect_is_required_and_empty_on_purpose) {
  std::vector<ScenarioError> errors;
  const std::string without = R"({"authentications": {}, "activations": {},
    "journey": {"name": "J", "stages": [{"name": "S", "entry": {"event": "e"}}]}})";
  BOOST_TEST(!load_scenario(write_temp("no-expect.json", without), errors));
  BOOST_TEST(message_at(errors, "/expect") ==
             "is required: what the run must show; a scenario that checks nothing says \"expect\": {}");
  BOOST_TEST(load(scenario("{}")).requests.empty());
}

BOOST_AUTO_TEST_SUITE_END()
