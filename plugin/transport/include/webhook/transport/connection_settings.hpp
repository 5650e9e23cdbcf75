// Everything that shapes a connection: two equal settings can share one
// pool of connections (a map keyed by them finds it), two different ones
// never do. A setting added later (a client certificate, a proxy, an
// egress policy) is added here, to the comparison and to the hash.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace webhook {

struct ConnectionSettings {
  std::string host;  // as in the URL; "[::1]" for IPv6
  std::uint16_t port = 0;
  bool tls = false;
  std::string ca_file;  // empty: the system's trust store
  bool verify = true;
  std::chrono::milliseconds connect_timeout{30'000};
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};

  bool operator==(const ConnectionSettings&) const = default;
};

struct ConnectionSettingsHash {
  std::size_t operator()(const ConnectionSettings& s) const noexcept {
    std::size_t h = std::hash<std::string>{}(s.host);
    auto mix = [&h](std::size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
    mix(s.port);
    mix(static_cast<std::size_t>(s.tls) | static_cast<std::size_t>(s.verify) << 1);
    mix(std::hash<std::string>{}(s.ca_file));
    mix(static_cast<std::size_t>(s.connect_timeout.count()));
    mix(static_cast<std::size_t>(s.read_timeout.count()));
    mix(static_cast<std::size_t>(s.write_timeout.count()));
    return h;
  }
};

}  // namespace webhook
