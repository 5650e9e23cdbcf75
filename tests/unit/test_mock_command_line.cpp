// webhook-mock's command line (mock_endpoint/src/command_line.hpp): typed
// options, and every bad argument refused with a message naming it. Before,
// --journal-limit -1 meant unlimited, a stray argument was ignored and
// --bind localhost failed at start (exit 1).
#include "webhook_mock/command_line.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace webhook_mock;

namespace {

struct Parsed {
  bool ok = false;
  CommandLine options;
  std::string error;
};

Parsed parse(std::vector<const char*> arguments) {
  arguments.insert(arguments.begin(), "webhook-mock");
  Parsed out;
  out.ok = parse_command_line(static_cast<int>(arguments.size()), arguments.data(), out.options, out.error);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mock_command_line)

BOOST_AUTO_TEST_CASE(defaults_and_typed_values) {
  auto none = parse({});
  BOOST_REQUIRE(none.ok);
  BOOST_TEST(none.options.server.port == 8080);
  BOOST_TEST(none.options.server.bind_address == "127.0.0.1");
  BOOST_TEST(none.options.server.threads == 1u);
  BOOST_TEST(none.options.server.journal_limit == 100'000u);
  auto all = parse({"--port", "0", "--threads=4", "--journal-limit", "0", "--default-status", "404", "--https",
                    "--write-ca", "ca.pem", "--record-to", "j.ndjson", "--mappings", "dir", "--bind", "::1"});
  BOOST_REQUIRE_MESSAGE(all.ok, all.error);
  BOOST_TEST(all.options.server.port == 0);
  BOOST_TEST(all.options.server.threads == 4u);
  BOOST_TEST(all.options.server.journal_limit == 0u);
  BOOST_TEST(all.options.server.default_status == 404);
  BOOST_TEST(all.options.server.https);
  BOOST_TEST(all.options.write_ca == "ca.pem");
  BOOST_TEST(all.options.server.record_to == "j.ndjson");
  BOOST_TEST(all.options.mappings == "dir");
  BOOST_TEST(all.options.server.bind_address == "::1");
  BOOST_TEST(parse({"--version"}).options.version);
  BOOST_TEST(parse({"--port", "x", "--help"}).ok == false);  // checked in order
  BOOST_TEST(parse({"-h", "--port", "x"}).options.help);
  BOOST_TEST(command_line_usage().find("--journal-limit N") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_bad_argument_is_refused_by_name) {
  struct Case {
    std::vector<const char*> arguments;
    const char* names;
  };
  for (const Case& c : std::vector<Case>{
           {{"--journal-limit", "-1"}, "--journal-limit: '-1' is not a whole number from 0 to 1000000000"},
           {{"--journal-limit", "1e3"}, "--journal-limit: '1e3'"},
           {{"--port", "70000"}, "--port: '70000' is not a whole number from 0 to 65535"},
           {{"--port", "-1"}, "--port: '-1'"},
           {{"--port=80x"}, "--port: '80x'"},
           {{"--port"}, "--port: needs a value"},
           {{"--threads", "0"}, "--threads: '0' is not a whole number from 1 to 64"},
           {{"--default-status", "99"}, "--default-status: '99'"},
           {{"--bind", "999.1.1.1"}, "--bind: '999.1.1.1' is not an IP address"},
           {{"--bind", "1.2.3"}, "--bind: '1.2.3'"},
           {{"--bind", "::1::2"}, "--bind: '::1::2'"},
           {{"--bind", ""}, "--bind: needs a value"},
           {{"8080"}, "unexpected argument '8080'"},
           {{"--port", "1", "stray"}, "unexpected argument 'stray'"},
           {{"-p", "1"}, "unexpected argument '-p'"},
           {{"--nope"}, "unknown option '--nope'"},
           {{"--https=yes"}, "--https takes no value"},
           {{"--port", "1", "--port", "2"}, "--port: given twice"},
           {{"--cert", "c.pem"}, "--cert and --key go together"},
           {{"--cert", "c.pem", "--key", "k.pem"}, "--cert and --key need --https"},
           {{"--write-ca", "ca.pem"}, "--write-ca needs --https without --cert"},
       }) {
    auto parsed = parse(c.arguments);
    BOOST_TEST(!parsed.ok, c.names);
    BOOST_TEST(parsed.error.starts_with(c.names), parsed.error);
  }
}

BOOST_AUTO_TEST_CASE(bind_resolves_host_names) {
  auto local = parse({"--bind", "localhost"});
  BOOST_REQUIRE_MESSAGE(local.ok, local.error);
  const std::string& address = local.options.server.bind_address;
  BOOST_TEST((address == "127.0.0.1" || address == "::1"), address);  // from /etc/hosts: no DNS in a unit test
}

BOOST_AUTO_TEST_SUITE_END()
