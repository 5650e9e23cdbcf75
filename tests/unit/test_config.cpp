#include <webhook/rendering/config.hpp>
#include "support/scoped_env.hpp"
#include "support/scratch_dir.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>

using namespace webhook;
namespace json = boost::json;

namespace {

json::object base_config() {
  return json::object{
      {"auth", {{"type", "td_webhook_out"}, {"name", "crm"}, {"url_prefix", "https://api.example.com/v1/"},
                {"api_key", "SECRET-KEY-42"}}},
      {"activation",
       {{"name", "welcome"},
        {"method", "post"},
        {"url", "https://api.example.com/v1/users/{{profile.id}}"},
        {"headers", {{"Authorization", "Bearer {{auth.api_key}}"}, {"X-Source", "journey"}}},
        {"body", R"({"email": "{{profile.email}}"})"}}}};
}

std::vector<ConfigError> errors_of(const json::object& config) {
  std::vector<ConfigError> errors;
  auto parsed = parse_config(json::serialize(config), errors);
  BOOST_CHECK_EQUAL(parsed.has_value(), errors.empty());
  return errors;
}

bool has_error(const std::vector<ConfigError>& errors, std::string_view field, std::string_view words = "") {
  for (const auto& e : errors) {
    if (e.field == field && e.message.find(words) != std::string::npos) return true;
  }
  return false;
}

std::string dump(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.field + ": " + e.message + "\n";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(valid_config_with_defaults) {
  std::vector<ConfigError> errors;
  auto c = parse_config(json::serialize(base_config()), errors);
  BOOST_REQUIRE_MESSAGE(c, dump(errors));
  BOOST_TEST(c->method == "POST");
  BOOST_TEST(c->retry_count == 3u);
  BOOST_TEST((c->connect_timeout == std::chrono::seconds(30)));
  BOOST_TEST((c->read_timeout == std::chrono::seconds(30)));
  BOOST_TEST((c->write_timeout == std::chrono::seconds(30)));
  BOOST_TEST(c->concurrency == 64u);
  BOOST_TEST(c->origin_concurrency == 256u);
  BOOST_TEST(c->max_body_bytes == 250000u);
  BOOST_TEST((c->initial_backoff == std::chrono::milliseconds(1000)));
  BOOST_TEST((c->max_backoff == std::chrono::milliseconds(60000)));
  BOOST_TEST(c->tls.verify);
  BOOST_TEST(c->headers.size() == 2u);
  BOOST_TEST(c->endpoint.host == "api.example.com");
  BOOST_TEST(c->endpoint.port == 443);
  BOOST_TEST(c->content_type == "application/json");
}

BOOST_AUTO_TEST_CASE(every_error_at_once_each_naming_its_field) {
  auto c = base_config();
  c["auth"].as_object()["type"] = "oauth2";
  c["activation"].as_object()["method"] = "TRACE";
  c["activation"].as_object()["url"] = "https://evil.net/v1/x";
  c["activation"].as_object()["body"] = "{not json";
  c["advanced"] = {{"webhook_retry_count", -1}, {"webhook_read_timeout", "30"}};
  c["delivery"] = {{"concurrency", 0}, {"surprise", 1}};
  auto errors = errors_of(c);
  BOOST_TEST_MESSAGE(dump(errors));
  BOOST_TEST(has_error(errors, "auth.type", "td_webhook_out"));
  BOOST_TEST(has_error(errors, "activation.method", "GET, POST, PUT, PATCH, DELETE"));
  BOOST_TEST(has_error(errors, "activation.url", "not under the authentication's URL prefix"));
  BOOST_TEST(has_error(errors, "activation.body", "not valid JSON"));
  BOOST_TEST(has_error(errors, "advanced.webhook_retry_count", "allowed: 0 to 20"));
  BOOST_TEST(has_error(errors, "advanced.webhook_read_timeout", "whole number"));
  BOOST_TEST(has_error(errors, "delivery.concurrency", "allowed: 1 to 16384"));
  BOOST_TEST(has_error(errors, "delivery.surprise", "unknown key"));
  BOOST_TEST(errors.size() == 8u);
}

// A shared runtime's limits: up to 16,384 requests in progress per
// activation, and per origin across activations.
BOOST_AUTO_TEST_CASE(concurrency_and_origin_concurrency_reach_16384) {
  auto c = base_config();
  c["delivery"] = {{"concurrency", 16384}, {"origin_concurrency", 16384}};
  std::vector<ConfigError> errors;
  auto parsed = parse_config(json::serialize(c), errors);
  BOOST_REQUIRE_MESSAGE(parsed, dump(errors));
  BOOST_TEST(parsed->concurrency == 16384u);
  BOOST_TEST(parsed->origin_concurrency == 16384u);
  c["delivery"] = {{"concurrency", 16385}, {"origin_concurrency", 0}};
  errors = errors_of(c);
  BOOST_TEST(has_error(errors, "delivery.concurrency", "is 16385; allowed: 1 to 16384"), dump(errors));
  BOOST_TEST(has_error(errors, "delivery.origin_concurrency", "is 0; allowed: 1 to 16384"), dump(errors));
}

// Numbers out of range, whatever their JSON form: a double beyond int64 was
// converted anyway (undefined behaviour; found by fuzz/fuzz_config.cpp), and
// a huge integer was called "not a whole number".
BOOST_AUTO_TEST_CASE(numbers_out_of_range_are_named_as_such) {
  auto c = base_config();
  c["delivery"] = {{"concurrency", 8e37}, {"max_in_flight", 18446744073709551615ull}};
  c["advanced"] = {{"webhook_retry_count", 2.5}, {"webhook_read_timeout", 30.0}, {"webhook_connection_timeout", -9e300}};
  auto errors = errors_of(c);
  BOOST_TEST(has_error(errors, "delivery.concurrency", "is 8e+37; allowed: 1 to 16384"), dump(errors));
  BOOST_TEST(has_error(errors, "delivery.max_in_flight", "is 18446744073709551615; allowed"), dump(errors));
  BOOST_TEST(has_error(errors, "advanced.webhook_retry_count", "whole number"), dump(errors));
  BOOST_TEST(has_error(errors, "advanced.webhook_connection_timeout", "e+300; allowed: 1 to 300"), dump(errors));
  BOOST_TEST(!has_error(errors, "advanced.webhook_read_timeout"), dump(errors));  // 30.0 is whole
  BOOST_TEST(errors.size() == 4u, dump(errors));
}

BOOST_AUTO_TEST_CASE(every_prefix_bypass_is_refused_at_validation) {
  for (const char* url : {"https://api.example.com.evil.net/v1/x", "https://api.example.com@evil.net/v1/x",
                          "https://api.example.com/v1/../admin", "https://api.example.com/v10/x",
                          "http://api.example.com/v1/x", "https://api.example.com:8443/v1/x",
                          "https://api.example.com/v1/%2e%2e/admin", "https://api.example.com/v1\\..\\admin",
                          "https://api.example.com./v1/x"}) {
    auto c = base_config();
    c["activation"].as_object()["url"] = url;
    BOOST_TEST(has_error(errors_of(c), "activation.url"), url);
  }
  auto c = base_config();
  c["activation"].as_object()["url"] = "https://API.example.com:443/v1/x";
  BOOST_TEST(errors_of(c).empty());
}

BOOST_AUTO_TEST_CASE(template_variable_in_host_or_port_is_refused) {
  for (const char* url : {"https://{{profile.host}}/v1/x", "https://api.example.com:{{profile.port}}/v1/x",
                          "{{profile.scheme}}://api.example.com/v1/x"}) {
    auto c = base_config();
    c["activation"].as_object()["url"] = url;
    BOOST_TEST(has_error(errors_of(c), "activation.url", "scheme, host or port"), url);
  }
}

BOOST_AUTO_TEST_CASE(header_rules) {
  auto with_headers = [](json::value headers) {
    auto c = base_config();
    c["activation"].as_object()["headers"] = std::move(headers);
    return errors_of(c);
  };
  json::object h32, h33;
  for (int i = 0; i < 33; ++i) {
    if (i < 32) h32["X-H" + std::to_string(i)] = "v";
    h33["X-H" + std::to_string(i)] = "v";
  }
  BOOST_TEST(with_headers(h32).empty());
  BOOST_TEST(has_error(with_headers(h33), "activation.headers", "at most 32"));
  BOOST_TEST(has_error(with_headers(json::array{{{"name", "X-A"}, {"value", "1"}}, {{"name", "x-a"}, {"value", "2"}}}),
                       "activation.headers[1].name", "duplicate header 'x-a'"));
  for (const char* owned : {"Host", "content-length", "Transfer-Encoding", "Connection", "webhook-id",
                            "Webhook-Timestamp", "webhook-signature"}) {
    BOOST_TEST(has_error(with_headers(json::object{{owned, "x"}}), std::string("activation.headers.") + owned,
                         "set by the step itself"),
               owned);
  }
  BOOST_TEST(has_error(with_headers(json::object{{"Bad Name", "x"}}), "activation.headers.Bad Name", "HTTP token"));
  BOOST_TEST(has_error(with_headers(json::object{{"X-A", "a\r\nX-B: 1"}}), "activation.headers.X-A", "control"));
  BOOST_TEST(has_error(with_headers(json::object{{"X-A", "{{nope.x}}"}}), "activation.headers.X-A", "unknown variable"));
  BOOST_TEST(has_error(with_headers(json::value("x")), "activation.headers", "must be an object"));
}

BOOST_AUTO_TEST_CASE(methods_are_case_insensitive) {
  for (const char* m : {"get", "Post", "PUT", "patch", "delete"}) {
    auto c = base_config();
    c["activation"].as_object()["method"] = m;
    BOOST_TEST(errors_of(c).empty(), m);
  }
}

BOOST_AUTO_TEST_CASE(original_export_json_form_is_accepted) {
  json::object c{{"auth", base_config()["auth"]},
                 {"activation",
                  {{"name", "orig"},
                   {"exportJson",
                    R"({"method": "put", "url": "https://api.example.com/v1/x", "headers": [{"name": "X-K", "value": "{{auth.api_key}}"}], "body": "{}"})"},
                   {"exportAdvancedJson", {{"webhook_retry_count", 5}, {"webhook_connection_timeout", 10}}}}}};
  std::vector<ConfigError> errors;
  auto parsed = parse_config(json::serialize(c), errors);
  BOOST_REQUIRE_MESSAGE(parsed, dump(errors));
  BOOST_TEST(parsed->method == "PUT");
  BOOST_TEST(parsed->retry_count == 5u);
  BOOST_TEST((parsed->connect_timeout == std::chrono::seconds(10)));
  BOOST_TEST(parsed->headers.size() == 1u);
}

BOOST_AUTO_TEST_CASE(api_key_sources) {
  auto c = base_config();
  c["auth"].as_object().erase("api_key");
  BOOST_TEST(has_error(errors_of(c), "auth.api_key", "uses {{auth.api_key}}"));

  test_support::ScopedEnv key("WEBHOOK_TEST_KEY", "from-env");
  c["auth"].as_object()["api_key_env"] = "WEBHOOK_TEST_KEY";
  std::vector<ConfigError> errors;
  BOOST_TEST(parse_config(json::serialize(c), errors)->api_key == "from-env");

  test_support::ScopedEnv unset("WEBHOOK_TEST_KEY_UNSET", nullptr);
  c["auth"].as_object()["api_key_env"] = "WEBHOOK_TEST_KEY_UNSET";
  BOOST_TEST(has_error(errors_of(c), "auth.api_key_env", "not set"));

  c["auth"].as_object().erase("api_key_env");
  std::string path = (test_support::scratch_dir("webhook-unit") / "config_test_api_key.txt").string();
  std::ofstream(path) << "from-file\n";
  c["auth"].as_object()["api_key_file"] = path;
  errors.clear();
  BOOST_TEST(parse_config(json::serialize(c), errors)->api_key == "from-file");

  c["auth"].as_object()["api_key"] = "both";
  BOOST_TEST(has_error(errors_of(c), "auth.api_key", "only one"));
}

// A secret file holds the secret alone: a device or a FIFO named by mistake
// (/dev/zero, /dev/stdin) would be read forever or block; a huge file would
// be read whole into memory.
BOOST_AUTO_TEST_CASE(secret_files_are_small_regular_files) {
  auto c = base_config();
  c["auth"].as_object().erase("api_key");
  c["auth"].as_object()["api_key_file"] = "/dev/zero";
  BOOST_TEST(has_error(errors_of(c), "auth.api_key_file", "not a regular file"), dump(errors_of(c)));
  c["auth"].as_object()["api_key_file"] = ".";
  BOOST_TEST(has_error(errors_of(c), "auth.api_key_file", "not a regular file"));

  std::string path = (test_support::scratch_dir("webhook-unit") / "config_test_big_key.txt").string();
  std::ofstream(path) << std::string(64 * 1024 + 1, 'k');
  c["auth"].as_object()["api_key_file"] = path;
  BOOST_TEST(has_error(errors_of(c), "auth.api_key_file", "larger than 64 KiB"), dump(errors_of(c)));
  std::ofstream(path) << std::string(64 * 1024, 'k') << "\n";
  std::vector<ConfigError> errors;
  auto parsed = parse_config(json::serialize(c), errors);
  BOOST_REQUIRE_MESSAGE(parsed, dump(errors));
  BOOST_TEST(parsed->api_key.size() == 64u * 1024);
  std::ofstream(path) << std::string(64 * 1024, 'k') << "\n\nmore";  // the bound falls on the newlines
  BOOST_TEST(has_error(errors_of(c), "auth.api_key_file", "larger than 64 KiB"));
  std::remove(path.c_str());

  auto d = base_config();
  d["delivery"] = {{"signing_secret_file", "/dev/zero"}};
  BOOST_TEST(has_error(errors_of(d), "delivery.signing_secret_file", "not a regular file"));
}

BOOST_AUTO_TEST_CASE(errors_never_contain_the_api_key) {
  auto c = base_config();
  c["activation"].as_object()["url"] = "https://elsewhere.example/{{auth.api_key}}";
  c["activation"].as_object()["headers"] = {{"X-Key", "SECRET-KEY-42\n"}};
  auto errors = errors_of(c);
  BOOST_TEST(!errors.empty());
  BOOST_TEST(dump(errors).find("SECRET-KEY-42") == std::string::npos);
}

// The signing secret as well, in the field too (found by fuzz/fuzz_config.cpp:
// the API key was redacted, the signing secret came back as pasted).
BOOST_AUTO_TEST_CASE(errors_never_contain_the_signing_secret) {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  auto c = base_config();
  c["activation"].as_object()["url"] = "https://elsewhere.example/?sig=" + secret;
  c["activation"].as_object()["headers"] = {{"X-Sig", secret + "\n"}};
  c["delivery"] = {{"signing_secret", secret}, {secret, 1}};
  auto errors = errors_of(c);
  BOOST_TEST(errors.size() >= 2u);
  BOOST_TEST(dump(errors).find(secret) == std::string::npos, dump(errors));
  BOOST_TEST(dump(errors).find("[REDACTED]") != std::string::npos);

  // A key too short to tell from the schema's words leaves the fields alone
  // (they are what scripts match on); messages are still redacted.
  auto d = base_config();
  d["auth"].as_object()["api_key"] = "k";
  d["advanced"] = {{"webhook_retry_count", 99}};
  auto short_key = errors_of(d);
  BOOST_TEST(has_error(short_key, "advanced.webhook_retry_count"), dump(short_key));
}

// A key that the redaction mark itself contains ("E" is in "[REDACTED]")
// is replaced once per occurrence: the replacing used to search the text it
// had just written, and validation never returned.
BOOST_AUTO_TEST_CASE(a_key_inside_the_redaction_mark_does_not_loop) {
  auto c = base_config();
  c["auth"].as_object()["api_key"] = "E";
  c["activation"].as_object()["method"] = "TRACE";  // an error whose message has an E
  auto errors = errors_of(c);
  BOOST_TEST(has_error(errors, "activation.method"), dump(errors));
}

BOOST_AUTO_TEST_CASE(retry_schedule_max_age_and_statuses) {
  auto c = base_config();
  c["delivery"] = {{"retry", {{"schedule", {"5s", "5m", "30m", "2h", "5h", "10h", "14h", "20h", "24h"}},
                              {"max_age", "72h"},
                              {"on_status", {404, 409}}}}};
  std::vector<ConfigError> errors;
  auto parsed = parse_config(json::serialize(c), errors);
  BOOST_REQUIRE_MESSAGE(parsed, dump(errors));
  BOOST_TEST(parsed->retry_count == 9u);  // the schedule's length
  BOOST_REQUIRE_EQUAL(parsed->retry_schedule.size(), 9u);
  BOOST_TEST((parsed->retry_schedule[0] == std::chrono::seconds(5)));
  BOOST_TEST((parsed->retry_schedule[3] == std::chrono::hours(2)));
  BOOST_TEST((parsed->retry_max_age == std::chrono::hours(72)));
  BOOST_TEST((parsed->retry_on_status == std::vector<int>{404, 409}));
  auto none = parse_config(json::serialize(base_config()), errors);
  BOOST_REQUIRE(none);
  BOOST_TEST(none->retry_schedule.empty());
  BOOST_TEST((none->retry_max_age == std::chrono::milliseconds(0)));  // no limit
}

BOOST_AUTO_TEST_CASE(retry_policy_refusals_name_the_field) {
  auto c = base_config();
  c["advanced"] = {{"webhook_retry_count", 5}};
  c["delivery"] = {{"retry", {{"schedule", {"5s", "5x", "31d", 7, "99999999999999999999h"}}, {"initial_backoff_ms", 10},
                              {"max_age", "0s"}, {"on_status", {404, 204, 100, 600, "409"}}}}};
  auto errors = errors_of(c);
  BOOST_TEST_MESSAGE(dump(errors));
  BOOST_TEST(has_error(errors, "delivery.retry.schedule", "cannot be given with advanced.webhook_retry_count"));
  BOOST_TEST(has_error(errors, "delivery.retry.schedule", "replaces the exponential backoff"));
  BOOST_TEST(has_error(errors, "delivery.retry.schedule[1]", "is '5x': not a duration (a whole number and a unit"));
  BOOST_TEST(has_error(errors, "delivery.retry.schedule[2]", "allowed: 0s to 30d"));
  BOOST_TEST(has_error(errors, "delivery.retry.schedule[3]"));
  BOOST_TEST(has_error(errors, "delivery.retry.schedule[4]", "allowed: 0s to 30d"));
  BOOST_TEST(has_error(errors, "delivery.retry.max_age", "allowed: 1s to 30d"));
  BOOST_TEST(has_error(errors, "delivery.retry.on_status[1]", "a 2xx is a delivery"));
  BOOST_TEST(has_error(errors, "delivery.retry.on_status[2]", "is 100; allowed: 300 to 599"));
  BOOST_TEST(has_error(errors, "delivery.retry.on_status[3]", "is 600; allowed: 300 to 599"));
  BOOST_TEST(has_error(errors, "delivery.retry.on_status[4]"));
  BOOST_TEST(!has_error(errors, "delivery.retry.on_status[0]"));

  auto empty = base_config();
  empty["delivery"] = {{"retry", {{"schedule", json::array{}}}}};
  BOOST_TEST(has_error(errors_of(empty), "delivery.retry.schedule", "has 0 waits; allowed: 1 to 50"));
  // The count in exportAdvancedJson is refused as well, by its own name.
  auto exported = base_config();
  exported["exportAdvancedJson"] = R"({"webhook_retry_count": 2})";
  exported["delivery"] = {{"retry", {{"schedule", {"1m"}}}}};
  BOOST_TEST(has_error(errors_of(exported), "delivery.retry.schedule", "exportAdvancedJson.webhook_retry_count"));
}

BOOST_AUTO_TEST_CASE(circuit_breaker_and_disable_on_410) {
  auto c = base_config();
  c["delivery"] = {{"circuit_breaker", json::object{}}, {"disable_on_410", true}};
  std::vector<ConfigError> errors;
  auto parsed = parse_config(json::serialize(c), errors);
  BOOST_REQUIRE_MESSAGE(parsed, dump(errors));
  BOOST_REQUIRE(parsed->circuit_breaker.has_value());
  BOOST_TEST(parsed->circuit_breaker->consecutive_failures == 5u);
  BOOST_TEST((parsed->circuit_breaker->cooldown == std::chrono::seconds(30)));
  BOOST_TEST((parsed->circuit_breaker->max_cooldown == std::chrono::minutes(10)));
  BOOST_TEST(parsed->disable_on_410);
  auto plain = parse_config(json::serialize(base_config()), errors);
  BOOST_REQUIRE(plain);
  BOOST_TEST(!plain->circuit_breaker.has_value());  // off unless asked for
  BOOST_TEST(!plain->disable_on_410);

  auto bad = base_config();
  bad["delivery"] = {{"circuit_breaker", {{"consecutive_failures", 0}, {"cooldown_ms", 60000}, {"max_cooldown_ms", 1000},
                                          {"half_open", 1}}},
                     {"disable_on_410", "yes"}};
  auto refused = errors_of(bad);
  BOOST_TEST_MESSAGE(dump(refused));
  BOOST_TEST(has_error(refused, "delivery.circuit_breaker.consecutive_failures", "1 to 1000"));
  BOOST_TEST(has_error(refused, "delivery.circuit_breaker.max_cooldown_ms", "at least cooldown_ms (60000)"));
  BOOST_TEST(has_error(refused, "delivery.circuit_breaker.half_open"));
  BOOST_TEST(has_error(refused, "delivery.disable_on_410", "true or false"));
}

BOOST_AUTO_TEST_CASE(delivery_settings) {
  auto c = base_config();
  c["delivery"] = {{"concurrency", 8},
                   {"max_in_flight", 100},
                   {"retry", {{"initial_backoff_ms", 10}, {"max_backoff_ms", 5}}},
                   {"ordering_key", "static"},
                   {"rate_limit_per_second", 0},
                   {"max_body_bytes", 250001},
                   {"busy_poll_us", 10001},
                   {"signing_secret", "not-whsec"},
                   {"tls", {{"ca_file", "/nonexistent/ca.pem"}, {"verify", "yes"}}}};
  auto errors = errors_of(c);
  BOOST_TEST_MESSAGE(dump(errors));
  BOOST_TEST(has_error(errors, "delivery.retry.max_backoff_ms", "at least initial_backoff_ms"));
  BOOST_TEST(has_error(errors, "delivery.ordering_key", "no variable"));
  BOOST_TEST(has_error(errors, "delivery.rate_limit_per_second"));
  BOOST_TEST(has_error(errors, "delivery.max_body_bytes", "1 to 250000"));
  BOOST_TEST(has_error(errors, "delivery.busy_poll_us", "0 to 10000"));
  BOOST_TEST(has_error(errors, "delivery.signing_secret", "whsec_"));
  BOOST_TEST(has_error(errors, "delivery.tls.ca_file", "cannot read"));
  BOOST_TEST(has_error(errors, "delivery.tls.verify", "true or false"));
}

BOOST_AUTO_TEST_CASE(not_json_or_not_object) {
  std::vector<ConfigError> errors;
  BOOST_TEST(!parse_config("{", errors));
  BOOST_TEST(errors.back().message.find("not valid JSON") != std::string::npos);
  BOOST_TEST(!parse_config("[]", errors));
  errors.clear();
  BOOST_TEST(!parse_config("{}", errors));
  BOOST_TEST(has_error(errors, "auth", "required"));
  BOOST_TEST(has_error(errors, "activation", "required"));
}

// Every malformed secret was accepted and turned signing off in silence:
// validation and creation decode it with one function, and a secret that
// does not decode to 24 to 512 bytes is refused, naming the field, without
// echoing the secret.
BOOST_AUTO_TEST_CASE(a_signing_secret_that_does_not_decode_is_refused) {
  const std::string key24 = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz";  // base64 of 24 bytes
  const std::pair<std::string, std::string> refused[] = {
      {"whsec_!!notbase64!!", "is not valid base64"},
      {"whsec_", "decodes to 0 bytes"},
      {"whsec_====", "is not valid base64"},
      {"whsec_MDEyMzQ1Njc4OTAxMjM0NTY3ODkw", "decodes to 21 bytes"},
      {"whsec_MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMQ", "is not valid base64"},  // unpadded
      {"whsec_MDEyMzQ1Njc4 OTAxMjM0NTY3ODkwMTIz", "is not valid base64"},
      {"whsec_MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz\n", "is not valid base64"},
      {"whsec_" + std::string(688, 'A'), "decodes to 516 bytes"},
      {"not-whsec", "must be a Standard Webhooks secret"},
      {"", "must be a Standard Webhooks secret"},
  };
  for (const auto& [secret, words] : refused) {
    auto c = base_config();
    c["delivery"] = {{"signing_secret", secret}};
    auto errors = errors_of(c);
    BOOST_TEST(has_error(errors, "delivery.signing_secret", words), secret << ": " << dump(errors));
    BOOST_TEST(has_error(errors, "delivery.signing_secret", "24 to 512 bytes"), dump(errors));
    if (secret.size() > 12) BOOST_TEST(dump(errors).find(secret.substr(6)) == std::string::npos, dump(errors));
  }
  auto c = base_config();
  c["delivery"] = {{"signing_secret", "whsec_" + key24}};
  std::vector<ConfigError> errors;
  auto parsed = parse_config(json::serialize(c), errors);
  BOOST_REQUIRE_MESSAGE(parsed, dump(errors));
  BOOST_TEST(parsed->signing_key == "012345678901234567890123");
}

// A prefix's query or fragment was dropped in silence (and every URL
// matched it): refused, saying why.
BOOST_AUTO_TEST_CASE(a_url_prefix_with_a_query_or_fragment_is_refused) {
  for (const char* prefix : {"https://api.example.com/v1/?tenant=a", "https://api.example.com/v1/#x"}) {
    auto c = base_config();
    c["auth"].as_object()["url_prefix"] = prefix;
    auto errors = errors_of(c);
    BOOST_TEST(has_error(errors, "auth.url_prefix", "matched on scheme, host, port and path only"), dump(errors));
  }
}

// Where the JSON goes wrong, by line and column; bytes that are not UTF-8
// named as such ("syntax error" said neither).
BOOST_AUTO_TEST_CASE(json_errors_name_the_line_and_column) {
  std::vector<ConfigError> errors;
  BOOST_TEST(!parse_config("{\n  \"auth\": {\n    \"type\": ,\n  }\n}", errors));
  BOOST_REQUIRE(!errors.empty());
  BOOST_TEST(errors.back().message.find("not valid JSON") != std::string::npos, errors.back().message);
  BOOST_TEST(errors.back().message.find("at line 3, column 13") != std::string::npos, errors.back().message);
  errors.clear();
  BOOST_TEST(!parse_config("{\"auth\": {\"name\": \"caf\xC3\"}}", errors));
  BOOST_REQUIRE(!errors.empty());
  BOOST_TEST(errors.back().message == "configuration is not valid UTF-8: byte 0xC3 at line 1, column 23");
  errors.clear();
  BOOST_TEST(!parse_config("{} {}", errors));
  BOOST_TEST(errors.back().message.find("at line 1, column 4") != std::string::npos, errors.back().message);
}

// The key pasted where an error echoes it, in the form the parser made of it
// (the method is upper-cased) or a template would (urlencode, json, lower):
// redacted in every form.
BOOST_AUTO_TEST_CASE(a_secret_is_redacted_in_every_form_an_error_could_show) {
  const std::string key = "Sk_Live Key/\"42\"";
  auto c = base_config();
  c["auth"].as_object()["api_key"] = key;
  c["activation"].as_object()["method"] = key;
  c["activation"].as_object()["body_format"] = "Sk_Live%20Key%2F%2242%22";
  c["activation"].as_object()["url"] = "https://api.example.com/v2/{{profile.id}}?k=sk_live key/\"42\"";
  c["delivery"] = {{"user_agent", std::string("SK_LIVE KEY/\\\"42\\\"\x01")}};
  auto errors = errors_of(c);
  const std::string all = dump(errors);
  BOOST_TEST(has_error(errors, "activation.method", "[REDACTED]"), all);
  for (const std::string& form : {key, std::string("SK_LIVE KEY/\"42\""), std::string("sk_live key/\"42\""),
                                 std::string("Sk_Live%20Key%2F%2242%22"), std::string("Sk_Live Key/\\\"42\\\"")}) {
    BOOST_TEST(all.find(form) == std::string::npos, form << " in " << all);
  }
}

BOOST_AUTO_TEST_CASE(max_record_bytes_bounds) {
  auto c = base_config();
  c["delivery"] = {{"max_record_bytes", 1023}};
  BOOST_TEST(has_error(errors_of(c), "delivery.max_record_bytes", "1024 to 16777216"));
  c["delivery"] = {{"max_record_bytes", 16777217}};
  BOOST_TEST(has_error(errors_of(c), "delivery.max_record_bytes", "1024 to 16777216"));
  std::vector<ConfigError> errors;
  BOOST_TEST(parse_config(json::serialize(base_config()), errors)->max_record_bytes == 1048576u);
  c["delivery"] = {{"max_record_bytes", 16777216}};
  BOOST_TEST(parse_config(json::serialize(c), errors)->max_record_bytes == 16777216u);
}

BOOST_AUTO_TEST_SUITE_END()
