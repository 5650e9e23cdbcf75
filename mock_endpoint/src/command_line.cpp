#include "webhook_mock/command_line.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <set>

namespace webhook_mock {
namespace {

constexpr std::string_view kUsage =
    "usage: webhook-mock [--port N] [--bind ADDR] [--https] [--cert FILE --key FILE] [--write-ca FILE]\n"
    "                    [--threads N] [--journal-limit N] [--record-to FILE] [--mappings FILE|DIR]\n"
    "                    [--default-status CODE]\n"
    "       webhook-mock --help | --version\n"
    "\n"
    "A webhook receiver for tests: records every request and answers it as its stubs say\n"
    "(WireMock's admin API under /__admin/, webhook checks under /__webhooks/). The first\n"
    "line on stdout is 'listening on http://ADDRESS:PORT' (https:// with --https).\n"
    "SIGINT or SIGTERM stop it (exit 0); a bad argument exits 2, a failure to start 1.\n"
    "\n"
    "Options (--name VALUE or --name=VALUE):\n"
    "  --port N             port to listen on, 0 to 65535; 0 takes any free port (default 8080)\n"
    "  --bind ADDR          IP address or host name to listen on (default 127.0.0.1)\n"
    "  --https              serve HTTPS; without --cert, a fresh CA and a certificate for\n"
    "                       localhost/127.0.0.1/::1 are generated in memory\n"
    "  --cert FILE          server certificate chain (PEM), with --https and --key\n"
    "  --key FILE           server private key (PEM), with --https and --cert\n"
    "  --write-ca FILE      write the generated CA certificate (PEM) to FILE\n"
    "  --threads N          server threads, 1 to 64 (default 1)\n"
    "  --journal-limit N    requests kept in memory, 0 to 1000000000; the oldest are evicted\n"
    "                       beyond it (default 100000)\n"
    "  --record-to FILE     also append every journal entry to FILE (NDJSON); an entry is\n"
    "                       written before its response is sent\n"
    "  --mappings FILE|DIR  stubs to load at start: a JSON file (a stub, or {\"mappings\": [...]})\n"
    "                       or a directory of them\n"
    "  --default-status N   status answered when no stub matches, 100 to 599 (default 200)\n"
    "  --help, -h           show this help\n"
    "  --version            print 'webhook-mock VERSION'\n";

constexpr std::string_view kFlags[] = {"--https"};
constexpr std::string_view kValued[] = {"--port",          "--bind",     "--cert",      "--key",     "--write-ca",
                                        "--threads",       "--journal-limit", "--record-to", "--mappings",
                                        "--default-status"};

// `text` as a whole number from `low` to `high`, or an error naming `name`.
bool whole_number(std::string_view name, std::string_view text, std::uint64_t low, std::uint64_t high,
                  std::uint64_t& out, std::string& error) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    error = std::string(name) + ": '" + std::string(text) + "' is not a whole number from " + std::to_string(low) +
            " to " + std::to_string(high);
    return false;
  }
  out = value;
  return true;
}

