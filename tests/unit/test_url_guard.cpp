#include <webhook/rendering/url_guard.hpp>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

using namespace webhook;
namespace data = boost::unit_test::data;

namespace {

bool under(std::string_view url, std::string_view prefix = "https://api.example.com/v1/") {
  std::string error;
  auto p = normalize_url(prefix, error);
  BOOST_REQUIRE_MESSAGE(p, prefix);
  auto u = normalize_url(url, error);
  return u && is_under_prefix(*u, *p);
}

const char* const kBypasses[] = {
    "https://api.example.com.evil.net/v1/x", "https://api.example.com@evil.net/v1/x",
    "https://api.example.com/v1/../admin",    "https://api.example.com/v10/x",
    "http://api.example.com/v1/x",            "https://api.example.com:8443/v1/x",
    "https://api.example.com/v1/%2e%2e/admin", "https://api.example.com/v1\\..\\admin",
    "https://api.example.com./v1/x",          "https://api.example.com/v1/x/../../admin",
    "https://api.example.com/v1/%2E%2E/admin", "https://api.example.com/v1/./../admin",
    "https://user:pw@api.example.com/v1/x",   "ftp://api.example.com/v1/x",
    "https://api.example.com",                "https://api.example.com/v1",
};

}  // namespace

BOOST_AUTO_TEST_SUITE(url_guard)

BOOST_DATA_TEST_CASE(bypasses_are_refused, data::make(kBypasses), url) { BOOST_TEST(!under(url)); }

BOOST_AUTO_TEST_CASE(equivalent_urls_pass) {
  BOOST_TEST(under("https://API.example.com:443/v1/x"));
  BOOST_TEST(under("HTTPS://api.EXAMPLE.com/v1/x/y?z=1"));
  BOOST_TEST(under("https://api.example.com/v1/"));
  BOOST_TEST(under("https://api.example.com/v1/a/../b"));
  BOOST_TEST(under("https://api.example.com/v1/%7Euser"));
  BOOST_TEST(under("https://api.example.com/v1/u1%2F..%2Fadmin"));  // one segment
}

BOOST_AUTO_TEST_CASE(prefix_without_trailing_slash_matches_on_segment_boundary) {
  BOOST_TEST(under("https://api.example.com/v1", "https://api.example.com/v1"));
  BOOST_TEST(under("https://api.example.com/v1/x", "https://api.example.com/v1"));
  BOOST_TEST(!under("https://api.example.com/v10", "https://api.example.com/v1"));
  BOOST_TEST(under("https://api.example.com/anything", "https://api.example.com"));
  BOOST_TEST(under("http://127.0.0.1:8080/hook", "http://127.0.0.1:8080/"));
  BOOST_TEST(!under("http://127.0.0.1:8081/hook", "http://127.0.0.1:8080/"));
}

BOOST_AUTO_TEST_CASE(normalisation_is_what_is_sent) {
  std::string error;
  auto u = normalize_url("HTTP://Example.COM:80/a/./b/../c/%7e%2f?x=%41", error);
  BOOST_REQUIRE(u);
  BOOST_TEST(u->scheme == "http");
  BOOST_TEST(u->host == "example.com");
  BOOST_TEST(u->port == 80);
  BOOST_TEST(u->target() == "/a/c/~%2F?x=%41");
  BOOST_TEST(!normalize_url("https://h:0/", error));
  BOOST_TEST(!normalize_url("https://h:70000/", error));
  BOOST_TEST(!normalize_url("not a url", error));
}

BOOST_AUTO_TEST_SUITE_END()
