// webhook-mock speaking HTTP/1.1 as RFC 9112 says, seen from raw sockets:
// framing it must refuse (400, then close), HTTP/1.0 keep-alive, and
// Expect: 100-continue. ab and curl check the same with real clients
// (tests/external, label `external`).
#define BOOST_TEST_MODULE integration_mock_http
#include "support/raw_connection.hpp"
#include "webhook_mock/server.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

using namespace std::chrono_literals;
namespace mock = webhook_mock;
namespace ts = test_support;

namespace {

// The answer to `request` on a fresh connection, and whether the server
// closed the connection after it.
struct Exchange {
  std::string response;
  bool closed = false;
};

Exchange exchange(std::uint16_t port, const std::string& request) {
  ts::RawConnection connection(port);
  BOOST_REQUIRE(connection.ok());
  BOOST_REQUIRE(connection.send(request));
  Exchange out;
  out.response = connection.read_response(5s);
  connection.read_until("\r\n\r\n", 2s);  // a second answer, or the close
  out.closed = connection.closed();
  return out;
}

}  // namespace

// Framing RFC 9112 refuses: the body's length (so where the next request
// starts) cannot be known, or the request is not HTTP/1.1. Beast took
// `xchunked` with a Content-Length as a Content-Length body, `chunked,
// identity` as no body at all (its chunks then read as a next request),
// and an HTTP/1.1 request without Host.
BOOST_AUTO_TEST_CASE(framing_rfc_9112_refuses_is_400_and_closed) {
  mock::Server server;
  for (const char* request : {
           "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\nContent-Length: 3\r\n\r\nabc",
           "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
           "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
           "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
           "POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
           "GET /a HTTP/1.1\r\n\r\n",
           "GET /a HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
       }) {
    auto answer = exchange(server.port(), request);
    BOOST_TEST(answer.response.starts_with("HTTP/1.1 400 "), request << "\n-> " << answer.response);
    BOOST_TEST(answer.closed, request);
  }
  BOOST_TEST(server.total_received() == 0u);  // nothing refused is journaled
  auto chunked = exchange(server.port(), "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n"
                                         "Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  BOOST_TEST(chunked.response.starts_with("HTTP/1.1 200 "), chunked.response);
  BOOST_REQUIRE_EQUAL(server.requests().size(), 1u);
  BOOST_TEST(server.requests()[0].body == "abc");
  auto http_1_0 = exchange(server.port(), "GET /old HTTP/1.0\r\n\r\n");  // needs no Host
  BOOST_TEST(http_1_0.response.starts_with("HTTP/1.1 200 "), http_1_0.response);
}

// An HTTP/1.0 client keeps its connection only when the answer says
// keep-alive too: ab -k waited for a close that never came.
BOOST_AUTO_TEST_CASE(http_1_0_keep_alive_is_said_and_kept) {
  mock::Server server;
  ts::RawConnection connection(server.port());
  BOOST_REQUIRE(connection.ok());
  for (int i = 0; i < 3; ++i) {
    BOOST_REQUIRE(connection.send("GET /k HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    std::string response = connection.read_response(5s);
    BOOST_TEST(response.starts_with("HTTP/1.1 200 "), response);
    BOOST_TEST(response.find("\r\nConnection: keep-alive\r\n") != std::string::npos, response);
  }
  BOOST_TEST(!connection.closed());
  BOOST_TEST(server.total_received() == 3u);
  auto plain = exchange(server.port(), "GET /k HTTP/1.0\r\n\r\n");  // no keep-alive asked: closed
  BOOST_TEST(plain.response.find("\r\nConnection: close\r\n") != std::string::npos, plain.response);
  BOOST_TEST(plain.closed);
}

// A client that sends `Expect: 100-continue` waits for 100 Continue before
// its body (curl: 1 s, then sends anyway); a body refused for its size gets
// its final status instead, unsent.
BOOST_AUTO_TEST_CASE(expect_100_continue_is_answered_before_the_body) {
  mock::ServerOptions options;
  options.body_limit = 1024;
  mock::Server server(options);
  ts::RawConnection connection(server.port());
  BOOST_REQUIRE(connection.ok());
  BOOST_REQUIRE(connection.send("POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
  const auto started = std::chrono::steady_clock::now();
  std::string interim = connection.read_until("\r\n\r\n", 900ms);
  BOOST_TEST(interim == "HTTP/1.1 100 Continue\r\n\r\n");
  BOOST_TEST((std::chrono::steady_clock::now() - started < 500ms));
  BOOST_REQUIRE(connection.send("hello"));
  std::string response = connection.read_response(5s);
  BOOST_TEST(response.starts_with("HTTP/1.1 200 "), response);
  BOOST_REQUIRE_EQUAL(server.requests().size(), 1u);
  BOOST_TEST(server.requests()[0].body == "hello");

  // The same connection, a body over the limit: 413 at once, and closed.
  BOOST_REQUIRE(connection.send("POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4096\r\n\r\n"));
  response = connection.read_response(900ms);
  BOOST_TEST(response.starts_with("HTTP/1.1 413 "), response);
  connection.read_until("\r\n\r\n", 2s);
  BOOST_TEST(connection.closed());
  BOOST_TEST(server.total_received() == 1u);
}
