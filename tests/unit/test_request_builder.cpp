#include <webhook/rendering/config.hpp>
#include <webhook/rendering/request_builder.hpp>
#include <webhook/delivery/job.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

using namespace webhook;
namespace json = boost::json;

namespace {

Config config_from(json::object activation) {
  json::object c{{"auth", {{"type", "td_webhook_out"}, {"url_prefix", "http://hooks.example.com:8080/v1/"},
                           {"api_key", "KEY-42"}}},
                 {"activation", std::move(activation)}};
  std::vector<ConfigError> errors;
  auto config = parse_config(json::serialize(c), errors);
  BOOST_REQUIRE_MESSAGE(config, (errors.empty() ? "" : errors[0].field + ": " + errors[0].message));
  return std::move(*config);
}

// The record's values as the engine reads them for `config`: valid until
// the next call.
const RecordValues& record(const Config& config, std::string_view text) {
  static RecordReader reader;
  std::string error;
  const RecordValues* values = reader.read(config.record_paths, text, error);
  BOOST_REQUIRE_MESSAGE(values, error);
  return *values;
}

const char* const kRecord =
    R"({"event_id": "e-7", "profile": {"id": "u 1", "tier": "gold"}, "event": {"n": 3}, "journey": {"name": "J", "stage": "S"}})";

}  // namespace

BOOST_AUTO_TEST_SUITE(request_builder)

BOOST_AUTO_TEST_CASE(constant_parts_are_made_once_and_sent_exactly) {
  Config config = config_from({{"name", "welcome"},
                               {"method", "post"},
                               {"url", "http://hooks.example.com:8080/v1/hook"},
                               {"headers", {{"Authorization", "Bearer {{auth.api_key}}"}, {"X-Tier", "{{profile.tier}}"}}},
                               {"body", R"({"id": "{{profile.id}}", "n": {{event.n}}})"}});
  RequestBuilder builder(config);
  Job job;
  builder.build(record(config, kRecord), job);
  BOOST_REQUIRE(job.render_error.empty());
  std::string id;
  append_webhook_id("welcome", "e-7", id);
  // SHA-256 of "welcome\ne-7", its first 16 bytes: the id a receiver saw
  // before must not change under it (retries, restarts, upgrades).
  BOOST_TEST(id == "msg_124ef430658cc01b8a66395d54b733ac");
  BOOST_TEST(job.webhook_id == id);
  BOOST_TEST(job.body == R"({"id": "u 1", "n": 3})");
  BOOST_TEST(job.head == "POST /v1/hook HTTP/1.1\r\nHost: hooks.example.com:8080\r\nUser-Agent: " + config.user_agent +
                             "\r\nContent-Type: application/json\r\nContent-Length: 21\r\nwebhook-id: " + id +
                             "\r\nAuthorization: Bearer KEY-42\r\nX-Tier: gold\r\n");
  BOOST_TEST(job.event_id == "e-7");
  BOOST_TEST(job.journey_name == "J");
  BOOST_TEST(job.journey_stage == "S");
}

BOOST_AUTO_TEST_CASE(a_recycled_job_renders_as_a_fresh_one) {
  Config config = config_from({{"name", "welcome"},
                               {"method", "PUT"},
                               {"url", "http://hooks.example.com:8080/v1/users/{{profile.id}}"},
                               {"headers", {{"X-Tier", "{{profile.tier | default: \"none\"}}"}}},
                               {"body", R"({"id": "{{profile.id}}"})"}});
  RequestBuilder builder(config);
  Job reused;
  builder.build(record(config, R"({"event_id": "a-much-longer-event-id-than-the-next", "profile": {"id": "first-user-id",
                          "tier": "platinum"}, "journey": {"name": "Long journey name", "stage": "Long stage"}})"),
                reused);
  reused.history.push_back({1, 503, ""});
  reused.reset();
  Job fresh;
  builder.build(record(config, kRecord), reused);
  builder.build(record(config, kRecord), fresh);
  BOOST_TEST(reused.head == fresh.head);
  BOOST_TEST(reused.body == fresh.body);
  BOOST_TEST(reused.webhook_id == fresh.webhook_id);
  BOOST_TEST(reused.event_id == fresh.event_id);
  BOOST_TEST(reused.journey_name == fresh.journey_name);
  BOOST_TEST(reused.history.empty());
  BOOST_TEST(fresh.head.rfind("PUT /v1/users/u%201 HTTP/1.1\r\n", 0) == 0u, fresh.head);
}

