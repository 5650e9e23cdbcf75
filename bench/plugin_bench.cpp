// plugin-bench: records/s through the output-step ABI, as a runner drives it.
// Loads the module with dlopen, creates a webhook step for URL (a body
// template with ten variables, 64 connections), submits RECORDS records as
// fast as back-pressure allows, and prints one JSON line of figures.
//
//   plugin-bench PLUGIN URL RECORDS [--ca FILE] [--rate N [--batch N]] [--concurrency N]
//                [--busy-poll-us N] [--host-io] [--trace FILE] [--spool DIR [--fsync always|batch|off]]
//
// With --rate, records are submitted at N per second, --batch at a time (4;
// 1 to 64), the runner sleeping in between; and a probe thread sleeps 1 ms
// at a time and records how late it wakes: the delay any thread of this
// machine sees at that load, which bounds the latency the plugin's threads
// can show.
//
// With --host-io, the runner offers output-step.host-io/1: the step starts
// no I/O thread, and the runner's thread runs the step's I/O (its poll)
// wherever it would otherwise sleep or wait: until the next batch is due,
// until back-pressure eases; at full rate, after each submit too.
//
// With --trace, each timed record's submit time and latency (submit() called
// -> its completion, in microseconds) go to FILE, a line each, for
// bench/latency_episodes.py.
#include "output_step/output_step.h"

#include <webhook_common/version.hpp>

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

// A "Vm...:" figure of /proc/self/status, in KiB: VmRSS (resident now),
// VmHWM (the peak).
long status_kib(std::string_view key) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(key, 0) == 0) return std::strtol(line.c_str() + key.size(), nullptr, 10);
  }
  return 0;
}

// CPU time (user and system, in microseconds) of this process's threads:
// the calling (runner's) thread, and all the others (the plugin's).
struct CpuSplit {
  double runner_us = 0, plugin_us = 0;
  double plugin_system_us = 0;  // of plugin_us, in the kernel
};

CpuSplit cpu_split() {
  CpuSplit split;
  const long ticks = sysconf(_SC_CLK_TCK);
  const std::string self = std::to_string(getpid());
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // Fields 14 and 15 (utime, stime) follow the command in parentheses.
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string skip;
    for (int i = 3; i < 14; ++i) fields >> skip;
    double utime = 0, stime = 0;
    fields >> utime >> stime;
    double us = (utime + stime) * 1e6 / static_cast<double>(ticks);
    if (task.path().filename() == self) {
      split.runner_us += us;
    } else {
      split.plugin_us += us;
      split.plugin_system_us += stime * 1e6 / static_cast<double>(ticks);
    }
  }
  return split;
}

// How late a thread that sleeps 1 ms at a time wakes, in microseconds.
class WakeupProbe {
 public:
  void start() {
    thread_ = std::thread([this] {
      while (!stop_.load(std::memory_order_relaxed)) {
        auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
        std::this_thread::sleep_until(due);
        auto late = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - due);
        delays_.push_back(late.count());
      }
    });
  }
  // "{"p50_us": ..., "p99_us": ..., "p999_us": ..., "max_us": ...}"
  std::string stop() {
    stop_.store(true);
    thread_.join();
    std::sort(delays_.begin(), delays_.end());
    auto at = [this](double q) {
      return delays_.empty() ? 0 : delays_[std::min(delays_.size() - 1, static_cast<std::size_t>(q * static_cast<double>(delays_.size())))];
    };
    char text[160];
    std::snprintf(text, sizeof text, R"({"p50_us": %lld, "p99_us": %lld, "p999_us": %lld, "max_us": %lld})",
                  static_cast<long long>(at(0.5)), static_cast<long long>(at(0.99)), static_cast<long long>(at(0.999)),
                  static_cast<long long>(delays_.empty() ? 0 : delays_.back()));
    return text;
  }

 private:
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::vector<std::int64_t> delays_;
};

struct Host {
  output_step_host_t abi{};
  output_step_host_io_t io{sizeof(output_step_host_io_t)};
  bool offer_io = false;
  std::mutex mutex;
  std::condition_variable completed;
  std::atomic<std::uint64_t> done{0}, delivered{0};
  // A submitter told "busy" sleeps until this many records are done: woken
  // once per window of completions, not once per completion (a wake-up is a
  // context switch on both sides).
  std::atomic<std::uint64_t> wake_at{~std::uint64_t{0}};
  std::string first_error;
  // With --trace: when each record (by token) completed, in steady-clock ns.
  std::vector<std::int64_t>* completed_ns = nullptr;

