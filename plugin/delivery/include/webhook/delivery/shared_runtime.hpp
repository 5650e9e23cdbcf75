// A delivery runtime shared by engines (output-step.runtime/1): the I/O
// threads, the connection pools per connection key, the spools' group
// commit. No Asio here: the module and the tests name a runtime without
// compiling it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace webhook {

class Runtime;

struct RuntimeOptions {
  std::uint32_t io_threads = 1;  // with host_drives there is one loop, the host's
  bool host_drives = false;      // the host runs the loop (output-step.host-io/1)
  std::chrono::microseconds busy_poll{0};  // each thread polls this long before it sleeps

  bool operator==(const RuntimeOptions&) const = default;
};

inline constexpr std::uint32_t kMaxIoThreads = 64;

// [any thread] The runtime of `key` within `scope` (the host, when the host
// drives the I/O or the time; null otherwise), made with `options` when no
// engine holds one; every engine that asks for it while one holds it shares
// it (with the options it was made with).
std::shared_ptr<Runtime> shared_runtime(const std::string& key, const void* scope, const RuntimeOptions& options);

const RuntimeOptions& options_of(const Runtime& runtime);

// With host_drives: runs every ready piece of I/O work of every engine on
// the runtime, first waiting up to `timeout` for one when none is ready.
// Returns how many records completed, of any engine; 0 at once when another
// thread is running the loop (or this one, further up: a completion).
std::size_t poll_runtime(Runtime& runtime, std::chrono::microseconds timeout);

}  // namespace webhook
