#include <webhook/delivery/retry_policy.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>

namespace webhook {

std::string describe_redirect(int status) {
  switch (status) {
    case 301: return "Moved Permanently: redirects are not followed; update activation.url";
    case 302: return "Found: redirects are not followed";
    case 303: return "See Other: redirects are not followed";
    case 307: return "Temporary Redirect: redirects are not followed";
    case 308: return "Permanent Redirect: redirects are not followed; update activation.url";
    case 304:
      return "Not Modified: the answer to a conditional request, which the step never sends; "
             "the endpoint did not process the webhook";
    case 300: return "Multiple Choices: redirects are not followed";
    default: return "a redirection status: redirects are not followed";
  }
}

Verdict classify_status(int status) {
  if (status >= 200 && status < 300) return Verdict::delivered;
  if (status == 408 || status == 429 || (status >= 500 && status < 600)) return Verdict::retry;
  return Verdict::permanent;
}

std::int64_t BackoffPolicy::delay_ms(std::uint32_t retry, double unit_random) const {
  double base = static_cast<double>(initial_ms) * std::pow(2.0, static_cast<double>(std::max<std::uint32_t>(retry, 1) - 1));
  double jittered = base * (0.8 + 0.4 * std::clamp(unit_random, 0.0, 1.0));
  jittered = std::clamp(jittered, static_cast<double>(initial_ms), static_cast<double>(max_ms));
  return static_cast<std::int64_t>(jittered);
}

std::int64_t RetryPolicy::delay_ms(std::uint32_t retry, double unit_random) const {
  if (schedule_ms.empty()) return backoff.delay_ms(retry, unit_random);
  const std::size_t step = std::min<std::size_t>(std::max<std::uint32_t>(retry, 1), schedule_ms.size()) - 1;
  const double jittered = static_cast<double>(schedule_ms[step]) * (0.9 + 0.2 * std::clamp(unit_random, 0.0, 1.0));
  return static_cast<std::int64_t>(jittered);
}

std::string duration_text(std::int64_t ms) {
  struct Unit {
    std::int64_t ms;
    const char* name;
  };
  for (const Unit unit : {Unit{86'400'000, "d"}, Unit{3'600'000, "h"}, Unit{60'000, "m"}, Unit{1000, "s"}}) {
    if (ms != 0 && ms % unit.ms == 0) return std::to_string(ms / unit.ms) + unit.name;
  }
  return std::to_string(ms) + "ms";
}

namespace {

// HTTP-dates are English whatever the process's locale (strptime's %a and
// %b would follow LC_TIME, which a host may set), so they are read here.
constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::string_view kLongDays[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

template <std::size_t N>
bool one_of(std::string_view word, const std::string_view (&names)[N]) {
  return std::find(std::begin(names), std::end(names), word) != std::end(names);
}

int month_of(std::string_view word) {
  for (int i = 0; i < 12; ++i) {
    if (kMonths[i] == word) return i + 1;
  }
  return 0;
}

// `text` at `at` holds exactly `n` digits (a leading space allowed where
// `space_padded`).
bool digits(std::string_view text, std::size_t at, std::size_t n, int& out, bool space_padded = false) {
  if (at + n > text.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = text[at + i];
    if (space_padded && i == 0 && c == ' ') continue;
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

// "HH:MM:SS" at `at`.
bool time_of_day(std::string_view text, std::size_t at, int& h, int& m, int& s) {
  return at + 8 <= text.size() && text[at + 2] == ':' && text[at + 5] == ':' && digits(text, at, 2, h) &&
         digits(text, at + 3, 2, m) && digits(text, at + 6, 2, s) && h < 24 && m < 60 && s <= 60;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

std::optional<std::int64_t> unix_ms(int year, int month, int day, int h, int m, int s) {
  if (month < 1 || day < 1 || day > 31) return std::nullopt;
  return ((days_from_civil(year, month, day) * 24 + h) * 60 + m) * 60'000 + std::int64_t{s} * 1000;
}

// The three forms of RFC 9110 section 5.6.7, as Unix ms.
std::optional<std::int64_t> parse_http_date(std::string_view t, std::int64_t now_ms) {
  int day = 0, year = 0, h = 0, m = 0, s = 0;
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  if (t.size() == 29 && one_of(t.substr(0, 3), kDays) && t.substr(3, 2) == ", " && t[7] == ' ' && t[11] == ' ' &&
      t[16] == ' ' && t.substr(25) == " GMT" && digits(t, 5, 2, day) && digits(t, 12, 4, year) &&
      time_of_day(t, 17, h, m, s)) {
    return unix_ms(year, month_of(t.substr(8, 3)), day, h, m, s);
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (t.size() == 24 && one_of(t.substr(0, 3), kDays) && t[3] == ' ' && t[7] == ' ' && t[10] == ' ' &&
      t[19] == ' ' && digits(t, 8, 2, day, true) && time_of_day(t, 11, h, m, s) && digits(t, 20, 4, year)) {
    return unix_ms(year, month_of(t.substr(4, 3)), day, h, m, s);
  }
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
  std::size_t comma = t.find(", ");
  if (comma != std::string_view::npos && one_of(t.substr(0, comma), kLongDays)) {
    std::string_view rest = t.substr(comma + 2);
    int yy = 0;
    if (rest.size() == 22 && rest[2] == '-' && rest[6] == '-' && rest[9] == ' ' && rest.substr(18) == " GMT" &&
        digits(rest, 0, 2, day) && digits(rest, 7, 2, yy) && time_of_day(rest, 10, h, m, s)) {
      // A two-digit year more than 50 years ahead is the latest past one
      // with those digits (RFC 9110).
      int this_year = 1970 + static_cast<int>(now_ms / 31'556'952'000);
      year = this_year / 100 * 100 + yy;
      if (year > this_year + 50) year -= 100;
      return unix_ms(year, month_of(rest.substr(3, 3)), day, h, m, s);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> parse_retry_after(std::string_view value, std::int64_t now_ms) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::int64_t{999'999'999} * 1000;  // absurdly long: clamp
    return std::stoll(std::string(value)) * 1000;
  }
  if (auto at_ms = parse_http_date(value, now_ms)) return std::max<std::int64_t>(0, *at_ms - now_ms);
  return std::nullopt;
}

namespace {

std::string attempts_text(std::uint32_t attempts) {
  return std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
}

}  // namespace

Verdict RetryStrategy::classify(int status) const {
  const Verdict verdict = classify_status(status);
  if (verdict != Verdict::permanent) return verdict;
  const auto& extra = policy_.on_status;
  return std::find(extra.begin(), extra.end(), status) != extra.end() ? Verdict::retry : verdict;
}

std::optional<std::string> RetryStrategy::past_max_age(const AttemptOutcome& outcome, std::int64_t now_ms,
                                                       std::int64_t delay_ms, bool retry_after_decided) const {
  if (policy_.max_age_ms <= 0 || now_ms + delay_ms - outcome.first_attempt_ms <= policy_.max_age_ms) {
    return std::nullopt;
  }
  const std::int64_t seconds = (delay_ms + 999) / 1000 * 1000;  // said in whole seconds
  std::string why = retry_after_decided ? "Retry-After " + duration_text(seconds)
                                        : "the next retry, in " + duration_text(seconds) + ",";
  return why + " would start after delivery.retry.max_age (" + duration_text(policy_.max_age_ms) +
         " since the first attempt)";
}

Decision RetryStrategy::decide(const AttemptOutcome& outcome, std::uint32_t attempts, bool may_retry,
                               std::int64_t now_ms, double unit_random) const {
  const Verdict verdict = outcome.status != 0              ? classify(outcome.status)
                          : outcome.tls_verification_failed ? Verdict::permanent
                                                            : Verdict::retry;
  Decision decision;
  if (verdict == Verdict::delivered) {
    decision.kind = Decision::Kind::delivered;
    return decision;
  }
  decision.reason = outcome.status != 0 ? "HTTP " + std::to_string(outcome.status) : std::string(outcome.error);
  if (verdict == Verdict::retry && attempts <= policy_.retry_count && may_retry) {
    std::int64_t delay = policy_.delay_ms(attempts, unit_random);
    bool retry_after_decided = false;
    if (!outcome.retry_after.empty()) {
      if (auto wait = parse_retry_after(outcome.retry_after, now_ms)) {
        const std::int64_t asked = std::min<std::int64_t>(*wait, 86'400'000);
        retry_after_decided = asked > delay;
        delay = std::max(delay, asked);
      }
    }
    if (auto too_late = past_max_age(outcome, now_ms, delay, retry_after_decided)) {
      decision.reason += " (gave up after " + attempts_text(attempts) + ": " + *too_late + ")";
      return decision;
    }
    decision.kind = Decision::Kind::retry;
    decision.delay_ms = delay;
    return decision;
  }
  if (verdict == Verdict::retry) {
    decision.reason += " (gave up after " + attempts_text(attempts) + ")";
  } else if (outcome.status >= 300 && outcome.status < 400) {
    decision.reason += " (" + describe_redirect(outcome.status) + ")";
  }
  return decision;
}

}  // namespace webhook
