// The activations one runner hosts: one output step per configuration, all
// of one module, each named by its configuration's `activation.name`. Their
// completions, from the module's threads, land in one queue the runner's
// thread drains.
#pragma once

#include "output_runner/outcomes.hpp"
#include "output_runner/plugin_loader.hpp"
#include "output_runner/step_host.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace output_runner {

class CompletionQueue {
 public:
  void push(Completion completion);
  // Everything queued into `out` (cleared first), waiting up to `wait` for
  // the first; empty after the wait. The two vectors trade places, so that
  // neither is allocated again once grown.
  void take(std::chrono::milliseconds wait, std::vector<Completion>& out);

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<Completion> queued_;
};

class Activations {
 public:
  struct Activation {
    std::string name;
    std::unique_ptr<StepHost> host;
    const output_step_t* step = nullptr;
  };

  // All steps share one runtime (output-step.runtime/1) of `io_threads`.
  Activations(const char* host_name, std::ostream& err, std::uint32_t io_threads = 1)
      : host_name_(host_name), err_(err), runtime_{static_cast<std::uint32_t>(sizeof(output_step_runtime_t)), io_threads, host_name} {}
  ~Activations();  // destroys every step still alive, at once
  Activations(const Activations&) = delete;
  Activations& operator=(const Activations&) = delete;

  // Loads the module and creates one step per configuration file; false
  // (each reason on the error stream) when any of them fails, or two share
  // a name.
  // `delivery_ids`: whether completions keep the id each record was
  // delivered under (an outcome file wants it; a copy per record otherwise).
  bool start(const std::string& plugin, const std::vector<std::string>& configs, bool delivery_ids = true);

  std::size_t size() const { return activations_.size(); }
  Activation& operator[](std::size_t i) { return activations_[i]; }
  // The activation an entry names; with one activation, "" names it too.
  // size() when none matches.
  std::size_t find(const std::string& name) const;
  std::string names() const;  // "a, b", for messages

  CompletionQueue& completions() { return completions_; }

  // Stops every step, waiting up to `timeout_ms` for each to drain; records
  // cut short complete as failed. Returns how many were cut short.
  std::uint64_t destroy_all(std::int64_t timeout_ms);

 private:
  const char* host_name_;
  std::ostream& err_;
  output_step_runtime_t runtime_;
  LoadedPlugin plugin_;
  std::deque<Activation> activations_;  // stable addresses: the hosts' handlers point into it
  CompletionQueue completions_;
};

}  // namespace output_runner
