#include <webhook/rendering/url_guard.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <vector>

namespace webhook {
namespace {

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Decodes escapes of unreserved characters ("%2e" -> ".") and upper-cases the
// others ("%2f" -> "%2F"), so that equal segments compare equal. Boost.URL's
// own normalize() is not used for the path: in 1.81 it also decodes "%2F",
// which would turn one segment into two.
std::string normalize_segment(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]);
      int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        char decoded = static_cast<char>(hi * 16 + lo);
        if (is_unreserved(decoded)) {
          out += decoded;
        } else {
          static constexpr char digits[] = "0123456789ABCDEF";
          out += '%';
          out += digits[hi];
          out += digits[lo];
        }
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// RFC 3986 section 5.2.4 on whole segments, after their escapes are
// normalised, so that "%2e%2e" counts as "..".
std::string normalize_path(std::string_view encoded_path) {
  std::vector<std::string> segments;
  bool trailing_slash = false;
  std::size_t pos = 0;
  if (!encoded_path.empty() && encoded_path.front() == '/') pos = 1;
  while (pos <= encoded_path.size()) {
    std::size_t end = encoded_path.find('/', pos);
    if (end == std::string_view::npos) end = encoded_path.size();
    std::string segment = normalize_segment(encoded_path.substr(pos, end - pos));
    bool last = end == encoded_path.size();
    if (segment == ".") {
      trailing_slash = last;
    } else if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      trailing_slash = last;
    } else {
      segments.push_back(std::move(segment));
      trailing_slash = false;
    }
    pos = end + 1;
  }
  std::string out;
  for (const auto& segment : segments) {
    out += '/';
    out += segment;
  }
  if (trailing_slash || out.empty()) out += '/';
  return out;
}

}  // namespace

std::string NormalizedUrl::target() const {
  if (!has_query) return path;
  std::string t = path;
  t += '?';
  t += query;
  return t;
}

std::optional<NormalizedUrl> normalize_url(std::string_view text, std::string& error) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) {
    error = "is not a valid absolute URL (RFC 3986)";
    return std::nullopt;
  }
  boost::urls::url_view u = *parsed;
  NormalizedUrl out;
  for (char c : u.scheme()) out.scheme += to_lower(c);
  if (out.scheme != "http" && out.scheme != "https") {
    error = "has scheme '" + out.scheme + "'; allowed: http, https";
    return std::nullopt;
  }
  if (!u.has_authority() || u.encoded_host().empty()) {
    error = "has no host";
    return std::nullopt;
  }
  if (u.has_userinfo()) {
    error = "has user information before '@'; not allowed";
    return std::nullopt;
  }
  for (char c : u.encoded_host()) {
    if (c == '%') {
      error = "has a percent-encoded host; not allowed";
      return std::nullopt;
    }
    out.host += to_lower(c);
  }
  if (u.has_port() && !u.port().empty()) {
    std::uint32_t port = 0;
    for (char c : u.port()) {
      port = port * 10 + static_cast<std::uint32_t>(c - '0');
      if (port > 65535) break;
    }
    if (port == 0 || port > 65535) {
      error = "has port '" + std::string(u.port()) + "'; allowed: 1 to 65535";
      return std::nullopt;
    }
    out.port = static_cast<std::uint16_t>(port);
  } else {
    out.port = out.scheme == "https" ? 443 : 80;
  }
  out.path = normalize_path(u.encoded_path());
  out.has_query = u.has_query();
  out.has_fragment = u.has_fragment();
  out.query = std::string(u.encoded_query());
  return out;
}

NormalizedUrl with_target(const NormalizedUrl& origin, std::string_view path_and_query) {
  NormalizedUrl out;
  out.scheme = origin.scheme;
  out.host = origin.host;
  out.port = origin.port;
  path_and_query = path_and_query.substr(0, path_and_query.find('#'));
  auto question = path_and_query.find('?');
  out.path = normalize_path(path_and_query.substr(0, question));
  if (question != std::string_view::npos) {
    out.has_query = true;
    out.query = std::string(path_and_query.substr(question + 1));
  }
  return out;
}

bool is_under_prefix(const NormalizedUrl& url, const NormalizedUrl& prefix) {
  if (url.scheme != prefix.scheme || url.host != prefix.host || url.port != prefix.port) {
    return false;
  }
  // "/v1/" admits "/v1/" and below; "/v1" admits "/v1" too. Either way the
  // match ends on a segment boundary, so "/v10" is never under "/v1".
  std::string_view base = prefix.path;
  std::string_view path = url.path;
  if (path.substr(0, base.size()) != base) return false;
  return base.back() == '/' || path.size() == base.size() || path[base.size()] == '/';
}

}  // namespace webhook
