// webhook-mock: a thin main over webhook_mock::Server.
#include "webhook_mock/server.hpp"
#include "webhook_mock/stubs.hpp"

#include <boost/json/parse.hpp>

#include <boost/program_options.hpp>

#include <algorithm>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace po = boost::program_options;

namespace {

bool read_file(const std::string& path, std::string& content) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  content = s.str();
  return true;
}

// Stubs from a JSON file (one stub, or {"mappings": [...]}) or from every
// *.json file of a directory, as WireMock's mappings folder.
bool load_mappings(const std::string& path, std::vector<webhook_mock::StubMapping>& out) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (entry.path().extension() == ".json") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.emplace_back(path);
  }
  bool ok = true;
  for (const auto& file : files) {
    std::string text;
    if (!read_file(file.string(), text)) {
      std::cerr << "webhook-mock: --mappings: cannot read '" << file.string() << "'\n";
      ok = false;
      continue;
    }
    boost::system::error_code parse_ec;
    boost::json::value v = boost::json::parse(text, parse_ec);
    if (parse_ec) {
      std::cerr << "webhook-mock: " << file.string() << ": not valid JSON: " << parse_ec.message() << "\n";
      ok = false;
      continue;
    }
    std::vector<boost::json::value> specs;
    if (v.is_object() && v.get_object().contains("mappings") && v.get_object().at("mappings").is_array()) {
      for (const auto& m : v.get_object().at("mappings").get_array()) specs.push_back(m);
    } else {
      specs.push_back(v);
    }
    for (std::size_t i = 0; i < specs.size(); ++i) {
      std::vector<webhook_mock::PatternError> errors;
      auto stub = webhook_mock::parse_stub(specs[i], errors);
      for (const auto& e : errors) {
        std::cerr << "webhook-mock: " << file.string() << (specs.size() > 1 ? " mapping " + std::to_string(i) : "")
                  << ": " << (e.pointer.empty() ? "" : e.pointer + ": ") << e.detail << "\n";
      }
      if (stub) out.push_back(std::move(*stub));
      else ok = false;
    }
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  webhook_mock::ServerOptions options;
  int port = 8080;
  std::string cert_file, key_file, write_ca, mappings;
  po::options_description described(
      "usage: webhook-mock [--port N] [--bind ADDR] [--https] [--cert FILE --key FILE] [--write-ca FILE]\n"
      "                    [--threads N] [--journal-limit N] [--record-to FILE] [--mappings FILE|DIR]\n"
      "                    [--default-status CODE]\n"
      "\n"
      "A webhook receiver for tests: records every request and answers it as its stubs say\n"
      "(WireMock's admin API under /__admin/, webhook checks under /__webhooks/). The first\n"
      "line on stdout is 'listening on http://ADDRESS:PORT' (https:// with --https).\n"
      "SIGINT or SIGTERM stop it.\n"
      "\n"
      "Options");
  described.add_options()
      ("help,h", "show this help")
      ("port", po::value(&port)->default_value(8080), "port to listen on; 0 takes any free port")
      ("bind", po::value(&options.bind_address)->default_value("127.0.0.1"), "address to listen on")
      ("https", po::bool_switch(&options.https), "serve HTTPS; without --cert, a fresh CA and certificate "
                                                 "for localhost/127.0.0.1/::1 are generated in memory")
      ("cert", po::value(&cert_file), "server certificate chain (PEM), with --https")
      ("key", po::value(&key_file), "server private key (PEM), with --https")
      ("write-ca", po::value(&write_ca), "write the generated CA certificate (PEM) to FILE")
      ("threads", po::value(&options.threads)->default_value(1), "server threads")
      ("journal-limit", po::value(&options.journal_limit)->default_value(100000),
       "requests kept in memory; the oldest are evicted beyond it")
      ("record-to", po::value(&options.record_to), "also append every journal entry to FILE (NDJSON); an entry "
                                                     "is written before its response is sent")
      ("mappings", po::value(&mappings), "stubs to load at start: a JSON file (a stub, or {\"mappings\": [...]}) "
                                         "or a directory of them")
      ("default-status", po::value(&options.default_status)->default_value(200),
       "status answered when no stub matches");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(described).run(), vm);
    if (vm.count("help")) {
      std::cout << described << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "webhook-mock: " << e.what() << "\n\n" << described << "\n";
    return 2;
  }
  if (port < 0 || port > 65535) {
    std::cerr << "webhook-mock: --port must be 0 to 65535\n";
    return 2;
  }
  if (options.default_status < 100 || options.default_status > 599) {
    std::cerr << "webhook-mock: --default-status must be 100 to 599\n";
    return 2;
  }
  if (options.threads < 1 || options.threads > 64) {
    std::cerr << "webhook-mock: --threads must be 1 to 64\n";
    return 2;
  }
  if (cert_file.empty() != key_file.empty()) {
    std::cerr << "webhook-mock: --cert and --key go together\n";
    return 2;
  }
  if (!cert_file.empty()) {
    if (!options.https) {
      std::cerr << "webhook-mock: --cert and --key need --https\n";
      return 2;
    }
    if (!read_file(cert_file, options.certificate_pem) || !read_file(key_file, options.private_key_pem)) {
      std::cerr << "webhook-mock: cannot read --cert or --key\n";
      return 2;
    }
  }
  options.port = static_cast<std::uint16_t>(port);
  std::vector<webhook_mock::StubMapping> initial;
  if (!mappings.empty() && !load_mappings(mappings, initial)) return 2;

  // Many concurrent clients need many descriptors: take what the system allows.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // server threads inherit the mask

  try {
    webhook_mock::Server server(options);
    server.stubs().set_initial(std::move(initial));
    if (!write_ca.empty()) {
      if (server.ca_certificate_pem().empty()) {
        std::cerr << "webhook-mock: --write-ca needs --https without --cert (a generated CA)\n";
        return 2;
      }
      std::ofstream(write_ca) << server.ca_certificate_pem();
    }
    std::cout << "listening on " << server.base_url() << std::endl;
    int received = 0;
    sigwait(&signals, &received);
    server.stop();
    std::cerr << "webhook-mock: stopped by signal " << received << " after " << server.total_received()
              << " requests\n";
  } catch (const std::exception& e) {
    std::cerr << "webhook-mock: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