// One option and its value into `out`; false with `error` when the value is bad.
bool apply(std::string_view name, std::string_view value, CommandLine& out, std::string& error) {
  ServerOptions& s = out.server;
  std::uint64_t n = 0;
  if (name == "--https") {
    s.https = true;
  } else if (name == "--port") {
    if (!whole_number(name, value, 0, 65535, n, error)) return false;
    s.port = static_cast<std::uint16_t>(n);
  } else if (name == "--threads") {
    if (!whole_number(name, value, 1, 64, n, error)) return false;
    s.threads = static_cast<unsigned>(n);
  } else if (name == "--journal-limit") {
    if (!whole_number(name, value, 0, 1'000'000'000, n, error)) return false;
    s.journal_limit = static_cast<std::size_t>(n);
  } else if (name == "--default-status") {
    if (!whole_number(name, value, 100, 599, n, error)) return false;
    s.default_status = static_cast<int>(n);
  } else if (value.empty()) {
    error = std::string(name) + ": needs a value, not ''";
    return false;
  } else if (name == "--bind") {
    s.bind_address = value;
  } else if (name == "--cert") {
    out.cert_file = value;
  } else if (name == "--key") {
    out.key_file = value;
  } else if (name == "--write-ca") {
    out.write_ca = value;
  } else if (name == "--record-to") {
    s.record_to = value;
  } else if (name == "--mappings") {
    out.mappings = value;
  }
  return true;
}

bool looks_numeric(std::string_view address) {
  return address.find(':') != std::string_view::npos ||
         std::all_of(address.begin(), address.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

// An IP address as given; a host name as its first IPv4 address (else its
// first address), so that the listening line names what was bound.
bool resolve_bind_address(std::string& address, std::string& error) {
  unsigned char raw[sizeof(in6_addr)];
  if (inet_pton(AF_INET, address.c_str(), raw) == 1 || inet_pton(AF_INET6, address.c_str(), raw) == 1) return true;
  if (looks_numeric(address)) {
    error = "--bind: '" + address + "' is not an IP address (nor a host name)";
    return false;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(address.c_str(), nullptr, &hints, &found); rc != 0) {
    error = "--bind: cannot resolve '" + address + "': " + gai_strerror(rc);
    return false;
  }
  const addrinfo* chosen = found;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      chosen = a;
      break;
    }
  }
  char text[INET6_ADDRSTRLEN] = {};
  const void* where = chosen->ai_family == AF_INET
                          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(chosen->ai_addr)->sin_addr)
                          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(chosen->ai_addr)->sin6_addr);
  inet_ntop(chosen->ai_family, where, text, sizeof text);
  freeaddrinfo(found);
  address = text;
  return true;
}

// What the options ask of one another.
bool check_combinations(const CommandLine& c, std::string& error) {
  if (c.cert_file.empty() != c.key_file.empty()) error = "--cert and --key go together";
  else if (!c.cert_file.empty() && !c.server.https) error = "--cert and --key need --https";
  else if (!c.write_ca.empty() && (!c.server.https || !c.cert_file.empty())) {
    error = "--write-ca needs --https without --cert (it writes the generated CA)";
  }
  return error.empty();
}

}  // namespace

bool parse_command_line(int argc, const char* const* argv, CommandLine& out, std::string& error) {
  out.server.port = 8080;
  std::set<std::string, std::less<>> seen;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      out.help = true;
      return true;
    }
    if (arg == "--version") {
      out.version = true;
      return true;
    }
    if (!arg.starts_with("--")) {
      error = "unexpected argument '" + std::string(arg) + "': options start with --";
      return false;
    }
    const std::size_t equals = arg.find('=');
    const std::string_view name = arg.substr(0, equals);
    const bool flag = std::find(std::begin(kFlags), std::end(kFlags), name) != std::end(kFlags);
    if (!flag && std::find(std::begin(kValued), std::end(kValued), name) == std::end(kValued)) {
      error = "unknown option '" + std::string(name) + "'";
      return false;
    }
    std::string_view value;
    if (flag && equals != std::string_view::npos) {
      error.assign(name).append(" takes no value");  // (operator+ here trips GCC 12's -Warray-bounds)
      return false;
    }
    if (!flag && equals != std::string_view::npos) {
      value = arg.substr(equals + 1);
    } else if (!flag) {
      if (i + 1 >= argc) {
        error.assign(name).append(": needs a value");
        return false;
      }
      value = argv[++i];
    }
    if (!seen.emplace(name).second) {
      error = std::string(name) + ": given twice";
      return false;
    }
    if (!apply(name, value, out, error)) return false;
  }
  return check_combinations(out, error) && resolve_bind_address(out.server.bind_address, error);
}

std::string command_line_usage() { return std::string(kUsage); }

}  // namespace webhook_mock
