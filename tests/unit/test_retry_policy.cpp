#include <webhook/delivery/latency_histogram.hpp>
#include <webhook/delivery/retry_policy.hpp>

#include <boost/test/unit_test.hpp>

using namespace webhook;

BOOST_AUTO_TEST_SUITE(retry_policy)

BOOST_AUTO_TEST_CASE(status_classification) {
  for (int s : {200, 201, 202, 204, 299}) BOOST_TEST((classify_status(s) == Verdict::delivered), s);
  for (int s : {408, 429, 500, 502, 503, 504, 599}) BOOST_TEST((classify_status(s) == Verdict::retry), s);
  for (int s : {100, 301, 302, 304, 307, 400, 401, 403, 404, 409, 410, 413, 422, 600}) {
    BOOST_TEST((classify_status(s) == Verdict::permanent), s);
  }
}

BOOST_AUTO_TEST_CASE(backoff_grows_exponentially_within_bounds) {
  BackoffPolicy p{1000, 60000};
  BOOST_TEST(p.delay_ms(1, 0.5) == 1000);
  BOOST_TEST(p.delay_ms(2, 0.5) == 2000);
  BOOST_TEST(p.delay_ms(3, 0.5) == 4000);
  BOOST_TEST(p.delay_ms(20, 0.99) == 60000);
  // jitter stays within 0.8x..1.2x and never below the initial backoff
  BOOST_TEST(p.delay_ms(3, 0.0) == 3200);
  BOOST_TEST(p.delay_ms(3, 0.999) >= 4790);
  BOOST_TEST(p.delay_ms(1, 0.0) == 1000);
  BackoffPolicy zero{0, 0};
  BOOST_TEST(zero.delay_ms(5, 0.7) == 0);
}

BOOST_AUTO_TEST_CASE(retry_after_forms) {
  const std::int64_t now = 784111777000;  // Sun, 06 Nov 1994 08:49:37 GMT
  BOOST_TEST(parse_retry_after("120", now).value() == 120000);
  BOOST_TEST(parse_retry_after(" 0 ", now).value() == 0);
  BOOST_TEST(parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now).value() == 60000);
  BOOST_TEST(parse_retry_after("Sunday, 06-Nov-94 08:51:37 GMT", now).value() == 120000);
  BOOST_TEST(parse_retry_after("Sun Nov  6 08:52:37 1994", now).value() == 180000);
  BOOST_TEST(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now).value() == 0);  // past
  BOOST_TEST(!parse_retry_after("soon", now));
  BOOST_TEST(!parse_retry_after("-5", now));
  BOOST_TEST(!parse_retry_after("", now));
}

BOOST_AUTO_TEST_CASE(retry_after_dates_are_read_exactly) {
  const std::int64_t now = 1795773600000;  // Fri, 27 Nov 2026 10:00:00 GMT
  BOOST_TEST(parse_retry_after("Fri, 27 Nov 2026 10:00:30 GMT", now).value() == 30000);
  BOOST_TEST(parse_retry_after("Friday, 27-Nov-26 10:01:00 GMT", now).value() == 60000);
  BOOST_TEST(parse_retry_after("Fri Nov 27 11:00:00 2026", now).value() == 3600000);
  BOOST_TEST(parse_retry_after("Tue, 01 Dec 2026 00:00:00 GMT", now).value() == (3 * 24 + 14) * 3600000LL);
  BOOST_TEST(parse_retry_after("Thu, 29 Feb 2028 00:00:00 GMT", now).value() ==
             (458 * 24LL + 14) * 3600000LL);  // a leap day
  // A two-digit year over 50 years ahead is the latest past one.
  BOOST_TEST(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now).value() == 0);
  for (const char* bad : {"Fri, 32 Nov 2026 10:00:30 GMT", "Fri, 27 Foo 2026 10:00:30 GMT",
                          "Fri, 27 Nov 2026 24:00:30 GMT", "Fri, 27 Nov 2026 10:00:30 UTC",
                          "Fri, 27 Nov 2026 10:00:30 GMT!", "Fri,27 Nov 2026 10:00:30 GMT", "Fre, 27 Nov 2026 10:00:30 GMT",
                          "Someday, 27-Nov-26 10:01:00 GMT", "Fri Nov 27 11:00 2026"}) {
    BOOST_TEST(!parse_retry_after(bad, now), bad);
  }
}

