// Connections: HTTP and HTTPS, keep-alive and its limits, every framing of a
// response, timeouts, resets, TLS verification, abandoned connections.
#include "integration/delivery_support.hpp"

using namespace delivery_test;

BOOST_AUTO_TEST_SUITE(transport)

BOOST_AUTO_TEST_CASE(http_delivery_reuses_at_most_concurrency_connections) {
  mock::Server server;
  Fixture f;
  f.start(parse(config_for(server, {{"concurrency", 4}})));
  const int n = 300;
  for (int i = 0; i < n; ++i) f.submit(record(i), static_cast<std::uint64_t>(i));
  BOOST_REQUIRE(f.completions.wait_for(n));
  for (const auto& c : f.completions.all()) {
    BOOST_TEST((c.outcome == Outcome::delivered));
    BOOST_TEST(c.http_status == 200);
    BOOST_TEST(c.attempts == 1u);
  }
  BOOST_TEST(server.connections_accepted() <= 4u);
  auto requests = server.requests();
  BOOST_REQUIRE_EQUAL(requests.size(), static_cast<std::size_t>(n));
  const auto& r = requests.front();
  BOOST_TEST(r.method == "POST");
  BOOST_TEST(r.path.rfind("/v1/users/u", 0) == 0u);
  BOOST_TEST(r.header("Authorization") == std::string("Bearer ") + kApiKey);
  BOOST_TEST(r.header("X-Tier") == "basic");
  BOOST_TEST(r.header("Content-Type") == "application/json");
  BOOST_TEST(r.header("webhook-id").rfind("msg_", 0) == 0u);
  BOOST_TEST(!r.header("webhook-timestamp").empty());
  auto body = json::parse(r.body).as_object();
  BOOST_TEST(body.at("journey").as_string() == "Welcome");
  BOOST_TEST(body.at("stage").as_string() == "Day 1");
  auto stats = json::parse(f.engine->stats_json()).as_object();
  BOOST_TEST(stats.at("delivered").to_number<std::uint64_t>() == static_cast<std::uint64_t>(n));
  BOOST_TEST(stats.at("connections_opened").to_number<std::uint64_t>() <= 4u);
  BOOST_TEST(f.engine->stats_json().find(kApiKey) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(https_with_generated_ca_and_a_verification_failure) {
  TrustedHttpsServer https("ca.pem");
  mock::Server& server = https.server;

  Fixture trusted;
  trusted.start(parse(config_for(server, {{"tls", {{"ca_file", https.ca_file}}}})));
  for (int i = 0; i < 20; ++i) trusted.submit(record(i), static_cast<std::uint64_t>(i));
  BOOST_REQUIRE(trusted.completions.wait_for(20));
  for (const auto& c : trusted.completions.all()) BOOST_TEST((c.outcome == Outcome::delivered), c.error);

  // The system trust store does not know the generated CA: permanent, quick.
  Fixture untrusted;
  untrusted.start(parse(config_for(server)));
  auto started = std::chrono::steady_clock::now();
  untrusted.submit(record(1), 1);
  BOOST_REQUIRE(untrusted.completions.wait_for(1));
  auto c = untrusted.completions.all().front();
  BOOST_TEST((c.outcome == Outcome::failed));
  BOOST_TEST(c.attempts == 1u);
  BOOST_TEST(c.error.find("certificate verification failed") != std::string::npos, c.error);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 3s));
}

BOOST_AUTO_TEST_CASE(https_bodies_of_the_largest_size_arrive_whole_and_in_order) {
  // TLS writes a request in pieces (records of 16 KiB at most): every byte
  // must arrive once and in order, twice over on one connection.
  TrustedHttpsServer https("ca-large.pem");
  mock::Server& server = https.server;
  auto c = config_for(server, {{"tls", {{"ca_file", https.ca_file}}}, {"concurrency", 1}});
  c["activation"].as_object()["body_format"] = "text";
  c["activation"].as_object()["body"] = "{{profile.blob}}";
  std::string blob(250000, '\0');
  for (std::size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>('0' + (i * 7 + i / 10) % 10);
  Fixture f;
  f.start(parse(c));
  f.submit(record(1, R"(, "blob": ")" + blob + "\""), 1);
  f.submit(record(2, R"(, "blob": ")" + blob + "\""), 2);
  BOOST_REQUIRE(f.completions.wait_for(2));
  for (const auto& done : f.completions.all()) BOOST_TEST((done.outcome == Outcome::delivered), done.error);
  auto requests = server.requests();
  BOOST_REQUIRE_EQUAL(requests.size(), 2u);
  for (const auto& request : requests) BOOST_TEST((request.body == blob));
  BOOST_TEST(server.connections_accepted() == 1u);
}