  Host() {
    abi.abi_version = OUTPUT_STEP_ABI_VERSION_INIT;
    abi.host_data = this;
    abi.name = "plugin-bench";
    abi.get_extension = [](const output_step_host_t* h, const char* id) -> const void* {
      auto* self = static_cast<Host*>(h->host_data);
      return self->offer_io && std::strcmp(id, OUTPUT_STEP_EXT_HOST_IO) == 0 ? &self->io : nullptr;
    };
    abi.on_completion = [](const output_step_host_t* h, const output_step_completion_t* c) {
      auto* self = static_cast<Host*>(h->host_data);
      if (self->completed_ns != nullptr && c->token < self->completed_ns->size()) {
        (*self->completed_ns)[c->token] = std::chrono::steady_clock::now().time_since_epoch().count();
      }
      // The ABI serialises completion calls: these counters have one writer
      // at a time, and need no locked read-modify-write.
      if (c->outcome == OUTPUT_STEP_DELIVERED) {
        self->delivered.store(self->delivered.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      } else {
        std::lock_guard lock(self->mutex);
        if (self->first_error.empty()) self->first_error = c->error ? c->error : "failed";
      }
      const std::uint64_t finished = self->done.load(std::memory_order_relaxed) + 1;
      self->done.store(finished, std::memory_order_release);
      if (finished >= self->wake_at.load(std::memory_order_acquire)) {
        std::lock_guard lock(self->mutex);
        self->completed.notify_one();
      }
    };
  }
};

}  // namespace

