// runtime-bench: many activations in one process on one shared runtime
// (output-step.runtime/1), as a journey platform's runner would hold them.
// Loads the module with dlopen, creates ACTIVATIONS webhook steps spread
// over the origins given, submits RECORDS records spread evenly over them,
// waits for every completion, and prints one JSON line of figures: threads,
// resident memory per created activation, the time to create them all, and
// the records/s of the whole.
//
//   runtime-bench PLUGIN ORIGIN[,ORIGIN...] ACTIVATIONS RECORDS [--io-threads N]
//                 [--concurrency N] [--origin-concurrency N] [--hung] [--own-runtimes]
//
// ORIGIN: "http://127.0.0.1:PORT". Activation i uses origin i mod their
// number. With --hung, activation 0 posts to /hang/... (a path the endpoint
// never answers) its concurrency's worth of records, left out of RECORDS and
// of the rate. With --own-runtimes the host offers no runtime extension: each
// step runs on its own (as before output-step.runtime/1).
#include "output_step/output_step.h"

#include <webhook_common/version.hpp>

#include <dlfcn.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

long rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

std::size_t threads_now() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct Options {
  std::string plugin;
  std::vector<std::string> origins;
  std::size_t activations = 0, records = 0;
  std::uint32_t io_threads = 1;
  unsigned concurrency = 64, origin_concurrency = 256;
  bool hung = false, own_runtimes = false;
};

struct Host {
  output_step_host_t abi{};
  output_step_runtime_t runtime{sizeof(output_step_runtime_t), 1, "runtime-bench"};
  bool offer_runtime = true;
  std::atomic<std::uint64_t> done{0}, not_delivered{0};

  Host() {
    abi.abi_version = OUTPUT_STEP_ABI_VERSION_INIT;
    abi.host_data = this;
    abi.name = "runtime-bench";
    abi.log = [](const output_step_host_t*, output_step_log_level_t level, const char* message) {
      if (level >= OUTPUT_STEP_LOG_ERROR) std::fprintf(stderr, "runtime-bench: step: %s\n", message);
    };
    abi.on_completion = [](const output_step_host_t* h, const output_step_completion_t* c) {
      auto* self = static_cast<Host*>(h->host_data);
      if (c->outcome != OUTPUT_STEP_DELIVERED) self->not_delivered.fetch_add(1, std::memory_order_relaxed);
      self->done.fetch_add(1, std::memory_order_acq_rel);
    };
    abi.get_extension = [](const output_step_host_t* h, const char* id) -> const void* {
      auto* self = static_cast<Host*>(h->host_data);
      return self->offer_runtime && std::strcmp(id, OUTPUT_STEP_EXT_RUNTIME) == 0 ? &self->runtime : nullptr;
    };
  }
  // Looks every 200 us: no wake-up per completion on the runtime's thread.
  bool wait_for(std::uint64_t n, std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (done.load(std::memory_order_acquire) < n) {
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
  }
};

std::string config_of(const Options& o, std::size_t i, std::size_t max_in_flight) {
  const std::string& origin = o.origins[i % o.origins.size()];
  const char* path = o.hung && i == 0 ? "/hang/" : "/a/";
  std::ostringstream c;
  c << R"({"auth": {"type": "td_webhook_out", "url_prefix": ")" << origin << R"(/", "api_key": "bench-key"},)"
    << R"("activation": {"name": "bench", "url": ")" << origin << path << R"({{profile.id}}",)"
    << R"("headers": {"Authorization": "Bearer {{auth.api_key}}"},)"
    << R"("body": "{\"id\": \"{{profile.id}}\", \"event\": \"{{event.name}}\"}"},)"
    << R"("delivery": {"concurrency": )" << o.concurrency << R"(, "origin_concurrency": )" << o.origin_concurrency
    << R"(, "max_in_flight": )" << max_in_flight << "}}";
  return c.str();
}

std::string record_of(std::size_t n) {
  return R"({"event_id": "e-)" + std::to_string(n) + R"(", "profile": {"id": "user-)" + std::to_string(n) +
         R"("}, "event": {"name": "purchase"}})";
}