// reset() must clear every field, not the few a test happens to look at:
// a job that went through everything (rendered, attempted, retried,
// spooled, cut short) and was reset equals a job never used, field by
// field; then both render the same record into the same job, webhook-id
// aside (a fresh random one each time).
BOOST_AUTO_TEST_CASE(a_reset_job_equals_a_fresh_one_whole) {
  Config config = config_from({{"name", "welcome"}, {"method", "POST"},
                               {"url", "http://hooks.example.com:8080/v1/users/{{profile.id}}"},
                               {"body", R"({"id": "{{profile.id}}"})"}});
  RequestBuilder builder(config);
  Job used;
  builder.build(record(config, kRecord), used);
  used.token = 7;
  used.attempt_headers = "webhook-timestamp: 1\r\n";
  used.ordering_key = "u 1";
  used.has_ordering_key = true;
  used.render_error = "x";
  used.attempts = 3;
  used.fresh_connection_retry_used = true;
  used.history.push_back({1, 503, "boom"});
  used.accepted_ns = 1;
  used.attempt_ns = 2;
  used.due_ms = 3;
  used.last_response = "busy";
  used.spool_seq = 4;
  used.cut_short = true;
  used.reset();
  BOOST_TEST((used == Job{}));

  Job fresh;
  builder.build(record(config, kRecord), used);
  builder.build(record(config, kRecord), fresh);
  used.webhook_id = fresh.webhook_id = "msg_same";
  used.head.clear();  // holds the webhook-id
  fresh.head.clear();
  BOOST_TEST((used == fresh));
}

BOOST_AUTO_TEST_CASE(a_record_without_journey_or_event_id_leaves_them_empty) {
  Config config = config_from({{"name", "welcome"}, {"method", "POST"},
                               {"url", "http://hooks.example.com:8080/v1/hook"}, {"body", R"({"x": 1})"}});
  RequestBuilder builder(config);
  Job job;
  builder.build(record(config, kRecord), job);
  job.reset();
  builder.build(record(config, R"({"profile": {}})"), job);
  BOOST_TEST(job.render_error.empty());
  BOOST_TEST(job.event_id.empty());
  BOOST_TEST(job.journey_name.empty());
  BOOST_TEST(job.webhook_id.size() == 36u);  // random: msg_ and 32 hex digits
}

BOOST_AUTO_TEST_CASE(a_record_keeps_the_webhook_id_it_carries) {
  Config config = config_from({{"name", "welcome"}, {"method", "POST"},
                               {"url", "http://hooks.example.com:8080/v1/hook"}, {"body", R"({"x": 1})"}});
  RequestBuilder builder(config);
  Job job;
  builder.build(record(config, R"({"event_id": "e-1", "webhook_id": "msg_first"})"), job);
  BOOST_TEST(job.webhook_id == "msg_first");
  BOOST_TEST(job.head.find("\r\nwebhook-id: msg_first\r\n") != std::string::npos);
  // A record whose own id is not 1 to 256 visible ASCII characters is not
  // accepted at all (OUTPUT_STEP_INVALID): it would go into a header.
  std::string error;
  BOOST_TEST(!RequestBuilder::acceptable(record(config, R"({"webhook_id": "msg_x\r\nX-Injected: 1"})"), error));
  BOOST_TEST(error.find("record: webhook_id has byte 0x0D at offset 5") == 0u, error);
}

BOOST_AUTO_TEST_CASE(a_records_own_webhook_id_is_1_to_256_visible_ascii_characters) {
  Config config = config_from({{"name", "welcome"}, {"method", "POST"},
                               {"url", "http://hooks.example.com:8080/v1/hook"}, {"body", R"({"x": 1})"}});
  std::string error;
  for (const char* id : {"msg_first", "!", "~~~", "msg_2026-01-01T00:00:00Z/a=b"}) {
    BOOST_TEST(RequestBuilder::acceptable(record(config, R"({"webhook_id": ")" + std::string(id) + "\"}"), error), id);
  }
  BOOST_TEST(RequestBuilder::acceptable(record(config, R"({"webhook_id": ")" + std::string(256, 'a') + "\"}"), error));
  BOOST_TEST(RequestBuilder::acceptable(record(config, R"({"event_id": "no id of its own"})"), error));
  const std::pair<std::string, std::string> refused[] = {
      {R"("msg\u0000x")", "byte 0x00 at offset 3"},
      {R"("msg\u001b[31mred")", "byte 0x1B at offset 3"},
      {R"("msg\u007f")", "byte 0x7F at offset 3"},
      {R"("msg x")", "byte 0x20 at offset 3"},
      {R"("msg_\u00e9")", "byte 0xC3 at offset 4"},
      {R"("")", "is 0 bytes long"},
      {"\"" + std::string(257, 'a') + "\"", "is 257 bytes long"},
      {"\"" + std::string(70000, 'a') + "\"", "is 70000 bytes long"},
      {"12", "is not a string"},
      {"null", "is not a string"},
      {"123456789012345678901234567890", "is not a string"},
  };
  for (const auto& [value, reason] : refused) {
    error.clear();
    BOOST_TEST(!RequestBuilder::acceptable(record(config, R"({"webhook_id": )" + value + "}"), error), value);
    BOOST_TEST(error.find(reason) != std::string::npos, error);
    BOOST_TEST(error.find("1 to 256 visible ASCII characters") != std::string::npos, error);
  }
}

BOOST_AUTO_TEST_SUITE_END()
