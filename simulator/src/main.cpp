// journey-sim: a thin main over the simulator's commands.
#include "stream.hpp"

#include <boost/program_options.hpp>

#include <iostream>

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: journey-sim COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  stream   submit NDJSON records to any output-step plugin and report the outcomes\n"
    "\n"
    "Run 'journey-sim COMMAND --help' for the options of a command.\n";

int stream_command(int argc, char** argv) {
  journey_sim::StreamOptions options;
  po::options_description described(
      "usage: journey-sim stream --plugin PATH --config FILE [--input FILE] [--outcomes FILE]\n"
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
      ("deadline", po::value(&options.deadline_s), "after the input ends, wait at most SECONDS for completions "
                                                   "(default: until all complete); SIGINT/SIGTERM stop at once");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(described).run(), vm);
    if (vm.count("help")) {
      std::cout << described << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "journey-sim stream: " << e.what() << "\n\n" << described << "\n";
    return 2;
  }
  if (options.deadline_s < 0) {
    std::cerr << "journey-sim stream: --deadline must be 0 or more seconds\n";
    return 2;
  }
  return journey_sim::run_stream(options, std::cout, std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "stream") return stream_command(argc - 1, argv + 1);
  std::cerr << "journey-sim: unknown command '" << command << "'\n\n" << kUsage;
  return 2;
}
