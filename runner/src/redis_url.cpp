#include "output_runner/redis_connection.hpp"

#include <charconv>

namespace output_runner {

std::string RedisUrl::text() const {
  std::string out = tls ? "rediss://" : "redis://";
  if (!user.empty()) out += user + "@";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += ":" + std::to_string(port);
  if (db != 0) out += "/" + std::to_string(db);
  return out;
}

namespace {

constexpr const char* kAllowed = "; allowed: redis://[USER@]HOST[:PORT][/DB] or rediss://... (TLS)";

bool parse_number(std::string_view text, long max, long& value) {
  if (text.empty()) return false;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && ptr == text.data() + text.size() && value >= 0 && value <= max;
}

std::optional<RedisUrl> fail(std::string& error, const std::string& what) {
  error = "--redis: " + what + kAllowed;
  return std::nullopt;
}

}  // namespace

std::optional<RedisUrl> parse_redis_url(const std::string& text, std::string& error) {
  RedisUrl url;
  std::string_view rest(text);
  if (rest.starts_with("redis://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("rediss://")) {
    url.tls = true;
    rest.remove_prefix(9);
  } else {
    return fail(error, "not a redis:// or rediss:// URL");
  }
  std::string_view path;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    // Never echo what follows the colon: it would be a password.
    if (userinfo.find(':') != std::string_view::npos) {
      return fail(error, "a password in the URL is refused (it would show in process lists and logs); "
                         "set REDIS_PASSWORD instead");
    }
    url.user = userinfo;
    rest = rest.substr(at + 1);
  }
  std::string_view port_text;
  if (rest.starts_with("[")) {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return fail(error, "an IPv6 host without its ']'");
    url.host = rest.substr(1, close - 1);
    rest.remove_prefix(close + 1);
    if (rest.starts_with(":")) port_text = rest.substr(1);
    else if (!rest.empty()) return fail(error, "text after the IPv6 host");
  } else {
    auto colon = rest.find(':');
    url.host = rest.substr(0, colon);
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (url.host.empty()) return fail(error, "no host");
  long n = 0;
  if (!port_text.empty()) {
    if (!parse_number(port_text, 65535, n) || n == 0) return fail(error, "the port is not 1 to 65535");
    url.port = static_cast<std::uint16_t>(n);
  }
  if (!path.empty()) {
    if (!parse_number(path, 1 << 20, n)) return fail(error, "the database is not a number");
    url.db = static_cast<int>(n);
  }
  return url;
}

}  // namespace output_runner
