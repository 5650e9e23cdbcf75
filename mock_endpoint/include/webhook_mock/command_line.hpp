// webhook-mock's command line, parsed once into typed options: every bad
// argument is refused with a message naming it (main exits 2), nothing is
// ignored. Internal to the executable (and its tests).
#pragma once

#include "webhook_mock/server.hpp"

#include <string>
#include <string_view>

namespace webhook_mock {

struct CommandLine {
  ServerOptions server;  // --port, --bind (resolved), --https, --threads, --journal-limit, ...
  std::string cert_file;  // --cert and --key, with --https
  std::string key_file;
  std::string write_ca;  // --write-ca: needs --https without --cert
  std::string mappings;  // --mappings FILE|DIR
  bool help = false;     // --help / -h: the rest is not checked
  bool version = false;  // --version
};

// Parses argv[1..argc). False, with `error` naming the argument and what is
// allowed ("--port: 'x' is not a whole number from 0 to 65535"), on the
// first bad one. A host name given to --bind is resolved here (its first
// IPv4 address, else its first); an address that looks numeric and is not
// one is refused without a lookup.
bool parse_command_line(int argc, const char* const* argv, CommandLine& out, std::string& error);

// The --help text.
std::string command_line_usage();

}  // namespace webhook_mock
