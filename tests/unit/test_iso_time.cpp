#include <webhook_common/iso_time.hpp>

#include <boost/test/unit_test.hpp>

#include <string_view>

using webhook_common::format_iso8601;
using webhook_common::parse_iso8601;
using webhook_common::ZoneSuffix;

BOOST_AUTO_TEST_SUITE(iso_time)

BOOST_AUTO_TEST_CASE(formats_utc_with_milliseconds) {
  BOOST_TEST(format_iso8601(0) == "1970-01-01T00:00:00.000Z");
  BOOST_TEST(format_iso8601(1'767'225'600'250) == "2026-01-01T00:00:00.250Z");
  BOOST_TEST(format_iso8601(1'767'323'045'007) == "2026-01-02T03:04:05.007Z");
  BOOST_TEST(format_iso8601(-1) == "1969-12-31T23:59:59.999Z");
  BOOST_TEST(format_iso8601(-1000) == "1969-12-31T23:59:59.000Z");
}

BOOST_AUTO_TEST_CASE(parses_what_it_formats) {
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{1'767'225'600'250}, std::int64_t{4'102'444'799'999}}) {
    BOOST_TEST(parse_iso8601(format_iso8601(ms)).value() == ms);
  }
}

BOOST_AUTO_TEST_CASE(fractions_are_read_to_the_millisecond) {
  BOOST_TEST(parse_iso8601("2026-01-01T00:00:00Z").value() == 1'767'225'600'000);
  BOOST_TEST(parse_iso8601("2026-01-01T00:00:00.25Z").value() == 1'767'225'600'250);
  BOOST_TEST(parse_iso8601("2026-01-01T00:00:00.1Z").value() == 1'767'225'600'100);
  BOOST_TEST(parse_iso8601("2026-01-01T00:00:00.123456Z").value() == 1'767'225'600'123);
}

BOOST_AUTO_TEST_CASE(the_zone_suffix_required_or_optional) {
  BOOST_TEST(!parse_iso8601("2026-01-01T00:00:00"));
  BOOST_TEST(!parse_iso8601("2026-01-01T00:00:00.5"));
  BOOST_TEST(parse_iso8601("2026-01-01T00:00:00", ZoneSuffix::optional).value() == 1'767'225'600'000);
  BOOST_TEST(parse_iso8601("2026-01-01T00:00:00.5", ZoneSuffix::optional).value() == 1'767'225'600'500);
  BOOST_TEST(parse_iso8601("2026-01-01T00:00:00Z", ZoneSuffix::optional).value() == 1'767'225'600'000);
}

BOOST_AUTO_TEST_CASE(anything_else_is_refused) {
  for (std::string_view text : {"", "2026-01-01", "2026-01-01 00:00:00Z", "2026-01-01T00:00:00ZZ",
                                "2026-01-01T00:00:00+01:00", "2026-01-01T00:00:00Z junk", "yesterday"}) {
    BOOST_TEST(!parse_iso8601(text), text);
    BOOST_TEST(!parse_iso8601(text, ZoneSuffix::optional), text);
  }
  BOOST_TEST(!parse_iso8601(std::string_view("2026-01-01T00:00:00Z\0x", 22)));  // no cut at a NUL
}

BOOST_AUTO_TEST_SUITE_END()
