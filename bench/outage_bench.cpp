// outage-bench: resident memory while an endpoint is down and records wait
// out a long retry schedule. Loads the module with dlopen, creates one
// webhook step whose endpoint refuses connections (a loopback port nothing
// listens on) with delivery.retry.schedule ["1h"], submits RECORDS records
// of about RECORD_BYTES each, waits until every one has failed its first
// attempt and waits for its retry, and prints one JSON line: the process's
// resident memory idle (the step created) and with every record waiting,
// and the growth per record against the records' own bytes.
//
//   outage-bench PLUGIN PORT RECORDS RECORD_BYTES [--spool DIR]
#include "output_step/output_step.h"

#include <webhook_common/version.hpp>

#include <dlfcn.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

namespace {

long rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

std::string config_of(const std::string& port, std::size_t records, const std::string& spool) {
  const std::string origin = "http://127.0.0.1:" + port;
  std::ostringstream c;
  c << R"({"auth": {"type": "td_webhook_out", "url_prefix": ")" << origin << R"(/", "api_key": "outage-key"},)"
    << R"("activation": {"name": "outage", "url": ")" << origin << R"(/in/{{profile.id}}",)"
    << R"("body": "{\"id\": \"{{profile.id}}\", \"note\": \"{{profile.note}}\"}"},)"
    << R"("advanced": {"webhook_connection_timeout": 5},)"
    << R"("delivery": {"max_in_flight": )" << records + 1 << R"(, "retry": {"schedule": ["1h"]})";
  if (!spool.empty()) c << R"(, "spool": {"dir": ")" << spool << R"(", "max_bytes": 17179869184})";
  c << "}}";
  return c.str();
}

// A record of `bytes` bytes, give or take a few: its profile's note pads it.
std::string record_of(std::size_t n, std::size_t bytes) {
  std::ostringstream head;
  head << R"({"event_id": "o-)" << n << R"(", "profile": {"id": "user-)" << n << R"(", "note": ")";
  const std::string_view tail = R"("}, "event": {"name": "purchase"}})";
  std::string text = head.str();
  const std::size_t fixed = text.size() + tail.size();
  text.append(bytes > fixed ? bytes - fixed : 0, 'x');
  text.append(tail);
  return text;
}

std::uint64_t stat_of(const output_step_t* step, std::string_view key) {
  char buffer[4096];
  if (step->stats(step, buffer, sizeof buffer) == 0) return 0;
  const std::string text(buffer);
  std::string needle = "\"";
  needle.append(key);
  needle.append("\":");
  const std::size_t at = text.find(needle);
  return at == std::string::npos ? 0 : std::strtoull(text.c_str() + at + key.size() + 3, nullptr, 10);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--version") {
    std::printf("outage-bench %s\n", webhook_common::kVersion);
    return 0;
  }
  if (argc != 5 && !(argc == 7 && std::string_view(argv[5]) == "--spool")) {
    std::fprintf(stderr, "usage: outage-bench PLUGIN PORT RECORDS RECORD_BYTES [--spool DIR]\n");
    return 2;
  }
  const std::size_t records = std::strtoull(argv[3], nullptr, 10);
  const std::size_t record_bytes = std::strtoull(argv[4], nullptr, 10);
  const std::string spool = argc == 7 ? argv[6] : "";
  void* handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  auto* entry = handle ? static_cast<const output_step_entry_t*>(dlsym(handle, OUTPUT_STEP_ENTRY_SYMBOL)) : nullptr;
  if (entry == nullptr) {
    std::fprintf(stderr, "outage-bench: cannot load %s: %s\n", argv[1], dlerror());
    return 1;
  }
  output_step_host_t host{};
  host.abi_version = OUTPUT_STEP_ABI_VERSION_INIT;
  host.name = "outage-bench";
  host.on_completion = [](const output_step_host_t*, const output_step_completion_t*) {};
  const std::string config = config_of(argv[2], records, spool);
  const output_step_t* step = entry->create(&host, config.data(), config.size(), nullptr, nullptr);
  if (step == nullptr) {
    std::fprintf(stderr, "outage-bench: create failed\n");
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const long idle = rss_kib();
  std::size_t record_total = 0;
  for (std::size_t n = 0; n < records; ++n) {
    const std::string text = record_of(n, record_bytes);
    record_total += text.size();
    output_step_record_t record{text.data(), text.size(), n};
    std::size_t accepted = 0;
    if (step->submit(step, &record, 1, &accepted) != OUTPUT_STEP_OK) {
      std::fprintf(stderr, "outage-bench: submit refused at record %zu\n", n);
      return 1;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  while (stat_of(step, "waiting_retry") < records) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "outage-bench: the records did not all wait for a retry\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const long waiting = rss_kib();
  const double per_record = static_cast<double>(waiting - idle) * 1024.0 / static_cast<double>(records);
  std::printf("{\"records\": %zu, \"record_bytes\": %.0f, \"spool\": %s, \"rss_idle_kib\": %ld, "
              "\"rss_waiting_kib\": %ld, \"bytes_per_record\": %.0f, \"of_record_bytes\": %.2f}\n",
              records, static_cast<double>(record_total) / static_cast<double>(records), spool.empty() ? "false" : "true",
              idle, waiting, per_record, per_record * static_cast<double>(records) / static_cast<double>(record_total));
  step->destroy(step, 0, nullptr);
  return 0;
}
