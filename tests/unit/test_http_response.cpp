#include <webhook/transport/http_response.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

using namespace webhook;
using Progress = ResponseReader::Progress;

namespace {

// Feeds `wire` whole, then again split at every byte boundary, and checks
// that every split gives the same verdict, status and excerpt.
Progress read_all(ResponseReader& reader, const std::string& wire, bool head = false) {
  reader.reset(head);
  Progress whole = reader.feed(wire.data(), wire.size());
  int status = reader.status();
  std::string excerpt = reader.excerpt();
  bool keep_alive = reader.keep_alive();
  for (std::size_t cut = 1; cut < wire.size(); ++cut) {
    ResponseReader split;
    split.reset(head);
    Progress first = split.feed(wire.data(), cut);
    Progress second = first == Progress::error ? first : split.feed(wire.data() + cut, wire.size() - cut);
    BOOST_TEST_CONTEXT("split at " << cut) {
      BOOST_TEST((second == whole));
      BOOST_TEST(split.status() == status);
      BOOST_TEST(split.excerpt() == excerpt);
      BOOST_TEST(split.keep_alive() == keep_alive);
    }
  }
  return whole;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_response)

BOOST_AUTO_TEST_CASE(content_length_response_is_complete_and_reusable) {
  ResponseReader r;
  BOOST_TEST((read_all(r, "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 2\r\n\r\nok") == Progress::complete));
  BOOST_TEST(r.status() == 200);
  BOOST_TEST(r.excerpt() == "ok");
  BOOST_TEST(r.keep_alive());
  BOOST_TEST(r.got_some());
}

BOOST_AUTO_TEST_CASE(partial_body_needs_more) {
  ResponseReader r;
  r.reset();
  std::string wire = "HTTP/1.1 201 Created\r\nContent-Length: 10\r\n\r\n12345";
  BOOST_TEST((r.feed(wire.data(), wire.size()) == Progress::more));
  BOOST_TEST((r.feed("67890", 5) == Progress::complete));
  BOOST_TEST(r.excerpt() == "1234567890");
}

BOOST_AUTO_TEST_CASE(chunked_body_with_extensions_and_trailers) {
  ResponseReader r;
  std::string wire =
      "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: gzip, chunked\r\nRetry-After:  120 \r\n\r\n"
      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n";
  BOOST_TEST((read_all(r, wire) == Progress::complete));
  BOOST_TEST(r.status() == 503);
  BOOST_TEST(r.retry_after() == "120");
  BOOST_TEST(r.excerpt() == "hello world");
  BOOST_TEST(r.keep_alive());
}

BOOST_AUTO_TEST_CASE(header_names_match_in_any_case_and_only_exactly) {
  ResponseReader r;
  std::string wire = "HTTP/1.1 429 Too Many\r\ncontent-LENGTH: 2\r\nCONNECTION: Close\r\nretry-AFTER: 7\r\n"
                     "Content-Lengtx: 999\r\nX-Content-Length: 999\r\nConnection-Extra: keep-alive\r\n\r\nno";
  BOOST_TEST((read_all(r, wire) == Progress::complete));
  BOOST_TEST(r.status() == 429);
  BOOST_TEST(r.excerpt() == "no");
  BOOST_TEST(r.retry_after() == "7");
  BOOST_TEST(!r.keep_alive());
  BOOST_TEST((read_all(r, "HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n") ==
              Progress::complete));
  BOOST_TEST(r.excerpt() == "x");
}

BOOST_AUTO_TEST_CASE(bare_lf_line_endings_are_accepted) {
  ResponseReader r;
  BOOST_TEST((read_all(r, "HTTP/1.1 200 OK\nContent-Length: 3\n\nabc") == Progress::complete));
  BOOST_TEST(r.excerpt() == "abc");
}

BOOST_AUTO_TEST_CASE(interim_responses_are_skipped) {
  ResponseReader r;
  std::string wire = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: 1\r\n\r\n"
                     "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
  BOOST_TEST((read_all(r, wire) == Progress::complete));
  BOOST_TEST(r.status() == 202);
  BOOST_TEST(r.excerpt().empty());
}

BOOST_AUTO_TEST_CASE(no_body_for_head_204_and_304) {
  ResponseReader r;
  BOOST_TEST((read_all(r, "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n") == Progress::complete));
  BOOST_TEST(r.keep_alive());
  BOOST_TEST((read_all(r, "HTTP/1.1 304 Not Modified\r\n\r\n") == Progress::complete));
  BOOST_TEST((read_all(r, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", true) == Progress::complete));
}

BOOST_AUTO_TEST_CASE(connection_close_and_http10_are_not_reused) {
  ResponseReader r;
  BOOST_TEST((read_all(r, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n") == Progress::complete));
  BOOST_TEST(!r.keep_alive());
  BOOST_TEST((read_all(r, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n") == Progress::complete));
  BOOST_TEST(!r.keep_alive());
  BOOST_TEST((read_all(r, "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n") ==
              Progress::complete));
  BOOST_TEST(r.keep_alive());
}

BOOST_AUTO_TEST_CASE(body_until_close_completes_at_eof) {
  ResponseReader r;
  std::string wire = "HTTP/1.1 200 OK\r\n\r\nstreamed";
  BOOST_TEST((read_all(r, wire) == Progress::more));
  BOOST_TEST((r.feed_eof() == Progress::complete));
  BOOST_TEST(r.excerpt() == "streamed");
  BOOST_TEST(!r.keep_alive());
}

BOOST_AUTO_TEST_CASE(eof_before_or_inside_a_response_is_an_error) {
  ResponseReader r;
  r.reset();
  BOOST_TEST((r.feed_eof() == Progress::error));
  BOOST_TEST(!r.got_some());
  BOOST_TEST(r.error() == "read: the connection closed before a response");
  r.reset();
  std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
  BOOST_TEST((r.feed(wire.data(), wire.size()) == Progress::more));
  BOOST_TEST((r.feed_eof() == Progress::error));
  BOOST_TEST(r.got_some());
  BOOST_TEST(r.error() == "read: the connection closed in the middle of the response");
}

BOOST_AUTO_TEST_CASE(excerpt_is_bounded_and_the_rest_is_read) {
  ResponseReader r;
  std::string body(300000, 'x');
  std::string wire = "HTTP/1.1 400 Bad Request\r\nContent-Length: 300000\r\n\r\n" + body;
  r.reset();
  BOOST_TEST((r.feed(wire.data(), wire.size()) == Progress::complete));
  BOOST_TEST(r.excerpt().size() == ResponseReader::kExcerptLimit);
  BOOST_TEST(r.keep_alive());
}

BOOST_AUTO_TEST_CASE(bytes_after_the_response_forbid_reuse) {
  ResponseReader r;
  std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA";
  r.reset();
  BOOST_TEST((r.feed(wire.data(), wire.size()) == Progress::complete));
  BOOST_TEST(r.surplus() == 5u);
  BOOST_TEST(!r.keep_alive());
}

BOOST_AUTO_TEST_CASE(transfer_encoding_with_content_length_is_not_reused) {
  ResponseReader r;
  std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";
  BOOST_TEST((read_all(r, wire) == Progress::complete));
  BOOST_TEST(r.excerpt() == "ok");
  BOOST_TEST(!r.keep_alive());
}

BOOST_AUTO_TEST_CASE(malformed_responses_are_errors_that_say_what) {
  struct Case {
    const char* wire;
    const char* error;
  };
  for (const Case& c : {
           Case{"SSH-2.0-OpenSSH_9.2\r\n\r\n", "response: not an HTTP/1.x status line"},
           Case{"HTTP/1.1 2x0 OK\r\n\r\n", "response: the status code is not three digits"},
           Case{"HTTP/1.1 099 Odd\r\n\r\n", "response: status code 99 is out of range"},
           Case{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "response: Content-Length is not a number"},
           Case{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                "response: conflicting Content-Length headers"},
           Case{"HTTP/1.1 200 OK\r\nX: a\r\n  folded\r\n\r\n", "response: folded header lines are not allowed"},
           Case{"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "response: malformed header line"},
           Case{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "response: a chunk size is not a hex number"},
           Case{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n",
                "response: a chunk does not end where its size says"},
           Case{"HTTP/1.1 101 Switching Protocols\r\n\r\n", "response: 101 Switching Protocols was not asked for"},
           Case{"HTTP/1.1 200 OK\r\n\rX: a\r\n\r\n", "response: malformed header line"},
       }) {
    ResponseReader r;
    r.reset();
    std::string wire = c.wire;
    BOOST_TEST_CONTEXT(c.wire) {
      BOOST_TEST((r.feed(wire.data(), wire.size()) == Progress::error));
      BOOST_TEST(r.error() == c.error);
      BOOST_TEST(!r.keep_alive());
      // The same error however the bytes arrive: a head is judged once it
      // is whole, whether it came in one read or several.
      for (std::size_t cut = 1; cut < wire.size(); ++cut) {
        ResponseReader split;
        split.reset();
        Progress first = split.feed(wire.data(), cut);
        Progress second = first == Progress::error ? first : split.feed(wire.data() + cut, wire.size() - cut);
        BOOST_TEST_CONTEXT("split at " << cut) {
          BOOST_TEST((second == Progress::error));
          BOOST_TEST(split.error() == c.error);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_head_cut_short_leaves_no_status) {
  // Nothing of a head counts until its blank line: a connection closed in
  // the middle of one is an error with no status, not a half-read 200.
  for (std::string wire : {"HTTP/1.1 200 OK\r\nContent-Le", "HTTP/1.1 200 OK\r\nRetry-After: 5\r\n"}) {
    ResponseReader r;
    r.reset();
    BOOST_TEST_CONTEXT(wire) {
      BOOST_TEST((r.feed(wire.data(), wire.size()) == Progress::more));
      BOOST_TEST((r.feed_eof() == Progress::error));
      BOOST_TEST(r.status() == 0);
      BOOST_TEST(r.retry_after().empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(oversized_head_is_refused) {
  ResponseReader r;
  r.reset();
  std::string wire = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(ResponseReader::kHeaderLimit, 'a');
  BOOST_TEST((r.feed(wire.data(), wire.size()) == Progress::error));
  BOOST_TEST(r.error() == "response: the header is larger than 64 KiB");
}

BOOST_AUTO_TEST_CASE(a_reader_is_reusable_across_responses) {
  ResponseReader r;
  std::string first = "HTTP/1.1 503 Busy\r\nRetry-After: 5\r\nContent-Length: 4\r\n\r\nbusy";
  std::string second = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  r.reset();
  BOOST_TEST((r.feed(first.data(), first.size()) == Progress::complete));
  r.reset();
  BOOST_TEST((r.feed(second.data(), second.size()) == Progress::complete));
  BOOST_TEST(r.status() == 200);
  BOOST_TEST(r.retry_after().empty());
  BOOST_TEST(r.excerpt().empty());
}

BOOST_AUTO_TEST_SUITE_END()