int main(int argc, char** argv) {
  constexpr const char* kUsage =
      "usage: plugin-bench PLUGIN URL RECORDS [--ca FILE] [--rate N [--batch N]] [--concurrency N]\n"
      "                    [--busy-poll-us N] [--host-io] [--trace FILE] [--spool DIR [--fsync always|batch|off]]\n";
  if (argc == 2 && (std::string_view(argv[1]) == "--version" || std::string_view(argv[1]) == "--help")) {
    if (std::string_view(argv[1]) == "--help") std::fputs(kUsage, stdout);
    else std::printf("plugin-bench %s\n", webhook_common::kVersion);
    return 0;
  }
  if (argc < 4) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string plugin = argv[1], url = argv[2], ca, spool, fsync = "batch", trace;
  std::uint64_t records = std::strtoull(argv[3], nullptr, 10);
  double rate = 0;
  int concurrency = 64;
  int busy_poll_us = 0;
  std::string batch_option;  // --batch as given
  bool host_io = false;
  for (int i = 4; i < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--host-io") {
      host_io = true;
      --i;  // takes no value
      continue;
    }
    if (i + 1 == argc) {
      std::fprintf(stderr, "plugin-bench: option '%s' needs a value\n%s", flag.c_str(), kUsage);
      return 2;
    }
    if (flag == "--ca") ca = argv[i + 1];
    else if (flag == "--rate") rate = std::strtod(argv[i + 1], nullptr);
    else if (flag == "--concurrency") concurrency = std::atoi(argv[i + 1]);
    else if (flag == "--busy-poll-us") busy_poll_us = std::atoi(argv[i + 1]);
    else if (flag == "--batch") batch_option = argv[i + 1];
    else if (flag == "--spool") spool = argv[i + 1];
    else if (flag == "--fsync") fsync = argv[i + 1];
    else if (flag == "--trace") trace = argv[i + 1];
    else {
      std::fprintf(stderr, "plugin-bench: unknown option '%s'\n%s", flag.c_str(), kUsage);
      return 2;
    }
  }
  // Records per submit() when paced.
  const std::size_t paced_batch = batch_option.empty() ? 4 : std::strtoul(batch_option.c_str(), nullptr, 10);
  if (paced_batch < 1 || paced_batch > 64) {
    std::fprintf(stderr, "plugin-bench: --batch must be 1 to 64\n%s", kUsage);
    return 2;
  }
  if (!batch_option.empty() && rate <= 0) {
    std::fprintf(stderr, "plugin-bench: --batch paces records: it needs --rate\n%s", kUsage);
    return 2;
  }
  void* module = dlopen(plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!module) {
    std::fprintf(stderr, "plugin-bench: %s\n", dlerror());
    return 2;
  }
  auto* entry = static_cast<const output_step_entry_t*>(dlsym(module, OUTPUT_STEP_ENTRY_SYMBOL));
  std::string base = url.substr(0, url.find('/', url.find("://") + 3));
  std::string config = R"({"auth": {"type": "td_webhook_out", "url_prefix": ")" + base + R"(/", "api_key": "bench-key"},
    "activation": {"name": "bench", "method": "POST", "url": ")" + url + R"(",
      "headers": {"Authorization": "Bearer {{auth.api_key}}"},
      "body": "{\"id\": \"{{profile.id}}\", \"email\": \"{{profile.email}}\", \"tier\": \"{{profile.tier}}\", \"event\": \"{{event.name}}\", \"sku\": \"{{event.sku}}\", \"amount\": {{event.amount}}, \"n\": {{event.n}}, \"time\": \"{{event.time}}\", \"journey\": \"{{journey.name}}\", \"stage\": \"{{journey.stage}}\"}"},
    "advanced": {"webhook_retry_count": 0},
    "delivery": {"concurrency": )" + std::to_string(concurrency) + R"(, "max_in_flight": 4096, "busy_poll_us": )" + std::to_string(busy_poll_us) +
                       (ca.empty() ? std::string() : R"(, "tls": {"ca_file": ")" + ca + "\"}") +
                       (spool.empty() ? std::string()
                                      : R"(, "spool": {"dir": ")" + spool + R"(", "fsync": ")" + fsync + "\"}") +
                       "}}";
  Host host;
  host.offer_io = host_io;
  const output_step_t* step = entry->create(
      &host.abi, config.data(), config.size(),
      [](void*, const char* field, const char* message) { std::fprintf(stderr, "config: %s: %s\n", field, message); },
      nullptr);
  if (!step) return 2;
  const auto* io = static_cast<const output_step_io_t*>(step->get_extension(step, OUTPUT_STEP_EXT_IO));
  if (host_io && io == nullptr) {
    std::fprintf(stderr, "plugin-bench: the module does not offer %s\n", OUTPUT_STEP_EXT_IO);
    return 2;
  }
  // Waits until `due`: asleep, or with --host-io running the step's I/O,
  // at least once (a runner behind schedule still sends between batches).
  const auto wait_until = [&](std::chrono::steady_clock::time_point due) {
    if (io == nullptr) return std::this_thread::sleep_until(due);
    auto now = std::chrono::steady_clock::now();
    do {
      io->poll(step, now < due ? std::chrono::duration_cast<std::chrono::microseconds>(due - now).count() + 1 : 0);
      now = std::chrono::steady_clock::now();
    } while (now < due);
  };

  // Records as a runner holds them: JSON text, one per event. Made with
  // to_chars rather than snprintf, which cost the runner's thread more than
  // the plugin's parsing of the result.
  auto make_record = [](std::uint64_t i, std::string& out) {
    auto number = [&out](std::uint64_t n) {
      char digits[24];
      out.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr);
    };
    out.assign(R"({"event_id":"e-)");
    number(i);
    out.append(R"(","profile":{"id":"user-)");
    number(i % 100000);
    out.append(R"(","email":"user)");
    number(i % 100000);
    out.append(R"(@example.com","tier":"gold"},"event":{"name":"purchase","sku":"SKU-)");
    number(i % 997);
    out.append(R"(","amount":)");
    number(i % 500);
    out.append(R"(.5,"n":)");
    number(i);
    out.append(R"(,"time":"2026-11-26T10:00:00Z"},"journey":{"name":"Bench","stage":"Stage 1"}})");
  };

  // Warm-up: connections open, allocator settled.
  std::string text;
  const std::uint64_t warmup = std::min<std::uint64_t>(2000, records / 10);
  std::uint64_t submitted = 0;
  std::vector<std::int64_t> submitted_ns, completed_ns;
  if (!trace.empty()) {
    submitted_ns.resize(warmup + records);
    completed_ns.resize(warmup + records);
    host.completed_ns = &completed_ns;
  }
  // With --rate, submissions are paced at that rate (latency at a given
  // load); without, as fast as back-pressure allows (throughput).
  auto paced_start = std::chrono::steady_clock::now();
  std::uint64_t paced_from = 0;
  // The runner's thread's CPU time inside submit() (and with --host-io,
  // poll()): the plugin's share of that thread, measured at full rate only:
  // two clock reads per call.
  double submit_cpu_us = 0;
  auto thread_cpu_us = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
  };
  // With --host-io at full rate, the runner's thread's CPU in poll() is the plugin's too.
  auto poll_io = [&](std::int64_t timeout_us) {
    const double cpu_before = rate > 0 ? 0 : thread_cpu_us();
    io->poll(step, timeout_us);
    if (rate == 0) submit_cpu_us += thread_cpu_us() - cpu_before;
  };
  auto submit_until = [&](std::uint64_t target) {
    const std::size_t batch_size = rate > 0 ? paced_batch : 64;
    std::vector<std::string> texts(batch_size);
    std::vector<output_step_record_t> batch(batch_size);
    while (submitted < target) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(batch_size, target - submitted));
      if (rate > 0) {
        wait_until(paced_start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>(static_cast<double>(submitted - paced_from) / rate)));
      }
      for (std::size_t k = 0; k < n; ++k) {
        make_record(submitted + k, texts[k]);
        batch[k] = {texts[k].data(), texts[k].size(), submitted + k};
      }
      if (!submitted_ns.empty()) {
        const std::int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
        std::fill_n(submitted_ns.begin() + static_cast<std::ptrdiff_t>(submitted), n, now);
      }
      std::size_t offset = 0;
      while (offset < n) {
        size_t accepted = 0;
        const double cpu_before = rate > 0 ? 0 : thread_cpu_us();
        output_step_status_t status = step->submit(step, batch.data() + offset, n - offset, &accepted);
        if (rate == 0) submit_cpu_us += thread_cpu_us() - cpu_before;
        offset += accepted;
        if (status == OUTPUT_STEP_BUSY && io != nullptr) {
          // Back-pressure with the I/O on this thread: run it until the batch in hand fits.
          const std::uint64_t window_end = host.done.load(std::memory_order_relaxed) + batch_size;
          const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
          while (host.done.load(std::memory_order_relaxed) < window_end && std::chrono::steady_clock::now() < give_up) {
            poll_io(20'000);
          }
        } else if (status == OUTPUT_STEP_BUSY) {
          // Back-pressure: wait until there is room for the batch in hand
          // (batch_size completions), as a runner with a batch would. Waiting for
          // more (a quarter of max_in_flight was tried) makes the runner
          // submit in bursts of milliseconds that hold a core while nginx
          // waits for it, and leaves the other core idle.
          std::unique_lock lock(host.mutex);
          std::uint64_t window_end = host.done.load(std::memory_order_acquire) + batch_size;
          host.wake_at.store(window_end, std::memory_order_release);
          host.completed.wait_for(lock, std::chrono::milliseconds(20),
                                  [&] { return host.done.load(std::memory_order_acquire) >= window_end; });
          host.wake_at.store(~std::uint64_t{0}, std::memory_order_release);
        } else if (status != OUTPUT_STEP_OK) {
          std::fprintf(stderr, "plugin-bench: submit failed (%d)\n", status);
          std::exit(1);
        }
      }
      submitted += n;
      if (io != nullptr && rate == 0) poll_io(0);  // at full rate: what is ready, then the next batch
    }
  };
  submit_until(warmup);
  step->flush(step, 60000);

  long rss_at_100k = 0;
  auto started = std::chrono::steady_clock::now();
  const CpuSplit cpu_start = cpu_split();
  submit_cpu_us = 0;
  paced_start = started;
  WakeupProbe probe;
  if (rate > 0) probe.start();
  paced_from = submitted;
  const std::uint64_t total = warmup + records;
  while (submitted < total) {
    submit_until(std::min(total, submitted + 10000));
    if (rss_at_100k == 0 && submitted - warmup >= 100000) rss_at_100k = status_kib("VmRSS:");
  }
  step->flush(step, 600000);
  const std::string wakeup = rate > 0 ? probe.stop() : "null";
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  long rss_end = status_kib("VmRSS:");
  const CpuSplit cpu_end = cpu_split();
  const auto per_record = [records](double us) { return us / static_cast<double>(records); };
  // The plugin's CPU per record: its own threads, and its submit() on ours.
  const double plugin_cpu = per_record(cpu_end.plugin_us - cpu_start.plugin_us);
  const double runner_cpu = per_record(cpu_end.runner_us - cpu_start.runner_us);
  char cpu[256];
  if (rate > 0) {
    std::snprintf(cpu, sizeof cpu, R"({"plugin_threads": %.2f, "runner_thread": %.2f})", plugin_cpu, runner_cpu);
  } else {
    std::snprintf(cpu, sizeof cpu,
                  R"({"plugin_threads": %.2f, "plugin_threads_system": %.2f, "submit": %.2f, "runner_own": %.2f})",
                  plugin_cpu, per_record(cpu_end.plugin_system_us - cpu_start.plugin_system_us),
                  per_record(submit_cpu_us), runner_cpu - per_record(submit_cpu_us));
  }

  if (!trace.empty()) {
    std::ofstream out(trace);
    const std::int64_t origin = started.time_since_epoch().count();
    for (std::uint64_t i = warmup; i < total; ++i) {
      out << (submitted_ns[i] - origin) / 1000 << ' ' << (completed_ns[i] - submitted_ns[i]) / 1000 << '\n';
    }
  }

  char stats[2048];
  step->stats(step, stats, sizeof stats);
  step->destroy(step, 1000, nullptr);
  std::printf(R"({"records": %llu, "delivered": %llu, "seconds": %.3f, "records_per_second": %.0f, "rss_100k_kib": %ld, "rss_end_kib": %ld, "peak_rss_kib": %ld, "cpu_us_per_record": %s, "wakeup_delay": %s, "first_error": "%s", "stats": %s})"
              "\n",
              static_cast<unsigned long long>(records), static_cast<unsigned long long>(host.delivered.load() - warmup),
              seconds, static_cast<double>(records) / seconds, rss_at_100k, rss_end, status_kib("VmHWM:"),
              cpu, wakeup.c_str(), host.first_error.c_str(), stats);
  return host.delivered.load() == total ? 0 : 1;
}
