// The URL-prefix rule of an authentication: every endpoint URL of an
// activation must lie under the authentication's URL prefix.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace webhook {

// A URL cut into the parts that decide where a request goes, normalised:
// scheme and host in lower case, the default port made explicit, unreserved
// percent-escapes decoded, other escapes in upper case, dot segments removed.
struct NormalizedUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // as written in the URL, lower case ("[::1]" for IPv6)
  std::uint16_t port = 0;
  std::string path;    // normalised, starts with '/'
  std::string query;   // as written, without '?'; empty when none
  bool has_query = false;
  bool has_fragment = false;  // dropped: never sent

  // Origin-form request target: path plus query.
  std::string target() const;
};

// Parses and normalises an absolute http(s) URL. On failure returns nullopt
// and sets `error` to a sentence saying what is wrong.
std::optional<NormalizedUrl> normalize_url(std::string_view url, std::string& error);

// `origin` (scheme, host, port) with a path-and-query ("/a/../b?x=1",
// fragment dropped) normalised as normalize_url would: for URLs whose origin
// is known literal text, without parsing the whole URL again.
NormalizedUrl with_target(const NormalizedUrl& origin, std::string_view path_and_query);

// Whether `url` lies under `prefix`: scheme, host and port equal, and the
// path below the prefix's on a segment boundary (a prefix path without a
// trailing slash also admits itself).
bool is_under_prefix(const NormalizedUrl& url, const NormalizedUrl& prefix);

}  // namespace webhook