BOOST_AUTO_TEST_CASE(tls_verify_false_delivers_to_an_untrusted_server_and_warns) {
  mock::ServerOptions options;
  options.https = true;  // a certificate from a CA nobody trusts
  mock::Server server(options);
  Warnings warned;
  Fixture f;
  f.start(parse(config_for(server, {{"tls", {{"verify", false}}}})), nullptr, warned.hook());
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  BOOST_TEST((f.completions.all().front().outcome == Outcome::delivered), f.completions.all().front().error);
  const auto warnings = warned.get();
  BOOST_REQUIRE(!warnings.empty());
  BOOST_TEST(warnings.front().find("delivery.tls.verify is false") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(read_timeout_is_retried_then_given_up) {
  mock::Server server;
  server.set_responder(answer_after(2500ms));
  auto c = config_for(server);
  c["advanced"] = {{"webhook_retry_count", 1}, {"webhook_read_timeout", 1}};
  Fixture f;
  f.start(parse(c));
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1, 10s));
  auto done = f.completions.all().front();
  BOOST_TEST((done.outcome == Outcome::failed));
  BOOST_TEST(done.attempts == 2u);
  BOOST_TEST(done.error.find("read: timed out") != std::string::npos, done.error);
}

BOOST_AUTO_TEST_CASE(responses_framed_every_way_are_read_and_connections_reused_only_when_safe) {
  // The server closes only where it says so: a client that reused a
  // connection it should have let go would be answered on it, and the
  // count of connections would show it.
  ScriptedServer server({
      // an interim 100, then a chunked body with an extension and a trailer: delivered, kept
      {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
       "4;x=y\r\nokay\r\n0\r\nX-Trailer: 1\r\n\r\n"},
      // a 503 with a body on the same connection: retried there
      {"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nRetry-After: 0\r\n\r\nbusy"},
      // HTTP/1.0 without keep-alive: delivered, and not reused though the server keeps it open
      {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"},
      // a body ended by the close
      {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the close", true},
      // Connection: close, though the server keeps it open
      {"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"},
  });
  Fixture f;
  f.start(parse(config_for_url(server.base_url(), {{"concurrency", 1}})));
  for (int i = 0; i < 5; ++i) {
    f.submit(record(i), static_cast<std::uint64_t>(i));
    BOOST_REQUIRE(f.engine->flush(5s));  // one at a time: the script's order is the records'
  }
  auto all = f.completions.all();
  BOOST_REQUIRE(all.size() == 5u);
  for (const auto& c : all) BOOST_TEST((c.outcome == Outcome::delivered), c.token << ": " << c.error);
  BOOST_TEST(all[0].attempts == 1u);
  BOOST_TEST(all[1].attempts == 2u);  // 503, then the HTTP/1.0 answer
  BOOST_TEST(all[3].http_status == 204);
  BOOST_TEST(server.requests() == 6);
  // 1-3 on the first connection, 4 on a second, 5 on a third, 6 on a fourth.
  BOOST_TEST(server.connections() == 4);
}

BOOST_AUTO_TEST_CASE(connect_timeout_ends_a_connection_that_is_never_accepted) {
  // A listener whose accept queue is full: the kernel drops further SYNs,
  // so a connect hangs until the connect timeout's watchdog ends it.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  BOOST_REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  BOOST_REQUIRE(::listen(listener, 0) == 0);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(100ms);
  auto c = config_for_url("http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)), {{"concurrency", 1}});
  c["advanced"] = {{"webhook_retry_count", 0}, {"webhook_connection_timeout", 1}};
  Fixture f;
  f.start(parse(c));
  auto started = std::chrono::steady_clock::now();
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1, 10s));
  auto elapsed = std::chrono::steady_clock::now() - started;
  auto done = f.completions.all().front();
  BOOST_TEST((done.outcome == Outcome::failed));
  BOOST_TEST(done.error.find("connect: timed out") != std::string::npos, done.error);
  BOOST_TEST(elapsed >= 900ms);
  BOOST_TEST(elapsed < 3s);
  for (int fd : fillers) ::close(fd);
  ::close(listener);
}

BOOST_AUTO_TEST_CASE(connection_reset_is_retried) {
  mock::Server server;
  std::atomic<int> calls{0};
  server.set_responder([&](const mock::RecordedRequest&) {
    mock::Response r;
    if (++calls == 1) r.fault = mock::Fault::connection_reset_by_peer;
    return r;
  });
  Fixture f;
  f.start(parse(config_for(server)));
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  auto c = f.completions.all().front();
  BOOST_TEST((c.outcome == Outcome::delivered), c.error);
  BOOST_TEST(c.attempts == 2u);
}

// The attempts a connection reports, kept for the test to read.
struct RecordingOwner final : ConnectionOwner {
  std::vector<AttemptResult> results;
  void on_attempt_done(const std::shared_ptr<Connection>&, AttemptResult result) override {
    results.push_back(std::move(result));
  }
  void on_idle_closed(const std::shared_ptr<Connection>&) override { ++idle_closed; }
  int idle_closed = 0;
};

BOOST_AUTO_TEST_CASE(an_abandoned_connection_ignores_the_handlers_already_queued) {
  // At shutdown the engine abandons its busy connections. A request just
  // written on a kept-alive connection (Asio sends at once and queues the
  // handler) then has its write handler still to run: it must find nothing
  // to do, and tell the owner nothing. (It read the job it no longer had:
  // a crash at shutdown while responses were arriving.)
  mock::Server server;
  boost::asio::io_context io;
  RecordingOwner owner;
  ConnectionSettings settings;
  settings.host = "127.0.0.1";
  settings.port = server.port();
  auto factory = make_asio_connection_factory(io, settings);
  auto connection = factory->make(owner);
  Request request;
  request.head = "POST /v1/hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n";
  request.body = "{}";
  connection->send(request);
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (owner.results.empty() && std::chrono::steady_clock::now() < give_up) io.run_one_for(100ms);
  BOOST_REQUIRE_EQUAL(owner.results.size(), 1u);
  BOOST_TEST(owner.results[0].status == 200);
  BOOST_REQUIRE(owner.results[0].reusable);

  connection->send(std::move(owner.results[0].request));  // kept alive: written now, its handler queued
  const Request back = connection->abandon();
  BOOST_TEST(back.body == "{}");  // the request comes back to its sender
  io.restart();
  io.poll();  // runs the queued handlers
  BOOST_TEST(owner.results.size() == 1u);
}

// A second response that a server sends on an idle keep-alive connection
// (after a 500) was read as the next request's response: a record was
// reported delivered with 200 when the server had answered it 500. An idle
// connection that becomes readable is closed, never used again.
BOOST_AUTO_TEST_CASE(a_stray_response_on_an_idle_connection_is_never_credited) {
  const std::string error500 = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
  ScriptedServer server({{error500, false, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 50ms}, {error500}});
  auto c = config_for_url(server.base_url(), {{"concurrency", 1}});
  c["delivery"].as_object()["retry"] = {{"initial_backoff_ms", 400}, {"max_backoff_ms", 400}};
  c["advanced"].as_object()["webhook_retry_count"] = 1;
  Fixture f;
  f.start(parse(c));
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  const auto done = f.completions.all().front();
  BOOST_TEST((done.outcome == Outcome::failed), done.error);
  BOOST_TEST(done.http_status == 500);
  BOOST_TEST(done.attempts == 2u);
  BOOST_TEST(server.requests() == 2);
  BOOST_TEST(server.connections() == 2);  // the retry on a fresh connection
}

// Bytes beyond a complete response, in the same read, poison the connection
// too: the next record goes out on a fresh one.
BOOST_AUTO_TEST_CASE(bytes_beyond_a_complete_response_poison_the_connection) {
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  ScriptedServer server({{ok + "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"}, {ok}});
  Fixture f;
  f.start(parse(config_for_url(server.base_url(), {{"concurrency", 1}})));
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  f.submit(record(2), 2);
  BOOST_REQUIRE(f.completions.wait_for(2));
  for (const auto& done : f.completions.all()) BOOST_TEST((done.outcome == Outcome::delivered), done.error);
  BOOST_TEST(server.connections() == 2);
}

namespace {
// webhook-mock over HTTPS with certificates made as `options` say, their CA
// trusted through a configuration's delivery.tls.ca_file when `trusted`.
struct HttpsServerWith {
  HttpsServerWith(const webhook_common::CertificateOptions& options, const std::string& ca_name)
      : certs(webhook_common::generate_certificates(options)), ca_file(temp_path(ca_name)), server(server_options(certs)) {
    std::ofstream(ca_file) << certs.ca_certificate_pem;
  }
  static mock::ServerOptions server_options(const webhook_common::GeneratedCertificates& certs) {
    mock::ServerOptions o;
    o.https = true;
    o.certificate_pem = certs.server_certificate_pem;
    o.private_key_pem = certs.server_key_pem;
    return o;
  }
  webhook_common::GeneratedCertificates certs;
  std::string ca_file;
  mock::Server server;
};

std::string tls_failure(HttpsServerWith& https, bool trust_the_ca) {
  json::object tls;
  if (trust_the_ca) tls["ca_file"] = https.ca_file;
  Fixture f;
  f.start(parse(config_for(https.server, {{"tls", tls}})));
  f.submit(record(1), 1);
  BOOST_REQUIRE(f.completions.wait_for(1));
  const auto done = f.completions.all().front();
  BOOST_TEST((done.outcome == Outcome::failed));
  BOOST_TEST(done.attempts == 1u);  // permanent: no retry storm
  return done.error;
}
}  // namespace

// A certificate check that failed read "unspecified certificate
// verification error" for a name that did not match: each reason in words.
BOOST_AUTO_TEST_CASE(a_certificate_that_fails_verification_says_why) {
  const std::string prefix = "tls handshake: certificate verification failed: ";
  {
    webhook_common::CertificateOptions options;
    options.names = {"hooks.example.com", "10.9.8.7"};
    HttpsServerWith https(options, "ca-mismatch.pem");
    const auto error = tls_failure(https, true);
    BOOST_TEST(error == prefix + "certificate is for hooks.example.com, 10.9.8.7, not 127.0.0.1");
  }
  {
    webhook_common::CertificateOptions options;
    options.not_before_s = -3 * 86400;
    options.not_after_s = -86400;
    HttpsServerWith https(options, "ca-expired.pem");
    const auto error = tls_failure(https, true);
    BOOST_TEST(error.find(prefix + "the certificate of O = webhook-mock, CN = localhost expired on ") == 0u, error);
    BOOST_TEST(error.find(" GMT") != std::string::npos, error);
  }
  {
    webhook_common::CertificateOptions options;
    options.self_signed = true;
    HttpsServerWith https(options, "ca-self.pem");
    const auto error = tls_failure(https, false);
    BOOST_TEST(error == prefix + "the certificate of O = webhook-mock, CN = localhost is self-signed and not trusted "
                                 "(trust it with delivery.tls.ca_file)");
  }
  {
    HttpsServerWith https(webhook_common::CertificateOptions{}, "ca-unknown.pem");
    const auto error = tls_failure(https, false);
    BOOST_TEST(error == prefix + "the certificate of O = webhook-mock, CN = localhost is issued by an unknown CA, "
                                 "O = webhook-mock, CN = webhook-mock test CA (trust it with delivery.tls.ca_file)");
  }
}

BOOST_AUTO_TEST_SUITE_END()
