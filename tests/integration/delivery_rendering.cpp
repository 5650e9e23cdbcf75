// What a request carries: the body at its size limit, hostile values that
// cannot reshape it, missing variables, the Standard Webhooks signature.
#include "integration/delivery_support.hpp"

using namespace delivery_test;

BOOST_AUTO_TEST_SUITE(rendering)

BOOST_AUTO_TEST_CASE(body_size_boundary_250000_bytes) {
  mock::Server server;
  auto c = config_for(server);
  c["activation"].as_object()["body_format"] = "text";
  c["activation"].as_object()["body"] = "{{profile.blob}}";
  std::string dead = temp_path("dead-size.ndjson");
  c["delivery"].as_object()["dead_letter_file"] = dead;
  Fixture f;
  f.start(parse(c));
  f.submit(record(1, R"(, "blob": ")" + std::string(250000, 'a') + "\""), 1);
  f.submit(record(2, R"(, "blob": ")" + std::string(250001, 'a') + "\""), 2);
  BOOST_REQUIRE(f.completions.wait_for(2));
  std::map<std::uint64_t, Completion> by_token;
  for (auto& done : f.completions.all()) by_token[done.token] = done;
  BOOST_TEST((by_token[1].outcome == Outcome::delivered));
  BOOST_TEST((by_token[2].outcome == Outcome::dead_lettered));
  BOOST_TEST(by_token[2].attempts == 0u);
  BOOST_TEST(by_token[2].error.find("250001 bytes; the limit is 250000") != std::string::npos, by_token[2].error);
  auto requests = server.requests();
  BOOST_REQUIRE_EQUAL(requests.size(), 1u);
  BOOST_TEST(requests[0].body.size() == 250000u);
  BOOST_TEST(requests[0].header("Content-Type") == "text/plain; charset=utf-8");
}

BOOST_AUTO_TEST_CASE(hostile_profile_values_cannot_reshape_the_request) {
  mock::Server server;
  Fixture f;
  f.start(parse(config_for(server)));
  // In the URL and body: stays one segment, stays one string.
  f.submit(R"({"event_id": "h1", "profile": {"id": "u1/../../admin?x=1#", "email": "\"}, \"admin\": true, \"x\": {\""},
              "event": {"name": "e"}, "journey": {"name": "J", "stage": "S"}})",
           1);
  // In a header: a CR/LF fails the record before anything is sent.
  f.submit(R"({"event_id": "h2", "profile": {"id": "u2", "email": "a@b", "tier": "gold\r\nX-Admin: yes"},
              "event": {"name": "e"}, "journey": {"name": "J", "stage": "S"}})",
           2);
  BOOST_REQUIRE(f.completions.wait_for(2));
  std::map<std::uint64_t, Completion> by_token;
  for (auto& done : f.completions.all()) by_token[done.token] = done;
  BOOST_TEST((by_token[1].outcome == Outcome::delivered), by_token[1].error);
  BOOST_TEST((by_token[2].outcome == Outcome::failed));
  BOOST_TEST(by_token[2].error.find("control character") != std::string::npos, by_token[2].error);
  auto requests = server.requests();
  BOOST_REQUIRE_EQUAL(requests.size(), 1u);
  BOOST_TEST(requests[0].path == "/v1/users/u1%2F..%2F..%2Fadmin%3Fx%3D1%23");
  BOOST_TEST(requests[0].query.empty());
  auto body = json::parse(requests[0].body).as_object();
  BOOST_TEST(body.size() == 4u);
  BOOST_TEST(!body.contains("admin"));
  for (const auto& [name, value] : requests[0].headers) BOOST_TEST(name != "X-Admin");
}

BOOST_AUTO_TEST_CASE(missing_variable_fails_the_record_unless_defaulted) {
  mock::Server server;
  Fixture f;
  f.start(parse(config_for(server)));
  // No profile.email: the body template has no default for it.
  f.submit(R"({"event_id": "m1", "profile": {"id": "u1"}, "event": {"name": "e"}, "journey": {"name": "J", "stage": "S"}})",
           1);
  // No profile.tier: the header has a default.
  f.submit(record(2), 2);
  BOOST_REQUIRE(f.completions.wait_for(2));
  std::map<std::uint64_t, Completion> by_token;
  for (auto& done : f.completions.all()) by_token[done.token] = done;
  BOOST_TEST((by_token[1].outcome == Outcome::failed));
  BOOST_TEST(by_token[1].error.find("profile.email") != std::string::npos, by_token[1].error);
  BOOST_TEST((by_token[2].outcome == Outcome::delivered));
  BOOST_TEST(server.requests().at(0).header("X-Tier") == "basic");
}

