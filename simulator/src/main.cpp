// journey-sim: a thin main over the simulator's commands.
#include "journey_sim/generator.hpp"
#include "journey_sim/replay.hpp"
#include "journey_sim/report.hpp"
#include "journey_sim/runner.hpp"
#include "journey_sim/stream.hpp"

#include <webhook_common/version.hpp>

#include <boost/json/serialize.hpp>
#include <boost/program_options.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>

namespace po = boost::program_options;

namespace {

// Parses a command's options. Returns the exit status when the command
// stops here (0 after --help, 2 for a usage error), nullopt to go on.
std::optional<int> parse_command_line(int argc, char** argv, const char* command,
                                      const po::options_description& described,
                                      const po::positional_options_description* positional, po::variables_map& vm) {
  try {
    po::command_line_parser parser(argc, argv);
    parser.options(described);
    if (positional != nullptr) parser.positional(*positional);
    po::store(parser.run(), vm);
    if (vm.count("help")) {
      std::cout << described << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "journey-sim " << command << ": " << e.what() << "\n\n" << described << "\n";
    return 2;
  }
  return std::nullopt;
}

constexpr const char* kUsage =
    "usage: journey-sim COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  run       play scenarios through their journeys and the plugin; check expectations\n"
    "  validate  check scenario files as run does (with --plugin, each activation too)\n"
    "  generate  write a synthetic load of profile events as NDJSON\n"
    "  stream    submit NDJSON records to any output-step plugin and report the outcomes\n"
    "  replay    resubmit dead letters under their original webhook-id\n"
    "\n"
    "Run 'journey-sim help COMMAND' (or 'journey-sim COMMAND --help') for the options of a command,\n"
    "'journey-sim --version' for the version.\n";

int stream_command(int argc, char** argv) {
  journey_sim::StreamOptions options;
  po::options_description described(
      "usage: journey-sim stream --plugin PATH --config FILE [--input FILE] [--outcomes FILE] [--accepted FILE]\n"
      "                          [--deadline SECONDS]\n"
      "\n"
      "Loads an output-step plugin (dlopen, ABI check), creates it from the JSON configuration,\n"
      "submits each line of the NDJSON input (default: stdin) as a record, waits for every\n"
      "completion and prints {\"submitted\":N,\"delivered\":N,\"failed\":N,\"dead_lettered\":N}\n"
      "as the last line of stdout.\n"
      "Exit status: 0 every record delivered, 1 some were not, 2 invalid configuration or input.\n"
      "\n"
      "Options");
  described.add_options()
      ("help,h", "show this help")
      ("plugin", po::value(&options.plugin)->required(), "path of the output-step module (.so)")
      ("config", po::value(&options.config)->required(), "the plugin's JSON configuration file")
      ("input", po::value(&options.input), "NDJSON records, one per line (default: stdin; '-' too)")
      ("outcomes", po::value(&options.outcomes), "write one NDJSON outcome per record to FILE")
      ("accepted", po::value(&options.accepted), "append each record's event_id to FILE, flushed, once the plugin "
                                                 "accepted it (with a spool: once it counts as durable)")
      ("deadline", po::value(&options.deadline_s), "after the input ends, wait at most SECONDS for completions "
                                                   "(default: until all complete); SIGINT/SIGTERM stop at once");
  po::variables_map vm;
  if (auto stop = parse_command_line(argc, argv, "stream", described, nullptr, vm)) return *stop;
  if (options.deadline_s < 0) {
    std::cerr << "journey-sim stream: --deadline must be 0 or more seconds\n";
    return 2;
  }
  return journey_sim::run_stream(options, std::cout, std::cerr);
}

int run_cli(int argc, char** argv) {
  journey_sim::RunOptions options;
  std::string speed = "max", color = "auto";
  po::options_description described(
      "usage: journey-sim run SCENARIO... --plugin PATH [--endpoint embedded|URL] [--speed max|N] [--seed N]\n"
      "                   [--junit FILE] [--json FILE] [--show-secrets] [--color auto|always|never]\n"
      "                   [--journal-limit N]\n"
      "\n"
      "Plays each scenario's events through its real-time journey on simulated time, delivers\n"
      "the activations through the plugin (loaded with dlopen, as any runner would) to the\n"
      "embedded mock endpoint, and checks the scenario's expectations.\n"
      "Exit status: 0 every expectation holds, 1 one fails, 2 a scenario file is invalid.\n"
      "\n"
      "Options");
  described.add_options()
      ("help,h", "show this help")
      ("scenario", po::value(&options.scenarios)->composing(), "scenario files (positional)")
      ("plugin", po::value(&options.plugin)->required(), "the output-step module (.so)")
      ("endpoint", po::value(&options.endpoint)->default_value("embedded"),
       "where deliveries go: embedded (a mock endpoint in the process, on a free port), or the http:// "
       "base URL of a running webhook-mock or WireMock (reset, given the scenario's mappings, then read back)")
      ("speed", po::value(&speed)->default_value("max"), "max: simulated time jumps; N: N simulated seconds per real second")
      ("seed", po::value(&options.seed)->default_value(1), "seed of generated events (\"events\": {\"generate\"}) "
                                                            "that give none of their own")
      ("journal-limit", po::value(&options.journal_limit)->default_value(100'000),
       "the embedded endpoint keeps the last N requests for the checks of the requests (counts see every one)")
      ("junit", po::value(&options.junit), "write a JUnit XML report to FILE")
      ("json", po::value(&options.json), "write a JSON report to FILE")
      ("show-secrets", po::bool_switch(&options.show_secrets), "do not mask API keys and signing secrets in reports")
      ("color", po::value(&color)->default_value("auto"),
       "auto: colours on a terminal unless NO_COLOR is set; always; never");
  po::positional_options_description positional;
  positional.add("scenario", -1);
  po::variables_map vm;
  if (auto stop = parse_command_line(argc, argv, "run", described, &positional, vm)) return *stop;
  if (options.journal_limit == 0) {
    std::cerr << "journey-sim run: --journal-limit is at least 1\n";
    return 2;
  }
  const bool terminal = ::isatty(STDOUT_FILENO) != 0;
  if (auto style = journey_sim::text_style(color, terminal, std::getenv("NO_COLOR"), std::getenv("TERM"))) {
    options.style = *style;
  } else {
    std::cerr << "journey-sim run: --color is auto, always or never, not '" << color << "'\n";
    return 2;
  }
  if (options.scenarios.empty()) {
    std::cerr << "journey-sim run: give at least one scenario file\n";
    return 2;
  }
  if (speed != "max") {
    try {
      options.speed = std::stod(speed);
    } catch (const std::exception&) {
      options.speed = -1;
    }
    if (!(options.speed > 0)) {
      std::cerr << "journey-sim run: --speed is 'max' or a positive number, not '" << speed << "'\n";
      return 2;
    }
  }
  options.progress = terminal;
  return journey_sim::run_command(options, std::cout, std::cerr);
}

int generate_cli(int argc, char** argv) {
  journey_sim::GenerateSpec spec;
  std::string span = "1d", mix = "signup=1,purchase=3,page_view=4", start = "2026-01-01T00:00:00Z", out_file;
  po::options_description described(
      "usage: journey-sim generate [--profiles N] [--events N] [--span DURATION] [--mix NAME=W,...]\n"
      "                        [--seed N] [--start TIME] [--out FILE]\n"
      "\n"
      "Writes synthetic profile events as NDJSON ({\"profile\", \"name\", \"at\", \"id\", \"fields\"}),\n"
      "the same for the same seed; every profile's first event is a signup. A scenario reads\n"
      "them with \"events\": {\"file\": ...}, or generates in place with \"events\": {\"generate\": ...}.\n"
      "\n"
      "Options");
  described.add_options()
      ("help,h", "show this help")
      ("profiles", po::value(&spec.profiles)->default_value(1000), "number of profiles")
      ("events", po::value(&spec.events)->default_value(10000), "number of events")
      ("span", po::value(&span)->default_value("1d"), "events spread over this duration")
      ("mix", po::value(&mix)->default_value(mix), "event names with weights")
      ("seed", po::value(&spec.seed)->default_value(1), "random seed")
      ("start", po::value(&start)->default_value(start), "time of the first possible event (ISO 8601 UTC)")
      ("out", po::value(&out_file), "write to FILE instead of stdout");
  po::variables_map vm;
  if (auto stop = parse_command_line(argc, argv, "generate", described, nullptr, vm)) return *stop;
  bool span_too_long = false;
  auto span_ms = journey_sim::parse_duration(span, &span_too_long);
  auto start_ms = journey_sim::parse_timestamp(start);
  if (span_too_long) {
    std::cerr << "journey-sim generate: --span is at most 100 years (36525d), not '" << span << "'\n";
    return 2;
  }
  if (!span_ms || !start_ms || spec.profiles == 0) {
    std::cerr << "journey-sim generate: " << (!span_ms ? "--span is a duration such as 90s, 2h, 3d" : !start_ms ? "--start is an ISO 8601 UTC time" : "--profiles must be at least 1") << "\n";
    return 2;
  }
  if (spec.profiles > journey_sim::kMaxGenerated || spec.events > journey_sim::kMaxGenerated) {
    std::cerr << "journey-sim generate: --profiles and --events are at most " << journey_sim::kMaxGenerated << "\n";
    return 2;
  }
  spec.span_ms = *span_ms;
  spec.mix.clear();
  std::string_view rest = mix;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    auto eq = item.find('=');
    try {
      spec.mix.emplace_back(std::string(item.substr(0, eq)), eq == std::string_view::npos ? 1.0 : std::stod(std::string(item.substr(eq + 1))));
    } catch (const std::exception&) {
      std::cerr << "journey-sim generate: --mix is NAME=WEIGHT,..., not '" << mix << "'\n";
      return 2;
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  std::ofstream file;
  if (!out_file.empty()) {
    file.open(out_file, std::ios::trunc);
    if (!file) {
      std::cerr << "journey-sim generate: cannot write '" << out_file << "'\n";
      return 2;
    }
  }
  std::ostream& out = out_file.empty() ? std::cout : file;
  journey_sim::EventGenerator events(spec, *start_ms);  // one at a time: memory stays flat
  for (journey_sim::Event e; events.next(e);) {
    boost::json::object line{{"profile", e.profile}, {"name", e.name}, {"at", journey_sim::format_timestamp(e.at_ms)},
                             {"id", e.id}};
    if (!e.fields.empty()) line["fields"] = e.fields;
    out << boost::json::serialize(line) << '\n';
  }
  return out ? 0 : 1;
}

int replay_cli(int argc, char** argv) {
  journey_sim::ReplayOptions options;
  int status = 0;
  std::string since, until;
  po::options_description described(
      "usage: journey-sim replay DEAD_LETTER_FILE --plugin PATH --config FILE [--activation NAME]\n"
      "                      [--status CODE] [--since TIME] [--until TIME]\n"
      "\n"
      "Resubmits dead letters (all, or those of an activation, a last HTTP status, a time range)\n"
      "through the plugin, each under the webhook-id it was first sent with. A letter leaves the\n"
      "file only once delivered; the others stay. The last line of stdout is\n"
      "{\"submitted\":N,\"delivered\":N,\"failed\":N,\"dead_lettered\":N}.\n"
      "Exit status: 0 every selected letter delivered, 1 some were not, 2 invalid input.\n"
      "\n"
      "Options");
  described.add_options()
      ("help,h", "show this help")
      ("file", po::value(&options.dead_letters), "the dead-letter file (positional)")
      ("plugin", po::value(&options.plugin)->required(), "the output-step module (.so)")
      ("config", po::value(&options.config)->required(), "the plugin's configuration (its dead_letter_file is ignored)")
      ("activation", po::value(&options.activation), "only letters of this activation")
      ("status", po::value(&status), "only letters whose last attempt got this HTTP status")
      ("since", po::value(&since), "only letters written at or after this ISO 8601 UTC time")
      ("until", po::value(&until), "only letters written before this ISO 8601 UTC time");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (auto stop = parse_command_line(argc, argv, "replay", described, &positional, vm)) return *stop;
  if (options.dead_letters.empty()) {
    std::cerr << "journey-sim replay: give the dead-letter file\n";
    return 2;
  }
  if (vm.count("status")) options.status = status;
  for (auto [text, target] : {std::pair{&since, &options.since_ms}, std::pair{&until, &options.until_ms}}) {
    if (text->empty()) continue;
    *target = journey_sim::parse_timestamp(*text);
    if (!*target) {
      std::cerr << "journey-sim replay: '" << *text << "' is not an ISO 8601 UTC time such as 2026-01-02T03:04:05Z\n";
      return 2;
    }
  }
  return journey_sim::run_replay(options, std::cout, std::cerr);
}

int validate_cli(int argc, char** argv) {
  journey_sim::ValidateOptions options;
  po::options_description described(
      "usage: journey-sim validate SCENARIO... [--plugin PATH] [--require-env]\n"
      "\n"
      "Checks scenario files as run does and reports every problem at once, each with the file and\n"
      "a JSON pointer (line and column for syntax errors): the format, the endpoint's mappings and\n"
      "the expectations' request patterns through webhook-mock's own parser, and with --plugin each\n"
      "activation through the plugin's validate. An api_key_env or signing_secret_env that is not\n"
      "set here is a warning (the activation is checked with a placeholder in its place), or with\n"
      "--require-env an error. Exit status: 0 valid, 2 invalid (as run for the same files).\n"
      "\n"
      "Options");
  described.add_options()
      ("help,h", "show this help")
      ("scenario", po::value(&options.files)->composing(), "scenario files (positional)")
      ("plugin", po::value(&options.plugin), "also validate each activation with this output-step module")
      ("require-env", po::bool_switch(&options.require_env), "an unset api_key_env or signing_secret_env is an error");
  po::positional_options_description positional;
  positional.add("scenario", -1);
  po::variables_map vm;
  if (auto stop = parse_command_line(argc, argv, "validate", described, &positional, vm)) return *stop;
  if (options.files.empty()) {
    std::cerr << "journey-sim validate: give at least one scenario file\n";
    return 2;
  }
  return journey_sim::validate_command(options, std::cout, std::cerr);
}

}  // namespace

// The commands, by name; each takes (argc, argv) from its own name on.
using CommandFn = int (*)(int, char**);
CommandFn find_command(const std::string& name) {
  static const std::pair<const char*, CommandFn> commands[] = {
      {"stream", stream_command}, {"run", run_cli}, {"validate", validate_cli},
      {"generate", generate_cli}, {"replay", replay_cli}};
  for (const auto& [command_name, fn] : commands) {
    if (name == command_name) return fn;
  }
  return nullptr;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::string command = argv[1];
  if (command == "help" && argc == 3) {  // journey-sim help COMMAND: that command's --help
    const CommandFn fn = find_command(argv[2]);
    if (fn == nullptr) {
      std::cerr << "journey-sim help: unknown command '" << argv[2] << "'\n\n" << kUsage;
      return 2;
    }
    std::string help = "--help";
    char* args[] = {argv[2], help.data(), nullptr};
    return fn(2, args);
  }
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "--version") {
    std::cout << "journey-sim " << webhook_common::kVersion << "\n";
    return 0;
  }
  if (const CommandFn fn = find_command(command)) return fn(argc - 1, argv + 1);
  std::cerr << "journey-sim: unknown command '" << command << "'\n\n" << kUsage;
  return 2;
}
