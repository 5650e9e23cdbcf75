// webhook-mock: a thin main over webhook_mock::Server.
#include "webhook_mock/command_line.hpp"
#include "webhook_mock/server.hpp"
#include "webhook_mock/stubs.hpp"

#include <webhook_common/file_text.hpp>
#include <webhook_common/version.hpp>

#include <boost/json/parse.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace {

bool read_file(const std::string& path, std::string& content) {
  auto file = webhook_common::read_file(path);
  if (file) content = std::move(*file);
  return file.has_value();
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
      std::cerr << "webhook-mock: --mappings: cannot read '" << file.string() << "': " << std::strerror(errno) << "\n";
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

// What the options name, read before anything starts: a file that cannot be
// read, or a journal that cannot be written, is a bad argument (exit 2).
bool prepare(webhook_mock::CommandLine& c, std::vector<webhook_mock::StubMapping>& initial) {
  if (!c.cert_file.empty() &&
      (!read_file(c.cert_file, c.server.certificate_pem) || !read_file(c.key_file, c.server.private_key_pem))) {
    std::cerr << "webhook-mock: --cert/--key: cannot read '" << c.cert_file << "' or '" << c.key_file
              << "': " << std::strerror(errno) << "\n";
    return false;
  }
  if (!c.server.record_to.empty()) {
    int fd = ::open(c.server.record_to.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      std::cerr << "webhook-mock: --record-to: cannot open '" << c.server.record_to << "': " << std::strerror(errno)
                << "\n";
      return false;
    }
    ::close(fd);
  }
  return c.mappings.empty() || load_mappings(c.mappings, initial);
}

// Serves until SIGINT or SIGTERM; 1 when it cannot start.
int serve(const webhook_mock::CommandLine& c, std::vector<webhook_mock::StubMapping> initial) {
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
    webhook_mock::Server server(c.server);
    server.stubs().set_initial(std::move(initial));
    if (!c.write_ca.empty()) std::ofstream(c.write_ca) << server.ca_certificate_pem();
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

}  // namespace

int main(int argc, char** argv) {
  webhook_mock::CommandLine options;
  std::string error;
  if (!webhook_mock::parse_command_line(argc, argv, options, error)) {
    std::cerr << "webhook-mock: " << error << " (see webhook-mock --help)\n";
    return 2;
  }
  if (options.help) {
    std::cout << webhook_mock::command_line_usage();
    return 0;
  }
  if (options.version) {
    std::cout << "webhook-mock " << webhook_common::kVersion << "\n";
    return 0;
  }
  std::vector<webhook_mock::StubMapping> initial;
  if (!prepare(options, initial)) return 2;
  return serve(options, std::move(initial));
}