BOOST_AUTO_TEST_CASE(a_schedule_s_waits_with_ten_percent_jitter) {
  RetryPolicy p;
  p.schedule_ms = {5'000, 300'000, 86'400'000};
  BOOST_TEST(p.delay_ms(1, 0.5) == 5'000);
  BOOST_TEST(p.delay_ms(1, 0.0) == 4'500);
  BOOST_TEST(p.delay_ms(1, 0.999) >= 5'495);
  BOOST_TEST(p.delay_ms(1, 0.999) < 5'500);
  BOOST_TEST(p.delay_ms(2, 0.5) == 300'000);
  BOOST_TEST(p.delay_ms(3, 0.0) == 77'760'000);
  BOOST_TEST(p.delay_ms(9, 0.5) == 86'400'000);  // past its end: the last wait
  RetryPolicy backoff;                            // no schedule: the exponential backoff
  BOOST_TEST(backoff.delay_ms(2, 0.5) == 2'000);
}

BOOST_AUTO_TEST_CASE(durations_are_said_in_their_largest_whole_unit) {
  BOOST_TEST(duration_text(72 * 3'600'000LL) == "3d");
  BOOST_TEST(duration_text(90 * 60'000LL) == "90m");
  BOOST_TEST(duration_text(7'200'000) == "2h");
  BOOST_TEST(duration_text(5'000) == "5s");
  BOOST_TEST(duration_text(1'500) == "1500ms");
  BOOST_TEST(duration_text(0) == "0ms");
}

BOOST_AUTO_TEST_CASE(strategy_with_on_status_and_max_age) {
  RetryPolicy p;
  p.retry_count = 2;
  p.schedule_ms = {60'000, 60'000};
  p.on_status = {404};
  p.max_age_ms = 3'600'000;
  const RetryStrategy strategy(p);
  const std::int64_t now = 1'800'000'000'000;
  AttemptOutcome not_found{404, false, {}, {}, now};
  BOOST_TEST((strategy.decide(not_found, 1, true, now, 0.5).kind == Decision::Kind::retry));
  AttemptOutcome conflict{409, false, {}, {}, now};
  BOOST_TEST((strategy.decide(conflict, 1, true, now, 0.5).kind == Decision::Kind::fail));
  const Decision last = strategy.decide(not_found, 3, true, now, 0.5);
  BOOST_TEST((last.kind == Decision::Kind::fail));
  BOOST_TEST(last.reason == "HTTP 404 (gave up after 3 attempts)");
  // 59 minutes after the first attempt, a retry in a minute passes the hour.
  const Decision late = strategy.decide(not_found, 1, true, now + 59 * 60'000 + 1, 0.5);
  BOOST_TEST((late.kind == Decision::Kind::fail));
  BOOST_TEST(late.reason ==
             "HTTP 404 (gave up after 1 attempt: the next retry, in 1m, would start after delivery.retry.max_age "
             "(1h since the first attempt))");
  // A Retry-After longer than the schedule's wait decides, and is named.
  AttemptOutcome throttled{429, false, {}, "7200", now};
  const Decision asked = strategy.decide(throttled, 1, true, now, 0.5);
  BOOST_TEST((asked.kind == Decision::Kind::fail));
  BOOST_TEST(asked.reason.find("Retry-After 2h would start after delivery.retry.max_age (1h") != std::string::npos,
             asked.reason);
  AttemptOutcome short_ask{429, false, {}, "120", now};
  const Decision waits = strategy.decide(short_ask, 1, true, now, 0.5);
  BOOST_TEST((waits.kind == Decision::Kind::retry));
  BOOST_TEST(waits.delay_ms == 120'000);
}

BOOST_AUTO_TEST_CASE(latency_quantiles_are_close) {
  LatencyHistogram h;
  for (int i = 1; i <= 1000; ++i) h.record(i);
  BOOST_TEST(h.total() == 1000u);
  BOOST_TEST(h.quantile(0.5) >= 480);
  BOOST_TEST(h.quantile(0.5) <= 560);
  BOOST_TEST(h.quantile(0.99) >= 960);
  BOOST_TEST(h.quantile(0.99) <= 1000);
  BOOST_TEST(h.max() == 1000);
  // Beyond the last bucket's range (19 hours): counted there, the maximum exact.
  const std::int64_t days = std::int64_t{1} << 45;
  h.record(days);
  BOOST_TEST(h.total() == 1001u);
  BOOST_TEST(h.max() == days);
  BOOST_TEST(h.quantile(1.0) == days);
  BOOST_TEST(h.quantile(0.5) <= 560);
}

BOOST_AUTO_TEST_SUITE_END()