BOOST_AUTO_TEST_CASE(standard_webhooks_signature) {
  mock::Server server;
  // whsec_ + base64("0123456789abcdef0123456789abcdef")
  const std::string secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
  Fixture f;
  f.start(parse(config_for(server, {{"signing_secret", secret}})));
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  auto r = server.requests().at(0);
  std::string content = r.header("webhook-id") + "." + r.header("webhook-timestamp") + "." + r.body;
  std::string key = "0123456789abcdef0123456789abcdef";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
       content.size(), mac, &length);
  std::string expected(4 * ((length + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(expected.data()), mac, static_cast<int>(length));
  BOOST_TEST(r.header("webhook-signature") == "v1," + expected);
}

// A profile id of ".." sent POST /hooks/users/../orders/x/cancel as
// POST /hooks/orders/x/cancel: the record fails instead, dead-lettered, and
// nothing is sent.
BOOST_AUTO_TEST_CASE(a_dot_segment_value_fails_the_record_and_sends_nothing) {
  mock::Server server;
  const std::string dead = temp_path("dead-dot.ndjson");
  auto c = config_for(server, {{"dead_letter_file", dead}});
  c["activation"].as_object()["url"] = server.base_url() + "/v1/users/{{profile.id}}/orders/x/cancel";
  Fixture f;
  f.start(parse(c));
  const std::string rest = R"("email": "a@b.c"}, "event": {"name": "go"}, "journey": {"name": "J", "stage": "S"}})";
  f.submit(R"({"event_id": "e-1", "profile": {"id": "..", )" + rest, 1);
  f.submit(R"({"event_id": "e-2", "profile": {"id": "u2", )" + rest, 2);
  BOOST_REQUIRE(f.completions.wait_for(2));
  for (const auto& done : f.completions.all()) {
    if (done.token == 1) {
      BOOST_TEST((done.outcome == Outcome::dead_lettered));
      BOOST_TEST(done.attempts == 0u);
      BOOST_TEST(done.error.find("activation.url: profile.id renders a dot segment in the URL path") == 0u, done.error);
    } else {
      BOOST_TEST((done.outcome == Outcome::delivered), done.error);
    }
  }
  const auto requests = server.requests();
  BOOST_REQUIRE_EQUAL(requests.size(), 1u);
  BOOST_TEST(requests[0].path == "/v1/users/u2/orders/x/cancel");
}

// A record's own webhook_id went out raw (NUL, ESC, DEL, 70 KB): the record
// is not accepted (OUTPUT_STEP_INVALID), and the batch stops there.
BOOST_AUTO_TEST_CASE(a_record_with_a_webhook_id_that_is_not_visible_ascii_is_invalid) {
  mock::Server server;
  Fixture f;
  f.start(parse(config_for(server)));
  const std::string rest = R"("profile": {"id": "u1", "email": "a@b.c"}, "event": {"name": "go"},)"
                           R"( "journey": {"name": "J", "stage": "S"}})";
  const std::vector<std::string> texts = {R"({"event_id": "e-1", "webhook_id": "msg_ok", )" + rest,
                                          R"({"event_id": "e-2", "webhook_id": "msg_\u001b[2J", )" + rest,
                                          R"({"event_id": "e-3", )" + rest};
  auto views = views_of(texts);
  SubmitStatus status = SubmitStatus::accepted;
  std::string error;
  BOOST_TEST(f.engine->submit_batch(views.data(), views.size(), status, error) == 1u);
  BOOST_TEST((status == SubmitStatus::invalid));
  BOOST_TEST(error.find("webhook_id has byte 0x1B at offset 4") != std::string::npos, error);
  for (const std::string& id : {std::string("msg\\u0000"), std::string("msg\\u007f"), std::string(70000, 'a')}) {
    error.clear();
    BOOST_TEST((f.engine->submit(R"({"webhook_id": ")" + id + R"(", )" + rest, 9, error) ==
                SubmitStatus::invalid));
  }
  BOOST_REQUIRE(f.completions.wait_for(1));
  f.shutdown(1s);
  BOOST_TEST(f.completions.size() == 1u);
  BOOST_REQUIRE_EQUAL(server.requests().size(), 1u);
  BOOST_TEST(server.requests()[0].header("webhook-id") == "msg_ok");
}

// One 200 MB record cost 624 MB of memory: a record over
// delivery.max_record_bytes (1 MiB by default) is refused before it is read.
BOOST_AUTO_TEST_CASE(a_record_over_max_record_bytes_is_invalid) {
  mock::Server server;
  Fixture f;
  f.start(parse(config_for(server, {{"max_record_bytes", 4096}})));
  const std::string padding(4096, 'x');
  const std::string rest = R"(, "email": "a@b.c"}, "event": {"name": "go"}, "journey": {"name": "J", "stage": "S"}})";
  const std::string big = R"({"event_id": "e-1", "profile": {"id": "u1", "pad": ")" + padding + "\"" + rest;
  std::string error;
  BOOST_TEST((f.engine->submit(big, 1, error) == SubmitStatus::invalid));
  BOOST_TEST(error == "record is " + std::to_string(big.size()) + " bytes; delivery.max_record_bytes is 4096");
  const std::string fits = R"({"event_id": "e-2", "profile": {"id": "u2", "pad": ")" + std::string(3900, 'x') + "\"" + rest;
  BOOST_TEST((f.engine->submit(fits, 2, error) == SubmitStatus::accepted));
  BOOST_REQUIRE(f.completions.wait_for(1));
  const auto stats = json::parse(f.engine->stats_json()).as_object();
  BOOST_TEST(stats.at("rejected_invalid").to_number<int>() == 1);
  f.shutdown(1s);
}

// A path or name in the configuration may hold a pasted key: an error the
// engine's creation reports never shows it.
BOOST_AUTO_TEST_CASE(a_creation_error_never_shows_a_secret) {
  mock::Server server;
  auto c = config_for(server, {{"dead_letter_file", std::string("/nonexistent/") + kApiKey + "/dead.ndjson"}});
  try {
    Fixture f;
    f.start(parse(c));
    BOOST_ERROR("a dead-letter file in a directory that does not exist was accepted");
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    BOOST_TEST(message.find(kApiKey) == std::string::npos, message);
    BOOST_TEST(message.find("delivery.dead_letter_file: cannot open '/nonexistent/[REDACTED]/dead.ndjson'") == 0u,
               message);
  }
}

BOOST_AUTO_TEST_SUITE_END()