bool submit(const output_step_t* step, const std::string& text, std::uint64_t token) {
  output_step_record_t record{text.data(), text.size(), token};
  for (;;) {
    std::size_t accepted = 0;
    const output_step_status_t status = step->submit(step, &record, 1, &accepted);
    if (status == OUTPUT_STEP_OK) return true;
    if (status != OUTPUT_STEP_BUSY) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

int usage() {
  std::fprintf(stderr,
               "usage: runtime-bench PLUGIN ORIGIN[,ORIGIN...] ACTIVATIONS RECORDS [--io-threads N] [--concurrency N]\n"
               "                     [--origin-concurrency N] [--hung] [--own-runtimes]\n"
               "       runtime-bench --version\n");
  return 2;
}

bool parse_options(int argc, char** argv, Options& o) {
  if (argc < 5) return false;
  o.plugin = argv[1];
  std::stringstream origins(argv[2]);
  for (std::string origin; std::getline(origins, origin, ',');) o.origins.push_back(origin);
  o.activations = std::strtoull(argv[3], nullptr, 10);
  o.records = std::strtoull(argv[4], nullptr, 10);
  for (int i = 5; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--io-threads" && has_value) o.io_threads = static_cast<std::uint32_t>(std::atoi(argv[++i]));
    else if (arg == "--concurrency" && has_value) o.concurrency = static_cast<unsigned>(std::atoi(argv[++i]));
    else if (arg == "--origin-concurrency" && has_value) o.origin_concurrency = static_cast<unsigned>(std::atoi(argv[++i]));
    else if (arg == "--hung") o.hung = true;
    else if (arg == "--own-runtimes") o.own_runtimes = true;
    else return false;
  }
  return !o.origins.empty() && o.activations > (o.hung ? 1u : 0u) && o.records > 0;
}

// Room for every connection (4,096 and more to one origin).
void raise_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--version") {
    std::printf("runtime-bench %s\n", webhook_common::kVersion);
    return 0;
  }
  Options o;
  if (!parse_options(argc, argv, o)) return usage();
  raise_file_limit();
  void* handle = dlopen(o.plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
  auto* entry = handle ? static_cast<const output_step_entry_t*>(dlsym(handle, OUTPUT_STEP_ENTRY_SYMBOL)) : nullptr;
  if (entry == nullptr) {
    std::fprintf(stderr, "runtime-bench: cannot load %s: %s\n", o.plugin.c_str(), dlerror());
    return 1;
  }
  Host host;
  host.runtime.io_threads = o.io_threads;
  host.offer_runtime = !o.own_runtimes;
  const std::size_t first = o.hung ? 1 : 0;  // the activations the records go to
  const std::size_t per_activation = (o.records + (o.activations - first) - 1) / (o.activations - first);

  // Configurations rendered first: their text is the host's, not the step's.
  std::vector<std::string> configs;
  for (std::size_t i = 0; i < o.activations; ++i) configs.push_back(config_of(o, i, per_activation + o.concurrency));
  const std::size_t threads_before = threads_now();
  const long rss_before = rss_kib();
  std::vector<const output_step_t*> steps;
  const auto created_at = Clock::now();
  for (const std::string& config : configs) {
    const output_step_t* step = entry->create(&host.abi, config.data(), config.size(), nullptr, nullptr);
    if (step == nullptr) {
      std::fprintf(stderr, "runtime-bench: create failed (activation %zu)\n", steps.size());
      return 1;
    }
    steps.push_back(step);
  }
  const double create_s = seconds_since(created_at);
  const long rss_created = rss_kib();
  const std::size_t threads = threads_now() - threads_before;

  std::uint64_t hung_records = 0;
  if (o.hung) {
    for (unsigned i = 0; i < o.concurrency; ++i) hung_records += submit(steps[0], record_of(~0u - i), i) ? 1 : 0;
  }
  const auto started = Clock::now();
  for (std::size_t n = 0; n < o.records; ++n) {
    if (!submit(steps[first + n % (o.activations - first)], record_of(n), n)) {
      std::fprintf(stderr, "runtime-bench: submit refused\n");
      return 1;
    }
  }
  const double submit_s = seconds_since(started);
  const bool all = host.wait_for(o.records, std::chrono::seconds(300));
  const double deliver_s = seconds_since(started);
  const long rss_delivered = rss_kib();
  const auto destroy_at = Clock::now();
  for (const output_step_t* step : steps) step->destroy(step, 0, nullptr);
  const double destroy_s = seconds_since(destroy_at);

  const double activations = static_cast<double>(o.activations);
  std::printf(
      "{\"activations\": %zu, \"origins\": %zu, \"io_threads\": %u, \"own_runtimes\": %s, \"hung\": %s, "
      "\"threads\": %zu, \"rss_per_activation_kib\": %.2f, \"rss_after_delivery_per_activation_kib\": %.2f, "
      "\"create_s\": %.4f, \"destroy_s\": %.4f, \"submit_s\": %.4f, \"records\": %zu, \"completed\": %llu, \"not_delivered\": %llu, "
      "\"records_per_s\": %.0f}\n",
      o.activations, o.origins.size(), o.io_threads, o.own_runtimes ? "true" : "false", o.hung ? "true" : "false",
      threads, static_cast<double>(rss_created - rss_before) / activations,
      static_cast<double>(rss_delivered - rss_before) / activations, create_s, destroy_s, submit_s, o.records,
      static_cast<unsigned long long>(host.done.load() - (o.hung ? hung_records : 0)),
      static_cast<unsigned long long>(host.not_delivered.load() - (o.hung ? hung_records : 0)),
      static_cast<double>(o.records) / deliver_s);
  return all && host.not_delivered.load() == (o.hung ? hung_records : 0) ? 0 : 1;
}
