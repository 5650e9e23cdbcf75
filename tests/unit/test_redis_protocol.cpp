#include "output_runner/consume.hpp"
#include "output_runner/consumer_group.hpp"
#include "output_runner/redis_connection.hpp"
#include "output_runner/resp.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using output_runner::parse_redis_url;
using output_runner::resp::Parser;
using output_runner::resp::Reply;

namespace {

Parser::Result parse(const std::string& data, Reply& reply, std::size_t& used, std::string& error,
                     output_runner::resp::Limits limits = {}) {
  Parser parser(limits);
  return parser.parse(data, reply, used, error);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(redis_protocol)

BOOST_AUTO_TEST_CASE(commands_are_arrays_of_bulk_strings) {
  std::string out;
  output_runner::resp::encode({"XADD", "s", "*", "record", "{\"a\":\"\r\n\"}"}, out);
  BOOST_TEST(out == "*5\r\n$4\r\nXADD\r\n$1\r\ns\r\n$1\r\n*\r\n$6\r\nrecord\r\n$10\r\n{\"a\":\"\r\n\"}\r\n");
}

BOOST_AUTO_TEST_CASE(every_reply_type_is_read) {
  const std::string data = "*6\r\n+OK\r\n-ERR no\r\n:-42\r\n$3\r\na\r\n\r\n$-1\r\n*1\r\n*-1\r\n";
  Reply reply;
  std::size_t used = 0;
  std::string error;
  BOOST_REQUIRE(parse(data, reply, used, error) == Parser::Result::complete);
  BOOST_TEST(used == data.size());
  BOOST_REQUIRE(reply.elements.size() == 6u);
  BOOST_TEST(reply.elements[0].str() == "OK");
  BOOST_TEST(reply.elements[1].is_error());
  BOOST_TEST(reply.elements[1].text == "ERR no");
  BOOST_TEST(reply.elements[2].integer == -42);
  BOOST_TEST(reply.elements[3].str() == "a\r\n");  // a bulk string holds any bytes
  BOOST_TEST(reply.elements[4].is_nil());
  BOOST_TEST(reply.elements[5].elements[0].is_nil());
}

BOOST_AUTO_TEST_CASE(a_reply_split_anywhere_is_incomplete_until_its_last_byte) {
  const std::string data = "*2\r\n$5\r\nhello\r\n:7\r\n";
  for (std::size_t cut = 0; cut < data.size(); ++cut) {
    Reply reply;
    std::size_t used = 0;
    std::string error;
    BOOST_TEST((parse(data.substr(0, cut), reply, used, error) == Parser::Result::incomplete), "cut at " << cut);
  }
  Reply reply;
  std::size_t used = 0;
  std::string error;
  BOOST_TEST((parse(data + "+next\r\n", reply, used, error) == Parser::Result::complete));
  BOOST_TEST(used == data.size());  // the next reply is left for the next parse
}

BOOST_AUTO_TEST_CASE(a_large_bulk_says_how_many_bytes_it_needs) {
  Parser parser;
  Reply reply;
  std::size_t used = 0;
  std::string error;
  BOOST_REQUIRE(parser.parse("$100000\r\nabc", reply, used, error) == Parser::Result::incomplete);
  BOOST_TEST(parser.wanted() == 9u + 100000u + 2u);
}

BOOST_AUTO_TEST_CASE(hostile_replies_are_refused_with_a_reason) {
  output_runner::resp::Limits limits;
  limits.max_bulk_bytes = 1000;
  limits.max_array_elements = 10;
  limits.max_depth = 3;
  for (const auto& [data, why] : std::initializer_list<std::pair<std::string, std::string>>{
           {"$1001\r\n", "a bulk string over the limit"},
           {"*11\r\n", "an array over the limit"},
           {"*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", "arrays nested too deep"},
           {":12x\r\n", "an integer reply that is not a number"},
           {"$-2\r\n", "a bulk length that is not a length"},
           {"$3\r\nabcde\r\n", "a bulk string without its end"},
           {"!oops\r\n", "a reply of unknown type"}}) {
    Reply reply;
    std::size_t used = 0;
    std::string error;
    BOOST_TEST((parse(data, reply, used, error, limits) == Parser::Result::invalid), data);
    BOOST_TEST(error == why);
  }
}

BOOST_AUTO_TEST_CASE(an_array_claiming_millions_of_elements_allocates_nothing_before_they_arrive) {
  Reply reply;
  std::size_t used = 0;
  std::string error;
  BOOST_TEST((parse("*16000000\r\n:1\r\n", reply, used, error) == Parser::Result::incomplete));
  BOOST_TEST(reply.elements.capacity() == 0u);
}

BOOST_AUTO_TEST_CASE(urls_plain_tls_ipv6_database_and_user) {
  std::string error;
  auto url = parse_redis_url("redis://127.0.0.1:16379/2", error);
  BOOST_REQUIRE(url.has_value());
  BOOST_TEST(!url->tls);
  BOOST_TEST(url->host == "127.0.0.1");
  BOOST_TEST(url->port == 16379);
  BOOST_TEST(url->db == 2);
  url = parse_redis_url("rediss://runner@[::1]", error);
  BOOST_REQUIRE(url.has_value());
  BOOST_TEST(url->tls);
  BOOST_TEST(url->host == "::1");
  BOOST_TEST(url->port == 6379);
  BOOST_TEST(url->user == "runner");
  BOOST_TEST(url->text() == "rediss://runner@[::1]:6379");
}

BOOST_AUTO_TEST_CASE(bad_urls_say_what_is_allowed_and_never_echo_a_password) {
  for (const auto& [text, why] : std::initializer_list<std::pair<std::string, std::string>>{
           {"http://h:1", "not a redis:// or rediss:// URL"},
           {"redis://:1", "no host"},
           {"redis://h:0", "the port is not 1 to 65535"},
           {"redis://h:65536", "the port is not 1 to 65535"},
           {"redis://h/x", "the database is not a number"},
           {"redis://[::1", "an IPv6 host without its ']'"}}) {
    std::string error;
    BOOST_TEST(!parse_redis_url(text, error).has_value(), text);
    BOOST_TEST(error.find(why) != std::string::npos, error);
    BOOST_TEST(error.find("allowed: redis://") != std::string::npos, error);
  }
  std::string error;
  BOOST_TEST(!parse_redis_url("redis://user:s3cr3t-pw@h:1", error).has_value());
  BOOST_TEST(error.find("REDIS_PASSWORD") != std::string::npos, error);
  BOOST_TEST(error.find("s3cr3t-pw") == std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(an_entry_keeps_one_webhook_id_for_every_delivery) {
  const std::string id = output_runner::entry_webhook_id("activations", "1700000000000-3");
  BOOST_TEST(id == output_runner::entry_webhook_id("activations", "1700000000000-3"));
  BOOST_TEST(id != output_runner::entry_webhook_id("activations", "1700000000000-4"));
  BOOST_TEST(id != output_runner::entry_webhook_id("other", "1700000000000-3"));
  BOOST_TEST(id.size() == 4u + 32u);
  BOOST_TEST(id.starts_with("msg_"));
}

BOOST_AUTO_TEST_CASE(stream_ids_compare_as_numbers) {
  BOOST_TEST(output_runner::stream_id_less("9-0", "10-0"));
  BOOST_TEST(output_runner::stream_id_less("10-2", "10-10"));
  BOOST_TEST(!output_runner::stream_id_less("10-10", "10-2"));
  BOOST_TEST(!output_runner::stream_id_less("10-1", "10-1"));
  BOOST_TEST(!output_runner::stream_id_less("x", "10-1"));
}

BOOST_AUTO_TEST_SUITE_END()
