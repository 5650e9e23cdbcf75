// output-runner: a thin main over the runner's commands.
#include "output_runner/consume.hpp"
#include "output_runner/publish.hpp"

#include <webhook_common/version.hpp>

#include <boost/program_options.hpp>

#include <cstdlib>
#include <iostream>
#include <optional>

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: output-runner COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  consume   deliver the records of a Redis stream through output-step activations,\n"
    "            sharing the stream with other runners in a consumer group (at least once)\n"
    "  publish   XADD NDJSON records from stdin to a Redis stream\n"
    "\n"
    "Redis: --redis redis://HOST[:PORT][/DB] or rediss://... (TLS); the password, if any, in the\n"
    "environment variable REDIS_PASSWORD (never on the command line).\n"
    "Run 'output-runner COMMAND --help' for a command's options, 'output-runner --version' for the version.\n";

std::optional<int> parse_command_line(int argc, char** argv, const char* command, const po::options_description& d,
                                      po::variables_map& vm) {
  try {
    po::store(po::command_line_parser(argc, argv).options(d).run(), vm);
    if (vm.count("help")) {
      std::cout << d << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "output-runner " << command << ": " << e.what() << "\n\n" << d << "\n";
    return 2;
  }
  return std::nullopt;
}

// The Redis URL and password into `redis`; false (reason printed) when the URL is invalid.
bool redis_options(const char* command, const std::string& url, const std::string& ca, output_runner::RedisOptions& redis) {
  std::string error;
  auto parsed = output_runner::parse_redis_url(url, error);
  if (!parsed) {
    std::cerr << "output-runner " << command << ": " << error << "\n";
    return false;
  }
  redis.url = *parsed;
  redis.ca_file = ca;
  if (const char* password = std::getenv("REDIS_PASSWORD")) redis.password = password;
  if (!ca.empty() && !redis.url.tls) {
    std::cerr << "output-runner " << command << ": --redis-ca is for rediss:// URLs (TLS)\n";
    return false;
  }
  return true;
}

void redis_flags(po::options_description& d, std::string& url, std::string& ca) {
  d.add_options()
      ("redis", po::value(&url)->required(), "redis://HOST[:PORT][/DB] or rediss://HOST[:PORT][/DB]")
      ("redis-ca", po::value(&ca), "rediss: trust this CA file (PEM) instead of the system store");
}

// A numeric flag within [min, max]; false (reason printed) when not.
bool in_range(const char* flag, std::int64_t value, std::int64_t min, std::int64_t max) {
  if (value >= min && value <= max) return true;
  std::cerr << "output-runner consume: --" << flag << " is " << value << "; allowed: " << min << " to " << max << "\n";
  return false;
}

int consume_command(int argc, char** argv) {
  output_runner::ConsumeOptions o;
  std::string url, ca;
  std::int64_t batch = 64, max_deliveries = 5, metrics_port = -1, io_threads = 1;
  po::options_description d(
      "usage: output-runner consume --redis URL --stream NAME --group NAME --consumer NAME --plugin PATH\n"
      "                             --config FILE [--config FILE ...] [--batch N] [--claim-idle-ms MS]\n"
      "                             [--max-deliveries N] [--metrics-port PORT] [--outcomes FILE] [--trim]\n"
      "\n"
      "Reads the stream's entries (field `record`, and `activation` with several --config) as one\n"
      "consumer of the group (created if missing), submits each to its activation's step, and\n"
      "acknowledges it (XACK) once delivered or dead-lettered; a failed record stays pending and\n"
      "comes back. Entries idle longer than --claim-idle-ms in another consumer are taken over.\n"
      "SIGINT/SIGTERM: stop reading, finish what is in flight, exit. Last stdout line:\n"
      "{\"consumed\":N,\"delivered\":N,\"failed\":N,\"dead_lettered\":N,\"claimed\":N}\n"
      "Exit status: 0 everything consumed was delivered or dead-lettered, 1 some were not,\n"
      "2 invalid configuration or arguments.\n"
      "\n"
      "Options");
  d.add_options()("help,h", "show this help");
  redis_flags(d, url, ca);
  d.add_options()
      ("stream", po::value(&o.stream)->required(), "the stream's key")
      ("group", po::value(&o.group)->required(), "the consumer group")
      ("consumer", po::value(&o.consumer)->required(), "this runner's name in the group (unique per runner)")
      ("plugin", po::value(&o.plugin)->required(), "the output-step module (.so)")
      ("config", po::value(&o.configs)->required()->composing(), "an activation's JSON configuration (repeatable)")
      ("batch", po::value(&batch)->default_value(64), "entries per XREADGROUP (1 to 10000)")
      ("io-threads", po::value(&io_threads)->default_value(1),
       "I/O threads of the runtime every activation shares (1 to 64)")
      ("claim-idle-ms", po::value(&o.claim_idle_ms)->default_value(30000),
       "take over entries idle this long in another consumer (100 to 86400000)")
      ("max-deliveries", po::value(&max_deliveries)->default_value(5),
       "an entry delivered more often goes to NAME:dead (1 to 1000000)")
      ("metrics-port", po::value(&metrics_port), "serve Prometheus metrics at http://127.0.0.1:PORT/metrics (0: any port)")
      ("outcomes", po::value(&o.outcomes), "append one NDJSON outcome per completed entry to FILE")
      ("trim", po::bool_switch(&o.trim), "XTRIM the stream below the oldest entry any group still needs")
      ("shutdown-timeout-ms", po::value(&o.shutdown_timeout_ms)->default_value(10000),
       "after a signal, wait this long for what is in flight (0 to 3600000)");
  po::variables_map vm;
  if (auto stop = parse_command_line(argc, argv, "consume", d, vm)) return *stop;
  if (!in_range("batch", batch, 1, 10000) || !in_range("io-threads", io_threads, 1, 64) || !in_range("claim-idle-ms", o.claim_idle_ms, 100, 86400000) ||
      !in_range("max-deliveries", max_deliveries, 1, 1000000) ||
      (vm.count("metrics-port") && !in_range("metrics-port", metrics_port, 0, 65535)) ||
      !in_range("shutdown-timeout-ms", o.shutdown_timeout_ms, 0, 3600000)) {
    return 2;
  }
  for (const auto* name : {&o.stream, &o.group, &o.consumer}) {
    if (name->empty()) {
      std::cerr << "output-runner consume: --stream, --group and --consumer must not be empty\n";
      return 2;
    }
  }
  if (!redis_options("consume", url, ca, o.redis)) return 2;
  o.batch = static_cast<std::size_t>(batch);
  o.io_threads = static_cast<std::uint32_t>(io_threads);
  o.max_deliveries = static_cast<std::uint64_t>(max_deliveries);
  o.metrics_port = static_cast<int>(metrics_port);
  return output_runner::run_consume(o, std::cout, std::cerr);
}

int publish_command(int argc, char** argv) {
  output_runner::PublishOptions o;
  std::string url, ca;
  po::options_description d(
      "usage: output-runner publish --redis URL --stream NAME [--activation NAME]\n"
      "\n"
      "XADDs each NDJSON record of stdin to the stream (field `record`, and `activation` when\n"
      "given). Prints {\"published\":N} last. Exit status: 0 all published, 1 Redis failed,\n"
      "2 invalid arguments or a line that is not a JSON object (skipped, reported by number).\n"
      "\n"
      "Options");
  d.add_options()("help,h", "show this help");
  redis_flags(d, url, ca);
  d.add_options()
      ("stream", po::value(&o.stream)->required(), "the stream's key")
      ("activation", po::value(&o.activation), "the activation each record is for (runners with several --config)");
  po::variables_map vm;
  if (auto stop = parse_command_line(argc, argv, "publish", d, vm)) return *stop;
  if (o.stream.empty()) {
    std::cerr << "output-runner publish: --stream must not be empty\n";
    return 2;
  }
  if (!redis_options("publish", url, ca, o.redis)) return 2;
  return output_runner::run_publish(o, std::cin, std::cout, std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "--version") {
    std::cout << "output-runner " << webhook_common::kVersion << "\n";
    return 0;
  }
  if (command == "consume") return consume_command(argc - 1, argv + 1);
  if (command == "publish") return publish_command(argc - 1, argv + 1);
  std::cerr << "output-runner: unknown command '" << command << "'\n\n" << kUsage;
  return 2;
}
